//! End-to-end runs of `whence batch` over a generated archive: nested directories, a gzip
//! capture, a corrupt capture, a file that is no capture and a duplicate.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};

use common::{PcapWriter, ethernet_udp_frame, stderr, whence};
use serde_json::Value;

/// A small pcap of UDP packets from `sources` distinct addresses in 198.51.100.0/24.
fn udp_capture(sources: u8, start: u32) -> Vec<u8> {
    let mut writer = PcapWriter::new(false, false, false, 65535, 1);
    for index in 0..sources {
        let frame = ethernet_udp_frame([198, 51, 100, index]);
        writer.record(start + u32::from(index), 0, frame.len() as u32, &frame);
    }
    writer.bytes
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// The archive: every kind of file a batch run must tell apart.
struct Archive {
    _root: tempfile::TempDir,
    dir: PathBuf,
}

impl Archive {
    fn new() -> Archive {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("archive");
        std::fs::create_dir_all(dir.join("site-a/day-1")).unwrap();
        std::fs::create_dir_all(dir.join("site-b")).unwrap();
        let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/dns-amplification.pcap");
        std::fs::copy(&sample, dir.join("site-a/day-1/dns.pcap")).unwrap();
        std::fs::write(
            dir.join("site-a/udp.pcap.gz"),
            gzip(&udp_capture(20, 1_700_000_000)),
        )
        .unwrap();
        // A valid header, one good record, then a record claiming an impossible length.
        let mut corrupt = udp_capture(1, 1_700_000_100);
        corrupt.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0]);
        std::fs::write(dir.join("site-b/corrupt.pcap"), corrupt).unwrap();
        std::fs::write(
            dir.join("site-b/notes.txt"),
            b"analyst notes, not a capture\n",
        )
        .unwrap();
        std::fs::copy(&sample, dir.join("site-b/zz-copy-of-dns.pcap")).unwrap();
        Archive { _root: root, dir }
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.dir.join(relative)
    }
}

