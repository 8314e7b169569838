//! Turns the parsed command line into a validated `Config` before any packet is read: inputs
//! resolved, the output checked not to overwrite evidence, the report clock fixed.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::assess::attribution::Claim;
use crate::assess::vectors::IpNetwork;
use crate::capture::{InputSource, ReadLimits};
use crate::cli::{BatchArgs, DatabaseArgs, ReportArgs, ReportFormat};
use crate::enrich::DatabaseOptions;
use crate::enrich::databases::DIRECTORY_VARIABLE;
use crate::evidence::{self, ExpectedHash};
use crate::render::templates::TemplateSet;

/// Everything `report` needs, checked.
#[derive(Debug, Clone)]
pub struct Config {
    pub inputs: Vec<InputSource>,
    /// Captures of normal traffic to compare origins with.
    pub baseline: Vec<InputSource>,
    /// Where the report goes, in which format(s).
    pub output: OutputPlan,
    /// How rendered (md, summary, html) reports look.
    pub render: RenderOptions,
    /// Replace victims' addresses with `victim-N` everywhere (`--anonymize-victim`).
    pub anonymize_victims: bool,
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
    /// What reading one compressed input may cost (`--max-decompressed`,
    /// `--max-decompression-ratio`).
    pub read_limits: ReadLimits,
    /// Hash every input before the analysis too (`--verify`).
    pub verify: bool,
    /// Digests inputs must have (`--expect-sha256`); `input` indexes the captures, then the
    /// baselines.
    pub expected_hashes: Vec<ExpectedHash>,
}

/// Where the report is written and in which format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputPlan {
    Stdout(ReportFormat),
    File {
        path: PathBuf,
        format: ReportFormat,
    },
    /// One file per format, named after the first capture and its first packet.
    Directory {
        directory: PathBuf,
        formats: Vec<ReportFormat>,
    },
}

impl OutputPlan {
    /// Decides from `--format` (possibly several), `-o` and whether standard output is a
    /// terminal (people get Markdown, pipes get JSON).
    pub fn resolve(
        formats: &[ReportFormat],
        output: Option<&Path>,
        stdout_is_terminal: bool,
    ) -> Result<OutputPlan> {
        let mut formats = formats.to_vec();
        formats.sort_unstable();
        formats.dedup();
        let Some(path) = output else {
            return match formats.as_slice() {
                [] if stdout_is_terminal => Ok(OutputPlan::Stdout(ReportFormat::Md)),
                [] => Ok(OutputPlan::Stdout(ReportFormat::Json)),
                [format] => Ok(OutputPlan::Stdout(*format)),
                _ => bail!("several formats are written into a directory: give -o DIR"),
            };
        };
        if formats.len() > 1 || path.is_dir() {
            if formats.is_empty() {
                formats.push(ReportFormat::Json);
            }
            return Ok(OutputPlan::Directory {
                directory: path.to_path_buf(),
                formats,
            });
        }
        let format = formats.first().copied().unwrap_or_else(|| {
            path.extension()
                .and_then(|extension| ReportFormat::from_extension(&extension.to_string_lossy()))
                .unwrap_or(ReportFormat::Json)
        });
        Ok(OutputPlan::File {
            path: path.to_path_buf(),
            format,
        })
    }

    /// Every format this plan writes.
    pub fn formats(&self) -> Vec<ReportFormat> {
        match self {
            OutputPlan::Stdout(format) | OutputPlan::File { format, .. } => vec![*format],
            OutputPlan::Directory { formats, .. } => formats.clone(),
        }
    }
}

/// What rendered reports need besides the report: templates (built-in or the user's, already
/// checked to compile), the time zone and how long tables get.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    pub templates: TemplateSet,
    /// Canonical IANA name of the zone times are shown in.
    pub timezone: String,
    /// Most rows per table (`--max-rows`).
    pub max_rows: usize,
}

