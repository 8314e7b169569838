//! Command-line interface: clap derive types. Their doc comments are the `--help` text.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

const EXAMPLES: &str = "\
Examples:
  whence report samples/ddos-tcp-synack-reflection.pcap
  whence report capture.pcapng.gz -o report.json
  tcpdump -i eth0 -w - | whence report -
  whence report sensor-a/*.pcap sensor-b/*.pcapng.zst

Exit status:
  0  every input was read to its end (warnings may have been printed)
  1  a report was written, but at least one input could not be read to its end
  2  no report could be written (bad usage, or no input could be read)";

/// Turns captured network traffic into a forensic report on where an attack came from, and how
/// sure anyone can be.
#[derive(Debug, Parser)]
#[command(name = "whence", version, after_help = EXAMPLES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read one or more captures and report on them.
    ///
    /// Captures may be pcap or pcapng, plain or compressed with gzip, zstd, xz or lz4 (detected
    /// from the content, not the name). Several captures are read as one. `-` reads standard
    /// input. Inputs are only ever opened for reading.
    #[command(after_help = EXAMPLES)]
    Report(ReportArgs),
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Capture files to read (`-` for standard input).
    #[arg(required = true, value_name = "CAPTURE")]
    pub captures: Vec<PathBuf>,

    /// Report format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Json)]
    pub format: ReportFormat,

    /// Write the report to FILE (atomically: a temporary file renamed into place) instead of
    /// standard output. Refused if FILE is one of the inputs.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// The report model as pretty-printed JSON (schema `whence.report/1`).
    Json,
}
