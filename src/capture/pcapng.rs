//! pcapng: several sections (each with its own byte order and interfaces), several interfaces
//! with their own link types, snaplens, `if_tsresol` and `if_tsoffset`; Enhanced, Simple and
//! obsolete Packet Blocks; Interface Statistics (`isb_ifdrop`); unknown blocks skipped.
//!
//! Blocks are framed here (type and length checked against limits before buffering) and parsed
//! by pcap-parser.

use pcap_parser::pcapng::{
    Block, EnhancedPacketBlock, InterfaceDescriptionBlock, InterfaceStatisticsBlock,
    SimplePacketBlock, parse_block_be, parse_block_le,
};

use super::buffer::StreamWindow;
use super::{CaptureSummary, Frame, MAX_CAPTURED_LEN, ReadError};

const SECTION_HEADER_TYPE: u32 = 0x0a0d_0d0a;
const BYTE_ORDER_MAGIC: u32 = 0x1a2b_3c4d;
/// The obsolete Packet Block (pcapng spec appendix, "Packet Block (obsolete!)").
const OBSOLETE_PACKET_BLOCK_TYPE: u32 = 0x0000_0002;
/// type, length, trailing length.
const BLOCK_OVERHEAD: usize = 12;
/// A block larger than this is taken as corrupt: a packet block holds at most
/// `MAX_CAPTURED_LEN` of data, and no other block a capture writer emits comes near it.
const MAX_BLOCK_LEN: u32 = 16 * 1024 * 1024;
/// Interfaces one section may declare before the file is taken as hostile: the interface
/// table is the one structure of the reader that grows with the file (about 40 bytes an
/// interface; an Interface Description Block takes 20 bytes of file), so a file of nothing but
/// IDBs would otherwise grow it without bound. Capture hosts have tens of interfaces; 65,536
/// matches the 16-bit interface id of the obsolete Packet Block.
pub const MAX_INTERFACES_PER_SECTION: usize = 65_536;

/// pcapng option codes (draft-ietf-opsawg-pcapng §4.2, §4.6).
const OPT_IF_TSRESOL: u16 = 9;
const OPT_IF_TSOFFSET: u16 = 14;
const OPT_ISB_IFDROP: u16 = 5;

pub fn is_magic(bytes: [u8; 4]) -> bool {
    u32::from_le_bytes(bytes) == SECTION_HEADER_TYPE
}

/// One interface of the current section.
struct Interface {
    link_type: u32,
    snaplen: u32,
    /// Timestamp ticks per second: `if_tsresol` (default 10^6).
    ticks: TickRate,
    /// `if_tsoffset`, in seconds, added to every timestamp.
    offset_seconds: i64,
    /// The latest `isb_ifdrop` an Interface Statistics Block gave for it (the counters are
    /// running totals).
    dropped: Option<u64>,
}

#[derive(Clone, Copy)]
enum TickRate {
    PowerOfTen(u32),
    PowerOfTwo(u32),
}

impl TickRate {
    /// `if_tsresol`: high bit clear, 10^-n seconds; high bit set, 2^-n seconds.
    fn from_option(value: u8) -> TickRate {
        if value & 0x80 == 0 {
            TickRate::PowerOfTen(u32::from(value))
        } else {
            TickRate::PowerOfTwo(u32::from(value & 0x7f))
        }
    }

    fn to_nanoseconds(self, ticks: u64) -> Option<i64> {
        let nanos: u128 = match self {
            TickRate::PowerOfTen(exponent) if exponent <= 9 => {
                u128::from(ticks) * 10u128.pow(9 - exponent)
            }
            // Finer than 10^-38 s: every tick count is below one nanosecond.
            TickRate::PowerOfTen(exponent) => 10u128
                .checked_pow(exponent - 9)
                .map_or(0, |divisor| u128::from(ticks) / divisor),
            TickRate::PowerOfTwo(exponent) => {
                (u128::from(ticks) * 1_000_000_000) >> exponent.min(127)
            }
        };
        i64::try_from(nanos).ok()
    }
}

/// The reading state: the current section's byte order and interfaces.
struct Section {
    big_endian: bool,
    index: usize,
    interfaces: Vec<Interface>,
}