impl Config {
    pub fn from_report_args(
        args: &ReportArgs,
        command_line: Vec<String>,
        source_date_epoch: Option<String>,
    ) -> Result<Config> {
        use std::io::IsTerminal;
        let output = OutputPlan::resolve(
            &args.format,
            args.output.as_deref(),
            std::io::stdout().is_terminal(),
        )?;
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
        let expected_hashes = evidence::parse_expectations(&args.expect_sha256, &all_inputs)?;
        if args.verify && all_inputs.contains(&InputSource::Stdin) {
            bail!(
                "--verify: standard input cannot be read twice; hash it beforehand and give --expect-sha256 instead"
            );
        }
        if all_inputs
            .iter()
            .filter(|input| **input == InputSource::Stdin)
            .count()
            > 1
        {
            bail!("standard input (`-`) can be given only once");
        }
        if let OutputPlan::File { path, .. } = &output {
            refuse_output_over_input(path, &all_inputs)?;
        }
        // Directory outputs are checked file by file when their names are known.
        let template_format = match (&args.template, output.formats().as_slice()) {
            (None, _) => None,
            (Some(_), [ReportFormat::Json]) => bail!("--template: JSON has no template"),
            (Some(_), [format]) => Some(*format),
            (Some(_), _) => bail!("--template replaces one format's template: give one --format"),
        };
        let templates = TemplateSet::load(
            args.template.as_deref().zip(template_format),
            args.template_dir.as_deref(),
        )?;
        let timezone = crate::assess::waves::validate_timezone(&args.timezone)
            .map_err(|message| anyhow::anyhow!("--tz: {message}"))?;
        let generated_at = match source_date_epoch {
            Some(text) => text.trim().parse::<i64>().with_context(|| {
                format!("SOURCE_DATE_EPOCH must be whole seconds since 1970, not {text:?}")
            })?,
            None => time::OffsetDateTime::now_utc().unix_timestamp(),
        };
        Ok(Config {
            inputs,
            baseline,
            output,
            render: RenderOptions {
                templates,
                timezone: timezone.clone(),
                max_rows: args.max_rows,
            },
            anonymize_victims: args.anonymize_victim,
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
            read_limits: ReadLimits {
                max_decompressed: args.max_decompressed,
                max_ratio: (args.max_decompression_ratio != 0)
                    .then_some(args.max_decompression_ratio),
            },
            verify: args.verify,
            expected_hashes,
            claims: args
                .claim
                .iter()
                .map(|text| {
                    text.parse::<Claim>()
                        .map_err(|error| anyhow::anyhow!("--claim {text}: {error}"))
                })
                .collect::<Result<_>>()?,
            timezone,
        })
    }
}

impl Config {
    /// The report settings of a batch run, checked as `report` checks its own; `inputs` is
    /// left empty (each report gets its own) and the output plan is unused.
    pub fn from_batch_args(
        args: &BatchArgs,
        command_line: Vec<String>,
        source_date_epoch: Option<String>,
    ) -> Result<Config> {
        let report_args = ReportArgs {
            captures: Vec::new(),
            // The plan `report` would make is replaced below: batch writes every format into
            // its directory.
            format: Vec::new(),
            output: None,
            max_rows: 15,
            template: None,
            template_dir: None,
            anonymize_victim: false,
            victim: args.victim.clone(),
            claim: args.claim.clone(),
            baseline: Vec::new(),
            timezone: args.timezone.clone(),
            top: 20,
            max_sources: args.max_sources,
            max_decompressed: None,
            max_decompression_ratio: crate::capture::DEFAULT_MAX_DECOMPRESSION_RATIO,
            verify: false,
            expect_sha256: Vec::new(),
            databases: args.databases.clone(),
        };
        let mut config = Config::from_report_args(&report_args, command_line, source_date_epoch)?;
        let mut formats = args.format.clone();
        formats.sort_unstable();
        formats.dedup();
        config.output = OutputPlan::Directory {
            directory: args.output.clone(),
            formats,
        };
        Ok(config)
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
pub fn refuse_output_over_input(output: &Path, inputs: &[InputSource]) -> Result<()> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_format_follows_the_terminal() {
        assert_eq!(
            OutputPlan::resolve(&[], None, true).unwrap(),
            OutputPlan::Stdout(ReportFormat::Md)
        );
        assert_eq!(
            OutputPlan::resolve(&[], None, false).unwrap(),
            OutputPlan::Stdout(ReportFormat::Json)
        );
        assert_eq!(
            OutputPlan::resolve(&[ReportFormat::Html], None, true).unwrap(),
            OutputPlan::Stdout(ReportFormat::Html)
        );
    }

    #[test]
    fn the_file_extension_chooses_the_format_unless_one_is_given() {
        let plan = |formats: &[ReportFormat], name: &str| {
            OutputPlan::resolve(formats, Some(Path::new(name)), false)
                .unwrap()
                .formats()
        };
        assert_eq!(plan(&[], "r.md"), [ReportFormat::Md]);
        assert_eq!(plan(&[], "r.HTM"), [ReportFormat::Html]);
        assert_eq!(plan(&[], "r.txt"), [ReportFormat::Summary]);
        assert_eq!(plan(&[], "r.json"), [ReportFormat::Json]);
        assert_eq!(plan(&[], "r.out"), [ReportFormat::Json]);
        assert_eq!(plan(&[ReportFormat::Md], "r.json"), [ReportFormat::Md]);
    }

    #[test]
    fn several_formats_need_a_directory() {
        let formats = [ReportFormat::Json, ReportFormat::Md, ReportFormat::Md];
        assert!(OutputPlan::resolve(&formats, None, false).is_err());
        assert_eq!(
            OutputPlan::resolve(&formats, Some(Path::new("out")), false).unwrap(),
            OutputPlan::Directory {
                directory: PathBuf::from("out"),
                formats: vec![ReportFormat::Md, ReportFormat::Json],
            }
        );
    }
}
