//! The origin sections of the report: `sources` (how many, and the busiest), `countries[]`,
//! `asns[]` and `geoip.databases[]`, built from the source table and its enrichment.
//!
//! Shares are over the sources that could have a location: bogon sources are counted apart and
//! never given a country (they cannot be genuine Internet sources). A non-bogon source that no
//! database locates is counted under "ZZ".

use std::collections::{BTreeMap, BinaryHeap, HashMap};

use serde::Serialize;

use super::diversity::DiversityFields;
use super::senders::{SenderRecord, Senders};
use crate::aggregate::sketch::SourceCardinality;
use crate::aggregate::{BeyondCap, SourceStats};
use crate::enrich::countries;
use crate::enrich::databases::{EMBEDDED_ASN_ATTRIBUTION, EMBEDDED_COUNTRY_ATTRIBUTION};
use crate::enrich::geoip::{DatabaseSource, RecordSchema, Role};
use crate::enrich::{AsnCategory, CountryCode, Enrichment, GeoDatabases, SourceOrigin};

type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
use crate::timestamp::format_rfc3339;

/// Code for "no database knows", as ISO 3166 reserves it for user assignment.
pub const UNKNOWN_COUNTRY: &str = "ZZ";

#[derive(Debug, Clone, Serialize)]
pub struct SourcesReport {
    /// Senders of attack traffic: sources that sent to a victim and are not victims themselves
    /// (every source when no attack was recognised). All figures of `sources`, `countries`,
    /// `asns`, `spoofing` and `waves` are over these.
    pub unique: u64,
    /// Every distinct source address in the capture, attack or not.
    pub all_senders: u64,
    pub unique_ipv4: u64,
    pub unique_ipv6: u64,
    pub unique_asns: u64,
    /// Countries other than "ZZ".
    pub unique_countries: u64,
    /// Non-bogon sources no database could place in an ASN.
    pub without_asn: u64,
    /// Sources that completed a TCP handshake: they received replies at their address, so
    /// they cannot have been spoofed. Only this group supports claims about where traffic
    /// came from when spoofing is possible.
    pub validated: u64,
    pub bogons: BogonSummary,
    #[serde(flatten)]
    pub diversity: DiversityFields,
    pub top: Vec<TopSource>,
    /// Sources past `--max-sources`, counted by sketches (then `exact` is false); `null` when
    /// every source was counted one by one.
    pub beyond_cap: Option<BeyondCapReport>,
}

