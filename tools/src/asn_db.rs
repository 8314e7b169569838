//! ASN database build: takes ip-location-db's `asn-ipv4.csv` and `asn-ipv6.csv` (rows
//! `start,end,asn,"organisation"`, inclusive ranges) and gives a MaxMind DB with GeoLite2-ASN
//! records, checked by reading every row's first and last address back.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::Path;

use anyhow::{Context, Result, bail};
use whence_tools::mmdb::{IpVersion, Value, Writer};

/// Not "GeoLite2-ASN": the records have that schema, but the data is not MaxMind's, and a
/// reader (or a report) that sees the type must not think it is.
pub const DATABASE_TYPE: &str = "whence-ASN";

const DESCRIPTION: &str = "IP address to autonomous system number and organisation, built by \
    whence-tools from ip-location-db's asn data (RouteViews pfx2as, NRO RIR delegation stats, \
    DB-IP IP to ASN Lite); CC BY 4.0: RouteViews, NRO, DB-IP (https://db-ip.com)";

/// Bad rows are all reported (up to this many) before the build fails, so one run shows them.
const MAX_REPORTED_ROWS: usize = 20;

/// One input row, with where it came from.
struct Row {
    file: usize,
    line: u64,
    start: IpAddr,
    end: IpAddr,
    asn: u32,
    organization: String,
    /// The organisation name had surrounding white space, now removed.
    trimmed: bool,
}

/// Two rows that claim some of the same addresses; resolved by the writer's rule (the longer
/// prefix wins, the later row for equal prefixes).
pub struct Overlap {
    pub earlier: String,
    pub later: String,
}

pub struct Built {
    pub bytes: Vec<u8>,
    pub rows: usize,
    pub distinct_records: usize,
    pub overlaps: Vec<Overlap>,
    /// Rows whose first or last address reads back another AS: only ever rows in `overlaps`.
    pub shadowed_rows: usize,
    /// Rows whose organisation name lost surrounding white space.
    pub trimmed_names: usize,
}

/// Builds the database from the two CSV files.
///
/// # Errors
/// Unreadable files, bad rows (all listed, with file and line), or a read-back mismatch that
/// no overlap explains (a writer bug).
pub fn build(ipv4: &Path, ipv6: &Path, build_epoch: u64) -> Result<Built> {
    let files = [ipv4, ipv6];
    let mut rows = read_rows(ipv4, 0, false)?;
    rows.extend(read_rows(ipv6, 1, true)?);
    let trimmed_names = rows.iter().filter(|row| row.trimmed).count();
    let overlaps = find_overlaps(&rows);
    let location = |row: &Row| format!("{}:{}", files[row.file].display(), row.line);

    let mut writer = Writer::new(DATABASE_TYPE, IpVersion::V6);
    writer
        .set_description("en", DESCRIPTION)
        .set_build_epoch(build_epoch);
    let mut distinct = BTreeSet::new();
    for row in &rows {
        let record = Value::map([
            ("autonomous_system_number", Value::from(row.asn)),
            (
                "autonomous_system_organization",
                Value::from(row.organization.as_str()),
            ),
        ]);
        writer
            .insert_range(row.start, row.end, &record)
            .with_context(|| format!("{}: cannot insert row", location(row)))?;
        distinct.insert((row.asn, row.organization.as_str()));
    }
    let bytes = writer.to_bytes().context("writing the ASN database")?;

    let overlapping: BTreeSet<(usize, u64)> = overlaps
        .iter()
        .flat_map(|overlap| [overlap.0, overlap.1])
        .map(|index| (rows[index].file, rows[index].line))
        .collect();
    let shadowed_rows = check_read_back(&bytes, &rows, &overlapping, &location)?;
    Ok(Built {
        bytes,
        rows: rows.len(),
        distinct_records: distinct.len(),
        overlaps: overlaps
            .iter()
            .map(|&(earlier, later)| Overlap {
                earlier: describe(&rows[earlier], &location),
                later: describe(&rows[later], &location),
            })
            .collect(),
        shadowed_rows,
        trimmed_names,
    })
}

fn describe(row: &Row, location: &dyn Fn(&Row) -> String) -> String {
    format!(
        "{} {}-{} AS{} {:?}",
        location(row),
        row.start,
        row.end,
        row.asn,
        row.organization
    )
}

