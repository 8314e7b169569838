//! The arithmetic under the attribution judgments: takes counts (k of n sources), gives the
//! 95 % Wilson score interval of the share, the probability that the share is at least some
//! threshold, and the ICD 203 words for that probability; and the three confidence levels.
//!
//! Why Wilson (E. B. Wilson, "Probable Inference, the Law of Succession, and Statistical
//! Inference", JASA 22, 1927) rather than the textbook p ± 1.96 sqrt(p(1-p)/n): the textbook
//! interval collapses to a point at 0 of n and n of n and covers badly for small n or shares
//! near 0 or 1, which is exactly where attribution claims live (0 of 40 sources in China, 34 of
//! 40 in Germany). Wilson's interval stays inside [0, 1] and keeps close to its nominal 95 %
//! coverage at these sizes (Brown, Cai and DasGupta, "Interval Estimation for a Binomial
//! Proportion", Statistical Science 16, 2001, who recommend it for small n).

use serde::Serialize;

use crate::assess::spoofing::regularized_gamma_q;

/// The two-sided 95 % normal quantile, z(0.975).
pub const Z_95: f64 = 1.959_963_984_540_054;

/// The 95 % Wilson score interval of `k` successes in `n` trials, as [low, high] in [0, 1].
/// `n == 0` gives [0, 1]: nothing observed, every share possible. `k > n` is read as `k = n`.
pub fn wilson_interval(k: u64, n: u64) -> [f64; 2] {
    if n == 0 {
        return [0.0, 1.0];
    }
    let k = k.min(n);
    let n_f = n as f64;
    let p = k as f64 / n_f;
    let z2 = Z_95 * Z_95;
    let denominator = 1.0 + z2 / n_f;
    let centre = (p + z2 / (2.0 * n_f)) / denominator;
    let half = Z_95 / denominator * (p * (1.0 - p) / n_f + z2 / (4.0 * n_f * n_f)).sqrt();
    // The bounds at 0 of n and n of n are exactly 0 and 1; rounding would leave 1e-17 there.
    let low = if k == 0 { 0.0 } else { centre - half };
    let high = if k == n { 1.0 } else { centre + half };
    [low.clamp(0.0, 1.0), high.clamp(0.0, 1.0)]
}

/// The standard normal distribution function Φ(z), through `erfc(x) = Q(1/2, x^2)` (Abramowitz
/// and Stegun 6.5.17 with 7.1.2) and the incomplete gamma function the spoofing tests use.
/// Accurate to about 1e-14; NaN gives 0.5.
pub fn normal_cdf(z: f64) -> f64 {
    if z.is_nan() {
        return 0.5;
    }
    let tail = 0.5 * regularized_gamma_q(0.5, z * z / 2.0);
    if z < 0.0 { tail } else { 1.0 - tail }
}

/// The probability that the share behind `k` of `n` is at least `threshold`, by the one-sided
/// score test whose inversion is Wilson's interval: `Φ((p - t) / sqrt(t (1 - t) / n))` with
/// `p = k / n`. It is 0.5 when the observed share equals the threshold, and 0.025 (0.975) when
/// the threshold is the Wilson interval's upper (lower) bound. Read as a probability it is the
/// large-sample posterior under a flat prior; for a few dozen sources it is rough, which the
/// confidence rules account for. `n == 0` gives 0.5 (nothing is known); a threshold outside
/// (0, 1) gives 1 (at or below 0) or 0 (at or above 1).
pub fn probability_at_least(k: u64, n: u64, threshold: f64) -> f64 {
    if threshold <= 0.0 {
        return 1.0;
    }
    if threshold >= 1.0 || threshold.is_nan() {
        return 0.0;
    }
    if n == 0 {
        return 0.5;
    }
    let p = k.min(n) as f64 / n as f64;
    let standard_error = (threshold * (1.0 - threshold) / n as f64).sqrt();
    normal_cdf((p - threshold) / standard_error)
}

/// The words of the Intelligence Community Directive 203, "Analytic Standards" (ODNI, 2015),
/// section D.6.b.(2): each names a band of probability, and a product uses the words with
/// their band, never a bare number or a word of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Likelihood {
    /// 1-5 %
    AlmostNoChance,
    /// 5-20 %
    VeryUnlikely,
    /// 20-45 %
    Unlikely,
    /// 45-55 %
    RoughlyEvenChance,
    /// 55-80 %
    Likely,
    /// 80-95 %
    VeryLikely,
    /// 95-99 %
    AlmostCertain,
}

