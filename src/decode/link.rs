//! Link layers: takes a frame's LINKTYPE and bytes, gives the IP packet inside them (with the IP
//! version the link layer announced), or says the frame carries no IP or is cut short.
//!
//! LINKTYPE values and header layouts follow <https://www.tcpdump.org/linktypes.html> and its
//! per-type pages.

use super::Undecodable;

/// IEEE 802.3 Ethernet.
pub(super) const LINKTYPE_ETHERNET: u32 = 1;
/// BSD loopback: a 4-byte address family in the writer's host byte order.
pub(super) const LINKTYPE_NULL: u32 = 0;
/// OpenBSD loopback: like NULL, but the address family is in network byte order.
pub(super) const LINKTYPE_LOOP: u32 = 108;
/// Raw IP, version told by the first nibble.
pub(super) const LINKTYPE_RAW: u32 = 101;
/// DLT_RAW as written by some BSDs straight into files (12 on most, 14 on OpenBSD) before
/// libpcap mapped DLT_ values to LINKTYPE_RAW.
pub(super) const LINKTYPE_RAW_BSD: u32 = 12;
pub(super) const LINKTYPE_RAW_OPENBSD: u32 = 14;
/// Raw IPv4 only.
pub(super) const LINKTYPE_IPV4: u32 = 228;
/// Raw IPv6 only.
pub(super) const LINKTYPE_IPV6: u32 = 229;
/// Linux "cooked" capture v1 (`tcpdump -i any` before libpcap 1.10).
pub(super) const LINKTYPE_LINUX_SLL: u32 = 113;
/// Linux "cooked" capture v2 (`tcpdump -i any` since libpcap 1.10).
pub(super) const LINKTYPE_LINUX_SLL2: u32 = 276;

const ETHERNET_HEADER_LEN: usize = 14;
const SLL_HEADER_LEN: usize = 16;
const SLL2_HEADER_LEN: usize = 20;
const LOOPBACK_HEADER_LEN: usize = 4;
/// An 802.1Q tag after the TPID: TCI (2 bytes) and the next EtherType (2 bytes).
const VLAN_TAG_LEN: usize = 4;
/// An MPLS label stack entry: label 20 bits, traffic class 3, bottom-of-stack 1, TTL 8 (RFC 3032).
const MPLS_LABEL_LEN: usize = 4;

/// How many stacked VLAN tags, or MPLS labels, are followed before giving up. Real networks
/// use two or three; a longer stack is garbage or an attempt to make the decoder loop.
const MAX_STACKED_HEADERS: usize = 8;

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
/// IEEE 802.1Q customer VLAN tag.
const ETHERTYPE_VLAN: u16 = 0x8100;
/// IEEE 802.1ad provider (QinQ outer) tag.
const ETHERTYPE_QINQ: u16 = 0x88a8;
/// Pre-standard QinQ outer tag still used by some switches.
const ETHERTYPE_QINQ_LEGACY: u16 = 0x9100;
/// MPLS unicast and multicast (RFC 5332).
const ETHERTYPE_MPLS_UNICAST: u16 = 0x8847;
const ETHERTYPE_MPLS_MULTICAST: u16 = 0x8848;

/// In SLL/SLL2 the protocol field is a netlink family, not an EtherType, when the device is a
/// netlink socket (Linux `ARPHRD_NETLINK`).
const ARPHRD_NETLINK: u16 = 824;

/// AF_INET is 2 everywhere.
const AF_INET: u32 = 2;
/// AF_INET6 differs by OS: Linux 10, NetBSD/OpenBSD/BSD/OS 24, FreeBSD/DragonFly 28, macOS 30.
const AF_INET6_VALUES: [u32; 4] = [10, 24, 28, 30];

/// Which IP version the link layer said the packet has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AnnouncedVersion {
    V4,
    V6,
    /// Raw IP link types and MPLS leave it to the version nibble.
    Either,
}

/// What is under the link-layer headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LinkPayload<'a> {
    Ip {
        announced: AnnouncedVersion,
        bytes: &'a [u8],
    },
    NonIp,
    Undecodable(Undecodable),
}

