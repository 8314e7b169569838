//! IP and transport: takes the bytes under the link layer and gives the `Packet` fields (IPv4 or
//! IPv6 with extension headers, fragments, TCP, UDP, ICMP/ICMPv6 with quoted headers, tunnels).
//!
//! The IP layer is sliced by etherparse's lax slicer (`LaxIpSlice::from_slice`): it handles IHL
//! and options, total lengths that disagree with the capture, AH and the IPv6 extension header
//! chain without allocating, and keeps what it could read when a later header is cut. We call it
//! directly instead of `LaxSlicedPacket`, which would bound VLAN depth at 3, not know MPLS, and
//! refuse to look at the transport header of a first fragment or a TCP header whose options the
//! snaplen cut. Measured in release on the 2-core development VM, a whole `decode` takes about
//! 35-55 ns per packet; a hand-written IPv4 header parser in place of etherparse saved about
//! 10 ns (a quarter), not enough to give up its handling of IHL, length fallbacks and the IPv6
//! extension chain.
//!
//! The transport headers are read here from fixed offsets (RFC 9293, RFC 768, RFC 792,
//! RFC 4443) because etherparse has no lax TCP slice and its TCP option iterator stops at the
//! first unknown option kind (TFO, MD5 ...), losing the fields after it.

use std::net::IpAddr;

use etherparse::{
    IpAuthHeaderSlice, IpNumber, Ipv6FragmentHeaderSlice, Ipv6RawExtHeaderSlice, LaxIpSlice,
    UdpSlice, ip_number,
};

use super::link::AnnouncedVersion;
use super::{
    Decoded, Fragment, IcmpInfo, PAYLOAD_PREFIX_LEN, Packet, QuotedHeader, TcpInfo, Tunnel,
    Undecodable,
};
use crate::capture::Frame;

/// Fixed part of the TCP header, before options (RFC 9293 section 3.1).
const TCP_MIN_HEADER_LEN: usize = 20;
const UDP_HEADER_LEN_U32: u32 = 8;
/// Type, code, checksum and 4 type-specific bytes; an error's quote starts after them
/// (RFC 792, RFC 4443 section 2.1).
const ICMP_HEADER_LEN: usize = 8;

const IP_PROTO_ICMP: u8 = 1;
const IP_PROTO_IPV4: u8 = 4;
const IP_PROTO_TCP: u8 = 6;
const IP_PROTO_UDP: u8 = 17;
const IP_PROTO_DCCP: u8 = 33;
const IP_PROTO_IPV6: u8 = 41;
const IP_PROTO_GRE: u8 = 47;
const IP_PROTO_ICMPV6: u8 = 58;
const IP_PROTO_SCTP: u8 = 132;
const IP_PROTO_UDPLITE: u8 = 136;

/// Decodes the IP packet in `bytes`, which the link layer announced as `announced`.
pub(super) fn decode_ip<'a>(
    frame: &Frame<'a>,
    announced: AnnouncedVersion,
    bytes: &'a [u8],
) -> Decoded<'a> {
    let Some(first_byte) = bytes.first() else {
        return Decoded::Undecodable(Undecodable::TruncatedIpHeader);
    };
    let version_matches = matches!(
        (announced, first_byte >> 4),
        (AnnouncedVersion::V4, 4) | (AnnouncedVersion::V6, 6) | (AnnouncedVersion::Either, 4 | 6)
    );
    if !version_matches {
        return Decoded::Undecodable(Undecodable::BadIpVersion);
    }
    let network = match NetworkLayer::slice(bytes) {
        Ok(network) => network,
        Err(reason) => return Decoded::Undecodable(reason),
    };
    let transport = TransportLayer::decode(&network);
    Decoded::Ip(Packet {
        timestamp_ns: frame.timestamp_ns,
        wire_len: frame.wire_len,
        captured_len: saturating_u32(frame.data.len()),
        src: network.src,
        dst: network.dst,
        ttl: network.ttl,
        ip_id: network.ip_id,
        protocol: network.protocol,
        fragment: network.fragment,
        src_port: transport.src_port,
        dst_port: transport.dst_port,
        tcp: transport.tcp,
        icmp: transport.icmp,
        payload_len: transport.payload_len,
        payload: prefix(transport.payload, PAYLOAD_PREFIX_LEN),
        tunnel: match network.protocol {
            IP_PROTO_GRE => Some(Tunnel::Gre),
            IP_PROTO_IPV4 | IP_PROTO_IPV6 => Some(Tunnel::IpInIp),
            _ => None,
        },
    })
}

