//! The recipe: capture -> decode -> aggregate -> report -> output. Later stages (enrich,
//! assess, render) slot in between, one call each.

use anyhow::{Context, Result};

use crate::aggregate::{self, Aggregate};
use crate::batch;
use crate::capture::{self, CaptureSummary, InputSource};
use crate::cli::{Cli, Command, GeoipCommand, ReportArgs, TemplatesCommand};
use crate::config::{self, Config, OutputPlan};
use crate::enrich::{self, GeoDatabases};
use crate::evidence;
use crate::output;
use crate::render::{self, lookup, templates::TemplateSet};
use crate::report::{self, Report, ReportInputs, Traffic};

/// How a run ended; `main` turns it into the exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every input was read to its end.
    Success = 0,
    /// A report was written, but some input could not be read to its end.
    SomeInputsFailed = 1,
    /// Nothing useful could be produced.
    Failed = 2,
    /// `batch`: some captures could not be read to their end (listed in `errors.json`).
    BatchSomeFailed = 3,
    /// `batch`: no capture could be read to its end (or none was found).
    BatchNoneSucceeded = 4,
}

pub fn run(cli: Cli, command_line: Vec<String>) -> Result<Outcome> {
    match cli.command {
        Command::Report(args) => run_report(&args, command_line),
        Command::Batch(args) => batch::run(&args, command_line),
        Command::Geoip(GeoipCommand::Lookup(args)) => {
            let databases = GeoDatabases::resolve(&config::database_options(&args.databases))?;
            let text = lookup::render(&args.addresses, &databases, args.json)?;
            output::write_stdout(text.as_bytes())?;
            Ok(Outcome::Success)
        }
        Command::Templates(TemplatesCommand::Export(args)) => {
            for path in TemplateSet::export_builtin(&args.directory, args.force)? {
                output::diagnostic("note", "templates", &format!("wrote {}", path.display()));
            }
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
    let evidence = evidence_inputs(&config);
    let hashed_before = config
        .verify
        .then(|| evidence::hash_before_analysis(&evidence, &config.expected_hashes))
        .transpose()?;
    let (attack, baseline) = std::thread::scope(|scope| {
        enrich::measure_address_space_alongside(scope, &databases);
        let attack = analyse(&config.inputs, &databases, &config);
        let baseline =
            (!config.baseline.is_empty()).then(|| analyse(&config.baseline, &databases, &config));
        (attack, baseline)
    });
    let captures = attack
        .captures
        .iter()
        .chain(baseline.iter().flat_map(|b| &b.captures));
    report_input_problems(captures.clone());
    report_lookup_errors(&databases, &attack, baseline.as_ref());
    evidence::check_after_analysis(
        &evidence,
        &captures.clone().collect::<Vec<_>>(),
        &config.expected_hashes,
        hashed_before.as_deref(),
    )?;
    if !attack.captures.iter().any(CaptureSummary::was_readable) {
        return Ok(Outcome::Failed);
    }
    let mut report = Report::build(&ReportInputs {
        config: &config,
        attack: &attack,
        baseline: baseline.as_ref(),
        databases: &databases,
    });
    if config.anonymize_victims {
        report::anonymize_victims(&mut report);
    }
    let some_inputs_failed = captures.clone().any(|input| input.error.is_some());
    // With millions of sources, freeing their records takes about as long as writing the
    // report: both at once.
    std::thread::scope(|scope| {
        let _ = std::thread::Builder::new()
            .name("free".into())
            .spawn_scoped(scope, move || drop((attack, baseline)));
        write_reports(&config, &report)
    })?;
    if some_inputs_failed {
        Ok(Outcome::SomeInputsFailed)
    } else {
        Ok(Outcome::Success)
    }
}

/// Every capture the run reads, attack and baseline: the evidence it must leave untouched.
fn evidence_inputs(config: &Config) -> Vec<InputSource> {
    config
        .inputs
        .iter()
        .chain(&config.baseline)
        .cloned()
        .collect()
}

/// Renders the report in each format asked for and writes it where the plan says.
fn write_reports(config: &Config, report: &Report) -> Result<()> {
    match &config.output {
        OutputPlan::Stdout(format) => {
            let text = render::render(report, *format, &config.render)?;
            output::write_stdout(text.as_bytes())
        }
        OutputPlan::File { path, format } => {
            let text = render::render(report, *format, &config.render)?;
            output::write_file_atomically(path, text.as_bytes())
        }
        OutputPlan::Directory { directory, formats } => {
            std::fs::create_dir_all(directory)
                .with_context(|| format!("cannot create {}", directory.display()))?;
            let stem = report::file_stem(report);
            let evidence = evidence_inputs(config);
            for format in formats {
                let path = directory.join(format!("{stem}.{}", format.extension()));
                config::refuse_output_over_input(&path, &evidence)?;
                let text = render::render(report, *format, &config.render)?;
                output::write_file_atomically(&path, text.as_bytes())?;
            }
            Ok(())
        }
    }
}

/// Reads every input once, decoding and aggregating each packet as it streams past, then
/// enriches each distinct source once. A bad input is described in its summary and the others
/// are still read. `config` gives the source cap and the read limits.
pub fn analyse(inputs: &[InputSource], databases: &GeoDatabases, config: &Config) -> Traffic {
    let mut aggregate = Aggregate::with_source_cap(config.source_cap);
    let captures = aggregate::observe_alongside(&mut aggregate, |observe| {
        inputs
            .iter()
            .map(|source| capture::read_capture_with(source, &config.read_limits, &mut *observe))
            .collect()
    });
    aggregate.finish();
    let beyond_cap = aggregate.sources.beyond_cap.take();
    let (sources, enrichment) = std::mem::take(&mut aggregate.sources)
        .into_sorted_alongside(|addresses| enrich::enrich_addresses(addresses, databases));
    Traffic {
        captures,
        aggregate,
        sources,
        beyond_cap,
        enrichment,
    }
}

fn report_input_problems<'a>(inputs: impl Iterator<Item = &'a CaptureSummary>) {
    for input in inputs {
        for warning in input.warnings.lines() {
            output::diagnostic("warning", &input.name, &warning);
        }
        if let Some(error) = &input.error {
            output::diagnostic("error", &input.name, error);
        }
    }
}

/// A database that opened but whose records would not all decode (a corrupt or hostile file)
/// is named, so the unknown origins it caused are not taken for gaps in its coverage.
fn report_lookup_errors(databases: &GeoDatabases, attack: &Traffic, baseline: Option<&Traffic>) {
    let errors = attack.enrichment.lookup_errors
        + baseline.map_or(0, |traffic| traffic.enrichment.lookup_errors);
    if errors == 0 {
        return;
    }
    let mut names: Vec<String> = databases
        .assignments()
        .map(|(_, database)| database.source.label())
        .collect();
    names.dedup();
    output::diagnostic(
        "warning",
        "geoip",
        &format!(
            "{errors} lookups failed on a record that would not decode, in {}; those sources are counted with an unknown origin",
            names.join(", ")
        ),
    );
}
