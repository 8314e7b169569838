//! Capture files: takes frames with their interface and time, gives a legacy pcap (either byte
//! order, microsecond or nanosecond) or a pcapng file (several interfaces, each with its own
//! link type and timestamp resolution, closed by interface statistics), and the SHA-256 of
//! the bytes written.
//!
//! Layouts: pcap as libpcap's `pcap-savefile(5)`; pcapng as the IETF draft
//! `draft-ietf-opsawg-pcapng` (Section Header, Interface Description, Enhanced Packet and
//! Interface Statistics Blocks).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::link::Link;

/// The snapshot length libpcap uses by default: nothing is cut.
const SNAPLEN: u32 = 262_144;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Legacy pcap; one interface.
    Pcap { big_endian: bool, nanosecond: bool },
    /// pcapng, little-endian.
    Pcapng,
}

impl Format {
    pub fn name(&self) -> &'static str {
        match self {
            Format::Pcap { .. } => "pcap",
            Format::Pcapng => "pcapng",
        }
    }

    pub fn extension(&self) -> &'static str {
        self.name()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Interface {
    pub name: &'static str,
    pub description: &'static str,
    #[serde(flatten)]
    pub link: Link,
    /// Nanosecond timestamps (pcapng `if_tsresol` 9, or the pcap nanosecond magic).
    pub nanosecond: bool,
}

pub struct Written {
    pub bytes: u64,
    pub sha256: String,
}

/// A `Write` that hashes what goes through it.
struct Hashing<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let written = self.inner.write(buf)?;
        self.hasher.update(&buf[..written]);
        self.bytes += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

pub struct CaptureWriter {
    out: Hashing<BufWriter<File>>,
    format: Format,
    interfaces: Vec<Interface>,
    /// Per interface: packets written and the last timestamp, for the statistics blocks.
    counts: Vec<(u64, i64)>,
    block: Vec<u8>,
}

impl CaptureWriter {
    /// Creates `path` and writes the file header (pcap) or section and interface blocks.
    ///
    /// # Errors
    /// The file cannot be created, or a pcap is asked for with other than one interface.
    pub fn create(path: &Path, format: Format, interfaces: &[Interface]) -> Result<CaptureWriter> {
        if matches!(format, Format::Pcap { .. }) && interfaces.len() != 1 {
            bail!("a pcap file has exactly one link type; use pcapng for several interfaces");
        }
        let file =
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
        let mut writer = CaptureWriter {
            out: Hashing {
                inner: BufWriter::with_capacity(1 << 20, file),
                hasher: Sha256::new(),
                bytes: 0,
            },
            format,
            interfaces: interfaces.to_vec(),
            counts: vec![(0, 0); interfaces.len()],
            block: Vec::with_capacity(2048),
        };
        match format {
            Format::Pcap {
                big_endian,
                nanosecond,
            } => {
                let magic: u32 = if nanosecond { 0xa1b2_3c4d } else { 0xa1b2_c3d4 };
                let link_type = interfaces.first().map_or(1, |i| i.link.link_type());
                let mut header = Vec::with_capacity(24);
                let word = |value: u32| {
                    if big_endian {
                        value.to_be_bytes()
                    } else {
                        value.to_le_bytes()
                    }
                };
                let half = |value: u16| {
                    if big_endian {
                        value.to_be_bytes()
                    } else {
                        value.to_le_bytes()
                    }
                };
                header.extend_from_slice(&word(magic));
                header.extend_from_slice(&half(2));
                header.extend_from_slice(&half(4));
                header.extend_from_slice(&[0; 8]);
                header.extend_from_slice(&word(SNAPLEN));
                header.extend_from_slice(&word(link_type));
                writer.out.write_all(&header)?;
            }
            Format::Pcapng => {
                let mut body = Vec::new();
                body.extend_from_slice(&0x1a2b_3c4du32.to_le_bytes());
                body.extend_from_slice(&1u16.to_le_bytes());
                body.extend_from_slice(&0u16.to_le_bytes());
                // Section length unknown (-1): the file is written as a stream.
                body.extend_from_slice(&[0xff; 8]);
                option(&mut body, 4, b"whence-tools scenario generator");
                option(&mut body, 0, b"");
                writer.pcapng_block(0x0a0d_0d0a, &body)?;
                for interface in interfaces {
                    let mut body = Vec::new();
                    body.extend_from_slice(&(interface.link.link_type() as u16).to_le_bytes());
                    body.extend_from_slice(&[0, 0]);
                    body.extend_from_slice(&SNAPLEN.to_le_bytes());
                    option(&mut body, 2, interface.name.as_bytes());
                    option(&mut body, 3, interface.description.as_bytes());
                    option(&mut body, 9, &[if interface.nanosecond { 9 } else { 6 }]);
                    option(&mut body, 0, b"");
                    writer.pcapng_block(1, &body)?;
                }
            }
        }
        Ok(writer)
    }

