//! The report model: one serde tree that JSON prints as is and every template renders. Field
//! names follow `shared/design/report-contract.md` (schema `whence.report/1`).

mod anonymize;
mod attribution;
mod diversity;
mod origin;
mod senders;
mod summary;

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::Serialize;

use crate::aggregate::timeline::Timeline;
use crate::aggregate::{Aggregate, BeyondCap, SourceList};
use crate::assess::attribution::Attribution;
use crate::assess::spoofing::SpoofingAssessment;
use crate::assess::vectors::{self, BackscatterReport, VectorReport, Victim};
use crate::assess::waves::{self, TimelineReport, WaveReport};
use crate::capture::{CaptureSummary, Compression, Format};
use crate::config::Config;
use crate::decode::link_type_name;
use crate::enrich::{CountryCode, Enrichment, GeoDatabases};
use crate::timestamp::{TimeSpan, format_rfc3339};
use senders::Senders;
use summary::{Summary, SummaryInputs};

pub use anonymize::{anonymize_victims, file_stem};

pub const SCHEMA: &str = "whence.report/1";

/// Countries listed per wave: enough to see whether the origin mix changed between waves.
const TOP_COUNTRIES_PER_WAVE: usize = 5;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub tool: Tool,
    pub generated_at: String,
    pub command_line: Vec<String>,
    pub summary: Summary,
    pub inputs: Vec<InputReport>,
    /// `null` without `--baseline`.
    pub baseline: Option<BaselineReport>,
    pub geoip: GeoipReport,
    pub totals: TotalsReport,
    pub sources: SourcesReport,
    pub countries: Vec<CountryRow>,
    pub asns: Vec<AsnRow>,
    pub victims: Vec<Victim>,
    pub vectors: Vec<VectorReport>,
    /// Replies to spoofed traffic (SYN-ACKs, RSTs, ICMP errors sent to forged addresses),
    /// counted apart: they are not attack traffic and their destinations are not sources.
    pub backscatter: BackscatterReport,
    pub spoofing: SpoofingAssessment,
    pub timeline: TimelineReport,
    pub waves: Vec<WaveReport>,
    pub attribution: Attribution,
}

pub use origin::{
    AsnRow, BeyondCapReport, BogonSummary, CountryRow, DatabaseReport, GeoipReport, SourcesReport,
    TopSource, UNKNOWN_COUNTRY,
};

/// One body of traffic, read and enriched: the attack captures, or the baseline's.
pub struct Traffic {
    pub captures: Vec<CaptureSummary>,
    pub aggregate: Aggregate,
    pub sources: SourceList,
    /// Sources past the cap (`--max-sources`), counted by sketches; `None` when every source
    /// was counted one by one.
    pub beyond_cap: Option<Box<BeyondCap>>,
    pub enrichment: Enrichment,
}

/// Everything the report is built from.
pub struct ReportInputs<'a> {
    pub config: &'a Config,
    pub attack: &'a Traffic,
    /// Normal traffic to compare the attack's origins with (`--baseline`).
    pub baseline: Option<&'a Traffic>,
    pub databases: &'a GeoDatabases,
}