impl Likelihood {
    /// The band a probability falls in. Band edges belong to the band nearer 50 % (0.55 is
    /// "roughly even chance", 0.80 "likely"), so that rounding never overstates. Probabilities
    /// under 1 % and over 99 % take the outer bands: ICD 203 has no words beyond them.
    pub fn from_probability(probability: f64) -> Likelihood {
        let p = if probability.is_nan() {
            0.5
        } else {
            probability.clamp(0.0, 1.0)
        };
        if p < 0.05 {
            Likelihood::AlmostNoChance
        } else if p < 0.20 {
            Likelihood::VeryUnlikely
        } else if p < 0.45 {
            Likelihood::Unlikely
        } else if p <= 0.55 {
            Likelihood::RoughlyEvenChance
        } else if p <= 0.80 {
            Likelihood::Likely
        } else if p <= 0.95 {
            Likelihood::VeryLikely
        } else {
            Likelihood::AlmostCertain
        }
    }

    /// The band as ICD 203 prints it: "55-80 %".
    pub fn range(self) -> &'static str {
        match self {
            Likelihood::AlmostNoChance => "1-5 %",
            Likelihood::VeryUnlikely => "5-20 %",
            Likelihood::Unlikely => "20-45 %",
            Likelihood::RoughlyEvenChance => "45-55 %",
            Likelihood::Likely => "55-80 %",
            Likelihood::VeryLikely => "80-95 %",
            Likelihood::AlmostCertain => "95-99 %",
        }
    }

    /// The words that open a sentence about the judgment, with the band: "it is very likely
    /// (80-95 %) that".
    pub fn opening(self) -> String {
        let words = match self {
            Likelihood::AlmostNoChance => "there is almost no chance",
            Likelihood::VeryUnlikely => "it is very unlikely",
            Likelihood::Unlikely => "it is unlikely",
            Likelihood::RoughlyEvenChance => "there is a roughly even chance",
            Likelihood::Likely => "it is likely",
            Likelihood::VeryLikely => "it is very likely",
            Likelihood::AlmostCertain => "it is almost certain",
        };
        format!("{words} ({}) that", self.range())
    }
}