    fn pcapng_block(&mut self, block_type: u32, body: &[u8]) -> Result<()> {
        let padded = body.len().div_ceil(4) * 4;
        let total = (12 + padded) as u32;
        self.out.write_all(&block_type.to_le_bytes())?;
        self.out.write_all(&total.to_le_bytes())?;
        self.out.write_all(body)?;
        self.out.write_all(&[0u8; 3][..padded - body.len()])?;
        self.out.write_all(&total.to_le_bytes())?;
        Ok(())
    }

    /// Writes one frame seen on `interface` at `time_ns`; gives the time as stored (cut to the
    /// interface's resolution), which is what a reader of the file will see.
    ///
    /// # Errors
    /// Writing fails, the interface does not exist, or the time is before 1970.
    pub fn write(&mut self, interface: usize, time_ns: i64, frame: &[u8]) -> Result<i64> {
        let Some(nanosecond) = self.interfaces.get(interface).map(|i| i.nanosecond) else {
            bail!("no interface {interface}");
        };
        let Ok(time) = u64::try_from(time_ns) else {
            bail!("time {time_ns} ns is before 1970");
        };
        let stored = if nanosecond { time } else { time / 1000 * 1000 };
        let length = frame.len() as u32;
        match self.format {
            Format::Pcap { big_endian, .. } => {
                let fraction = if nanosecond {
                    time % 1_000_000_000
                } else {
                    time % 1_000_000_000 / 1000
                };
                let mut header = [0u8; 16];
                for (slot, value) in header.chunks_exact_mut(4).zip([
                    (time / 1_000_000_000) as u32,
                    fraction as u32,
                    length,
                    length,
                ]) {
                    slot.copy_from_slice(&if big_endian {
                        value.to_be_bytes()
                    } else {
                        value.to_le_bytes()
                    });
                }
                self.out.write_all(&header)?;
                self.out.write_all(frame)?;
            }
            Format::Pcapng => {
                let ticks = if nanosecond { time } else { time / 1000 };
                let mut body = std::mem::take(&mut self.block);
                body.clear();
                body.extend_from_slice(&(interface as u32).to_le_bytes());
                body.extend_from_slice(&((ticks >> 32) as u32).to_le_bytes());
                body.extend_from_slice(&(ticks as u32).to_le_bytes());
                body.extend_from_slice(&length.to_le_bytes());
                body.extend_from_slice(&length.to_le_bytes());
                body.extend_from_slice(frame);
                let result = self.pcapng_block(6, &body);
                self.block = body;
                result?;
            }
        }
        if let Some(count) = self.counts.get_mut(interface) {
            count.0 += 1;
            count.1 = stored as i64;
        }
        Ok(stored as i64)
    }

    /// Closes the file: pcapng gets one statistics block per interface (packets received,
    /// none dropped), as a capture stopped cleanly ends.
    ///
    /// # Errors
    /// Writing fails.
    pub fn finish(mut self) -> Result<Written> {
        if self.format == Format::Pcapng {
            for (index, &(packets, last)) in self.counts.clone().iter().enumerate() {
                let nanosecond = self.interfaces.get(index).is_some_and(|i| i.nanosecond);
                let ticks = last as u64 / if nanosecond { 1 } else { 1000 };
                let mut body = Vec::new();
                body.extend_from_slice(&(index as u32).to_le_bytes());
                body.extend_from_slice(&((ticks >> 32) as u32).to_le_bytes());
                body.extend_from_slice(&(ticks as u32).to_le_bytes());
                // isb_ifrecv (4) and isb_ifdrop (5).
                option(&mut body, 4, &packets.to_le_bytes());
                option(&mut body, 5, &0u64.to_le_bytes());
                option(&mut body, 0, b"");
                self.pcapng_block(5, &body)?;
            }
        }
        self.out.flush()?;
        let digest = self.out.hasher.finalize();
        Ok(Written {
            bytes: self.out.bytes,
            sha256: digest.iter().map(|byte| format!("{byte:02x}")).collect(),
        })
    }
}

/// A pcapng option: code, length, value padded to 32 bits (code 0 ends the list).
fn option(body: &mut Vec<u8>, code: u16, value: &[u8]) {
    body.extend_from_slice(&code.to_le_bytes());
    body.extend_from_slice(&(value.len() as u16).to_le_bytes());
    body.extend_from_slice(value);
    body.resize(body.len() + (4 - value.len() % 4) % 4, 0);
}