/// The sources the table had no room for. They are in `unique` (by estimate) but in no
/// other figure: not in countries, ASNs, diversity or spoofing, which cover the exact part.
#[derive(Debug, Clone, Serialize)]
pub struct BeyondCapReport {
    /// HyperLogLog estimate of the distinct sources past the cap.
    pub estimated_sources: u64,
    /// Its relative standard error (1.04 / sqrt(registers)).
    pub relative_standard_error: f64,
    pub packets: u64,
    pub bytes: u64,
    /// The busiest of them (Space-Saving): `packets` may over-count by up to `error`.
    pub busiest: Vec<BusiestBeyondCap>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BusiestBeyondCap {
    pub ip: String,
    pub packets: u64,
    pub error: u64,
}

/// How many of the busiest sources past the cap the report lists.
const BUSIEST_LISTED: usize = 20;

/// Adds the sources past the cap to `unique` (by estimate) and describes them; the figures
/// over the exact part stay as they are, and `exact` turns false.
pub fn add_beyond_cap(sources: &mut SourcesReport, beyond: &BeyondCap) {
    let estimated = beyond.distinct.estimate().round() as u64;
    sources.unique += estimated;
    sources.diversity.exact = false;
    sources.beyond_cap = Some(BeyondCapReport {
        estimated_sources: estimated,
        relative_standard_error: SourceCardinality::standard_error(),
        packets: beyond.packets,
        bytes: beyond.bytes,
        busiest: beyond
            .busiest
            .top(BUSIEST_LISTED)
            .into_iter()
            .map(|hitter| BusiestBeyondCap {
                ip: hitter.address.to_string(),
                packets: hitter.count,
                error: hitter.error,
            })
            .collect(),
    });
}

#[derive(Debug, Clone, Serialize)]
pub struct BogonSummary {
    pub sources: u64,
    pub packets: u64,
    /// Sources per bogon class.
    pub classes: BTreeMap<&'static str, u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TopSource {
    pub ip: String,
    pub packets: u64,
    pub bytes: u64,
    pub country: Option<String>,
    pub registered_country: Option<String>,
    pub asn: Option<u32>,
    pub as_org: Option<String>,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub ttl_values: Vec<u8>,
    pub flags: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CountryRow {
    pub code: String,
    pub name: String,
    pub continent: String,
    pub sources: u64,
    /// Of `sources`, those that completed a TCP handshake.
    pub validated: u64,
    pub packets: u64,
    pub bytes: u64,
    pub share_sources: f64,
    pub share_packets: f64,
    pub share_bytes: f64,
    /// Share in the baseline capture; `null` without `--baseline`.
    pub baseline_share: Option<f64>,
    pub lift: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AsnRow {
    pub asn: u32,
    pub org: Option<String>,
    /// The country most of this ASN's sources geolocate to.
    pub country: String,
    pub category: AsnCategory,
    pub sources: u64,
    pub validated: u64,
    pub packets: u64,
    pub bytes: u64,
    pub share_sources: f64,
    pub share_packets: f64,
    /// Share of the baseline's sources in this ASN; `null` without `--baseline`.
    pub baseline_share: Option<f64>,
    pub lift: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GeoipReport {
    pub databases: Vec<DatabaseReport>,
    /// Lookups that failed because a database record would not decode.
    pub lookup_errors: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct DatabaseReport {
    pub role: Role,
    pub source: String,
    pub database_type: String,
    pub build_date: Option<String>,
    pub build_epoch: u64,
    pub record_schema: RecordSchema,
    pub attribution: String,
    /// Days from the database's build to the first packet (negative: the database is newer
    /// than the capture). GeoIP data drifts; a large gap weakens every location.
    pub days_build_to_first_packet: Option<i64>,
}

/// Counts of one group (a country, an ASN).
#[derive(Default)]
struct Tally {
    sources: u64,
    validated: u64,
    packets: u64,
    bytes: u64,
}

impl Tally {
    fn add(&mut self, stats: &SourceStats) {
        self.sources += 1;
        self.validated += u64::from(stats.validated);
        self.packets += stats.packets;
        self.bytes += stats.bytes;
    }

    fn merge(&mut self, other: &Tally) {
        self.sources += other.sources;
        self.validated += other.validated;
        self.packets += other.packets;
        self.bytes += other.bytes;
    }
}

/// An ASN's counts, with what is needed to name and place it.
struct AsnTally {
    tally: Tally,
    org: Option<String>,
    category: AsnCategory,
    sources_by_country: BTreeMap<CountryCode, u64>,
}

fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

pub struct OriginSections {
    pub sources: SourcesReport,
    pub countries: Vec<CountryRow>,
    pub asns: Vec<AsnRow>,
}

pub fn build(sources: Senders, top_count: usize) -> OriginSections {
    let enrichment = sources.enrichment();
    let mut located = Tally::default();
    let mut bogons = BogonSummary {
        sources: 0,
        packets: 0,
        classes: BTreeMap::new(),
    };
    // Hashed: the rows are ordered once they are complete.
    let mut by_country: FastMap<CountryCode, Tally> = FastMap::default();
    let mut by_asn: FastMap<u32, AsnTally> = FastMap::default();
    let (mut unique_ipv4, mut unique_ipv6, mut without_asn) = (0, 0, 0);
    // Sources come in address order, and neighbouring addresses mostly share their country and
    // ASN: a run of them is tallied on its own and added to the maps once, not per source.
    let mut run: Option<(CountryCode, Option<u32>, Tally)> = None;
    let mut end_run = |country: CountryCode, asn: Option<u32>, tally: &Tally| {
        by_country.entry(country).or_default().merge(tally);
        match asn {
            Some(asn) => {
                let entry = by_asn.entry(asn).or_insert_with(|| {
                    let details = enrichment.asn(asn);
                    AsnTally {
                        tally: Tally::default(),
                        org: details.and_then(|details| details.org.clone()),
                        category: details.map_or(AsnCategory::Unknown, |details| details.category),
                        sources_by_country: BTreeMap::new(),
                    }
                });
                entry.tally.merge(tally);
                *entry.sources_by_country.entry(country).or_default() += tally.sources;
            }
            None => without_asn += tally.sources,
        }
    };
    let mut validated = 0;
    for SenderRecord {
        address,
        stats,
        origin,
    } in sources.iter()
    {
        if address.is_ipv4() {
            unique_ipv4 += 1;
        } else {
            unique_ipv6 += 1;
        }
        validated += u64::from(stats.validated);
        if let Some(class) = origin.bogon {
            bogons.sources += 1;
            bogons.packets += stats.packets;
            *bogons.classes.entry(class.as_str()).or_default() += 1;
            continue;
        }
        located.add(stats);
        let country = origin.country.unwrap_or(CountryCode::UNKNOWN);
        match &mut run {
            Some((run_country, run_asn, tally))
                if *run_country == country && *run_asn == origin.asn =>
            {
                tally.add(stats);
            }
            _ => {
                let mut tally = Tally::default();
                tally.add(stats);
                if let Some((country, asn, tally)) = run.replace((country, origin.asn, tally)) {
                    end_run(country, asn, &tally);
                }
            }
        }
    }
    if let Some((country, asn, tally)) = run {
        end_run(country, asn, &tally);
    }

    let mut countries: Vec<CountryRow> = by_country
        .into_iter()
        .map(|(code, tally)| CountryRow {
            name: countries::name(code.as_str()).to_string(),
            continent: countries::continent(code.as_str()).to_string(),
            share_sources: share(tally.sources, located.sources),
            share_packets: share(tally.packets, located.packets),
            share_bytes: share(tally.bytes, located.bytes),
            code: code.as_str().to_string(),
            sources: tally.sources,
            validated: tally.validated,
            packets: tally.packets,
            bytes: tally.bytes,
            baseline_share: None,
            lift: None,
        })
        .collect();
    countries.sort_by(|a, b| {
        (b.sources, b.packets)
            .cmp(&(a.sources, a.packets))
            .then_with(|| a.code.cmp(&b.code))
    });

    let mut asns: Vec<AsnRow> = by_asn
        .into_iter()
        .map(
            |(
                asn,
                AsnTally {
                    tally,
                    org,
                    category,
                    sources_by_country,
                },
            )| AsnRow {
                asn,
                org,
                country: most_common(&sources_by_country),
                category,
                share_sources: share(tally.sources, located.sources),
                share_packets: share(tally.packets, located.packets),
                sources: tally.sources,
                validated: tally.validated,
                packets: tally.packets,
                bytes: tally.bytes,
                baseline_share: None,
                lift: None,
            },
        )
        .collect();
    asns.sort_by(|a, b| {
        (b.sources, b.packets)
            .cmp(&(a.sources, a.packets))
            .then_with(|| a.asn.cmp(&b.asn))
    });

    let sources_report = SourcesReport {
        unique: sources.len() as u64,
        all_senders: sources.len() as u64,
        unique_ipv4,
        unique_ipv6,
        unique_asns: asns.len() as u64,
        unique_countries: countries
            .iter()
            .filter(|row| row.code != UNKNOWN_COUNTRY)
            .count() as u64,
        without_asn,
        validated,
        bogons,
        diversity: DiversityFields::default(),
        top: top_sources(sources, top_count),
        beyond_cap: None,
    };
    OriginSections {
        sources: sources_report,
        countries,
        asns,
    }
}

/// Fills `baseline_share` and `lift` of every country and ASN from the same figures computed
/// on normal traffic. Lift is the attack's share of sources over the baseline's: 1 means as
/// common as on a normal day, 5 means five times over-represented. A country or ASN absent from
/// the baseline has a baseline share of 0 and no lift (`null`): it cannot be compared.
pub fn compare_with_baseline(attack: &mut OriginSections, baseline: &OriginSections) {
    let country_shares: BTreeMap<&str, f64> = baseline
        .countries
        .iter()
        .map(|row| (row.code.as_str(), row.share_sources))
        .collect();
    for row in &mut attack.countries {
        let normal = country_shares
            .get(row.code.as_str())
            .copied()
            .unwrap_or(0.0);
        row.baseline_share = Some(normal);
        row.lift = lift(row.share_sources, normal);
    }
    let asn_shares: BTreeMap<u32, f64> = baseline
        .asns
        .iter()
        .map(|row| (row.asn, row.share_sources))
        .collect();
    for row in &mut attack.asns {
        let normal = asn_shares.get(&row.asn).copied().unwrap_or(0.0);
        row.baseline_share = Some(normal);
        row.lift = lift(row.share_sources, normal);
    }
}

fn lift(share: f64, baseline_share: f64) -> Option<f64> {
    (baseline_share > 0.0).then(|| share / baseline_share)
}

/// The key with the largest count; ties go to the smallest key, so the choice is stable.
fn most_common(counts: &BTreeMap<CountryCode, u64>) -> String {
    counts
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
        .map_or(UNKNOWN_COUNTRY, |(key, _)| key.as_str())
        .to_string()
}

/// The `count` busiest senders, most packets first (ties in address order).
///
/// One pass keeping the best so far in a heap whose top is the weakest kept: with millions of
/// senders, ranking all of them by index read their records at random, and most senders never
/// come close.
fn top_sources(sources: Senders, count: usize) -> Vec<TopSource> {
    /// Orders by rank, worst greatest: fewer packets, then later in address order.
    struct Ranked<'a> {
        key: (std::cmp::Reverse<u64>, usize),
        sender: SenderRecord<'a>,
    }
    impl PartialEq for Ranked<'_> {
        fn eq(&self, other: &Self) -> bool {
            self.key == other.key
        }
    }
    impl Eq for Ranked<'_> {}
    impl PartialOrd for Ranked<'_> {
        fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
            Some(self.cmp(other))
        }
    }
    impl Ord for Ranked<'_> {
        fn cmp(&self, other: &Self) -> std::cmp::Ordering {
            self.key.cmp(&other.key)
        }
    }