/// How much the evidence behind a judgment can be trusted, apart from the judgment's
/// likelihood: the three levels analysts use with ICD 203 (high, moderate, low). Ordered, so
/// the rules can cap it with `min`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    Low,
    Moderate,
    High,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Moderate => "moderate",
            Confidence::High => "high",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(got: f64, want: f64, tolerance: f64) -> bool {
        (got - want).abs() <= tolerance
    }

    #[test]
    fn wilson_matches_published_values() {
        // Brown, Cai and DasGupta (2001) and any statistics package: 0 of 10 -> [0, 0.2775];
        // 10 of 10 -> [0.7225, 1]; 5 of 10 -> [0.2366, 0.7634].
        let [lo, hi] = wilson_interval(0, 10);
        assert_eq!(lo, 0.0);
        assert!(close(hi, 0.2775, 1e-4), "{hi}");
        let [lo, hi] = wilson_interval(10, 10);
        assert!(close(lo, 0.7225, 1e-4), "{lo}");
        assert_eq!(hi, 1.0);
        let [lo, hi] = wilson_interval(5, 10);
        assert!(
            close(lo, 0.2366, 1e-4) && close(hi, 0.7634, 1e-4),
            "{lo} {hi}"
        );
        // 34 of 40 (the rented-server flood's Germany): [0.7093, 0.9294].
        let [lo, hi] = wilson_interval(34, 40);
        assert!(
            close(lo, 0.7093, 1e-4) && close(hi, 0.9294, 1e-4),
            "{lo} {hi}"
        );
        // 0 of n: the upper bound is z^2 / (n + z^2).
        let [_, hi] = wilson_interval(0, 40);
        assert!(close(hi, Z_95 * Z_95 / (40.0 + Z_95 * Z_95), 1e-12));
    }

    #[test]
    fn wilson_edge_cases() {
        assert_eq!(wilson_interval(0, 0), [0.0, 1.0]);
        assert_eq!(wilson_interval(7, 3), wilson_interval(3, 3));
        let [lo, hi] = wilson_interval(u64::MAX / 2, u64::MAX);
        assert!(lo <= 0.5 && 0.5 <= hi && hi - lo < 1e-6);
        for n in [1u64, 2, 7, 40, 1_000, 1_000_000] {
            for k in [0, 1, n / 3, n / 2, n.saturating_sub(1), n] {
                let [lo, hi] = wilson_interval(k, n);
                let p = k as f64 / n as f64;
                assert!(0.0 <= lo && lo <= p && p <= hi && hi <= 1.0, "{k}/{n}");
            }
        }
    }

    #[test]
    fn normal_cdf_known_values() {
        assert!(close(normal_cdf(0.0), 0.5, 1e-15));
        assert!(close(normal_cdf(Z_95), 0.975, 1e-12));
        assert!(close(normal_cdf(-Z_95), 0.025, 1e-12));
        assert!(close(normal_cdf(1.0), 0.841_344_746_068_542_9, 1e-12));
        assert!(close(normal_cdf(-3.0), 0.001_349_898_031_630_095, 1e-14));
        assert_eq!(normal_cdf(f64::INFINITY), 1.0);
        assert_eq!(normal_cdf(f64::NEG_INFINITY), 0.0);
        assert_eq!(normal_cdf(f64::NAN), 0.5);
    }

    #[test]
    fn probability_agrees_with_the_wilson_bounds() {
        // The score test at the interval's bounds gives 2.5 % and 97.5 %.
        let [lo, hi] = wilson_interval(180, 1_100);
        assert!(close(probability_at_least(180, 1_100, hi), 0.025, 1e-9));
        assert!(close(probability_at_least(180, 1_100, lo), 0.975, 1e-9));
        assert!(close(probability_at_least(15, 100, 0.15), 0.5, 1e-12));
        assert_eq!(probability_at_least(1, 0, 0.15), 0.5);
        assert_eq!(probability_at_least(1, 10, 0.0), 1.0);
        assert_eq!(probability_at_least(1, 10, 1.0), 0.0);
        assert_eq!(probability_at_least(1, 10, f64::NAN), 0.0);
    }

    #[test]
    fn icd_203_bands_and_their_edges() {
        let cases = [
            (0.0, Likelihood::AlmostNoChance),
            (0.049, Likelihood::AlmostNoChance),
            (0.05, Likelihood::VeryUnlikely),
            (0.199, Likelihood::VeryUnlikely),
            (0.20, Likelihood::Unlikely),
            (0.449, Likelihood::Unlikely),
            (0.45, Likelihood::RoughlyEvenChance),
            (0.55, Likelihood::RoughlyEvenChance),
            (0.551, Likelihood::Likely),
            (0.80, Likelihood::Likely),
            (0.801, Likelihood::VeryLikely),
            (0.95, Likelihood::VeryLikely),
            (0.951, Likelihood::AlmostCertain),
            (1.0, Likelihood::AlmostCertain),
            (f64::NAN, Likelihood::RoughlyEvenChance),
            (-3.0, Likelihood::AlmostNoChance),
        ];
        for (p, want) in cases {
            assert_eq!(Likelihood::from_probability(p), want, "{p}");
        }
        assert_eq!(Likelihood::Likely.range(), "55-80 %");
        assert_eq!(
            Likelihood::AlmostNoChance.opening(),
            "there is almost no chance (1-5 %) that"
        );
        assert_eq!(
            serde_json::to_value(Likelihood::RoughlyEvenChance).unwrap(),
            "roughly_even_chance"
        );
        assert_eq!(
            serde_json::to_value(Likelihood::AlmostNoChance).unwrap(),
            "almost_no_chance"
        );
    }

    #[test]
    fn confidence_orders_and_serializes() {
        assert!(Confidence::Low < Confidence::Moderate && Confidence::Moderate < Confidence::High);
        assert_eq!(
            serde_json::to_value(Confidence::Moderate).unwrap(),
            "moderate"
        );
        assert_eq!(Confidence::High.as_str(), "high");
    }
}
