//! End-to-end runs of `whence report` on crafted captures covering each container feature
//! and each kind of broken input the public corpus lacks.

// A test fails loudly on anything unexpected.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::path::Path;

use common::*;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

fn write_temp(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Three UDP packets at 1.5 s, 2.25 s and 3 s past 2025-03-10T13:00:00Z.
fn three_packet_pcap(big_endian: bool, nanosecond: bool, modified: bool) -> Vec<u8> {
    let base = 1_741_611_600;
    let per_second = if nanosecond { 1_000_000_000 } else { 1_000_000 };
    let mut writer = PcapWriter::new(big_endian, nanosecond, modified, 65_535, 1);
    for (index, (seconds, quarter)) in [(1, 2), (2, 1), (3, 0)].into_iter().enumerate() {
        let frame = ethernet_udp_frame([198, 51, 100, index as u8 + 1]);
        writer.record(
            base + seconds,
            quarter * per_second / 4,
            frame.len() as u32 + 100,
            &frame,
        );
    }
    writer.bytes
}

#[test]
fn every_legacy_pcap_variant_reads_the_same_packets() {
    let dir = tempfile::tempdir().unwrap();
    for (big_endian, nanosecond, modified) in [
        (false, false, false),
        (true, false, false),
        (false, true, false),
        (true, true, false),
        (false, false, true),
        (true, false, true),
    ] {
        let bytes = three_packet_pcap(big_endian, nanosecond, modified);
        let path = write_temp(dir.path(), "variant.pcap", &bytes);
        let (output, code, json) = report_on(&path);
        let label = format!("be={big_endian} ns={nanosecond} modified={modified}");
        assert_eq!(code, 0, "{label}: {}", stderr(&output));
        assert_eq!(json["totals"]["packets"], 3, "{label}");
        assert_eq!(json["totals"]["ipv4_packets"], 3, "{label}");
        assert_eq!(json["totals"]["bytes"], 3 * (50 + 100), "{label}");
        assert_eq!(
            json["totals"]["first_seen"], "2025-03-10T13:00:01.500Z",
            "{label}"
        );
        assert_eq!(
            json["totals"]["last_seen"], "2025-03-10T13:00:03Z",
            "{label}"
        );
        assert_eq!(json["totals"]["duration_s"], 1.5, "{label}");
        let input = &json["inputs"][0];
        assert_eq!(input["format"], "pcap", "{label}");
        assert_eq!(input["link_types"], json!(["ethernet"]), "{label}");
        assert_eq!(
            input["sha256"],
            hex::encode(Sha256::digest(&bytes)),
            "{label}"
        );
        assert_eq!(input["bytes"], bytes.len(), "{label}");
        assert_eq!(input["warnings"], json!([]), "{label}");
    }
}

/// One pcapng holding what other readers trip over: two interfaces with different link types,
/// snaplens and timestamp resolutions/offsets, Simple and obsolete Packet Blocks, an unknown
/// block, interface statistics, and a second section in the other byte order.
fn feature_rich_pcapng() -> Vec<u8> {
    let mut writer = PcapngWriter::new(false);
    writer
        .interface(1, 65_535, None, None)
        // Raw IP, snaplen 30, nanosecond ticks, +100 s offset.
        .interface(101, 30, Some(9), Some(100))
        .enhanced_packet(
            0,
            1_741_611_600_500_000,
            150,
            &ethernet_udp_frame([203, 0, 113, 1]),
        )
        .enhanced_packet(
            1,
            1_741_611_500_000_000_007,
            36,
            &raw_ipv4_udp([203, 0, 113, 2])[..30],
        )
        .block(0x0000_0bad, b"vendor block nobody knows")
        .simple_packet(50, &ethernet_udp_frame([203, 0, 113, 3]))
        .obsolete_packet(
            0,
            1_741_611_601_000_000,
            50,
            &ethernet_udp_frame([203, 0, 113, 4]),
        )
        .interface_statistics(0, 5)
        .interface_statistics(0, 7)
        .interface_statistics(1, 2);
    // A second section, big-endian, with its own interface 0 (LINKTYPE_IPV6 would not fit an
    // IPv4 packet, so raw IP again) and its own drop counter.
    writer
        .section_header(true)
        .interface(228, 0, Some(0x80 | 10), None)
        .enhanced_packet(
            0,
            1_783_476_813_824, /* 1741676576 s in 2^-10 ticks */
            36,
            &raw_ipv4_udp([203, 0, 113, 5]),
        )
        .interface_statistics(0, 10);
    writer.bytes
}

#[test]
fn pcapng_sections_interfaces_and_block_kinds() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_temp(dir.path(), "features.pcapng", &feature_rich_pcapng());
    let (output, code, json) = report_on(&path);
    assert_eq!(code, 0, "{}", stderr(&output));
    let input = &json["inputs"][0];
    assert_eq!(input["format"], "pcapng");
    assert_eq!(input["link_types"], json!(["ethernet", "raw", "ipv4"]));
    assert_eq!(input["packets"], 5, "EPB x3, SPB, obsolete PB");
    assert_eq!(
        json["totals"]["ipv4_packets"], 5,
        "the raw-IP packet clipped to 30 bytes still has its IP header"
    );
    // Drop counters are cumulative per interface: last of interface 0 (7) + interface 1 (2)
    // + the second section's interface 0 (10).
    assert_eq!(input["interface_drops"], 19);
    // Interface 1 counts nanoseconds and adds 100 s: 1741611500.000000007 + 100.
    assert_eq!(
        json["totals"]["first_seen"],
        "2025-03-10T13:00:00.000000007Z"
    );
    // The big-endian section counts 2^-10 s ticks.
    assert_eq!(json["totals"]["last_seen"], "2025-03-11T07:02:56Z");
    let warnings = input["warnings"].to_string();
    assert!(
        !warnings.contains("snaplen"),
        "clipping to the snaplen is the writer's doing, not an anomaly: {warnings}"
    );
}