/// Reads one CSV file; `file` is its index for messages, `ipv6` the family its rows must have.
fn read_rows(path: &Path, file: usize, ipv6: bool) -> Result<Vec<Row>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    let mut rows = Vec::new();
    let mut bad = Vec::new();
    for result in reader.records() {
        let record = match result {
            Ok(record) => record,
            Err(error) if matches!(error.kind(), csv::ErrorKind::Io(_)) => {
                return Err(error).with_context(|| format!("cannot read {}", path.display()));
            }
            Err(error) => {
                let line = error.position().map_or(0, csv::Position::line);
                bad.push(format!("{}:{line}: {error}", path.display()));
                continue;
            }
        };
        let line = record.position().map_or(0, csv::Position::line);
        match parse_row(&record, ipv6) {
            Ok((start, end, asn, organization)) => rows.push(Row {
                file,
                line,
                start,
                end,
                asn,
                trimmed: record
                    .get(3)
                    .is_some_and(|raw| raw.len() != organization.len()),
                organization,
            }),
            Err(error) => bad.push(format!("{}:{line}: {error:#}", path.display())),
        }
    }
    if !bad.is_empty() {
        let shown = bad.len().min(MAX_REPORTED_ROWS);
        bail!(
            "{} bad rows in {} (first {shown}):\n{}",
            bad.len(),
            path.display(),
            bad[..shown].join("\n")
        );
    }
    Ok(rows)
}

fn parse_row(record: &csv::StringRecord, ipv6: bool) -> Result<(IpAddr, IpAddr, u32, String)> {
    let [start, end, asn, organization] = [0, 1, 2, 3].map(|i| record.get(i));
    let (Some(start), Some(end), Some(asn), Some(organization), None) =
        (start, end, asn, organization, record.get(4))
    else {
        bail!(
            "expected 4 fields (start,end,asn,organisation), found {}",
            record.len()
        );
    };
    let address = |text: &str| -> Result<IpAddr> {
        let address: IpAddr = text
            .parse()
            .with_context(|| format!("{text:?} is not an IP address"))?;
        if address.is_ipv6() != ipv6 {
            bail!(
                "{address} is IPv{}, expected IPv{} in this file",
                if ipv6 { 4 } else { 6 },
                if ipv6 { 6 } else { 4 }
            );
        }
        Ok(address)
    };
    let (start, end) = (address(start)?, address(end)?);
    if end < start {
        bail!("range {start} - {end} ends before it starts");
    }
    let asn: u32 = asn
        .parse()
        .with_context(|| format!("AS number {asn:?} is not a 32-bit unsigned integer"))?;
    // About 230 names end in a space ("FRIT "), which would show in reports; trimming is listed
    // among our modifications in data/geoip/README.md.
    Ok((start, end, asn, organization.trim().to_owned()))
}

/// Pairs of rows (by index, earlier row first) whose ranges share addresses.
fn find_overlaps(rows: &[Row]) -> Vec<(usize, usize)> {
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|&index| (rows[index].start, index));
    let mut overlaps = Vec::new();
    // The row reaching furthest so far; a row starting at or before its end overlaps it.
    let mut furthest: Option<usize> = None;
    for index in order {
        if let Some(previous) = furthest {
            // IpAddr orders every IPv4 address before every IPv6 one, so families never mix.
            if rows[index].start <= rows[previous].end {
                overlaps.push((previous.min(index), previous.max(index)));
            }
            if rows[index].end <= rows[previous].end {
                continue;
            }
        }
        furthest = Some(index);
    }
    overlaps
}

