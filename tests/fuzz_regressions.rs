//! Inputs from fuzzing: every committed seed of `fuzz/seeds/` replayed through the same paths
//! the fuzz targets drive (a report from a capture, a database opened and walked), and each
//! minimised crash in `tests/fixtures/fuzz/` run through the binary. None may panic.

// A test fails loudly on anything unexpected.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Parser;
use whence::app;
use whence::capture::{CaptureSummary, InputSource};
use whence::cli::{Cli, Command};
use whence::config::Config;
use whence::enrich::geoip::{Database, DatabaseSource};
use whence::enrich::{DatabaseOptions, GeoDatabases};
use whence::report::{self, Report, ReportInputs};

fn files_in(folder: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

/// What `fuzz_targets/report.rs` does with one input: the default configuration, the embedded
/// databases, analyse, build, serialise. Returns the JSON, or `None` when nothing was readable.
fn report_from_memory(bytes: Vec<u8>, databases: &GeoDatabases, config: &Config) -> Option<String> {
    let inputs = [InputSource::Memory(Arc::from(bytes))];
    let attack = app::analyse(&inputs, databases, config);
    if !attack.captures.iter().any(CaptureSummary::was_readable) {
        return None;
    }
    let report = Report::build(&ReportInputs {
        config,
        attack: &attack,
        baseline: None,
        databases,
    });
    Some(report::to_json(&report).unwrap())
}

fn embedded_databases() -> GeoDatabases {
    GeoDatabases::resolve(&DatabaseOptions {
        explicit: Vec::new(),
        search_directories: Vec::new(),
        use_embedded: true,
    })
    .unwrap()
}

/// The configuration of `whence report --no-system-db CAPTURE`, as the fuzz target builds it.
fn default_config() -> Config {
    let cli = Cli::try_parse_from(["whence", "report", "--no-system-db", "seed"]).unwrap();
    let Command::Report(args) = cli.command else {
        panic!("not a report command");
    };
    Config::from_report_args(&args, Vec::new(), Some("1767225600".into())).unwrap()
}

#[test]
fn every_capture_seed_gives_a_report_or_a_clean_refusal() {
    let databases = embedded_databases();
    let config = default_config();
    let seeds = files_in("fuzz/seeds/capture");
    assert!(seeds.len() > 20, "the capture seeds are missing");
    let mut reports = 0;
    for seed in &seeds {
        let bytes = std::fs::read(seed).unwrap();
        if let Some(json) = report_from_memory(bytes, &databases, &config) {
            let value: serde_json::Value = serde_json::from_str(&json).unwrap();
            assert_eq!(value["schema"], report::SCHEMA, "{}", seed.display());
            reports += 1;
        }
    }
    // Most seeds are captures; only a few are broken beyond recognition.
    assert!(reports * 2 > seeds.len(), "{reports} of {}", seeds.len());
}

/// Run on a thread with the main thread's 8 MiB of stack, as whence decodes records: the format
/// allows records nested 512 levels deep, which a debug build cannot follow in a test thread's
/// default 2 MiB.
#[test]
fn every_database_seed_opens_or_is_refused_and_walks_without_panic() {
    std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(walk_every_database_seed)
        .unwrap()
        .join()
        .unwrap();
}

fn walk_every_database_seed() {
    for seed in files_in("fuzz/seeds/database") {
        let bytes = std::fs::read(&seed).unwrap();
        let Ok(database) = Database::from_bytes(Cow::Owned(bytes), DatabaseSource::File(seed))
        else {
            continue;
        };
        let mut cache = HashMap::default();
        for ip in [
            "1.1.1.1",
            "81.2.69.160",
            "::ffff:203.0.113.7",
            "2001:db8::1",
        ] {
            let _ = database.lookup(ip.parse().unwrap(), &mut cache);
        }
        let _ = database.each_ipv4_network(|_, _| {});
    }
}

/// Fuzzing `report` timed out (10 s under the sanitizer) on every input that detected an
/// attack: each `Report::build` walked the whole of both embedded databases again to measure
/// their address space. The minimised input is the first 100 packets of the spoofed SYN flood
/// sample, the fewest that make the report judge its claims against the address space. Now the
/// walk happens once per `GeoDatabases`, and many reports from one set of databases share it.
#[test]
fn reports_built_from_the_same_databases_walk_them_once() {
    let path = common::fixtures().join("fuzz/report-address-space-walk-per-report.pcap");
    let databases = embedded_databases();
    let config = default_config();
    let measured = std::ptr::from_ref(databases.address_space());
    for _ in 0..3 {
        let json = report_from_memory(std::fs::read(&path).unwrap(), &databases, &config).unwrap();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["summary"]["attack_detected"], true);
        assert_eq!(
            value["attribution"]["claims"][0]["expected_basis"],
            "address_space"
        );
    }
    assert!(std::ptr::eq(measured, databases.address_space()));
    // And the binary reports on it cleanly.
    let report = common::report_json(&path, &[]);
    assert_eq!(report["totals"]["packets"], 100);
}
