//! The compact per-packet record that decoding gives and aggregation takes.
//!
//! It is built on the stack for every packet and borrows its payload prefix from the capture
//! buffer, so the hot path allocates nothing.

use std::net::IpAddr;

/// How many payload bytes a `Packet` carries for protocol identification (DNS header, NTP mode,
/// memcached/SSDP/CLDAP signatures, HTTP request line).
pub const PAYLOAD_PREFIX_LEN: usize = 64;

/// One decoded IP packet, reduced to the fields the analysis needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet<'a> {
    /// Nanoseconds since the Unix epoch; `None` where the capture has no timestamp for the
    /// packet (pcapng Simple Packet Blocks).
    pub timestamp_ns: Option<i64>,
    /// Length of the packet on the wire (the capture's original length).
    pub wire_len: u32,
    /// Bytes the capture kept (at most the snaplen).
    pub captured_len: u32,
    pub src: IpAddr,
    pub dst: IpAddr,
    /// TTL (IPv4) or hop limit (IPv6) of the outer IP header.
    pub ttl: u8,
    /// IPv4 identification, or the IPv6 fragment header's identification (0 without one).
    pub ip_id: u32,
    /// The last IP protocol number reached (after IPv6 extension headers): 6 TCP, 17 UDP, 1 ICMP,
    /// 58 ICMPv6, 47 GRE, 4/41 IP-in-IP ...
    pub protocol: u8,
    pub fragment: Fragment,
    /// Transport ports; 0 when the packet has none (ICMP, later fragments, other protocols).
    pub src_port: u16,
    pub dst_port: u16,
    pub tcp: Option<TcpInfo>,
    pub icmp: Option<IcmpInfo>,
    /// Length of the transport payload as the headers declare it (UDP length minus 8, IP total
    /// length minus headers for TCP), which can exceed what was captured.
    pub payload_len: u32,
    /// The first bytes of the transport payload that were captured (at most
    /// `PAYLOAD_PREFIX_LEN`).
    pub payload: &'a [u8],
    /// Set when the outer IP packet carries another IP packet (GRE, IP-in-IP, 6in4 ...).
    pub tunnel: Option<Tunnel>,
}

impl Packet<'_> {
    pub fn is_ipv4(&self) -> bool {
        self.src.is_ipv4()
    }

    /// The packet without its payload prefix, which the caller keeps elsewhere: a record that
    /// no longer borrows the capture buffer, to hand to another thread.
    pub fn without_payload(&self) -> Packet<'static> {
        Packet {
            timestamp_ns: self.timestamp_ns,
            wire_len: self.wire_len,
            captured_len: self.captured_len,
            src: self.src,
            dst: self.dst,
            ttl: self.ttl,
            ip_id: self.ip_id,
            protocol: self.protocol,
            fragment: self.fragment,
            src_port: self.src_port,
            dst_port: self.dst_port,
            tcp: self.tcp,
            icmp: self.icmp,
            payload_len: self.payload_len,
            payload: &[],
            tunnel: self.tunnel,
        }
    }
}

#[cfg(test)]
impl Packet<'static> {
    /// A 60-byte packet from `src` to `dst` with no transport details, for tests to adjust.
    pub fn for_test(src: IpAddr, dst: IpAddr, protocol: u8, timestamp_ns: i64) -> Self {
        Packet {
            timestamp_ns: Some(timestamp_ns),
            wire_len: 60,
            captured_len: 60,
            src,
            dst,
            ttl: 64,
            ip_id: 0,
            protocol,
            fragment: Fragment::None,
            src_port: 0,
            dst_port: 0,
            tcp: None,
            icmp: None,
            payload_len: 0,
            payload: &[],
            tunnel: None,
        }
    }
}

/// Fragmentation state of the packet (IPv4 flags/offset or the IPv6 fragment header).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fragment {
    /// Not fragmented.
    #[default]
    None,
    /// Offset 0 with more-fragments set: carries the transport header.
    First,
    /// Offset > 0: carries no transport header; `offset` in bytes.
    Later { offset: u32, more: bool },
}

impl Fragment {
    pub fn is_fragment(self) -> bool {
        !matches!(self, Fragment::None)
    }
}

/// TCP header fields used to tell floods, handshakes and stacks apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TcpInfo {
    /// The flag byte: FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20, ECE 0x40,
    /// CWR 0x80.
    pub flags: u8,
    pub window: u16,
    pub seq: u32,
    pub ack: u32,
    pub mss: Option<u16>,
    pub window_scale: Option<u8>,
    pub sack_permitted: bool,
    pub timestamps: bool,
}

impl TcpInfo {
    pub const FIN: u8 = 0x01;
    pub const SYN: u8 = 0x02;
    pub const RST: u8 = 0x04;
    pub const PSH: u8 = 0x08;
    pub const ACK: u8 = 0x10;
}

/// ICMP or ICMPv6 type and code, with the header quoted by an error message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IcmpInfo {
    pub icmp_type: u8,
    pub code: u8,
    /// For error messages (unreachable, time exceeded, parameter problem, packet too big): the
    /// quoted packet's header. Backscatter from spoofed floods shows up here.
    pub quoted: Option<QuotedHeader>,
}

/// The IP and transport header an ICMP error message quotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotedHeader {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub protocol: u8,
    /// 0 when the quote is too short to hold ports or the protocol has none.
    pub src_port: u16,
    pub dst_port: u16,
}

/// An encapsulation seen inside the outer IP packet; the outer header is what is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tunnel {
    Gre,
    IpInIp,
}
