//! Command-line interface: clap derive types. Their doc comments are the `--help` text.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

const EXAMPLES: &str = "\
Examples:
  whence report samples/iot-botnet-syn-flood.pcapng
  whence report attack.pcap --baseline normal-day.pcap --victim 203.0.113.10 --tz Europe/Berlin
  whence report samples/http-get-flood.pcapng --claim country:DE --claim asn:AS24940
  whence report capture.pcapng.gz -o report.json
  whence report samples/two-waves.pcap --format md,html,json -o reports/
  whence report attack.pcap --format html --anonymize-victim -o incident.html
  whence templates export my-templates/
  tcpdump -i eth0 -w - | whence report -
  whence report sensor-a/*.pcap sensor-b/*.pcapng.zst
  whence report attack.pcap --geoip-db GeoLite2-Country.mmdb --geoip-db GeoLite2-ASN.mmdb
  whence geoip lookup 8.8.8.8 2001:4860:4860::8888
  whence batch incident-42/ 'sensors/*.pcap.gz' -o reports/ --jobs 4
  whence batch sensors/ -o reports/ --group-by sensor --resume

Exit status:
  0  every input was read to its end (warnings may have been printed)
  1  a report was written, but at least one input could not be read to its end
  2  no report could be written (bad usage, or no input could be read)
  3  batch: reports were written, but at least one capture failed (see errors.json)
  4  batch: no capture could be read (or none was found)";

/// Turns captured network traffic into a forensic report on where an attack came from, and how
/// sure anyone can be.
#[derive(Debug, Parser)]
#[command(name = "whence", version, after_help = EXAMPLES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per run: boxing buys nothing
pub enum Command {
    /// Read one or more captures and report on them.
    ///
    /// Captures may be pcap or pcapng, plain or compressed with gzip, zstd, xz or lz4 (detected
    /// from the content, not the name). Several captures are read as one. `-` reads standard
    /// input. Inputs are only ever opened for reading.
    #[command(after_help = EXAMPLES)]
    Report(ReportArgs),

    /// Report on a whole archive of captures: one report per capture, one combined report over
    /// all of them, one per group of captures if asked, and an index.
    ///
    /// Inputs are files, directories (walked recursively, in sorted order) or glob patterns.
    /// Captures are recognised by their first bytes (pcap, pcapng, gzip, zstd, xz, lz4); other
    /// files are listed in the index as skipped. Captures are put in the order of their first
    /// packet's time, merged in that order and listed in it; captures of one sensor (or group)
    /// whose time ranges overlap are flagged in the index. Files are read in parallel; a
    /// capture that fails is listed with its error in the index and errors.json and the others
    /// go on. Captures with the same SHA-256 as an earlier one are listed as duplicates and
    /// counted once. The combined and group reports equal `whence report` over the same
    /// captures in the same order, TCP handshakes and sessions across rotated files included:
    /// a capture whose traffic depends on the one before it is read a second time for them.
    /// OUTDIR receives combined.<ext>, files/NNNN-<capture>.<ext>, groups/<group>.<ext>,
    /// index.json, index.md, index.html and errors.json.
    #[command(after_help = EXAMPLES)]
    Batch(BatchArgs),

    /// GeoIP and ASN database tools.
    #[command(subcommand)]
    Geoip(GeoipCommand),

    /// The report templates built into whence.
    #[command(subcommand)]
    Templates(TemplatesCommand),
}

#[derive(Debug, Subcommand)]
pub enum TemplatesCommand {
    /// Write the built-in templates (report.md.hbs, summary.md.hbs, report.html.hbs and
    /// partials/) into DIR, as a starting point for `--template-dir`.
    Export(ExportArgs),
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Directory to write the templates into (created if missing).
    #[arg(value_name = "DIR")]
    pub directory: PathBuf,

    /// Overwrite templates that already exist in DIR.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Subcommand)]
pub enum GeoipCommand {
    /// Print what each database says about each address: country, registered country, ASN,
    /// organisation, network category, anonymizer flags, bogon class.
    ///
    /// Use it to double-check a single address quoted in a report or a claim.
    Lookup(LookupArgs),
}

#[derive(Debug, clap::Args)]
pub struct LookupArgs {
    /// Addresses to look up (IPv4 or IPv6).
    #[arg(required = true, value_name = "IP")]
    pub addresses: Vec<String>,

    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub databases: DatabaseArgs,
}

/// Which GeoIP/ASN databases to use. Each role (country, ASN, anonymizer) is answered by the
/// first database that fills it: `--geoip-db` files in the order given, then `.mmdb` files in
/// `$WHENCE_GEOIP_DIR`, /usr/share/GeoIP, /var/lib/GeoIP and /usr/local/share/GeoIP, then the
/// embedded defaults.
#[derive(Debug, Clone, clap::Args)]
pub struct DatabaseArgs {
    /// A MaxMind DB file (GeoIP2/GeoLite2 Country, City, ASN, ISP, Anonymous-IP; DB-IP;
    /// ip-location-db; IPinfo). Its role is recognised from its contents. Repeatable.
    #[arg(long = "geoip-db", value_name = "FILE")]
    pub geoip_db: Vec<PathBuf>,

    /// Do not fall back to the databases embedded in whence.
    #[arg(long)]
    pub no_embedded_db: bool,

    /// Do not look for databases in the usual install locations or $WHENCE_GEOIP_DIR.
    #[arg(long)]
    pub no_system_db: bool,
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Capture files to read (`-` for standard input).
    #[arg(required = true, value_name = "CAPTURE")]
    pub captures: Vec<PathBuf>,

    /// Report format, or several separated by commas (then `-o` names a directory). Without
    /// it: inferred from the extension of `-o FILE` (.md, .html/.htm, .json, .txt for summary;
    /// others give json), else `md` when standard output is a terminal and `json` otherwise.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        value_name = "FORMAT[,FORMAT...]"
    )]
    pub format: Vec<ReportFormat>,

    /// Write the report to FILE (atomically: a temporary file renamed into place) instead of
    /// standard output. With several formats, or when it is an existing directory, a directory:
    /// each report is named `<capture>-<first packet, YYYYMMDDTHHMMSSZ>.<ext>`. Refused if a
    /// file written would be one of the inputs.
    #[arg(short = 'o', long = "output", value_name = "FILE|DIR")]
    pub output: Option<PathBuf>,

    /// Most rows in each table of the md and html reports (countries, ASNs, sources, ...); the
    /// JSON report always has every row.
    #[arg(long, value_name = "N", default_value_t = 15)]
    pub max_rows: usize,

    /// A Handlebars template replacing the built-in one of the chosen (single) format.
    #[arg(long, value_name = "FILE")]
    pub template: Option<PathBuf>,

    /// A directory of templates: files named like the built-in ones (report.md.hbs,
    /// summary.md.hbs, report.html.hbs, partials/*.hbs) replace them. See
    /// `whence templates export`.
    #[arg(long, value_name = "DIR")]
    pub template_dir: Option<PathBuf>,

    /// Show the victims as victim-1, victim-2, ... instead of their addresses, in every format
    /// (JSON too), the headline and the BPF filters, so a report can be shared outside.
    #[arg(long)]
    pub anonymize_victim: bool,

    /// The attacked address or prefix (IP or IP/len, repeatable). By default the victims are
    /// the destinations that received the bulk of the attack traffic.
    #[arg(long, value_name = "IP[/LEN]")]
    pub victim: Vec<String>,

    /// A statement to assess (repeatable): `country:UA`, `asn:AS15895` or `prefix:CIDR`. The
    /// report gives each a verdict (supported, weakly supported, not supported, contradicted,
    /// cannot assess), a likelihood in ICD 203 words and a confidence level, with the factors
    /// behind them. Without it, the top source country and ASN are assessed.
    #[arg(long, value_name = "CLAIM")]
    pub claim: Vec<String>,

    /// A capture of normal traffic (repeatable): each country and ASN of the report gets its
    /// share among the baseline's sources and the lift (attack share / baseline share), to tell
    /// an over-represented origin from one that is simply common.
    #[arg(long, value_name = "CAPTURE")]
    pub baseline: Vec<PathBuf>,

    /// Time zone (IANA name such as Europe/Berlin, or UTC) in which rendered reports show times;
    /// the JSON report always gives UTC.
    #[arg(long = "tz", value_name = "ZONE", default_value = "UTC")]
    pub timezone: String,

    /// How many of the busiest sources to list in `sources.top`.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub top: usize,

    /// Most distinct source addresses counted one by one (about 180 bytes each). Past it, new
    /// sources are counted by sketches: a HyperLogLog estimate of how many (about 0.8 % error)
    /// and a summary of the busiest, and the report says `sources.exact: false`.
    #[arg(long, value_name = "N", default_value_t = crate::aggregate::DEFAULT_SOURCE_CAP)]
    pub max_sources: usize,

    /// Stop reading a compressed capture after SIZE decompressed bytes (suffixes K, M, G, T are
    /// powers of 1024), with an error; the packets before it are reported. Default: no
    /// absolute limit (the ratio limit below still applies).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_decompressed: Option<u64>,

    /// Stop reading a compressed capture that has yielded more than 64 MiB and more than N
    /// times the compressed bytes read so far: a decompression bomb, not a capture (real
    /// captures stay below 1000, see docs/REPORT.md). 0 lifts the limit.
    #[arg(long, value_name = "N", default_value_t = crate::capture::DEFAULT_MAX_DECOMPRESSION_RATIO)]
    pub max_decompression_ratio: u64,

    /// Hash every input file (captures and baselines) once before analysing it, check the
    /// hashes given with --expect-sha256 then, and check after the analysis that each file
    /// still hashes the same (it was not changed while being read). Standard input cannot be
    /// read twice and is refused with --verify.
    #[arg(long)]
    pub verify: bool,

    /// The SHA-256 an input must have, as 64 hex digits (repeatable): `FILE=HEX` for the input
    /// given as FILE, or plain `HEX` when there is a single input. If an input hashes
    /// otherwise, whence stops with an error and writes no report (with --verify before the
    /// analysis, without it once the input has been read).
    #[arg(long = "expect-sha256", value_name = "[FILE=]HEX")]
    pub expect_sha256: Vec<String>,

    #[command(flatten)]
    pub databases: DatabaseArgs,
}

/// A byte count with an optional binary suffix: `1048576`, `512K`, `64M`, `2G`, `1T` (also
/// `KiB`, `MB`, ..., all powers of 1024).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let digits_end = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(trimmed.len());
    let (digits, suffix) = trimmed.split_at(digits_end);
    let number: u64 = digits.parse().map_err(|_| {
        format!("{text:?} is not a size: expected digits with an optional K, M, G or T")
    })?;
    let shift = match suffix.to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => {
            return Err(format!(
                "{text:?}: unknown size suffix {suffix:?} (use K, M, G or T)"
            ));
        }
    };
    number
        .checked_mul(1u64 << shift)
        .ok_or_else(|| format!("{text:?} is too large"))
}

#[derive(Debug, clap::Args)]
pub struct BatchArgs {
    /// Capture files, directories (searched recursively) or glob patterns.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,

    /// Directory the reports and the index are written into (created if missing).
    #[arg(short = 'o', long = "output", value_name = "OUTDIR")]
    pub output: PathBuf,

    /// Write one report per capture (the default, with --combined, when neither is given).
    #[arg(long)]
    pub per_file: bool,

    /// Write one report over all captures together (the default, with --per-file, when neither
    /// is given).
    #[arg(long)]
    pub combined: bool,

    /// Captures read at the same time (default: one per CPU core).
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,

    /// No progress bar and no per-file diagnostics (the index still lists every problem).
    #[arg(long, short = 'q')]
    pub quiet: bool,

    /// Report formats, separated by commas.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        value_name = "FORMAT[,FORMAT...]",
        default_value = "md,html,json"
    )]
    pub format: Vec<ReportFormat>,

    /// The attacked address or prefix (IP or IP/len, repeatable), as for `report`.
    #[arg(long, value_name = "IP[/LEN]")]
    pub victim: Vec<String>,

    /// A statement to assess (repeatable), as for `report`: `country:UA`, `asn:AS15895`,
    /// `prefix:CIDR`.
    #[arg(long, value_name = "CLAIM")]
    pub claim: Vec<String>,

    /// Time zone in which rendered reports show times (IANA name or UTC).
    #[arg(long = "tz", value_name = "ZONE", default_value = "UTC")]
    pub timezone: String,

    /// Most distinct source addresses counted one by one, per capture and combined.
    #[arg(long, value_name = "N", default_value_t = crate::aggregate::DEFAULT_SOURCE_CAP)]
    pub max_sources: usize,

    /// Also write one report per group of captures, to OUTDIR/groups/<group>.<ext>: `dir`, the
    /// capture's directory relative to the INPUT it was found under; `sensor`, the file name
    /// without rotation counters, timestamps and extensions (edge1_00012_20240101120000.pcap.gz
    /// is sensor edge1).
    #[arg(long, value_enum, value_name = "DIR|SENSOR", ignore_case = true)]
    pub group_by: Option<GroupBy>,

    /// Keep the per-capture reports of an earlier run into OUTDIR when they are newer than the
    /// capture and were written with the same report options, whence version and databases
    /// (index.json records a fingerprint of them). Such captures are listed as `ok` with
    /// `resumed: true` and the figures of the earlier index. They are still read for the
    /// combined and group reports, but not reported on one by one; with --per-file alone they
    /// are not read at all (beyond their first packet, for the order).
    #[arg(long)]
    pub resume: bool,

    #[command(flatten)]
    pub databases: DatabaseArgs,
}

/// How `batch --group-by` puts captures into groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GroupBy {
    /// The capture's directory, relative to the input it was found under (`.` directly in it).
    Dir,
    /// The sensor named by the capture's file name.
    Sensor,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum ReportFormat {
    /// GitHub-flavoured Markdown: the full report, for tickets, wikis and TheHive.
    Md,
    /// A short Markdown summary (about 25 lines) for a ticket comment.
    Summary,
    /// One self-contained HTML file with charts; prints well.
    Html,
    /// The report model as pretty-printed JSON (schema `whence.report/1`).
    Json,
}

impl ReportFormat {
    /// The file extension reports of this format are written with.
    pub fn extension(self) -> &'static str {
        match self {
            ReportFormat::Md => "md",
            ReportFormat::Summary => "txt",
            ReportFormat::Html => "html",
            ReportFormat::Json => "json",
        }
    }

    /// The format a file name asks for, if its extension is one whence knows.
    pub fn from_extension(extension: &str) -> Option<ReportFormat> {
        match extension.to_ascii_lowercase().as_str() {
            "md" | "markdown" => Some(ReportFormat::Md),
            "txt" => Some(ReportFormat::Summary),
            "html" | "htm" => Some(ReportFormat::Html),
            "json" => Some(ReportFormat::Json),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_binary_suffixes_and_refuse_junk() {
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("512K"), Ok(512 << 10));
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("2g"), Ok(2 << 30));
        assert_eq!(parse_size("1T"), Ok(1 << 40));
        assert!(parse_size("").is_err());
        assert!(parse_size("M").is_err());
        assert!(parse_size("12X").is_err());
        assert!(parse_size("-1").is_err());
        assert!(parse_size("99999999999T").is_err());
    }
}
