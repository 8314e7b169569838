//! Developer tools for whence, kept out of the user binary: takes subcommands and gives
//! `synth-capture` (large synthetic captures for the ingest benchmark), `scenario` (an attack
//! scenario's capture with its ground truth), `samples` (regenerates `samples/`),
//! `build-asn-db` (the ASN MaxMind DB from ip-location-db CSVs), `pack-default-dbs`
//! (regenerates the embedded `data/geoip/` in one command) and `world-map` (regenerates
//! `data/worlddata/world-map.tsv`, the HTML report's map).

mod asn_db;
mod pack;
mod synth;

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use whence_tools::scenario::{self, Geo, Options, Scale};
use whence_tools::world_map;

#[derive(Parser)]
#[command(name = "whence-tools", about = "Developer tools for whence")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write a synthetic pcap of about SIZE megabytes for benchmarks.
    SynthCapture {
        /// Output file.
        #[arg(short = 'o', long)]
        output: PathBuf,
        /// Approximate size in MB (10^6 bytes).
        #[arg(long, default_value_t = 1000)]
        size_mb: u64,
        /// Traffic mix.
        #[arg(long, value_enum, default_value_t = synth::Profile::Mixed)]
        profile: synth::Profile,
        /// Random seed; the same seed gives the same file.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Write an attack scenario: a capture and, beside it, <NAME>.truth.json, what a correct
    /// report on it must say. The same seed gives byte-identical files.
    Scenario {
        /// Scenario to write (see --list).
        #[arg(long, required_unless_present = "list")]
        name: Option<String>,
        /// List the scenarios and exit.
        #[arg(long)]
        list: bool,
        /// Random seed (the samples use 1).
        #[arg(long, default_value_t = scenario::SAMPLE_SEED)]
        seed: u64,
        /// Output folder.
        #[arg(long, default_value = ".")]
        out: PathBuf,
        /// small: the committed samples (under 2 MB each); large: about 1 GB, millions of
        /// sources for the floods.
        #[arg(long, value_enum, default_value_t = ScaleArg::Small)]
        scale: ScaleArg,
        /// Multiply every count (hosts, packets, sessions) by F instead of using --scale.
        #[arg(long, value_name = "F")]
        factor: Option<u64>,
        /// Attack events per second (flood packets, reflector replies, HTTP connections).
        #[arg(long, value_name = "PER_SECOND")]
        rate: Option<u64>,
        /// Seconds each attack phase lasts.
        #[arg(long, value_name = "SECONDS")]
        duration: Option<u64>,
        /// Capture start, a UTC time like 2025-03-10T13:00:00Z.
        #[arg(long, value_name = "TIME")]
        start: Option<String>,
        /// Folder with country.mmdb and asn.mmdb [default: the repository's data/geoip].
        #[arg(long, value_name = "DIR")]
        geoip_dir: Option<PathBuf>,
    },
    /// Regenerate every scenario of samples/ (seed 1, small scale) with its truth file.
    Samples {
        /// Output folder [default: the repository's samples/].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Folder with country.mmdb and asn.mmdb [default: the repository's data/geoip].
        #[arg(long, value_name = "DIR")]
        geoip_dir: Option<PathBuf>,
    },
    /// Build the ASN MaxMind DB (GeoLite2-ASN record schema) from ip-location-db CSVs.
    BuildAsnDb {
        /// IPv4 rows: start,end,asn,"organisation" (inclusive ranges).
        #[arg(long)]
        ipv4: PathBuf,
        /// IPv6 rows, same columns.
        #[arg(long)]
        ipv6: PathBuf,
        /// Output .mmdb file.
        #[arg(short = 'o', long)]
        output: PathBuf,
        #[command(flatten)]
        epoch: Epoch,
    },
    /// Regenerate data/geoip: asn.mmdb, country.mmdb and their license files.
    PackDefaultDbs {
        /// Folder with geo-whois-asn-country.mmdb, asn-ipv4.csv, asn-ipv6.csv and licenses.
        #[arg(long)]
        shared: PathBuf,
        /// Output folder (whence's data/geoip).
        #[arg(long)]
        out: PathBuf,
        /// Metadata build_epoch of the ASN database [default: the country database's].
        #[arg(long)]
        build_epoch: Option<u64>,
    },
    /// Regenerate data/worlddata/world-map.tsv: each country's outline as an SVG path (Equal
    /// Earth, simplified), keyed by ISO 3166-1 alpha-2 code.
    WorldMap {
        /// Natural Earth outlines as TopoJSON with a `countries` object (world-atlas
        /// countries-110m.json).
        #[arg(long)]
        topology: PathBuf,
        /// ISO 3166-1 [alpha-2, alpha-3, numeric] rows as JSON (iso3166-codes.json).
        #[arg(long)]
        codes: PathBuf,
        /// Output file [default: the repository's data/worlddata/world-map.tsv].
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
        /// Douglas–Peucker tolerance in viewBox units (the map is 1000 wide).
        #[arg(long, default_value_t = world_map::DEFAULT_TOLERANCE)]
        tolerance: f64,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ScaleArg {
    Small,
    Large,
}

/// Where the ASN database's build_epoch comes from. Required, never the clock, so that a
/// rebuild from the same CSVs gives the same bytes.
#[derive(Args)]
#[group(required = true, multiple = false)]
struct Epoch {
    /// Metadata build_epoch (seconds since 1970).
    #[arg(long)]
    build_epoch: Option<u64>,
    /// Take the build_epoch of this MaxMind DB (e.g. the country database built alongside).
    #[arg(long)]
    epoch_from: Option<PathBuf>,
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::SynthCapture {
            output,
            size_mb,
            profile,
            seed,
        } => {
            let written = synth::write_capture(&output, size_mb * 1_000_000, profile, seed)?;
            println!(
                "{}: {} packets, {} bytes",
                output.display(),
                written.packets,
                written.bytes
            );
            Ok(())
        }
        Command::Scenario {
            name,
            list,
            seed,
            out,
            scale,
            factor,
            rate,
            duration,
            start,
            geoip_dir,
        } => {
            if list {
                for entry in scenario::CATALOGUE {
                    println!("{:<26} {}", entry.name, entry.title);
                }
                return Ok(());
            }
            let options = Options {
                seed,
                scale: match (factor, scale) {
                    (Some(factor), _) => Scale::Factor(factor),
                    (None, ScaleArg::Small) => Scale::Small,
                    (None, ScaleArg::Large) => Scale::Large,
                },
                rate,
                duration_s: duration,
                start_s: start.as_deref().map(scenario::parse_start).transpose()?,
            };
            let geo = Geo::open(&geoip_dir.unwrap_or_else(Geo::default_dir))?;
            let name = name.unwrap_or_default();
            print_generated(&scenario::generate(&geo, &name, &out, &options)?);
            Ok(())
        }
        Command::Samples { out, geoip_dir } => {
            let geo = Geo::open(&geoip_dir.unwrap_or_else(Geo::default_dir))?;
            let out = out.unwrap_or_else(|| {
                let tools = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
                tools.parent().unwrap_or(tools).join("samples")
            });
            for generated in scenario::samples(&geo, &out)? {
                print_generated(&generated);
            }
            Ok(())
        }
        Command::BuildAsnDb {
            ipv4,
            ipv6,
            output,
            epoch,
        } => {
            let build_epoch = match (epoch.build_epoch, epoch.epoch_from) {
                (Some(epoch), _) => epoch,
                (None, Some(path)) => pack::build_epoch_of(&path)?,
                (None, None) => anyhow::bail!("give --build-epoch or --epoch-from"),
            };
            let started = Instant::now();
            let built = asn_db::build(&ipv4, &ipv6, build_epoch)?;
            pack::write_atomically(&output, &built.bytes)?;
            print_asn_summary(&built);
            println!(
                "{}: {} bytes, build_epoch {build_epoch}, {:.2?}",
                output.display(),
                built.bytes.len(),
                started.elapsed()
            );
            Ok(())
        }
        Command::PackDefaultDbs {
            shared,
            out,
            build_epoch,
        } => {
            let started = Instant::now();
            let packed = pack::pack(&shared, &out, build_epoch)?;
            print_asn_summary(&packed.asn);
            println!("build_epoch {}", packed.build_epoch);
            for (path, size) in &packed.databases {
                println!("{}: {size} bytes", path.display());
            }
            println!("total {:.2?}", started.elapsed());
            Ok(())
        }
        Command::WorldMap {
            topology,
            codes,
            output,
            tolerance,
        } => {
            let read = |path: &PathBuf| {
                std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read {}", path.display()))
            };
            let map = world_map::build(&read(&topology)?, &read(&codes)?, tolerance)
                .with_context(|| format!("{} with {}", topology.display(), codes.display()))?;
            let output = output.unwrap_or_else(|| {
                let tools = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
                tools
                    .parent()
                    .unwrap_or(tools)
                    .join("data/worlddata/world-map.tsv")
            });
            let text = map.to_tsv();
            pack::write_atomically(&output, text.as_bytes())?;
            for feature in &map.unmatched {
                eprintln!("warning: no ISO 3166-1 code for feature {feature}; not drawn");
            }
            println!(
                "{}: {} countries, {} bytes, viewBox 0 0 {} {}, {} rings dropped by rounding",
                output.display(),
                map.paths.len(),
                text.len(),
                world_map::WIDTH,
                map.height,
                map.dropped_rings
            );
            Ok(())
        }
    }
}

fn print_generated(generated: &scenario::Generated) {
    println!(
        "{}: {} packets, {} bytes; {}: {} truth keys ({:.1} s)",
        generated.capture.display(),
        generated.packets,
        generated.bytes,
        generated.truth.display(),
        generated.truth_keys,
        generated.seconds
    );
}

fn print_asn_summary(built: &asn_db::Built) {
    println!(
        "ASN database: {} rows, {} distinct (AS, organisation) records",
        built.rows, built.distinct_records
    );
    for overlap in &built.overlaps {
        eprintln!(
            "warning: overlapping rows (longer prefix wins, the later row for equal prefixes):\n  {}\n  {}",
            overlap.earlier, overlap.later
        );
    }
    if built.trimmed_names > 0 {
        eprintln!(
            "note: trimmed white space around {} organisation names",
            built.trimmed_names
        );
    }
    if built.shadowed_rows > 0 {
        eprintln!(
            "note: {} overlapping rows read back another AS at their first or last address",
            built.shadowed_rows
        );
    }
}
