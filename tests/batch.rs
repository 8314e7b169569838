//! End-to-end runs of `whence batch` over generated archives: nested directories, gzip and
//! zstd captures, a corrupt capture, a file that is no capture and a duplicate; captures whose
//! names disagree with their times; groups; resumed runs; a TCP handshake across a rotation.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use common::{PcapWriter, ethernet_tcp_frame, ethernet_udp_frame, stderr, whence};
use serde_json::Value;

/// A small pcap of UDP packets from `sources` distinct addresses in 198.51.100.0/24, one a
/// second from `start`.
fn udp_capture(sources: u8, start: u32) -> Vec<u8> {
    udp_capture_from(0, sources, start)
}

/// The same from 198.51.100.`first`.. onwards.
fn udp_capture_from(first: u8, sources: u8, start: u32) -> Vec<u8> {
    let mut writer = PcapWriter::new(false, false, false, 65535, 1);
    for index in 0..sources {
        let frame = ethernet_udp_frame([198, 51, 100, first + index]);
        writer.record(start + u32::from(index), 0, frame.len() as u32, &frame);
    }
    writer.bytes
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn zstd(bytes: &[u8]) -> Vec<u8> {
    zstd::stream::encode_all(bytes, 3).unwrap()
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
        // Earlier than the gzip capture, though its name sorts after it.
        std::fs::write(
            dir.join("site-a/zz-early.pcapng.zst"),
            zstd(&udp_capture_from(100, 5, 1_690_000_000)),
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
fn report_json_of(paths: &[PathBuf]) -> Value {
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

/// The captures the merged reports count, in the order the index lists them: read (fully or
/// not), not duplicates.
fn merged_captures(index: &Value) -> Vec<PathBuf> {
    index["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|file| {
            matches!(file["status"].as_str(), Some("ok" | "failed")) && file["sha256"].is_string()
        })
        .map(|file| PathBuf::from(file["path"].as_str().unwrap()))
        .collect()
}

fn entry<'a>(index: &'a Value, path: &Path) -> &'a Value {
    let path = path.display().to_string();
    index["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|file| file["path"] == path.as_str())
        .unwrap_or_else(|| panic!("{path} not in the index: {index:#}"))
}

#[test]
fn an_archive_is_indexed_file_by_file_and_reported_as_one() {
    let archive = Archive::new();
    let out = tempfile::tempdir().unwrap();
    let (code, stderr) = run_batch(&[&archive.dir], out.path(), &[]);
    assert_eq!(code, 3, "some capture failed: {stderr}");

    let index = read_json(&out.path().join("index.json"));
    assert_eq!(index["schema"], "whence.batch-index/2");
    let files = index["files"].as_array().unwrap();
    let status = |relative: &str| entry(&index, &archive.path(relative)).clone();
    assert_eq!(files.len(), 6);
    // Captures in the order of their first packet, whatever their names; then the file that
    // is no capture.
    let listed: Vec<&str> = files.iter().map(|f| f["path"].as_str().unwrap()).collect();
    let expected: Vec<String> = [
        "site-a/zz-early.pcapng.zst",
        "site-a/udp.pcap.gz",
        "site-b/corrupt.pcap",
        "site-a/day-1/dns.pcap",
        "site-b/zz-copy-of-dns.pcap",
        "site-b/notes.txt",
    ]
    .iter()
    .map(|relative| archive.path(relative).display().to_string())
    .collect();
    assert_eq!(listed, expected);
    let firsts: Vec<&str> = files
        .iter()
        .filter_map(|file| file["first_packet"].as_str())
        .collect();
    assert!(
        firsts.windows(2).all(|pair| pair[0] <= pair[1]),
        "{firsts:?}"
    );

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
    assert_eq!(dns["sensor"], "dns");
    assert_eq!(dns["resumed"], false);
    assert!(dns["options_fingerprint"].as_str().unwrap().len() == 64);

    let gz = status("site-a/udp.pcap.gz");
    assert_eq!(gz["status"], "ok");
    assert_eq!(gz["packets"], 20);
    assert_eq!(gz["unique_sources"], 20);

    let zst = status("site-a/zz-early.pcapng.zst");
    assert_eq!(zst["status"], "ok");
    assert_eq!(zst["packets"], 5);
    assert_eq!(zst["unique_sources"], 5);

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

    assert!(copy["reports"].as_array().unwrap().is_empty());
    // The files directory holds exactly the reports the index lists: none for the duplicate
    // (its worker wrote them before its bytes were known to repeat an earlier capture's).
    let listed: std::collections::BTreeSet<String> = index["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|file| file["reports"].as_array().unwrap().iter())
        .map(|name| name.as_str().unwrap().to_string())
        .collect();
    let on_disk: std::collections::BTreeSet<String> = std::fs::read_dir(out.path().join("files"))
        .unwrap()
        .map(|entry| format!("files/{}", entry.unwrap().file_name().to_string_lossy()))
        .collect();
    assert_eq!(on_disk, listed);
    assert!(!listed.is_empty());

    assert_eq!(index["counts"]["ok"], 3);
    assert_eq!(index["counts"]["failed"], 1);
    assert_eq!(index["counts"]["duplicate"], 1);
    assert_eq!(index["counts"]["skipped"], 1);
    assert_eq!(index["counts"]["resumed"], 0);

    let errors = read_json(&out.path().join("errors.json"));
    let errors = errors.as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["path"], corrupt["path"]);

    let markdown = std::fs::read_to_string(out.path().join("index.md")).unwrap();
    assert!(markdown.contains("](<files/0004-dns-"), "{markdown}");
    let html = std::fs::read_to_string(out.path().join("index.html")).unwrap();
    assert!(html.contains("<table>") && html.contains("href=\"files/0004-dns-"));

    // The combined report is the report over the same captures given together in time order
    // (the duplicate counted once, the non-capture left out).
    let order = merged_captures(&index);
    assert_eq!(order.len(), 4);
    let combined = read_json(&out.path().join("combined.json"));
    assert_eq!(
        without_run_details(combined),
        without_run_details(report_json_of(&order))
    );
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
    for (out, jobs) in [(&one, "1"), (&many, "8")] {
        run_batch(
            &inputs,
            out.path(),
            &[
                "--combined",
                "--group-by",
                "dir",
                "--jobs",
                jobs,
                "--format",
                "json",
            ],
        );
    }
    for report in ["combined.json", "groups/site-a.json", "groups/top.json"] {
        assert_eq!(
            without_run_details(read_json(&one.path().join(report))),
            without_run_details(read_json(&many.path().join(report))),
            "{report}"
        );
    }
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
            archive.path("site-a/zz-early.pcapng.zst"),
            archive.path("site-a/udp.pcap.gz"),
            archive.path("site-b/corrupt.pcap"),
            archive.path("site-b/zz-copy-of-dns.pcap"),
        ]
        .map(|path| path.display().to_string())
    );
}

