//! Fuzz target: bytes as one capture file (pcap, pcapng, or either compressed with gzip, zstd,
//! xz or lz4, recognised by magic) -> the capture reader, every frame decoded and aggregated,
//! as `app::analyse` does.

#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use whence::aggregate::Aggregate;
use whence::capture::{self, InputSource};
use whence::decode;

fuzz_target!(|data: &[u8]| {
    let mut aggregate = Aggregate::default();
    let summary = capture::read_capture(&InputSource::Memory(Arc::from(data)), |frame| {
        let decoded = decode::decode(frame);
        aggregate.observe(frame, &decoded);
    });
    aggregate.finish();
    // The summary's text is what reports show: building it must not panic either.
    let _ = summary.warnings.lines();
    let _ = std::mem::take(&mut aggregate.sources).into_sorted();
});
