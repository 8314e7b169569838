//! whence's packet counts against the reference tools on real captures.
//!
//! `tests/fixtures/reference-counts.tsv` holds, for every capture of the shared corpus, the
//! packet count `capinfos -c` gives, the IPv4/IPv6 counts of `tshark -Y ip` / `-Y ipv6`
//! (Wireshark 4.0), and the counts whence must give, with the reason wherever they differ.
//! Captures the repository may carry are in `tests/fixtures/captures`; the others are checked
//! when the shared corpus sits beside the repository (as in CI).

// A test fails loudly on anything unexpected.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;

use common::{fixture_capture, report_on, shared_captures, stderr};

struct Reference {
    file: String,
    capinfos_packets: u64,
    tshark_ipv4: u64,
    tshark_ipv6: u64,
    ipv4: u64,
    ipv6: u64,
    note: String,
}

fn references() -> Vec<Reference> {
    let table = std::fs::read_to_string(common::fixtures().join("reference-counts.tsv")).unwrap();
    table
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .skip(1)
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            let number = |index: usize| {
                fields[index]
                    .parse::<u64>()
                    .unwrap_or_else(|_| panic!("{line}"))
            };
            Reference {
                file: fields[0].to_string(),
                capinfos_packets: number(1),
                tshark_ipv4: number(2),
                tshark_ipv6: number(3),
                ipv4: number(4),
                ipv6: number(5),
                note: fields.get(6).unwrap_or(&"").to_string(),
            }
        })
        .collect()
}

fn check(reference: &Reference, path: PathBuf) {
    let (output, code, json) = report_on(&path);
    assert_eq!(code, 0, "{}: {}", reference.file, stderr(&output));
    let totals = &json["totals"];
    assert_eq!(
        totals["packets"], reference.capinfos_packets,
        "{}: packets as capinfos counts",
        reference.file
    );
    assert_eq!(totals["ipv4_packets"], reference.ipv4, "{}", reference.file);
    assert_eq!(totals["ipv6_packets"], reference.ipv6, "{}", reference.file);
    if (reference.ipv4, reference.ipv6) != (reference.tshark_ipv4, reference.tshark_ipv6) {
        assert!(
            !reference.note.is_empty(),
            "{}: a difference from tshark needs its reason",
            reference.file
        );
    }
}

#[test]
fn carried_captures_match_the_reference_tools() {
    let mut checked = 0;
    for reference in references() {
        let path = fixture_capture(&reference.file);
        if path.is_file() {
            check(&reference, path);
            checked += 1;
        }
    }
    assert!(checked >= 30, "only {checked} carried captures found");
}

#[test]
fn shared_corpus_matches_the_reference_tools_when_present() {
    let Some(shared) = shared_captures() else {
        eprintln!("shared capture corpus not found beside the repository; skipped");
        return;
    };
    let references = references();
    for reference in &references {
        let path = shared.join(&reference.file);
        assert!(
            path.is_file(),
            "{} is in the table but not in {}",
            reference.file,
            shared.display()
        );
        check(reference, path);
    }
    // Every capture the manifest lists with a capinfos count is in the table, so nothing in
    // the corpus goes unchecked, and the table agrees with the manifest's counts.
    let manifest = std::fs::read_to_string(shared.join("MANIFEST.md")).unwrap();
    for row in manifest
        .lines()
        .filter(|line| line.starts_with("| ") && line.contains(".pcap"))
    {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let (file, packets) = (cells[1], cells[9]);
        let Ok(packets) = packets.parse::<u64>() else {
            continue;
        };
        let reference = references
            .iter()
            .find(|reference| reference.file == file)
            .unwrap_or_else(|| {
                panic!("{file} from MANIFEST.md is missing in reference-counts.tsv")
            });
        assert_eq!(reference.capinfos_packets, packets, "{file}");
    }
}