/// Strips the link-layer headers of `link_type` off `data`.
pub(super) fn strip_link_headers(link_type: u32, data: &[u8]) -> LinkPayload<'_> {
    match link_type {
        LINKTYPE_ETHERNET => ethernet(data),
        LINKTYPE_RAW | LINKTYPE_RAW_BSD | LINKTYPE_RAW_OPENBSD => LinkPayload::Ip {
            announced: AnnouncedVersion::Either,
            bytes: data,
        },
        LINKTYPE_IPV4 => LinkPayload::Ip {
            announced: AnnouncedVersion::V4,
            bytes: data,
        },
        LINKTYPE_IPV6 => LinkPayload::Ip {
            announced: AnnouncedVersion::V6,
            bytes: data,
        },
        LINKTYPE_LINUX_SLL => linux_sll(data),
        LINKTYPE_LINUX_SLL2 => linux_sll2(data),
        LINKTYPE_NULL => loopback(data, AddressFamilyOrder::EitherOrder),
        LINKTYPE_LOOP => loopback(data, AddressFamilyOrder::NetworkOrder),
        _ => LinkPayload::NonIp,
    }
}

fn ethernet(data: &[u8]) -> LinkPayload<'_> {
    let Some((header, rest)) = data.split_first_chunk::<ETHERNET_HEADER_LEN>() else {
        return LinkPayload::Undecodable(Undecodable::TruncatedLinkHeader);
    };
    let [_, _, _, _, _, _, _, _, _, _, _, _, type_high, type_low] = *header;
    after_ethertype(u16::from_be_bytes([type_high, type_low]), rest)
}

/// LINKTYPE_LINUX_SLL: packet type (2), ARPHRD type (2), address length (2), address (8),
/// protocol (2).
fn linux_sll(data: &[u8]) -> LinkPayload<'_> {
    let Some((header, rest)) = data.split_first_chunk::<SLL_HEADER_LEN>() else {
        return LinkPayload::Undecodable(Undecodable::TruncatedLinkHeader);
    };
    let [
        _,
        _,
        hatype_high,
        hatype_low,
        ..,
        protocol_high,
        protocol_low,
    ] = *header;
    cooked(
        u16::from_be_bytes([hatype_high, hatype_low]),
        u16::from_be_bytes([protocol_high, protocol_low]),
        rest,
    )
}

/// LINKTYPE_LINUX_SLL2: protocol (2), reserved (2), interface index (4), ARPHRD type (2),
/// packet type (1), address length (1), address (8).
fn linux_sll2(data: &[u8]) -> LinkPayload<'_> {
    let Some((header, rest)) = data.split_first_chunk::<SLL2_HEADER_LEN>() else {
        return LinkPayload::Undecodable(Undecodable::TruncatedLinkHeader);
    };
    let [
        protocol_high,
        protocol_low,
        _,
        _,
        _,
        _,
        _,
        _,
        hatype_high,
        hatype_low,
        ..,
    ] = *header;
    cooked(
        u16::from_be_bytes([hatype_high, hatype_low]),
        u16::from_be_bytes([protocol_high, protocol_low]),
        rest,
    )
}

/// The protocol field of both cooked headers is an EtherType except on netlink devices; values
/// below 0x0600 (802.2 LLC, raw 802.3, CAN ...) fall through to `NonIp` in `after_ethertype`.
fn cooked(hatype: u16, protocol: u16, rest: &[u8]) -> LinkPayload<'_> {
    if hatype == ARPHRD_NETLINK {
        return LinkPayload::NonIp;
    }
    after_ethertype(protocol, rest)
}

/// Byte order of the NULL/LOOP address family word.
#[derive(Clone, Copy)]
enum AddressFamilyOrder {
    /// LINKTYPE_NULL uses the writer's host order, which the file does not record.
    EitherOrder,
    NetworkOrder,
}

