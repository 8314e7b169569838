//! Attack vectors, victims and the summary end to end, on the bundled sample, crafted captures
//! and (when present) the real attacks of the shared corpus.

// A test fails loudly on anything unexpected.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;

use common::*;

#[test]
fn the_sample_is_dns_reflection_at_one_victim() {
    let sample =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples/dns-response-fragments-src53.pcap");
    let json = report_json(&sample, &[]);
    assert_eq!(json["victims"][0]["ip"], "204.186.80.229");
    let vector = &json["vectors"][0];
    assert_eq!(vector["kind"], "dns_amplification");
    assert_eq!(vector["packets"], 91);
    // The 44 resolvers; the victim's own queries make it no source of the vector.
    assert_eq!(vector["sources"], 44);
    assert_eq!(vector["reflection"], true);
    assert_eq!(vector["service_port"], 53);
    assert_eq!(vector["amplification_factor"], 28.0);
    assert_eq!(vector["bpf"], "dst host 204.186.80.229 and udp src port 53");
    assert_eq!(json["summary"]["reflection"], true);
    assert_eq!(json["summary"]["top_vector"], "dns_amplification");
    // 91 packets are too few to call a denial of service.
    assert_eq!(json["summary"]["attack_detected"], false);
    let vector_packets: u64 = json["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["packets"].as_u64().unwrap())
        .sum();
    assert_eq!(
        vector_packets + json["backscatter"]["packets"].as_u64().unwrap(),
        93
    );
}

/// A SYN flood from random sources and the victim's SYN-ACKs back to them: the flood is the
/// vector, the SYN-ACKs are backscatter, and their destinations are not counted as reflectors.
#[test]
fn syn_flood_with_backscatter() {
    let mut writer = PcapWriter::new(false, false, false, 65_535, 101);
    let tcp = |src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16, flags: u8| {
        let mut packet = vec![0x45, 0, 0, 40, 0, 1, 0, 0, 57, 6, 0, 0];
        packet.extend_from_slice(&src);
        packet.extend_from_slice(&dst);
        packet.extend_from_slice(&sport.to_be_bytes());
        packet.extend_from_slice(&dport.to_be_bytes());
        packet.extend_from_slice(&[0, 0, 1, 0, 0, 0, 0, 0, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
        packet
    };
    let victim = [5, 10, 0, 1];
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for index in 0..3_000u32 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let source = (state as u32).to_be_bytes();
        writer.record(
            1_741_611_600 + index / 1000,
            index,
            40,
            &tcp(source, victim, 40_000, 443, 0x02),
        );
        writer.record(
            1_741_611_600 + index / 1000,
            index,
            40,
            &tcp(victim, source, 443, 40_000, 0x12),
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("syn.pcap");
    std::fs::write(&path, &writer.bytes).unwrap();
    let json = report_json(&path, &[]);
    assert_eq!(json["victims"][0]["ip"], "5.10.0.1");
    assert_eq!(json["victims"][0]["port"], 443);
    assert_eq!(json["vectors"][0]["kind"], "syn_flood");
    assert_eq!(json["vectors"][0]["packets"], 3_000);
    assert_eq!(json["backscatter"]["packets"], 3_000);
    assert_eq!(json["backscatter"]["from"][0], "5.10.0.1");
    assert_eq!(json["summary"]["top_vector"], "syn_flood");
    assert_eq!(json["summary"]["attack_detected"], true);
    assert_eq!(json["summary"]["reflection"], false);
    let headline = json["summary"]["headline"].as_str().unwrap();
    assert!(
        headline.starts_with("syn flood against 5.10.0.1: 3,000 packets"),
        "{headline}"
    );
    assert!(
        !headline.contains(" from China") && !headline.contains("attack from"),
        "{headline}"
    );

    // The user names the victim: it wins over the traffic's choice.
    let json = report_json(&path, &["--victim", "5.10.0.0/24"]);
    assert_eq!(json["victims"][0]["ip"], "5.10.0.0/24");
    let output = whence()
        .args(["report", "--victim", "5.10.0.999"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--victim 5.10.0.999"));
}

#[test]
fn real_attacks_get_their_vectors() {
    let Some(shared) = shared_captures() else {
        eprintln!("shared capture corpus not found beside the repository; skipped");
        return;
    };
    for (file, top_vector, reflection) in [
        ("ddos-tcp-syn-flood-spoofed.pcap", "syn_flood", false),
        ("ddos-tcp-synack-reflection.pcap", "tcp_reflection", true),
        (
            "ddos-snmp-amplification-classic-pcap-misnamed.pcapng",
            "snmp_amplification",
            true,
        ),
        (
            "ddos-dns-rrsig-amplification-fragmented.pcap",
            "dns_amplification",
            false,
        ),
    ] {
        let json = report_json(&shared.join(file), &[]);
        let summary = &json["summary"];
        assert_eq!(summary["top_vector"], top_vector, "{file}: {summary}");
        assert_eq!(summary["reflection"], reflection, "{file}: {summary}");
        assert_eq!(summary["attack_detected"], true, "{file}");
        assert_eq!(
            json["victims"][0]["ip"], "10.10.10.10",
            "{file}: the upstream anonymised victim"
        );
    }
}
