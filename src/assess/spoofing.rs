//! Spoofing indicators: takes per-source TTLs, per-/8 counts of IPv4 sources and the counts of
//! bogon, TTL-inconsistent, single-packet and handshake-validated sources, and gives the
//! report's `spoofing` section: a verdict ("unlikely" | "possible" | "likely"), a score in
//! [0, 1] and the evidence behind it, each item with its weight and one plain sentence.
//!
//! Why it matters to attribution: a source address is only evidence of where traffic came
//! from if it was not forged. When the addresses are forged, their countries and ASNs describe
//! the attacker's random number generator, and every "the attack came from X" claim must fall.
//!
//! The score is a sum of documented weights (see `assess`), so a reader can redo it by hand
//! from the evidence list. No indicator is proof on its own; each has known blind spots, named
//! next to it.

use std::net::IpAddr;

use serde::Serialize;

// ---------------------------------------------------------------------------------------------
// TTL and hop count
// ---------------------------------------------------------------------------------------------

/// The initial TTL a packet most likely left its sender with: the smallest of 32, 64, 128 and
/// 255 at or above the observed value. Operating systems start from one of a few values, and
/// few Internet paths are longer than 30 hops, so the next value up is the sender's (Jin, Wang
/// and Shin, "Hop-Count Filtering: An Effective Defense Against Spoofed DDoS Traffic", ACM CCS
/// 2003). Their list also has 30 and 60, from long-gone systems; with those in, a 64-host whose
/// route moves between 3 and 5 hops (TTL 61, then 59) would seem to switch families.
pub fn initial_ttl(observed: u8) -> u8 {
    match observed {
        0..=32 => 32,
        33..=64 => 64,
        65..=128 => 128,
        _ => 255,
    }
}

/// Hops between sender and capture point implied by the observed TTL: `initial_ttl - observed`.
pub fn hop_count(observed: u8) -> u8 {
    // Cannot underflow: initial_ttl(observed) >= observed by construction.
    initial_ttl(observed).saturating_sub(observed)
}

/// Largest spread of hop counts one host's packets may show and still be consistent. Routes
/// change during an attack and load-balanced paths differ in length, which moves a host's hop
/// count by a hop or two; Jin et al. (2003) found hop counts stable over their measurements.
/// One more hop of slack keeps route changes from being called spoofing. A spoofer that draws
/// TTLs uniformly at random lands two distinct values in one family within 3 hops of each other
/// in about 2 % of pairs, so the slack costs little detection.
pub const MAX_HOP_COUNT_SPREAD: u8 = 3;

/// Whether one source's distinct observed TTLs are more than one host on one route produces:
/// they come from different initial-TTL families (one sender does not switch between, say, 64
/// and 128), or their hop counts spread over more than `MAX_HOP_COUNT_SPREAD` hops.
///
/// `ttls` are the distinct values seen (the aggregator keeps up to 8); `overflowed` says more
/// than 8 distinct values were seen, which is inconsistent whatever the kept values are: a
/// family holds at most 4 values within `MAX_HOP_COUNT_SPREAD` hops, so 9 distinct values
/// break one of the two rules.
///
/// Known innocent causes, which is why the score uses the share of such sources with a margin:
/// a NAT or CGNAT address hides hosts running different systems (Windows starts at 128, Linux
/// at 64), and some systems answer ICMP from 255 while sending TCP and UDP from 64.
pub fn ttl_inconsistent(ttls: &[u8], overflowed: bool) -> bool {
    if overflowed {
        return true;
    }
    let Some(&first) = ttls.first() else {
        return false;
    };
    let family = initial_ttl(first);
    if ttls.iter().any(|&ttl| initial_ttl(ttl) != family) {
        return true;
    }
    let hops = ttls.iter().map(|&ttl| hop_count(ttl));
    let (min, max) = hops.fold((u8::MAX, u8::MIN), |(lo, hi), h| (lo.min(h), hi.max(h)));
    max.saturating_sub(min) > MAX_HOP_COUNT_SPREAD
}

// ---------------------------------------------------------------------------------------------
// Uniformity of IPv4 sources over /8 blocks
// ---------------------------------------------------------------------------------------------

/// The /8 blocks left out of the uniformity test: those wholly special-purpose (0, 10, 127,
/// multicast 224-239, reserved 240-255) and the two with a large special-purpose part (100:
/// 100.64.0.0/10 shared address space, a quarter of it; 172: 172.16.0.0/12 private, a
/// sixteenth), per the IANA IPv4 Special-Purpose Address Registry (RFC 6890).
///
/// Why not test all 256 blocks (df = 255)? Many transit networks drop bogon-sourced packets
/// (Beverly and Bauer, "The Spoofer Project", SRUTI 2005), so uniformly random forged
/// addresses often arrive with these blocks empty. Testing all 256 would then reject
/// uniformity for exactly the floods it exists to recognise (for 10 000 such sources,
/// chi-square near 1 590 against a 1 % critical value of 310). Leaving the blocks out makes the test give
/// the same answer whether or not bogons were filtered upstream, and keeps it independent of the
/// bogon indicator, which already counts sources in them. The other blocks with special parts
/// (169, 192, 198, 203) lose at most 2/256 of their space, too little to matter.
pub const UNTESTED_SLASH8: [u8; 37] = [
    0, 10, 100, 127, 172, 224, 225, 226, 227, 228, 229, 230, 231, 232, 233, 234, 235, 236, 237,
    238, 239, 240, 241, 242, 243, 244, 245, 246, 247, 248, 249, 250, 251, 252, 253, 254, 255,
];

/// The number of /8 blocks the uniformity test compares.
pub const TESTED_SLASH8: usize = 256 - UNTESTED_SLASH8.len();

/// Fewest IPv4 sources (in tested blocks) for which the test is reported: 5 per block, the
/// usual rule for the chi-square approximation to hold (Cochran 1954: expected counts of at
/// least 5), i.e. 5 x 219 = 1 095.
pub const MIN_SOURCES_FOR_UNIFORMITY: u64 = 5 * TESTED_SLASH8 as u64;