/// Looks up each row's first and last address in the written database. A row whose answer is
/// another AS must be one of the overlapping rows (the rule gave those addresses to the other
/// row); anything else means the writer lost data. Gives the number of shadowed rows.
fn check_read_back(
    bytes: &[u8],
    rows: &[Row],
    overlapping: &BTreeSet<(usize, u64)>,
    location: &dyn Fn(&Row) -> String,
) -> Result<usize> {
    let reader = maxminddb::Reader::from_source(bytes).context("reading back the ASN database")?;
    reader
        .verify()
        .context("the written ASN database does not verify")?;
    let mut shadowed = 0;
    for row in rows {
        for address in [row.start, row.end] {
            let found: Option<u32> = reader
                .lookup(address)
                .and_then(|result| {
                    result.decode_path(&maxminddb::path!["autonomous_system_number"])
                })
                .with_context(|| format!("{}: looking up {address}", location(row)))?;
            if found == Some(row.asn) {
                continue;
            }
            if !overlapping.contains(&(row.file, row.line)) {
                bail!(
                    "{}: {address} reads back as {found:?}, expected AS{}",
                    location(row),
                    row.asn
                );
            }
            shadowed += 1;
            break;
        }
    }
    Ok(shadowed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(text: &str) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), text).unwrap();
        file
    }

    fn lookup(bytes: &[u8], address: &str) -> Option<(u32, String)> {
        #[derive(serde::Deserialize)]
        struct Asn {
            autonomous_system_number: u32,
            autonomous_system_organization: String,
        }
        let reader = maxminddb::Reader::from_source(bytes).unwrap();
        let found: Option<Asn> = reader
            .lookup(address.parse().unwrap())
            .unwrap()
            .decode()
            .unwrap();
        found.map(|asn| {
            (
                asn.autonomous_system_number,
                asn.autonomous_system_organization,
            )
        })
    }

    #[test]
    fn quoted_names_with_commas_and_quotes_survive() {
        let ipv4 = csv(concat!(
            "1.0.0.0,1.0.0.255,13335,\"Cloudflare, Inc.\"\n",
            "2.26.200.0,2.26.215.255,201907,\"LLC \"\"SPUTNIK\"\"\"\n",
            "5.0.0.0,5.0.0.255,64496,FRIT \n",
        ));
        let ipv6 = csv("2001:db8::,2001:db8::ffff,64497,Example\n");
        let built = build(ipv4.path(), ipv6.path(), 7).unwrap();
        assert_eq!(built.rows, 4);
        assert_eq!(built.trimmed_names, 1);
        assert!(built.overlaps.is_empty());
        assert_eq!(
            lookup(&built.bytes, "1.0.0.1"),
            Some((13335, "Cloudflare, Inc.".to_owned()))
        );
        assert_eq!(
            lookup(&built.bytes, "2.26.210.1"),
            Some((201907, "LLC \"SPUTNIK\"".to_owned()))
        );
        assert_eq!(
            lookup(&built.bytes, "5.0.0.1"),
            Some((64496, "FRIT".to_owned()))
        );
        assert_eq!(
            lookup(&built.bytes, "2001:db8::1").map(|x| x.0),
            Some(64497)
        );
        assert_eq!(lookup(&built.bytes, "2001:db8::1:0"), None);
    }

    #[test]
    fn bad_rows_are_all_reported_with_file_and_line() {
        let ipv4 = csv(concat!(
            "1.0.0.0,1.0.0.255,13335,ok\n",
            "1.0.1.0,1.0.1.255,notanumber,x\n",
            "1.0.2.0,1.0.2.255,1\n",
            "1.0.4.0,1.0.3.0,1,reversed\n",
            "2001:db8::,2001:db8::1,1,wrong family\n",
        ));
        let ipv6 = csv("");
        let message = format!("{:#}", build(ipv4.path(), ipv6.path(), 0).err().unwrap());
        let name = ipv4.path().display().to_string();
        assert!(message.contains("4 bad rows"), "{message}");
        for line in [2, 3, 4, 5] {
            assert!(message.contains(&format!("{name}:{line}:")), "{message}");
        }
        assert!(!message.contains(&format!("{name}:1:")), "{message}");
        assert!(message.contains("\"notanumber\""), "{message}");
        assert!(message.contains("expected IPv4"), "{message}");
    }

    #[test]
    fn overlapping_rows_are_reported_and_resolved() {
        let ipv4 = csv(concat!(
            "214.95.0.0,215.0.255.255,749,DoD\n",
            "215.0.0.0,215.1.3.255,721,DoD NIC\n",
            "216.0.0.0,216.0.0.255,1,after\n",
        ));
        let ipv6 = csv("");
        let built = build(ipv4.path(), ipv6.path(), 0).unwrap();
        assert_eq!(built.overlaps.len(), 1);
        assert!(built.overlaps[0].earlier.contains(":1 214.95.0.0"));
        assert!(built.overlaps[0].later.contains(":2 215.0.0.0"));
        assert_eq!(built.shadowed_rows, 1);
        assert_eq!(
            lookup(&built.bytes, "215.0.255.255").map(|x| x.0),
            Some(721)
        );
    }

    #[test]
    fn the_same_csv_gives_the_same_bytes() {
        let ipv4 = csv("1.0.0.0,1.0.0.255,13335,\"Cloudflare, Inc.\"\n");
        let ipv6 = csv("2001:4860::,2001:4860:ffff:ffff:ffff:ffff:ffff:ffff,15169,Google LLC\n");
        let first = build(ipv4.path(), ipv6.path(), 1_781_725_900).unwrap();
        let again = build(ipv4.path(), ipv6.path(), 1_781_725_900).unwrap();
        assert_eq!(first.bytes, again.bytes);
    }
}