#[test]
fn compressed_captures_are_recognised_by_content_not_name() {
    let plain = three_packet_pcap(false, false, false);
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gzip.write_all(&plain).unwrap();
    let mut xz = xz2::write::XzEncoder::new(Vec::new(), 6);
    xz.write_all(&plain).unwrap();
    let mut lz4 = lz4_flex::frame::FrameEncoder::new(Vec::new());
    lz4.write_all(&plain).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (compression, bytes) in [
        ("gzip", gzip.finish().unwrap()),
        ("zstd", zstd::encode_all(&plain[..], 3).unwrap()),
        ("xz", xz.finish().unwrap()),
        ("lz4", lz4.finish().unwrap()),
    ] {
        // A misleading name: the content decides.
        let path = write_temp(dir.path(), "capture.pcap", &bytes);
        let (output, code, json) = report_on(&path);
        assert_eq!(code, 0, "{compression}: {}", stderr(&output));
        let input = &json["inputs"][0];
        assert_eq!(input["compression"], compression);
        assert_eq!(input["format"], "pcap");
        assert_eq!(input["packets"], 3, "{compression}");
        assert_eq!(
            input["sha256"],
            hex::encode(Sha256::digest(&bytes)),
            "hash of the stored bytes"
        );
        assert_eq!(input["bytes"], bytes.len());
    }
}

#[test]
fn standard_input_is_read_with_a_dash() {
    let bytes = three_packet_pcap(false, true, false);
    let output = whence()
        .args(["report", "-"])
        .write_stdin(bytes.clone())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["inputs"][0]["path"], "-");
    assert_eq!(json["inputs"][0]["packets"], 3);
    assert_eq!(
        json["inputs"][0]["sha256"],
        hex::encode(Sha256::digest(&bytes))
    );
}

