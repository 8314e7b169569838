//! Developer tools for whence, kept out of the user binary: `synth-capture` writes large
//! synthetic captures for the ingest benchmark.

mod synth;

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};

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
    }
}