pub fn read<R: std::io::Read>(
    window: &mut StreamWindow<R>,
    summary: &mut CaptureSummary,
    on_frame: &mut impl FnMut(&Frame),
) -> Result<(), ReadError> {
    let mut section = Section {
        big_endian: false,
        index: 0,
        interfaces: Vec::new(),
    };
    let mut first_block = true;
    loop {
        let block_offset = window.offset();
        let io_error =
            |error: std::io::Error| ReadError::at(block_offset, format!("read error: {error}"));
        if !window.fill(BLOCK_OVERHEAD).map_err(io_error)? {
            if !window.available().is_empty() {
                note_truncated(
                    summary,
                    block_offset,
                    window.available().len(),
                    BLOCK_OVERHEAD,
                );
            }
            break;
        }
        let (block_type, block_len) = peek_block(window.available(), &mut section, block_offset)?;
        if first_block && block_type != SECTION_HEADER_TYPE {
            return Err(ReadError::at(
                block_offset,
                "pcapng file does not start with a Section Header Block",
            ));
        }
        first_block = false;
        if !window.fill(block_len).map_err(io_error)? {
            note_truncated(summary, block_offset, window.available().len(), block_len);
            break;
        }
        let bytes = window.available().get(..block_len).unwrap_or_default();
        let parsed = if section.big_endian {
            parse_block_be(bytes)
        } else {
            parse_block_le(bytes)
        };
        let block = parsed.map_err(|error| {
            ReadError::at(
                block_offset,
                format!(
                    "corrupt pcapng block of type 0x{block_type:08x} ({block_len} bytes): {error:?}"
                ),
            )
        })?;
        match block.1 {
            Block::SectionHeader(_) => {
                summary.format = Some(super::Format::Pcapng);
                add_drops(summary, &section);
                section.interfaces.clear();
                section.index += 1;
            }
            Block::InterfaceDescription(description) => {
                if section.interfaces.len() >= MAX_INTERFACES_PER_SECTION {
                    add_drops(summary, &section);
                    return Err(ReadError::at(
                        block_offset,
                        format!(
                            "more than {MAX_INTERFACES_PER_SECTION} interfaces declared in section {}: a corrupt or hostile capture (the interface table is bounded); reading stopped, the packets before this block are kept",
                            section.index
                        ),
                    ));
                }
                let interface = describe_interface(&description, section.big_endian);
                summary.link_types.insert(interface.link_type);
                section.interfaces.push(interface);
            }
            Block::EnhancedPacket(packet) => {
                deliver_enhanced(&packet, &section, block_offset, summary, on_frame);
            }
            Block::SimplePacket(packet) => {
                deliver_simple(&packet, &section, block_offset, summary, on_frame);
            }
            Block::InterfaceStatistics(statistics) => {
                let dropped = interface_drops(&statistics, section.big_endian);
                match section.interfaces.get_mut(statistics.if_id as usize) {
                    Some(interface) => interface.dropped = dropped.or(interface.dropped),
                    None => summary.warnings.add("unknown_interface_statistics", Some(block_offset), || {
                        format!("statistics block names interface {}, which its section does not declare; ignored", statistics.if_id)
                    }),
                }
            }
            Block::Unknown(unknown)
                if unknown.block_type == OBSOLETE_PACKET_BLOCK_TYPE
                    || unknown.block_type.swap_bytes() == OBSOLETE_PACKET_BLOCK_TYPE =>
            {
                deliver_obsolete(unknown.data, &section, block_offset, summary, on_frame);
            }
            _ => {}
        }
        window.consume(block_len);
    }
    add_drops(summary, &section);
    Ok(())
}

/// Adds the drop counters of a section's interfaces to the capture's total, as the section
/// ends: only the latest counter of each interface counts, and only interfaces that were
/// declared, so the bookkeeping stays as bounded as the interface table.
fn add_drops(summary: &mut CaptureSummary, section: &Section) {
    for dropped in section
        .interfaces
        .iter()
        .filter_map(|interface| interface.dropped)
    {
        let total = summary.interface_drops.get_or_insert(0);
        *total = total.saturating_add(dropped);
    }
}

fn note_truncated(summary: &mut CaptureSummary, offset: u64, present: usize, wanted: usize) {
    summary.truncated = true;
    summary.warnings.add("truncated", Some(offset), || {
        format!("capture ends inside the last block ({present} of {wanted} bytes); the partial block was dropped")
    });
}