#[test]
fn truncated_last_record_keeps_what_was_read() {
    let mut bytes = three_packet_pcap(false, false, false);
    let full_len = bytes.len();
    bytes.truncate(full_len - 10);
    let dir = tempfile::tempdir().unwrap();
    let path = write_temp(dir.path(), "cut.pcap", &bytes);
    let (output, code, json) = report_on(&path);
    assert_eq!(
        code, 0,
        "a cut tail is normal for a capture copied while running"
    );
    let input = &json["inputs"][0];
    assert_eq!(input["packets"], 2);
    assert_eq!(input["truncated"], true);
    assert_eq!(input["error"], Value::Null);
    // Third record starts after the 24-byte header and two 16+50-byte records.
    let record_offset = 24 + 2 * 66;
    assert!(
        input["warnings"][0]
            .as_str()
            .unwrap()
            .contains(&format!("byte offset {record_offset}"))
    );
    assert!(stderr(&output).contains("cut.pcap"));
}

#[test]
fn absurd_captured_length_stops_the_input_with_its_offset() {
    let mut writer = PcapWriter::new(false, false, false, 65_535, 1);
    let frame = ethernet_udp_frame([198, 51, 100, 1]);
    writer.record(1, 0, 50, &frame);
    writer.record_claiming(2, 0, 3_000_000_000, 60, &frame);
    let dir = tempfile::tempdir().unwrap();
    let path = write_temp(dir.path(), "absurd.pcap", &writer.bytes);
    let (output, code, json) = report_on(&path);
    assert_eq!(code, 1);
    let error = json["inputs"][0]["error"].as_str().unwrap();
    assert!(
        error.contains("3000000000") && error.contains("byte offset 90"),
        "{error}"
    );
    assert_eq!(
        json["totals"]["packets"], 1,
        "the packet before the damage is kept"
    );
    let message = stderr(&output);
    assert!(
        message.contains("absurd.pcap") && message.contains("byte offset 90"),
        "{message}"
    );
}

#[test]
fn captured_length_over_the_snaplen_is_clipped_with_a_warning() {
    let mut writer = PcapWriter::new(false, false, false, 40, 1);
    writer.record(1, 0, 50, &ethernet_udp_frame([198, 51, 100, 1]));
    let dir = tempfile::tempdir().unwrap();
    let path = write_temp(dir.path(), "oversnap.pcap", &writer.bytes);
    let (_, code, json) = report_on(&path);
    assert_eq!(code, 0);
    assert_eq!(json["totals"]["packets"], 1);
    assert_eq!(
        json["totals"]["ipv4_packets"], 1,
        "40 bytes still hold Ethernet and IPv4 headers"
    );
    assert!(
        json["inputs"][0]["warnings"][0]
            .as_str()
            .unwrap()
            .contains("snaplen 40")
    );
}

#[test]
fn corrupt_pcapng_block_length_stops_with_its_offset() {
    let mut writer = PcapngWriter::new(false);
    writer.interface(1, 0, None, None);
    writer.enhanced_packet(0, 1, 50, &ethernet_udp_frame([198, 51, 100, 1]));
    let corrupt_at = writer.bytes.len();
    writer.enhanced_packet(0, 2, 50, &ethernet_udp_frame([198, 51, 100, 2]));
    writer.bytes[corrupt_at + 4..corrupt_at + 8].copy_from_slice(&0x7fff_fff0u32.to_le_bytes());
    let dir = tempfile::tempdir().unwrap();
    let path = write_temp(dir.path(), "corrupt.pcapng", &writer.bytes);
    let (output, code, json) = report_on(&path);
    assert_eq!(code, 1);
    let error = json["inputs"][0]["error"].as_str().unwrap();
    assert!(
        error.contains(&format!("byte offset {corrupt_at}")) && error.contains("length 2147483632"),
        "{error}"
    );
    assert_eq!(json["totals"]["packets"], 1);
    assert!(stderr(&output).contains("corrupt.pcapng"));
}