/// Every group report equals `whence report` over the group's captures in the index's order.
fn check_groups(index: &Value, out: &Path, expected: &[(&str, usize)]) {
    let groups = index["groups"].as_array().unwrap();
    let names: Vec<(&str, usize)> = groups
        .iter()
        .map(|group| {
            (
                group["name"].as_str().unwrap(),
                group["captures"].as_array().unwrap().len(),
            )
        })
        .collect();
    assert_eq!(names, expected);
    for group in groups {
        let captures: Vec<PathBuf> = group["captures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|path| PathBuf::from(path.as_str().unwrap()))
            .collect();
        let reports = group["reports"].as_array().unwrap();
        let json = reports
            .iter()
            .map(|report| report.as_str().unwrap())
            .find(|report| report.ends_with(".json"))
            .unwrap();
        assert!(json.starts_with("groups/"), "{json}");
        let written = read_json(&out.join(json));
        assert_eq!(
            written["totals"]["packets"], group["packets"],
            "{}",
            group["name"]
        );
        assert_eq!(
            without_run_details(written),
            without_run_details(report_json_of(&captures)),
            "{}",
            group["name"]
        );
    }
}

#[test]
fn one_report_per_directory_equals_the_report_over_its_captures() {
    let archive = Archive::new();
    let out = tempfile::tempdir().unwrap();
    let (code, stderr) = run_batch(
        &[&archive.dir],
        out.path(),
        &["--group-by", "DIR", "--format", "json,md"],
    );
    assert_eq!(code, 3, "{stderr}");
    let index = read_json(&out.path().join("index.json"));
    assert_eq!(index["group_by"], "dir");
    // site-b holds the corrupt capture (counted up to the damage) and the duplicate (not
    // counted again: its group is its first copy's).
    check_groups(
        &index,
        out.path(),
        &[("site-a", 2), ("site-a/day-1", 1), ("site-b", 1)],
    );
    assert!(out.path().join("groups/site-a__day-1.md").is_file());
    assert_eq!(
        entry(&index, &archive.path("site-a/udp.pcap.gz"))["group"],
        "site-a"
    );
    let markdown = std::fs::read_to_string(out.path().join("index.md")).unwrap();
    assert!(markdown.contains("| site-a | 2 |"), "{markdown}");
}

/// Rotated captures of two sensors, named as dumpcap names a ring buffer; edge1's third file
/// overlaps its second in time.
fn sensor_archive() -> (tempfile::TempDir, PathBuf) {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("sensors");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, first, count, start) in [
        ("edge1_00001_20231114221320.pcap", 0, 5, 1_700_000_000),
        ("edge1_00002_20231114221330.pcap.gz", 5, 5, 1_700_000_010),
        ("edge1_00003_20231114221312.pcap.zst", 10, 5, 1_700_000_012),
        ("edge2-20231114T221320Z.pcap", 20, 3, 1_700_000_000),
        ("edge2-20231114T221400Z.pcap", 23, 3, 1_700_000_060),
    ] {
        let bytes = udp_capture_from(first, count, start);
        let bytes = match name.rsplit_once('.').unwrap().1 {
            "gz" => gzip(&bytes),
            "zst" => zstd(&bytes),
            _ => bytes,
        };
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    (root, dir)
}

#[test]
fn one_report_per_sensor_and_overlapping_captures_are_flagged() {
    let (_root, dir) = sensor_archive();
    let out = tempfile::tempdir().unwrap();
    let (code, stderr) = run_batch(
        &[&dir],
        out.path(),
        &["--group-by", "sensor", "--format", "json"],
    );
    assert_eq!(code, 0, "{stderr}");
    let index = read_json(&out.path().join("index.json"));
    check_groups(&index, out.path(), &[("edge1", 3), ("edge2", 2)]);
    let edge1 = &index["groups"][0];
    assert_eq!(edge1["packets"], 15);
    assert_eq!(
        edge1["captures"],
        serde_json::json!([
            dir.join("edge1_00001_20231114221320.pcap"),
            dir.join("edge1_00002_20231114221330.pcap.gz"),
            dir.join("edge1_00003_20231114221312.pcap.zst"),
        ])
    );
    // 00002 runs from :10 to :14, 00003 from :12 to :16.
    let second = entry(&index, &dir.join("edge1_00002_20231114221330.pcap.gz"));
    let third = entry(&index, &dir.join("edge1_00003_20231114221312.pcap.zst"));
    assert_eq!(
        second["overlaps_with"],
        serde_json::json!([third["path"].clone()])
    );
    assert_eq!(
        third["overlaps_with"],
        serde_json::json!([second["path"].clone()])
    );
    assert_eq!(index["counts"]["overlapping"], 2);
    let warnings = index["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0]
            .as_str()
            .unwrap()
            .starts_with("group edge1: 2 captures overlap"),
        "{warnings:?}"
    );
    // edge2's captures share a start second with edge1's first, but another sensor's ranges
    // may overlap freely.
    assert!(
        entry(&index, &dir.join("edge2-20231114T221320Z.pcap"))["overlaps_with"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

/// Modification time and inode of each file, to tell a file left alone from one rewritten.
fn stamps(out: &Path, reports: &[String]) -> Vec<(SystemTime, u64)> {
    use std::os::unix::fs::MetadataExt;
    reports
        .iter()
        .map(|report| {
            let metadata = std::fs::metadata(out.join(report)).unwrap();
            (metadata.modified().unwrap(), metadata.ino())
        })
        .collect()
}

fn reports_of(index: &Value, path: &Path) -> Vec<String> {
    entry(index, path)["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|report| report.as_str().unwrap().to_string())
        .collect()
}

#[cfg(unix)]
#[test]
fn resume_keeps_the_reports_that_stand_and_redoes_the_rest() {
    let (_root, dir) = sensor_archive();
    let out = tempfile::tempdir().unwrap();
    let options = ["--group-by", "sensor", "--format", "json,md"];
    let (code, stderr) = run_batch(&[&dir], out.path(), &options);
    assert_eq!(code, 0, "{stderr}");
    let first = read_json(&out.path().join("index.json"));
    let captures = merged_captures(&first);
    assert_eq!(captures.len(), 5);
    let before: Vec<_> = captures
        .iter()
        .map(|path| stamps(out.path(), &reports_of(&first, path)))
        .collect();

    let resumed_run = |extra: &[&str]| {
        let mut args = options.to_vec();
        args.push("--resume");
        args.extend_from_slice(extra);
        let (code, stderr) = run_batch(&[&dir], out.path(), &args);
        assert_eq!(code, 0, "{stderr}");
        read_json(&out.path().join("index.json"))
    };

    // Nothing changed: every report stands and is left alone; the figures are the earlier
    // run's; the merged reports are the same.
    let second = resumed_run(&[]);
    assert_eq!(second["counts"]["resumed"], 5);
    assert_eq!(second["counts"]["ok"], 5);
    for (path, stamps_before) in captures.iter().zip(&before) {
        let now = entry(&second, path);
        let then = entry(&first, path);
        assert_eq!(now["status"], "ok");
        assert_eq!(now["resumed"], true);
        for field in ["packets", "sha256", "first_packet", "reports", "top_vector"] {
            assert_eq!(now[field], then[field], "{field}");
        }
        assert_eq!(
            &stamps(out.path(), &reports_of(&second, path)),
            stamps_before
        );
    }
    assert_eq!(second["groups"], first["groups"]);
    let markdown = std::fs::read_to_string(out.path().join("index.md")).unwrap();
    assert!(
        markdown.contains("5 resumed from an earlier run"),
        "{markdown}"
    );

    // A capture modified after its report is reported on again; the others still stand.
    let touched = &captures[1];
    std::fs::File::options()
        .append(true)
        .open(touched)
        .unwrap()
        .set_modified(SystemTime::now() + Duration::from_secs(5))
        .unwrap();
    let third = resumed_run(&[]);
    assert_eq!(third["counts"]["resumed"], 4);
    assert_eq!(entry(&third, touched)["resumed"], false);
    let rewritten = stamps(out.path(), &reports_of(&third, touched));
    assert!(
        rewritten
            .iter()
            .zip(&before[1])
            .all(|(now, then)| now != then)
    );
    assert_eq!(
        stamps(out.path(), &reports_of(&third, &captures[0])),
        before[0]
    );

    // Other report options: nothing stands.
    let fourth = resumed_run(&["--victim", "192.0.2.1"]);
    assert_eq!(fourth["counts"]["resumed"], 0);
    assert_ne!(fourth["options_fingerprint"], first["options_fingerprint"]);
    assert!(
        stamps(out.path(), &reports_of(&fourth, &captures[0]))
            .iter()
            .zip(&before[0])
            .all(|(now, then)| now != then)
    );
}

/// Two files of one rotated capture, cut in the middle of two TCP connections: client .20's
/// handshake is answered before the cut and completed after it; client .21 completed its
/// handshake before the cut and carries on after it. 2,000 spoofed ACKs after the cut are a
/// real ACK flood.
fn rotated_pair(dir: &Path) -> [PathBuf; 2] {
    let server = [203, 0, 113, 10];
    let (answered, established) = ([198, 51, 100, 20], [198, 51, 100, 21]);
    const SYN: u8 = 0x02;
    const ACK: u8 = 0x10;
    const PSH_ACK: u8 = 0x18;
    let start = 1_700_000_000;
    let mut before = PcapWriter::new(false, false, false, 65535, 1);
    let record = |writer: &mut PcapWriter, second: u32, micros: u32, frame: Vec<u8>| {
        writer.record(start + second, micros, frame.len() as u32, &frame);
    };
    for (client, port) in [(established, 40001), (answered, 40000)] {
        record(
            &mut before,
            0,
            port as u32,
            ethernet_tcp_frame(client, server, port, 80, SYN, 1000, 0, b""),
        );
        record(
            &mut before,
            0,
            port as u32 + 100,
            ethernet_tcp_frame(server, client, 80, port, SYN | ACK, 5000, 1001, b""),
        );
    }
    record(
        &mut before,
        0,
        500_000,
        ethernet_tcp_frame(established, server, 40001, 80, ACK, 1001, 5001, b""),
    );
    let mut after = PcapWriter::new(false, false, false, 65535, 1);
    record(
        &mut after,
        1,
        0,
        ethernet_tcp_frame(answered, server, 40000, 80, ACK, 1001, 5001, b""),
    );
    for (step, (client, port)) in [(answered, 40000), (established, 40001)]
        .into_iter()
        .enumerate()
    {
        let micros = 1000 * step as u32;
        record(
            &mut after,
            2,
            micros,
            ethernet_tcp_frame(
                server,
                client,
                80,
                port,
                PSH_ACK,
                5001,
                1001,
                b"HTTP/1.1 200 OK\r\n",
            ),
        );
        for k in 0..3 {
            record(
                &mut after,
                3 + k,
                micros,
                ethernet_tcp_frame(client, server, port, 80, ACK, 1001, 5019, b""),
            );
        }
    }
    for index in 0..2000u32 {
        let spoofed = [192, 0, (index / 250) as u8 + 2, (index % 250) as u8 + 1];
        record(
            &mut after,
            10,
            index * 400,
            ethernet_tcp_frame(spoofed, server, 1234, 80, ACK, 7, 7, b""),
        );
    }
    let paths = [
        dir.join("edge1_00001_20231114221320.pcap"),
        dir.join("edge1_00002_20231114221321.pcap.zst"),
    ];
    std::fs::write(&paths[0], before.bytes).unwrap();
    std::fs::write(&paths[1], zstd(&after.bytes)).unwrap();
    paths
}

fn vector_packets(report: &Value, kind: &str) -> u64 {
    report["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|vector| vector["kind"] == kind)
        .map(|vector| vector["packets"].as_u64().unwrap())
        .sum()
}

#[test]
fn a_handshake_across_a_rotation_counts_as_in_one_capture() {
    let root = tempfile::tempdir().unwrap();
    let paths = rotated_pair(root.path());
    let out = tempfile::tempdir().unwrap();
    let (code, stderr) = run_batch(
        &[root.path()],
        out.path(),
        &["--group-by", "sensor", "--format", "json", "--jobs", "2"],
    );
    assert_eq!(code, 0, "{stderr}");
    let index = read_json(&out.path().join("index.json"));
    let together = report_json_of(&paths);
    for merged in ["combined.json", "groups/edge1.json"] {
        assert_eq!(
            without_run_details(read_json(&out.path().join(merged))),
            without_run_details(together.clone()),
            "{merged}"
        );
    }
    let own = |path: &Path| {
        let listed = entry(&index, path);
        read_json(&out.path().join(listed["reports"][0].as_str().unwrap()))
    };
    // Read together, both clients completed their handshakes: only the spoofed ACKs are a
    // flood, and only their senders attack...
    assert_eq!(vector_packets(&together, "ack_flood"), 2000);
    assert_eq!(together["sources"]["unique"], 2000);
    // ... while the second file on its own took the clients' seven ACKs for part of the flood
    // and the clients for attackers: appending its own counts would not have done.
    let alone = own(&paths[1]);
    assert_eq!(vector_packets(&alone, "ack_flood"), 2007);
    assert_eq!(alone["sources"]["unique"], 2002);
    let second = entry(&index, &paths[1]);
    assert!(
        second["rescanned"]
            .as_str()
            .unwrap()
            .contains("198.51.100.2"),
        "{second:#}"
    );
    assert_eq!(index["counts"]["rescanned"], 1);
    assert!(entry(&index, &paths[0])["rescanned"].is_null());
}

/// The records of a little-endian legacy pcap, each with the file header, `per_file` to a file.
fn split_pcap(capture: &[u8], per_file: usize) -> Vec<Vec<u8>> {
    let (header, mut rest) = capture.split_at(24);
    let mut records = Vec::new();
    while rest.len() >= 16 {
        let captured = u32::from_le_bytes(rest[8..12].try_into().unwrap()) as usize;
        let (record, tail) = rest.split_at(16 + captured);
        records.push(record);
        rest = tail;
    }
    records
        .chunks(per_file)
        .map(|chunk| {
            let mut file = header.to_vec();
            for record in chunk {
                file.extend_from_slice(record);
            }
            file
        })
        .collect()
}

#[test]
fn fragmented_answers_cut_by_rotations_count_as_their_datagrams() {
    let sample =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/dns-amplification.pcap"))
            .unwrap();
    let root = tempfile::tempdir().unwrap();
    // Five records per file: most cuts fall inside a fragmented answer.
    let paths: Vec<PathBuf> = split_pcap(&sample, 5)
        .into_iter()
        .enumerate()
        .map(|(index, bytes)| {
            let path = root.path().join(format!("tap_{index:05}.pcap"));
            std::fs::write(&path, bytes).unwrap();
            path
        })
        .collect();
    let out = tempfile::tempdir().unwrap();
    let (code, stderr) = run_batch(&[root.path()], out.path(), &["--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let index = read_json(&out.path().join("index.json"));
    let together = report_json_of(&merged_captures(&index));
    assert_eq!(
        without_run_details(read_json(&out.path().join("combined.json"))),
        without_run_details(together.clone())
    );
    // Counted at the merge from the cache of the files before, without reading any again...
    assert_eq!(index["counts"]["rescanned"], 0);
    // ... as the sample read in one piece counts them: every later fragment (two of each
    // three packets) with its answer, none as a fragment flood, though most files begin with
    // later fragments whose first fragment is in the file before.
    let vectors: Vec<(String, u64, u64)> = together["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|vector| {
            (
                vector["kind"].as_str().unwrap().to_string(),
                vector["packets"].as_u64().unwrap(),
                vector["later_fragments"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(vectors, [("dns_amplification".to_string(), 1200, 800)]);
    assert_eq!(paths.len(), 240);
}
