//! The source population end to end: which sources count as validated (completed a TCP
//! handshake, so not spoofed).

// A test fails loudly on anything unexpected.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::Value;

#[test]
fn a_real_handshake_validates_its_client_and_only_it() {
    // SYN from 131.155.215.69, SYN-ACK back, ACK: the client proved it receives at its address.
    // One connection is no attack, so the server is named as the victim: the population is
    // then the traffic toward it.
    let json = report_json(
        &fixture_capture("fmt-sll-nanosecond-tcp-handshake.pcap"),
        &["--victim", "137.116.81.94"],
    );
    assert_eq!(json["sources"]["validated"], 1);
    let countries: Vec<(&str, u64, u64)> = json["countries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row["code"].as_str().unwrap(),
                row["sources"].as_u64().unwrap(),
                row["validated"].as_u64().unwrap(),
            )
        })
        .collect();
    // The server (US) is the victim, not a source.
    assert_eq!(countries, [("NL", 1, 1)]);
    assert_eq!(json["sources"]["all_senders"], 2);
    let validated_asn = json["asns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["asn"] == 1161)
        .unwrap();
    assert_eq!(validated_asn["validated"], 1);
}

/// SYNs answered by SYN-ACKs but never acknowledged (a SYN flood against a listening port, or
/// a spoofed one) validate nobody; neither do blind ACKs with a guessed number.
#[test]
fn syns_and_blind_acks_validate_nobody() {
    let mut writer = PcapWriter::new(false, false, false, 65_535, 101);
    let tcp = |src: [u8; 4], dst: [u8; 4], flags: u8, seq: u32, ack: u32| {
        let mut packet = vec![0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0];
        packet.extend_from_slice(&src);
        packet.extend_from_slice(&dst);
        packet.extend_from_slice(&[0x9c, 0x40, 0, 80]);
        packet.extend_from_slice(&seq.to_be_bytes());
        packet.extend_from_slice(&ack.to_be_bytes());
        packet.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
        packet
    };
    let victim = [5, 10, 0, 1];
    for host in 1..=20u8 {
        let attacker = [31, 40, 1, host];
        writer.record(1, 0, 40, &tcp(attacker, victim, 0x02, 1000, 0));
        writer.record(1, 1, 40, &tcp(victim, attacker, 0x12, 7000, 1001));
        writer.record(1, 2, 40, &tcp(attacker, victim, 0x10, 1001, 9999));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("syn-flood.pcap");
    std::fs::write(&path, &writer.bytes).unwrap();
    let json = report_json(&path, &[]);
    assert_eq!(json["sources"]["validated"], 0);
    for row in json["countries"].as_array().unwrap() {
        assert_eq!(row["validated"], 0, "{row}");
    }
}

/// A flood with a fresh random address per packet against a botnet-like population packed
/// into a few networks: the spoofing assessment tells them apart.
#[test]
fn random_sources_are_assessed_as_spoofed_and_clustered_ones_are_not() {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let dir = tempfile::tempdir().unwrap();
    let mut spoofed = PcapWriter::new(false, false, false, 65_535, 1);
    let mut botnet = PcapWriter::new(false, false, false, 65_535, 1);
    for index in 0..6_000u32 {
        let random = (next() as u32).to_be_bytes();
        spoofed.record(1, index, 50, &ethernet_udp_frame(random));
        // Bots in three /16s of three /8s, each sending twice.
        let block = [[5u8, 10], [31, 40], [77, 160]][index as usize % 3];
        let bot = [block[0], block[1], (index >> 8) as u8, index as u8];
        botnet.record(1, index, 50, &ethernet_udp_frame(bot));
        botnet.record(2, index, 50, &ethernet_udp_frame(bot));
    }
    for (name, writer, verdict) in [
        ("spoofed.pcap", spoofed, "likely"),
        ("botnet.pcap", botnet, "unlikely"),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, &writer.bytes).unwrap();
        let json = report_json(&path, &[]);
        let spoofing = &json["spoofing"];
        assert_eq!(spoofing["verdict"], verdict, "{name}: {spoofing}");
        assert!(
            spoofing["evidence"]
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["detail"].as_str().unwrap().ends_with('.'))
        );
    }
}

/// The real attacks of the shared corpus, when it is beside the repository: the spoofed SYN
/// flood is recognised, the reflection attacks (real reflector addresses) are not taken for
/// spoofing.
#[test]
fn real_attacks_get_the_right_spoofing_verdict() {
    let Some(shared) = shared_captures() else {
        eprintln!("shared capture corpus not found beside the repository; skipped");
        return;
    };
    for (file, verdict) in [
        ("ddos-tcp-syn-flood-spoofed.pcap", "likely"),
        ("ddos-tcp-synack-reflection.pcap", "unlikely"),
        (
            "ddos-snmp-amplification-classic-pcap-misnamed.pcapng",
            "unlikely",
        ),
        ("ddos-dns-rrsig-amplification-fragmented.pcap", "unlikely"),
    ] {
        let json = report_json(&shared.join(file), &[]);
        assert_eq!(
            json["spoofing"]["verdict"], verdict,
            "{file}: {}",
            json["spoofing"]
        );
    }
}

