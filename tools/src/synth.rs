//! Synthetic attack-like captures for throughput benchmarks: valid Ethernet/IPv4 frames with
//! correct header checksums, random (spoofed-looking) sources, in one of two mixes.
//!
//! `mixed` follows what a mitigation capture of a multi-vector attack looks like: many small
//! SYN-flood frames, full-size DNS amplification answers (with fragments), mid-size UDP, and
//! some TCP data, every packet from a new random (spoofed-looking) source; `syn` is
//! minimum-size SYN frames only, the worst case per byte. `botnet` is the `mixed` mix sent by a
//! fixed population of `BOTNET_SOURCES` addresses, as a botnet or a reflector pool sends it: the
//! per-source state stays small while the packets keep coming.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result};

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Profile {
    Mixed,
    Syn,
    Botnet,
}

/// Distinct sources of the `botnet` profile: a large botnet's share of one capture.
pub const BOTNET_SOURCES: u64 = 50_000;

pub struct Written {
    pub packets: u64,
    pub bytes: u64,
}

/// xorshift64*: small, fast and deterministic for a seed; statistical quality is ample here.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

pub fn write_capture(
    path: &Path,
    target_bytes: u64,
    profile: Profile,
    seed: u64,
) -> Result<Written> {
    let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    // pcap file header: LE microsecond, version 2.4, snaplen 65535, Ethernet.
    let mut header = Vec::with_capacity(24);
    header.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    header.extend_from_slice(&2u16.to_le_bytes());
    header.extend_from_slice(&4u16.to_le_bytes());
    header.extend_from_slice(&[0; 8]);
    header.extend_from_slice(&65_535u32.to_le_bytes());
    header.extend_from_slice(&1u32.to_le_bytes());
    out.write_all(&header)?;

    let mut rng = Rng(seed.max(1));
    let mut written = Written {
        packets: 0,
        bytes: 24,
    };
    let mut frame = Vec::with_capacity(1600);
    // 2025-03-10T13:00:00Z, 200k packets per second.
    let mut time_us: u64 = 1_741_611_600_000_000;
    while written.bytes < target_bytes {
        frame.clear();
        let roll = rng.next() % 100;
        let source = match profile {
            Profile::Botnet => bot(rng.next() % BOTNET_SOURCES),
            Profile::Mixed | Profile::Syn => random_source(&mut rng),
        };
        match profile {
            Profile::Syn => syn_frame(&mut frame, &mut rng, source),
            Profile::Mixed | Profile::Botnet if roll < 60 => {
                syn_frame(&mut frame, &mut rng, source)
            }
            Profile::Mixed | Profile::Botnet if roll < 80 => {
                dns_answer_frame(&mut frame, &mut rng, source)
            }
            Profile::Mixed | Profile::Botnet if roll < 90 => {
                udp_frame(&mut frame, &mut rng, 512, source)
            }
            Profile::Mixed | Profile::Botnet => tcp_data_frame(&mut frame, &mut rng, source),
        }
        let mut record = [0u8; 16];
        record[0..4].copy_from_slice(&((time_us / 1_000_000) as u32).to_le_bytes());
        record[4..8].copy_from_slice(&((time_us % 1_000_000) as u32).to_le_bytes());
        record[8..12].copy_from_slice(&(frame.len() as u32).to_le_bytes());
        record[12..16].copy_from_slice(&(frame.len() as u32).to_le_bytes());
        out.write_all(&record)?;
        out.write_all(&frame)?;
        written.packets += 1;
        written.bytes += 16 + frame.len() as u64;
        time_us += 5;
    }
    out.flush()?;
    Ok(written)
}

const VICTIM: [u8; 4] = [203, 0, 113, 10];

fn ethernet(frame: &mut Vec<u8>) {
    frame.extend_from_slice(&[0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00]);
}

