//! Capture ingest: takes an input (file or stdin, maybe compressed), yields every frame to a
//! callback and returns what was learnt about the input (format, hash, counts, warnings,
//! the error that stopped it if any).
//!
//! A broken capture never aborts the program: whatever was read before the damage is kept and
//! the damage is described in `CaptureSummary::error` or `warnings`, with byte offsets.
//!
//! Every byte here comes from the input, so no index may panic: slices are taken with `get`.
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

mod buffer;
mod frame;
mod hasher;
mod pcap;
mod pcapng;
mod source;
mod warnings;

use std::collections::BTreeSet;
use std::io;

pub use frame::Frame;
pub use source::{
    Compression, DECOMPRESSION_RATIO_FLOOR, DEFAULT_MAX_DECOMPRESSION_RATIO, InputSource,
    LimitReached, ReadLimits,
};
pub use warnings::Warnings;

use crate::timestamp::TimeSpan;
use buffer::StreamWindow;

/// Largest captured length accepted for one packet: libpcap's MAXIMUM_SNAPLEN (262144, see
/// pcap-int.h). A record claiming more is corrupt, and is refused before it is buffered.
pub const MAX_CAPTURED_LEN: u32 = 262_144;

/// Container format of a capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Pcap,
    Pcapng,
}

/// Everything known about one input after reading it.
#[derive(Debug, Clone, Default)]
pub struct CaptureSummary {
    pub name: String,
    pub sha256: Option<String>,
    pub bytes: Option<u64>,
    pub format: Option<Format>,
    pub compression: Option<Compression>,
    /// Masked LINKTYPE_* values of the interfaces that delivered packets or were declared.
    pub link_types: BTreeSet<u32>,
    pub packets: u64,
    pub span: TimeSpan,
    /// The input ended in the middle of a record.
    pub truncated: bool,
    /// Packets the capturing interfaces reported dropping (pcapng Interface Statistics
    /// `isb_ifdrop`), summed over interfaces; `None` when the capture does not say.
    pub interface_drops: Option<u64>,
    pub warnings: Warnings,
    /// Why the input could not be read to its end, if it could not.
    pub error: Option<String>,
}

impl CaptureSummary {
    fn record_frame_time(&mut self, timestamp_ns: Option<i64>) {
        self.packets += 1;
        self.span.observe(timestamp_ns);
    }

    /// True when the input was recognised as a capture, so its packets can be reported even if
    /// an error stopped the reading later.
    pub fn was_readable(&self) -> bool {
        self.format.is_some()
    }
}

/// A reason to stop reading an input, with the byte offset (in the decompressed stream) where
/// it was found.
#[derive(Debug)]
pub(crate) struct ReadError {
    pub offset: Option<u64>,
    pub message: String,
}

impl ReadError {
    pub fn at(offset: u64, message: impl Into<String>) -> Self {
        ReadError {
            offset: Some(offset),
            message: message.into(),
        }
    }

