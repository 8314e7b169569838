//! Writer tests: takes small databases written here and gives their read-back through the
//! `maxminddb` reader whence uses, so the bytes are checked by an independent implementation.

use std::collections::BTreeMap;
use std::net::IpAddr;

use maxminddb::Reader;
use serde::Deserialize;

use super::*;

#[derive(Debug, Deserialize, PartialEq)]
struct Asn {
    autonomous_system_number: u32,
    autonomous_system_organization: String,
}

fn asn(number: u32, organization: &str) -> Value {
    Value::map([
        ("autonomous_system_number", Value::from(number)),
        ("autonomous_system_organization", Value::from(organization)),
    ])
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

/// The record at `address` and the network the reader says it belongs to.
fn lookup(reader: &Reader<Vec<u8>>, address: &str) -> Option<(Asn, String)> {
    let result = reader.lookup(ip(address)).unwrap();
    let record = result.decode::<Asn>().unwrap()?;
    Some((record, result.network().unwrap().to_string()))
}

fn number_at(reader: &Reader<Vec<u8>>, address: &str) -> Option<u32> {
    lookup(reader, address).map(|(record, _)| record.autonomous_system_number)
}

fn read(writer: &Writer) -> Reader<Vec<u8>> {
    let reader = Reader::from_source(writer.to_bytes().unwrap()).unwrap();
    reader.verify().unwrap();
    reader
}

fn sample_writer() -> Writer {
    let mut writer = Writer::new("whence-ASN-Test", IpVersion::V6);
    writer
        .set_description("en", "test")
        .set_build_epoch(1_700_000_000);
    writer
        .insert_range(
            ip("1.0.0.0"),
            ip("1.0.0.255"),
            &asn(13335, "Cloudflare, Inc."),
        )
        .unwrap();
    writer
        .insert_range(
            ip("1.0.4.0"),
            ip("1.0.7.255"),
            &asn(38803, "Gtelecom Pty Ltd"),
        )
        .unwrap();
    writer
        .insert_range(
            ip("1.0.128.0"),
            ip("1.0.196.255"),
            &asn(23969, "TOT Public Company Limited"),
        )
        .unwrap();
    writer
        .insert_network("8.8.8.0/24".parse().unwrap(), &asn(15169, "Google LLC"))
        .unwrap();
    writer
        .insert_range(
            ip("2001:4860::"),
            ip("2001:4860:ffff:ffff:ffff:ffff:ffff:ffff"),
            &asn(15169, "Google LLC"),
        )
        .unwrap();
    writer
}

#[test]
fn records_read_back_exactly_and_gaps_are_empty() {
    let reader = read(&sample_writer());
    let metadata = reader.metadata();
    assert_eq!(metadata.database_type, "whence-ASN-Test");
    assert_eq!(metadata.ip_version, 6);
    assert_eq!(metadata.build_epoch, 1_700_000_000);
    assert_eq!(metadata.record_size, 24);
    assert_eq!(metadata.languages, Vec::<String>::new());
    assert_eq!(
        metadata.description,
        BTreeMap::from([("en".to_owned(), "test".to_owned())])
    );

    let cloudflare = Asn {
        autonomous_system_number: 13335,
        autonomous_system_organization: "Cloudflare, Inc.".to_owned(),
    };
    assert_eq!(
        lookup(&reader, "1.0.0.1"),
        Some((cloudflare, "1.0.0.0/24".to_owned()))
    );
    assert_eq!(number_at(&reader, "1.0.4.0"), Some(38803));
    assert_eq!(number_at(&reader, "1.0.7.255"), Some(38803));
    assert_eq!(number_at(&reader, "1.0.196.255"), Some(23969));
    assert_eq!(number_at(&reader, "8.8.8.8"), Some(15169));
    assert_eq!(number_at(&reader, "2001:4860:4860::8888"), Some(15169));
    // The networks a reader reports are the merged CIDR blocks.
    assert_eq!(lookup(&reader, "1.0.5.1").unwrap().1, "1.0.4.0/22");

    for gap in [
        "0.255.255.255",
        "1.0.1.0",
        "1.0.3.255",
        "1.0.8.0",
        "1.0.127.255",
        "1.0.197.0",
        "8.8.7.255",
        "8.8.9.0",
        "255.255.255.255",
        "::",
        "2001:485f:ffff::1",
        "2001:4861::",
        "ffff::1",
    ] {
        assert!(!reader.lookup(ip(gap)).unwrap().has_data(), "{gap}");
    }
}

#[test]
fn ipv4_is_found_at_its_ipv6_forms_too() {
    let reader = read(&sample_writer());
    // ::a.b.c.d is where the data lives; ::ffff:a.b.c.d is the alias to it.
    assert_eq!(number_at(&reader, "::8.8.8.8"), Some(15169));
    assert_eq!(number_at(&reader, "::ffff:8.8.8.8"), Some(15169));
    assert_eq!(number_at(&reader, "::ffff:1.0.0.1"), Some(13335));
    assert_eq!(number_at(&reader, "::ffff:1.0.1.0"), None);
    // The alias is not listed as networks of its own.
    let networks: Vec<String> = reader
        .networks(Default::default())
        .unwrap()
        .map(|result| result.unwrap().network().unwrap().to_string())
        .collect();
    assert_eq!(
        networks,
        [
            "1.0.0.0/24",
            "1.0.4.0/22",
            "1.0.128.0/18",
            "1.0.192.0/22",
            "1.0.196.0/24",
            "8.8.8.0/24",
            "2001:4860::/32"
        ]
    );
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    let first = sample_writer().to_bytes().unwrap();
    let again = sample_writer().to_bytes().unwrap();
    assert_eq!(first, again);
    let writer = sample_writer();
    assert_eq!(writer.to_bytes().unwrap(), writer.to_bytes().unwrap());
}

#[test]
fn more_specific_prefixes_win_in_either_order() {
    let wide = asn(1, "wide");
    let narrow = asn(2, "narrow");
    for narrow_first in [false, true] {
        let mut writer = Writer::new("test", IpVersion::V4);
        let insert = |writer: &mut Writer, which: &Value, range: (&str, &str)| {
            writer
                .insert_range(ip(range.0), ip(range.1), which)
                .unwrap();
        };
        if narrow_first {
            insert(&mut writer, &narrow, ("10.0.1.0", "10.0.1.255"));
            insert(&mut writer, &wide, ("10.0.0.0", "10.0.255.255"));
        } else {
            insert(&mut writer, &wide, ("10.0.0.0", "10.0.255.255"));
            insert(&mut writer, &narrow, ("10.0.1.0", "10.0.1.255"));
        }
        let reader = read(&writer);
        assert_eq!(number_at(&reader, "10.0.0.255"), Some(1), "{narrow_first}");
        assert_eq!(number_at(&reader, "10.0.1.0"), Some(2), "{narrow_first}");
        assert_eq!(number_at(&reader, "10.0.1.255"), Some(2), "{narrow_first}");
        assert_eq!(number_at(&reader, "10.0.2.0"), Some(1), "{narrow_first}");
    }
}

#[test]
fn the_same_prefix_twice_keeps_the_later_record() {
    let mut writer = Writer::new("test", IpVersion::V6);
    writer
        .insert_network("192.0.2.0/24".parse().unwrap(), &asn(1, "first"))
        .unwrap();
    writer
        .insert_network("192.0.2.0/24".parse().unwrap(), &asn(2, "second"))
        .unwrap();
    let bytes = writer.to_bytes().unwrap();
    // The overridden record is not written at all.
    assert!(!bytes.windows(5).any(|w| w == b"first"));
    let reader = Reader::from_source(bytes).unwrap();
    assert_eq!(number_at(&reader, "192.0.2.1"), Some(2));
}

#[test]
fn overlapping_ranges_resolve_per_address_by_prefix_length() {
    // The one overlap in the shipped data, reduced: 214.95.0.0-215.0.255.255 (AS749), then
    // 215.0.0.0-215.1.3.255 (AS721). Both split to 215.0.0.0/16 for the overlap, so the later
    // row wins there; the rest of each range keeps its own AS.
    let mut writer = Writer::new("test", IpVersion::V6);
    writer
        .insert_range(ip("214.95.0.0"), ip("215.0.255.255"), &asn(749, "DoD"))
        .unwrap();
    writer
        .insert_range(ip("215.0.0.0"), ip("215.1.3.255"), &asn(721, "DoD NIC"))
        .unwrap();
    let reader = read(&writer);
    assert_eq!(number_at(&reader, "214.255.255.255"), Some(749));
    assert_eq!(number_at(&reader, "215.0.0.0"), Some(721));
    assert_eq!(number_at(&reader, "215.1.3.255"), Some(721));
    assert_eq!(number_at(&reader, "215.1.4.0"), None);

    // When the later range is the wider prefix, the earlier narrow one survives inside it.
    let mut writer = Writer::new("test", IpVersion::V6);
    writer
        .insert_range(ip("198.51.100.64"), ip("198.51.100.127"), &asn(1, "narrow"))
        .unwrap();
    writer
        .insert_range(ip("198.51.100.0"), ip("198.51.100.255"), &asn(2, "wide"))
        .unwrap();
    let reader = read(&writer);
    assert_eq!(number_at(&reader, "198.51.100.63"), Some(2));
    assert_eq!(number_at(&reader, "198.51.100.64"), Some(1));
    assert_eq!(number_at(&reader, "198.51.100.128"), Some(2));
}

#[test]
fn geoip2_country_records_with_nested_maps_read_back() {
    let germany = Value::map([
        ("country", Value::map([("iso_code", "DE")])),
        ("registered_country", Value::map([("iso_code", "DE")])),
        ("traits", Value::map([("is_anycast", Value::from(true))])),
    ]);
    let mut writer = Writer::new("GeoIP2-Country", IpVersion::V6);
    writer.set_languages(&["en"]);
    writer
        .insert_network("192.0.2.0/24".parse().unwrap(), &germany)
        .unwrap();
    writer
        .insert_network("2001:db8::/32".parse().unwrap(), &germany)
        .unwrap();
    let reader = read(&writer);
    assert_eq!(reader.metadata().languages, ["en"]);
    for address in ["192.0.2.1", "2001:db8::1"] {
        let country: maxminddb::geoip2::Country = reader
            .lookup(ip(address))
            .unwrap()
            .decode()
            .unwrap()
            .unwrap();
        assert_eq!(country.country.iso_code, Some("DE"), "{address}");
        assert_eq!(country.registered_country.iso_code, Some("DE"), "{address}");
        assert_eq!(country.traits.is_anycast, Some(true), "{address}");
    }
}

#[test]
fn every_value_type_reads_back() {
    #[derive(Debug, Deserialize, PartialEq)]
    struct All {
        text: String,
        flag: bool,
        small: u16,
        medium: u32,
        large: u64,
        real: f64,
        list: Vec<u32>,
    }
    let record = Value::map([
        ("text", Value::from("ünïcödé")),
        ("flag", Value::from(false)),
        ("small", Value::from(65_535u16)),
        ("medium", Value::from(0u32)),
        ("large", Value::from(u64::MAX)),
        ("real", Value::from(-1.5f64)),
        ("list", Value::array([1u32, 300, 70_000])),
    ]);
    let mut writer = Writer::new("test", IpVersion::V4);
    writer
        .insert_network("0.0.0.0/0".parse().unwrap(), &record)
        .unwrap();
    let reader = read(&writer);
    let read_back: All = reader
        .lookup(ip("203.0.113.9"))
        .unwrap()
        .decode()
        .unwrap()
        .unwrap();
    assert_eq!(
        read_back,
        All {
            text: "ünïcödé".to_owned(),
            flag: false,
            small: 65_535,
            medium: 0,
            large: u64::MAX,
            real: -1.5,
            list: vec![1, 300, 70_000],
        }
    );
}

#[test]
fn every_record_size_reads_back() {
    for size in [RecordSize::Bits24, RecordSize::Bits28, RecordSize::Bits32] {
        let mut writer = sample_writer();
        writer.set_record_size(size);
        let reader = read(&writer);
        assert_eq!(reader.metadata().record_size, size.bits());
        assert_eq!(number_at(&reader, "1.0.196.1"), Some(23969), "{size:?}");
        assert_eq!(number_at(&reader, "2001:4860:1::"), Some(15169), "{size:?}");
        assert_eq!(number_at(&reader, "1.0.1.0"), None, "{size:?}");
    }
}

#[test]
fn record_size_28_is_chosen_when_24_bits_cannot_address_the_data() {
    // About 2^24 bytes of distinct records force 28-bit records, exercising the split nibble.
    let mut writer = Writer::new("test", IpVersion::V4);
    let filler = "x".repeat(1_000);
    for i in 0..17_000u32 {
        let address = std::net::Ipv4Addr::from_bits(i << 8);
        let network = IpNetwork::new(IpAddr::V4(address), 24).unwrap();
        writer
            .insert_network(network, &asn(i, &format!("{i}{filler}")))
            .unwrap();
    }
    let reader = read(&writer);
    assert_eq!(reader.metadata().record_size, 28);
    assert_eq!(number_at(&reader, "0.0.0.0"), Some(0));
    assert_eq!(number_at(&reader, "0.0.1.255"), Some(1));
    assert_eq!(number_at(&reader, "0.66.103.1"), Some(16_999)); // 16_999 = 0x4267
    assert_eq!(number_at(&reader, "0.66.104.0"), None);
}

#[test]
fn empty_and_whole_space_databases_are_valid() {
    let reader = read(&Writer::new("test", IpVersion::V6));
    assert!(!reader.lookup(ip("1.1.1.1")).unwrap().has_data());
    assert!(!reader.lookup(ip("::ffff:1.1.1.1")).unwrap().has_data());

    let mut writer = Writer::new("test", IpVersion::V6);
    writer
        .insert_network("::/0".parse().unwrap(), &asn(7, "everything"))
        .unwrap();
    let reader = read(&writer);
    for address in [
        "0.0.0.0",
        "255.255.255.255",
        "::",
        "::ffff:1.2.3.4",
        "ffff::",
    ] {
        assert_eq!(number_at(&reader, address), Some(7), "{address}");
    }
}

#[test]
fn bad_networks_are_refused() {
    let mut v4 = Writer::new("test", IpVersion::V4);
    let mut v6 = Writer::new("test", IpVersion::V6);
    let record = asn(1, "x");
    assert!(matches!(
        v4.insert_network("192.0.2.1/24".parse().unwrap(), &record),
        Err(Error::HostBitsSet(..))
    ));
    assert!(matches!(
        v4.insert_network("2001:db8::/32".parse().unwrap(), &record),
        Err(Error::Ipv6InIpv4Database(_))
    ));
    assert!(matches!(
        v6.insert_network("::ffff:192.0.2.0/120".parse().unwrap(), &record),
        Err(Error::AliasedNetwork(_))
    ));
    assert!(matches!(
        v6.insert_range(ip("::ffff:0.0.0.0"), ip("::ffff:255.255.255.255"), &record),
        Err(Error::AliasedNetwork(_))
    ));
    assert!(matches!(
        v6.insert_range(ip("10.0.0.1"), ip("10.0.0.0"), &record),
        Err(Error::ReversedRange(..))
    ));
    // The whole space contains the alias but is not inside it: allowed.
    assert!(v6.insert_network("::/0".parse().unwrap(), &record).is_ok());
}
