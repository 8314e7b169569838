//! IP packets byte by byte: takes header fields and a transport payload, gives IPv4 (RFC 791)
//! or IPv6 (RFC 8200) packets carrying TCP (RFC 9293), UDP (RFC 768), ICMP (RFC 792) or ICMPv6
//! (RFC 4443), with every checksum correct (the transport ones over the pseudo-header), and
//! IPv4 fragments of a packet larger than the link MTU.
//!
//! Written by hand rather than with a packet library so that every field a detector might read
//! (TTL, IP ID, DF, TCP options, window) is chosen by the scenario on purpose.

use std::net::IpAddr;

use anyhow::{Result, bail};

pub const PROTO_ICMP: u8 = 1;
pub const PROTO_TCP: u8 = 6;
pub const PROTO_UDP: u8 = 17;
pub const PROTO_ICMPV6: u8 = 58;

/// TCP flag bits.
pub const FIN: u8 = 0x01;
pub const SYN: u8 = 0x02;
pub const PSH: u8 = 0x08;
pub const ACK: u8 = 0x10;

/// The IP header fields a scenario chooses.
#[derive(Debug, Clone, Copy)]
pub struct Ip {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// TTL (IPv4) or hop limit (IPv6) as it arrives at the capture point.
    pub ttl: u8,
    /// IPv4 identification; IPv6 packets ignore it.
    pub id: u16,
    /// IPv4 "don't fragment".
    pub dont_fragment: bool,
    /// IPv4 TOS / IPv6 traffic class.
    pub tos: u8,
    /// IPv6 flow label (20 bits).
    pub flow_label: u32,
}

#[derive(Debug, Clone, Copy)]
pub struct Tcp<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub window: u16,
    /// Already padded to a multiple of four bytes (see `TcpOptions`).
    pub options: &'a [u8],
    pub payload: &'a [u8],
}

#[derive(Debug, Clone, Copy)]
pub enum Transport<'a> {
    Tcp(Tcp<'a>),
    Udp {
        src_port: u16,
        dst_port: u16,
        payload: &'a [u8],
    },
    /// ICMP in IPv4 packets, ICMPv6 in IPv6 ones: type, code, the four bytes after the
    /// checksum (identifier and sequence, or unused), and the rest.
    Icmp {
        kind: u8,
        code: u8,
        rest: [u8; 4],
        payload: &'a [u8],
    },
}

impl Transport<'_> {
    fn header_len(&self) -> usize {
        match self {
            Transport::Tcp(tcp) => 20 + tcp.options.len(),
            Transport::Udp { .. } | Transport::Icmp { .. } => 8,
        }
    }

    fn payload(&self) -> &[u8] {
        match self {
            Transport::Tcp(tcp) => tcp.payload,
            Transport::Udp { payload, .. } | Transport::Icmp { payload, .. } => payload,
        }
    }

    fn protocol(&self, v6: bool) -> u8 {
        match self {
            Transport::Tcp(_) => PROTO_TCP,
            Transport::Udp { .. } => PROTO_UDP,
            Transport::Icmp { .. } if v6 => PROTO_ICMPV6,
            Transport::Icmp { .. } => PROTO_ICMP,
        }
    }
}