/// Counts IPv4 addresses per /8 block (first octet), the input of `uniformity_p_value`. Pass
/// each distinct source once. IPv6 addresses are skipped.
pub fn ipv4_sources_per_slash8(addresses: impl Iterator<Item = IpAddr>) -> [u64; 256] {
    let mut counts = [0u64; 256];
    for address in addresses {
        if let IpAddr::V4(v4) = address {
            let [first_octet, ..] = v4.octets();
            counts[usize::from(first_octet)] += 1;
        }
    }
    counts
}

/// Chi-square goodness-of-fit p-value of IPv4 sources over the routable /8 blocks against the
/// uniform distribution: `X^2 = sum (O_i - E)^2 / E` over the `TESTED_SLASH8` = 219 blocks, with
/// `E` the tested sources / 219 and 218 degrees of freedom; p = Q(218/2, X^2/2).
///
/// A high p (no evidence against uniform) is what uniformly random forged sources give. Real
/// hosts cluster in the blocks their regional registries and ISPs hand out, so a real botnet or
/// reflector population gives p near 0. `None` when fewer than `MIN_SOURCES_FOR_UNIFORMITY`
/// sources fall in tested blocks: too few to mean anything.
pub fn uniformity_p_value(sources_per_slash8: &[u64; 256]) -> Option<f64> {
    let tested = || {
        sources_per_slash8
            .iter()
            .enumerate()
            .filter(|(block, _)| !UNTESTED_SLASH8.iter().any(|&u| usize::from(u) == *block))
            .map(|(_, &count)| count as f64)
    };
    let total: f64 = tested().sum();
    if total < MIN_SOURCES_FOR_UNIFORMITY as f64 {
        return None;
    }
    let expected = total / TESTED_SLASH8 as f64;
    let statistic: f64 = tested().map(|o| (o - expected).powi(2) / expected).sum();
    let degrees_of_freedom = (TESTED_SLASH8 - 1) as f64;
    Some(regularized_gamma_q(
        degrees_of_freedom / 2.0,
        statistic / 2.0,
    ))
}

/// Evenness of IPv4 sources over the tested /8 blocks: Shannon entropy of the per-block counts
/// divided by log2 of the number of blocks (Pielou's evenness, 1966), in [0, 1]. `None` below
/// `MIN_SOURCES_FOR_UNIFORMITY` sources.
///
/// Why beside the chi-square p-value: with tens of thousands of sources the chi-square test
/// rejects uniformity for any generator that is not perfectly uniform (the real spoofed SYN
/// flood in the test corpus, 37,351 sources over 216 blocks, gives p = 0), while its evenness
/// is 0.99. Evenness measures how far from clustered the sources are, not whether the
/// deviation from uniform is statistically detectable. Real populations measured on public
/// attack captures: SYN-ACK reflectors 0.39, DNS resolvers 0.74, SNMP reflectors 0.88.
/// Uniform samples of the minimum size give about 0.98 (the entropy estimate is biased low by
/// about (k - 1) / (2 N ln 2) bits).
pub fn slash8_evenness(sources_per_slash8: &[u64; 256]) -> Option<f64> {
    let tested: Vec<f64> = sources_per_slash8
        .iter()
        .enumerate()
        .filter(|(block, _)| !UNTESTED_SLASH8.iter().any(|&u| usize::from(u) == *block))
        .map(|(_, &count)| count as f64)
        .collect();
    let total: f64 = tested.iter().sum();
    if total < MIN_SOURCES_FOR_UNIFORMITY as f64 {
        return None;
    }
    let entropy: f64 = tested
        .iter()
        .filter(|&&count| count > 0.0)
        .map(|&count| {
            let share = count / total;
            -share * share.log2()
        })
        .sum();
    Some((entropy / (TESTED_SLASH8 as f64).log2()).clamp(0.0, 1.0))
}

// Own regularized incomplete gamma rather than `statrs`: the one function needed is ~50 lines
// of textbook numerics (Press et al., Numerical Recipes, 3rd ed., 6.2: series below a + 1, a
// Lentz continued fraction above; Lanczos log-gamma, 6.1), tested below against closed forms,
// while statrs would bring nalgebra, rand and their build time for it.

/// `ln Gamma(x)` for x > 0 by the Lanczos approximation (g = 7, 9 terms; relative error about
/// 1e-15). Only called with x >= 0.5 here; no reflection formula needed.
fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const COEFFICIENTS: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    let x = x - 1.0;
    let mut sum = COEFFICIENTS[0];
    for (i, c) in COEFFICIENTS.iter().enumerate().skip(1) {
        sum += c / (x + i as f64);
    }
    let t = x + G + 0.5;
    0.5 * std::f64::consts::TAU.ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

/// The regularized upper incomplete gamma function `Q(a, x) = Gamma(a, x) / Gamma(a)`, for
/// a > 0 and x >= 0; the chi-square survival function is `Q(df / 2, X^2 / 2)`. Returns a value
/// in [0, 1] for any input (NaN and out-of-domain arguments give 1: "no evidence").
pub(crate) fn regularized_gamma_q(a: f64, x: f64) -> f64 {
    const MAX_ITERATIONS: usize = 10_000;
    const EPSILON: f64 = 1e-15;
    const TINY: f64 = 1e-300;
    if a.is_nan() || x.is_nan() || a <= 0.0 || x <= 0.0 {
        return 1.0;
    }
    if x.is_infinite() {
        return 0.0;
    }
    // e^-x x^a / Gamma(a), in logs so large a and x neither overflow nor underflow early.
    let prefactor = (-x + a * x.ln() - ln_gamma(a)).exp();
    let q = if x < a + 1.0 {
        // Series for P(a, x): sum_n x^n / (a (a+1) ... (a+n)); converges fast below a + 1.
        let mut term = 1.0 / a;
        let mut sum = term;
        for n in 1..MAX_ITERATIONS {
            term *= x / (a + n as f64);
            sum += term;
            if term.abs() < sum.abs() * EPSILON {
                break;
            }
        }
        1.0 - prefactor * sum
    } else {
        // Continued fraction for Q(a, x), modified Lentz evaluation.
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / TINY;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..MAX_ITERATIONS {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < TINY {
                d = TINY;
            }
            c = b + an / c;
            if c.abs() < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            let delta = d * c;
            h *= delta;
            if (delta - 1.0).abs() < EPSILON {
                break;
            }
        }
        prefactor * h
    };
    if q.is_nan() { 1.0 } else { q.clamp(0.0, 1.0) }
}