    let enrichment = sources.enrichment();
    let mut kept: BinaryHeap<Ranked> = BinaryHeap::new();
    for (order, sender) in sources.iter().enumerate() {
        let ranked = Ranked {
            key: (std::cmp::Reverse(sender.stats.packets), order),
            sender,
        };
        if kept.len() < count {
            kept.push(ranked);
        } else if kept.peek().is_some_and(|weakest| ranked < *weakest) {
            kept.pop();
            kept.push(ranked);
        }
    }
    let best = kept
        .into_sorted_vec()
        .into_iter()
        .map(|ranked| ranked.sender);
    best.map(
        |SenderRecord {
             address,
             stats,
             origin,
         }| {
            let asn = origin.asn;
            TopSource {
                ip: address.to_string(),
                packets: stats.packets,
                bytes: stats.bytes,
                country: origin.country.map(|code| code.as_str().to_string()),
                registered_country: origin
                    .registered_country
                    .map(|code| code.as_str().to_string()),
                asn,
                as_org: asn.and_then(|asn| enrichment.asn(asn)?.org.clone()),
                first_seen: stats.span.first_ns().map(format_rfc3339),
                last_seen: stats.span.last_ns().map(format_rfc3339),
                ttl_values: stats.ttls.values().to_vec(),
                flags: source_flags(origin, enrichment.category(origin)),
            }
        },
    )
    .collect()
}

