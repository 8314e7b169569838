//! Source diversity: takes per-source packet counts, per-country source counts and source
//! addresses, and gives the statistics of the report's `sources` section that say how spread
//! out an attack is: Shannon entropy (raw and normalised), Gini coefficient, top-10 share,
//! single-packet share, packets-per-source percentiles, country entropy, effective number of
//! countries, Herfindahl-Hirschman index and the number of distinct /24 and /48 prefixes.
//!
//! Why these matter to attribution: traffic from a handful of busy sources can be traced to
//! them; traffic spread evenly over a million sources (a large botnet, or forged random
//! addresses) says little about any one of them, and a "country" share then reflects where
//! the bots or the random number generator happen to land, not who is behind the attack.
//!
//! Every function is pure and at most O(n log n): ten million sources take about 0.2 s in a
//! release build (`source_distribution` allocates nothing; `unique_prefixes` a 2 MiB bitmap
//! and one vector of IPv6 prefixes). Empty inputs give `None`, never a division by zero.

use std::net::IpAddr;

use serde::Serialize;

/// How traffic is spread over the sources, weighted by packets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceDistribution {
    /// Shannon entropy of the sources' packet shares, in bits: `H = -sum p_i log2 p_i`.
    pub entropy_bits: f64,
    /// `H / log2(n)` in [0, 1]: 1 when every source sent as many packets as every other, near 0
    /// when one source sent nearly everything. Defined as 0 for a single source (there is no
    /// spread to measure and the traffic is as concentrated as it can be).
    pub entropy_normalized: f64,
    /// Gini coefficient of packets per source, in [0, (n-1)/n]: 0 when all sources are equal.
    pub gini_packets: f64,
    /// Share of all packets sent by the 10 busiest sources (all of them when there are fewer).
    pub top_share_10: f64,
    /// Share of sources (not packets) that sent exactly one packet.
    pub single_packet_share: f64,
    pub packets_per_source: Percentiles,
}

/// Packets per source. Quantiles interpolate linearly between the two nearest ranks
/// (Hyndman and Fan 1996, definition 7; the default of R's `quantile` and NumPy's
/// `percentile`): for `n` sorted values `x[0..n]` and fraction `q`, with `h = (n - 1) q`,
/// the quantile is `x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h])`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Percentiles {
    pub median: f64,
    pub p90: f64,
    pub max: u64,
}

/// How concentrated the sources are over countries, weighted by sources.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CountryConcentration {
    /// Shannon entropy of the countries' source shares, in bits.
    pub country_entropy_bits: f64,
    /// `2^H` (Hill number of order 1): the number of equally large countries that would give
    /// the same entropy; between 1 and the number of countries with any source.
    pub effective_countries: f64,
    /// Herfindahl-Hirschman index `sum s_i^2` with shares `s_i` as fractions, so it lies in
    /// [1/k, 1] for `k` countries. Competition authorities quote it on a 0..10000 scale (shares
    /// in percent); divide theirs by 10000 to compare.
    pub country_hhi: f64,
}

