//! Developer tools for whence, kept out of the user binary: takes subcommands and gives
//! `synth-capture` (large synthetic captures for the ingest benchmark), `build-asn-db` (the
//! ASN MaxMind DB from ip-location-db CSVs) and `pack-default-dbs` (regenerates the embedded
//! `data/geoip/` in one command).

mod asn_db;
mod pack;
mod synth;

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};

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
    }
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
