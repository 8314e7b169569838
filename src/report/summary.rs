//! The `summary` section: what happened in one line, and the few facts a ticket title needs.
//! Built last, from the other sections.

use serde::Serialize;

use super::origin::{CountryRow, SourcesReport, UNKNOWN_COUNTRY};
use crate::aggregate::vectors::VectorKind;
use crate::assess::spoofing::{SpoofingAssessment, Verdict};
use crate::assess::vectors::{VectorReport, Victim};
use crate::assess::waves::PeakRates;

/// Attack vectors smaller than this are not called an attack on their own: a few hundred SYNs
/// are a port scan or a busy client, not a denial of service.
const MIN_ATTACK_PACKETS: u64 = 1_000;

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub attack_detected: bool,
    /// The dominant vectors are reflection: the sources are reflectors (abused third-party
    /// servers), not the attacker's machines.
    pub reflection: bool,
    pub spoofing_likely: bool,
    /// One plain sentence for a ticket title.
    pub headline: String,
    pub top_vector: Option<VectorKind>,
    /// Highest packets and bits per second over one second.
    pub peak_pps: f64,
    pub peak_bps: f64,
}

pub struct SummaryInputs<'a> {
    pub vectors: &'a [VectorReport],
    pub victims: &'a [Victim],
    pub sources: &'a SourcesReport,
    pub countries: &'a [CountryRow],
    pub spoofing: &'a SpoofingAssessment,
    pub reflection: bool,
    pub top_vector: Option<VectorKind>,
    pub peak: PeakRates,
    pub waves: usize,
}

pub fn build(inputs: &SummaryInputs) -> Summary {
    let attack_packets: u64 = inputs
        .vectors
        .iter()
        .filter(|vector| vector.kind != VectorKind::BenignOrUnknown)
        .map(|vector| vector.packets)
        .sum();
    let attack_detected = inputs
        .top_vector
        .is_some_and(|kind| kind != VectorKind::BenignOrUnknown)
        && (attack_packets >= MIN_ATTACK_PACKETS || inputs.waves > 0);
    let spoofing_likely = inputs.spoofing.verdict == Verdict::Likely;
    Summary {
        attack_detected,
        reflection: inputs.reflection,
        spoofing_likely,
        headline: headline(inputs, attack_detected, attack_packets, spoofing_likely),
        top_vector: inputs.top_vector,
        peak_pps: inputs.peak.peak_pps,
        peak_bps: inputs.peak.peak_bps,
    }
}

/// "syn flood against 203.0.113.10: 37,841 packets from 37,623 source addresses geolocating to
/// 121 countries (most: US, 38 %); spoofing likely". Locations are always worded as where the
/// addresses geolocate, never as where the attack came from.
fn headline(inputs: &SummaryInputs, attack: bool, attack_packets: u64, spoofing: bool) -> String {
    let sources = inputs.sources.unique;
    if !attack {
        return format!(
            "No denial-of-service attack recognised: {} packets from {} source addresses",
            group(
                inputs
                    .sources
                    .top
                    .iter()
                    .map(|s| s.packets)
                    .sum::<u64>()
                    .max(attack_packets)
            ),
            group(sources)
        );
    }
    let kind = inputs
        .top_vector
        .map_or("attack".to_string(), |kind| kind.as_str().replace('_', " "));
    let mut targets: Vec<&str> = Vec::new();
    for victim in inputs.victims {
        if !targets.contains(&victim.ip.as_str()) {
            targets.push(&victim.ip);
        }
    }
    let target = match targets.as_slice() {
        [] => String::new(),
        [only] => format!(" against {only}"),
        [first, rest @ ..] => format!(" against {first} and {} more", rest.len()),
    };
    let who = if inputs.reflection {
        "reflector addresses"
    } else {
        "source addresses"
    };
    let located: Vec<&CountryRow> = inputs
        .countries
        .iter()
        .filter(|row| row.code != UNKNOWN_COUNTRY)
        .collect();
    let geography = match located.first() {
        Some(top) => format!(
            " geolocating to {} countries (most: {}, {:.0} %)",
            located.len(),
            top.code,
            top.share_sources * 100.0
        ),
        None => String::new(),
    };
    let caveat = if spoofing { "; spoofing likely" } else { "" };
    format!(
        "{kind}{target}: {} packets from {} {who}{geography}{caveat}",
        group(attack_packets),
        group(sources)
    )
}

/// 37841 -> "37,841".
fn group(number: u64) -> String {
    let digits = number.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped_by_thousands() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(37_841), "37,841");
        assert_eq!(group(1_234_567), "1,234,567");
    }
}
