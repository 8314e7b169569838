//! Packet decoding: takes a captured `Frame` and gives a `Packet` with the IP and transport
//! fields the analysis needs, or says that the frame carries no IP or why it could not be read.
//!
//! Runs once per packet, so it allocates nothing and never panics, whatever the bytes.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic,
        clippy::arithmetic_side_effects,
        clippy::cast_possible_truncation
    )
)]

pub mod packet;

mod ip;
mod link;

pub use packet::*;

use std::borrow::Cow;

use crate::capture::Frame;

/// What decoding one frame gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded<'a> {
    Ip(Packet<'a>),
    /// A link type or EtherType that carries no IP (ARP, LLDP, 802.11 management ...).
    NonIp,
    Undecodable(Undecodable),
}

/// Why a frame that should carry IP could not be decoded (for counting and for warnings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Undecodable {
    /// The frame ends inside its link-layer header: Ethernet, a VLAN tag, an MPLS label, the
    /// Linux cooked header or the loopback address family.
    TruncatedLinkHeader,
    /// More stacked VLAN tags or MPLS labels than any real network uses; the frame is garbage.
    TooManyLinkHeaders,
    /// The IP header is cut short: fewer bytes than its fixed part, or than an IPv4 IHL says.
    TruncatedIpHeader,
    /// The IP version nibble is not the one the link layer announced, or neither 4 nor 6.
    BadIpVersion,
    /// An IPv4 header length (IHL) below the 20-byte minimum.
    BadIpHeader,
}

impl Undecodable {
    /// Every variant, in declaration order, for tables of counts.
    pub const ALL: [Undecodable; 5] = [
        Undecodable::TruncatedLinkHeader,
        Undecodable::TooManyLinkHeaders,
        Undecodable::TruncatedIpHeader,
        Undecodable::BadIpVersion,
        Undecodable::BadIpHeader,
    ];

    /// Stable snake_case name for reports and warnings.
    pub fn as_str(self) -> &'static str {
        match self {
            Undecodable::TruncatedLinkHeader => "truncated_link_header",
            Undecodable::TooManyLinkHeaders => "too_many_link_headers",
            Undecodable::TruncatedIpHeader => "truncated_ip_header",
            Undecodable::BadIpVersion => "bad_ip_version",
            Undecodable::BadIpHeader => "bad_ip_header",
        }
    }
}

/// Decodes one frame down to the transport header.
pub fn decode<'a>(frame: &Frame<'a>) -> Decoded<'a> {
    match link::strip_link_headers(frame.link_type, frame.data) {
        link::LinkPayload::Ip { announced, bytes } => ip::decode_ip(frame, announced, bytes),
        link::LinkPayload::NonIp => Decoded::NonIp,
        link::LinkPayload::Undecodable(reason) => Decoded::Undecodable(reason),
    }
}

