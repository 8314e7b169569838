//! Legacy pcap (libpcap savefile): both byte orders, microsecond and nanosecond magic, and the
//! "modified" (Kuznetzov) variant with its 24-byte record header.
//!
//! The file header is parsed by pcap-parser. Records are framed here rather than by
//! pcap-parser's frame parsers because the captured length must be checked against the limits
//! before the record is buffered, and pcap-parser has no big-endian "modified" frame parser;
//! with the header already decoded for the check, framing is one slice.

use pcap_parser::pcap::parse_pcap_header;

use super::buffer::StreamWindow;
use super::{CaptureSummary, Frame, MAX_CAPTURED_LEN, ReadError};

const FILE_HEADER_LEN: usize = 24;
const RECORD_HEADER_LEN: usize = 16;
/// The modified format appends ifindex (4), protocol (2), pkt_type (1) and padding (1).
const MODIFIED_RECORD_HEADER_LEN: usize = 24;

const MAGIC_MICRO: u32 = 0xa1b2_c3d4;
const MAGIC_NANO: u32 = 0xa1b2_3c4d;
const MAGIC_MODIFIED: u32 = 0xa1b2_cd34;

/// libpcap keeps the link type in the low 26 bits; the upper bits carry the FCS length flag
/// (bit 26) and length (bits 28-31): LT_LINKTYPE, LT_FCS_LENGTH_PRESENT, LT_FCS_LENGTH in
/// pcap/pcap-common.h.
const LINKTYPE_MASK: u32 = 0x03ff_ffff;
const FCS_LENGTH_PRESENT: u32 = 0x0400_0000;

pub fn is_magic(bytes: [u8; 4]) -> bool {
    [MAGIC_MICRO, MAGIC_NANO, MAGIC_MODIFIED]
        .iter()
        .any(|&magic| u32::from_le_bytes(bytes) == magic || u32::from_be_bytes(bytes) == magic)
}

/// What the file header says about how to read records.
struct FileLayout {
    big_endian: bool,
    nanosecond: bool,
    record_header_len: usize,
    snaplen: u32,
    link_type: u32,
    /// Bytes of frame check sequence at the end of every packet, to be cut off.
    fcs_len: usize,
    /// Files of format version 2.3 and earlier may have the captured and original lengths in
    /// each other's place (libpcap sf-pcap.c, `lengths_swapped`).
    lengths_maybe_swapped: bool,
}

pub fn read<R: std::io::Read>(
    window: &mut StreamWindow<R>,
    summary: &mut CaptureSummary,
    on_frame: &mut impl FnMut(&Frame),
) -> Result<(), ReadError> {
    let layout = read_file_header(window)?;
    summary.format = Some(super::Format::Pcap);
    summary.link_types.insert(layout.link_type);
    loop {
        let record_offset = window.offset();
        let have_header = window
            .fill(layout.record_header_len)
            .map_err(|error| ReadError::at(record_offset, format!("read error: {error}")))?;
        if !have_header {
            if !window.available().is_empty() {
                summary.truncated = true;
                summary.warnings.add("truncated", Some(record_offset), || {
                    format!(
                        "capture ends inside a record header ({} of {} bytes)",
                        window.available().len(),
                        layout.record_header_len
                    )
                });
            }
            return Ok(());
        }
        let mut header = RecordHeader::parse(window.available(), layout.big_endian);
        if layout.lengths_maybe_swapped && header.captured_len > header.wire_len {
            // libpcap's MAYBE_SWAPPED rule: a captured length above the original length is
            // impossible, so in these old versions the two fields are taken as swapped.
            std::mem::swap(&mut header.captured_len, &mut header.wire_len);
            summary.warnings.add("swapped_lengths", Some(record_offset), || {
                "record lengths taken as swapped (captured above original length in a pcap 2.3 or earlier file, as libpcap reads them)".to_string()
            });
        }
        if header.captured_len > MAX_CAPTURED_LEN {
            return Err(ReadError::at(
                record_offset,
                format!(
                    "corrupt record: captured length {} exceeds the {MAX_CAPTURED_LEN}-byte maximum",
                    header.captured_len
                ),
            ));
        }
        let record_len = layout.record_header_len + header.captured_len as usize;
        let have_record = window
            .fill(record_len)
            .map_err(|error| ReadError::at(record_offset, format!("read error: {error}")))?;
        if !have_record {
            summary.truncated = true;
            summary.warnings.add("truncated", Some(record_offset), || {
                format!(
                    "capture ends inside the last record: {} of its {} captured bytes are present; the partial record was dropped",
                    window.available().len().saturating_sub(layout.record_header_len),
                    header.captured_len
                )
            });
            return Ok(());
        }
        let timestamp_ns = header.timestamp_ns(&layout, record_offset, summary);
        let data = window
            .available()
            .get(layout.record_header_len..record_len)
            .unwrap_or_default();
        let data = clip_to_snaplen(data, &layout, record_offset, summary);
        let data = data
            .get(..data.len().saturating_sub(layout.fcs_len))
            .unwrap_or_default();
        if header.captured_len > header.wire_len {
            summary
                .warnings
                .add("caplen_over_wire", Some(record_offset), || {
                    format!(
                        "record captured length {} is larger than its original length {}",
                        header.captured_len, header.wire_len
                    )
                });
        }
        let frame = Frame {
            link_type: layout.link_type,
            timestamp_ns: Some(timestamp_ns),
            wire_len: header.wire_len.max(header.captured_len),
            data,
        };
        summary.record_frame_time(frame.timestamp_ns);
        on_frame(&frame);
        window.consume(record_len);
    }
}

