//! Default-database packing: takes the shared GeoIP folder and gives whence's `data/geoip/`:
//! the ASN database built from the CSVs and the country database as published, and the license
//! files the data's terms require next to them.
//!
//! The databases are stored uncompressed: whence embeds them and reads them in place, so its
//! start-up costs no decompression (zstd level 19 took 46 ms for both, against a 50 ms budget
//! for the whole start-up; git compresses them in its packs anyway).

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::asn_db;

const COUNTRY_SOURCE: &str = "geo-whois-asn-country.mmdb";
const ASN_IPV4_SOURCE: &str = "asn-ipv4.csv";
const ASN_IPV6_SOURCE: &str = "asn-ipv6.csv";
pub const ASN_OUTPUT: &str = "asn.mmdb";
pub const COUNTRY_OUTPUT: &str = "country.mmdb";

/// CC BY 4.0 requires the notices and a statement of changes to travel with the data.
const LICENSE_FILES: [&str; 5] = [
    "LICENSE-asn-DBIP.txt",
    "LICENSE-asn-NRO.txt",
    "LICENSE-asn-ROUTEVIEWS.txt",
    "LICENSE-country-NRO.txt",
    "MODIFICATIONS-asn.txt",
];

pub struct Packed {
    pub build_epoch: u64,
    pub asn: asn_db::Built,
    /// (path written, size) for the two databases.
    pub databases: Vec<(PathBuf, usize)>,
}

/// The `build_epoch` in a MaxMind DB's metadata.
///
/// # Errors
/// The file cannot be read or is not a MaxMind DB.
pub fn build_epoch_of(path: &Path) -> Result<u64> {
    let reader = maxminddb::Reader::open_readfile(path)
        .with_context(|| format!("cannot read MaxMind DB {}", path.display()))?;
    Ok(reader.metadata().build_epoch)
}

/// Builds and writes everything in `out`; `build_epoch` defaults to the country database's
/// own, so the same inputs always give the same files.
///
/// # Errors
/// Missing or bad inputs (named), or a file that cannot be written.
pub fn pack(shared: &Path, out: &Path, build_epoch: Option<u64>) -> Result<Packed> {
    let country_path = shared.join(COUNTRY_SOURCE);
    let country = fs::read(&country_path)
        .with_context(|| format!("cannot read {}", country_path.display()))?;
    let reader = maxminddb::Reader::from_source(country.as_slice())
        .with_context(|| format!("{} is not a MaxMind DB", country_path.display()))?;
    check_country(&reader).with_context(|| format!("checking {}", country_path.display()))?;
    let build_epoch = build_epoch.unwrap_or(reader.metadata().build_epoch);

    let asn = asn_db::build(
        &shared.join(ASN_IPV4_SOURCE),
        &shared.join(ASN_IPV6_SOURCE),
        build_epoch,
    )?;

    fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut databases = Vec::new();
    for (name, bytes) in [(ASN_OUTPUT, &asn.bytes), (COUNTRY_OUTPUT, &country)] {
        let path = out.join(name);
        write_atomically(&path, bytes)?;
        databases.push((path, bytes.len()));
    }
    for name in LICENSE_FILES {
        let (from, to) = (shared.join(name), out.join(name));
        // Read and write rather than `fs::copy`, which would carry over read-only permissions
        // and make the next run fail.
        let text = fs::read(&from).with_context(|| format!("cannot read {}", from.display()))?;
        write_atomically(&to, &text)?;
    }

    Ok(Packed {
        build_epoch,
        asn,
        databases,
    })
}

/// Walks every network of the country database and decodes its country code, since it is
/// shipped as is. Not `Reader::verify`: that refuses this file for its empty `description`
/// metadata, which the format allows readers to ignore.
fn check_country(reader: &maxminddb::Reader<&[u8]>) -> Result<()> {
    anyhow::ensure!(
        reader.metadata().ip_version == 6,
        "expected an IPv6 (IPv4 and IPv6) database"
    );
    let mut networks = 0usize;
    for result in reader.networks(maxminddb::WithinOptions::default())? {
        let code: Option<String> = result?.decode_path(&maxminddb::path!["country_code"])?;
        anyhow::ensure!(code.is_some(), "a network has no country_code");
        networks += 1;
    }
    anyhow::ensure!(networks > 0, "no networks");
    Ok(())
}

/// Writes through a temporary file and a rename, so an interrupted run never leaves a
/// truncated database for the next build to embed.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    let temporary = PathBuf::from(temporary);
    fs::write(&temporary, bytes)
        .with_context(|| format!("cannot write {}", temporary.display()))?;
    fs::rename(&temporary, path).with_context(|| {
        format!(
            "cannot rename {} to {}",
            temporary.display(),
            path.display()
        )
    })
}