// ---------------------------------------------------------------------------------------------
// The assessment
// ---------------------------------------------------------------------------------------------

/// Counts for one capture (or one vector), as the caller aggregated them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpoofingInput {
    /// Distinct source addresses.
    pub sources: u64,
    /// Sources in special-purpose space that cannot originate Internet traffic.
    pub bogon_sources: u64,
    /// Sources for which `ttl_inconsistent` holds.
    pub ttl_inconsistent_sources: u64,
    /// Sources that sent exactly one packet.
    pub single_packet_sources: u64,
    /// `uniformity_p_value` of the IPv4 sources (`None`: too few to test).
    pub uniformity_p_value: Option<f64>,
    /// `slash8_evenness` of the IPv4 sources (`None`: too few to test).
    pub slash8_evenness: Option<f64>,
    /// The sources are reflectors answering spoofed requests: their addresses are real.
    pub reflection: bool,
    /// Sources that completed a TCP handshake: cannot be spoofed.
    pub validated_sources: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Unlikely,
    Possible,
    Likely,
}

/// One indicator's contribution to the score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    /// Stable snake_case identifier, for templates and outside checks.
    pub id: &'static str,
    /// What this indicator added to the score, to 3 decimals (negative: it lowered it; 0:
    /// checked, no effect).
    pub weight: f64,
    /// One plain sentence with the numbers.
    pub detail: String,
}

/// The report's `spoofing` section.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpoofingAssessment {
    pub verdict: Verdict,
    /// The evidence weights summed and clipped to [0, 1], to 3 decimals.
    pub score: f64,
    /// Shares of all sources (0 when there are no sources).
    pub bogon_source_share: f64,
    pub ttl_inconsistent_source_share: f64,
    pub single_packet_source_share: f64,
    pub uniformity_p_value: Option<f64>,
    /// Largest weight first, ties by id.
    pub evidence: Vec<Evidence>,
}

/// How an indicator's measure maps to its weight: nothing up to `none_at`, the full `weight`
/// from `full_at`, linear in between. A ramp rather than a step, so a measure just under a
/// threshold does not flip the verdict.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub weight: f64,
    pub none_at: f64,
    pub full_at: f64,
}

impl Rule {
    fn apply(&self, measure: f64) -> f64 {
        let span = self.full_at - self.none_at;
        if !measure.is_finite() || span <= 0.0 {
            return 0.0;
        }
        round_weight(self.weight * ((measure - self.none_at) / span).clamp(0.0, 1.0))
    }
}

/// Weights and the score are kept to 3 decimals, so the report shows 0.049 rather than
/// 0.0486111111111111 and a reader adding the evidence weights gets the score exactly.
fn round_weight(weight: f64) -> f64 {
    (weight * 1000.0).round() / 1000.0
}

/// Bogon share of sources. Packets from private, reserved or multicast sources cannot come
/// from their nominal owner over the Internet: they were forged, or leaked from a network that
/// does not filter its egress, which is itself the condition that lets spoofing through
/// (Beverly and Bauer, "The Spoofer Project: Inferring the Extent of Source Address Filtering
/// on the Internet", SRUTI 2005; the CAIDA Spoofer project measures the same). A few leaked
/// packets happen, so below 0.1 % counts nothing; from 1 % it is strong evidence. Uniformly
/// random addresses give about 14 % bogons.
pub const BOGON_RULE: Rule = Rule {
    weight: 0.5,
    none_at: 0.001,
    full_at: 0.01,
};

/// Uniformity, measured as log10 of the p-value: full weight from p = 0.01 (the sources are
/// as even over the /8 blocks as random addresses), none at p = 0.001 or below. Real host
/// populations give p many orders of magnitude below either. Strong evidence: nothing but a
/// random generator spreads sources evenly over the address space.
pub const UNIFORMITY_RULE: Rule = Rule {
    weight: 0.5,
    none_at: -3.0,
    full_at: -2.0,
};

/// Evenness over the /8 blocks (`slash8_evenness`): none up to 0.93, full from 0.98. The
/// real populations measured stay at or below 0.88; random forged addresses reach 0.98 to 1.
pub const EVENNESS_RULE: Rule = Rule {
    weight: 0.5,
    none_at: 0.93,
    full_at: 0.98,
};

/// Share of sources seen more than once whose TTLs are inconsistent (`ttl_inconsistent`).
/// Sources that sent one packet cannot show inconsistency, so they are left out of this share
/// (the reported `ttl_inconsistent_source_share` is over all sources, as the contract's other
/// shares are). NATs and ICMP-from-255 stacks make a few per cent normal: none up to 2 %,
/// full from 20 %. Strong evidence once most repeat sources disagree with themselves: that is
/// what forging the address and the TTL per packet from a small pool of addresses looks like
/// (Jin et al. 2003).
pub const TTL_RULE: Rule = Rule {
    weight: 0.5,
    none_at: 0.02,
    full_at: 0.20,
};

/// Single-packet share of sources. A flood with a fresh random address per packet makes
/// nearly every source a single-packet one, but so does a short capture of a large botnet, so
/// this is weak evidence: none up to 50 %, at most 0.15 from 95 %.
pub const SINGLE_PACKET_RULE: Rule = Rule {
    weight: 0.15,
    none_at: 0.5,
    full_at: 0.95,
};

/// Validated share of sources lowers the score by up to 1: a completed TCP handshake means the
/// source received the victim's SYN-ACK, so its address is real. Linear: half the sources
/// validated takes 0.5 off.
pub const VALIDATED_RULE: Rule = Rule {
    weight: -1.0,
    none_at: 0.0,
    full_at: 1.0,
};

/// Reflection lowers the score by 0.5: reflectors answer requests forged with the victim's
/// address, so the sources seen are the reflectors' true addresses (Rossow, "Amplification
/// Hell: Revisiting Network Protocols for DDoS Abuse", NDSS 2014). Spoofing happened upstream,
/// but these addresses are not forged. Not a veto: reflection is recognised from ports and
/// payloads, which a spoofer can imitate, so two strong indicators in full still make it
/// "likely" (0.5 + 0.5 - 0.5).
pub const REFLECTION_WEIGHT: f64 = -0.5;