fn read_file_header<R: std::io::Read>(
    window: &mut StreamWindow<R>,
) -> Result<FileLayout, ReadError> {
    let complete = window
        .fill(FILE_HEADER_LEN)
        .map_err(|error| ReadError::at(0, format!("read error: {error}")))?;
    let bytes = window.available();
    if !complete {
        return Err(ReadError::at(
            0,
            format!(
                "truncated pcap file header ({} of {FILE_HEADER_LEN} bytes)",
                bytes.len()
            ),
        ));
    }
    let mut header_bytes = [0u8; FILE_HEADER_LEN];
    header_bytes.copy_from_slice(
        bytes
            .get(..FILE_HEADER_LEN)
            .unwrap_or(&[0; FILE_HEADER_LEN]),
    );
    // pcap-parser does not know the byte-swapped "modified" magic; present it as the
    // little-endian one with the fields swapped, which is what the file means.
    let swapped_modified = u32::from_be_bytes([
        header_bytes[0],
        header_bytes[1],
        header_bytes[2],
        header_bytes[3],
    ]) == MAGIC_MODIFIED;
    if swapped_modified {
        header_bytes = swap_header_fields(header_bytes);
    }
    let (_, header) = parse_pcap_header(&header_bytes)
        .map_err(|error| ReadError::at(0, format!("invalid pcap file header: {error:?}")))?;
    let raw_link_type = header.network.0 as u32;
    let fcs_len = if raw_link_type & FCS_LENGTH_PRESENT != 0 {
        // The length is in 16-bit words.
        ((raw_link_type >> 28) as usize) * 2
    } else {
        0
    };
    let layout = FileLayout {
        big_endian: header.is_bigendian() || swapped_modified,
        nanosecond: header.is_nanosecond_precision(),
        record_header_len: if header.is_modified_format() {
            MODIFIED_RECORD_HEADER_LEN
        } else {
            RECORD_HEADER_LEN
        },
        snaplen: header.snaplen,
        link_type: raw_link_type & LINKTYPE_MASK,
        fcs_len,
        lengths_maybe_swapped: header.version_major < 2
            || (header.version_major == 2 && header.version_minor <= 3),
    };
    window.consume(FILE_HEADER_LEN);
    Ok(layout)
}

/// Turns a big-endian modified header into its little-endian twin, field by field.
fn swap_header_fields(bytes: [u8; FILE_HEADER_LEN]) -> [u8; FILE_HEADER_LEN] {
    let mut out = bytes;
    for (start, width) in [(0, 4), (4, 2), (6, 2), (8, 4), (12, 4), (16, 4), (20, 4)] {
        if let Some(field) = out.get_mut(start..start + width) {
            field.reverse();
        }
    }
    out
}

/// A record header in host order.
struct RecordHeader {
    seconds: u32,
    fraction: u32,
    captured_len: u32,
    wire_len: u32,
}

impl RecordHeader {
    fn parse(bytes: &[u8], big_endian: bool) -> RecordHeader {
        let field = |index: usize| {
            let raw: [u8; 4] = bytes
                .get(index * 4..index * 4 + 4)
                .and_then(|slice| slice.try_into().ok())
                .unwrap_or_default();
            if big_endian {
                u32::from_be_bytes(raw)
            } else {
                u32::from_le_bytes(raw)
            }
        };
        RecordHeader {
            seconds: field(0),
            fraction: field(1),
            captured_len: field(2),
            wire_len: field(3),
        }
    }

    /// Seconds are unsigned (as libpcap reads them, good until 2106). A fraction at or above
    /// one second is carried into the seconds, with a warning: writers with that bug exist, and
    /// the packet is still evidence.
    fn timestamp_ns(&self, layout: &FileLayout, offset: u64, summary: &mut CaptureSummary) -> i64 {
        let units_per_second: u64 = if layout.nanosecond {
            1_000_000_000
        } else {
            1_000_000
        };
        let fraction = u64::from(self.fraction);
        if fraction >= units_per_second {
            summary.warnings.add("subsecond_out_of_range", Some(offset), || {
                format!(
                    "record timestamp has a sub-second field of {} (must be below {units_per_second}); carried into the seconds",
                    self.fraction
                )
            });
        }
        let nanos_per_unit = 1_000_000_000 / units_per_second;
        let total = u64::from(self.seconds) * 1_000_000_000 + fraction * nanos_per_unit;
        i64::try_from(total).unwrap_or(i64::MAX)
    }
}

/// libpcap keeps at most the snaplen of a record that claims more (sf-pcap.c); a snaplen of 0
/// means "no limit" in files written by some tools.
fn clip_to_snaplen<'a>(
    data: &'a [u8],
    layout: &FileLayout,
    offset: u64,
    summary: &mut CaptureSummary,
) -> &'a [u8] {
    let snaplen = layout.snaplen as usize;
    if snaplen == 0 || data.len() <= snaplen {
        return data;
    }
    summary.warnings.add("caplen_over_snaplen", Some(offset), || {
        format!(
            "record captured length {} is larger than the file's snaplen {}; bytes past the snaplen ignored",
            data.len(),
            layout.snaplen
        )
    });
    data.get(..snaplen).unwrap_or(data)
}