/// Reads a block's type and total length, switching byte order at a Section Header Block, and
/// checks the length before anything is buffered for it.
fn peek_block(bytes: &[u8], section: &mut Section, offset: u64) -> Result<(u32, usize), ReadError> {
    let word = |index: usize| -> [u8; 4] {
        bytes
            .get(index * 4..index * 4 + 4)
            .and_then(|slice| slice.try_into().ok())
            .unwrap_or_default()
    };
    let raw_type = word(0);
    if u32::from_le_bytes(raw_type) == SECTION_HEADER_TYPE {
        let order = word(2);
        section.big_endian = if u32::from_le_bytes(order) == BYTE_ORDER_MAGIC {
            false
        } else if u32::from_be_bytes(order) == BYTE_ORDER_MAGIC {
            true
        } else {
            return Err(ReadError::at(
                offset + 8,
                "corrupt Section Header Block: byte-order magic is neither 1a2b3c4d nor 4d3c2b1a",
            ));
        };
    }
    let read = |raw: [u8; 4]| {
        if section.big_endian {
            u32::from_be_bytes(raw)
        } else {
            u32::from_le_bytes(raw)
        }
    };
    let block_type = read(raw_type);
    let block_len = read(word(1));
    if block_len < BLOCK_OVERHEAD as u32 || block_len % 4 != 0 || block_len > MAX_BLOCK_LEN {
        return Err(ReadError::at(
            offset,
            format!(
                "corrupt pcapng block of type 0x{block_type:08x}: length {block_len} (must be a multiple of 4 between 12 and {MAX_BLOCK_LEN})"
            ),
        ));
    }
    Ok((block_type, block_len as usize))
}

fn describe_interface(description: &InterfaceDescriptionBlock, big_endian: bool) -> Interface {
    let mut ticks = TickRate::PowerOfTen(6);
    let mut offset_seconds = 0;
    for option in &description.options {
        let value = option
            .value
            .get(..usize::from(option.len))
            .unwrap_or_default();
        match option.code.0 {
            OPT_IF_TSRESOL => {
                if let Some(&resolution) = value.first() {
                    ticks = TickRate::from_option(resolution);
                }
            }
            OPT_IF_TSOFFSET => {
                if let Ok(raw) = <[u8; 8]>::try_from(value) {
                    offset_seconds = if big_endian {
                        i64::from_be_bytes(raw)
                    } else {
                        i64::from_le_bytes(raw)
                    };
                }
            }
            _ => {}
        }
    }
    Interface {
        link_type: u32::from(description.linktype.0 as u16),
        snaplen: description.snaplen,
        ticks,
        offset_seconds,
        dropped: None,
    }
}

fn interface_drops(statistics: &InterfaceStatisticsBlock, big_endian: bool) -> Option<u64> {
    statistics
        .options
        .iter()
        .find(|option| option.code.0 == OPT_ISB_IFDROP)
        .and_then(|option| {
            let raw = <[u8; 8]>::try_from(option.value.get(..8)?).ok()?;
            Some(if big_endian {
                u64::from_be_bytes(raw)
            } else {
                u64::from_le_bytes(raw)
            })
        })
}

fn timestamp(interface: &Interface, high: u32, low: u32) -> Option<i64> {
    let ticks = (u64::from(high) << 32) | u64::from(low);
    let nanos = interface.ticks.to_nanoseconds(ticks)?;
    nanos.checked_add(interface.offset_seconds.checked_mul(1_000_000_000)?)
}

/// Looks up the interface a packet names; a packet naming an undeclared interface cannot be
/// decoded (its link type is unknown) and is skipped with a warning, as tshark refuses it.
fn interface_for<'s>(
    section: &'s Section,
    interface_id: u32,
    offset: u64,
    summary: &mut CaptureSummary,
) -> Option<&'s Interface> {
    let found = section.interfaces.get(interface_id as usize);
    if found.is_none() {
        summary.warnings.add("unknown_interface", Some(offset), || {
            format!("packet block names interface {interface_id}, which its section does not declare; packet skipped")
        });
    }
    found
}

/// A packet as one of the three packet block kinds stores it.
struct StoredPacket<'a> {
    timestamp_ns: Option<i64>,
    /// The captured length the block declares (Simple Packet Blocks declare none).
    declared_captured: usize,
    wire_len: u32,
    /// The block's data, possibly with padding after the packet.
    body: &'a [u8],
}

fn deliver(
    interface: &Interface,
    packet: StoredPacket,
    offset: u64,
    summary: &mut CaptureSummary,
    on_frame: &mut impl FnMut(&Frame),
) {
    let StoredPacket {
        timestamp_ns,
        declared_captured,
        wire_len,
        body,
    } = packet;
    let mut captured = declared_captured.min(body.len());
    if captured > MAX_CAPTURED_LEN as usize {
        summary.warnings.add("caplen_over_max", Some(offset), || {
            format!("packet block claims {declared_captured} captured bytes, over the {MAX_CAPTURED_LEN}-byte maximum; only that much is used")
        });
        captured = MAX_CAPTURED_LEN as usize;
    }
    if interface.snaplen != 0 && captured > interface.snaplen as usize {
        summary.warnings.add("caplen_over_snaplen", Some(offset), || {
            format!(
                "packet block holds {captured} captured bytes, more than its interface's snaplen {}; bytes past the snaplen ignored",
                interface.snaplen
            )
        });
        captured = interface.snaplen as usize;
    }
    let frame = Frame {
        link_type: interface.link_type,
        timestamp_ns,
        wire_len: wire_len.max(captured as u32),
        data: body.get(..captured).unwrap_or_default(),
    };
    summary.record_frame_time(frame.timestamp_ns);
    on_frame(&frame);
}