/// Score at or above which spoofing is "possible": a strong indicator 40 % of the way up its
/// ramp, or less of one together with the weak single-packet indicator.
pub const POSSIBLE_FROM: f64 = 0.2;

/// Score at or above which spoofing is "likely": one strong indicator in full, or several
/// part-way, with nothing against them.
pub const LIKELY_FROM: f64 = 0.5;

// The weak indicator alone must never lift the verdict above "unlikely"; checked at compile
// time so that retuning the weights cannot break it silently.
const _: () = assert!(SINGLE_PACKET_RULE.weight < POSSIBLE_FROM);

/// Weighs the spoofing indicators. The score is the sum of the evidence weights clipped to
/// [0, 1]; the verdict is "likely" from `LIKELY_FROM`, "possible" from `POSSIBLE_FROM`,
/// "unlikely" below. With no sources the score is 0, the shares are 0 and the verdict
/// "unlikely", with one evidence item saying nothing could be assessed.
pub fn assess(input: &SpoofingInput) -> SpoofingAssessment {
    let sources = input.sources;
    let uniformity_p_value = input
        .uniformity_p_value
        .filter(|p| p.is_finite())
        .map(|p| p.clamp(0.0, 1.0));
    let bogon_share = share(input.bogon_sources, sources);
    let ttl_share = share(input.ttl_inconsistent_sources, sources);
    let single_share = share(input.single_packet_sources, sources);

    let mut evidence = Vec::new();
    if sources == 0 {
        evidence.push(Evidence {
            id: "no_sources",
            weight: 0.0,
            detail: "No source addresses were seen, so spoofing cannot be assessed.".into(),
        });
    } else {
        evidence.push(bogon_evidence(input.bogon_sources, sources, bogon_share));
        evidence.push(uniformity_evidence(
            uniformity_p_value,
            input.slash8_evenness,
        ));
        evidence.push(ttl_evidence(input));
        evidence.push(single_packet_evidence(single_share));
        if input.validated_sources > 0 {
            evidence.push(validated_evidence(input.validated_sources, sources));
        }
        if input.reflection {
            evidence.push(Evidence {
                id: "reflection",
                weight: REFLECTION_WEIGHT,
                detail: "The sources are reflectors answering requests forged with the \
                         victim's address, so the addresses seen are the reflectors' own."
                    .into(),
            });
        }
    }
    evidence.sort_by(|a, b| b.weight.total_cmp(&a.weight).then(a.id.cmp(b.id)));

    let score = round_weight(
        evidence
            .iter()
            .map(|e| e.weight)
            .sum::<f64>()
            .clamp(0.0, 1.0),
    );
    let verdict = if score >= LIKELY_FROM {
        Verdict::Likely
    } else if score >= POSSIBLE_FROM {
        Verdict::Possible
    } else {
        Verdict::Unlikely
    };
    SpoofingAssessment {
        verdict,
        score,
        bogon_source_share: bogon_share,
        ttl_inconsistent_source_share: ttl_share,
        single_packet_source_share: single_share,
        uniformity_p_value,
        evidence,
    }
}

fn bogon_evidence(bogons: u64, sources: u64, bogon_share: f64) -> Evidence {
    let weight = BOGON_RULE.apply(bogon_share);
    let detail = if bogons == 0 {
        "No source is a bogon (a private, reserved or otherwise unroutable address).".to_string()
    } else if weight == 0.0 {
        format!(
            "{bogons} of {sources} sources ({}) are bogons (private, reserved or otherwise \
             unroutable addresses), too few to read as more than leaks from unfiltered networks.",
            percent(bogon_share)
        )
    } else {
        format!(
            "{bogons} of {sources} sources ({}) are bogons (private, reserved or otherwise \
             unroutable addresses), which cannot send traffic on the Internet.",
            percent(bogon_share)
        )
    };
    Evidence {
        id: "bogon_sources",
        weight,
        detail,
    }
}

/// One evidence item for "spread evenly like random addresses": the stronger of the chi-square
/// p-value rule and the evenness rule (they measure the same thing, so they are not added).
fn uniformity_evidence(p_value: Option<f64>, evenness: Option<f64>) -> Evidence {
    if p_value.is_none() && evenness.is_none() {
        return Evidence {
            id: "uniform_ipv4_sources",
            weight: 0.0,
            detail: format!(
                "Too few IPv4 sources to test whether they are spread evenly over the address \
                 space, as random forged addresses would be (the test needs at least \
                 {MIN_SOURCES_FOR_UNIFORMITY})."
            ),
        };
    }
    // log10(0) is -inf, which the rule maps to 0; MIN_POSITIVE keeps the arithmetic finite.
    let by_p_value = p_value.map_or(0.0, |p| {
        UNIFORMITY_RULE.apply(p.max(f64::MIN_POSITIVE).log10())
    });
    let by_evenness = evenness.map_or(0.0, |evenness| EVENNESS_RULE.apply(evenness));
    let weight = by_p_value.max(by_evenness);
    let measures = match (evenness, p_value) {
        (Some(evenness), Some(p)) => {
            format!(
                "evenness {evenness:.3} over the /8 blocks, chi-square {}",
                p_text(p)
            )
        }
        (Some(evenness), None) => format!("evenness {evenness:.3} over the /8 blocks"),
        (None, Some(p)) => format!("chi-square {}", p_text(p)),
        (None, None) => String::new(),
    };
    let detail = if weight > 0.0 {
        format!(
            "IPv4 sources are spread over the address space's /8 blocks about as evenly as \
             random forged addresses would be ({measures}), while real hosts cluster in a few \
             blocks."
        )
    } else {
        format!(
            "IPv4 sources cluster in some /8 blocks as real hosts do, not evenly as random \
             forged addresses would ({measures})."
        )
    };
    Evidence {
        id: "uniform_ipv4_sources",
        weight,
        detail,
    }
}

