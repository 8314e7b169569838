//! The recipe: capture -> decode -> aggregate -> report -> output. Later stages (enrich,
//! assess, render) slot in between, one call each.

use anyhow::{Context, Result};

use crate::aggregate::Aggregate;
use crate::capture::{self, CaptureSummary};
use crate::cli::{Cli, Command, GeoipCommand, ReportArgs};
use crate::config::{self, Config};
use crate::decode;
use crate::enrich::{self, GeoDatabases};
use crate::output;
use crate::render::lookup;
use crate::report::{self, Report, ReportInputs};

/// How a run ended; `main` turns it into the exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every input was read to its end.
    Success = 0,
    /// A report was written, but some input could not be read to its end.
    SomeInputsFailed = 1,
    /// Nothing useful could be produced.
    Failed = 2,
}

pub fn run(cli: Cli, command_line: Vec<String>) -> Result<Outcome> {
    match cli.command {
        Command::Report(args) => run_report(&args, command_line),
        Command::Geoip(GeoipCommand::Lookup(args)) => {
            let databases = GeoDatabases::resolve(&config::database_options(&args.databases))?;
            let text = lookup::render(&args.addresses, &databases, args.json)?;
            output::write_stdout(text.as_bytes())?;
            Ok(Outcome::Success)
        }
    }
}

fn run_report(args: &ReportArgs, command_line: Vec<String>) -> Result<Outcome> {
    let config =
        Config::from_report_args(args, command_line, std::env::var("SOURCE_DATE_EPOCH").ok())?;
    let databases = GeoDatabases::resolve(&config.databases)?;
    for note in &databases.notes {
        output::diagnostic("note", "geoip", note);
    }
    let (inputs, mut aggregate) = ingest(&config);
    report_input_problems(&inputs);
    if !inputs.iter().any(CaptureSummary::was_readable) {
        return Ok(Outcome::Failed);
    }
    let sources = std::mem::take(&mut aggregate.sources).into_sorted();
    let enrichment = enrich::enrich(&sources, &databases);
    let report = Report::build(&ReportInputs {
        config: &config,
        captures: &inputs,
        aggregate: &aggregate,
        sources: &sources,
        databases: &databases,
        enrichment: &enrichment,
    });
    let rendered = report::to_json(&report).context("cannot serialise the report")?;
    match &config.output {
        Some(path) => output::write_file_atomically(path, rendered.as_bytes())?,
        None => output::write_stdout(rendered.as_bytes())?,
    }
    if inputs.iter().any(|input| input.error.is_some()) {
        Ok(Outcome::SomeInputsFailed)
    } else {
        Ok(Outcome::Success)
    }
}

/// Reads every input once, decoding and aggregating each packet as it streams past. A bad
/// input is described in its summary and the others are still read.
pub fn ingest(config: &Config) -> (Vec<CaptureSummary>, Aggregate) {
    let mut aggregate = Aggregate::default();
    let summaries = config
        .inputs
        .iter()
        .map(|source| {
            capture::read_capture(source, |frame| {
                let decoded = decode::decode(frame);
                aggregate.observe(frame, &decoded);
            })
        })
        .collect();
    (summaries, aggregate)
}

fn report_input_problems(inputs: &[CaptureSummary]) {
    for input in inputs {
        for warning in input.warnings.lines() {
            output::diagnostic("warning", &input.name, &warning);
        }
        if let Some(error) = &input.error {
            output::diagnostic("error", &input.name, error);
        }
    }
}
