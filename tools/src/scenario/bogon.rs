//! Special-purpose address blocks: takes a source address and gives the class of block that
//! makes it impossible as a genuine Internet source, or `None`.
//!
//! The generator keeps its own table, written from the IANA IPv4 and IPv6 Special-Purpose
//! Address Registries (RFC 6890 and its updates), not copied from whence: the truth files must
//! come from an independent reading, or a mistake in whence's table would be "confirmed" by its
//! own copy. Blocks the registries mark globally reachable (AS112, AMT, PCP and TURN anycast)
//! and the deprecated 6to4 relay anycast 192.88.99.0/24 are not bogons. The class names are
//! those of the report contract's `sources.bogons.classes`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// (network, prefix length, class); `None` marks a globally reachable hole in a larger block.
const IPV4: &[(Ipv4Addr, u8, Option<&str>)] = &[
    (Ipv4Addr::new(0, 0, 0, 0), 8, Some("this_network")),
    (Ipv4Addr::new(10, 0, 0, 0), 8, Some("private")),
    (Ipv4Addr::new(100, 64, 0, 0), 10, Some("shared_cgnat")),
    (Ipv4Addr::new(127, 0, 0, 0), 8, Some("loopback")),
    (Ipv4Addr::new(169, 254, 0, 0), 16, Some("link_local")),
    (Ipv4Addr::new(172, 16, 0, 0), 12, Some("private")),
    (Ipv4Addr::new(192, 0, 0, 0), 24, Some("ietf_protocol")),
    // PCP anycast (RFC 7723) and TURN anycast (RFC 8155) are globally reachable.
    (Ipv4Addr::new(192, 0, 0, 9), 32, None),
    (Ipv4Addr::new(192, 0, 0, 10), 32, None),
    (Ipv4Addr::new(192, 0, 2, 0), 24, Some("documentation")),
    (Ipv4Addr::new(192, 168, 0, 0), 16, Some("private")),
    (Ipv4Addr::new(198, 18, 0, 0), 15, Some("benchmarking")),
    (Ipv4Addr::new(198, 51, 100, 0), 24, Some("documentation")),
    (Ipv4Addr::new(203, 0, 113, 0), 24, Some("documentation")),
    (Ipv4Addr::new(224, 0, 0, 0), 4, Some("multicast")),
    (Ipv4Addr::new(240, 0, 0, 0), 4, Some("reserved")),
    (
        Ipv4Addr::new(255, 255, 255, 255),
        32,
        Some("limited_broadcast"),
    ),
];

/// The IPv6 blocks a drawn source could fall in: sources are drawn inside 2000::/3, so the
/// space outside it (all reserved, multicast, link-local, unique-local) only needs one row each
/// for completeness.
const IPV6: &[(Ipv6Addr, u8, Option<&str>)] = &[
    (Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0, 0), 3, Some("reserved")),
    (
        Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0, 0),
        96,
        Some("ipv4_mapped"),
    ),
    (Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0, 1), 128, Some("loopback")),
    (
        Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0, 0),
        128,
        Some("unspecified"),
    ),
    // The well-known NAT64 prefix is globally reachable; the local-use one is not.
    (Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0), 96, None),
    (
        Ipv6Addr::new(0x64, 0xff9b, 1, 0, 0, 0, 0, 0),
        48,
        Some("nat64_local_use"),
    ),
    (
        Ipv6Addr::new(0x100, 0, 0, 0, 0, 0, 0, 0),
        64,
        Some("discard_only"),
    ),
    (
        Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0),
        23,
        Some("ietf_protocol"),
    ),
    // Globally reachable assignments inside 2001::/23: Teredo, AMT, AS112-v6, ORCHIDv2.
    (Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 32, None),
    (
        Ipv6Addr::new(0x2001, 2, 0, 0, 0, 0, 0, 0),
        48,
        Some("benchmarking"),
    ),
    (Ipv6Addr::new(0x2001, 3, 0, 0, 0, 0, 0, 0), 32, None),
    (Ipv6Addr::new(0x2001, 4, 0x112, 0, 0, 0, 0, 0), 48, None),
    (Ipv6Addr::new(0x2001, 0x20, 0, 0, 0, 0, 0, 0), 28, None),
    (Ipv6Addr::new(0x2001, 0x30, 0, 0, 0, 0, 0, 0), 28, None),
    (
        Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0),
        32,
        Some("documentation"),
    ),
    (
        Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0),
        20,
        Some("documentation"),
    ),
    (
        Ipv6Addr::new(0x4000, 0, 0, 0, 0, 0, 0, 0),
        2,
        Some("reserved"),
    ),
    (
        Ipv6Addr::new(0x5f00, 0, 0, 0, 0, 0, 0, 0),
        16,
        Some("ietf_protocol"),
    ),
    (
        Ipv6Addr::new(0x8000, 0, 0, 0, 0, 0, 0, 0),
        1,
        Some("reserved"),
    ),
    (
        Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0),
        7,
        Some("unique_local"),
    ),
    (
        Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0),
        10,
        Some("link_local"),
    ),
    (
        Ipv6Addr::new(0xff00, 0, 0, 0, 0, 0, 0, 0),
        8,
        Some("multicast"),
    ),
];

/// The bogon class of `address` as a source, or `None` for an address that may be genuine.
pub fn classify(address: IpAddr) -> Option<&'static str> {
    match address {
        IpAddr::V4(v4) => longest(
            IPV4.iter()
                .map(|&(network, len, class)| (u128::from(network.to_bits()), len, class)),
            u128::from(v4.to_bits()),
            32,
        ),
        IpAddr::V6(v6) => longest(
            IPV6.iter()
                .map(|&(network, len, class)| (network.to_bits(), len, class)),
            v6.to_bits(),
            128,
        ),
    }
}

fn longest(
    blocks: impl Iterator<Item = (u128, u8, Option<&'static str>)>,
    address: u128,
    width: u8,
) -> Option<&'static str> {
    blocks
        .filter(|&(network, len, _)| {
            let shift = u32::from(width - len);
            len == 0 || (address >> shift) == (network >> shift)
        })
        .max_by_key(|&(_, len, _)| len)
        .and_then(|(_, _, class)| class)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(text: &str) -> Option<&'static str> {
        classify(text.parse().unwrap())
    }

    #[test]
    fn special_blocks_have_their_class_and_holes_have_none() {
        assert_eq!(class("10.1.2.3"), Some("private"));
        assert_eq!(class("172.31.255.255"), Some("private"));
        assert_eq!(class("172.32.0.0"), None);
        assert_eq!(class("100.127.0.1"), Some("shared_cgnat"));
        assert_eq!(class("192.0.0.9"), None);
        assert_eq!(class("192.0.0.11"), Some("ietf_protocol"));
        assert_eq!(class("192.88.99.1"), None);
        assert_eq!(class("198.19.255.1"), Some("benchmarking"));
        assert_eq!(class("239.1.1.1"), Some("multicast"));
        assert_eq!(class("250.0.0.1"), Some("reserved"));
        assert_eq!(class("255.255.255.255"), Some("limited_broadcast"));
        assert_eq!(class("8.8.8.8"), None);
        assert_eq!(class("2001:db8::1"), Some("documentation"));
        assert_eq!(class("2001::1"), None);
        assert_eq!(class("2001:2::1"), Some("benchmarking"));
        assert_eq!(class("2001:5::1"), Some("ietf_protocol"));
        assert_eq!(class("2a00:1450::1"), None);
        assert_eq!(class("::ffff:1.2.3.4"), Some("ipv4_mapped"));
        assert_eq!(class("fe80::1"), Some("link_local"));
    }
}