fn deliver_enhanced(
    packet: &EnhancedPacketBlock,
    section: &Section,
    offset: u64,
    summary: &mut CaptureSummary,
    on_frame: &mut impl FnMut(&Frame),
) {
    let Some(interface) = interface_for(section, packet.if_id, offset, summary) else {
        return;
    };
    let time = timestamp(interface, packet.ts_high, packet.ts_low);
    let stored = StoredPacket {
        timestamp_ns: time,
        declared_captured: packet.caplen as usize,
        wire_len: packet.origlen,
        body: packet.data,
    };
    deliver(interface, stored, offset, summary, on_frame);
}

/// A Simple Packet Block belongs to interface 0, carries no timestamp and no captured length:
/// what it holds is min(original length, snaplen) bytes (pcapng §4.4).
fn deliver_simple(
    packet: &SimplePacketBlock,
    section: &Section,
    offset: u64,
    summary: &mut CaptureSummary,
    on_frame: &mut impl FnMut(&Frame),
) {
    let Some(interface) = interface_for(section, 0, offset, summary) else {
        return;
    };
    let stored = StoredPacket {
        timestamp_ns: None,
        declared_captured: packet.origlen as usize,
        wire_len: packet.origlen,
        body: packet.data,
    };
    deliver(interface, stored, offset, summary, on_frame);
}

/// The obsolete Packet Block: interface id (2), drops count (2), timestamp high and low (4+4),
/// captured length (4), original length (4), then the data. pcap-parser hands it over as an
/// unknown block; `body` is what follows the block type and length.
fn deliver_obsolete(
    body: &[u8],
    section: &Section,
    offset: u64,
    summary: &mut CaptureSummary,
    on_frame: &mut impl FnMut(&Frame),
) {
    let u16_at = |at: usize| {
        let raw: [u8; 2] = body
            .get(at..at + 2)
            .and_then(|b| b.try_into().ok())
            .unwrap_or_default();
        if section.big_endian {
            u16::from_be_bytes(raw)
        } else {
            u16::from_le_bytes(raw)
        }
    };
    let u32_at = |at: usize| {
        let raw: [u8; 4] = body
            .get(at..at + 4)
            .and_then(|b| b.try_into().ok())
            .unwrap_or_default();
        if section.big_endian {
            u32::from_be_bytes(raw)
        } else {
            u32::from_le_bytes(raw)
        }
    };
    const HEADER: usize = 20;
    if body.len() < HEADER {
        summary
            .warnings
            .add("short_packet_block", Some(offset), || {
                "obsolete Packet Block too short for its header; skipped".to_string()
            });
        return;
    }
    let Some(interface) = interface_for(section, u32::from(u16_at(0)), offset, summary) else {
        return;
    };
    let time = timestamp(interface, u32_at(4), u32_at(8));
    let data = body.get(HEADER..).unwrap_or_default();
    let stored = StoredPacket {
        timestamp_ns: time,
        declared_captured: u32_at(12) as usize,
        wire_len: u32_at(16),
        body: data,
    };
    deliver(interface, stored, offset, summary, on_frame);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_resolutions_convert_to_nanoseconds() {
        assert_eq!(
            TickRate::from_option(6).to_nanoseconds(1_500_000),
            Some(1_500_000_000)
        );
        assert_eq!(TickRate::from_option(9).to_nanoseconds(7), Some(7));
        assert_eq!(TickRate::from_option(12).to_nanoseconds(5_000), Some(5));
        // 2^-10 seconds per tick: 1024 ticks are one second.
        assert_eq!(
            TickRate::from_option(0x80 | 10).to_nanoseconds(1024),
            Some(1_000_000_000)
        );
        assert_eq!(TickRate::from_option(127).to_nanoseconds(u64::MAX), Some(0));
    }

    #[test]
    fn interface_offset_is_added_in_seconds() {
        let interface = Interface {
            link_type: 1,
            snaplen: 0,
            ticks: TickRate::PowerOfTen(6),
            offset_seconds: 100,
            dropped: None,
        };
        assert_eq!(timestamp(&interface, 0, 2_000_000), Some(102_000_000_000));
        let hostile = Interface {
            offset_seconds: i64::MAX,
            ..interface
        };
        assert_eq!(timestamp(&hostile, 0, 1), None);
    }
}