/// The IP header fields, and the IP payload after any extension headers.
struct NetworkLayer<'a> {
    src: IpAddr,
    dst: IpAddr,
    ttl: u8,
    ip_id: u32,
    protocol: u8,
    fragment: Fragment,
    /// The captured IP payload, bounded by the header's length field when that is valid (so an
    /// Ethernet trailer is not taken for payload).
    ip_payload: &'a [u8],
    /// IP payload length as the header declares it; see `declared_payload_len`.
    declared_payload_len: u32,
}

impl<'a> NetworkLayer<'a> {
    fn slice(bytes: &'a [u8]) -> Result<Self, Undecodable> {
        use etherparse::err::ip::{HeaderError, LaxHeaderSliceError};
        // The second element of the result, an error in AH or an IPv6 extension header, only
        // means the chain stopped there: the payload then starts at the unreadable header and
        // `protocol` names it, which is as far as the packet can be decoded.
        let (ip, _extension_error) =
            LaxIpSlice::from_slice(bytes).map_err(|error| match error {
                LaxHeaderSliceError::Len(_) => Undecodable::TruncatedIpHeader,
                LaxHeaderSliceError::Content(HeaderError::UnsupportedIpVersion { .. }) => {
                    Undecodable::BadIpVersion
                }
                LaxHeaderSliceError::Content(HeaderError::Ipv4HeaderLengthSmallerThanHeader {
                    ..
                }) => Undecodable::BadIpHeader,
            })?;
        let (fragment, fragment_id) = fragment_of(&ip);
        let payload = ip.payload();
        Ok(match &ip {
            LaxIpSlice::Ipv4(ipv4) => {
                let header = ipv4.header();
                NetworkLayer {
                    src: IpAddr::V4(header.source_addr()),
                    dst: IpAddr::V4(header.destination_addr()),
                    ttl: header.ttl(),
                    ip_id: u32::from(header.identification()),
                    protocol: payload.ip_number.0,
                    fragment,
                    ip_payload: payload.payload,
                    declared_payload_len: declared_payload_len(&ip),
                }
            }
            LaxIpSlice::Ipv6(ipv6) => {
                let header = ipv6.header();
                NetworkLayer {
                    src: IpAddr::V6(header.source_addr()),
                    dst: IpAddr::V6(header.destination_addr()),
                    ttl: header.hop_limit(),
                    ip_id: fragment_id.unwrap_or(0),
                    protocol: payload.ip_number.0,
                    fragment,
                    ip_payload: payload.payload,
                    declared_payload_len: declared_payload_len(&ip),
                }
            }
        })
    }
}

/// Length of the IP payload (after extension headers) as the IP header declares it, which can
/// exceed what was captured. Where the length field cannot be right, the captured length is the
/// best there is: an IPv4 total length below the header length (0 is what captures taken on a
/// sender with TCP segmentation offload show), and an IPv6 payload length of 0 (jumbogram, or
/// the same offload).
fn declared_payload_len(ip: &LaxIpSlice<'_>) -> u32 {
    let captured = ip.payload().payload.len();
    let declared = match ip {
        LaxIpSlice::Ipv4(ipv4) => {
            let header = ipv4.header();
            let header_len = header.slice().len();
            let total_len = usize::from(header.total_len());
            let extensions_len = ipv4.extensions().auth.map_or(0, |auth| auth.slice().len());
            match total_len.checked_sub(header_len) {
                Some(after_header) => after_header.saturating_sub(extensions_len),
                None => captured,
            }
        }
        LaxIpSlice::Ipv6(ipv6) => match usize::from(ipv6.header().payload_length()) {
            0 => captured,
            payload_length => payload_length.saturating_sub(ipv6.extensions().slice().len()),
        },
    };
    saturating_u32(declared)
}

