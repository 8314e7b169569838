//! Bogon sources: takes one source address and gives the special-purpose class that says why it
//! cannot be a genuine source on the public Internet, or `None` for an ordinary address.
//!
//! The tables follow the IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890 and the
//! RFCs that updated them, e.g. RFC 8190), read through their "Globally Reachable" column: a
//! block that is not globally reachable is a bogon source. Blocks the registries mark globally
//! reachable (AMT, AS112, ORCHIDv2, the well-known NAT64 prefix, ...) are not bogons, and neither
//! are the routable transition ranges marked "N/A" there (6to4 2002::/16, Teredo 2001::/32, the
//! deprecated 6to4 relay anycast 192.88.99.0/24): they carry real traffic from real hosts.
//!
//! Two kinds of range outside those registries are added because no packet may carry them as a
//! source: multicast (RFC 1112, RFC 4291 section 2.7), and in IPv6 everything outside 2000::/3,
//! which the IANA IPv6 Address Space registry keeps "Reserved by IETF" (RFC 4291) apart from the
//! special blocks listed below.
//!
//! IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) are a bogon class of their own whatever IPv4
//! address they embed: RFC 4291 section 2.5.5.2 defines them for socket APIs, and in an IPv6
//! header they are a spoofing and filter-evasion trick (RFC 6890 marks them not globally
//! reachable). A caller that stores IPv4 sources in mapped form must turn them back into IPv4
//! with `IpAddr::to_canonical` before asking.
//!
//! The lookup is a longest-prefix match over small static tables, so a globally reachable
//! exception inside a special block (e.g. 2001:3::/32 AMT inside 2001::/23) is a row of its own
//! with no class and wins by being more specific. It allocates nothing.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::BitAnd;

use serde::Serialize;

/// Why an address cannot be a genuine source on the public Internet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BogonClass {
    /// 0.0.0.0/8: "this network", a source only while a host learns its own address.
    ThisNetwork,
    /// ::/128: the IPv6 unspecified address, the same role as 0.0.0.0.
    Unspecified,
    /// RFC 1918 private-use space.
    Private,
    /// 100.64.0.0/10: carrier-grade NAT space between an ISP and its customers.
    SharedCgnat,
    /// 127.0.0.0/8 and ::1.
    Loopback,
    /// 169.254.0.0/16 and fe80::/10: valid on one link only.
    LinkLocal,
    /// 192.0.0.0/24 and 2001::/23 apart from their globally reachable assignments, and the
    /// SRv6 SID block 5f00::/16.
    IetfProtocol,
    /// Documentation examples (RFC 5737, RFC 3849, RFC 9637).
    Documentation,
    /// Benchmarking labs (RFC 2544, RFC 5180).
    Benchmarking,
    /// 240.0.0.0/4, and IPv6 space outside 2000::/3 that IANA has not allocated.
    Reserved,
    /// 224.0.0.0/4 and ff00::/8: group addresses are destinations only.
    Multicast,
    /// 255.255.255.255.
    LimitedBroadcast,
    /// ::ffff:0:0/96, IPv4-mapped IPv6 addresses (see the module docs).
    Ipv4Mapped,
    /// 64:ff9b:1::/48, the NAT64 prefix for use inside one operator's network.
    Nat64LocalUse,
    /// 100::/64: a sink for unwanted traffic, never a source.
    DiscardOnly,
    /// fc00::/7 unique local addresses, the IPv6 counterpart of private-use space.
    UniqueLocal,
}

impl BogonClass {
    /// The name used in reports and JSON (the same as the serde name).
    pub fn as_str(self) -> &'static str {
        match self {
            BogonClass::ThisNetwork => "this_network",
            BogonClass::Unspecified => "unspecified",
            BogonClass::Private => "private",
            BogonClass::SharedCgnat => "shared_cgnat",
            BogonClass::Loopback => "loopback",
            BogonClass::LinkLocal => "link_local",
            BogonClass::IetfProtocol => "ietf_protocol",
            BogonClass::Documentation => "documentation",
            BogonClass::Benchmarking => "benchmarking",
            BogonClass::Reserved => "reserved",
            BogonClass::Multicast => "multicast",
            BogonClass::LimitedBroadcast => "limited_broadcast",
            BogonClass::Ipv4Mapped => "ipv4_mapped",
            BogonClass::Nat64LocalUse => "nat64_local_use",
            BogonClass::DiscardOnly => "discard_only",
            BogonClass::UniqueLocal => "unique_local",
        }
    }
}