/// The statistics of how packets are spread over sources; `None` when there are no sources
/// or they sent no packets at all.
///
/// `packets_per_source` holds one count per source, in any order; it is sorted in place
/// (ascending), which the Gini coefficient, the percentiles and the top-10 share all need.
/// Entries of 0 count as sources that sent nothing.
pub fn source_distribution(packets_per_source: &mut [u64]) -> Option<SourceDistribution> {
    let counts = packets_per_source;
    // Sorting is the only super-linear step: O(n log n), about 0.2 s for 10^7 counts (release).
    counts.sort_unstable();
    let sources = counts.len();
    // u128 sums cannot overflow: at most 2^64 sources (usize) of at most 2^64 - 1 packets.
    let total: u128 = counts.iter().map(|&c| u128::from(c)).sum();
    if sources == 0 || total == 0 {
        return None;
    }
    let total_f = total as f64;

    // Entropy, summed once per run of equal counts: after the sort, runs are contiguous, and
    // in an attack most sources share a few small counts (1, 2, 3 packets), so this calls
    // log2 a few thousand times rather than ten million.
    let mut entropy_bits = 0.0;
    for run in counts.chunk_by(|a, b| a == b) {
        let count = run.first().copied().unwrap_or(0);
        if count > 0 {
            let p = count as f64 / total_f;
            entropy_bits -= run.len() as f64 * p * p.log2();
        }
    }
    let entropy_bits = entropy_bits.max(0.0);
    let entropy_normalized = if sources > 1 {
        (entropy_bits / (sources as f64).log2()).clamp(0.0, 1.0)
    } else {
        0.0
    };

    let single_packet_sources = counts.iter().filter(|&&c| c == 1).count();
    let top_10: u128 = counts.iter().rev().take(10).map(|&c| u128::from(c)).sum();

    Some(SourceDistribution {
        entropy_bits,
        entropy_normalized,
        gini_packets: gini_of_sorted(counts, total),
        top_share_10: (top_10 as f64 / total_f).clamp(0.0, 1.0),
        single_packet_share: single_packet_sources as f64 / sources as f64,
        packets_per_source: Percentiles {
            median: quantile_of_sorted(counts, 0.5),
            p90: quantile_of_sorted(counts, 0.9),
            max: counts.last().copied().unwrap_or(0),
        },
    })
}

/// Gini coefficient of ascending `sorted` values with sum `total > 0`, population form:
/// `G = (2 sum_i i x_(i)) / (n sum x) - (n + 1) / n` with ranks `i = 1..n` (the mean absolute
/// difference over twice the mean; Gini 1912, in the rank form of e.g. Damgaard and Weiner
/// 2000). The numerator `2 sum i x_(i) - (n + 1) sum x` is computed exactly in integers, so
/// equal counts give exactly 0 and only the final division rounds. No small-sample correction
/// n/(n-1): the sources seen are the whole population being described, not a sample.
fn gini_of_sorted(sorted: &[u64], total: u128) -> f64 {
    exact_gini_of_sorted(sorted, total).unwrap_or_else(|| float_gini_of_sorted(sorted, total))
}

/// The integer form; `None` only if a sum overflows u128, which needs billions of sources
/// with counts near 2^64 (far beyond any capture that fits in memory).
fn exact_gini_of_sorted(sorted: &[u64], total: u128) -> Option<f64> {
    let n = sorted.len() as u128;
    let mut weighted: u128 = 0;
    for (&x, rank) in sorted.iter().zip(1u128..) {
        weighted = weighted.checked_add(rank.checked_mul(u128::from(x))?)?;
    }
    // For ascending values the numerator is never negative; saturate rather than trust that.
    let numerator = weighted
        .checked_mul(2)?
        .saturating_sub((n + 1).checked_mul(total)?);
    let denominator = n.checked_mul(total)?;
    if denominator == 0 {
        return Some(0.0);
    }
    Some((numerator as f64 / denominator as f64).clamp(0.0, 1.0))
}

