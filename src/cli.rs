//! Command-line interface: clap derive types. Their doc comments are the `--help` text.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

const EXAMPLES: &str = "\
Examples:
  whence report samples/iot-botnet-syn-flood.pcapng
  whence report attack.pcap --baseline normal-day.pcap --victim 203.0.113.10 --tz Europe/Berlin
  whence report samples/http-get-flood.pcapng --claim country:DE --claim asn:AS24940
  whence report capture.pcapng.gz -o report.json
  tcpdump -i eth0 -w - | whence report -
  whence report sensor-a/*.pcap sensor-b/*.pcapng.zst
  whence report attack.pcap --geoip-db GeoLite2-Country.mmdb --geoip-db GeoLite2-ASN.mmdb
  whence geoip lookup 8.8.8.8 2001:4860:4860::8888

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

    /// GeoIP and ASN database tools.
    #[command(subcommand)]
    Geoip(GeoipCommand),
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

    /// Report format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Json)]
    pub format: ReportFormat,

    /// Write the report to FILE (atomically: a temporary file renamed into place) instead of
    /// standard output. Refused if FILE is one of the inputs.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,

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

    /// Most distinct source addresses counted one by one (about 150 bytes each). Past it, new
    /// sources are counted by sketches: a HyperLogLog estimate of how many (about 0.8 % error)
    /// and a summary of the busiest, and the report says `sources.exact: false`.
    #[arg(long, value_name = "N", default_value_t = crate::aggregate::DEFAULT_SOURCE_CAP)]
    pub max_sources: usize,

    #[command(flatten)]
    pub databases: DatabaseArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// The report model as pretty-printed JSON (schema `whence.report/1`).
    Json,
}