/// IPv4 header with a correct checksum; `fragment` is the flags/offset word.
fn ipv4(
    frame: &mut Vec<u8>,
    rng: &mut Rng,
    protocol: u8,
    payload_len: usize,
    source: [u8; 4],
    fragment: u16,
) {
    let total = (20 + payload_len) as u16;
    let ttl = [64u8, 128, 255][(rng.next() % 3) as usize] - (rng.next() % 20) as u8;
    let id = rng.next() as u16;
    let mut header = [0u8; 20];
    header[0] = 0x45;
    header[2..4].copy_from_slice(&total.to_be_bytes());
    header[4..6].copy_from_slice(&id.to_be_bytes());
    header[6..8].copy_from_slice(&fragment.to_be_bytes());
    header[8] = ttl;
    header[9] = protocol;
    header[12..16].copy_from_slice(&source);
    header[16..20].copy_from_slice(&VICTIM);
    let mut sum: u32 = header
        .chunks(2)
        .map(|pair| u32::from(u16::from_be_bytes([pair[0], pair[1]])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    header[10..12].copy_from_slice(&(!(sum as u16)).to_be_bytes());
    frame.extend_from_slice(&header);
}

fn random_source(rng: &mut Rng) -> [u8; 4] {
    (rng.next() as u32).to_be_bytes()
}

/// The address of bot number `index`: spread over the address space, the same every run.
fn bot(index: u64) -> [u8; 4] {
    let mut z = index.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    ((z ^ (z >> 31)) as u32).to_be_bytes()
}

fn syn_frame(frame: &mut Vec<u8>, rng: &mut Rng, source: [u8; 4]) {
    ethernet(frame);
    ipv4(frame, rng, 6, 20, source, 0x4000);
    let port = rng.next() as u16;
    frame.extend_from_slice(&port.to_be_bytes());
    frame.extend_from_slice(&25_565u16.to_be_bytes());
    frame.extend_from_slice(&(rng.next() as u32).to_be_bytes());
    frame.extend_from_slice(&[0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0]);
    // Minimum Ethernet frame: pad to 60 bytes.
    frame.resize(60, 0);
}

fn dns_answer_frame(frame: &mut Vec<u8>, rng: &mut Rng, source: [u8; 4]) {
    ethernet(frame);
    // One in three is a later fragment of a large answer.
    if rng.next().is_multiple_of(3) {
        ipv4(frame, rng, 17, 1480, source, 0x00b9);
        frame.resize(14 + 20 + 1480, 0xab);
    } else {
        ipv4(frame, rng, 17, 1480, source, 0x2000);
        frame.extend_from_slice(&53u16.to_be_bytes());
        frame.extend_from_slice(&(rng.next() as u16).to_be_bytes());
        frame.extend_from_slice(&3000u16.to_be_bytes());
        frame.extend_from_slice(&[0, 0]);
        frame.extend_from_slice(&[0x12, 0x34, 0x81, 0x80, 0, 1, 0, 40, 0, 0, 0, 1]);
        frame.resize(14 + 20 + 1480, 0xcd);
    }
}

fn udp_frame(frame: &mut Vec<u8>, rng: &mut Rng, payload: usize, source: [u8; 4]) {
    ethernet(frame);
    ipv4(frame, rng, 17, 8 + payload, source, 0);
    frame.extend_from_slice(&(rng.next() as u16).to_be_bytes());
    frame.extend_from_slice(&80u16.to_be_bytes());
    frame.extend_from_slice(&((8 + payload) as u16).to_be_bytes());
    frame.extend_from_slice(&[0, 0]);
    frame.resize(frame.len() + payload, 0x5a);
}

fn tcp_data_frame(frame: &mut Vec<u8>, rng: &mut Rng, source: [u8; 4]) {
    ethernet(frame);
    let request = b"GET / HTTP/1.1\r\nHost: victim.example\r\nUser-Agent: bench\r\n\r\n";
    ipv4(frame, rng, 6, 20 + request.len(), source, 0x4000);
    frame.extend_from_slice(&(rng.next() as u16).to_be_bytes());
    frame.extend_from_slice(&80u16.to_be_bytes());
    frame.extend_from_slice(&(rng.next() as u32).to_be_bytes());
    frame.extend_from_slice(&(rng.next() as u32).to_be_bytes());
    frame.extend_from_slice(&[0x50, 0x18, 0x01, 0xf5, 0, 0, 0, 0]);
    frame.extend_from_slice(request);
}
