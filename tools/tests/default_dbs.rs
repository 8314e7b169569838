//! Checks the committed `data/geoip/*.mmdb`: takes the two files whence embeds and gives
//! lookups of known rows of the source CSVs, of gaps between rows, and of the metadata, through
//! the same `maxminddb` reader whence uses.

// clippy.toml allows unwrap only inside #[test] functions; the helpers here are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::IpAddr;
use std::path::PathBuf;

use maxminddb::Reader;
use serde::Deserialize;

#[derive(Debug, Deserialize, PartialEq)]
struct Asn {
    autonomous_system_number: u32,
    autonomous_system_organization: String,
}

fn open(name: &str) -> Reader<Vec<u8>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../data/geoip")
        .join(name);
    let packed = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Reader::from_source(packed).unwrap()
}

fn asn_at(reader: &Reader<Vec<u8>>, address: &str) -> Option<Asn> {
    let address: IpAddr = address.parse().unwrap();
    reader.lookup(address).unwrap().decode().unwrap()
}

fn number_at(reader: &Reader<Vec<u8>>, address: &str) -> Option<u32> {
    asn_at(reader, address).map(|asn| asn.autonomous_system_number)
}

#[test]
fn asn_database_answers_rows_of_the_source_csvs() {
    let reader = open("asn.mmdb");
    assert_eq!(
        asn_at(&reader, "1.1.1.1"),
        Some(Asn {
            autonomous_system_number: 13335,
            autonomous_system_organization: "Cloudflare, Inc.".to_owned(),
        })
    );
    assert_eq!(
        asn_at(&reader, "8.8.8.8"),
        Some(Asn {
            autonomous_system_number: 15169,
            autonomous_system_organization: "Google LLC".to_owned(),
        })
    );
    // Neighbouring rows of different ASes: 8.8.7.0/24 Level 3, 8.8.9.0/24 Hotwire.
    assert_eq!(number_at(&reader, "8.8.7.255"), Some(3356));
    assert_eq!(number_at(&reader, "8.8.9.0"), Some(23089));
    assert_eq!(number_at(&reader, "9.9.9.9"), Some(19281));
    assert_eq!(number_at(&reader, "2001:4860:4860::8888"), Some(15169));
    assert_eq!(number_at(&reader, "2001:4860:4805::1"), Some(43515));
    assert_eq!(number_at(&reader, "2001:4:112::1"), Some(112));
    // 2001::/32 and 2002::/16 are Hurricane Electric rows, not Teredo/6to4 aliases.
    assert_eq!(number_at(&reader, "2001::1"), Some(6939));
    assert_eq!(number_at(&reader, "2002:808:808::1"), Some(6939));
    // IPv4-mapped IPv6 reaches the IPv4 data through the alias.
    assert_eq!(number_at(&reader, "::ffff:1.1.1.1"), Some(13335));
    // A name with a trailing space in the CSV ("FRIT ") is stored trimmed.
    let names_end_clean = reader
        .networks(Default::default())
        .unwrap()
        .take(50_000)
        .filter_map(|result| result.unwrap().decode::<Asn>().unwrap())
        .all(|asn| asn.autonomous_system_organization.trim() == asn.autonomous_system_organization);
    assert!(names_end_clean);
}

#[test]
fn asn_database_has_nothing_between_rows() {
    let reader = open("asn.mmdb");
    for gap in [
        "0.0.0.1",     // before the first row, 1.0.0.0
        "1.0.1.0",     // after 1.0.0.0-1.0.0.255, before 1.0.4.0
        "1.0.3.255",   // last address of that gap
        "1.0.8.0",     // after 1.0.4.0-1.0.7.255, before 1.0.16.0
        "10.0.0.1",    // private space has no rows
        "192.168.1.1", // private space
        "2001:1::1",   // after 2001::/32, before 2001:4:112::
        "2001:4:111:ffff::1",
        "::1",
    ] {
        let address: IpAddr = gap.parse().unwrap();
        assert!(!reader.lookup(address).unwrap().has_data(), "{gap}");
    }
}

#[test]
fn asn_database_resolves_the_one_overlap_by_the_documented_rule() {
    // asn-ipv4.csv lines 399115 (214.95.0.0-215.0.255.255, AS749) and 399116
    // (215.0.0.0-215.1.3.255, AS721) share 215.0.0.0/16; equal prefixes: the later row wins.
    let reader = open("asn.mmdb");
    assert_eq!(number_at(&reader, "214.95.0.1"), Some(749));
    assert_eq!(number_at(&reader, "214.255.255.255"), Some(749));
    assert_eq!(number_at(&reader, "215.0.0.1"), Some(721));
    assert_eq!(number_at(&reader, "215.1.3.255"), Some(721));
}

#[test]
fn asn_metadata_names_the_data_and_matches_the_country_build() {
    let asn = open("asn.mmdb");
    let country = open("country.mmdb");
    let metadata = asn.metadata();
    assert_eq!(metadata.database_type, "whence-ASN");
    assert_eq!(metadata.ip_version, 6);
    assert!(metadata.languages.is_empty());
    let description = &metadata.description["en"];
    for source in ["RouteViews", "NRO", "DB-IP", "ip-location-db", "CC BY 4.0"] {
        assert!(description.contains(source), "{source} in {description}");
    }
    assert_eq!(metadata.build_epoch, country.metadata().build_epoch);
    asn.verify().unwrap();
}

#[test]
fn country_database_is_the_published_one() {
    let reader = open("country.mmdb");
    let code = |address: &str| -> Option<String> {
        let address: IpAddr = address.parse().unwrap();
        reader
            .lookup(address)
            .unwrap()
            .decode_path(&maxminddb::path!["country_code"])
            .unwrap()
    };
    assert_eq!(reader.metadata().database_type, "country ipvAll");
    assert_eq!(code("1.1.1.1").as_deref(), Some("AU"));
    assert_eq!(code("8.8.8.8").as_deref(), Some("US"));
    assert_eq!(code("2001:4860:4860::8888").as_deref(), Some("US"));
    assert_eq!(code("10.0.0.1"), None);
    // Known limits whence must work around, not bugs here: this database has no
    // ::ffff:0:0/96 alias (look IPv4-mapped addresses up as IPv4) and an empty description,
    // which makes `Reader::verify` refuse it.
    assert_eq!(code("::ffff:8.8.8.8"), None);
    assert!(reader.metadata().description.is_empty());
    assert!(reader.verify().is_err());
}
