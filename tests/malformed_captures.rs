//! Every broken capture from the shared corpus (copied to tests/fixtures/captures/malformed)
//! gets its documented behaviour: packets kept, warnings or errors naming the offset, the exit
//! status, and never a panic.

// A test fails loudly on anything unexpected.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{fixture_capture, report_on, stderr};
use serde_json::Value;

/// Runs the report on one malformed fixture and checks the invariants every one of them
/// shares: no panic, and a report whose single input names the file.
fn run(name: &str) -> (std::process::Output, i32, Value) {
    let path = fixture_capture(&format!("malformed/{name}"));
    let (output, code, json) = report_on(&path);
    assert!(
        !stderr(&output).contains("panicked"),
        "{name}: {}",
        stderr(&output)
    );
    (output, code, json)
}

fn input(json: &Value) -> &Value {
    &json["inputs"][0]
}

/// Header-level damage inside packets: the file reads fine, the packet is counted, and what
/// the decoder cannot read is counted as undecodable rather than guessed.
#[test]
fn packets_with_broken_ip_headers_are_counted_not_fatal() {
    for (name, packets) in [
        ("malformed-bad-ipv4-version-pgm.pcap", 1),
        ("malformed-ip-demux-overflow.pcap", 2),
        ("malformed-ipv4-invalid-hdr-length.pcap", 1),
        ("malformed-ipv4-invalid-length.pcap", 1),
        ("malformed-ipv4-invalid-total-length-2.pcap", 1),
        ("malformed-ipv4-invalid-total-length.pcap", 1),
        ("malformed-ipv6-bad-version.pcap", 4),
        ("malformed-ipv6-invalid-payload-length.pcap", 1),
        ("malformed-ipv6-jumbogram-invalid-length.pcap", 1),
        ("malformed-linktype-ipv4-carries-ipv6.pcap", 1),
        ("malformed-tcp-header-overflow.pcap", 1),
        ("malformed-tcp-rst-data-truncated.pcap", 1),
        ("malformed-udp-length-overflow.pcap", 1),
    ] {
        let (_, code, json) = run(name);
        assert_eq!(code, 0, "{name}");
        assert_eq!(json["totals"]["packets"], packets, "{name}");
        let totals = &json["totals"];
        let classified = totals["ipv4_packets"].as_u64().unwrap()
            + totals["ipv6_packets"].as_u64().unwrap()
            + totals["non_ip_packets"].as_u64().unwrap()
            + totals["undecodable_packets"].as_u64().unwrap();
        assert_eq!(
            classified, packets,
            "{name}: every packet is classified once"
        );
        assert_eq!(input(&json)["truncated"], false, "{name}");
        assert_eq!(input(&json)["error"], Value::Null, "{name}");
    }
}

#[test]
fn version_nibble_that_contradicts_the_link_type_is_undecodable() {
    // LINKTYPE_IPV4 (228) whose packet is IPv6: tshark decodes it as IPv6 anyway; whence does
    // not trust a packet that contradicts its own link header.
    let (_, _, json) = run("malformed-linktype-ipv4-carries-ipv6.pcap");
    assert_eq!(json["totals"]["undecodable_packets"], 1);
    assert_eq!(json["totals"]["undecodable_by_reason"]["bad_ip_version"], 1);
}

#[test]
fn link_type_junk_in_the_upper_bits_is_masked_as_libpcap_does() {
    let (_, code, json) = run("malformed-ipv6-header-overflow-linktype-high-bits.pcap");
    assert_eq!(code, 0);
    assert_eq!(input(&json)["link_types"], serde_json::json!(["ipv6"]));
    let (_, code, json) = run("malformed-snaplen1-raw-linktype-high-bits.pcap");
    assert_eq!(code, 0);
    assert_eq!(input(&json)["link_types"], serde_json::json!(["raw"]));
    // One captured byte cannot hold an IP header.
    assert_eq!(json["totals"]["packets"], 1);
    assert_eq!(json["totals"]["undecodable_packets"], 1);
    assert_eq!(json["totals"]["bytes"], 262_144);
}

#[test]
fn out_of_range_sub_second_fields_are_normalised_with_a_warning() {
    for (name, last_seen) in [
        // 2147483648 microseconds carried into the seconds: +2147 s, .483648 left over.
        (
            "malformed-timestamp-invalid-micro.pcap",
            "2014-12-09T17:51:57.483648Z",
        ),
        (
            "malformed-timestamp-invalid-nano.pcap",
            "2014-12-09T17:16:12.147483648Z",
        ),
    ] {
        let (output, code, json) = run(name);
        assert_eq!(code, 0, "{name}");
        assert_eq!(json["totals"]["packets"], 3, "{name}");
        let warnings = input(&json)["warnings"].to_string();
        assert!(warnings.contains("sub-second field"), "{name}: {warnings}");
        assert!(warnings.contains("2 times in all"), "{name}: {warnings}");
        assert!(stderr(&output).contains("sub-second field"), "{name}");
        assert_eq!(json["totals"]["last_seen"], last_seen, "{name}");
    }
}

#[test]
fn fuzzed_header_with_swapped_lengths_and_a_cut_tail_keeps_its_packet() {
    // Version 2.0 file whose record has captured and original lengths swapped (libpcap and
    // Wireshark swap them back), then two stray bytes: capinfos counts 1 packet and says the
    // file was cut short.
    let (output, code, json) = run("malformed-truncated-file-fuzzed-header.pcap");
    assert_eq!(code, 0);
    assert_eq!(json["totals"]["packets"], 1);
    assert_eq!(json["totals"]["bytes"], 524_501);
    assert_eq!(input(&json)["truncated"], true);
    let warnings = input(&json)["warnings"].to_string();
    assert!(warnings.contains("byte offset 237"), "{warnings}");
    assert!(warnings.contains("swapped"), "{warnings}");
    assert!(stderr(&output).contains("malformed-truncated-file-fuzzed-header.pcap"));
}

#[test]
fn bare_packet_block_without_section_header_is_not_a_capture() {
    let (output, code, json) = run("malformed-pcapng-fragment-no-shb.bin");
    assert_eq!(code, 2);
    assert_eq!(json, Value::Null, "no report when nothing could be read");
    let message = stderr(&output);
    assert!(
        message.contains("malformed-pcapng-fragment-no-shb.bin"),
        "{message}"
    );
    assert!(
        message.contains("not a pcap or pcapng capture"),
        "{message}"
    );
    assert!(message.contains("offset 0"), "{message}");
    assert_eq!(message.lines().count(), 1, "one line: {message}");
}