fn source_flags(origin: &SourceOrigin, category: AsnCategory) -> Vec<String> {
    let mut flags = Vec::new();
    if let Some(class) = origin.bogon {
        flags.push(format!("bogon:{}", class.as_str()));
    }
    if category != AsnCategory::Unknown {
        flags.push(format!("network:{}", category.as_str()));
    }
    if origin.anycast {
        flags.push("anycast".to_string());
    }
    if let Some(anonymizer) = origin.anonymizer {
        for (set, name) in [
            (anonymizer.vpn, "vpn"),
            (anonymizer.tor_exit, "tor_exit"),
            (anonymizer.public_proxy, "public_proxy"),
            (anonymizer.residential_proxy, "residential_proxy"),
            (anonymizer.hosting, "hosting_provider"),
            (anonymizer.anonymous, "anonymous"),
        ] {
            if set {
                flags.push(format!("anonymizer:{name}"));
            }
        }
    }
    flags
}

pub fn geoip_section(
    databases: &GeoDatabases,
    enrichment: &Enrichment,
    first_packet_ns: Option<i64>,
) -> GeoipReport {
    let reports = databases
        .assignments()
        .map(|(role, database)| {
            let build_ns = i64::try_from(database.build_epoch)
                .ok()
                .and_then(|s| s.checked_mul(1_000_000_000));
            DatabaseReport {
                role,
                source: database.source.label(),
                database_type: database.database_type.clone(),
                build_date: build_ns.map(|ns| format_rfc3339(ns).chars().take(10).collect()),
                build_epoch: database.build_epoch,
                record_schema: database.schema,
                attribution: attribution(
                    &database.source,
                    &database.database_type,
                    database.description.as_deref(),
                ),
                days_build_to_first_packet: first_packet_ns
                    .zip(build_ns)
                    .map(|(first, build)| (first - build).div_euclid(86_400_000_000_000)),
            }
        })
        .collect();
    GeoipReport {
        databases: reports,
        lookup_errors: enrichment.lookup_errors,
    }
}