/// The bogon class of `ip` as a source address, or `None` if it may be a genuine public source.
pub fn classify(ip: IpAddr) -> Option<BogonClass> {
    match ip {
        IpAddr::V4(v4) => longest_match(IPV4_BLOCKS, v4.to_bits()),
        IpAddr::V6(v6) => longest_match(IPV6_BLOCKS, v6.to_bits()),
    }
}

/// One row of a special-purpose table. `class: None` marks a globally reachable block carved out
/// of a larger special one.
struct Block<Bits> {
    network: Bits,
    mask: Bits,
    prefix_len: u8,
    class: Option<BogonClass>,
}

fn longest_match<Bits>(table: &[Block<Bits>], address: Bits) -> Option<BogonClass>
where
    Bits: Copy + Eq + BitAnd<Output = Bits>,
{
    table
        .iter()
        .filter(|block| address & block.mask == block.network)
        .max_by_key(|block| block.prefix_len)
        .and_then(|block| block.class)
}

// The constructors run at compile time: a prefix longer than the address or a network with host
// bits set fails the build instead of silently never matching.
const fn v4(octets: [u8; 4], prefix_len: u8, class: Option<BogonClass>) -> Block<u32> {
    let network = Ipv4Addr::new(octets[0], octets[1], octets[2], octets[3]).to_bits();
    let mask = if prefix_len == 0 {
        0
    } else {
        u32::MAX << (32 - prefix_len)
    };
    assert!(network & !mask == 0, "IPv4 block has host bits set");
    Block {
        network,
        mask,
        prefix_len,
        class,
    }
}

const fn v6(segments: [u16; 8], prefix_len: u8, class: Option<BogonClass>) -> Block<u128> {
    let [a, b, c, d, e, f, g, h] = segments;
    let network = Ipv6Addr::new(a, b, c, d, e, f, g, h).to_bits();
    let mask = if prefix_len == 0 {
        0
    } else {
        u128::MAX << (128 - prefix_len)
    };
    assert!(network & !mask == 0, "IPv6 block has host bits set");
    Block {
        network,
        mask,
        prefix_len,
        class,
    }
}

// The variant names alone keep the table rows short enough to read as a table.
use BogonClass::*;

/// IANA IPv4 Special-Purpose Address Registry, plus multicast. Globally reachable entries that
/// sit inside no other block (192.31.196.0/24 and 192.175.48.0/24 AS112, 192.52.193.0/24 AMT,
/// 192.88.99.0/24 deprecated 6to4 relay anycast) need no row.
const IPV4_BLOCKS: &[Block<u32>] = &[
    // RFC 791 section 3.2, RFC 1122 section 3.2.1.3: "this host on this network".
    v4([0, 0, 0, 0], 8, Some(ThisNetwork)),
    // RFC 1918.
    v4([10, 0, 0, 0], 8, Some(Private)),
    // RFC 6598.
    v4([100, 64, 0, 0], 10, Some(SharedCgnat)),
    // RFC 1122 section 3.2.1.3.
    v4([127, 0, 0, 0], 8, Some(Loopback)),
    // RFC 3927.
    v4([169, 254, 0, 0], 16, Some(LinkLocal)),
    // RFC 1918.
    v4([172, 16, 0, 0], 12, Some(Private)),
    // RFC 6890 section 2.1: IETF protocol assignments (DS-Lite RFC 7335, dummy RFC 7600,
    // NAT64 discovery RFC 7050/RFC 8880) ...
    v4([192, 0, 0, 0], 24, Some(IetfProtocol)),
    // ... except the globally reachable anycast addresses: PCP (RFC 7723) and TURN (RFC 8155).
    v4([192, 0, 0, 9], 32, None),
    v4([192, 0, 0, 10], 32, None),
    // RFC 5737 TEST-NET-1.
    v4([192, 0, 2, 0], 24, Some(Documentation)),
    // RFC 1918.
    v4([192, 168, 0, 0], 16, Some(Private)),
    // RFC 2544.
    v4([198, 18, 0, 0], 15, Some(Benchmarking)),
    // RFC 5737 TEST-NET-2.
    v4([198, 51, 100, 0], 24, Some(Documentation)),
    // RFC 5737 TEST-NET-3.
    v4([203, 0, 113, 0], 24, Some(Documentation)),
    // RFC 5771 multicast; RFC 1112: a host group address must never be a source.
    v4([224, 0, 0, 0], 4, Some(Multicast)),
    // RFC 1112 section 4: former class E, reserved.
    v4([240, 0, 0, 0], 4, Some(Reserved)),
    // RFC 919 section 7, RFC 8190.
    v4([255, 255, 255, 255], 32, Some(LimitedBroadcast)),
];