/// Appends the IP packet to `out` (which may already hold a link header).
///
/// # Errors
/// The packet would exceed the 65,535 bytes its length field can hold, or the two addresses
/// are of different families.
pub fn build(out: &mut Vec<u8>, ip: &Ip, transport: &Transport<'_>) -> Result<()> {
    let transport_len = transport.header_len() + transport.payload().len();
    let start = out.len();
    match (ip.src, ip.dst) {
        (IpAddr::V4(src), IpAddr::V4(dst)) => {
            let Ok(total) = u16::try_from(20 + transport_len) else {
                bail!("IPv4 packet of {} bytes", 20 + transport_len);
            };
            let flags: u16 = if ip.dont_fragment { 0x4000 } else { 0 };
            out.extend_from_slice(&[0x45, ip.tos]);
            out.extend_from_slice(&total.to_be_bytes());
            out.extend_from_slice(&ip.id.to_be_bytes());
            out.extend_from_slice(&flags.to_be_bytes());
            out.extend_from_slice(&[ip.ttl, transport.protocol(false), 0, 0]);
            out.extend_from_slice(&src.octets());
            out.extend_from_slice(&dst.octets());
            let checksum = checksum(&out[start..], 0);
            out[start + 10..start + 12].copy_from_slice(&checksum.to_be_bytes());
        }
        (IpAddr::V6(src), IpAddr::V6(dst)) => {
            let Ok(payload_len) = u16::try_from(transport_len) else {
                bail!("IPv6 payload of {transport_len} bytes");
            };
            let first_word =
                (6u32 << 28) | (u32::from(ip.tos) << 20) | (ip.flow_label & 0x000f_ffff);
            out.extend_from_slice(&first_word.to_be_bytes());
            out.extend_from_slice(&payload_len.to_be_bytes());
            out.extend_from_slice(&[transport.protocol(true), ip.ttl]);
            out.extend_from_slice(&src.octets());
            out.extend_from_slice(&dst.octets());
        }
        _ => bail!(
            "source {} and destination {} differ in family",
            ip.src,
            ip.dst
        ),
    }
    let transport_start = out.len();
    let v6 = ip.src.is_ipv6();
    match transport {
        Transport::Tcp(tcp) => {
            let offset_words = (5 + tcp.options.len() / 4) as u8;
            out.extend_from_slice(&tcp.src_port.to_be_bytes());
            out.extend_from_slice(&tcp.dst_port.to_be_bytes());
            out.extend_from_slice(&tcp.seq.to_be_bytes());
            out.extend_from_slice(&tcp.ack.to_be_bytes());
            out.extend_from_slice(&[offset_words << 4, tcp.flags]);
            out.extend_from_slice(&tcp.window.to_be_bytes());
            out.extend_from_slice(&[0, 0, 0, 0]);
            out.extend_from_slice(tcp.options);
            out.extend_from_slice(tcp.payload);
        }
        Transport::Udp {
            src_port,
            dst_port,
            payload,
        } => {
            out.extend_from_slice(&src_port.to_be_bytes());
            out.extend_from_slice(&dst_port.to_be_bytes());
            out.extend_from_slice(&(transport_len as u16).to_be_bytes());
            out.extend_from_slice(&[0, 0]);
            out.extend_from_slice(payload);
        }
        Transport::Icmp {
            kind,
            code,
            rest,
            payload,
        } => {
            out.extend_from_slice(&[*kind, *code, 0, 0]);
            out.extend_from_slice(rest);
            out.extend_from_slice(payload);
        }
    }
    let protocol = transport.protocol(v6);
    // ICMPv4 is the one transport checksum without a pseudo-header.
    let initial = if protocol == PROTO_ICMP {
        0
    } else {
        pseudo_header_sum(ip, protocol, transport_len as u32)
    };
    let mut sum = checksum(&out[transport_start..], initial);
    // A computed UDP checksum of zero is sent as all ones: zero means "none" (RFC 768), and
    // IPv6 forbids it (RFC 8200 section 8.1).
    if protocol == PROTO_UDP && sum == 0 {
        sum = 0xffff;
    }
    let at = transport_start
        + match protocol {
            PROTO_TCP => 16,
            PROTO_UDP => 6,
            _ => 2,
        };
    out[at..at + 2].copy_from_slice(&sum.to_be_bytes());
    Ok(())
}

/// Splits an IPv4 packet into fragments that fit `mtu`, as a router or the sending host does
/// (RFC 791 section 3.2): every fragment but the last carries a multiple of 8 bytes and "more
/// fragments"; all keep the identification. A packet that fits is passed on whole.
pub fn fragment_ipv4(packet: &[u8], mtu: usize, mut each: impl FnMut(&[u8])) {
    if packet.len() <= mtu || packet.len() < 20 {
        each(packet);
        return;
    }
    let header_len = usize::from(packet[0] & 0x0f) * 4;
    let (header, data) = packet.split_at(header_len.min(packet.len()));
    let per_fragment = (mtu - header_len) / 8 * 8;
    let mut fragment = Vec::with_capacity(mtu);
    let mut offset = 0;
    while offset < data.len() {
        let end = (offset + per_fragment).min(data.len());
        let more = end < data.len();
        fragment.clear();
        fragment.extend_from_slice(header);
        fragment.extend_from_slice(&data[offset..end]);
        let total = (header_len + end - offset) as u16;
        fragment[2..4].copy_from_slice(&total.to_be_bytes());
        let flags_offset = (if more { 0x2000 } else { 0 }) | ((offset / 8) as u16);
        fragment[6..8].copy_from_slice(&flags_offset.to_be_bytes());
        fragment[10..12].copy_from_slice(&[0, 0]);
        let sum = checksum(&fragment[..header_len], 0);
        fragment[10..12].copy_from_slice(&sum.to_be_bytes());
        each(&fragment);
        offset = end;
    }
}

fn pseudo_header_sum(ip: &Ip, protocol: u8, length: u32) -> u32 {
    let mut sum = 0u32;
    let mut add = |bytes: &[u8]| sum = add_words(bytes, sum);
    match (ip.src, ip.dst) {
        (IpAddr::V4(src), IpAddr::V4(dst)) => {
            add(&src.octets());
            add(&dst.octets());
            add(&[0, protocol]);
            add(&(length as u16).to_be_bytes());
        }
        _ => {
            if let (IpAddr::V6(src), IpAddr::V6(dst)) = (ip.src, ip.dst) {
                add(&src.octets());
                add(&dst.octets());
            }
            add(&length.to_be_bytes());
            add(&[0, 0, 0, protocol]);
        }
    }
    sum
}

/// Adds `bytes` as big-endian 16-bit words (an odd last byte padded with zero).
fn add_words(bytes: &[u8], mut sum: u32) -> u32 {
    let mut chunks = bytes.chunks_exact(2);
    for pair in &mut chunks {
        sum += u32::from(u16::from_be_bytes([pair[0], pair[1]]));
        // Fold early so that long payloads cannot overflow.
        if sum > 0xffff_0000 {
            sum = (sum & 0xffff) + (sum >> 16);
        }
    }
    if let [last] = chunks.remainder() {
        sum += u32::from(*last) << 8;
    }
    sum
}