/// Fragment state, and for IPv6 the fragment header's identification.
fn fragment_of(ip: &LaxIpSlice<'_>) -> (Fragment, Option<u32>) {
    match ip {
        LaxIpSlice::Ipv4(ipv4) => {
            let header = ipv4.header();
            let state = fragment_state(
                header.fragments_offset().byte_offset(),
                header.more_fragments(),
            );
            (state, None)
        }
        LaxIpSlice::Ipv6(ipv6) => {
            ipv6_fragment_header(ipv6.header().next_header(), ipv6.extensions().slice())
                .map_or((Fragment::None, None), |(state, id)| (state, Some(id)))
        }
    }
}

/// Finds the fragment header among the IPv6 extension headers the lax slicer accepted
/// (`extensions` is exactly those bytes). Only the first one counts: a second one would be inside
/// the fragmented payload (RFC 8200 section 4.1).
///
/// The chain is walked here with etherparse's bounds-checked header slices rather than its
/// `Ipv6ExtensionSliceIter`: in etherparse 0.21 that iterator reads past the end of the
/// extension bytes when the lax slicer stopped the chain at an invalid header, such as a
/// hop-by-hop header that is not first, which is undefined behaviour (a test in `decode` keeps
/// that case covered).
fn ipv6_fragment_header(first_header: IpNumber, mut extensions: &[u8]) -> Option<(Fragment, u32)> {
    let mut next_header = first_header;
    // Every header is at least 8 bytes long, so this ends.
    while !extensions.is_empty() {
        let header_len = match next_header {
            ip_number::IPV6_FRAG => {
                let fragment = Ipv6FragmentHeaderSlice::from_slice(extensions).ok()?;
                let state = fragment_state(
                    fragment.fragment_offset().byte_offset(),
                    fragment.more_fragments(),
                );
                return Some((state, fragment.identification()));
            }
            ip_number::IPV6_HOP_BY_HOP | ip_number::IPV6_ROUTE | ip_number::IPV6_DEST_OPTIONS => {
                let header = Ipv6RawExtHeaderSlice::from_slice(extensions).ok()?;
                next_header = header.next_header();
                header.slice().len()
            }
            ip_number::AUTH => {
                let header = IpAuthHeaderSlice::from_slice(extensions).ok()?;
                next_header = header.next_header();
                header.slice().len()
            }
            _ => return None,
        };
        extensions = extensions.get(header_len..)?;
    }
    None
}

/// Offset 0 without more-fragments is an unfragmented packet (or an IPv6 atomic fragment,
/// RFC 6946), which carries its whole transport header like any other.
fn fragment_state(byte_offset: u16, more_fragments: bool) -> Fragment {
    match (byte_offset, more_fragments) {
        (0, false) => Fragment::None,
        (0, true) => Fragment::First,
        (offset, more) => Fragment::Later {
            offset: u32::from(offset),
            more,
        },
    }
}

/// The transport fields of a `Packet`.
struct TransportLayer<'a> {
    src_port: u16,
    dst_port: u16,
    tcp: Option<TcpInfo>,
    icmp: Option<IcmpInfo>,
    payload_len: u32,
    /// Captured transport payload, not yet cut to `PAYLOAD_PREFIX_LEN`.
    payload: &'a [u8],
}

impl<'a> TransportLayer<'a> {
    /// Fields of a protocol without a transport header decoded here (GRE, ESP, tunnels ...)
    /// and of later fragments: the IP payload stands for the transport payload.
    fn opaque(network: &NetworkLayer<'a>) -> Self {
        TransportLayer {
            src_port: 0,
            dst_port: 0,
            tcp: None,
            icmp: None,
            payload_len: network.declared_payload_len,
            payload: network.ip_payload,
        }
    }