fn run_batch(inputs: &[&Path], out: &Path, extra: &[&str]) -> (i32, String) {
    let output = whence()
        .arg("batch")
        .args(inputs)
        .arg("-o")
        .arg(out)
        .args(["--no-system-db", "--quiet"])
        .args(extra)
        .output()
        .unwrap();
    (output.status.code().unwrap(), stderr(&output))
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// `whence report` over `paths` given together, as JSON.
fn report_json_of(paths: &[&Path]) -> Value {
    let output = whence()
        .args(["report", "--no-system-db"])
        .args(paths)
        .output()
        .unwrap();
    // The corrupt capture makes `report` exit 1; its report is still written.
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{}",
        stderr(&output)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn without_run_details(mut report: Value) -> Value {
    let object = report.as_object_mut().unwrap();
    object.remove("generated_at");
    object.remove("command_line");
    report
}

#[test]
fn an_archive_is_indexed_file_by_file_and_reported_as_one() {
    let archive = Archive::new();
    let out = tempfile::tempdir().unwrap();
    let (code, stderr) = run_batch(&[&archive.dir], out.path(), &[]);
    assert_eq!(code, 3, "some capture failed: {stderr}");

    let index = read_json(&out.path().join("index.json"));
    assert_eq!(index["schema"], "whence.batch-index/1");
    let files = index["files"].as_array().unwrap();
    let status = |relative: &str| {
        let path = archive.path(relative).display().to_string();
        files
            .iter()
            .find(|file| file["path"] == path.as_str())
            .unwrap_or_else(|| panic!("{relative} not in the index: {index:#}"))
            .clone()
    };
    // Sorted walk: nested directories in name order.
    let listed: Vec<&str> = files.iter().map(|f| f["path"].as_str().unwrap()).collect();
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(listed, sorted);
    assert_eq!(files.len(), 5);

    let dns = status("site-a/day-1/dns.pcap");
    assert_eq!(dns["status"], "ok");
    assert_eq!(dns["packets"], 1200);
    assert_eq!(dns["top_vector"], "dns_amplification");
    assert!(dns["sha256"].as_str().unwrap().len() == 64);
    assert!(dns["first_packet"].is_string() && dns["last_packet"].is_string());
    for report in dns["reports"].as_array().unwrap() {
        assert!(out.path().join(report.as_str().unwrap()).is_file());
    }
    assert_eq!(dns["reports"].as_array().unwrap().len(), 3);

    let gz = status("site-a/udp.pcap.gz");
    assert_eq!(gz["status"], "ok");
    assert_eq!(gz["packets"], 20);
    assert_eq!(gz["unique_sources"], 20);

    let corrupt = status("site-b/corrupt.pcap");
    assert_eq!(corrupt["status"], "failed");
    assert!(corrupt["error"].is_string());

    let notes = status("site-b/notes.txt");
    assert_eq!(notes["status"], "skipped");
    assert!(notes["reports"].as_array().unwrap().is_empty());

    let copy = status("site-b/zz-copy-of-dns.pcap");
    assert_eq!(copy["status"], "duplicate");
    assert_eq!(
        copy["duplicate_of"],
        archive.path("site-a/day-1/dns.pcap").display().to_string()
    );

    assert_eq!(index["counts"]["ok"], 2);
    assert_eq!(index["counts"]["failed"], 1);
    assert_eq!(index["counts"]["duplicate"], 1);
    assert_eq!(index["counts"]["skipped"], 1);

    let errors = read_json(&out.path().join("errors.json"));
    let errors = errors.as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["path"], corrupt["path"]);

    let markdown = std::fs::read_to_string(out.path().join("index.md")).unwrap();
    assert!(markdown.contains("](<files/0001-dns-"), "{markdown}");
    let html = std::fs::read_to_string(out.path().join("index.html")).unwrap();
    assert!(html.contains("<table>") && html.contains("href=\"files/0001-dns-"));

    // The combined report is the report over the same captures given together (the
    // duplicate counted once, the non-capture left out).
    let combined = read_json(&out.path().join("combined.json"));
    let single = report_json_of(&[
        &archive.path("site-a/day-1/dns.pcap"),
        &archive.path("site-a/udp.pcap.gz"),
        &archive.path("site-b/corrupt.pcap"),
    ]);
    assert_eq!(without_run_details(combined), without_run_details(single));
}

#[test]
fn the_exit_code_tells_whether_all_some_or_none_succeeded() {
    let archive = Archive::new();
    let out = tempfile::tempdir().unwrap();
    let (code, stderr) = run_batch(
        &[&archive.path("site-a")],
        out.path(),
        &["--format", "json"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(out.path().join("combined.json").is_file());
    assert!(!out.path().join("combined.md").exists());

    let out = tempfile::tempdir().unwrap();
    let (code, _) = run_batch(
        &[
            &archive.path("site-b/corrupt.pcap"),
            &archive.path("site-b/notes.txt"),
        ],
        out.path(),
        &[],
    );
    assert_eq!(code, 4);
    assert!(out.path().join("index.json").is_file());
}

#[test]
fn the_combined_report_does_not_depend_on_the_number_of_jobs() {
    let archive = Archive::new();
    let one = tempfile::tempdir().unwrap();
    let many = tempfile::tempdir().unwrap();
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let inputs: [&Path; 2] = [&archive.dir, &samples];
    run_batch(
        &inputs,
        one.path(),
        &["--combined", "--jobs", "1", "--format", "json"],
    );
    run_batch(
        &inputs,
        many.path(),
        &["--combined", "--jobs", "8", "--format", "json"],
    );
    assert_eq!(
        without_run_details(read_json(&one.path().join("combined.json"))),
        without_run_details(read_json(&many.path().join("combined.json")))
    );
    assert_eq!(
        read_json(&one.path().join("index.json")),
        read_json(&many.path().join("index.json"))
    );
}

#[test]
fn globs_and_per_file_only() {
    let archive = Archive::new();
    let out = tempfile::tempdir().unwrap();
    let pattern = archive.dir.join("site-*/*.pcap*");
    let (code, stderr) = run_batch(&[&pattern], out.path(), &["--per-file", "--jobs", "2"]);
    assert_eq!(code, 3, "{stderr}");
    assert!(!out.path().join("combined.json").exists());
    let index = read_json(&out.path().join("index.json"));
    let paths: Vec<String> = index["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|file| file["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        paths,
        [
            archive.path("site-a/udp.pcap.gz"),
            archive.path("site-b/corrupt.pcap"),
            archive.path("site-b/zz-copy-of-dns.pcap"),
        ]
        .map(|path| path.display().to_string())
    );
}