fn ttl_evidence(input: &SpoofingInput) -> Evidence {
    let repeat_sources = input.sources.saturating_sub(input.single_packet_sources);
    let inconsistent = input.ttl_inconsistent_sources.min(repeat_sources);
    let repeat_share = share(inconsistent, repeat_sources);
    let detail = if repeat_sources == 0 {
        "No source sent more than one packet, so TTL consistency cannot be checked.".to_string()
    } else if inconsistent == 0 {
        format!(
            "All {repeat_sources} sources seen more than once kept consistent TTLs (one \
             initial value, hop counts within {MAX_HOP_COUNT_SPREAD} hops)."
        )
    } else {
        format!(
            "{inconsistent} of the {repeat_sources} sources seen more than once ({}) arrived \
             with TTLs from different initial values or more than {MAX_HOP_COUNT_SPREAD} hops \
             apart, which one host on one route does not produce.",
            percent(repeat_share)
        )
    };
    Evidence {
        id: "ttl_inconsistent_sources",
        weight: TTL_RULE.apply(repeat_share),
        detail,
    }
}

fn single_packet_evidence(single_share: f64) -> Evidence {
    Evidence {
        id: "single_packet_sources",
        weight: SINGLE_PACKET_RULE.apply(single_share),
        detail: format!(
            "{} of sources sent a single packet; a fresh forged address per packet does this, \
             but so does a short look at a large botnet, so it is weak evidence on its own.",
            percent(single_share)
        ),
    }
}

fn validated_evidence(validated: u64, sources: u64) -> Evidence {
    let validated_share = share(validated, sources);
    Evidence {
        id: "handshake_validated_sources",
        weight: VALIDATED_RULE.apply(validated_share),
        detail: format!(
            "{validated} sources ({}) completed a TCP handshake, which a forged address \
             cannot do.",
            percent(validated_share)
        ),
    }
}

/// `part / whole` in [0, 1]; 0 when `whole` is 0 (nothing to be a share of).
fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part.min(whole) as f64 / whole as f64
    }
}

/// A share as text for a sentence: "12.4 %", "under 0.1 %", "0 %".
pub(crate) fn percent(share: f64) -> String {
    let value = share * 100.0;
    if value <= 0.0 {
        "0 %".to_string()
    } else if value < 0.1 {
        "under 0.1 %".to_string()
    } else {
        format!("{value:.1} %")
    }
}