/// The baseline the origin shares were compared with.
#[derive(Debug, Clone, Serialize)]
pub struct BaselineReport {
    pub inputs: Vec<InputReport>,
    pub sources: u64,
    pub packets: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

/// One input as read: what it is, its hash, and how far it could be read.
#[derive(Debug, Clone, Serialize)]
pub struct InputReport {
    pub path: String,
    pub sha256: Option<String>,
    pub bytes: Option<u64>,
    pub format: Option<Format>,
    pub compression: Option<Compression>,
    pub link_types: Vec<String>,
    pub packets: u64,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub truncated: bool,
    pub interface_drops: Option<u64>,
    pub warnings: Vec<String>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TotalsReport {
    pub packets: u64,
    pub bytes: u64,
    pub ipv4_packets: u64,
    pub ipv6_packets: u64,
    pub non_ip_packets: u64,
    /// Non-IP packets by link type name.
    pub non_ip_by_link_type: BTreeMap<String, u64>,
    pub undecodable_packets: u64,
    /// Undecodable packets by reason.
    pub undecodable_by_reason: BTreeMap<&'static str, u64>,
    pub fragments: u64,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub duration_s: Option<f64>,
}

impl Report {
    pub fn build(parts: &ReportInputs) -> Report {
        let ReportInputs {
            config,
            attack,
            baseline,
            databases,
        } = parts;
        let aggregate = &attack.aggregate;
        debug_assert!(
            aggregate.is_finished(),
            "Aggregate::finish must run before the report reads the counters"
        );
        let candidates = vectors::choose_victims(&aggregate.vectors, &config.victims);
        // A victim's own packets (its DNS queries, its answers) are not any vector's sources.
        let is_candidate = |address: &IpAddr| {
            candidates
                .iter()
                .any(|victim| victim.network.contains(*address))
        };
        let vector_rows = vectors::vectors_report(
            &aggregate.vectors,
            &candidates,
            senders::sources_per_vector_mask(&attack.sources, is_candidate),
        );
        let victims = vectors::attack_victims(&aggregate.vectors, &candidates, &vector_rows);
        let kept = senders::attack_sender_indices(
            &attack.sources,
            &victims,
            &config.victims,
            &vector_rows,
        );
        let senders = match &kept {
            Some(kept) => Senders::kept(&attack.sources, &attack.enrichment, kept),
            None => Senders::all(&attack.sources, &attack.enrichment),
        };
        let reflection = vectors::is_reflection(&vector_rows);
        // Each section below is a pass over every sender, and none needs another's result:
        // with millions of senders they take most of the report's time, so they run side by
        // side (each is deterministic, so the report is the same whatever the order).
        let ((origin, waves), (spoofing, attribution_senders)) = rayon::join(
            || {
                rayon::join(
                    || origin_sections(senders, attack, *baseline, config.top_sources),
                    || wave_section(senders, &aggregate.timeline, &victims),
                )
            },
            || {
                rayon::join(
                    || diversity::spoofing(senders, reflection),
                    || attribution::AttributionSenders::of(senders, *baseline),
                )
            },
        );
        let summary = summary::build(&SummaryInputs {
            vectors: &vector_rows,
            victims: &victims,
            sources: &origin.sources,
            countries: &origin.countries,
            spoofing: &spoofing,
            reflection,
            top_vector: vectors::top_vector(&vector_rows),
            peak: waves::peak_rates(&aggregate.timeline),
            waves: waves.len(),
        });
        let attribution = attribution::build(&attribution::AttributionParts {
            senders: &attribution_senders,
            attack,
            databases,
            claims: &config.claims,
            attack_detected: summary.attack_detected,
            spoofing: &spoofing,
            reflection,
            vectors: &vector_rows,
        });
        Report {
            schema: SCHEMA,
            tool: Tool {
                name: env!("CARGO_PKG_NAME"),
                version: env!("CARGO_PKG_VERSION"),
            },
            generated_at: format_rfc3339(config.generated_at.saturating_mul(1_000_000_000)),
            command_line: config.command_line.clone(),
            summary,
            inputs: attack
                .captures
                .iter()
                .map(InputReport::from_summary)
                .collect(),
            baseline: baseline.map(|baseline| BaselineReport {
                inputs: baseline
                    .captures
                    .iter()
                    .map(InputReport::from_summary)
                    .collect(),
                sources: baseline.sources.len() as u64,
                packets: baseline.aggregate.totals.packets,
            }),
            geoip: origin::geoip_section(
                databases,
                &attack.enrichment,
                aggregate.totals.span.first_ns(),
            ),
            totals: TotalsReport::from_aggregate(aggregate),
            sources: origin.sources,
            countries: origin.countries,
            asns: origin.asns,
            backscatter: vectors::backscatter_report(&aggregate.vectors, &victims),
            victims,
            vectors: vector_rows,
            spoofing,
            timeline: waves::timeline_report(&aggregate.timeline, &config.timezone),
            waves,
            attribution,
        }
    }
}

/// `sources`, `countries` and `asns` over the attack senders, with their diversity and, given
/// a baseline, each row's baseline share and lift.
fn origin_sections(
    senders: Senders,
    attack: &Traffic,
    baseline: Option<&Traffic>,
    top_sources: usize,
) -> origin::OriginSections {
    let mut origin = origin::build(senders, top_sources);
    origin.sources.diversity = diversity::diversity(senders, &origin.countries);
    origin.sources.all_senders = attack.sources.len() as u64;
    if let Some(beyond) = &attack.beyond_cap {
        origin::add_beyond_cap(&mut origin.sources, beyond);
    }
    if let Some(baseline) = baseline {
        let normal = origin::build(Senders::all(&baseline.sources, &baseline.enrichment), 0);
        origin::compare_with_baseline(&mut origin, &normal);
    }
    origin
}

/// `waves[]`: the waves of the attack series and the senders active in each. None where no
/// attack was recognised (no victim): waves are periods of attack.
fn wave_section(senders: Senders, timeline: &Timeline, victims: &[Victim]) -> Vec<WaveReport> {
    if victims.is_empty() {
        return Vec::new();
    }
    let detected = waves::detect_waves(timeline);
    let wave_sources = senders.iter().filter_map(|sender| {
        // Bogons send like any other source but have no country to rank.
        let country = sender.origin.bogon.is_none().then(|| {
            sender
                .origin
                .country
                .as_ref()
                .map_or(UNKNOWN_COUNTRY, CountryCode::as_str)
        });
        Some(waves::WaveSender {
            first_ns: sender.stats.span.first_ns()?,
            last_ns: sender.stats.span.last_ns()?,
            country,
            packets: sender.stats.packets,
            bytes: sender.stats.bytes,
        })
    });
    let mut waves = waves::wave_reports(&detected, wave_sources, TOP_COUNTRIES_PER_WAVE);
    let filter = vectors::victims_filter(victims);
    for wave in &mut waves {
        wave.bpf.clone_from(&filter);
    }
    waves
}

fn span_text(span: &TimeSpan) -> (Option<String>, Option<String>) {
    (
        span.first_ns().map(format_rfc3339),
        span.last_ns().map(format_rfc3339),
    )
}

impl InputReport {
    fn from_summary(summary: &CaptureSummary) -> InputReport {
        let (first_seen, last_seen) = span_text(&summary.span);
        InputReport {
            path: summary.name.clone(),
            sha256: summary.sha256.clone(),
            bytes: summary.bytes,
            format: summary.format,
            compression: summary.compression,
            link_types: summary
                .link_types
                .iter()
                .map(|&link_type| link_type_name(link_type).into_owned())
                .collect(),
            packets: summary.packets,
            first_seen,
            last_seen,
            truncated: summary.truncated,
            interface_drops: summary.interface_drops,
            warnings: summary.warnings.lines(),
            error: summary.error.clone(),
        }
    }
}

impl TotalsReport {
    fn from_aggregate(aggregate: &Aggregate) -> TotalsReport {
        let totals = &aggregate.totals;
        let (first_seen, last_seen) = span_text(&totals.span);
        TotalsReport {
            packets: totals.packets,
            bytes: totals.bytes,
            ipv4_packets: totals.ipv4_packets,
            ipv6_packets: totals.ipv6_packets,
            non_ip_packets: totals.non_ip_packets(),
            non_ip_by_link_type: totals
                .non_ip_by_link_type
                .iter()
                .map(|(&link_type, &count)| (link_type_name(link_type).into_owned(), count))
                .collect(),
            undecodable_packets: totals.undecodable_packets(),
            undecodable_by_reason: totals
                .undecodable_by_reason
                .iter()
                .map(|(reason, &count)| (reason.as_str(), count))
                .collect(),
            fragments: totals.fragments,
            first_seen,
            last_seen,
            duration_s: totals.span.duration_s(),
        }
    }
}

/// The report as pretty-printed JSON with a final newline.
pub fn to_json(report: &Report) -> serde_json::Result<String> {
    let mut text = serde_json::to_string_pretty(report)?;
    text.push('\n');
    Ok(text)
}
