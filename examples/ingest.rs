//! Ingest-only run for the benchmark (`benches/ingest.py`): reads each capture given on the
//! command line through whence's capture and decode stages and the packet totals, nothing
//! else, and prints the totals. It measures the first two stages of the pipeline apart from
//! per-source statistics, enrichment and rendering.

use std::path::PathBuf;
use std::process::ExitCode;

use whence::aggregate::Totals;
use whence::capture::{self, InputSource};
use whence::decode;

fn main() -> ExitCode {
    let mut totals = Totals::default();
    let mut failed = false;
    for argument in std::env::args_os().skip(1) {
        let source = InputSource::from_arg(&PathBuf::from(argument));
        let summary = capture::read_capture(&source, |frame| {
            totals.observe(frame, &decode::decode(frame));
        });
        if let Some(error) = summary.error {
            eprintln!("{}: {error}", summary.name);
            failed = true;
        }
        println!(
            "{}: {} packets, sha256 {}",
            summary.name,
            summary.packets,
            summary.sha256.unwrap_or_default()
        );
    }
    println!(
        "packets {} bytes {} ipv4 {} ipv6 {} non-ip {} undecodable {}",
        totals.packets,
        totals.bytes,
        totals.ipv4_packets,
        totals.ipv6_packets,
        totals.non_ip_packets(),
        totals.undecodable_packets()
    );
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
