//! The report's `attribution` section: gathers what `assess::attribution` needs from the
//! report's other parts (the attack senders and their origins, spoofing, reflection, capture
//! and database facts) and runs it.

use super::senders::{SenderRecord, Senders};
use crate::aggregate::vectors::VectorKind;
use crate::assess::attribution::{
    self, Attribution, AttributionInputs, CaptureFacts, Claim, DatabaseBuild, GeoipFacts, Sender,
};
use crate::assess::spoofing::SpoofingAssessment;
use crate::assess::vectors::VectorReport;
use crate::capture::CaptureSummary;
use crate::enrich::geoip::{DatabaseSource, Role};
use crate::enrich::{AsnCategory, GeoDatabases};

use super::Traffic;

/// Everything the section is built from.
pub struct AttributionParts<'a> {
    pub senders: &'a AttributionSenders,
    pub attack: &'a Traffic,
    pub databases: &'a GeoDatabases,
    pub claims: &'a [Claim],
    pub attack_detected: bool,
    pub spoofing: &'a SpoofingAssessment,
    pub reflection: bool,
    pub vectors: &'a [VectorReport],
}

pub fn build(parts: &AttributionParts) -> Attribution {
    let AttributionSenders { senders, baseline } = parts.senders;
    // The databases are walked only when a claim will be judged.
    let assessing = parts.attack_detected || !parts.claims.is_empty();
    let space = assessing.then(|| parts.databases.address_space());
    let share = |claim: &Claim| {
        let space = space.as_ref()?;
        match claim {
            Claim::Country(country) => space.country_share(*country),
            Claim::Asn(asn) => space.asn_share(*asn),
            Claim::Prefix(network) => space.prefix_share(network),
        }
    };
    let reflection_vectors: Vec<String> = parts
        .vectors
        .iter()
        .filter(|row| row.reflection && row.kind != VectorKind::BenignOrUnknown)
        .map(|row| row.kind.as_str().to_string())
        .collect();
    attribution::assess(&AttributionInputs {
        senders,
        baseline: baseline.as_deref(),
        address_space_share: space
            .is_some()
            .then_some(&share as &dyn Fn(&Claim) -> Option<f64>),
        attack_detected: parts.attack_detected,
        spoofing_verdict: parts.spoofing.verdict,
        spoofing_score: parts.spoofing.score,
        reflection: parts.reflection,
        reflection_vectors: &reflection_vectors,
        capture: capture_facts(parts.attack),
        geoip: geoip_facts(parts.databases),
        claims: parts.claims,
    })
}

/// The attack's senders, and the baseline's sources, as attribution reads them.
pub struct AttributionSenders {
    senders: Vec<Sender>,
    baseline: Option<Vec<Sender>>,
}

impl AttributionSenders {
    pub fn of(senders: Senders, baseline: Option<&Traffic>) -> AttributionSenders {
        AttributionSenders {
            senders: senders_of(senders),
            baseline: baseline
                .map(|traffic| senders_of(Senders::all(&traffic.sources, &traffic.enrichment))),
        }
    }
}

/// The attribution view of each sender.
fn senders_of(senders: Senders) -> Vec<Sender> {
    let enrichment = senders.enrichment();
    senders
        .iter()
        .map(
            |SenderRecord {
                 address,
                 stats,
                 origin,
             }| Sender {
                address,
                packets: stats.packets,
                country: origin.country,
                registered_country: origin.registered_country,
                asn: origin.asn,
                validated: stats.validated,
                bogon: origin.bogon.is_some(),
                hosting: enrichment.category(origin) == AsnCategory::Hosting,
                anonymizer: origin.anonymizer.is_some(),
            },
        )
        .collect()
}

fn capture_facts(traffic: &Traffic) -> CaptureFacts {
    let captures: &[CaptureSummary] = &traffic.captures;
    let totals = &traffic.aggregate.totals;
    let drops: Vec<u64> = captures
        .iter()
        .filter_map(|capture| capture.interface_drops)
        .collect();
    CaptureFacts {
        inputs: captures.len(),
        interfaces: captures
            .iter()
            .map(|capture| capture.link_types.len())
            .sum(),
        truncated_inputs: captures.iter().filter(|capture| capture.truncated).count(),
        packets: totals.packets,
        interface_drops: (!drops.is_empty()).then(|| drops.iter().sum()),
        undecodable_packets: totals.undecodable_packets(),
        ipv6_packets: totals.ipv6_packets,
        duration_s: totals.span.duration_s(),
        // Not tracked: the readers do not count timestamps that go backwards.
        out_of_order_packets: None,
        first_seen_s: totals
            .span
            .first_ns()
            .map(|ns| ns.div_euclid(1_000_000_000)),
        // pcap and pcapng do not record sampling; the caveat says so when it applies.
        sampling_one_in: None,
    }
}

fn geoip_facts(databases: &GeoDatabases) -> GeoipFacts {
    let mut facts = GeoipFacts::default();
    for (role, database) in databases.assignments() {
        let name = match role {
            Role::Country => {
                facts.country_database_embedded =
                    matches!(database.source, DatabaseSource::Embedded(_));
                facts.ipv6_coverage = database.covers_ipv6();
                "country"
            }
            Role::Asn => "asn",
            Role::Anonymizer => "anonymizer",
        };
        facts.builds.push(DatabaseBuild {
            role: name.to_string(),
            build_epoch_s: i64::try_from(database.build_epoch).unwrap_or(i64::MAX),
        });
    }
    facts
}
