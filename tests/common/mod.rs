//! Shared helpers for the end-to-end tests: running the binary, reading its JSON, and writing
//! small crafted captures byte by byte (for cases no public capture covers).

// Test helpers fail the test loudly on anything unexpected.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub fn fixture_capture(name: &str) -> PathBuf {
    fixtures().join("captures").join(name)
}

/// The shared capture corpus beside the repository, when this machine has it.
pub fn shared_captures() -> Option<PathBuf> {
    let dir = std::env::var_os("WHENCE_SHARED_CAPTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/captures"));
    dir.join("MANIFEST.md").is_file().then_some(dir)
}

pub fn whence() -> Command {
    let mut command = Command::cargo_bin("whence").expect("binary built");
    command.env("SOURCE_DATE_EPOCH", "1767225600");
    command
}

/// Runs `whence report ARGS...` and returns the output, the exit code and the parsed report
/// (`Value::Null` when stdout held none).
pub fn report(args: &[&std::ffi::OsStr]) -> (Output, i32, Value) {
    let output = whence().arg("report").args(args).output().expect("runs");
    let code = output.status.code().expect("exit code");
    let json = if output.stdout.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&output.stdout).expect("stdout is JSON")
    };
    (output, code, json)
}

/// Runs `whence report --no-system-db EXTRA... PATH`, requires success, returns the report.
pub fn report_json(path: &Path, extra: &[&str]) -> Value {
    let output = whence()
        .args(["report", "--no-system-db"])
        .args(extra)
        .arg(path)
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    serde_json::from_slice(&output.stdout).expect("stdout is JSON")
}