/// The credit line a report must carry for the data it used.
fn attribution(source: &DatabaseSource, database_type: &str, description: Option<&str>) -> String {
    match source {
        DatabaseSource::Embedded("country") => EMBEDDED_COUNTRY_ATTRIBUTION.to_string(),
        DatabaseSource::Embedded(_) => EMBEDDED_ASN_ATTRIBUTION.to_string(),
        DatabaseSource::File(_) if database_type.starts_with("GeoLite2") => {
            // GeoLite2 EULA: attribution to MaxMind is required.
            "This product includes GeoLite2 data created by MaxMind, available from https://www.maxmind.com.".to_string()
        }
        DatabaseSource::File(_) if database_type.starts_with("GeoIP2") => {
            "GeoIP2 data by MaxMind (https://www.maxmind.com).".to_string()
        }
        DatabaseSource::File(_) => description.unwrap_or(database_type).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::SourceList;
    use crate::enrich::Enrichment;
    use std::net::IpAddr;

    /// A source list whose sources (10.0.0.1, .2, ...) sent `packets` each.
    fn list_with_packets(packets: &[u64]) -> SourceList {
        let mut table = crate::aggregate::SourceTable::default();
        for (n, &count) in packets.iter().enumerate() {
            let source = IpAddr::from([10, 0, 0, n as u8 + 1]);
            for _ in 0..count {
                table.observe(&crate::decode::Packet::for_test(
                    source,
                    IpAddr::from([192, 0, 2, 1]),
                    17,
                    0,
                ));
            }
        }
        table.into_sorted()
    }

    fn ranked(list: &SourceList, count: usize) -> Vec<(String, u64)> {
        let enrichment = Enrichment::default();
        top_sources(Senders::all(list, &enrichment), count)
            .into_iter()
            .map(|top| (top.ip, top.packets))
            .collect()
    }

    #[test]
    fn top_sources_rank_by_packets_then_address() {
        let list = list_with_packets(&[3, 5, 5, 1, 5, 2]);
        let expected = |pairs: &[(u8, u64)]| -> Vec<(String, u64)> {
            pairs
                .iter()
                .map(|&(host, packets)| (format!("10.0.0.{host}"), packets))
                .collect()
        };
        assert_eq!(ranked(&list, 2), expected(&[(2, 5), (3, 5)]));
        assert_eq!(
            ranked(&list, 4),
            expected(&[(2, 5), (3, 5), (5, 5), (1, 3)])
        );
        assert_eq!(
            ranked(&list, 100),
            expected(&[(2, 5), (3, 5), (5, 5), (1, 3), (6, 2), (4, 1)])
        );
        assert!(ranked(&list, 0).is_empty());
    }
}