fn loopback(data: &[u8], order: AddressFamilyOrder) -> LinkPayload<'_> {
    let Some((&family_bytes, rest)) = data.split_first_chunk::<LOOPBACK_HEADER_LEN>() else {
        return LinkPayload::Undecodable(Undecodable::TruncatedLinkHeader);
    };
    let big_endian = u32::from_be_bytes(family_bytes);
    let family = match order {
        AddressFamilyOrder::NetworkOrder => big_endian,
        // Every known family is below 256, so a value that is small when read one way was
        // written that way; the two readings never both look valid.
        AddressFamilyOrder::EitherOrder => {
            let little_endian = u32::from_le_bytes(family_bytes);
            big_endian.min(little_endian)
        }
    };
    let announced = if family == AF_INET {
        AnnouncedVersion::V4
    } else if AF_INET6_VALUES.contains(&family) {
        AnnouncedVersion::V6
    } else {
        return LinkPayload::NonIp;
    };
    LinkPayload::Ip {
        announced,
        bytes: rest,
    }
}

/// Follows VLAN tags and MPLS labels from `ether_type` down to the IP header.
fn after_ethertype(mut ether_type: u16, mut rest: &[u8]) -> LinkPayload<'_> {
    for _ in 0..=MAX_STACKED_HEADERS {
        match ether_type {
            ETHERTYPE_IPV4 => {
                return LinkPayload::Ip {
                    announced: AnnouncedVersion::V4,
                    bytes: rest,
                };
            }
            ETHERTYPE_IPV6 => {
                return LinkPayload::Ip {
                    announced: AnnouncedVersion::V6,
                    bytes: rest,
                };
            }
            ETHERTYPE_VLAN | ETHERTYPE_QINQ | ETHERTYPE_QINQ_LEGACY => {
                let Some((tag, after_tag)) = rest.split_first_chunk::<VLAN_TAG_LEN>() else {
                    return LinkPayload::Undecodable(Undecodable::TruncatedLinkHeader);
                };
                let [_, _, type_high, type_low] = *tag;
                ether_type = u16::from_be_bytes([type_high, type_low]);
                rest = after_tag;
            }
            ETHERTYPE_MPLS_UNICAST | ETHERTYPE_MPLS_MULTICAST => return after_mpls_labels(rest),
            // ARP, LLDP ..., and values up to 1500, which are an IEEE 802.3 length field in
            // front of LLC rather than an EtherType.
            _ => return LinkPayload::NonIp,
        }
    }
    LinkPayload::Undecodable(Undecodable::TooManyLinkHeaders)
}