pub fn report_on(path: &Path) -> (Output, i32, Value) {
    report(&[path.as_os_str()])
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Legacy pcap writer: byte order, nanosecond magic, the modified variant.
pub struct PcapWriter {
    pub bytes: Vec<u8>,
    big_endian: bool,
    modified: bool,
}

impl PcapWriter {
    pub fn new(
        big_endian: bool,
        nanosecond: bool,
        modified: bool,
        snaplen: u32,
        link_type: u32,
    ) -> Self {
        let magic: u32 = match (nanosecond, modified) {
            (_, true) => 0xa1b2_cd34,
            (true, false) => 0xa1b2_3c4d,
            (false, false) => 0xa1b2_c3d4,
        };
        let mut writer = PcapWriter {
            bytes: Vec::new(),
            big_endian,
            modified,
        };
        writer.u32(magic);
        writer.u16(2);
        writer.u16(4);
        writer.u32(0);
        writer.u32(0);
        writer.u32(snaplen);
        writer.u32(link_type);
        writer
    }

    fn u16(&mut self, value: u16) {
        let raw = if self.big_endian {
            value.to_be_bytes()
        } else {
            value.to_le_bytes()
        };
        self.bytes.extend_from_slice(&raw);
    }

    fn u32(&mut self, value: u32) {
        let raw = if self.big_endian {
            value.to_be_bytes()
        } else {
            value.to_le_bytes()
        };
        self.bytes.extend_from_slice(&raw);
    }

    pub fn record(&mut self, seconds: u32, fraction: u32, wire_len: u32, data: &[u8]) -> &mut Self {
        self.record_claiming(seconds, fraction, data.len() as u32, wire_len, data)
    }

    /// A record whose header may lie about its captured length.
    pub fn record_claiming(
        &mut self,
        seconds: u32,
        fraction: u32,
        captured_len: u32,
        wire_len: u32,
        data: &[u8],
    ) -> &mut Self {
        self.u32(seconds);
        self.u32(fraction);
        self.u32(captured_len);
        self.u32(wire_len);
        if self.modified {
            self.bytes.extend_from_slice(&[0; 8]);
        }
        self.bytes.extend_from_slice(data);
        self
    }
}

/// pcapng writer, one section at a time, in either byte order.
pub struct PcapngWriter {
    pub bytes: Vec<u8>,
    big_endian: bool,
}

impl PcapngWriter {
    pub fn new(big_endian: bool) -> Self {
        let mut writer = PcapngWriter {
            bytes: Vec::new(),
            big_endian,
        };
        writer.section_header(big_endian);
        writer
    }

    fn u16v(&self, value: u16) -> [u8; 2] {
        if self.big_endian {
            value.to_be_bytes()
        } else {
            value.to_le_bytes()
        }
    }

    fn u32v(&self, value: u32) -> [u8; 4] {
        if self.big_endian {
            value.to_be_bytes()
        } else {
            value.to_le_bytes()
        }
    }

    /// Appends a block: type, total length, body padded to 32 bits, total length.
    pub fn block(&mut self, block_type: u32, body: &[u8]) -> &mut Self {
        let padded = body.len().div_ceil(4) * 4;
        let total = (12 + padded) as u32;
        let type_bytes = self.u32v(block_type);
        let total_bytes = self.u32v(total);
        self.bytes.extend_from_slice(&type_bytes);
        self.bytes.extend_from_slice(&total_bytes);
        self.bytes.extend_from_slice(body);
        self.bytes.resize(self.bytes.len() + padded - body.len(), 0);
        self.bytes.extend_from_slice(&total_bytes);
        self
    }

    /// Starts a new section, possibly in the other byte order.
    pub fn section_header(&mut self, big_endian: bool) -> &mut Self {
        self.big_endian = big_endian;
        let mut body = Vec::new();
        body.extend_from_slice(&self.u32v(0x1a2b_3c4d));
        body.extend_from_slice(&self.u16v(1));
        body.extend_from_slice(&self.u16v(0));
        body.extend_from_slice(&[0xff; 8]);
        self.block(0x0a0d_0d0a, &body)
    }

    fn option(&self, body: &mut Vec<u8>, code: u16, value: &[u8]) {
        body.extend_from_slice(&self.u16v(code));
        body.extend_from_slice(&self.u16v(value.len() as u16));
        body.extend_from_slice(value);
        body.resize(body.len() + (4 - value.len() % 4) % 4, 0);
    }

    pub fn interface(
        &mut self,
        link_type: u16,
        snaplen: u32,
        tsresol: Option<u8>,
        tsoffset: Option<i64>,
    ) -> &mut Self {
        let mut body = Vec::new();
        body.extend_from_slice(&self.u16v(link_type));
        body.extend_from_slice(&self.u16v(0));
        body.extend_from_slice(&self.u32v(snaplen));
        if let Some(resolution) = tsresol {
            self.option(&mut body, 9, &[resolution]);
        }
        if let Some(offset) = tsoffset {
            let raw = if self.big_endian {
                offset.to_be_bytes()
            } else {
                offset.to_le_bytes()
            };
            self.option(&mut body, 14, &raw);
        }
        if tsresol.is_some() || tsoffset.is_some() {
            self.option(&mut body, 0, &[]);
        }
        self.block(1, &body)
    }

    pub fn enhanced_packet(
        &mut self,
        interface: u32,
        ticks: u64,
        wire_len: u32,
        data: &[u8],
    ) -> &mut Self {
        let mut body = Vec::new();
        body.extend_from_slice(&self.u32v(interface));
        body.extend_from_slice(&self.u32v((ticks >> 32) as u32));
        body.extend_from_slice(&self.u32v(ticks as u32));
        body.extend_from_slice(&self.u32v(data.len() as u32));
        body.extend_from_slice(&self.u32v(wire_len));
        body.extend_from_slice(data);
        body.resize(body.len().div_ceil(4) * 4, 0);
        self.block(6, &body)
    }

    pub fn simple_packet(&mut self, wire_len: u32, data: &[u8]) -> &mut Self {
        let mut body = Vec::new();
        body.extend_from_slice(&self.u32v(wire_len));
        body.extend_from_slice(data);
        self.block(3, &body)
    }

    pub fn obsolete_packet(
        &mut self,
        interface: u16,
        ticks: u64,
        wire_len: u32,
        data: &[u8],
    ) -> &mut Self {
        let mut body = Vec::new();
        body.extend_from_slice(&self.u16v(interface));
        body.extend_from_slice(&self.u16v(0));
        body.extend_from_slice(&self.u32v((ticks >> 32) as u32));
        body.extend_from_slice(&self.u32v(ticks as u32));
        body.extend_from_slice(&self.u32v(data.len() as u32));
        body.extend_from_slice(&self.u32v(wire_len));
        body.extend_from_slice(data);
        self.block(2, &body)
    }

    pub fn interface_statistics(&mut self, interface: u32, dropped: u64) -> &mut Self {
        let mut body = Vec::new();
        body.extend_from_slice(&self.u32v(interface));
        body.extend_from_slice(&self.u32v(0));
        body.extend_from_slice(&self.u32v(0));
        let raw = if self.big_endian {
            dropped.to_be_bytes()
        } else {
            dropped.to_le_bytes()
        };
        self.option(&mut body, 5, &raw);
        self.option(&mut body, 0, &[]);
        self.block(5, &body)
    }
}

/// A minimal Ethernet + IPv4 + UDP frame from `source` to 192.0.2.1:53 (checksums not needed
/// for decoding).
pub fn ethernet_udp_frame(source: [u8; 4]) -> Vec<u8> {
    let mut frame = vec![0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00];
    frame.extend_from_slice(&raw_ipv4_udp(source));
    frame
}

/// IPv4 + UDP (8 bytes of payload) from `source` to 192.0.2.1, port 40000 -> 53.
pub fn raw_ipv4_udp(source: [u8; 4]) -> Vec<u8> {
    let mut packet = vec![0x45, 0, 0, 36, 0, 1, 0, 0, 64, 17, 0, 0];
    packet.extend_from_slice(&source);
    packet.extend_from_slice(&[192, 0, 2, 1]);
    packet.extend_from_slice(&[0x9c, 0x40, 0, 53, 0, 16, 0, 0]);
    packet.extend_from_slice(b"payload!");
    packet
}

/// A minimal Ethernet + IPv6 + UDP frame from `source` to 2001:db8::1, port 40000 -> 53.
pub fn ethernet_udp6_frame(source: std::net::Ipv6Addr) -> Vec<u8> {
    let mut frame = vec![0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x86, 0xdd];
    frame.extend_from_slice(&[0x60, 0, 0, 0, 0, 16, 17, 64]);
    frame.extend_from_slice(&source.octets());
    frame.extend_from_slice(
        &"2001:db8::1"
            .parse::<std::net::Ipv6Addr>()
            .unwrap()
            .octets(),
    );
    frame.extend_from_slice(&[0x9c, 0x40, 0, 53, 0, 16, 0, 0]);
    frame.extend_from_slice(b"payload!");
    frame
}

/// Writes two small databases with known contents into `dir` with the project's own MaxMind DB
/// writer, so origin counts in tests do not depend on the real data: 5.10.0.0/16 is DE (Hetzner
/// AS24940 in its lower half, Deutsche Telekom AS3320 in its upper half), 31.40.0.0/16 is UA
/// (registered RU, AS64500), 2a01:100::/32 is FR without an ASN. Returns (country, asn) paths.
pub fn write_known_databases(dir: &Path) -> (PathBuf, PathBuf) {
    use whence_tools::mmdb::{IpVersion, Value as Record, Writer};
    let country = |located: &str, registered: &str| {
        Record::map([
            ("country", Record::map([("iso_code", located)])),
            (
                "registered_country",
                Record::map([("iso_code", registered)]),
            ),
        ])
    };
    let mut countries = Writer::new("GeoIP2-Country", IpVersion::V6);
    countries
        .insert_network("5.10.0.0/16".parse().unwrap(), &country("DE", "DE"))
        .unwrap();
    countries
        .insert_network("31.40.0.0/16".parse().unwrap(), &country("UA", "RU"))
        .unwrap();
    countries
        .insert_network("2a01:100::/32".parse().unwrap(), &country("FR", "FR"))
        .unwrap();
    let asn = |number: u32, org: &str| {
        Record::map([
            ("autonomous_system_number", Record::from(number)),
            ("autonomous_system_organization", Record::from(org)),
        ])
    };
    let mut asns = Writer::new("GeoLite2-ASN", IpVersion::V6);
    asns.insert_network(
        "5.10.0.0/17".parse().unwrap(),
        &asn(24940, "Hetzner Online GmbH"),
    )
    .unwrap();
    asns.insert_network(
        "5.10.128.0/17".parse().unwrap(),
        &asn(3320, "Deutsche Telekom AG"),
    )
    .unwrap();
    asns.insert_network(
        "31.40.0.0/16".parse().unwrap(),
        &asn(64500, "Example Telecom"),
    )
    .unwrap();
    let country_db = dir.join("country.mmdb");
    let asn_db = dir.join("asn.mmdb");
    std::fs::write(&country_db, countries.to_bytes().unwrap()).unwrap();
    std::fs::write(&asn_db, asns.to_bytes().unwrap()).unwrap();

    (country_db, asn_db)
}

/// Ethernet + IPv4 + TCP (no options) from `source:source_port` to `destination:
/// destination_port` with the given flags, sequence and acknowledgement numbers and payload
/// (checksums not needed for decoding).
#[allow(clippy::too_many_arguments)]
pub fn ethernet_tcp_frame(
    source: [u8; 4],
    destination: [u8; 4],
    source_port: u16,
    destination_port: u16,
    flags: u8,
    seq: u32,
    ack: u32,
    payload: &[u8],
) -> Vec<u8> {
    let mut frame = vec![0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00];
    let total = (20 + 20 + payload.len()) as u16;
    frame.extend_from_slice(&[0x45, 0]);
    frame.extend_from_slice(&total.to_be_bytes());
    frame.extend_from_slice(&[0, 1, 0x40, 0, 64, 6, 0, 0]);
    frame.extend_from_slice(&source);
    frame.extend_from_slice(&destination);
    frame.extend_from_slice(&source_port.to_be_bytes());
    frame.extend_from_slice(&destination_port.to_be_bytes());
    frame.extend_from_slice(&seq.to_be_bytes());
    frame.extend_from_slice(&ack.to_be_bytes());
    frame.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    frame.extend_from_slice(payload);
    frame
}