/// The same formula in floating point, as `sum_i (2i - n - 1) x_(i) / (n sum x)`.
fn float_gini_of_sorted(sorted: &[u64], total: u128) -> f64 {
    let n = sorted.len() as f64;
    let numerator: f64 = sorted
        .iter()
        .zip(1u64..)
        .map(|(&x, rank)| (2.0 * rank as f64 - n - 1.0) * x as f64)
        .sum();
    let denominator = n * total as f64;
    if denominator > 0.0 {
        (numerator / denominator).clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// Linear-interpolation quantile (Hyndman and Fan definition 7) of ascending `sorted` values;
/// 0 for an empty slice.
fn quantile_of_sorted(sorted: &[u64], q: f64) -> f64 {
    let Some(last) = sorted.len().checked_sub(1) else {
        return 0.0;
    };
    let h = last as f64 * q.clamp(0.0, 1.0);
    let lower = h.floor() as usize;
    let below = sorted.get(lower).copied().unwrap_or(0) as f64;
    let above = sorted.get(lower + 1).copied().map_or(below, |x| x as f64);
    below + (h - lower as f64) * (above - below)
}

/// Entropy, effective number and HHI of sources over countries; `None` when no country has a
/// source. `sources_per_country` holds one count per country in any order; zeros are ignored
/// (a country with no source is not one of the `k` countries). Whether the "unknown" country
/// (`ZZ`) is passed is the caller's choice: passed, it counts as one more country.
pub fn country_concentration(sources_per_country: &[u64]) -> Option<CountryConcentration> {
    let total: u128 = sources_per_country.iter().map(|&c| u128::from(c)).sum();
    if total == 0 {
        return None;
    }
    let total_f = total as f64;
    let countries = sources_per_country.iter().filter(|&&c| c > 0).count();
    let mut entropy_bits = 0.0;
    let mut hhi = 0.0;
    for &count in sources_per_country.iter().filter(|&&c| c > 0) {
        let share = count as f64 / total_f;
        entropy_bits -= share * share.log2();
        hhi += share * share;
    }
    // Rounding can push 2^H a hair above k (all countries equal) or the HHI a hair below 1/k;
    // clamp so the documented bounds hold exactly.
    let countries_f = countries as f64;
    let entropy_bits = entropy_bits.clamp(0.0, countries_f.log2());
    Some(CountryConcentration {
        country_entropy_bits: entropy_bits,
        effective_countries: entropy_bits.exp2().clamp(1.0, countries_f),
        country_hhi: hhi.clamp(1.0 / countries_f, 1.0),
    })
}

/// The number of distinct /24 prefixes among IPv4 addresses plus distinct /48 prefixes among
/// IPv6 addresses: a count of networks rather than hosts, which a botnet behind a few ISPs'
/// address pools or a spoofer varying only the last octet cannot inflate as easily as the
/// count of addresses. /24 is the longest IPv4 prefix generally accepted in BGP and /48 the
/// usual IPv6 site assignment (RFC 6177), so each is roughly "one routed site".
///
/// IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) are counted as IPv6, as they arrived: callers
/// that store IPv4 sources in mapped form should apply `IpAddr::to_canonical` first.
///
/// IPv4 prefixes go into a 2 MiB bitmap of all 2^24 /24s (O(1) per address, allocated only
/// when an IPv4 address appears); IPv6 prefixes are sorted and deduplicated (O(m log m)).
pub fn unique_prefixes(addresses: impl Iterator<Item = IpAddr>) -> u64 {
    const SLASH24_WORDS: usize = (1 << 24) / 64;
    let mut slash24_seen: Vec<u64> = Vec::new();
    let mut slash48s: Vec<u64> = Vec::new();
    for address in addresses {
        match address {
            IpAddr::V4(v4) => {
                if slash24_seen.is_empty() {
                    slash24_seen = vec![0; SLASH24_WORDS];
                }
                let prefix = (u32::from(v4) >> 8) as usize;
                if let Some(word) = slash24_seen.get_mut(prefix / 64) {
                    *word |= 1 << (prefix % 64);
                }
            }
            IpAddr::V6(v6) => slash48s.push((u128::from(v6) >> 80) as u64),
        }
    }
    slash48s.sort_unstable();
    slash48s.dedup();
    let slash24s: u64 = slash24_seen.iter().map(|w| u64::from(w.count_ones())).sum();
    slash24s + slash48s.len() as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    const EPS: f64 = 1e-12;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= EPS * (1.0 + a.abs().max(b.abs()))
    }

    /// xorshift64* (Vigna 2016): enough randomness for property tests, no dependency.
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n.max(1)
        }

        /// Heavy-tailed: uniform below 2^k for k uniform below `max_bits`.
        fn heavy(&mut self, max_bits: u64) -> u64 {
            let bits = self.below(max_bits);
            self.below(1 << bits)
        }
    }

    #[test]
    fn no_sources_or_no_packets_give_none() {
        assert_eq!(source_distribution(&mut []), None);
        assert_eq!(source_distribution(&mut [0, 0, 0]), None);
        assert_eq!(country_concentration(&[]), None);
        assert_eq!(country_concentration(&[0, 0]), None);
    }

    #[test]
    fn hand_computed_four_sources() {
        // Counts 1, 1, 2, 4; total 8, so shares 1/8, 1/8, 1/4, 1/2.
        // H = 2 (1/8 * 3) + 1/4 * 2 + 1/2 * 1 = 0.75 + 0.5 + 0.5 = 1.75 bits.
        // Normalised: 1.75 / log2 4 = 0.875.
        // Gini (ascending, ranks 1..4): sum i x_i = 1 + 2 + 6 + 16 = 25;
        //   G = 2 * 25 / (4 * 8) - 5/4 = 1.5625 - 1.25 = 0.3125.
        //   Check by mean absolute difference: pairs |xi - xj| over all ordered pairs =
        //   2 * (0 + 1 + 3 + 1 + 3 + 2) = 20; G = 20 / (2 * 4^2 * 2) = 20 / 64 = 0.3125.
        // Top 10 = everything: 1. Single-packet sources: 2 of 4 = 0.5.
        // Median: h = 3 * 0.5 = 1.5 -> x[1] + 0.5 (x[2] - x[1]) = 1 + 0.5 = 1.5.
        // p90: h = 3 * 0.9 = 2.7 -> x[2] + 0.7 (x[3] - x[2]) = 2 + 1.4 = 3.4.
        let mut counts = [4, 1, 2, 1];
        let d = source_distribution(&mut counts).unwrap();
        assert!(close(d.entropy_bits, 1.75), "{d:?}");
        assert!(close(d.entropy_normalized, 0.875), "{d:?}");
        assert!(close(d.gini_packets, 0.3125), "{d:?}");
        assert!(close(d.top_share_10, 1.0));
        assert!(close(d.single_packet_share, 0.5));
        assert!(close(d.packets_per_source.median, 1.5));
        assert!(close(d.packets_per_source.p90, 3.4));
        assert_eq!(d.packets_per_source.max, 4);
        assert_eq!(counts, [1, 1, 2, 4], "sorted in place");
    }

    #[test]
    fn top_share_counts_only_the_ten_busiest() {
        // 10 sources with 10 packets and 90 with 1: total 190, top ten 100 -> 100/190.
        // Single-packet share: 90/100. Median of 90 ones then 10 tens: h = 99*0.5 = 49.5 -> 1.
        // p90: h = 89.1 -> x[89] + 0.1 (x[90] - x[89]) = 1 + 0.1 * 9 = 1.9.
        let mut counts: Vec<u64> = (0..100).map(|i| if i % 10 == 0 { 10 } else { 1 }).collect();
        let d = source_distribution(&mut counts).unwrap();
        assert!(close(d.top_share_10, 100.0 / 190.0));
        assert!(close(d.single_packet_share, 0.9));
        assert!(close(d.packets_per_source.median, 1.0));
        assert!(close(d.packets_per_source.p90, 1.9));
    }

    #[test]
    fn one_source() {
        let d = source_distribution(&mut [42]).unwrap();
        assert_eq!(d.entropy_bits, 0.0);
        assert_eq!(d.entropy_normalized, 0.0, "defined as fully concentrated");
        assert_eq!(d.gini_packets, 0.0);
        assert_eq!(d.top_share_10, 1.0);
        assert_eq!(d.single_packet_share, 0.0);
        assert_eq!(
            d.packets_per_source,
            Percentiles {
                median: 42.0,
                p90: 42.0,
                max: 42
            }
        );
        assert_eq!(
            source_distribution(&mut [1]).unwrap().single_packet_share,
            1.0
        );
    }

    #[test]
    fn all_equal_sources() {
        // 1000 sources with 7 packets each: H = log2 1000, normalised 1, Gini exactly 0,
        // top ten 70 / 7000 = 0.01, no single-packet source.
        let mut counts = vec![7; 1000];
        let d = source_distribution(&mut counts).unwrap();
        assert!(close(d.entropy_bits, 1000f64.log2()));
        assert!(close(d.entropy_normalized, 1.0));
        assert_eq!(d.gini_packets, 0.0);
        assert!(close(d.top_share_10, 0.01));
        assert_eq!(d.single_packet_share, 0.0);
        assert_eq!(d.packets_per_source.median, 7.0);
    }

    #[test]
    fn one_dominant_source() {
        // One source with 10^6 packets, 99 with one each: total 1_000_099.
        // Gini: sum i x_i = (1 + ... + 99) + 100 * 10^6 = 4950 + 10^8;
        //   G = 2 (10^8 + 4950) / (100 * 1_000_099) - 101/100 = 0.9890...,
        //   close to the maximum (n - 1)/n = 0.99.
        let mut counts = vec![1; 99];
        counts.push(1_000_000);
        let d = source_distribution(&mut counts).unwrap();
        let expected_gini = 2.0 * (1e8 + 4950.0) / (100.0 * 1_000_099.0) - 1.01;
        assert!(close(d.gini_packets, expected_gini), "{d:?}");
        assert!(d.gini_packets < 0.99);
        assert!(d.entropy_normalized < 0.01, "{d:?}");
        assert!(d.top_share_10 > 0.9999);
        assert_eq!(d.packets_per_source.max, 1_000_000);
    }

    #[test]
    fn zero_counts_are_sources_that_sent_nothing() {
        // Counts 0, 2, 2: H = 1 bit over 3 sources -> normalised 1 / log2 3.
        // Gini: sum i x_i = 0 + 4 + 6 = 10; G = 20 / 12 - 4/3 = 1/3.
        let d = source_distribution(&mut [2, 0, 2]).unwrap();
        assert!(close(d.entropy_bits, 1.0));
        assert!(close(d.entropy_normalized, 1.0 / 3f64.log2()));
        assert!(close(d.gini_packets, 1.0 / 3.0));
    }

    #[test]
    fn huge_counts_do_not_overflow() {
        let mut counts = [u64::MAX, u64::MAX, 1];
        let d = source_distribution(&mut counts).unwrap();
        assert!(d.entropy_bits.is_finite() && d.gini_packets.is_finite());
        assert!(close(d.entropy_normalized, 1.0 / 3f64.log2()));
        assert_eq!(d.packets_per_source.max, u64::MAX);
    }

    #[test]
    fn source_distribution_properties() {
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        for round in 0..500 {
            let n = 1 + rng.below(300) as usize;
            // Mix heavy-tailed, flat and tiny counts, zeros included now and then.
            let mut counts: Vec<u64> = (0..n)
                .map(|_| match round % 3 {
                    0 => 1 + rng.below(3),
                    1 => rng.heavy(40),
                    _ => rng.below(2),
                })
                .collect();
            let Some(d) = source_distribution(&mut counts) else {
                assert!(counts.iter().all(|&c| c == 0));
                continue;
            };
            let sources = counts.len() as f64;
            assert!((0.0..=1.0).contains(&d.entropy_normalized), "{d:?}");
            assert!(d.entropy_bits >= 0.0 && d.entropy_bits <= sources.log2() + 1e-9);
            assert!(d.gini_packets >= 0.0 && d.gini_packets < 1.0, "{d:?}");
            assert!(d.gini_packets <= (sources - 1.0) / sources + 1e-12, "{d:?}");
            assert!((0.0..=1.0).contains(&d.top_share_10));
            assert!((0.0..=1.0).contains(&d.single_packet_share));
            let p = &d.packets_per_source;
            assert!(p.median <= p.p90 && p.p90 <= p.max as f64, "{p:?}");
            assert!(counts.is_sorted());
        }
    }

    #[test]
    fn gini_matches_mean_absolute_difference() {
        // Independent O(n^2) definition: G = sum_i sum_j |x_i - x_j| / (2 n^2 mean).
        let mut rng = XorShift(7);
        for _ in 0..100 {
            let n = 1 + rng.below(60) as usize;
            let mut counts: Vec<u64> = (0..n).map(|_| 1 + rng.below(1000)).collect();
            let total: u64 = counts.iter().sum();
            let mut pair_sum = 0.0;
            for a in &counts {
                for b in &counts {
                    pair_sum += (*a as f64 - *b as f64).abs();
                }
            }
            let reference = pair_sum / (2.0 * (n * n) as f64 * (total as f64 / n as f64));
            let d = source_distribution(&mut counts).unwrap();
            assert!(
                (d.gini_packets - reference).abs() < 1e-9,
                "{d:?} vs {reference}"
            );
        }
    }

    #[test]
    fn float_gini_fallback_agrees_with_the_exact_one() {
        let mut rng = XorShift(13);
        for _ in 0..200 {
            let n = 1 + rng.below(500) as usize;
            let mut counts: Vec<u64> = (0..n).map(|_| rng.heavy(50)).collect();
            counts.sort_unstable();
            let total: u128 = counts.iter().map(|&c| u128::from(c)).sum();
            if total == 0 {
                continue;
            }
            let exact = exact_gini_of_sorted(&counts, total).unwrap();
            let float = float_gini_of_sorted(&counts, total);
            assert!((exact - float).abs() < 1e-9, "{exact} vs {float}");
        }
    }

    #[test]
    fn two_million_sources_in_a_debug_build() {
        // A spoofed flood's shape: most sources once, a tail of repeats. Debug builds take a
        // few seconds here; release builds a fraction of one (see the ignored timing test).
        let mut rng = XorShift(3);
        let mut counts: Vec<u64> = (0..2_000_000)
            .map(|_| {
                if rng.below(10) == 0 {
                    2 + rng.below(50)
                } else {
                    1
                }
            })
            .collect();
        let d = source_distribution(&mut counts).unwrap();
        assert!(d.single_packet_share > 0.85 && d.single_packet_share < 0.95);
        assert!(d.entropy_normalized > 0.9);
    }

    #[test]
    #[ignore = "timing; run with --release -- --ignored"]
    fn ten_million_sources_timing() {
        let mut rng = XorShift(11);
        let mut counts: Vec<u64> = (0..10_000_000).map(|_| 1 + rng.below(1000)).collect();
        let start = std::time::Instant::now();
        let d = source_distribution(&mut counts).unwrap();
        let elapsed = start.elapsed();
        eprintln!("source_distribution, 10^7 sources: {elapsed:?} ({d:?})");
        assert!(elapsed.as_secs_f64() < 5.0);
        let addresses: Vec<IpAddr> = (0..10_000_000)
            .map(|i| match i % 10 {
                0 => IpAddr::V6(Ipv6Addr::from(u128::from(rng.next()) << 64)),
                _ => IpAddr::V4(Ipv4Addr::from(rng.next() as u32)),
            })
            .collect();
        let start = std::time::Instant::now();
        let prefixes = unique_prefixes(addresses.into_iter());
        let elapsed = start.elapsed();
        eprintln!("unique_prefixes, 10^7 addresses: {elapsed:?} ({prefixes})");
        assert!(elapsed.as_secs_f64() < 5.0);
    }

    #[test]
    fn hand_computed_countries() {
        // Sources per country 50, 25, 25 (and a zero, ignored): shares 1/2, 1/4, 1/4.
        // H = 1/2 + 2 * 1/4 * 2 = 1.5 bits; effective 2^1.5 = 2.828...;
        // HHI = 1/4 + 1/16 + 1/16 = 0.375 (3750 on the 0..10000 scale).
        let c = country_concentration(&[50, 0, 25, 25]).unwrap();
        assert!(close(c.country_entropy_bits, 1.5));
        assert!(close(c.effective_countries, 2f64.powf(1.5)));
        assert!(close(c.country_hhi, 0.375));
    }

    #[test]
    fn country_edge_cases() {
        let one = country_concentration(&[0, 1234]).unwrap();
        assert_eq!(one.country_entropy_bits, 0.0);
        assert_eq!(one.effective_countries, 1.0);
        assert_eq!(one.country_hhi, 1.0);
        let equal = country_concentration(&[9; 5]).unwrap();
        assert!(close(equal.effective_countries, 5.0));
        assert!(close(equal.country_hhi, 0.2));
        let dominant = country_concentration(&[1_000_000, 1, 1, 1]).unwrap();
        assert!(dominant.effective_countries < 1.001);
        assert!(dominant.country_hhi > 0.999);
    }

    #[test]
    fn country_properties() {
        let mut rng = XorShift(0xDEAD_BEEF);
        for _ in 0..1000 {
            let n = 1 + rng.below(250) as usize;
            let counts: Vec<u64> = (0..n).map(|_| rng.heavy(30)).collect();
            let k = counts.iter().filter(|&&c| c > 0).count() as f64;
            let Some(c) = country_concentration(&counts) else {
                assert_eq!(k, 0.0);
                continue;
            };
            assert!(
                c.effective_countries >= 1.0 && c.effective_countries <= k,
                "{c:?}"
            );
            assert!(c.country_hhi >= 1.0 / k && c.country_hhi <= 1.0, "{c:?}");
            assert!(c.country_entropy_bits >= 0.0);
            // 1/HHI (the Hill number of order 2) never exceeds 2^H (order 1).
            assert!(
                1.0 / c.country_hhi <= c.effective_countries * (1.0 + 1e-9),
                "{c:?}"
            );
        }
    }

    #[test]
    fn prefixes_count_networks_not_hosts() {
        let v4 = |a, b, c, d| IpAddr::V4(Ipv4Addr::new(a, b, c, d));
        let v6 = |s: &str| IpAddr::V6(s.parse::<Ipv6Addr>().unwrap());
        assert_eq!(unique_prefixes(std::iter::empty()), 0);
        let addresses = [
            v4(192, 0, 2, 1),
            v4(192, 0, 2, 200), // same /24
            v4(192, 0, 3, 1),   // next /24
            v4(0, 0, 0, 0),
            v4(255, 255, 255, 255),      // first and last /24 of the bitmap
            v6("2001:db8:1::1"),         // 2001:db8:1::/48
            v6("2001:db8:1:ffff::2"),    // same /48
            v6("2001:db8:2::1"),         // another /48
            v6("::ffff:192.0.2.1"),      // mapped: counted as IPv6 (::/48)
            v6("ffff:ffff:ffff:ffff::"), // top of the space
        ];
        assert_eq!(unique_prefixes(addresses.into_iter()), 4 + 4);
    }

    #[test]
    fn prefixes_of_many_random_addresses() {
        // Every /24 of 10.0.0.0/8 hit several times: exactly 2^16 prefixes.
        let mut rng = XorShift(5);
        let addresses = (0..(1u32 << 16)).flat_map(|p| [p, p]).map(|p| {
            IpAddr::V4(Ipv4Addr::from(
                (10 << 24) | (p << 8) | rng.below(256) as u32,
            ))
        });
        assert_eq!(unique_prefixes(addresses), 1 << 16);
    }

    #[test]
    fn serializes_with_contract_names() {
        let d = source_distribution(&mut [1, 3]).unwrap();
        let json = serde_json::to_value(&d).unwrap();
        for key in [
            "entropy_bits",
            "entropy_normalized",
            "gini_packets",
            "top_share_10",
            "single_packet_share",
        ] {
            assert!(json.get(key).is_some(), "{key}");
        }
        assert_eq!(json["packets_per_source"]["max"], 3);
        let c = serde_json::to_value(country_concentration(&[1, 1]).unwrap()).unwrap();
        assert_eq!(c["effective_countries"], 2.0);
    }
}
