//! Evidence handling end to end: `--expect-sha256` and `--verify` refuse to report on bytes
//! other than the ones expected (non-zero exit, nothing written), the recorded hash is the
//! hash of the bytes as stored, and inputs are never changed.

// A test fails loudly on anything unexpected.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

use common::{stderr, whence};
use serde_json::Value;
use sha2::{Digest, Sha256};

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
}

fn sha256_of(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

/// A copy of a small capture in a temporary directory, with the directory.
fn evidence_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("evidence.pcap");
    std::fs::copy(common::fixture_capture("fmt-null-loopback-ntp.pcap"), &path).unwrap();
    (dir, path)
}

/// Runs `whence report --no-system-db -o DIR/report.json ARGS...`; returns the output and
/// the report file's path (which exists only if something was written).
fn report_to_file(dir: &Path, args: &[&str]) -> (std::process::Output, PathBuf) {
    let target = dir.join("report.json");
    let output = whence()
        .args(["report", "--no-system-db", "-o"])
        .arg(&target)
        .args(args)
        .output()
        .unwrap();
    (output, target)
}

#[test]
fn a_matching_hash_lets_the_report_through_and_is_the_recorded_one() {
    let (dir, path) = evidence_copy();
    let digest = sha256_of(&path);
    let capture = path.to_str().unwrap();
    for args in [
        vec!["--expect-sha256", &digest, capture],
        vec!["--verify", "--expect-sha256", &digest, capture],
        // Upper case, and named by file.
        vec![
            "--verify",
            "--expect-sha256",
            &format!("{capture}={}", digest.to_uppercase()),
            capture,
        ],
    ] {
        let (output, target) = report_to_file(dir.path(), &args);
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        let report: Value = serde_json::from_slice(&std::fs::read(&target).unwrap()).unwrap();
        assert_eq!(report["inputs"][0]["sha256"], digest.as_str());
        std::fs::remove_file(&target).unwrap();
    }
}

#[test]
fn a_baseline_is_checked_by_name_and_a_compressed_input_by_its_stored_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let compressed = dir.path().join("attack.pcap.gz");
    let mut encoder = flate2::write::GzEncoder::new(
        std::fs::File::create(&compressed).unwrap(),
        flate2::Compression::fast(),
    );
    std::io::copy(
        &mut std::fs::File::open(sample("two-waves.pcap")).unwrap(),
        &mut encoder,
    )
    .unwrap();
    encoder.finish().unwrap();
    let baseline = sample("benign-baseline.pcapng");
    let attack_hash = format!("{}={}", compressed.display(), sha256_of(&compressed));
    let baseline_hash = format!("{}={}", baseline.display(), sha256_of(&baseline));
    let (output, target) = report_to_file(
        dir.path(),
        &[
            "--verify",
            "--expect-sha256",
            &attack_hash,
            "--expect-sha256",
            &baseline_hash,
            "--baseline",
            baseline.to_str().unwrap(),
            compressed.to_str().unwrap(),
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let report: Value = serde_json::from_slice(&std::fs::read(target).unwrap()).unwrap();
    assert_eq!(report["inputs"][0]["sha256"], sha256_of(&compressed));
    assert_eq!(report["inputs"][0]["compression"], "gzip");
}

#[test]
fn a_mismatching_hash_stops_the_run_and_writes_nothing() {
    let (dir, path) = evidence_copy();
    let wrong = "0".repeat(64);
    let actual = sha256_of(&path);
    let capture = path.to_str().unwrap();
    for verify in [false, true] {
        let mut args = vec!["--expect-sha256", &wrong, capture];
        if verify {
            args.insert(0, "--verify");
        }
        let (output, target) = report_to_file(dir.path(), &args);
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        let message = stderr(&output);
        assert!(
            message.contains("evidence.pcap")
                && message.contains(&actual)
                && message.contains(&wrong)
                && message.contains("no report written"),
            "{message}"
        );
        assert!(!target.exists(), "a report was written");
        assert!(output.stdout.is_empty());
    }
    // On standard output too: nothing printed.
    let output = whence()
        .args(["report", "--no-system-db", "--format", "json"])
        .args(["--expect-sha256", &wrong, capture])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
}

#[test]
fn malformed_or_ambiguous_expectations_are_usage_errors() {
    let (dir, path) = evidence_copy();
    let capture = path.to_str().unwrap();
    let digest = sha256_of(&path);
    let short = &digest[..63];
    let not_hex = format!("{}z", &digest[..63]);
    let other = dir.path().join("other.pcap");
    std::fs::copy(&path, &other).unwrap();
    let unknown = format!("missing.pcap={digest}");
    for (args, says) in [
        (
            vec!["--expect-sha256", short, capture],
            "64 hexadecimal digits",
        ),
        (
            vec!["--expect-sha256", &not_hex, capture],
            "64 hexadecimal digits",
        ),
        (
            vec!["--expect-sha256", "", capture],
            "64 hexadecimal digits",
        ),
        (
            vec!["--expect-sha256", &digest, capture, other.to_str().unwrap()],
            "FILE=HEX",
        ),
        (
            vec!["--expect-sha256", &unknown, capture],
            "not one of the captures",
        ),
    ] {
        let (output, target) = report_to_file(dir.path(), &args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let message = stderr(&output);
        assert!(message.contains(says), "{args:?}: {message}");
        assert!(!target.exists());
    }
}

#[test]
fn verify_refuses_standard_input_which_cannot_be_read_twice() {
    let (_dir, path) = evidence_copy();
    let output = whence()
        .args(["report", "--no-system-db", "--verify", "-"])
        .write_stdin(std::fs::read(&path).unwrap())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("standard input cannot be read twice"));
    // Without --verify, a hash for standard input is checked once it has been read.
    let output = whence()
        .args(["report", "--no-system-db", "--format", "json"])
        // `-=HEX` starts with a dash: given attached, as clap wants values that do.
        .arg(format!("--expect-sha256=-={}", sha256_of(&path)))
        .arg("-")
        .write_stdin(std::fs::read(&path).unwrap())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
}

/// Inputs are opened for reading only: a capture whose permissions forbid writing is read,
/// and after a run its bytes and modification time are what they were.
#[cfg(unix)]
#[test]
fn inputs_are_read_only_and_left_untouched() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, path) = evidence_copy();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
    let before = std::fs::read(&path).unwrap();
    let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
    let (output, _) = report_to_file(
        dir.path(),
        &["--verify", "--format", "json", path.to_str().unwrap()],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert_eq!(
        std::fs::metadata(&path).unwrap().modified().unwrap(),
        modified
    );
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o444
    );
}