/// IANA IPv6 Special-Purpose Address Registry, plus multicast and the IANA IPv6 Address Space
/// registry's split between global unicast (2000::/3) and space reserved by the IETF.
const IPV6_BLOCKS: &[Block<u128>] = &[
    // RFC 4291 and the IANA IPv6 Address Space registry: only 2000::/3 is allocated for global
    // unicast; the rest is "Reserved by IETF" apart from the blocks below. This also covers the
    // deprecated IPv4-compatible ::/96 (RFC 4291 section 2.5.5.1) and site-local fec0::/10
    // (RFC 3879).
    v6([0, 0, 0, 0, 0, 0, 0, 0], 0, Some(Reserved)),
    v6([0x2000, 0, 0, 0, 0, 0, 0, 0], 3, None),
    // RFC 4291 section 2.5.2.
    v6([0, 0, 0, 0, 0, 0, 0, 0], 128, Some(Unspecified)),
    // RFC 4291 section 2.5.3.
    v6([0, 0, 0, 0, 0, 0, 0, 1], 128, Some(Loopback)),
    // RFC 4291 section 2.5.5.2 (see the module docs).
    v6([0, 0, 0, 0, 0, 0xffff, 0, 0], 96, Some(Ipv4Mapped)),
    // RFC 6052: the well-known NAT64 prefix is globally reachable.
    v6([0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96, None),
    // RFC 8215: the local-use NAT64 prefix is not.
    v6([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48, Some(Nat64LocalUse)),
    // RFC 6666.
    v6([0x100, 0, 0, 0, 0, 0, 0, 0], 64, Some(DiscardOnly)),
    // RFC 2928: IETF protocol assignments, including the deprecated ORCHID 2001:10::/28
    // (RFC 4843) ...
    v6([0x2001, 0, 0, 0, 0, 0, 0, 0], 23, Some(IetfProtocol)),
    // ... except Teredo (RFC 4380, RFC 8190: routable transition traffic) ...
    v6([0x2001, 0, 0, 0, 0, 0, 0, 0], 32, None),
    // ... and the globally reachable anycast addresses: PCP (RFC 7723), TURN (RFC 8155),
    // DNS-SD service registration (RFC 9665) ...
    v6([0x2001, 1, 0, 0, 0, 0, 0, 1], 128, None),
    v6([0x2001, 1, 0, 0, 0, 0, 0, 2], 128, None),
    v6([0x2001, 1, 0, 0, 0, 0, 0, 3], 128, None),
    // ... AMT (RFC 7450), AS112-v6 (RFC 7535), ORCHIDv2 (RFC 7343) and drone remote ID
    // entity tags (RFC 9374).
    v6([0x2001, 3, 0, 0, 0, 0, 0, 0], 32, None),
    v6([0x2001, 4, 0x112, 0, 0, 0, 0, 0], 48, None),
    v6([0x2001, 0x20, 0, 0, 0, 0, 0, 0], 28, None),
    v6([0x2001, 0x30, 0, 0, 0, 0, 0, 0], 28, None),
    // RFC 5180 (with erratum 1752: the prefix is /48).
    v6([0x2001, 2, 0, 0, 0, 0, 0, 0], 48, Some(Benchmarking)),
    // RFC 3849.
    v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32, Some(Documentation)),
    // 6to4 2002::/16 (RFC 3056) and AS112 2620:4f:8000::/48 (RFC 7534) are globally reachable
    // and already inside 2000::/3: no row.
    // RFC 9637.
    v6([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20, Some(Documentation)),
    // RFC 9602: SRv6 segment identifiers, not globally reachable.
    v6([0x5f00, 0, 0, 0, 0, 0, 0, 0], 16, Some(IetfProtocol)),
    // RFC 4193, RFC 8190.
    v6([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7, Some(UniqueLocal)),
    // RFC 4291 section 2.5.6.
    v6([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10, Some(LinkLocal)),
    // RFC 4291 section 2.7: multicast addresses must not be used as sources.
    v6([0xff00, 0, 0, 0, 0, 0, 0, 0], 8, Some(Multicast)),
];

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [BogonClass; 16] = [
        ThisNetwork,
        Unspecified,
        Private,
        SharedCgnat,
        Loopback,
        LinkLocal,
        IetfProtocol,
        Documentation,
        Benchmarking,
        Reserved,
        Multicast,
        LimitedBroadcast,
        Ipv4Mapped,
        Nat64LocalUse,
        DiscardOnly,
        UniqueLocal,
    ];

    fn class_of(address: &str) -> Option<BogonClass> {
        let ip: IpAddr = address.parse().expect("test address parses");
        classify(ip)
    }

    /// Checks each `(address, expected)` pair and reports every mismatch at once.
    fn check(cases: &[(&str, Option<BogonClass>)]) {
        let wrong: Vec<String> = cases
            .iter()
            .filter_map(|&(address, expected)| {
                let got = class_of(address);
                (got != expected).then(|| format!("{address}: expected {expected:?}, got {got:?}"))
            })
            .collect();
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn as_str_matches_the_serde_name() {
        for class in ALL {
            let json = serde_json::to_string(&class).unwrap();
            assert_eq!(json, format!("\"{}\"", class.as_str()));
        }
    }

    #[test]
    fn every_class_has_a_representative() {
        let representatives = [
            ("0.1.2.3", ThisNetwork),
            ("::", Unspecified),
            ("192.168.1.1", Private),
            ("100.100.100.100", SharedCgnat),
            ("127.0.0.1", Loopback),
            ("fe80::1", LinkLocal),
            ("192.0.0.8", IetfProtocol),
            ("2001:db8::1", Documentation),
            ("198.18.0.1", Benchmarking),
            ("240.0.0.1", Reserved),
            ("ff02::1", Multicast),
            ("255.255.255.255", LimitedBroadcast),
            ("::ffff:10.0.0.1", Ipv4Mapped),
            ("64:ff9b:1::1", Nat64LocalUse),
            ("100::1", DiscardOnly),
            ("fd12:3456:789a::1", UniqueLocal),
        ];
        for class in ALL {
            assert!(
                representatives.iter().any(|&(_, c)| c == class),
                "{class:?} has no representative"
            );
        }
        let cases: Vec<_> = representatives
            .iter()
            .map(|&(address, class)| (address, Some(class)))
            .collect();
        check(&cases);
    }

    #[test]
    fn public_addresses_are_not_bogons() {
        check(&[
            ("8.8.8.8", None),
            ("1.1.1.1", None),
            ("2001:4860:4860::8888", None),
            ("2606:4700:4700::1111", None),
            ("2a00:1450:4001:80b::200e", None),
        ]);
    }

    #[test]
    fn ipv4_boundaries() {
        check(&[
            ("0.0.0.0", Some(ThisNetwork)),
            ("0.255.255.255", Some(ThisNetwork)),
            ("1.0.0.0", None),
            ("9.255.255.255", None),
            ("10.0.0.0", Some(Private)),
            ("10.255.255.255", Some(Private)),
            ("11.0.0.0", None),
            ("100.63.255.255", None),
            ("100.64.0.0", Some(SharedCgnat)),
            ("100.127.255.255", Some(SharedCgnat)),
            ("100.128.0.0", None),
            ("126.255.255.255", None),
            ("127.0.0.0", Some(Loopback)),
            ("127.255.255.255", Some(Loopback)),
            ("128.0.0.0", None),
            ("169.253.255.255", None),
            ("169.254.0.0", Some(LinkLocal)),
            ("169.254.255.255", Some(LinkLocal)),
            ("169.255.0.0", None),
            ("172.15.255.255", None),
            ("172.16.0.0", Some(Private)),
            ("172.31.255.255", Some(Private)),
            ("172.32.0.0", None),
            ("191.255.255.255", None),
            ("192.0.0.0", Some(IetfProtocol)),
            ("192.0.0.255", Some(IetfProtocol)),
            ("192.0.1.0", None),
            ("192.0.1.255", None),
            ("192.0.2.0", Some(Documentation)),
            ("192.0.2.255", Some(Documentation)),
            ("192.0.3.0", None),
            ("192.167.255.255", None),
            ("192.168.0.0", Some(Private)),
            ("192.168.255.255", Some(Private)),
            ("192.169.0.0", None),
            ("198.17.255.255", None),
            ("198.18.0.0", Some(Benchmarking)),
            ("198.19.255.255", Some(Benchmarking)),
            ("198.20.0.0", None),
            ("198.51.99.255", None),
            ("198.51.100.0", Some(Documentation)),
            ("198.51.100.255", Some(Documentation)),
            ("198.51.101.0", None),
            ("203.0.112.255", None),
            ("203.0.113.0", Some(Documentation)),
            ("203.0.113.255", Some(Documentation)),
            ("203.0.114.0", None),
            ("223.255.255.255", None),
            ("224.0.0.0", Some(Multicast)),
            ("239.255.255.255", Some(Multicast)),
            ("240.0.0.0", Some(Reserved)),
            ("255.255.255.254", Some(Reserved)),
            ("255.255.255.255", Some(LimitedBroadcast)),
        ]);
    }

    #[test]
    fn ipv4_globally_reachable_special_blocks_are_not_bogons() {
        check(&[
            // PCP and TURN anycast inside 192.0.0.0/24, and their neighbours.
            ("192.0.0.8", Some(IetfProtocol)),
            ("192.0.0.9", None),
            ("192.0.0.10", None),
            ("192.0.0.11", Some(IetfProtocol)),
            // AS112, AMT, deprecated 6to4 relay anycast.
            ("192.31.196.1", None),
            ("192.175.48.1", None),
            ("192.52.193.1", None),
            ("192.88.99.1", None),
        ]);
    }

    #[test]
    fn ipv6_boundaries() {
        check(&[
            ("::", Some(Unspecified)),
            ("::1", Some(Loopback)),
            ("::2", Some(Reserved)),
            ("::fffe:ffff:ffff", Some(Reserved)),
            ("::ffff:0.0.0.0", Some(Ipv4Mapped)),
            ("::ffff:255.255.255.255", Some(Ipv4Mapped)),
            ("::1:0:0:0", Some(Reserved)),
            ("64:ff9b::", None),
            ("64:ff9b::ffff:ffff", None),
            ("64:ff9b::1:0:0:0", Some(Reserved)),
            ("64:ff9b:0:ffff:ffff:ffff:ffff:ffff", Some(Reserved)),
            ("64:ff9b:1::", Some(Nat64LocalUse)),
            ("64:ff9b:1:ffff:ffff:ffff:ffff:ffff", Some(Nat64LocalUse)),
            ("64:ff9b:2::", Some(Reserved)),
            ("100::", Some(DiscardOnly)),
            ("100::ffff:ffff:ffff:ffff", Some(DiscardOnly)),
            ("100:0:0:1::", Some(Reserved)),
            ("1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Some(Reserved)),
            ("2000::", None),
            ("2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", None),
            ("2001:db8::", Some(Documentation)),
            (
                "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
                Some(Documentation),
            ),
            ("2001:db9::", None),
            ("3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff", None),
            ("3fff::", Some(Documentation)),
            (
                "3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff",
                Some(Documentation),
            ),
            ("3fff:1000::", None),
            ("3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", None),
            ("4000::", Some(Reserved)),
            ("5eff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Some(Reserved)),
            ("5f00::", Some(IetfProtocol)),
            (
                "5f00:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                Some(IetfProtocol),
            ),
            ("5f01::", Some(Reserved)),
            ("fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Some(Reserved)),
            ("fc00::", Some(UniqueLocal)),
            ("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Some(UniqueLocal)),
            ("fe00::", Some(Reserved)),
            ("fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Some(Reserved)),
            ("fe80::", Some(LinkLocal)),
            ("febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Some(LinkLocal)),
            ("fec0::", Some(Reserved)),
            ("feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Some(Reserved)),
            ("ff00::", Some(Multicast)),
            ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Some(Multicast)),
        ]);
    }

    #[test]
    fn ipv6_ietf_protocol_block_and_its_globally_reachable_exceptions() {
        check(&[
            ("1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Some(Reserved)),
            // Teredo.
            ("2001::", None),
            ("2001:0:ffff:ffff:ffff:ffff:ffff:ffff", None),
            ("2001:1::", Some(IetfProtocol)),
            ("2001:1::1", None),
            ("2001:1::2", None),
            ("2001:1::3", None),
            ("2001:1::4", Some(IetfProtocol)),
            ("2001:2::", Some(Benchmarking)),
            ("2001:2:0:ffff:ffff:ffff:ffff:ffff", Some(Benchmarking)),
            ("2001:2:1::", Some(IetfProtocol)),
            ("2001:2:ffff:ffff:ffff:ffff:ffff:ffff", Some(IetfProtocol)),
            // AMT.
            ("2001:3::", None),
            ("2001:3:ffff:ffff:ffff:ffff:ffff:ffff", None),
            ("2001:4::", Some(IetfProtocol)),
            // AS112-v6.
            ("2001:4:111:ffff:ffff:ffff:ffff:ffff", Some(IetfProtocol)),
            ("2001:4:112::", None),
            ("2001:4:112:ffff:ffff:ffff:ffff:ffff", None),
            ("2001:4:113::", Some(IetfProtocol)),
            // Deprecated ORCHID, then ORCHIDv2 and drone remote ID tags.
            ("2001:10::1", Some(IetfProtocol)),
            ("2001:1f:ffff:ffff:ffff:ffff:ffff:ffff", Some(IetfProtocol)),
            ("2001:20::", None),
            ("2001:2f:ffff:ffff:ffff:ffff:ffff:ffff", None),
            ("2001:30::", None),
            ("2001:3f:ffff:ffff:ffff:ffff:ffff:ffff", None),
            ("2001:40::", Some(IetfProtocol)),
            ("2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff", Some(IetfProtocol)),
            // The first global unicast allocation after the /23.
            ("2001:200::", None),
        ]);
    }

    #[test]
    fn transition_ranges_are_not_bogons() {
        check(&[
            // 6to4, Teredo and the well-known NAT64 prefix carry traffic from real hosts.
            ("2002:c000:0204::1", None),
            ("2001:0:4136:e378:8000:63bf:3fff:fdd2", None),
            ("64:ff9b::8.8.8.8", None),
        ]);
    }

    #[test]
    fn ipv4_mapped_is_a_bogon_whatever_it_embeds() {
        check(&[
            ("::ffff:8.8.8.8", Some(Ipv4Mapped)),
            ("::ffff:127.0.0.1", Some(Ipv4Mapped)),
        ]);
        // The documented way for a caller holding mapped IPv4 to ask about the IPv4 address.
        let mapped: IpAddr = "::ffff:8.8.8.8".parse().unwrap();
        assert_eq!(classify(mapped.to_canonical()), None);
    }
}