/// Short lowercase name of a LINKTYPE_* value for reports: "ethernet", "null", "loop", "raw",
/// "linux_sll", "linux_sll2", "ipv4", "ipv6", "ieee802_11", ... and "linktype_<n>" for unknown.
///
/// Names are the LINKTYPE_ names of <https://www.tcpdump.org/linktypes.html> without the prefix;
/// the BSD DLT_RAW values 12 and 14 are reported as "raw" since they are decoded as such.
pub fn link_type_name(link_type: u32) -> Cow<'static, str> {
    let name = match link_type {
        link::LINKTYPE_NULL => "null",
        link::LINKTYPE_ETHERNET => "ethernet",
        3 => "ax25",
        6 => "ieee802_5",
        7 => "arcnet_bsd",
        8 => "slip",
        9 => "ppp",
        10 => "fddi",
        link::LINKTYPE_RAW_BSD | link::LINKTYPE_RAW_OPENBSD | link::LINKTYPE_RAW => "raw",
        50 => "ppp_hdlc",
        51 => "ppp_ether",
        100 => "atm_rfc1483",
        104 => "c_hdlc",
        105 => "ieee802_11",
        107 => "frelay",
        link::LINKTYPE_LOOP => "loop",
        link::LINKTYPE_LINUX_SLL => "linux_sll",
        114 => "ltalk",
        117 => "pflog",
        119 => "ieee802_11_prism",
        122 => "ip_over_fc",
        123 => "sunatm",
        127 => "ieee802_11_radiotap",
        129 => "arcnet_linux",
        138 => "apple_ip_over_ieee1394",
        143 => "docsis",
        163 => "ieee802_11_avs",
        166 => "ppp_pppd",
        187 => "bluetooth_hci_h4",
        189 => "usb_linux",
        192 => "ppi",
        195 => "ieee802_15_4_withfcs",
        197 => "erf",
        204 => "ppp_with_dir",
        205 => "c_hdlc_with_dir",
        220 => "usb_linux_mmapped",
        226 => "ipnet",
        227 => "can_socketcan",
        link::LINKTYPE_IPV4 => "ipv4",
        link::LINKTYPE_IPV6 => "ipv6",
        230 => "ieee802_15_4_nofcs",
        239 => "nflog",
        240 => "netanalyzer",
        241 => "netanalyzer_transparent",
        242 => "ipoib",
        247 => "infiniband",
        249 => "usbpcap",
        253 => "netlink",
        258 => "pktap",
        274 => "ethernet_mpacket",
        link::LINKTYPE_LINUX_SLL2 => "linux_sll2",
        other => return Cow::Owned(format!("linktype_{other}")),
    };
    Cow::Borrowed(name)
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    use etherparse::{
        IpFragOffset, IpNumber, Ipv4Header, Ipv6FragmentHeader, Ipv6Header, PacketBuilder,
        TcpOptionElement, UdpHeader, VlanId, icmpv4, icmpv6, ip_number,
    };

    use super::*;

    const TIMESTAMP_NS: i64 = 1_700_000_000_123_456_789;
    const CLIENT_V4: [u8; 4] = [192, 0, 2, 1];
    const SERVER_V4: [u8; 4] = [198, 51, 100, 7];
    const CLIENT_V6: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    const SERVER_V6: [u8; 16] = [
        0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53, 1,
    ];
    const MAC_A: [u8; 6] = [0x02, 0, 0, 0, 0, 1];
    const MAC_B: [u8; 6] = [0x02, 0, 0, 0, 0, 2];

    fn frame(link_type: u32, data: &[u8]) -> Frame<'_> {
        Frame {
            link_type,
            timestamp_ns: Some(TIMESTAMP_NS),
            wire_len: u32::try_from(data.len()).unwrap(),
            data,
        }
    }

    fn decode_packet<'a>(frame: &Frame<'a>) -> Packet<'a> {
        match decode(frame) {
            Decoded::Ip(packet) => packet,
            other => panic!("expected an IP packet, got {other:?}"),
        }
    }

    fn v4(octets: [u8; 4]) -> IpAddr {
        IpAddr::V4(Ipv4Addr::from(octets))
    }

    fn v6(octets: [u8; 16]) -> IpAddr {
        IpAddr::V6(Ipv6Addr::from(octets))
    }

    /// A Packet with the fields every test sets the same way filled in.
    fn expected(data: &[u8], src: IpAddr, dst: IpAddr, ttl: u8, protocol: u8) -> Packet<'static> {
        let length = u32::try_from(data.len()).unwrap();
        Packet {
            wire_len: length,
            captured_len: length,
            ttl,
            ..Packet::for_test(src, dst, protocol, TIMESTAMP_NS)
        }
    }

    fn ipv4_header(payload_len: usize, protocol: IpNumber, ttl: u8) -> Ipv4Header {
        let mut header = Ipv4Header::new(
            u16::try_from(payload_len).unwrap(),
            ttl,
            protocol,
            CLIENT_V4,
            SERVER_V4,
        )
        .unwrap();
        header.header_checksum = header.calc_header_checksum();
        header
    }

    fn ipv6_header(payload_len: usize, next_header: IpNumber, hop_limit: u8) -> Ipv6Header {
        Ipv6Header {
            payload_length: u16::try_from(payload_len).unwrap(),
            next_header,
            hop_limit,
            source: CLIENT_V6,
            destination: SERVER_V6,
            ..Ipv6Header::default()
        }
    }

    fn udp_bytes(src_port: u16, dst_port: u16, payload_len: usize) -> [u8; 8] {
        UdpHeader {
            source_port: src_port,
            destination_port: dst_port,
            length: u16::try_from(payload_len + 8).unwrap(),
            checksum: 0,
        }
        .to_bytes()
    }

    /// An IPv4/UDP DNS query, 29 bytes of payload.
    fn ipv4_udp_packet() -> Vec<u8> {
        let mut packet = Vec::new();
        PacketBuilder::ipv4(CLIENT_V4, SERVER_V4, 64)
            .udp(40001, 53)
            .write(&mut packet, b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03com\x00\x00\x01\x00\x01")
            .unwrap();
        packet
    }

    fn linux_syn_options() -> [TcpOptionElement; 5] {
        [
            TcpOptionElement::MaximumSegmentSize(1460),
            TcpOptionElement::SelectiveAcknowledgementPermitted,
            TcpOptionElement::Timestamp(0x0102_0304, 0),
            TcpOptionElement::Noop,
            TcpOptionElement::WindowScale(7),
        ]
    }

    fn ethernet_vlan_ipv4_syn(payload: &[u8]) -> Vec<u8> {
        let mut frame = Vec::new();
        PacketBuilder::ethernet2(MAC_A, MAC_B)
            .single_vlan(VlanId::try_new(100).unwrap())
            .ipv4(CLIENT_V4, SERVER_V4, 57)
            .tcp(40000, 443, 0x0a0b_0c0d, 64240)
            .syn()
            .options(&linux_syn_options())
            .unwrap()
            .write(&mut frame, payload)
            .unwrap();
        frame
    }

    #[test]
    fn ethernet_vlan_ipv4_tcp_syn_with_options() {
        let data = ethernet_vlan_ipv4_syn(b"hello");
        let packet = decode_packet(&frame(1, &data));
        assert_eq!(
            packet,
            Packet {
                src_port: 40000,
                dst_port: 443,
                tcp: Some(TcpInfo {
                    flags: TcpInfo::SYN,
                    window: 64240,
                    seq: 0x0a0b_0c0d,
                    ack: 0,
                    mss: Some(1460),
                    window_scale: Some(7),
                    sack_permitted: true,
                    timestamps: true,
                }),
                payload_len: 5,
                payload: b"hello",
                ..expected(&data, v4(CLIENT_V4), v4(SERVER_V4), 57, 6)
            }
        );
        assert!(packet.is_ipv4());
    }

    #[test]
    fn tcp_flags_ack_and_long_payload() {
        let payload = [0x42; 200];
        let mut data = Vec::new();
        PacketBuilder::ethernet2(MAC_A, MAC_B)
            .ipv6(CLIENT_V6, SERVER_V6, 63)
            .tcp(443, 51000, 7, 501)
            .ack(99)
            .psh()
            .fin()
            .write(&mut data, &payload)
            .unwrap();
        let packet = decode_packet(&frame(1, &data));
        assert_eq!(
            packet,
            Packet {
                src_port: 443,
                dst_port: 51000,
                tcp: Some(TcpInfo {
                    flags: TcpInfo::ACK | TcpInfo::PSH | TcpInfo::FIN,
                    window: 501,
                    seq: 7,
                    ack: 99,
                    ..TcpInfo::default()
                }),
                payload_len: 200,
                payload: &payload[..PAYLOAD_PREFIX_LEN],
                ..expected(&data, v6(CLIENT_V6), v6(SERVER_V6), 63, 6)
            }
        );
        assert!(!packet.is_ipv4());
    }

    #[test]
    fn double_vlan_ipv6_udp() {
        let payload: Vec<u8> = (0..100).collect();
        let mut data = Vec::new();
        PacketBuilder::ethernet2(MAC_A, MAC_B)
            .double_vlan(VlanId::try_new(10).unwrap(), VlanId::try_new(20).unwrap())
            .ipv6(CLIENT_V6, SERVER_V6, 255)
            .udp(33333, 123)
            .write(&mut data, &payload)
            .unwrap();
        assert_eq!(
            decode_packet(&frame(1, &data)),
            Packet {
                src_port: 33333,
                dst_port: 123,
                payload_len: 100,
                payload: &payload[..PAYLOAD_PREFIX_LEN],
                ..expected(&data, v6(CLIENT_V6), v6(SERVER_V6), 255, 17)
            }
        );
    }

    #[test]
    fn ethernet_padding_is_not_payload() {
        let mut data = Vec::new();
        PacketBuilder::ethernet2(MAC_A, MAC_B)
            .ipv4(CLIENT_V4, SERVER_V4, 64)
            .udp(1900, 1900)
            .write(&mut data, b"M-S")
            .unwrap();
        data.resize(60, 0);
        let packet = decode_packet(&frame(1, &data));
        assert_eq!((packet.payload, packet.payload_len), (&b"M-S"[..], 3));
        assert_eq!(packet.captured_len, 60);
    }

    #[test]
    fn snaplen_cut_udp_keeps_declared_length() {
        let mut data = Vec::new();
        PacketBuilder::ethernet2(MAC_A, MAC_B)
            .ipv4(CLIENT_V4, SERVER_V4, 64)
            .udp(123, 123)
            .write(&mut data, &[0x17; 468])
            .unwrap();
        let wire_len = u32::try_from(data.len()).unwrap();
        let captured = &data[..96];
        let packet = decode_packet(&Frame {
            wire_len,
            ..frame(1, captured)
        });
        assert_eq!(
            packet,
            Packet {
                wire_len,
                captured_len: 96,
                src_port: 123,
                dst_port: 123,
                payload_len: 468,
                // 96 captured bytes less Ethernet, IPv4 and UDP headers.
                payload: &[0x17; 54][..],
                ..expected(&data, v4(CLIENT_V4), v4(SERVER_V4), 64, 17)
            }
        );
    }

    #[test]
    fn ipv4_total_length_below_header_falls_back_to_captured_bytes() {
        // Captures taken on a sender with TCP segmentation offload show total length 0.
        let mut data = ipv4_udp_packet();
        data[2..4].copy_from_slice(&[0, 0]);
        let packet = decode_packet(&frame(101, &data));
        assert_eq!((packet.src_port, packet.dst_port), (40001, 53));
        assert_eq!(packet.payload_len, 29);
        assert_eq!(packet.payload.len(), 29);
    }

    #[test]
    fn ipv4_options_are_skipped() {
        let mut header = ipv4_header(8 + 4, ip_number::UDP, 30);
        header.options = [0x94, 0x04, 0x00, 0x00].into(); // Router Alert (RFC 2113)
        header.set_payload_len(8 + 4).unwrap();
        header.header_checksum = header.calc_header_checksum();
        let mut data = header.to_bytes().to_vec();
        data.extend_from_slice(&udp_bytes(5060, 5060, 4));
        data.extend_from_slice(b"SIP/");
        assert_eq!(
            decode_packet(&frame(228, &data)),
            Packet {
                src_port: 5060,
                dst_port: 5060,
                payload_len: 4,
                payload: b"SIP/",
                ..expected(&data, v4(CLIENT_V4), v4(SERVER_V4), 30, 17)
            }
        );
    }

    #[test]
    fn ipv4_first_and_later_fragment() {
        // A 3000-byte UDP datagram in fragments of 1480 bytes.
        let mut first = ipv4_header(1480, ip_number::UDP, 64);
        first.identification = 0x1234;
        first.dont_fragment = false;
        first.more_fragments = true;
        let mut data = first.to_bytes().to_vec();
        data.extend_from_slice(&udp_bytes(11211, 4444, 2992));
        data.extend_from_slice(&[0x30; 1472]);
        assert_eq!(
            decode_packet(&frame(101, &data)),
            Packet {
                ip_id: 0x1234,
                fragment: Fragment::First,
                src_port: 11211,
                dst_port: 4444,
                payload_len: 2992,
                payload: &[0x30; PAYLOAD_PREFIX_LEN][..],
                ..expected(&data, v4(CLIENT_V4), v4(SERVER_V4), 64, 17)
            }
        );

        let mut later = ipv4_header(1520, ip_number::UDP, 64);
        later.identification = 0x1234;
        later.dont_fragment = false;
        later.fragment_offset = IpFragOffset::try_new(1480 / 8).unwrap();
        let mut data = later.to_bytes().to_vec();
        data.extend_from_slice(&[0x31; 1520]);
        assert_eq!(
            decode_packet(&frame(101, &data)),
            Packet {
                ip_id: 0x1234,
                fragment: Fragment::Later {
                    offset: 1480,
                    more: false
                },
                payload_len: 1520,
                ..expected(&data, v4(CLIENT_V4), v4(SERVER_V4), 64, 17)
            }
        );
    }

    #[test]
    fn ipv6_fragment_header_after_hop_by_hop() {
        // Hop-by-hop (next: fragment, 8 bytes, PadN), fragment header, then UDP.
        let hop_by_hop = [44, 0, 1, 4, 0, 0, 0, 0];
        let fragment =
            Ipv6FragmentHeader::new(ip_number::UDP, IpFragOffset::ZERO, true, 0xdead_beef);
        let mut data = ipv6_header(8 + 8 + 8 + 1000, ip_number::IPV6_HOP_BY_HOP, 50)
            .to_bytes()
            .to_vec();
        data.extend_from_slice(&hop_by_hop);
        data.extend_from_slice(&fragment.to_bytes());
        data.extend_from_slice(&udp_bytes(443, 61000, 1800));
        data.extend_from_slice(&[0xc0; 1000]);
        assert_eq!(
            decode_packet(&frame(229, &data)),
            Packet {
                ip_id: 0xdead_beef,
                fragment: Fragment::First,
                src_port: 443,
                dst_port: 61000,
                payload_len: 1800,
                payload: &[0xc0; PAYLOAD_PREFIX_LEN][..],
                ..expected(&data, v6(CLIENT_V6), v6(SERVER_V6), 50, 17)
            }
        );

        let fragment = Ipv6FragmentHeader::new(
            ip_number::UDP,
            IpFragOffset::try_new(1008 / 8).unwrap(),
            true,
            0xdead_beef,
        );
        let mut data = ipv6_header(8 + 800, ip_number::IPV6_FRAGMENTATION_HEADER, 50)
            .to_bytes()
            .to_vec();
        data.extend_from_slice(&fragment.to_bytes());
        data.extend_from_slice(&[0xc1; 800]);
        assert_eq!(
            decode_packet(&frame(229, &data)),
            Packet {
                ip_id: 0xdead_beef,
                fragment: Fragment::Later {
                    offset: 1008,
                    more: true
                },
                payload_len: 800,
                ..expected(&data, v6(CLIENT_V6), v6(SERVER_V6), 50, 17)
            }
        );
    }

    #[test]
    fn ipv6_atomic_fragment_is_not_a_fragment() {
        let fragment = Ipv6FragmentHeader::new(ip_number::UDP, IpFragOffset::ZERO, false, 77);
        let mut data = ipv6_header(8 + 8 + 2, ip_number::IPV6_FRAGMENTATION_HEADER, 9)
            .to_bytes()
            .to_vec();
        data.extend_from_slice(&fragment.to_bytes());
        data.extend_from_slice(&udp_bytes(1, 2, 2));
        data.extend_from_slice(b"ok");
        let packet = decode_packet(&frame(101, &data));
        assert_eq!(
            (
                packet.fragment,
                packet.ip_id,
                packet.src_port,
                packet.payload
            ),
            (Fragment::None, 77, 1, &b"ok"[..])
        );
    }

    #[test]
    fn icmp_port_unreachable_quotes_the_udp_packet() {
        // The reflected-off server answers the spoofed victim: the quote's source is the victim.
        let original = ipv4_udp_packet();
        let mut original_reversed = Vec::new();
        PacketBuilder::ipv4(SERVER_V4, CLIENT_V4, 243)
            .udp(53, 40001)
            .write(&mut original_reversed, &original[28..])
            .unwrap();
        let quote = &original_reversed[..28];
        let mut data = Vec::new();
        PacketBuilder::ethernet2(MAC_A, MAC_B)
            .ipv4(CLIENT_V4, SERVER_V4, 64)
            .icmpv4(etherparse::Icmpv4Type::DestinationUnreachable(
                icmpv4::DestUnreachableHeader::Port,
            ))
            .write(&mut data, quote)
            .unwrap();
        assert_eq!(
            decode_packet(&frame(1, &data)),
            Packet {
                icmp: Some(IcmpInfo {
                    icmp_type: 3,
                    code: 3,
                    quoted: Some(QuotedHeader {
                        src: v4(SERVER_V4),
                        dst: v4(CLIENT_V4),
                        protocol: 17,
                        src_port: 53,
                        dst_port: 40001,
                    }),
                }),
                payload_len: 28,
                payload: quote,
                ..expected(&data, v4(CLIENT_V4), v4(SERVER_V4), 64, 1)
            }
        );
    }

    #[test]
    fn icmp_quote_too_short_for_ports_or_ip() {
        let original = ipv4_udp_packet();
        for (quote_len, expected_quote) in [
            (
                22,
                Some(QuotedHeader {
                    src: v4(CLIENT_V4),
                    dst: v4(SERVER_V4),
                    protocol: 17,
                    src_port: 0,
                    dst_port: 0,
                }),
            ),
            (19, None),
        ] {
            let mut data = Vec::new();
            PacketBuilder::ipv4(SERVER_V4, CLIENT_V4, 64)
                .icmpv4_raw(11, 0, [0; 4])
                .write(&mut data, &original[..quote_len])
                .unwrap();
            let icmp = decode_packet(&frame(101, &data)).icmp.unwrap();
            assert_eq!((icmp.icmp_type, icmp.code), (11, 0));
            assert_eq!(icmp.quoted, expected_quote, "quote of {quote_len} bytes");
        }
    }

    #[test]
    fn icmp_echo_has_no_quote() {
        let mut data = Vec::new();
        PacketBuilder::ipv4(CLIENT_V4, SERVER_V4, 64)
            .icmpv4_echo_request(1, 2)
            .write(&mut data, &[0xab; 56])
            .unwrap();
        assert_eq!(
            decode_packet(&frame(101, &data)),
            Packet {
                icmp: Some(IcmpInfo {
                    icmp_type: 8,
                    code: 0,
                    quoted: None
                }),
                payload_len: 56,
                payload: &[0xab; 56][..],
                ..expected(&data, v4(CLIENT_V4), v4(SERVER_V4), 64, 1)
            }
        );
    }

    #[test]
    fn icmp_header_cut_keeps_type_and_code() {
        let mut data = Vec::new();
        PacketBuilder::ipv4(CLIENT_V4, SERVER_V4, 64)
            .icmpv4_echo_request(1, 2)
            .write(&mut data, &[0xab; 56])
            .unwrap();
        let packet = decode_packet(&frame(101, &data[..23]));
        assert_eq!(
            (packet.icmp, packet.payload_len, packet.payload),
            (
                Some(IcmpInfo {
                    icmp_type: 8,
                    code: 0,
                    quoted: None
                }),
                56,
                &[][..]
            )
        );
        assert_eq!(decode_packet(&frame(101, &data[..21])).icmp, None);
    }

    #[test]
    fn icmpv6_error_quotes_the_tcp_packet() {
        let mut original = Vec::new();
        PacketBuilder::ipv6(SERVER_V6, CLIENT_V6, 64)
            .tcp(443, 50123, 1, 1000)
            .syn()
            .ack(1)
            .write(&mut original, &[])
            .unwrap();
        let quote = &original[..48];
        let mut data = Vec::new();
        PacketBuilder::ipv6(CLIENT_V6, SERVER_V6, 61)
            .icmpv6(etherparse::Icmpv6Type::DestinationUnreachable(
                icmpv6::DestUnreachableCode::Port,
            ))
            .write(&mut data, quote)
            .unwrap();
        assert_eq!(
            decode_packet(&frame(101, &data)),
            Packet {
                icmp: Some(IcmpInfo {
                    icmp_type: 1,
                    code: 4,
                    quoted: Some(QuotedHeader {
                        src: v6(SERVER_V6),
                        dst: v6(CLIENT_V6),
                        protocol: 6,
                        src_port: 443,
                        dst_port: 50123,
                    }),
                }),
                payload_len: 48,
                payload: quote,
                ..expected(&data, v6(CLIENT_V6), v6(SERVER_V6), 61, 58)
            }
        );
    }

    #[test]
    fn icmpv6_informational_has_no_quote() {
        let mut data = Vec::new();
        PacketBuilder::ipv6(CLIENT_V6, SERVER_V6, 255)
            .icmpv6_echo_request(7, 8)
            .write(&mut data, &[1, 2, 3])
            .unwrap();
        let icmp = decode_packet(&frame(101, &data)).icmp;
        assert_eq!(
            icmp,
            Some(IcmpInfo {
                icmp_type: 128,
                code: 0,
                quoted: None
            })
        );
    }

    #[test]
    fn gre_tunnel() {
        let inner = ipv4_udp_packet();
        let gre = [0x00, 0x00, 0x08, 0x00]; // no flags, version 0, protocol IPv4 (RFC 2784)
        let mut data = ipv4_header(gre.len() + inner.len(), ip_number::GRE, 254)
            .to_bytes()
            .to_vec();
        data.extend_from_slice(&gre);
        data.extend_from_slice(&inner);
        let mut whole_payload = gre.to_vec();
        whole_payload.extend_from_slice(&inner);
        assert_eq!(
            decode_packet(&frame(101, &data)),
            Packet {
                payload_len: u32::try_from(whole_payload.len()).unwrap(),
                payload: &whole_payload,
                tunnel: Some(Tunnel::Gre),
                ..expected(&data, v4(CLIENT_V4), v4(SERVER_V4), 254, 47)
            }
        );
    }

    #[test]
    fn ip_in_ip_tunnels() {
        let inner_v4 = ipv4_udp_packet();
        let mut inner_v6 = Vec::new();
        PacketBuilder::ipv6(SERVER_V6, CLIENT_V6, 1)
            .udp(1, 2)
            .write(&mut inner_v6, &[])
            .unwrap();
        let cases = [
            (ip_number::IPV4, &inner_v4, false), // IP-in-IP, RFC 2003
            (ip_number::IPV6, &inner_v6, false), // 6in4, RFC 4213
            (ip_number::IPV4, &inner_v4, true),  // 4in6, RFC 2473
            (ip_number::IPV6, &inner_v6, true),  // 6in6, RFC 2473
        ];
        for (protocol, inner, outer_is_v6) in cases {
            let mut data = if outer_is_v6 {
                ipv6_header(inner.len(), protocol, 40).to_bytes().to_vec()
            } else {
                ipv4_header(inner.len(), protocol, 40).to_bytes().to_vec()
            };
            data.extend_from_slice(inner);
            let packet = decode_packet(&frame(101, &data));
            let (src, dst) = if outer_is_v6 {
                (v6(CLIENT_V6), v6(SERVER_V6))
            } else {
                (v4(CLIENT_V4), v4(SERVER_V4))
            };
            assert_eq!(
                packet,
                Packet {
                    payload_len: u32::try_from(inner.len()).unwrap(),
                    payload: &inner[..inner.len().min(PAYLOAD_PREFIX_LEN)],
                    tunnel: Some(Tunnel::IpInIp),
                    ..expected(&data, src, dst, 40, protocol.0)
                }
            );
        }
    }

    #[test]
    fn truncated_ethernet_header() {
        let data = ethernet_vlan_ipv4_syn(&[]);
        assert_eq!(
            decode(&frame(1, &data[..13])),
            Decoded::Undecodable(Undecodable::TruncatedLinkHeader)
        );
        assert_eq!(
            decode(&frame(1, &data[..16])),
            Decoded::Undecodable(Undecodable::TruncatedLinkHeader)
        );
    }

    #[test]
    fn truncated_ip_header() {
        let data = ethernet_vlan_ipv4_syn(&[]);
        // Ethernet + VLAN tag is 18 bytes; the IPv4 header needs 20 more.
        for len in [18, 19, 30, 37] {
            assert_eq!(
                decode(&frame(1, &data[..len])),
                Decoded::Undecodable(Undecodable::TruncatedIpHeader),
                "len {len}"
            );
        }
        let mut v6 = Vec::new();
        PacketBuilder::ipv6(CLIENT_V6, SERVER_V6, 1)
            .udp(1, 2)
            .write(&mut v6, &[])
            .unwrap();
        assert_eq!(
            decode(&frame(229, &v6[..39])),
            Decoded::Undecodable(Undecodable::TruncatedIpHeader)
        );
        // Options announced by the IHL but cut off.
        let mut header = ipv4_header(0, ip_number::UDP, 1);
        header.options = [1, 1, 1, 1, 1, 1, 1, 0].into();
        let bytes = header.to_bytes();
        assert_eq!(
            decode(&frame(101, &bytes[..24])),
            Decoded::Undecodable(Undecodable::TruncatedIpHeader)
        );
    }

    #[test]
    fn ihl_below_five_is_a_bad_header() {
        let mut data = ipv4_udp_packet();
        data[0] = 0x44;
        assert_eq!(
            decode(&frame(101, &data)),
            Decoded::Undecodable(Undecodable::BadIpHeader)
        );
    }

    #[test]
    fn version_nibble_must_match_the_link_layer() {
        let v4_packet = ipv4_udp_packet();
        let mut ethernet_ipv6_type = vec![0; 12];
        ethernet_ipv6_type.extend_from_slice(&[0x86, 0xdd]);
        ethernet_ipv6_type.extend_from_slice(&v4_packet);
        assert_eq!(
            decode(&frame(1, &ethernet_ipv6_type)),
            Decoded::Undecodable(Undecodable::BadIpVersion)
        );
        assert_eq!(
            decode(&frame(229, &v4_packet)),
            Decoded::Undecodable(Undecodable::BadIpVersion)
        );
        let mut v6_packet = Vec::new();
        PacketBuilder::ipv6(CLIENT_V6, SERVER_V6, 1)
            .udp(1, 2)
            .write(&mut v6_packet, &[])
            .unwrap();
        assert_eq!(
            decode(&frame(228, &v6_packet)),
            Decoded::Undecodable(Undecodable::BadIpVersion)
        );
        let mut version_5 = v4_packet.clone();
        version_5[0] = 0x55;
        for link_type in [101, 12, 14] {
            assert_eq!(
                decode(&frame(link_type, &version_5)),
                Decoded::Undecodable(Undecodable::BadIpVersion)
            );
            assert_eq!(
                decode(&frame(link_type, &[])),
                Decoded::Undecodable(Undecodable::TruncatedIpHeader)
            );
        }
    }

    #[test]
    fn tcp_header_cut_by_snaplen() {
        let data = ethernet_vlan_ipv4_syn(&[]);
        let declared = 0; // a SYN without data
        // The classic 68-byte snaplen: 30 of the 40 TCP header bytes, cut inside the
        // timestamps option, so the fixed header and the first options survive.
        let packet = decode_packet(&Frame {
            wire_len: u32::try_from(data.len()).unwrap(),
            ..frame(1, &data[..68])
        });
        assert_eq!(
            packet.tcp,
            Some(TcpInfo {
                flags: TcpInfo::SYN,
                window: 64240,
                seq: 0x0a0b_0c0d,
                ack: 0,
                mss: Some(1460),
                window_scale: None,
                sack_permitted: true,
                timestamps: false,
            })
        );
        assert_eq!((packet.src_port, packet.dst_port), (40000, 443));
        assert_eq!((packet.payload_len, packet.payload), (declared, &[][..]));
        assert_eq!(packet.captured_len, 68);

        // Inside the fixed header: ports only. The data offset is cut off too, so the payload
        // length is what follows the smallest TCP header.
        let packet = decode_packet(&frame(1, &data[..38 + 10]));
        assert_eq!(packet.tcp, None);
        assert_eq!((packet.src_port, packet.dst_port), (40000, 443));
        assert_eq!((packet.protocol, packet.payload_len), (6, 40 - 20));

        // Not even the ports.
        let packet = decode_packet(&frame(1, &data[..38 + 3]));
        assert_eq!((packet.tcp, packet.src_port, packet.dst_port), (None, 0, 0));
        assert_eq!(packet.src, v4(CLIENT_V4));
    }

    #[test]
    fn tcp_bad_data_offset_gives_ports_only() {
        let mut data = Vec::new();
        PacketBuilder::ipv4(CLIENT_V4, SERVER_V4, 64)
            .tcp(1, 2, 3, 4)
            .write(&mut data, b"data")
            .unwrap();
        data[20 + 12] = 0x40; // data offset 4 words
        let packet = decode_packet(&frame(101, &data));
        assert_eq!(
            (packet.tcp, packet.src_port, packet.dst_port, packet.payload),
            (None, 1, 2, &[][..])
        );
    }

    #[test]
    fn sctp_ports() {
        let mut data = ipv4_header(12, IpNumber(132), 64).to_bytes().to_vec();
        data.extend_from_slice(&[0x0b, 0x59, 0x0b, 0x59, 0, 0, 0, 0, 0, 0, 0, 0]);
        let packet = decode_packet(&frame(101, &data));
        assert_eq!((packet.src_port, packet.dst_port), (2905, 2905));
        assert_eq!((packet.payload_len, packet.payload.len()), (12, 12));
    }

    #[test]
    fn arp_is_not_ip() {
        let mut data = vec![0xff; 6];
        data.extend_from_slice(&MAC_A);
        data.extend_from_slice(&[0x08, 0x06]);
        data.extend_from_slice(&[0, 1, 8, 0, 6, 4, 0, 1]); // Ethernet/IPv4, request
        data.extend_from_slice(&MAC_A);
        data.extend_from_slice(&CLIENT_V4);
        data.extend_from_slice(&[0; 6]);
        data.extend_from_slice(&SERVER_V4);
        assert_eq!(decode(&frame(1, &data)), Decoded::NonIp);
    }

    #[test]
    fn unknown_link_type_is_not_ip() {
        let data = ipv4_udp_packet();
        for link_type in [105, 127, 9, 9999] {
            assert_eq!(decode(&frame(link_type, &data)), Decoded::NonIp);
        }
    }

    /// Link headers in front of one IPv4/UDP packet, each giving the same decoded fields.
    #[test]
    fn every_link_layer_gives_the_same_packet() {
        let ip_packet = ipv4_udp_packet();
        let reference = decode_packet(&frame(101, &ip_packet));
        let mut sll = vec![0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00];
        sll.extend_from_slice(&ip_packet);
        let mut sll2 = vec![
            0x08, 0x00, 0, 0, 0, 0, 0, 3, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0,
        ];
        sll2.extend_from_slice(&ip_packet);
        let mut null_little = 2u32.to_le_bytes().to_vec();
        null_little.extend_from_slice(&ip_packet);
        let mut null_big = 2u32.to_be_bytes().to_vec();
        null_big.extend_from_slice(&ip_packet);
        let mut loop_header = 2u32.to_be_bytes().to_vec();
        loop_header.extend_from_slice(&ip_packet);
        let mut qinq = MAC_B.to_vec();
        qinq.extend_from_slice(&MAC_A);
        qinq.extend_from_slice(&[0x88, 0xa8, 0x00, 0x64, 0x81, 0x00, 0x00, 0xc8, 0x08, 0x00]);
        qinq.extend_from_slice(&ip_packet);
        let mut mpls = MAC_B.to_vec();
        mpls.extend_from_slice(&MAC_A);
        mpls.extend_from_slice(&[0x88, 0x47, 0x00, 0x01, 0x40, 0x3f, 0x00, 0x02, 0x01, 0x3f]);
        mpls.extend_from_slice(&ip_packet);
        let mut vlan_mpls = MAC_B.to_vec();
        vlan_mpls.extend_from_slice(&MAC_A);
        vlan_mpls.extend_from_slice(&[0x81, 0x00, 0x00, 0x05, 0x88, 0x47, 0x00, 0x02, 0x01, 0x3f]);
        vlan_mpls.extend_from_slice(&ip_packet);
        let cases: [(u32, &[u8]); 12] = [
            (113, &sll),
            (276, &sll2),
            (0, &null_little),
            (0, &null_big),
            (108, &loop_header),
            (1, &qinq),
            (1, &mpls),
            (1, &vlan_mpls),
            (12, &ip_packet),
            (14, &ip_packet),
            (228, &ip_packet),
            (101, &ip_packet),
        ];
        for (link_type, data) in cases {
            let packet = decode_packet(&frame(link_type, data));
            assert_eq!(
                packet,
                Packet {
                    wire_len: u32::try_from(data.len()).unwrap(),
                    captured_len: u32::try_from(data.len()).unwrap(),
                    ..reference.clone()
                },
                "link type {link_type}"
            );
        }
        assert_eq!(
            reference,
            Packet {
                src_port: 40001,
                dst_port: 53,
                payload_len: 29,
                payload: &ip_packet[28..],
                ..expected(&ip_packet, v4(CLIENT_V4), v4(SERVER_V4), 64, 17)
            }
        );
    }

    #[test]
    fn frame_metadata_is_copied() {
        let data = ipv4_udp_packet();
        let packet = decode_packet(&Frame {
            link_type: 101,
            timestamp_ns: None,
            wire_len: 9000,
            data: &data,
        });
        assert_eq!(
            (packet.timestamp_ns, packet.wire_len, packet.captured_len),
            (None, 9000, 57)
        );
    }

    #[test]
    fn link_type_names() {
        let names = [
            (0, "null"),
            (1, "ethernet"),
            (12, "raw"),
            (14, "raw"),
            (101, "raw"),
            (105, "ieee802_11"),
            (108, "loop"),
            (113, "linux_sll"),
            (127, "ieee802_11_radiotap"),
            (228, "ipv4"),
            (229, "ipv6"),
            (276, "linux_sll2"),
            (4242, "linktype_4242"),
        ];
        for (link_type, name) in names {
            assert_eq!(link_type_name(link_type), name);
        }
        assert!(matches!(link_type_name(1), Cow::Borrowed(_)));
    }

    #[test]
    fn undecodable_names_are_distinct_snake_case() {
        let names: Vec<&str> = Undecodable::ALL
            .iter()
            .map(|reason| reason.as_str())
            .collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len());
        for name in names {
            assert!(
                name.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{name}"
            );
        }
    }

    /// Link types the decoder knows, plus one it does not.
    const LINK_TYPES: [u32; 12] = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 105, 7777];

    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn byte(&mut self) -> u8 {
            self.next().to_le_bytes()[0]
        }
    }

    fn check_invariants(frame: &Frame<'_>) {
        if let Decoded::Ip(packet) = decode(frame) {
            assert!(packet.payload.len() <= PAYLOAD_PREFIX_LEN);
            assert_eq!(packet.captured_len as usize, frame.data.len());
            assert_eq!(packet.wire_len, frame.wire_len);
            if let Fragment::Later { .. } = packet.fragment {
                assert!(packet.tcp.is_none() && packet.payload.is_empty());
            }
        }
    }

    fn sample_packets() -> Vec<(u32, Vec<u8>)> {
        let mut samples = vec![
            (1, ethernet_vlan_ipv4_syn(b"GET / HTTP/1.1\r\n")),
            (101, ipv4_udp_packet()),
        ];
        let mut icmp = Vec::new();
        PacketBuilder::ethernet2(MAC_A, MAC_B)
            .double_vlan(VlanId::try_new(1).unwrap(), VlanId::try_new(2).unwrap())
            .ipv4(CLIENT_V4, SERVER_V4, 64)
            .icmpv4_raw(3, 3, [0; 4])
            .write(&mut icmp, &ipv4_udp_packet()[..28])
            .unwrap();
        samples.push((1, icmp));
        let mut icmpv6 = Vec::new();
        PacketBuilder::linux_sll(
            etherparse::LinuxSllPacketType::OUTGOING,
            6,
            [1, 2, 3, 4, 5, 6, 0, 0],
        )
        .ipv6(CLIENT_V6, SERVER_V6, 64)
        .icmpv6_raw(3, 0, [0; 4])
        .write(&mut icmpv6, &[0x60; 60])
        .unwrap();
        samples.push((113, icmpv6));
        let fragment = Ipv6FragmentHeader::new(ip_number::TCP, IpFragOffset::ZERO, true, 1);
        let mut v6_fragment = ipv6_header(8 + 40, ip_number::IPV6_FRAGMENTATION_HEADER, 1)
            .to_bytes()
            .to_vec();
        v6_fragment.extend_from_slice(&fragment.to_bytes());
        v6_fragment.extend_from_slice(&ethernet_vlan_ipv4_syn(&[])[38..]);
        samples.push((229, v6_fragment));
        samples
    }

    #[test]
    fn every_prefix_of_valid_packets_decodes_without_panic() {
        for (native_link_type, packet) in sample_packets() {
            for len in 0..=packet.len() {
                for link_type in LINK_TYPES {
                    check_invariants(&frame(link_type, &packet[..len]));
                }
                check_invariants(&frame(native_link_type, &packet[..len]));
            }
        }
    }

    #[test]
    fn mutated_packets_decode_without_panic() {
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        let samples = sample_packets();
        for round in 0..20_000 {
            let (link_type, packet) = &samples[round % samples.len()];
            let mut mutated = packet.clone();
            for _ in 0..=(rng.next() % 4) {
                let position = (rng.next() % mutated.len() as u64) as usize;
                mutated[position] = rng.byte();
            }
            let len = (rng.next() % (mutated.len() as u64 + 1)) as usize;
            check_invariants(&frame(*link_type, &mutated[..len]));
        }
    }

    /// IP protocol numbers worth steering random bytes to: transports, tunnels and every IPv6
    /// extension header, so the random chains reach the extension header walker.
    const INTERESTING_PROTOCOLS: [u8; 14] = [1, 6, 17, 58, 47, 4, 41, 0, 43, 44, 60, 51, 0, 44];

    /// Random bytes after an IPv4 or IPv6 version nibble, with random but plausible protocol
    /// numbers and short extension header chains.
    fn random_ip_packet(rng: &mut XorShift, buffer: &mut [u8]) {
        for byte in buffer.iter_mut() {
            *byte = rng.byte();
        }
        let len = buffer.len();
        let pick = |rng: &mut XorShift| {
            INTERESTING_PROTOCOLS[(rng.next() % INTERESTING_PROTOCOLS.len() as u64) as usize]
        };
        let Some(first) = buffer.first_mut() else {
            return;
        };
        let is_v6 = rng.next().is_multiple_of(2);
        *first = if is_v6 { 0x60 } else { 0x45 };
        if let Some(next_header) = buffer.get_mut(if is_v6 { 6 } else { 9 }) {
            *next_header = pick(rng);
        }
        let mut at = if is_v6 { 40 } else { 20 };
        while at + 1 < len && !rng.next().is_multiple_of(4) {
            buffer[at] = pick(rng);
            buffer[at + 1] = (rng.next() % 3) as u8;
            at += 8 * (usize::from(buffer[at + 1]) + 1);
        }
        if !is_v6 && len > 3 && rng.next().is_multiple_of(2) {
            // A total length that matches the buffer, so the payload is not cut short.
            buffer[2..4].copy_from_slice(&u16::try_from(len).unwrap().to_be_bytes());
        }
    }

    #[test]
    fn random_bytes_decode_without_panic() {
        let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
        let mut buffer = [0u8; 256];
        for _ in 0..5_000 {
            let len = (rng.next() % 256) as usize;
            for byte in &mut buffer[..len] {
                *byte = rng.byte();
            }
            for link_type in LINK_TYPES {
                check_invariants(&frame(link_type, &buffer[..len]));
            }
            random_ip_packet(&mut rng, &mut buffer[..len]);
            for link_type in [101, 228, 229] {
                check_invariants(&frame(link_type, &buffer[..len]));
            }
        }
    }

    /// etherparse 0.21's extension header iterator reads out of bounds on this chain; the
    /// decoder must not use it.
    #[test]
    fn hop_by_hop_after_destination_options_stops_the_chain() {
        let mut data = ipv6_header(16, ip_number::IPV6_DEST_OPTIONS, 64)
            .to_bytes()
            .to_vec();
        data.extend_from_slice(&[0, 0, 1, 4, 0, 0, 0, 0]); // destination options, next: hop-by-hop
        data.extend_from_slice(&[17, 0, 1, 4, 0, 0, 0, 0]); // hop-by-hop, not allowed here
        let packet = decode_packet(&frame(229, &data));
        assert_eq!(
            (
                packet.protocol,
                packet.fragment,
                packet.ip_id,
                packet.payload_len
            ),
            (0, Fragment::None, 0, 8)
        );
    }
}
