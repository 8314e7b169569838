//! Turns the parsed command line into a validated `Config` before any packet is read: inputs
//! resolved, the output checked not to overwrite evidence, the report clock fixed.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::assess::attribution::Claim;
use crate::assess::vectors::IpNetwork;
use crate::capture::InputSource;
use crate::cli::{DatabaseArgs, ReportArgs, ReportFormat};
use crate::enrich::DatabaseOptions;
use crate::enrich::databases::DIRECTORY_VARIABLE;

/// Everything `report` needs, checked.
#[derive(Debug, Clone)]
pub struct Config {
    pub inputs: Vec<InputSource>,
    /// Captures of normal traffic to compare origins with.
    pub baseline: Vec<InputSource>,
    pub format: ReportFormat,
    pub output: Option<PathBuf>,
    /// The command line as given, recorded in the report.
    pub command_line: Vec<String>,
    /// Seconds since the Unix epoch the report says it was generated at: `SOURCE_DATE_EPOCH`
    /// when set (reproducible builds convention), otherwise now.
    pub generated_at: i64,
    pub databases: DatabaseOptions,
    /// Entries in `sources.top`.
    pub top_sources: usize,
    /// Canonical IANA name of the zone renderers show times in.
    pub timezone: String,
    /// Victims given with `--victim`; empty: chosen from the traffic.
    pub victims: Vec<IpNetwork>,
    /// Claims given with `--claim`; empty: the top country and ASN are assessed.
    pub claims: Vec<Claim>,
    /// Distinct sources counted one by one (`--max-sources`).
    pub source_cap: usize,
}

impl Config {
    pub fn from_report_args(
        args: &ReportArgs,
        command_line: Vec<String>,
        source_date_epoch: Option<String>,
    ) -> Result<Config> {
        let inputs: Vec<InputSource> = args
            .captures
            .iter()
            .map(|path| InputSource::from_arg(path))
            .collect();
        let baseline: Vec<InputSource> = args
            .baseline
            .iter()
            .map(|path| InputSource::from_arg(path))
            .collect();
        let all_inputs: Vec<InputSource> = inputs.iter().chain(&baseline).cloned().collect();
        if all_inputs
            .iter()
            .filter(|input| **input == InputSource::Stdin)
            .count()
            > 1
        {
            bail!("standard input (`-`) can be given only once");
        }
        if let Some(output) = &args.output {
            refuse_output_over_input(output, &all_inputs)?;
        }
        let generated_at = match source_date_epoch {
            Some(text) => text.trim().parse::<i64>().with_context(|| {
                format!("SOURCE_DATE_EPOCH must be whole seconds since 1970, not {text:?}")
            })?,
            None => time::OffsetDateTime::now_utc().unix_timestamp(),
        };
        Ok(Config {
            inputs,
            baseline,
            format: args.format,
            output: args.output.clone(),
            command_line,
            generated_at,
            databases: database_options(&args.databases),
            top_sources: args.top,
            victims: args
                .victim
                .iter()
                .map(|text| {
                    text.parse::<IpNetwork>()
                        .map_err(|error| anyhow::anyhow!("--victim {text}: {error}"))
                })
                .collect::<Result<_>>()?,
            source_cap: args.max_sources,
            claims: args
                .claim
                .iter()
                .map(|text| {
                    text.parse::<Claim>()
                        .map_err(|error| anyhow::anyhow!("--claim {text}: {error}"))
                })
                .collect::<Result<_>>()?,
            timezone: crate::assess::waves::validate_timezone(&args.timezone)
                .map_err(|message| anyhow::anyhow!("--tz: {message}"))?,
        })
    }
}

/// The databases the user asked for, with the search directories from the environment.
pub fn database_options(args: &DatabaseArgs) -> DatabaseOptions {
    let search_directories = if args.no_system_db {
        Vec::new()
    } else {
        DatabaseOptions::default_search_directories(
            std::env::var_os(DIRECTORY_VARIABLE).map(std::path::PathBuf::from),
        )
    };
    DatabaseOptions {
        explicit: args.geoip_db.clone(),
        search_directories,
        use_embedded: !args.no_embedded_db,
    }
}

/// Evidence is never overwritten: the output may not be (a link to) any input file.
fn refuse_output_over_input(output: &Path, inputs: &[InputSource]) -> Result<()> {
    let Ok(output_real) = output.canonicalize() else {
        // The output does not exist yet, so it is no input.
        return Ok(());
    };
    for input in inputs {
        if let InputSource::File(path) = input {
            if path
                .canonicalize()
                .is_ok_and(|input_real| input_real == output_real)
            {
                bail!(
                    "refusing to write the report to {}: it is an input capture",
                    output.display()
                );
            }
        }
    }
    Ok(())
}
