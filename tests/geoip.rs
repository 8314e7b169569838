//! GeoIP and ASN enrichment end to end: MaxMind's test databases through the same code path as
//! real use, hostile databases, the embedded defaults, discovery, and origin statistics in the
//! report.

// A test fails loudly on anything unexpected.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::*;
use serde_json::{Value, json};

fn test_db(name: &str) -> PathBuf {
    fixtures().join("geoip/maxmind-test-data").join(name)
}

/// `whence geoip lookup --json` with only the given databases.
fn lookup(databases: &[PathBuf], addresses: &[&str]) -> (std::process::Output, Value) {
    let mut command = whence();
    command.args([
        "geoip",
        "lookup",
        "--json",
        "--no-embedded-db",
        "--no-system-db",
    ]);
    for database in databases {
        command.arg("--geoip-db").arg(database);
    }
    let output = command
        .args(addresses)
        .timeout(Duration::from_secs(20))
        .output()
        .unwrap();
    let json = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    (output, json)
}

/// `whence geoip lookup --json --no-system-db` with the embedded databases; requires success.
fn embedded_lookup(addresses: &[&str]) -> Value {
    let output = whence()
        .args(["geoip", "lookup", "--json", "--no-system-db"])
        .args(addresses)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn maxmind_test_databases_answer_the_documented_values() {
    let (output, json) = lookup(
        &[
            test_db("GeoIP2-Country-Test.mmdb"),
            test_db("GeoLite2-ASN-Test.mmdb"),
            test_db("GeoIP2-Anonymous-IP-Test.mmdb"),
        ],
        &[
            "81.2.69.160",
            "89.160.20.112",
            "2001:218::1",
            "1.128.0.0",
            "2600:6000::1",
            "81.2.69.0",
            "1.2.0.1",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let roles: Vec<&str> = json["databases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["country", "asn", "anonymizer"]);
    let address = |index: usize| &json["addresses"][index];
    assert_eq!(address(0)["country"], "GB");
    assert_eq!(
        address(0)["registered_country"],
        "US",
        "located and registered country differ"
    );
    assert_eq!(address(0)["country_name"], "United Kingdom");
    assert_eq!(address(1)["country"], "SE");
    assert_eq!(address(1)["registered_country"], "DE");
    assert_eq!(address(2)["country"], "JP");
    assert_eq!(address(3)["asn"], 1221);
    assert_eq!(address(3)["as_org"], "Telstra Pty Ltd");
    assert_eq!(address(4)["asn"], 237);
    assert_eq!(address(4)["as_org"], "Merit Network Inc.");
    assert_eq!(
        address(5)["anonymizer"],
        json!({"anonymous": true, "vpn": true, "hosting": true, "public_proxy": true, "residential_proxy": true, "tor_exit": true})
    );
    assert_eq!(address(6)["anonymizer"]["vpn"], true);
    assert_eq!(address(6)["anonymizer"]["tor_exit"], false);
}

#[test]
fn city_and_isp_databases_fill_the_country_and_asn_roles() {
    let (output, json) = lookup(
        &[
            test_db("GeoIP2-City-Test.mmdb"),
            test_db("GeoIP2-ISP-Test.mmdb"),
        ],
        &["2.125.160.216", "149.101.100.0"],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(json["addresses"][0]["country"], "GB");
    assert_eq!(json["addresses"][0]["registered_country"], "FR");
    assert_eq!(json["addresses"][1]["asn"], 6167);
    assert_eq!(json["addresses"][1]["as_org"], "CELLCO-PART");
}

#[test]
fn a_database_without_usable_records_is_a_clear_error() {
    let path = test_db("GeoIP2-Connection-Type-Test.mmdb");
    let (output, _) = lookup(std::slice::from_ref(&path), &["1.0.0.1"]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(
        message.contains("GeoIP2-Connection-Type") && message.contains("expected"),
        "{message}"
    );
}

#[test]
fn hostile_databases_fail_cleanly_without_crash_or_hang() {
    let mut directory: Vec<PathBuf> = std::fs::read_dir(fixtures().join("geoip/maxmind-bad-data"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "mmdb"))
        .collect();
    directory.push(test_db("GeoIP2-City-Test-Broken-Double-Format.mmdb"));
    directory.push(test_db("GeoIP2-City-Test-Invalid-Node-Count.mmdb"));
    let dir = tempfile::tempdir().unwrap();
    let truncated = dir.path().join("truncated.mmdb");
    let real = std::fs::read(test_db("GeoIP2-Country-Test.mmdb")).unwrap();
    std::fs::write(&truncated, &real[..real.len() / 2]).unwrap();
    directory.push(truncated);
    let random = dir.path().join("random.mmdb");
    std::fs::write(
        &random,
        (0..5000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect::<Vec<u8>>(),
    )
    .unwrap();
    directory.push(random);
    assert!(directory.len() >= 25);
    for path in directory {
        let (output, _) = lookup(
            std::slice::from_ref(&path),
            &["1.1.1.1", "81.2.69.160", "2001:218::1"],
        );
        let message = stderr(&output);
        assert!(
            !message.contains("panicked"),
            "{}: {message}",
            path.display()
        );
        match output.status.code() {
            // Refused at opening: one line naming the file.
            Some(2) => {
                assert_eq!(message.lines().count(), 1, "{message}");
                assert!(message.contains(&path.display().to_string()), "{message}");
            }
            // Opened (its metadata and tree are sound enough); lookups must not have crashed.
            Some(0) => {}
            other => panic!("{}: exit {other:?}: {message}", path.display()),
        }
    }
}

/// A database of `nodes` search-tree nodes in which every node points twice to the next one:
/// a few hundred bytes that describe 2^nodes networks (every IPv4 address as its own /32), the
/// last node's records pointing to `leaf`: a data record, or none. Built by writing a real
/// database with one /32 (whose path is exactly 32 nodes) and rewriting its tree.
fn shared_node_database(database_type: &str, with_data: bool) -> Vec<u8> {
    use whence_tools::mmdb::{IpVersion, RecordSize, Value as Record, Writer};
    let mut writer = Writer::new(database_type, IpVersion::V4);
    writer.set_record_size(RecordSize::Bits24);
    writer
        .insert_network(
            "0.0.0.0/32".parse().unwrap(),
            &Record::map([("country", Record::map([("iso_code", "DE")]))]),
        )
        .unwrap();
    let mut bytes = writer.to_bytes().unwrap();
    let nodes = maxminddb::Reader::from_source(&bytes[..])
        .unwrap()
        .metadata()
        .node_count as usize;
    assert_eq!(nodes, 32);
    let record = |bytes: &[u8], at: usize| -> u32 {
        u32::from_be_bytes([0, bytes[at], bytes[at + 1], bytes[at + 2]])
    };
    let data = (0..nodes * 2)
        .map(|index| record(&bytes, index * 3))
        .find(|&value| value as usize > nodes)
        .unwrap();
    let leaf = if with_data { data } else { nodes as u32 };
    for node in 0..nodes {
        let next = if node + 1 < nodes {
            node as u32 + 1
        } else {
            leaf
        };
        let raw = next.to_be_bytes();
        bytes[node * 6..node * 6 + 3].copy_from_slice(&raw[1..]);
        bytes[node * 6 + 3..node * 6 + 6].copy_from_slice(&raw[1..]);
    }
    bytes
}

/// Every hostile database, given to `report` with `--geoip-db`: the bad-data files, the two
/// broken MaxMind test files, a good database cut at many lengths, with single bits flipped
/// all over, random bytes, and search trees whose nodes are shared (2^32 paths from 32 nodes).
/// Each gives a clear one-line error naming the file (exit 2) or a report (exit 0); none
/// crashes, and none takes long.
#[test]
fn hostile_databases_given_to_report_give_an_error_naming_them_or_a_report() {
    let dir = tempfile::tempdir().unwrap();
    let mut databases: Vec<PathBuf> = std::fs::read_dir(fixtures().join("geoip/maxmind-bad-data"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "mmdb"))
        .collect();
    databases.sort();
    databases.push(test_db("GeoIP2-City-Test-Broken-Double-Format.mmdb"));
    databases.push(test_db("GeoIP2-City-Test-Invalid-Node-Count.mmdb"));
    let good = std::fs::read(test_db("GeoLite2-Country-Test.mmdb")).unwrap();
    let mut write = |name: String, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        databases.push(path);
    };
    for cut in [
        1,
        16,
        100,
        good.len() / 3,
        good.len() / 2,
        good.len() - 200,
        good.len() - 1,
    ] {
        write(format!("cut-{cut}.mmdb"), &good[..cut]);
    }
    // A linear congruential generator (Knuth's MMIX constants): reproducible positions.
    let mut state: u64 = 0x5eed;
    let mut next = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize
    };
    for flip in 0..40 {
        let mut flipped = good.clone();
        // Half in the search tree and data, half in the metadata at the end.
        let at = if flip % 2 == 0 {
            next() % good.len()
        } else {
            good.len() - 1 - next() % 400
        };
        flipped[at] ^= 1 << (next() % 8);
        write(format!("flip-{flip}-at-{at}.mmdb"), &flipped);
    }
    let random: Vec<u8> = (0..20_000).map(|_| next() as u8).collect();
    write("random.mmdb".into(), &random);
    let shared_data = shared_node_database("GeoIP2-Country", true);
    write("shared-nodes-data.mmdb".into(), &shared_data);
    let shared_empty = shared_node_database("Unknown-Type", false);
    write("shared-nodes-empty.mmdb".into(), &shared_empty);
    let capture = fixture_capture("fmt-null-loopback-ntp.pcap");
    let mut opened = 0;
    for path in &databases {
        let output = whence()
            .args(["report", "--no-system-db", "--format", "json", "--geoip-db"])
            .arg(path)
            .arg(&capture)
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap();
        let message = stderr(&output);
        let name = path.display().to_string();
        assert!(!message.contains("panicked"), "{name}: {message}");
        match output.status.code() {
            Some(2) => {
                assert_eq!(message.lines().count(), 1, "{name}: {message}");
                assert!(message.contains(&name), "{message}");
            }
            Some(0) => {
                opened += 1;
                let report: Value = serde_json::from_slice(&output.stdout).unwrap();
                assert_eq!(report["totals"]["packets"], 1, "{name}");
                if report["geoip"]["lookup_errors"] != 0 {
                    assert!(message.contains(&name), "{name}: {message}");
                }
            }
            other => panic!("{name}: exit {other:?} (killed, or timed out): {message}"),
        }
        if name.contains("shared-nodes") {
            assert_eq!(output.status.code(), Some(2), "{name}");
            assert!(message.contains("nodes shared"), "{message}");
        }
    }
    // Some flips land in unused bytes or in records no lookup here reaches.
    assert!(opened > 0 && opened < databases.len(), "{opened}");
}

#[test]
fn embedded_defaults_know_well_known_resolvers() {
    let json = embedded_lookup(&["8.8.8.8", "1.1.1.1", "9.9.9.9", "2001:4860:4860::8888"]);
    let sources: Vec<&str> = json["databases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources, ["embedded", "embedded"]);
    let address = |index: usize| &json["addresses"][index];
    assert_eq!(address(0)["asn"], 15169);
    assert_eq!(address(0)["as_org"], "Google LLC");
    assert_eq!(address(0)["country"], "US");
    assert_eq!(address(1)["asn"], 13335);
    assert_eq!(address(2)["asn"], 19281);
    assert_eq!(address(3)["asn"], 15169);
    assert_eq!(address(3)["country"], "US");
}

#[test]
fn bogons_get_a_class_and_no_country() {
    let json = embedded_lookup(&[
        "10.1.2.3",
        "192.0.2.7",
        "100.64.0.1",
        "127.0.0.1",
        "fe80::1",
        "224.0.0.5",
    ]);
    let classes: Vec<&str> = json["addresses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["bogon"].as_str().unwrap())
        .collect();
    assert_eq!(
        classes,
        [
            "private",
            "documentation",
            "shared_cgnat",
            "loopback",
            "link_local",
            "multicast"
        ]
    );
    for address in json["addresses"].as_array().unwrap() {
        assert_eq!(address["country"], Value::Null);
        assert_eq!(address["asn"], Value::Null);
    }
}

#[test]
fn text_lookup_is_readable_and_escapes_nothing_it_should_not() {
    let output = whence()
        .args(["geoip", "lookup", "--no-system-db", "8.8.8.8", "10.0.0.1"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("country      US (United States)"), "{text}");
    assert!(text.contains("asn          AS15169 Google LLC"), "{text}");
    assert!(text.contains("bogon        private"), "{text}");
    let output = whence()
        .args(["geoip", "lookup", "--no-system-db", "not-an-ip"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("not an IP address: not-an-ip"));
}

#[test]
fn databases_are_discovered_in_the_environment_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        test_db("GeoLite2-ASN-Test.mmdb"),
        dir.path().join("GeoLite2-ASN.mmdb"),
    )
    .unwrap();
    std::fs::write(dir.path().join("broken.mmdb"), b"not a database").unwrap();
    let output = whence()
        .env("WHENCE_GEOIP_DIR", dir.path())
        .args(["geoip", "lookup", "--json", "1.128.0.0"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        json["addresses"][0]["asn"], 1221,
        "the discovered ASN database wins over the embedded one"
    );
    assert_eq!(json["databases"][0]["role"], "country");
    assert_eq!(json["databases"][0]["source"], "embedded");
    assert!(
        json["databases"][1]["source"]
            .as_str()
            .unwrap()
            .ends_with("GeoLite2-ASN.mmdb")
    );

    let output = whence()
        .env("WHENCE_GEOIP_DIR", dir.path())
        .args(["geoip", "lookup", "--json", "--no-system-db", "1.128.0.0"])
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        json["addresses"][0]["asn"], 1221,
        "1.128.0.0 is Telstra in the embedded data too"
    );
    assert_eq!(json["databases"][1]["source"], "embedded");
}

#[test]
fn report_on_the_sample_fills_origin_statistics() {
    let sample =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples/dns-response-fragments-src53.pcap");
    let output = whence()
        .args(["report", "--no-system-db"])
        .arg(&sample)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let sources = &json["sources"];
    // 44 of the 45 addresses write to the victim; the 45th only to two other addresses.
    assert_eq!(sources["unique"], 44);
    assert_eq!(sources["unique_ipv4"], 44);
    assert_eq!(sources["all_senders"], 45);
    let countries = json["countries"].as_array().unwrap();
    let asns = json["asns"].as_array().unwrap();
    assert!(!countries.is_empty() && !asns.is_empty());
    let sum = |rows: &[Value], field: &str| {
        rows.iter()
            .map(|row| row[field].as_u64().unwrap())
            .sum::<u64>()
    };
    let located = 44 - sources["bogons"]["sources"].as_u64().unwrap();
    assert_eq!(sum(countries, "sources"), located);
    assert_eq!(
        sum(asns, "sources") + sources["without_asn"].as_u64().unwrap(),
        located
    );
    let shares: f64 = countries
        .iter()
        .map(|row| row["share_sources"].as_f64().unwrap())
        .sum();
    assert!((shares - 1.0).abs() < 1e-9);
    let top = &sources["top"][0];
    assert!(
        top["country"].is_string() && top["asn"].is_u64() && top["as_org"].is_string(),
        "{top}"
    );
    let databases = json["geoip"]["databases"].as_array().unwrap();
    assert_eq!(databases.len(), 2);
    for database in databases {
        assert_eq!(database["source"], "embedded");
        assert!(
            database["attribution"]
                .as_str()
                .unwrap()
                .contains("CC BY 4.0")
        );
        assert!(database["build_date"].as_str().unwrap().starts_with("20"));
        assert!(database["days_build_to_first_packet"].is_i64());
    }
}

/// A capture whose origins are known exactly, against small databases written by the project's
/// own MaxMind DB writer, so the counts do not depend on the real data's contents.
#[test]
fn origin_statistics_are_exact_on_known_databases() {
    let dir = tempfile::tempdir().unwrap();
    let (country_db, asn_db) = write_known_databases(dir.path());

    // DE: 4 Hetzner sources x 10 packets, 2 Telekom sources x 10; UA: 3 sources x 1 packet;
    // FR: 1 IPv6 source x 2; unknown: 1 source x 1; bogons: 2 sources x 5.
    let mut writer = PcapWriter::new(false, false, false, 65_535, 1);
    let mut time = 1_741_611_600;
    let mut send = |frame: Vec<u8>, count: usize| {
        for _ in 0..count {
            time += 1;
            writer.record(time, 0, frame.len() as u32, &frame);
        }
    };
    for host in 1..=4 {
        send(ethernet_udp_frame([5, 10, 0, host]), 10);
    }
    for host in 1..=2 {
        send(ethernet_udp_frame([5, 10, 200, host]), 10);
    }
    for host in 1..=3 {
        send(ethernet_udp_frame([31, 40, 1, host]), 1);
    }
    send(ethernet_udp6_frame("2a01:100::7".parse().unwrap()), 2);
    send(ethernet_udp_frame([45, 0, 0, 1]), 1);
    send(ethernet_udp_frame([10, 0, 0, 1]), 5);
    send(ethernet_udp_frame([192, 168, 1, 1]), 5);
    let capture = dir.path().join("known.pcap");
    std::fs::write(&capture, &writer.bytes).unwrap();

    let output = whence()
        .args([
            "report",
            "--no-embedded-db",
            "--no-system-db",
            "--top",
            "3",
            // The IPv6 source writes to another address: name both victims so it counts.
            "--victim",
            "192.0.2.1",
            "--victim",
            "2001:db8::1",
            "--geoip-db",
        ])
        .arg(&country_db)
        .arg("--geoip-db")
        .arg(&asn_db)
        .arg(&capture)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let sources = &json["sources"];
    assert_eq!(sources["unique"], 13);
    assert_eq!(sources["unique_ipv6"], 1);
    assert_eq!(sources["unique_countries"], 3);
    assert_eq!(sources["unique_asns"], 3);
    assert_eq!(sources["without_asn"], 2, "the FR and the unknown source");
    assert_eq!(
        sources["bogons"],
        json!({"sources": 2, "packets": 10, "classes": {"private": 2}})
    );
    // Located population: 11 sources, 66 packets.
    let rows: Vec<(String, u64, u64)> = json["countries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row["code"].as_str().unwrap().to_string(),
                row["sources"].as_u64().unwrap(),
                row["packets"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("DE".into(), 6, 60),
            ("UA".into(), 3, 3),
            ("FR".into(), 1, 2),
            ("ZZ".into(), 1, 1)
        ]
    );
    let germany = &json["countries"][0];
    assert_eq!(germany["name"], "Germany");
    assert_eq!(germany["continent"], "Europe");
    assert!((germany["share_sources"].as_f64().unwrap() - 6.0 / 11.0).abs() < 1e-12);
    assert!((germany["share_packets"].as_f64().unwrap() - 60.0 / 66.0).abs() < 1e-12);
    assert_eq!(germany["baseline_share"], Value::Null);
    let hetzner = &json["asns"][0];
    assert_eq!(hetzner["asn"], 24940);
    assert_eq!(hetzner["category"], "hosting");
    assert_eq!(hetzner["country"], "DE");
    assert_eq!(hetzner["sources"], 4);
    assert_eq!(
        json["asns"][1]["asn"], 64500,
        "3 sources outrank Telekom's 2"
    );
    assert_eq!(json["asns"][1]["country"], "UA");
    let top = sources["top"].as_array().unwrap();
    assert_eq!(top.len(), 3);
    assert_eq!(top[0]["ip"], "5.10.0.1");
    assert_eq!(top[0]["packets"], 10);
    assert_eq!(top[0]["country"], "DE");
    assert_eq!(top[0]["as_org"], "Hetzner Online GmbH");
    assert_eq!(top[0]["flags"], json!(["network:hosting"]));
    assert_eq!(top[0]["ttl_values"], json!([64]));
    let databases = json["geoip"]["databases"].as_array().unwrap();
    assert_eq!(databases[0]["record_schema"], "geoip2_country");
    assert_eq!(databases[1]["record_schema"], "geolite2_asn");
    assert!(
        databases[1]["attribution"]
            .as_str()
            .unwrap()
            .contains("GeoLite2 data created by MaxMind")
    );
}

/// IPinfo's free files carry country and ASN in one record: one database fills both roles.
#[test]
fn ipinfo_style_database_fills_country_and_asn() {
    use whence_tools::mmdb::{IpVersion, Value as Record, Writer};
    let mut writer = Writer::new("ipinfo lite.mmdb", IpVersion::V6);
    let record = Record::map([
        ("country_code", Record::from("NL")),
        ("country", Record::from("Netherlands")),
        ("asn", Record::from("AS1136")),
        ("as_name", Record::from("KPN B.V.")),
    ]);
    writer
        .insert_network("77.160.0.0/12".parse().unwrap(), &record)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ipinfo.mmdb");
    std::fs::write(&path, writer.to_bytes().unwrap()).unwrap();
    let (output, json) = lookup(std::slice::from_ref(&path), &["77.160.1.1"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let roles: Vec<&str> = json["databases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["country", "asn"]);
    assert_eq!(json["addresses"][0]["country"], "NL");
    assert_eq!(json["addresses"][0]["asn"], 1136);
    assert_eq!(json["addresses"][0]["as_org"], "KPN B.V.");
}
