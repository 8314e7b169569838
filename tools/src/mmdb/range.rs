//! Range splitting: takes an inclusive address range and gives the fewest CIDR networks that
//! cover exactly that range, lowest first; the search tree holds only prefixes.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnetwork::{IpNetwork, Ipv4Network, Ipv6Network};

use super::Error;

/// The minimal CIDR networks covering `start..=end`, in address order.
///
/// # Errors
/// `start` and `end` of different families, or `end` before `start`.
pub fn range_to_networks(start: IpAddr, end: IpAddr) -> Result<Vec<IpNetwork>, Error> {
    let blocks = match (start, end) {
        (IpAddr::V4(first), IpAddr::V4(last)) if first <= last => {
            split(u128::from(first.to_bits()), u128::from(last.to_bits()), 32)
        }
        (IpAddr::V6(first), IpAddr::V6(last)) if first <= last => {
            split(first.to_bits(), last.to_bits(), 128)
        }
        (IpAddr::V4(_), IpAddr::V4(_)) | (IpAddr::V6(_), IpAddr::V6(_)) => {
            return Err(Error::ReversedRange(start, end));
        }
        _ => return Err(Error::MixedRange(start, end)),
    };
    // Each block is aligned and inside the family's width, so constructing the network cannot
    // fail; `filter_map` only satisfies the type.
    Ok(blocks
        .into_iter()
        .filter_map(|(base, prefix)| match start {
            IpAddr::V4(_) => Ipv4Network::new(Ipv4Addr::from_bits(base as u32), prefix)
                .ok()
                .map(IpNetwork::V4),
            IpAddr::V6(_) => Ipv6Network::new(Ipv6Addr::from_bits(base), prefix)
                .ok()
                .map(IpNetwork::V6),
        })
        .collect())
}

/// Splits `first..=last` of a `width`-bit space into (base, prefix length) blocks: at each
/// step the largest block that starts at `first` (aligned to its size) and ends by `last`.
fn split(mut first: u128, last: u128, width: u8) -> Vec<(u128, u8)> {
    let top = if width == 128 {
        u128::MAX
    } else {
        (1u128 << width) - 1
    };
    let mut blocks = Vec::new();
    loop {
        // The alignment of `first` bounds the block size; 0 is aligned to the whole space.
        let mut host_bits = first.trailing_zeros().min(u32::from(width));
        while host_bits > 0 && (first | low_mask(host_bits)) > last {
            host_bits -= 1;
        }
        let block_last = first | low_mask(host_bits);
        blocks.push((first, width - host_bits as u8));
        if block_last >= last || block_last == top {
            return blocks;
        }
        first = block_last + 1;
    }
}

/// A number with the low `bits` bits set (all 128 for 128).
fn low_mask(bits: u32) -> u128 {
    u128::MAX.checked_shr(128 - bits).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn networks(start: &str, end: &str) -> Vec<String> {
        range_to_networks(start.parse().unwrap(), end.parse().unwrap())
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn a_single_address_is_a_host_network() {
        assert_eq!(networks("192.0.2.7", "192.0.2.7"), ["192.0.2.7/32"]);
        assert_eq!(networks("2001:db8::1", "2001:db8::1"), ["2001:db8::1/128"]);
        assert_eq!(networks("0.0.0.0", "0.0.0.0"), ["0.0.0.0/32"]);
        assert_eq!(
            networks("255.255.255.255", "255.255.255.255"),
            ["255.255.255.255/32"]
        );
    }

    #[test]
    fn the_whole_space_is_one_network() {
        assert_eq!(networks("0.0.0.0", "255.255.255.255"), ["0.0.0.0/0"]);
        assert_eq!(
            networks("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
            ["::/0"]
        );
    }

    #[test]
    fn ranges_ending_at_the_top_of_the_space_stop_there() {
        assert_eq!(
            networks("255.255.255.254", "255.255.255.255"),
            ["255.255.255.254/31"]
        );
        assert_eq!(
            networks(
                "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe",
                "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
            ),
            ["ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127"]
        );
        assert_eq!(networks("128.0.0.1", "255.255.255.255").len(), 31);
    }

    #[test]
    fn ranges_crossing_byte_boundaries_split_minimally() {
        // From a real row: 1.0.128.0 - 1.0.196.255 (TOT, AS23969).
        assert_eq!(
            networks("1.0.128.0", "1.0.196.255"),
            ["1.0.128.0/18", "1.0.192.0/22", "1.0.196.0/24"]
        );
        assert_eq!(
            networks("10.0.0.255", "10.0.2.0"),
            ["10.0.0.255/32", "10.0.1.0/24", "10.0.2.0/32"]
        );
        assert_eq!(networks("0.0.0.1", "255.255.255.254").len(), 62);
        assert_eq!(
            networks("2001:200::", "2001:200:1b9:ffff:ffff:ffff:ffff:ffff"),
            [
                "2001:200::/40",
                "2001:200:100::/41",
                "2001:200:180::/43",
                "2001:200:1a0::/44",
                "2001:200:1b0::/45",
                "2001:200:1b8::/47"
            ]
        );
    }

    #[test]
    fn ipv4_written_in_the_ipv6_space_splits_at_ipv6_width() {
        // ::a.b.c.d is where an IPv6 database keeps IPv4; the prefix grows by 96.
        assert_eq!(networks("::1.2.3.0", "::1.2.3.255"), ["::102:300/120"]);
        assert_eq!(networks("::", "::255.255.255.255"), ["::/96"]);
    }

    #[test]
    fn reversed_and_mixed_ranges_are_errors() {
        let v4 = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(matches!(
            range_to_networks(v4("10.0.0.2"), v4("10.0.0.1")),
            Err(Error::ReversedRange(..))
        ));
        assert!(matches!(
            range_to_networks(v4("10.0.0.1"), v4("::1")),
            Err(Error::MixedRange(..))
        ));
    }

    #[test]
    fn splitting_covers_exactly_the_range() {
        // Pseudo-random ranges (xorshift, fixed seed): blocks are aligned, contiguous, and
        // no two neighbours could merge into one larger block.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..2_000 {
            let (a, b) = (next() as u32, next() as u32);
            let (first, last) = (a.min(b), a.max(b));
            let blocks = split(u128::from(first), u128::from(last), 32);
            let mut expect = u128::from(first);
            for (i, &(base, prefix)) in blocks.iter().enumerate() {
                assert_eq!(base, expect);
                let size = 1u128 << (32 - prefix);
                assert_eq!(base % size, 0, "aligned");
                expect = base + size;
                if let Some(&(next_base, next_prefix)) = blocks.get(i + 1) {
                    let mergeable = prefix == next_prefix && base % (size * 2) == 0;
                    assert!(
                        !mergeable,
                        "{base:x}/{prefix} and {next_base:x}/{next_prefix}"
                    );
                }
            }
            assert_eq!(expect, u128::from(last) + 1);
        }
    }
}