    fn io(error: io::Error, offset: u64) -> Self {
        ReadError::at(offset, format!("read error: {error}"))
    }
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.offset {
            Some(offset) => write!(f, "{} (at byte offset {offset})", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// Whether the first bytes of a file say it is a capture whence can read: a pcap or pcapng
/// magic, or a gzip, zstd, xz or lz4 stream (whose content is only known once decompressed).
/// Batch runs use it to tell captures from the other files of a directory.
pub fn looks_like_capture(prefix: &[u8]) -> bool {
    if Compression::detect(prefix) != Compression::None {
        return true;
    }
    match prefix
        .get(..4)
        .and_then(|magic| <[u8; 4]>::try_from(magic).ok())
    {
        Some(magic) => pcap::is_magic(magic) || pcapng::is_magic(magic),
        None => false,
    }
}

/// Reads one capture to its end, calling `on_frame` for every packet, within the default
/// `ReadLimits`.
pub fn read_capture(source: &InputSource, on_frame: impl FnMut(&Frame)) -> CaptureSummary {
    read_capture_with(source, &ReadLimits::default(), on_frame)
}

/// Reads one capture to its end (or to the first of `limits` it reaches), calling `on_frame`
/// for every packet.
pub fn read_capture_with(
    source: &InputSource,
    limits: &ReadLimits,
    mut on_frame: impl FnMut(&Frame),
) -> CaptureSummary {
    let mut summary = CaptureSummary {
        name: source.display_name(),
        ..CaptureSummary::default()
    };
    let mut opened = match source::open_input(source, limits) {
        Ok(opened) => opened,
        Err(error) => {
            summary.error = Some(describe_open_error(&error));
            return summary;
        }
    };
    summary.compression = Some(opened.compression);
    let outcome = read_stream(&mut opened.stream, &mut summary, &mut on_frame);
    if let Err(mut error) = outcome {
        if let Some(reached) = opened.limit_reached() {
            // Not a read error of the input: the limit, said plainly, in place of the I/O
            // error that carried it through the reader.
            error.message = reached.to_string();
        }
        summary.error = Some(match opened.compression {
            Compression::None => error.to_string(),
            _ => format!("{error}, in the decompressed stream"),
        });
    }
    match opened.finish() {
        Ok(digest) => {
            summary.sha256 = Some(digest.sha256);
            summary.bytes = Some(digest.bytes);
        }
        Err(error) if summary.error.is_none() => {
            summary.error = Some(format!("read error while hashing: {error}"));
        }
        Err(_) => {}
    }
    summary
}

/// The timestamp of a capture's first packet record, read without reading the rest: the
/// decompressor and the format reader run until the first frame, and the stream then ends for
/// them (what they make of the cut is not asked). Batch runs order rotated captures by it
/// before any is read in full. `None` when the capture cannot be opened, holds no frame or its
/// first frame carries no time.
pub fn first_timestamp(source: &InputSource) -> Option<i64> {
    let mut opened = source::open_input(source, &ReadLimits::default()).ok()?;
    let seen = std::cell::Cell::new(None::<Option<i64>>);
    let mut stream = UntilFirstFrame {
        inner: &mut opened.stream,
        seen: &seen,
    };
    let mut summary = CaptureSummary::default();
    let _ = read_stream(&mut stream, &mut summary, &mut |frame: &Frame| {
        if seen.get().is_none() {
            seen.set(Some(frame.timestamp_ns));
        }
    });
    seen.get().flatten()
}

/// A stream that ends once a frame has been seen.
struct UntilFirstFrame<'a> {
    inner: &'a mut Box<dyn io::Read>,
    seen: &'a std::cell::Cell<Option<Option<i64>>>,
}

impl io::Read for UntilFirstFrame<'_> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        if self.seen.get().is_some() {
            return Ok(0);
        }
        // The window asks for a whole chunk but needs only what it is filling for; small reads
        // keep a rotated file of a megabyte from being read whole for its first record.
        let limit = buffer.len().min(FIRST_FRAME_READ);
        match buffer.get_mut(..limit) {
            Some(part) => self.inner.read(part),
            None => self.inner.read(buffer),
        }
    }
}

/// Bytes `first_timestamp` reads at a time.
const FIRST_FRAME_READ: usize = 16 * 1024;

fn describe_open_error(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::NotFound => "no such file".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => error.to_string(),
    }
}

fn read_stream(
    stream: &mut dyn io::Read,
    summary: &mut CaptureSummary,
    on_frame: &mut impl FnMut(&Frame),
) -> Result<(), ReadError> {
    let mut window = StreamWindow::new(stream);
    let have_magic = window.fill(4).map_err(|error| ReadError::io(error, 0))?;
    let magic: [u8; 4] = match window.available().get(..4) {
        Some(bytes) if have_magic => bytes.try_into().unwrap_or_default(),
        _ if window.available().is_empty() => {
            return Err(ReadError::at(0, "empty file: no capture header"));
        }
        _ => return Err(ReadError::at(0, "file too short to hold a capture header")),
    };
    // Each reader sets `summary.format` once the file header has been read: a file whose
    // header is cut or corrupt is not a capture one can report on.
    if pcap::is_magic(magic) {
        pcap::read(&mut window, summary, on_frame)
    } else if pcapng::is_magic(magic) {
        pcapng::read(&mut window, summary, on_frame)
    } else {
        Err(ReadError::at(
            0,
            format!(
                "not a pcap or pcapng capture: unrecognised magic {:02x} {:02x} {:02x} {:02x}",
                magic[0], magic[1], magic[2], magic[3]
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A little-endian microsecond pcap with one empty Ethernet record per second given.
    fn pcap(seconds: &[u32]) -> Vec<u8> {
        let mut bytes = Vec::new();
        for word in [0xa1b2_c3d4u32, 0x0004_0002, 0, 0, 65535, 1] {
            bytes.extend_from_slice(&word.to_le_bytes());
        }
        for &second in seconds {
            for word in [second, 500_000, 14, 14] {
                bytes.extend_from_slice(&word.to_le_bytes());
            }
            bytes.extend_from_slice(&[0; 14]);
        }
        bytes
    }

    #[test]
    fn the_first_timestamp_is_read_through_compression_and_nothing_else_is_needed() {
        let plain = pcap(&[1_700_000_005, 1_700_000_001]);
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(&plain).unwrap();
        let gzip = encoder.finish().unwrap();
        let expected = Some(1_700_000_005_500_000_000);
        for bytes in [plain, gzip] {
            assert_eq!(
                first_timestamp(&InputSource::Memory(bytes.into())),
                expected
            );
        }
        assert_eq!(
            first_timestamp(&InputSource::Memory(pcap(&[]).into())),
            None
        );
        assert_eq!(
            first_timestamp(&InputSource::Memory(b"not a capture".to_vec().into())),
            None
        );
    }
}
