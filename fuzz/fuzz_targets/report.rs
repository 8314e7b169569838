//! Fuzz target: bytes as one capture -> the whole `report` pipeline, as `app::run` runs it:
//! `app::analyse` with the embedded databases, `Report::build`, JSON serialisation.

#![no_main]

use std::sync::{Arc, LazyLock};

use clap::Parser;
use libfuzzer_sys::fuzz_target;
use whence::app;
use whence::capture::{CaptureSummary, InputSource};
use whence::cli::{Cli, Command};
use whence::config::Config;
use whence::enrich::{DatabaseOptions, GeoDatabases};
use whence::report::{self, Report, ReportInputs};

/// Only the embedded databases: a run must not depend on what the machine has installed.
static DATABASES: LazyLock<GeoDatabases> = LazyLock::new(|| {
    GeoDatabases::resolve(&DatabaseOptions {
        explicit: Vec::new(),
        search_directories: Vec::new(),
        use_embedded: true,
    })
    .expect("the embedded databases open")
});

/// The defaults of `whence report --no-system-db CAPTURE`, built the way the binary builds them.
static CONFIG: LazyLock<Config> = LazyLock::new(|| {
    let cli = Cli::try_parse_from(["whence", "report", "--no-system-db", "fuzz-input"])
        .expect("the command line parses");
    let Command::Report(args) = cli.command else {
        panic!("not a report command");
    };
    Config::from_report_args(&args, Vec::new(), Some("1767225600".to_string()))
        .expect("the default configuration is valid")
});

fuzz_target!(
    init: {
        // Outside the timed runs: parsing the configuration, opening the databases and the
        // one walk of their address space (measured once per `GeoDatabases`, then kept).
        LazyLock::force(&CONFIG);
        DATABASES.address_space();
    },
    |data: &[u8]| {
        let inputs = [InputSource::Memory(Arc::from(data))];
        let attack = app::analyse(&inputs, &DATABASES, &CONFIG);
        // As `app::run_report`: no report when nothing could be read.
        if !attack.captures.iter().any(CaptureSummary::was_readable) {
            return;
        }
        let report = Report::build(&ReportInputs {
            config: &CONFIG,
            attack: &attack,
            baseline: None,
            databases: &DATABASES,
        });
        report::to_json(&report).expect("a report serialises to JSON");
    }
);