    fn decode(network: &NetworkLayer<'a>) -> Self {
        if let Fragment::Later { .. } = network.fragment {
            // Fragment data is the middle of a transport segment: no header to read, and
            // its bytes would be mistaken for the start of a payload.
            return TransportLayer {
                payload: &[],
                ..Self::opaque(network)
            };
        }
        let segment = network.ip_payload;
        match network.protocol {
            IP_PROTO_TCP => Self::tcp(segment, network.declared_payload_len),
            IP_PROTO_UDP => Self::udp(segment, network.declared_payload_len),
            IP_PROTO_ICMP => Self::icmp(segment, network.declared_payload_len, is_icmpv4_error),
            IP_PROTO_ICMPV6 => Self::icmp(segment, network.declared_payload_len, is_icmpv6_error),
            protocol if has_ports(protocol) => {
                let (src_port, dst_port) = read_ports(segment).unwrap_or_default();
                TransportLayer {
                    src_port,
                    dst_port,
                    ..Self::opaque(network)
                }
            }
            _ => Self::opaque(network),
        }
    }

    /// A TCP header whose options the snaplen cut still gives its fixed fields and the options
    /// that fit: the classic 68-byte snaplen cuts a Linux SYN's options, and the SYN flag is what
    /// a SYN flood is told by. Fewer than 20 bytes give only the ports (if 4 bytes are there).
    fn tcp(segment: &'a [u8], declared_len: u32) -> Self {
        let (src_port, dst_port) = read_ports(segment).unwrap_or_default();
        // Data offset: header length in 32-bit words, the high nibble of byte 12.
        let header_len = segment
            .get(12)
            .map_or(TCP_MIN_HEADER_LEN, |&byte| usize::from(byte >> 4) << 2);
        let payload_len = saturating_u32(
            usize::try_from(declared_len)
                .unwrap_or(usize::MAX)
                .saturating_sub(header_len),
        );
        let fixed = segment.first_chunk::<TCP_MIN_HEADER_LEN>();
        let (Some(fixed), true) = (fixed, header_len >= TCP_MIN_HEADER_LEN) else {
            // Cut before the end of the fixed header, or a data offset below 5, which no
            // stack sends: nothing past the ports can be trusted.
            return TransportLayer {
                src_port,
                dst_port,
                tcp: None,
                icmp: None,
                payload_len,
                payload: &[],
            };
        };
        let [
            _,
            _,
            _,
            _,
            seq_0,
            seq_1,
            seq_2,
            seq_3,
            ack_0,
            ack_1,
            ack_2,
            ack_3,
            _,
            flags,
            window_high,
            window_low,
            ..,
        ] = *fixed;
        let mut info = TcpInfo {
            flags,
            window: u16::from_be_bytes([window_high, window_low]),
            seq: u32::from_be_bytes([seq_0, seq_1, seq_2, seq_3]),
            ack: u32::from_be_bytes([ack_0, ack_1, ack_2, ack_3]),
            ..TcpInfo::default()
        };
        let options_len = header_len.saturating_sub(TCP_MIN_HEADER_LEN);
        let after_fixed = segment.get(TCP_MIN_HEADER_LEN..).unwrap_or_default();
        read_tcp_options(prefix(after_fixed, options_len), &mut info);
        TransportLayer {
            src_port,
            dst_port,
            tcp: Some(info),
            icmp: None,
            payload_len,
            payload: segment.get(header_len..).unwrap_or_default(),
        }
    }