/// A p-value as text: "p = 0.43", "p = 2.1e-7", "p < 1e-300".
fn p_text(p: f64) -> String {
    if p >= 0.01 {
        format!("p = {p:.2}")
    } else if p >= 1e-300 {
        format!("p = {p:.1e}")
    } else {
        "p < 1e-300".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn relative_error(got: f64, want: f64) -> f64 {
        (got - want).abs() / want.abs().max(f64::MIN_POSITIVE)
    }

    /// xorshift64* (Vigna 2016), for reproducible random samples without a dependency.
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
    }

    #[test]
    fn initial_ttl_and_hop_count_at_the_boundaries() {
        // (observed, initial, hops)
        let cases = [
            (0, 32, 32),
            (1, 32, 31),
            (32, 32, 0),
            (33, 64, 31),
            (50, 64, 14),
            (64, 64, 0),
            (65, 128, 63),
            (113, 128, 15),
            (128, 128, 0),
            (129, 255, 126),
            (240, 255, 15),
            (254, 255, 1),
            (255, 255, 0),
        ];
        for (observed, initial, hops) in cases {
            assert_eq!(initial_ttl(observed), initial, "initial_ttl({observed})");
            assert_eq!(hop_count(observed), hops, "hop_count({observed})");
        }
        for observed in 0..=u8::MAX {
            assert!(initial_ttl(observed) >= observed);
        }
    }

    #[test]
    fn ttl_consistency() {
        assert!(!ttl_inconsistent(&[], false), "nothing seen");
        assert!(!ttl_inconsistent(&[57], false), "one value");
        assert!(
            !ttl_inconsistent(&[57, 56], false),
            "route change by one hop"
        );
        assert!(
            !ttl_inconsistent(&[57, 54], false),
            "3 hops: the allowed slack"
        );
        assert!(ttl_inconsistent(&[57, 53], false), "4 hops apart");
        assert!(ttl_inconsistent(&[64, 128], false), "families 64 and 128");
        assert!(
            ttl_inconsistent(&[64, 65], false),
            "adjacent values, different families"
        );
        assert!(ttl_inconsistent(&[120, 250], false), "families 128 and 255");
        assert!(
            !ttl_inconsistent(&[113, 115, 116], false),
            "Windows host, ECMP paths"
        );
        assert!(ttl_inconsistent(&[], true), "more than 8 distinct values");
        assert!(
            ttl_inconsistent(&[60, 61], true),
            "overflow wins over kept values"
        );
    }

    #[test]
    fn nine_distinct_ttls_always_break_a_rule() {
        // Backs the claim in ttl_inconsistent's docs that overflow implies inconsistency.
        // Nine consecutive values are the tightest nine distinct ones can be.
        for start in 0..=(u8::MAX - 8) {
            let ttls: Vec<u8> = (start..=start + 8).collect();
            assert!(ttl_inconsistent(&ttls, false), "{ttls:?}");
        }
    }

    #[test]
    fn q_against_closed_forms() {
        // Q(1, x) = e^-x.
        for x in [1e-6, 0.01, 0.5, 1.0, 2.0, 10.0, 30.0, 200.0] {
            let got = regularized_gamma_q(1.0, x);
            assert!(relative_error(got, (-x).exp()) < 1e-12, "Q(1, {x}) = {got}");
        }
        // Q(1/2, x) = erfc(sqrt x); erfc(0.5), erfc(1), erfc(2) from tables (Abramowitz and
        // Stegun 7.1), to 16 digits as mpmath gives them.
        for (x, erfc) in [
            (0.25, 0.479_500_122_186_953_5),
            (1.0, 0.157_299_207_050_285_13),
            (4.0, 0.004_677_734_981_047_266),
        ] {
            let got = regularized_gamma_q(0.5, x);
            assert!(relative_error(got, erfc) < 1e-12, "Q(0.5, {x}) = {got}");
        }
    }

    /// Q(n, x) for integer n is the Poisson CDF: e^-x sum_{k<n} x^k / k!, summed in logs.
    /// Independent of the series and continued fraction under test.
    fn poisson_q(n: u32, x: f64) -> f64 {
        let mut log_term = -x; // log of e^-x x^0 / 0!
        let mut sum = log_term.exp();
        for k in 1..n {
            log_term += x.ln() - f64::from(k).ln();
            sum += log_term.exp();
        }
        sum
    }

    #[test]
    fn q_against_poisson_sums_at_the_tests_degrees_of_freedom() {
        // a = 218 / 2 = 109 is an integer, so the Poisson sum checks the very case in use,
        // on both sides of x = a + 1 (series and continued fraction).
        for x in [50.0, 80.0, 100.0, 109.0, 110.0, 120.0, 150.0, 200.0, 300.0] {
            let got = regularized_gamma_q(109.0, x);
            let want = poisson_q(109, x);
            assert!(
                relative_error(got, want) < 1e-9,
                "Q(109, {x}) = {got}, want {want}"
            );
        }
        for (n, x) in [(3, 2.5), (10, 3.0), (10, 30.0), (50, 45.0)] {
            let got = regularized_gamma_q(f64::from(n), x);
            assert!(relative_error(got, poisson_q(n, x)) < 1e-10, "Q({n}, {x})");
        }
    }

    #[test]
    fn q_against_reference_values() {
        // mpmath gammainc(a, x, inf, regularized=True) at 40 digits.
        let cases = [
            (5.5, 10.0, 0.045_340_674_434_060_39),
            (127.5, 127.5, 0.488_222_521_770_406_3),
            (127.5, 100.0, 0.995_425_444_541_951_9),
            (127.5, 200.0, 1.660_002_524_412_451_8e-8),
            (109.0, 1000.0, 4.295_324_536_957_979e-285),
        ];
        for (a, x, want) in cases {
            let got = regularized_gamma_q(a, x);
            assert!(
                relative_error(got, want) < 1e-9,
                "Q({a}, {x}) = {got}, want {want}"
            );
        }
        // Chi-square critical values for df = 218 (mpmath): p = 0.05 at 253.444451214672,
        // p = 0.01 at 269.494808204054.
        let p05 = regularized_gamma_q(109.0, 253.444_451_214_672 / 2.0);
        let p01 = regularized_gamma_q(109.0, 269.494_808_204_054 / 2.0);
        assert!(
            (p05 - 0.05).abs() < 1e-10 && (p01 - 0.01).abs() < 1e-10,
            "{p05} {p01}"
        );
    }

    #[test]
    fn q_never_leaves_the_unit_interval() {
        for a in [
            1e-3,
            0.5,
            1.0,
            109.0,
            1e6,
            f64::NAN,
            -1.0,
            0.0,
            f64::INFINITY,
        ] {
            for x in [0.0, 1e-300, 1.0, 1e3, 1e300, f64::INFINITY, f64::NAN, -5.0] {
                let q = regularized_gamma_q(a, x);
                assert!((0.0..=1.0).contains(&q), "Q({a}, {x}) = {q}");
            }
        }
    }

    #[test]
    fn uniformity_of_perfect_random_and_clustered_samples() {
        // 10 sources in every /8 (bogon blocks included, as a filter-free flood has them):
        // every tested block equals its expectation, X^2 = 0, p = 1.
        assert_eq!(uniformity_p_value(&[10; 256]), Some(1.0));
        // The same with the untested blocks empty, as after upstream bogon filtering.
        let mut filtered = [10u64; 256];
        for block in UNTESTED_SLASH8 {
            filtered[usize::from(block)] = 0;
        }
        assert_eq!(uniformity_p_value(&filtered), Some(1.0));
        // Everything in one /8: X^2 = (N - E)^2/E + 218 E = 218 N, p underflows to 0.
        let mut one_block = [0u64; 256];
        one_block[45] = 100_000;
        assert!(uniformity_p_value(&one_block).unwrap() < 1e-300);
        // Random addresses over the whole IPv4 space: p well above 0.01 (fixed seed).
        let mut rng = XorShift(0x5EED);
        let addresses = (0..200_000).map(|_| IpAddr::V4(Ipv4Addr::from(rng.next() as u32)));
        let p = uniformity_p_value(&ipv4_sources_per_slash8(addresses)).unwrap();
        assert!(p > 0.01, "p = {p}");
    }

    #[test]
    fn uniformity_of_a_realistic_population_is_rejected() {
        // A botnet-like population: half the sources in 20 busy blocks, the rest spread out.
        let mut rng = XorShift(99);
        let mut counts = [0u64; 256];
        for _ in 0..20_000 {
            let block = if rng.next().is_multiple_of(2) {
                36 + rng.next() % 20
            } else {
                rng.next() % 224
            };
            counts[block as usize] += 1;
        }
        assert!(uniformity_p_value(&counts).unwrap() < 1e-100);
    }

    #[test]
    fn uniformity_needs_enough_sources() {
        assert_eq!(uniformity_p_value(&[0; 256]), None);
        // 5 per tested block is just enough; one fewer is not. Sources in untested blocks do
        // not count towards the minimum.
        let mut counts = [5u64; 256];
        for block in UNTESTED_SLASH8 {
            counts[usize::from(block)] = 1_000;
        }
        assert!(uniformity_p_value(&counts).is_some());
        counts[1] = 4;
        assert_eq!(uniformity_p_value(&counts), None);
        assert_eq!(MIN_SOURCES_FOR_UNIFORMITY, 1_095);
    }

    #[test]
    fn untested_blocks_are_distinct_and_special() {
        let mut sorted = UNTESTED_SLASH8.to_vec();
        sorted.dedup();
        assert_eq!(sorted.len(), 37);
        assert_eq!(TESTED_SLASH8, 219);
        assert!((224..=255).all(|b| UNTESTED_SLASH8.contains(&b)));
    }

    #[test]
    fn slash8_counts_skip_ipv6() {
        let addresses = [
            IpAddr::V4(Ipv4Addr::new(1, 2, 3, 4)),
            IpAddr::V4(Ipv4Addr::new(1, 9, 9, 9)),
            IpAddr::V4(Ipv4Addr::new(255, 0, 0, 0)),
            "2001:db8::1".parse().unwrap(),
        ];
        let counts = ipv4_sources_per_slash8(addresses.into_iter());
        assert_eq!(
            (counts[1], counts[255], counts.iter().sum::<u64>()),
            (2, 1, 3)
        );
    }

    fn weight_of(assessment: &SpoofingAssessment, id: &str) -> f64 {
        assessment
            .evidence
            .iter()
            .find(|e| e.id == id)
            .map_or(f64::NAN, |e| e.weight)
    }

    #[test]
    fn evenness_separates_random_from_clustered_sources() {
        let mut uniform = [0u64; 256];
        for (block, count) in uniform.iter_mut().enumerate() {
            if !UNTESTED_SLASH8.iter().any(|&u| usize::from(u) == block) {
                *count = 170;
            }
        }
        assert!((slash8_evenness(&uniform).unwrap() - 1.0).abs() < 1e-12);
        let mut clustered = [0u64; 256];
        clustered[1] = 30_000;
        clustered[45] = 5_000;
        clustered[200] = 2_000;
        let evenness = slash8_evenness(&clustered).unwrap();
        // Shares 0.811, 0.135, 0.054: entropy 0.245 + 0.390 + 0.228 = 0.863 bits of
        // log2(219) = 7.775: about 0.111.
        assert!((evenness - 0.863 / 7.775).abs() < 0.002, "{evenness}");
        assert_eq!(slash8_evenness(&[0; 256]), None);
        // A slightly uneven random generator: the chi-square test rejects it, evenness does
        // not, and the assessment follows evenness.
        let mut skewed = uniform;
        skewed[17] = 250;
        skewed[112] = 243;
        let p = uniformity_p_value(&skewed).unwrap();
        let a = assess(&SpoofingInput {
            sources: skewed.iter().sum(),
            single_packet_sources: skewed.iter().sum(),
            uniformity_p_value: Some(p),
            slash8_evenness: slash8_evenness(&skewed),
            ..SpoofingInput::default()
        });
        assert_eq!(a.verdict, Verdict::Likely, "{a:?}");
    }

    #[test]
    fn random_spoofed_flood_is_likely() {
        // hping3 --rand-source style: 500 000 packets, a fresh address each; ~14 % bogons
        // (37 of 256 /8s are special), p of a uniform sample, TTL from one tool.
        let input = SpoofingInput {
            sources: 498_000,
            bogon_sources: 69_000,
            ttl_inconsistent_sources: 0,
            single_packet_sources: 496_000,
            uniformity_p_value: Some(0.37),
            slash8_evenness: Some(0.999),
            reflection: false,
            validated_sources: 0,
        };
        let a = assess(&input);
        assert_eq!(a.verdict, Verdict::Likely);
        assert_eq!(a.score, 1.0);
        // Bogon 0.5 + uniformity 0.5 + single-packet 0.15 (share 99.6 % > 95 %).
        assert_eq!(weight_of(&a, "bogon_sources"), 0.5);
        assert_eq!(weight_of(&a, "uniform_ipv4_sources"), 0.5);
        assert_eq!(weight_of(&a, "single_packet_sources"), 0.15);
        assert_eq!(
            a.evidence[0].id, "bogon_sources",
            "largest weight first, ties by id"
        );
        assert!(
            a.evidence[0]
                .detail
                .contains("69000 of 498000 sources (13.9 %)")
        );
        let ttl = a
            .evidence
            .iter()
            .find(|e| e.id == "ttl_inconsistent_sources")
            .unwrap();
        assert!(
            ttl.detail
                .starts_with("All 2000 sources seen more than once"),
            "{ttl:?}"
        );
    }

    #[test]
    fn random_flood_through_bogon_filters_is_still_likely() {
        // Upstream filters removed the bogons; uniformity over routable blocks remains.
        let input = SpoofingInput {
            sources: 430_000,
            single_packet_sources: 428_000,
            uniformity_p_value: Some(0.2),
            ..SpoofingInput::default()
        };
        let a = assess(&input);
        assert_eq!(a.verdict, Verdict::Likely);
        assert!((a.score - 0.65).abs() < 1e-12, "{a:?}");
    }

    #[test]
    fn small_pool_with_random_ttls_is_likely() {
        // 300 forged addresses reused, TTL drawn per packet: most repeat sources inconsistent.
        let input = SpoofingInput {
            sources: 300,
            ttl_inconsistent_sources: 290,
            ..SpoofingInput::default()
        };
        let a = assess(&input);
        assert_eq!(a.verdict, Verdict::Likely);
        assert_eq!(weight_of(&a, "ttl_inconsistent_sources"), 0.5);
        assert_eq!(
            weight_of(&a, "uniform_ipv4_sources"),
            0.0,
            "too few to test"
        );
    }

    #[test]
    fn real_botnet_is_unlikely() {
        // 40 000 bots, clustered (p ~ 0), a few NATs with mixed TTLs, a handful of leaked
        // private addresses, a fifth seen once.
        let input = SpoofingInput {
            sources: 40_000,
            bogon_sources: 12,
            ttl_inconsistent_sources: 300,
            single_packet_sources: 8_000,
            uniformity_p_value: Some(1e-250),
            slash8_evenness: Some(0.71),
            reflection: false,
            validated_sources: 0,
        };
        let a = assess(&input);
        assert_eq!(a.verdict, Verdict::Unlikely, "{a:?}");
        assert_eq!(a.score, 0.0);
        assert!((a.bogon_source_share - 0.0003).abs() < 1e-12);
        assert!((a.ttl_inconsistent_source_share - 0.0075).abs() < 1e-12);
        assert!((a.single_packet_source_share - 0.2).abs() < 1e-12);
    }

    #[test]
    fn http_flood_from_validated_bots_is_unlikely_even_when_short() {
        // A short capture: most bots seen once (weak evidence 0.15 x 0.4/0.45), yet most
        // completed handshakes.
        let input = SpoofingInput {
            sources: 5_000,
            single_packet_sources: 4_500,
            validated_sources: 4_000,
            uniformity_p_value: Some(1e-40),
            ..SpoofingInput::default()
        };
        let a = assess(&input);
        assert_eq!(a.verdict, Verdict::Unlikely);
        assert_eq!(a.score, 0.0);
        assert_eq!(weight_of(&a, "handshake_validated_sources"), -0.8);
        assert_eq!(
            a.evidence.last().map(|e| e.id),
            Some("handshake_validated_sources")
        );
    }

    #[test]
    fn reflection_attack_is_unlikely() {
        // 3 000 DNS resolvers answering forged queries: real, clustered, repeat senders.
        let input = SpoofingInput {
            sources: 3_000,
            ttl_inconsistent_sources: 90,
            single_packet_sources: 600,
            uniformity_p_value: Some(1e-120),
            reflection: true,
            ..SpoofingInput::default()
        };
        let a = assess(&input);
        assert_eq!(a.verdict, Verdict::Unlikely);
        assert_eq!(a.score, 0.0);
        assert_eq!(weight_of(&a, "reflection"), REFLECTION_WEIGHT);
        // 90 of 2 400 repeat sources = 3.75 %: (3.75 - 2) / 18 of 0.5 = 0.0486 -> 0.049.
        assert_eq!(weight_of(&a, "ttl_inconsistent_sources"), 0.049);
    }

    #[test]
    fn reflection_does_not_veto_strong_evidence() {
        // "Reflection" read from ports alone, but the sources are random with bogons.
        let input = SpoofingInput {
            sources: 100_000,
            bogon_sources: 14_000,
            single_packet_sources: 99_000,
            uniformity_p_value: Some(0.5),
            reflection: true,
            ..SpoofingInput::default()
        };
        let a = assess(&input);
        assert_eq!(a.verdict, Verdict::Likely, "0.5 + 0.5 + 0.15 - 0.5 = 0.65");
    }

    #[test]
    fn thresholds_ramp_and_verdicts_follow_the_score() {
        // Bogon share 0.55 %: halfway up the 0.1 %..1 % ramp -> 0.25 -> possible.
        let input = SpoofingInput {
            sources: 10_000,
            bogon_sources: 55,
            ..SpoofingInput::default()
        };
        let a = assess(&input);
        assert!((a.score - 0.25).abs() < 1e-12, "{a:?}");
        assert_eq!(a.verdict, Verdict::Possible);
        // p = 10^-2.5: halfway on the log scale -> 0.25.
        let half = UNIFORMITY_RULE.apply(10f64.powf(-2.5).log10());
        assert!((half - 0.25).abs() < 1e-12);
        assert_eq!(UNIFORMITY_RULE.apply(f64::NEG_INFINITY), 0.0);
    }

    #[test]
    fn no_sources_and_nonsense_inputs_do_not_panic() {
        let a = assess(&SpoofingInput::default());
        assert_eq!((a.verdict, a.score), (Verdict::Unlikely, 0.0));
        assert_eq!(a.evidence.len(), 1);
        assert_eq!(a.evidence[0].id, "no_sources");
        // Counts larger than the sources and a NaN p-value.
        let a = assess(&SpoofingInput {
            sources: 10,
            bogon_sources: 50,
            ttl_inconsistent_sources: u64::MAX,
            single_packet_sources: u64::MAX,
            uniformity_p_value: Some(f64::NAN),
            slash8_evenness: Some(f64::NAN),
            reflection: false,
            validated_sources: u64::MAX,
        });
        assert_eq!(a.bogon_source_share, 1.0);
        assert_eq!(a.uniformity_p_value, None);
        assert!((0.0..=1.0).contains(&a.score));
        assert!(a.evidence.iter().all(|e| e.weight.is_finite()));
    }

    #[test]
    fn score_properties() {
        let mut rng = XorShift(0xC0FFEE);
        for _ in 0..2_000 {
            let sources = rng.next() % 100_000;
            let [bogon, ttl, single, validated] = [0; 4].map(|_| rng.next() % (sources + 1));
            let input = SpoofingInput {
                sources,
                bogon_sources: bogon,
                ttl_inconsistent_sources: ttl,
                single_packet_sources: single,
                validated_sources: validated,
                uniformity_p_value: Some(f64::from_bits(rng.next() >> 2)).filter(|p| *p <= 1.0),
                slash8_evenness: Some(f64::from_bits(rng.next() >> 2)).filter(|e| *e <= 1.0),
                reflection: rng.next().is_multiple_of(2),
            };
            let a = assess(&input);
            assert!((0.0..=1.0).contains(&a.score), "{a:?}");
            let shares = [
                a.bogon_source_share,
                a.ttl_inconsistent_source_share,
                a.single_packet_source_share,
            ];
            assert!(shares.iter().all(|s| (0.0..=1.0).contains(s)), "{a:?}");
            let sum: f64 = a.evidence.iter().map(|e| e.weight).sum();
            assert!((a.score - sum.clamp(0.0, 1.0)).abs() < 1e-9, "{a:?}");
            assert!(a.evidence.windows(2).all(|w| w[0].weight >= w[1].weight));
            // Adding validated sources never raises the score.
            let more_validated = assess(&SpoofingInput {
                validated_sources: sources,
                ..input
            });
            assert!(more_validated.score <= a.score);
        }
    }

    #[test]
    fn serializes_as_the_contract_says() {
        let a = assess(&SpoofingInput {
            sources: 2_000,
            bogon_sources: 300,
            single_packet_sources: 1_990,
            uniformity_p_value: None,
            ..SpoofingInput::default()
        });
        let json = serde_json::to_value(&a).unwrap();
        assert_eq!(json["verdict"], "likely");
        assert!(json["uniformity_p_value"].is_null());
        for key in [
            "score",
            "bogon_source_share",
            "ttl_inconsistent_source_share",
            "single_packet_source_share",
        ] {
            assert!(json[key].is_number(), "{key}");
        }
        let first = &json["evidence"][0];
        assert_eq!(first["id"], "bogon_sources");
        assert!(first["weight"].is_number() && first["detail"].is_string());
        assert_eq!(serde_json::to_value(Verdict::Unlikely).unwrap(), "unlikely");
        assert_eq!(serde_json::to_value(Verdict::Possible).unwrap(), "possible");
    }
}