#[test]
fn unreadable_inputs_give_one_line_errors_and_status_2() {
    let dir = tempfile::tempdir().unwrap();
    let empty = write_temp(dir.path(), "empty.pcap", b"");
    let garbage = write_temp(
        dir.path(),
        "garbage.pcap",
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    let short = write_temp(dir.path(), "short.pcap", &[0xd4, 0xc3, 0xb2, 0xa1, 2, 0]);
    let missing = dir.path().join("missing.pcap");
    for (path, expected) in [
        (empty, "empty file"),
        (garbage, "unrecognised magic 47 45 54 20"),
        (short, "truncated pcap file header (6 of 24 bytes)"),
        (missing, "no such file"),
        (dir.path().to_path_buf(), "is a directory"),
    ] {
        let (output, code, json) = report_on(&path);
        let message = stderr(&output);
        assert_eq!(code, 2, "{message}");
        assert_eq!(json, Value::Null);
        assert_eq!(message.lines().count(), 1, "{message}");
        assert!(message.contains(&path.display().to_string()), "{message}");
        assert!(message.contains(expected), "{message}");
    }
}

#[test]
fn one_bad_input_among_several_does_not_stop_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let good = write_temp(
        dir.path(),
        "good.pcap",
        &three_packet_pcap(false, false, false),
    );
    let bad = write_temp(dir.path(), "bad.pcap", b"not a capture at all");
    let also_good = fixture_capture("fmt-sll2-tls.pcap");
    let (output, code, json) = report(&[good.as_os_str(), bad.as_os_str(), also_good.as_os_str()]);
    assert_eq!(code, 1, "{}", stderr(&output));
    assert_eq!(json["inputs"].as_array().unwrap().len(), 3);
    assert_eq!(json["inputs"][1]["format"], Value::Null);
    assert!(
        json["inputs"][1]["error"]
            .as_str()
            .unwrap()
            .contains("unrecognised magic")
    );
    assert_eq!(json["totals"]["packets"], 3 + 6);
    assert!(stderr(&output).contains("bad.pcap"));
}

#[test]
fn report_header_records_tool_time_and_command_line() {
    let capture = fixture_capture("fmt-sll2-tls.pcap");
    let (_, code, json) = report_on(&capture);
    assert_eq!(code, 0);
    assert_eq!(json["schema"], "whence.report/1");
    assert_eq!(json["tool"]["name"], "whence");
    assert_eq!(json["tool"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        json["generated_at"], "2026-01-01T00:00:00Z",
        "from SOURCE_DATE_EPOCH"
    );
    let command_line = json["command_line"].as_array().unwrap();
    assert_eq!(command_line[1], "report");
    assert_eq!(command_line[2], capture.display().to_string());
}

#[test]
fn output_file_is_written_and_never_over_an_input() {
    let dir = tempfile::tempdir().unwrap();
    let capture = write_temp(
        dir.path(),
        "evidence.pcap",
        &three_packet_pcap(false, false, false),
    );
    let before = std::fs::read(&capture).unwrap();
    let report_path = dir.path().join("report.json");
    let output = whence()
        .args(["report"])
        .arg(&capture)
        .arg("-o")
        .arg(&report_path)
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(output.stdout.is_empty());
    let json: Value = serde_json::from_slice(&std::fs::read(&report_path).unwrap()).unwrap();
    assert_eq!(json["totals"]["packets"], 3);

    let output = whence()
        .args(["report"])
        .arg(&capture)
        .arg("-o")
        .arg(&capture)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("it is an input capture"));
    assert_eq!(
        std::fs::read(&capture).unwrap(),
        before,
        "evidence untouched"
    );
}

#[test]
fn same_input_gives_byte_identical_reports() {
    let capture = fixture_capture("fmt-pcapng-multi-section-mixed-endian.pcapng");
    let first = whence().arg("report").arg(&capture).output().unwrap();
    let second = whence().arg("report").arg(&capture).output().unwrap();
    assert_eq!(first.stdout, second.stdout);
}