/// `--baseline`: each country and ASN gets its share among normal traffic's sources and the
/// lift over it.
#[test]
fn baseline_gives_shares_and_lift() {
    let dir = tempfile::tempdir().unwrap();
    let (country_db, asn_db) = write_known_databases(dir.path());
    let capture = |name: &str, sources: &[[u8; 4]]| {
        let mut writer = PcapWriter::new(false, false, false, 65_535, 1);
        for source in sources {
            writer.record(1, 0, 50, &ethernet_udp_frame(*source));
        }
        let path = dir.path().join(name);
        std::fs::write(&path, &writer.bytes).unwrap();
        path
    };
    // Attack: 6 German (Hetzner), 3 Ukrainian sources. Baseline: 8 German (4 Hetzner,
    // 4 Telekom), 2 unknown, no Ukrainian.
    let attack: Vec<[u8; 4]> = (1..=6)
        .map(|h| [5, 10, 0, h])
        .chain((1..=3).map(|h| [31, 40, 0, h]))
        .collect();
    let normal: Vec<[u8; 4]> = (1..=4)
        .map(|h| [5, 10, 1, h])
        .chain((1..=4).map(|h| [5, 10, 200, h]))
        .chain((1..=2).map(|h| [45, 0, 0, h]))
        .collect();
    let attack_path = capture("attack.pcap", &attack);
    let baseline_path = capture("normal.pcap", &normal);
    let output = whence()
        .args(["report", "--no-embedded-db", "--no-system-db", "--geoip-db"])
        .arg(&country_db)
        .arg("--geoip-db")
        .arg(&asn_db)
        .arg("--baseline")
        .arg(&baseline_path)
        .arg(&attack_path)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["baseline"]["sources"], 10);
    assert_eq!(
        json["baseline"]["inputs"][0]["path"],
        baseline_path.display().to_string()
    );
    assert_eq!(
        json["inputs"].as_array().unwrap().len(),
        1,
        "the baseline is not an attack input"
    );
    let country = |code: &str| {
        json["countries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|row| row["code"] == code)
            .unwrap()
            .clone()
    };
    let germany = country("DE");
    assert!((germany["baseline_share"].as_f64().unwrap() - 0.8).abs() < 1e-12);
    assert!((germany["lift"].as_f64().unwrap() - (6.0 / 9.0) / 0.8).abs() < 1e-12);
    let ukraine = country("UA");
    assert_eq!(ukraine["baseline_share"], 0.0);
    assert_eq!(
        ukraine["lift"],
        Value::Null,
        "absent from the baseline: no lift"
    );
    let hetzner = json["asns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["asn"] == 24940)
        .unwrap();
    assert!((hetzner["baseline_share"].as_f64().unwrap() - 0.4).abs() < 1e-12);
    assert!((hetzner["lift"].as_f64().unwrap() - (6.0 / 9.0) / 0.4).abs() < 1e-12);

    // Without a baseline the fields are null.
    let output = whence()
        .args(["report", "--no-system-db"])
        .arg(&attack_path)
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["baseline"], Value::Null);
    assert_eq!(json["countries"][0]["lift"], Value::Null);
}

/// Past `--max-sources`, new sources are counted by sketches: the distinct count becomes an
/// estimate (HyperLogLog, about 0.8 % error) and the report says it is not exact.
#[test]
fn past_the_source_cap_counts_are_estimated_and_marked() {
    let sample =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/spoofed-syn-flood.pcap");
    let exact = report_json(&sample, &[]);
    assert_eq!(exact["sources"]["exact"], true);
    assert_eq!(exact["sources"]["unique"], 11_240);
    assert!(exact["sources"]["beyond_cap"].is_null());

    let capped = report_json(&sample, &["--max-sources", "2000"]);
    let sources = &capped["sources"];
    assert_eq!(sources["exact"], false);
    assert_eq!(sources["all_senders"], 2_000, "the table keeps the cap");
    let beyond = &sources["beyond_cap"];
    let estimated = beyond["estimated_sources"].as_f64().unwrap();
    // 9,240 sources past the cap; 3 standard errors of 0.8 %.
    assert!(
        (estimated - 9_240.0).abs() <= 9_240.0 * 0.025,
        "{estimated}"
    );
    let unique = sources["unique"].as_f64().unwrap();
    assert!((unique - 11_240.0).abs() <= 11_240.0 * 0.025, "{unique}");
    // Every packet is counted once, in the table or beyond it.
    let beyond_packets = beyond["packets"].as_u64().unwrap();
    assert!(
        beyond_packets > 9_000 && beyond_packets < 12_000,
        "{beyond_packets}"
    );
    let busiest = beyond["busiest"].as_array().unwrap();
    assert_eq!(busiest.len(), 20);
    for hitter in busiest {
        assert!(hitter["packets"].as_u64().unwrap() >= hitter["error"].as_u64().unwrap());
    }
}
