//! The diversity figures of `sources` and the `spoofing` section: computed from the source
//! list and its enrichment with the statistics of `assess::diversity` and `assess::spoofing`.

use serde::Serialize;

use super::origin::{CountryRow, UNKNOWN_COUNTRY};
use super::senders::Senders;
use crate::assess::diversity::{self, Percentiles};
use crate::assess::spoofing::{self, SpoofingAssessment, SpoofingInput};

/// Figures on how spread out the sources are; `null` where there are no sources to measure.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DiversityFields {
    /// Distinct /24 (IPv4) and /48 (IPv6) prefixes among the sources.
    pub unique_prefixes: u64,
    pub single_packet_share: Option<f64>,
    pub packets_per_source: Option<Percentiles>,
    /// Shannon entropy of the sources weighted by packets.
    pub entropy_bits: Option<f64>,
    pub entropy_normalized: Option<f64>,
    /// Entropy of the located sources over countries ("ZZ" left out).
    pub country_entropy_bits: Option<f64>,
    /// 2^country_entropy_bits: how many equally large countries would give the same spread.
    pub effective_countries: Option<f64>,
    /// Herfindahl-Hirschman index over countries by sources, as a fraction in [0, 1].
    pub country_hhi: Option<f64>,
    pub gini_packets: Option<f64>,
    /// Share of packets sent by the ten busiest sources.
    pub top_share_10: Option<f64>,
    /// Every source was counted individually (no sketch).
    pub exact: bool,
}

pub fn diversity(sources: Senders, countries: &[CountryRow]) -> DiversityFields {
    let mut packets: Vec<u64> = sources.stats().map(|stats| stats.packets).collect();
    let distribution = diversity::source_distribution(&mut packets);
    let per_country: Vec<u64> = countries
        .iter()
        .filter(|row| row.code != UNKNOWN_COUNTRY)
        .map(|row| row.sources)
        .collect();
    let concentration = diversity::country_concentration(&per_country);
    DiversityFields {
        unique_prefixes: diversity::unique_prefixes(sources.addresses()),
        single_packet_share: distribution.as_ref().map(|d| d.single_packet_share),
        packets_per_source: distribution.as_ref().map(|d| d.packets_per_source.clone()),
        entropy_bits: distribution.as_ref().map(|d| d.entropy_bits),
        entropy_normalized: distribution.as_ref().map(|d| d.entropy_normalized),
        country_entropy_bits: concentration.as_ref().map(|c| c.country_entropy_bits),
        effective_countries: concentration.as_ref().map(|c| c.effective_countries),
        country_hhi: concentration.as_ref().map(|c| c.country_hhi),
        gini_packets: distribution.as_ref().map(|d| d.gini_packets),
        top_share_10: distribution.as_ref().map(|d| d.top_share_10),
        exact: true,
    }
}

/// The spoofing indicators over all sources. `reflection` says the sources are reflectors
/// answering spoofed requests, whose own addresses are genuine.
pub fn spoofing(sources: Senders, reflection: bool) -> SpoofingAssessment {
    let mut counts = SourceCounts::default();
    for sender in sources.iter() {
        counts.bogon += u64::from(sender.origin.bogon.is_some());
        let ttls = &sender.stats.ttls;
        counts.ttl_inconsistent +=
            u64::from(spoofing::ttl_inconsistent(ttls.values(), ttls.overflowed()));
        counts.single_packet += u64::from(sender.stats.packets == 1);
        counts.validated += u64::from(sender.stats.validated);
    }
    let per_slash8 = spoofing::ipv4_sources_per_slash8(sources.addresses());
    spoofing::assess(&SpoofingInput {
        sources: sources.len() as u64,
        bogon_sources: counts.bogon,
        ttl_inconsistent_sources: counts.ttl_inconsistent,
        single_packet_sources: counts.single_packet,
        uniformity_p_value: spoofing::uniformity_p_value(&per_slash8),
        slash8_evenness: spoofing::slash8_evenness(&per_slash8),
        reflection,
        validated_sources: counts.validated,
    })
}

/// Sources with each spoofing indicator, counted in one pass.
#[derive(Default)]
struct SourceCounts {
    bogon: u64,
    ttl_inconsistent: u64,
    single_packet: u64,
    validated: u64,
}
