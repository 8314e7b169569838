//! Timeline and waves end to end: two floods a day apart with quiet traffic between, from
//! different countries, against databases with known contents.

// A test fails loudly on anything unexpected.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::Value;

#[test]
fn two_floods_a_day_apart_are_two_waves_with_their_own_origins() {
    let dir = tempfile::tempdir().unwrap();
    let (country_db, asn_db) = write_known_databases(dir.path());
    let mut writer = PcapWriter::new(false, false, false, 65_535, 1);
    let start = 1_741_611_600u32; // 2025-03-10T13:00:00Z
    // Wave 1: 20 s at 5,000 packets/s from German sources (5.10.x.y).
    for second in 0..20u32 {
        for packet in 0..5_000u32 {
            let source = [5, 10, (packet % 200) as u8, (packet / 200) as u8];
            writer.record(
                start + second,
                packet * 200,
                60,
                &ethernet_udp_frame(source),
            );
        }
    }
    // Quiet benign traffic every minute for a day.
    for minute in 1..(24 * 60u32) {
        writer.record(
            start + 20 + minute * 60,
            0,
            60,
            &ethernet_udp_frame([45, 0, 0, 1]),
        );
    }
    // Wave 2, a day later: 10 s at 3,000 packets/s from Ukrainian sources (31.40.x.y).
    let second_start = start + 86_400;
    for second in 0..10u32 {
        for packet in 0..3_000u32 {
            let source = [31, 40, (packet % 100) as u8, (packet / 100) as u8];
            writer.record(
                second_start + second,
                packet * 300,
                60,
                &ethernet_udp_frame(source),
            );
        }
    }
    let capture = dir.path().join("waves.pcap");
    std::fs::write(&capture, &writer.bytes).unwrap();
    let output = whence()
        .args([
            "report",
            "--no-embedded-db",
            "--no-system-db",
            "--tz",
            "Europe/Berlin",
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

    let timeline = &json["timeline"];
    assert_eq!(timeline["timezone"], "Europe/Berlin");
    // A day and 10 s: 300 s buckets give 289 of them, at most 300.
    assert_eq!(timeline["bucket_seconds"], 300);
    let buckets = timeline["buckets"].as_array().unwrap();
    let packets: u64 = buckets
        .iter()
        .map(|bucket| bucket["packets"].as_u64().unwrap())
        .sum();
    assert_eq!(packets, json["totals"]["packets"].as_u64().unwrap());
    assert_eq!(buckets[0]["start"], "2025-03-10T13:00:00Z");

    let waves = json["waves"].as_array().unwrap();
    assert_eq!(waves.len(), 2, "{}", json["waves"]);
    assert_eq!(waves[0]["start"], "2025-03-10T13:00:00Z");
    // From the first to the last attack packet.
    assert_eq!(waves[0]["end"], "2025-03-10T13:00:19.999800Z");
    assert_eq!(waves[0]["packets"], 100_000);
    assert_eq!(waves[0]["peak_pps"], 5_000.0);
    assert_eq!(waves[0]["peak_bps"], 5_000.0 * 60.0 * 8.0);
    assert_eq!(waves[0]["sources"], 5_000);
    assert_eq!(waves[0]["top_countries"][0]["code"], "DE");
    assert_eq!(
        waves[0]["bpf"], "dst host 192.0.2.1",
        "all traffic goes to one victim"
    );
    assert_eq!(waves[0]["top_countries"][0]["share_sources"], 1.0);
    assert_eq!(waves[1]["start"], "2025-03-11T13:00:00Z");
    // The last packet: 9 s plus 2,999 x 300 us.
    assert!((waves[1]["duration_s"].as_f64().unwrap() - 9.8997).abs() < 1e-9);
    assert_eq!(waves[1]["packets"], 30_000);
    assert_eq!(waves[1]["sources"], 3_000);
    assert_eq!(waves[1]["top_countries"][0]["code"], "UA");
}

#[test]
fn an_unknown_time_zone_is_refused_before_reading() {
    let output = whence()
        .args(["report", "--tz", "Mars/Olympus"])
        .arg(fixture_capture("fmt-sll2-tls.pcap"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("unknown time zone `Mars/Olympus`"));
    assert!(output.stdout.is_empty());
}