    /// The UDP length field counts the whole datagram, so a first fragment declares the
    /// reassembled payload length.
    fn udp(segment: &'a [u8], declared_len: u32) -> Self {
        // `from_slice_lax` falls back to the captured bytes when the length field is larger
        // than them or smaller than the header, and drops bytes past it otherwise.
        match UdpSlice::from_slice_lax(segment) {
            Ok(udp) => TransportLayer {
                src_port: udp.source_port(),
                dst_port: udp.destination_port(),
                tcp: None,
                icmp: None,
                payload_len: u32::from(udp.length()).saturating_sub(UDP_HEADER_LEN_U32),
                payload: udp.payload(),
            },
            Err(_) => {
                let (src_port, dst_port) = read_ports(segment).unwrap_or_default();
                TransportLayer {
                    src_port,
                    dst_port,
                    tcp: None,
                    icmp: None,
                    payload_len: declared_len.saturating_sub(UDP_HEADER_LEN_U32),
                    payload: &[],
                }
            }
        }
    }

    /// Type and code need 2 bytes; the quote of an error message starts after the 8-byte header.
    /// (etherparse's `Icmpv4Slice` would reject timestamp messages of unexpected length, and
    /// nothing else of it is needed.)
    fn icmp(message: &'a [u8], declared_len: u32, is_error: fn(u8) -> bool) -> Self {
        let body = message.get(ICMP_HEADER_LEN..).unwrap_or_default();
        let icmp = message
            .first_chunk::<2>()
            .map(|&[icmp_type, code]| IcmpInfo {
                icmp_type,
                code,
                quoted: if is_error(icmp_type) {
                    quoted_header(body)
                } else {
                    None
                },
            });
        TransportLayer {
            src_port: 0,
            dst_port: 0,
            tcp: None,
            icmp,
            payload_len: saturating_u32(
                usize::try_from(declared_len)
                    .unwrap_or(usize::MAX)
                    .saturating_sub(ICMP_HEADER_LEN),
            ),
            payload: body,
        }
    }
}

/// ICMPv4 messages that quote the offending packet: destination unreachable, source quench,
/// redirect, time exceeded, parameter problem (RFC 792).
fn is_icmpv4_error(icmp_type: u8) -> bool {
    matches!(icmp_type, 3 | 4 | 5 | 11 | 12)
}

/// ICMPv6 error messages: destination unreachable, packet too big, time exceeded, parameter
/// problem (RFC 4443 section 2.1: types below 128).
fn is_icmpv6_error(icmp_type: u8) -> bool {
    matches!(icmp_type, 1..=4)
}

/// The IP header and ports an ICMP error quotes. Quotes are usually cut (RFC 792 asks for only
/// 8 bytes past the IP header), and their length fields describe the original packet, so they
/// are sliced as laxly as the outer packet.
fn quoted_header(quote: &[u8]) -> Option<QuotedHeader> {
    let network = NetworkLayer::slice(quote).ok()?;
    let (src_port, dst_port) = match network.fragment {
        Fragment::Later { .. } => None,
        _ if has_ports(network.protocol) => read_ports(network.ip_payload),
        _ => None,
    }
    .unwrap_or_default();
    Some(QuotedHeader {
        src: network.src,
        dst: network.dst,
        protocol: network.protocol,
        src_port,
        dst_port,
    })
}

/// Transport protocols whose header starts with 16-bit source and destination ports.
fn has_ports(protocol: u8) -> bool {
    matches!(
        protocol,
        IP_PROTO_TCP | IP_PROTO_UDP | IP_PROTO_DCCP | IP_PROTO_SCTP | IP_PROTO_UDPLITE
    )
}

fn read_ports(segment: &[u8]) -> Option<(u16, u16)> {
    segment
        .first_chunk::<4>()
        .map(|&[src_high, src_low, dst_high, dst_low]| {
            (
                u16::from_be_bytes([src_high, src_low]),
                u16::from_be_bytes([dst_high, dst_low]),
            )
        })
}

/// Option kinds (RFC 9293 section 3.2, RFC 7323, RFC 2018).
const TCP_OPTION_END: u8 = 0;
const TCP_OPTION_NOP: u8 = 1;
const TCP_OPTION_MSS: u8 = 2;
const TCP_OPTION_WINDOW_SCALE: u8 = 3;
const TCP_OPTION_SACK_PERMITTED: u8 = 4;
const TCP_OPTION_TIMESTAMPS: u8 = 8;