/// The Internet checksum (RFC 1071) of `bytes` on top of `initial`.
pub fn checksum(bytes: &[u8], initial: u32) -> u16 {
    let mut sum = add_words(bytes, initial);
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// TCP options, padded with NOPs to a multiple of four bytes.
#[derive(Debug, Clone, Copy)]
pub struct TcpOptions {
    bytes: [u8; 40],
    len: usize,
}

impl Default for TcpOptions {
    fn default() -> Self {
        // NOP (1) rather than end-of-list (0) fills the padding: what Linux and Windows send.
        TcpOptions {
            bytes: [1; 40],
            len: 0,
        }
    }
}

impl TcpOptions {
    fn push(mut self, option: &[u8]) -> Self {
        if let Some(slot) = self.bytes.get_mut(self.len..self.len + option.len()) {
            slot.copy_from_slice(option);
            self.len += option.len();
        }
        self
    }

    pub fn nop(self) -> Self {
        self.push(&[1])
    }

    pub fn mss(self, mss: u16) -> Self {
        let [high, low] = mss.to_be_bytes();
        self.push(&[2, 4, high, low])
    }

    pub fn window_scale(self, shift: u8) -> Self {
        self.push(&[3, 3, shift])
    }

    pub fn sack_permitted(self) -> Self {
        self.push(&[4, 2])
    }

    pub fn timestamps(self, value: u32, echo: u32) -> Self {
        let [a, b, c, d] = value.to_be_bytes();
        let [e, f, g, h] = echo.to_be_bytes();
        self.push(&[8, 10, a, b, c, d, e, f, g, h])
    }

    pub fn as_slice(&self) -> &[u8] {
        let padded = self.len.div_ceil(4) * 4;
        self.bytes.get(..padded).unwrap_or_default()
    }

    pub fn padded(mut self) -> Self {
        while !self.len.is_multiple_of(4) {
            self = self.nop();
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(src: &str, dst: &str) -> Ip {
        Ip {
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
            ttl: 57,
            id: 0x1c46,
            dont_fragment: true,
            tos: 0,
            flow_label: 0,
        }
    }

    #[test]
    fn ipv4_header_checksum_matches_rfc1071_example() {
        // The worked example of Wikipedia's "IPv4 header checksum" article: 0xb861.
        let header = [
            0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8,
            0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
        ];
        assert_eq!(checksum(&header, 0), 0xb861);
    }

    #[test]
    fn built_packets_verify_to_zero() {
        let mut out = Vec::new();
        let options = TcpOptions::default().mss(1460).sack_permitted().padded();
        build(
            &mut out,
            &ip("198.51.100.7", "203.0.113.9"),
            &Transport::Tcp(Tcp {
                src_port: 40000,
                dst_port: 443,
                seq: 1,
                ack: 0,
                flags: SYN,
                window: 64240,
                options: options.as_slice(),
                payload: b"",
            }),
        )
        .unwrap();
        assert_eq!(out.len(), 20 + 28);
        assert_eq!(checksum(&out[..20], 0), 0);
        let pseudo = pseudo_header_sum(&ip("198.51.100.7", "203.0.113.9"), PROTO_TCP, 28);
        assert_eq!(checksum(&out[20..], pseudo), 0);

        out.clear();
        let v6 = ip("2001:db8::1", "2001:db8::2");
        build(
            &mut out,
            &v6,
            &Transport::Udp {
                src_port: 53,
                dst_port: 5353,
                payload: b"odd",
            },
        )
        .unwrap();
        assert_eq!(out.len(), 40 + 11);
        let pseudo = pseudo_header_sum(&v6, PROTO_UDP, 11);
        assert_eq!(checksum(&out[40..], pseudo), 0);
    }

    #[test]
    fn fragments_cover_the_packet_in_multiples_of_eight() {
        let mut packet = Vec::new();
        let payload = vec![0xab; 3000];
        build(
            &mut packet,
            &ip("198.51.100.7", "203.0.113.9"),
            &Transport::Udp {
                src_port: 53,
                dst_port: 4444,
                payload: &payload,
            },
        )
        .unwrap();
        let mut fragments = Vec::new();
        fragment_ipv4(&packet, 1500, |f| fragments.push(f.to_vec()));
        assert_eq!(fragments.len(), 3);
        let mut data = Vec::new();
        for (index, fragment) in fragments.iter().enumerate() {
            assert!(fragment.len() <= 1500);
            assert_eq!(checksum(&fragment[..20], 0), 0);
            let word = u16::from_be_bytes([fragment[6], fragment[7]]);
            assert_eq!(word & 0x2000 != 0, index < 2, "more fragments");
            assert_eq!(usize::from(word & 0x1fff) * 8, data.len());
            data.extend_from_slice(&fragment[20..]);
        }
        assert_eq!(data, packet[20..]);
    }
}