/// Pops MPLS label stack entries up to the one with the bottom-of-stack bit, then guesses the
/// payload from its first nibble, as routers and Wireshark do: MPLS itself does not say what it
/// carries (RFC 3032 section 2.2). A first nibble of 0 is a pseudowire control word (RFC 4385),
/// i.e. not IP.
fn after_mpls_labels(mut rest: &[u8]) -> LinkPayload<'_> {
    for _ in 0..MAX_STACKED_HEADERS {
        let Some((label, after_label)) = rest.split_first_chunk::<MPLS_LABEL_LEN>() else {
            return LinkPayload::Undecodable(Undecodable::TruncatedLinkHeader);
        };
        rest = after_label;
        let [_, _, traffic_class_and_bottom, _] = *label;
        if traffic_class_and_bottom & 0x01 != 0 {
            return match rest.first().map(|first| first >> 4) {
                Some(4 | 6) => LinkPayload::Ip {
                    announced: AnnouncedVersion::Either,
                    bytes: rest,
                },
                Some(_) => LinkPayload::NonIp,
                None => LinkPayload::Undecodable(Undecodable::TruncatedIpHeader),
            };
        }
    }
    LinkPayload::Undecodable(Undecodable::TooManyLinkHeaders)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(announced: AnnouncedVersion, bytes: &[u8]) -> LinkPayload<'_> {
        LinkPayload::Ip { announced, bytes }
    }

    const PAYLOAD_V4: [u8; 4] = [0x45, 0, 0, 20];
    const PAYLOAD_V6: [u8; 4] = [0x60, 0, 0, 0];

    fn ethernet_frame(ether_type: u16, tail: &[u8]) -> Vec<u8> {
        let mut frame = vec![0xaa; 12];
        frame.extend_from_slice(&ether_type.to_be_bytes());
        frame.extend_from_slice(tail);
        frame
    }

    #[test]
    fn ethernet_ipv4_and_ipv6() {
        let frame = ethernet_frame(0x0800, &PAYLOAD_V4);
        assert_eq!(
            strip_link_headers(LINKTYPE_ETHERNET, &frame),
            ip(AnnouncedVersion::V4, &PAYLOAD_V4)
        );
        let frame = ethernet_frame(0x86dd, &PAYLOAD_V6);
        assert_eq!(
            strip_link_headers(LINKTYPE_ETHERNET, &frame),
            ip(AnnouncedVersion::V6, &PAYLOAD_V6)
        );
    }

    #[test]
    fn ethernet_with_empty_ip_payload_still_hands_it_on() {
        let frame = ethernet_frame(0x0800, &[]);
        assert_eq!(
            strip_link_headers(LINKTYPE_ETHERNET, &frame),
            ip(AnnouncedVersion::V4, &[])
        );
    }

    #[test]
    fn ethernet_cut_in_its_header() {
        let frame = ethernet_frame(0x0800, &PAYLOAD_V4);
        for len in 0..ETHERNET_HEADER_LEN {
            assert_eq!(
                strip_link_headers(LINKTYPE_ETHERNET, &frame[..len]),
                LinkPayload::Undecodable(Undecodable::TruncatedLinkHeader),
                "len {len}"
            );
        }
    }

    #[test]
    fn ethernet_non_ip() {
        // ARP, LLDP, and an 802.3 length field.
        for ether_type in [0x0806, 0x88cc, 0x0100] {
            let frame = ethernet_frame(ether_type, &[0; 28]);
            assert_eq!(
                strip_link_headers(LINKTYPE_ETHERNET, &frame),
                LinkPayload::NonIp
            );
        }
    }

    #[test]
    fn qinq_and_legacy_tags_are_followed() {
        let mut tail = vec![0x00, 0x64, 0x91, 0x00]; // 802.1ad tag, next: legacy QinQ
        tail.extend_from_slice(&[0x00, 0xc8, 0x81, 0x00]); // next: 802.1Q
        tail.extend_from_slice(&[0x01, 0x2c, 0x86, 0xdd]); // next: IPv6
        tail.extend_from_slice(&PAYLOAD_V6);
        let frame = ethernet_frame(0x88a8, &tail);
        assert_eq!(
            strip_link_headers(LINKTYPE_ETHERNET, &frame),
            ip(AnnouncedVersion::V6, &PAYLOAD_V6)
        );
    }

    #[test]
    fn vlan_tag_cut_short() {
        let frame = ethernet_frame(0x8100, &[0x00, 0x64, 0x08]);
        assert_eq!(
            strip_link_headers(LINKTYPE_ETHERNET, &frame),
            LinkPayload::Undecodable(Undecodable::TruncatedLinkHeader)
        );
    }

    #[test]
    fn vlan_stack_depth_is_bounded() {
        let mut tail = Vec::new();
        for _ in 0..MAX_STACKED_HEADERS {
            tail.extend_from_slice(&[0x00, 0x01, 0x81, 0x00]);
        }
        let mut deepest_allowed = tail.clone();
        deepest_allowed.extend_from_slice(&[0x00, 0x01, 0x08, 0x00]);
        deepest_allowed.extend_from_slice(&PAYLOAD_V4);
        // The Ethernet header's EtherType announces the first of 8 tags; the 8th announces IPv4.
        let frame = ethernet_frame(0x8100, &deepest_allowed[4..]);
        assert_eq!(
            strip_link_headers(LINKTYPE_ETHERNET, &frame),
            ip(AnnouncedVersion::V4, &PAYLOAD_V4)
        );
        // 9 tags.
        let mut too_deep = tail;
        too_deep.extend_from_slice(&[0x00, 0x01, 0x81, 0x00]);
        too_deep.extend_from_slice(&PAYLOAD_V4);
        let frame = ethernet_frame(0x8100, &too_deep);
        assert_eq!(
            strip_link_headers(LINKTYPE_ETHERNET, &frame),
            LinkPayload::Undecodable(Undecodable::TooManyLinkHeaders)
        );
    }

    #[test]
    fn mpls_label_stack() {
        // Two labels, the second with bottom-of-stack, then IPv4.
        let mut tail = vec![0x00, 0x01, 0x40, 0x40, 0x00, 0x02, 0x01, 0x40];
        tail.extend_from_slice(&PAYLOAD_V4);
        let frame = ethernet_frame(0x8847, &tail);
        assert_eq!(
            strip_link_headers(LINKTYPE_ETHERNET, &frame),
            ip(AnnouncedVersion::Either, &PAYLOAD_V4)
        );
        // Multicast MPLS under a VLAN tag, carrying IPv6.
        let mut tail = vec![0x00, 0x0a, 0x88, 0x48, 0x00, 0x02, 0x01, 0x40];
        tail.extend_from_slice(&PAYLOAD_V6);
        let frame = ethernet_frame(0x8100, &tail);
        assert_eq!(
            strip_link_headers(LINKTYPE_ETHERNET, &frame),
            ip(AnnouncedVersion::Either, &PAYLOAD_V6)
        );
    }

    #[test]
    fn mpls_pseudowire_is_not_ip() {
        let tail = [0x00, 0x02, 0x01, 0x40, 0x00, 0x00, 0x00, 0x00, 0xaa, 0xbb];
        let frame = ethernet_frame(0x8847, &tail);
        assert_eq!(
            strip_link_headers(LINKTYPE_ETHERNET, &frame),
            LinkPayload::NonIp
        );
    }

    #[test]
    fn mpls_cut_or_endless() {
        let frame = ethernet_frame(0x8847, &[0x00, 0x02, 0x00]);
        assert_eq!(
            strip_link_headers(LINKTYPE_ETHERNET, &frame),
            LinkPayload::Undecodable(Undecodable::TruncatedLinkHeader)
        );
        let frame = ethernet_frame(0x8847, &[0x00, 0x02, 0x01, 0x40]);
        assert_eq!(
            strip_link_headers(LINKTYPE_ETHERNET, &frame),
            LinkPayload::Undecodable(Undecodable::TruncatedIpHeader)
        );
        let frame = ethernet_frame(0x8847, &[0x00, 0x02, 0x00, 0x40].repeat(20));
        assert_eq!(
            strip_link_headers(LINKTYPE_ETHERNET, &frame),
            LinkPayload::Undecodable(Undecodable::TooManyLinkHeaders)
        );
    }

    #[test]
    fn linux_sll_header() {
        let mut frame = vec![
            0x00, 0x00, // packet type: to us
            0x00, 0x01, // ARPHRD_ETHER
            0x00, 0x06, // address length
            1, 2, 3, 4, 5, 6, 0, 0, // address, padded to 8
            0x08, 0x00, // protocol
        ];
        frame.extend_from_slice(&PAYLOAD_V4);
        assert_eq!(
            strip_link_headers(LINKTYPE_LINUX_SLL, &frame),
            ip(AnnouncedVersion::V4, &PAYLOAD_V4)
        );
        assert_eq!(
            strip_link_headers(LINKTYPE_LINUX_SLL, &frame[..15]),
            LinkPayload::Undecodable(Undecodable::TruncatedLinkHeader)
        );
        frame[14..16].copy_from_slice(&[0x00, 0x04]); // ETH_P_802_2
        assert_eq!(
            strip_link_headers(LINKTYPE_LINUX_SLL, &frame),
            LinkPayload::NonIp
        );
        frame[2..4].copy_from_slice(&824u16.to_be_bytes());
        frame[14..16].copy_from_slice(&[0x08, 0x00]);
        assert_eq!(
            strip_link_headers(LINKTYPE_LINUX_SLL, &frame),
            LinkPayload::NonIp
        );
    }

    #[test]
    fn linux_sll2_header() {
        let mut frame = vec![
            0x86, 0xdd, // protocol
            0x00, 0x00, // reserved
            0x00, 0x00, 0x00, 0x02, // interface index
            0x00, 0x01, // ARPHRD_ETHER
            0x04, // packet type: outgoing
            0x06, // address length
            1, 2, 3, 4, 5, 6, 0, 0, // address
        ];
        frame.extend_from_slice(&PAYLOAD_V6);
        assert_eq!(
            strip_link_headers(LINKTYPE_LINUX_SLL2, &frame),
            ip(AnnouncedVersion::V6, &PAYLOAD_V6)
        );
        assert_eq!(
            strip_link_headers(LINKTYPE_LINUX_SLL2, &frame[..19]),
            LinkPayload::Undecodable(Undecodable::TruncatedLinkHeader)
        );
        frame[0..2].copy_from_slice(&[0x08, 0x06]); // ARP
        assert_eq!(
            strip_link_headers(LINKTYPE_LINUX_SLL2, &frame),
            LinkPayload::NonIp
        );
    }

    #[test]
    fn null_accepts_both_byte_orders() {
        for (family, announced) in [
            (2u32, AnnouncedVersion::V4),
            (10, AnnouncedVersion::V6),
            (24, AnnouncedVersion::V6),
            (28, AnnouncedVersion::V6),
            (30, AnnouncedVersion::V6),
        ] {
            for header in [family.to_le_bytes(), family.to_be_bytes()] {
                let mut frame = header.to_vec();
                frame.extend_from_slice(&PAYLOAD_V4);
                assert_eq!(
                    strip_link_headers(LINKTYPE_NULL, &frame),
                    ip(announced, &PAYLOAD_V4),
                    "family {family} header {header:?}"
                );
            }
        }
        // AF_IPX (23) and an impossible value are not IP.
        for header in [[23, 0, 0, 0], [0xff, 0xff, 0xff, 0xff]] {
            assert_eq!(
                strip_link_headers(LINKTYPE_NULL, &header),
                LinkPayload::NonIp
            );
        }
        assert_eq!(
            strip_link_headers(LINKTYPE_NULL, &[2, 0, 0]),
            LinkPayload::Undecodable(Undecodable::TruncatedLinkHeader)
        );
    }

    #[test]
    fn loop_is_network_order_only() {
        let frame = [0, 0, 0, 24, 0x60, 0, 0, 0];
        assert_eq!(
            strip_link_headers(LINKTYPE_LOOP, &frame),
            ip(AnnouncedVersion::V6, &frame[4..])
        );
        let frame = [2, 0, 0, 0, 0x45, 0, 0, 0];
        assert_eq!(
            strip_link_headers(LINKTYPE_LOOP, &frame),
            LinkPayload::NonIp
        );
    }

    #[test]
    fn raw_link_types() {
        for link_type in [LINKTYPE_RAW, LINKTYPE_RAW_BSD, LINKTYPE_RAW_OPENBSD] {
            assert_eq!(
                strip_link_headers(link_type, &PAYLOAD_V6),
                ip(AnnouncedVersion::Either, &PAYLOAD_V6)
            );
        }
        assert_eq!(
            strip_link_headers(LINKTYPE_IPV4, &PAYLOAD_V4),
            ip(AnnouncedVersion::V4, &PAYLOAD_V4)
        );
        assert_eq!(
            strip_link_headers(LINKTYPE_IPV6, &PAYLOAD_V6),
            ip(AnnouncedVersion::V6, &PAYLOAD_V6)
        );
    }

    #[test]
    fn unknown_link_type() {
        assert_eq!(strip_link_headers(105, &[0; 64]), LinkPayload::NonIp);
        assert_eq!(strip_link_headers(u32::MAX, &[]), LinkPayload::NonIp);
    }
}