/// Reads the options a stack fingerprint uses, skipping unknown kinds by their length and
/// stopping at the end-of-list option, a malformed length or the end of the captured bytes.
fn read_tcp_options(mut options: &[u8], info: &mut TcpInfo) {
    while let Some((&kind, after_kind)) = options.split_first() {
        match kind {
            TCP_OPTION_END => return,
            TCP_OPTION_NOP => {
                options = after_kind;
                continue;
            }
            _ => {}
        }
        let Some(&option_len) = after_kind.first() else {
            return;
        };
        let option_len = usize::from(option_len);
        // A length below 2 would not advance; the option is malformed and so is what follows.
        let Some(value) = options.get(2..option_len) else {
            return;
        };
        match (kind, value) {
            (TCP_OPTION_MSS, &[high, low]) => info.mss = Some(u16::from_be_bytes([high, low])),
            (TCP_OPTION_WINDOW_SCALE, &[shift]) => info.window_scale = Some(shift),
            (TCP_OPTION_SACK_PERMITTED, []) => info.sack_permitted = true,
            (TCP_OPTION_TIMESTAMPS, [_, _, _, _, _, _, _, _]) => info.timestamps = true,
            _ => {}
        }
        options = options.get(option_len..).unwrap_or_default();
    }
}

/// The first `len` bytes of `bytes`, or all of them if there are fewer.
fn prefix(bytes: &[u8], len: usize) -> &[u8] {
    bytes.get(..len).unwrap_or(bytes)
}

fn saturating_u32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(bytes: &[u8]) -> TcpInfo {
        let mut info = TcpInfo::default();
        read_tcp_options(bytes, &mut info);
        info
    }

    #[test]
    fn linux_syn_options() {
        // MSS 1460, SACK permitted, timestamps, NOP, window scale 7.
        let bytes = [
            2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7,
        ];
        assert_eq!(
            options(&bytes),
            TcpInfo {
                mss: Some(1460),
                window_scale: Some(7),
                sack_permitted: true,
                timestamps: true,
                ..TcpInfo::default()
            }
        );
    }

    #[test]
    fn unknown_options_are_skipped() {
        // TCP Fast Open cookie (34), then MSS.
        let bytes = [34, 6, 1, 2, 3, 4, 2, 4, 0x02, 0x18];
        assert_eq!(options(&bytes).mss, Some(536));
    }

    #[test]
    fn malformed_or_cut_options_stop_reading() {
        assert_eq!(options(&[2, 0, 1, 1]), TcpInfo::default());
        assert_eq!(options(&[2, 1, 1, 1]), TcpInfo::default());
        assert_eq!(options(&[2, 4, 0x05]), TcpInfo::default());
        assert_eq!(options(&[3, 3, 7, 0, 2, 4, 1, 1]).mss, None);
        // A wrong length for a known kind is skipped, not misread.
        let info = options(&[2, 6, 1, 1, 1, 1, 3, 3, 2]);
        assert_eq!((info.mss, info.window_scale), (None, Some(2)));
    }

    #[test]
    fn fragment_states() {
        assert_eq!(fragment_state(0, false), Fragment::None);
        assert_eq!(fragment_state(0, true), Fragment::First);
        assert_eq!(
            fragment_state(1480, true),
            Fragment::Later {
                offset: 1480,
                more: true
            }
        );
        assert_eq!(
            fragment_state(65528, false),
            Fragment::Later {
                offset: 65528,
                more: false
            }
        );
    }

    #[test]
    fn prefix_never_overruns() {
        assert_eq!(prefix(&[1, 2, 3], 2), &[1, 2]);
        assert_eq!(prefix(&[1, 2, 3], 5), &[1, 2, 3]);
        assert_eq!(prefix(&[], 0), &[] as &[u8]);
    }
}
