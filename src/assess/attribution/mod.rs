//! Attribution: takes the attack's senders (address, packets, location, ASN, whether the
//! address proved itself in a TCP handshake), the spoofing and reflection findings, facts about
//! the capture and the databases, and claims such as `country:UA`; gives the report's
//! `attribution` section: a verdict, an ICD 203 likelihood and a confidence level per claim,
//! each with the factors behind it; what the source addresses say (`technical_origin`); why
//! packets cannot name who is responsible (`actor`); and the caveats a reader must know.
//!
//! Why it exists: "the attack came from country X" is the sentence managers, press releases and
//! politicians want, and packet captures can rarely carry it. Three things stand between a
//! source address and an attacker. The address may be forged (spoofing). It may belong to a
//! third party the attacker abused (reflectors, compromised devices, rented servers, VPN
//! exits). And its location is a database's estimate. The module measures what the addresses
//! do say, a share of sources with its uncertainty, and writes down every reason it is weaker
//! than it looks. It never names an actor.
//!
//! The model is a short list of rules with thresholds (the constants below, each with its
//! reasoning), so a reader can redo every verdict from the factors listed with it. Pure: no
//! I/O, no clock; the same inputs give the same output, lists in a fixed order.
//! `docs/METHOD.md` (section "Attribution") describes the method for readers of the report.

mod caveats;
mod claim;
mod estimate;
mod judge;
mod origin;

use std::collections::HashMap;
use std::net::IpAddr;

use rayon::prelude::*;
use serde::Serialize;

use crate::assess::diversity;
use crate::assess::spoofing::Verdict;
use crate::enrich::CountryCode;

type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

pub use caveats::{Caveat, Severity};
pub use claim::{Claim, ClaimError};
pub use estimate::{Confidence, Likelihood, normal_cdf, probability_at_least, wilson_interval};

// ---------------------------------------------------------------------------------------------
// Thresholds
// ---------------------------------------------------------------------------------------------

/// Share of sources from which a claim can be `supported`: a majority. Below half, more of the
/// attack's sources are elsewhere than in the claimed place, and "it came from X" describes
/// the minority.
pub const SUPPORTED_SHARE: f64 = 0.5;

/// Lift (observed share over expected share) a `supported` claim needs when the expected share
/// is known: twice the normal share. A country that holds 40 % of a victim's normal visitors
/// (or of the address space) and 60 % of the attack's sources is over-represented by 1.5,
/// which a botnet's ordinary spread produces; doubling is the point where the place stands out.
pub const SUPPORTED_LIFT: f64 = 2.0;

/// Share of sources from which a claim is `weakly_supported`, and the share a "substantial
/// part" of the sources must reach in the likelihood judgment: about one source in seven.
/// Chosen so that an evenly spread botnet over ten or more countries (each under 10 %) never
/// reaches it, while the largest country of a botnet concentrated in a region does (the
/// two-wave sample: China 16 % of 1 100 bots).
pub const WEAK_SHARE: f64 = 0.15;

/// With a known expected share, a smaller share can still be `weakly_supported` when it is far
/// above normal: at least 10 % of the sources with a lift of at least `WEAK_LIFT`.
pub const WEAK_LIFTED_SHARE: f64 = 0.10;

/// See `WEAK_LIFTED_SHARE`: three times the expected share.
pub const WEAK_LIFT: f64 = 3.0;

/// A claim whose sources' share is 0, or whose 95 % Wilson upper bound is below this, is
/// `contradicted`: the data rule out even one source in a hundred.
pub const CONTRADICTED_UPPER: f64 = 0.01;

/// The "substantial part" of the likelihood judgment: `WEAK_SHARE`.
pub const SUBSTANTIAL_SHARE: f64 = WEAK_SHARE;

/// Fewest validated senders (completed TCP handshakes) whose share counts for or against a
/// claim. Ten keeps one or two odd sources from deciding; the share among them is then known
/// to about ±30 points (Wilson), enough to tell agreement (over 50 %) from disagreement
/// (under 15 %) in the clear cases the rule acts on.
pub const MIN_VALIDATED_SOURCES: u64 = 10;

/// Fewest located sources in a baseline for its shares to serve as expected shares; a smaller
/// baseline falls back to the address-space share. At 30 a share's 95 % interval is still
/// about ±15 points wide, the least that can tell a 2x lift from noise for shares over 20 %.
pub const MIN_BASELINE_SOURCES: u64 = 30;

/// Fewer located sources than this make every claim's confidence low and raise `low_volume`.
/// At 30 the Wilson interval around a share of one half spans about 33 points, so a verdict
/// band (15 %, 50 %) can no longer be told from its neighbour.
pub const LOW_VOLUME_SOURCES: u64 = 30;

/// Fewer attack packets than this raise `low_volume` whatever the number of sources.
pub const LOW_VOLUME_PACKETS: u64 = 100;

/// Share of sources on rented infrastructure (hosting ASNs, or addresses an anonymous-IP
/// database flags as VPN, proxy or Tor exit) from which the population is "mostly rented":
/// every claim's confidence is at most moderate, because a rented server's location is where
/// the renter chose to rent it, not where the renter is.
pub const RENTED_MOSTLY: f64 = 0.5;

/// Share of rented sources that raises the `hosting_vpn` caveat at info level.
pub const RENTED_NOTABLE: f64 = 0.1;

/// Effective number of countries (2^entropy over countries) from which the population looks
/// like a botnet of compromised devices: ten equally large countries would hold 10 % each,
/// under `WEAK_SHARE`, so no country's share then says much about the operator.
pub const BOTNET_EFFECTIVE_COUNTRIES: f64 = 10.0;

/// Distinct ASNs from which the population looks like a botnet: fifty networks are more than
/// one operator rents servers in (the rented-server flood sample uses 9), and what compromised
/// home routers, cameras and DVRs spread over (Antonakakis et al., "Understanding the Mirai
/// Botnet", USENIX Security 2017).
pub const BOTNET_ASNS: u64 = 50;

/// Days between a database's build and the capture from which `database_age` is raised
/// (info): four or more of MaxMind's GeoIP2 and GeoLite2 releases missed, which come at least
/// weekly.
pub const DATABASE_AGE_INFO_DAYS: i64 = 30;

/// Days from which `database_age` is a warning and country and ASN claims lose confidence to
/// moderate: half a year of address transfers and re-assignments.
pub const DATABASE_AGE_WARNING_DAYS: i64 = 180;

/// Countries and ASNs listed in `technical_origin`.
pub const TOP_LISTED: usize = 5;

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

/// One attack source as the caller enriched it. Small and `Copy`, since a spoofed flood has
/// millions of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sender {
    pub address: IpAddr,
    pub packets: u64,
    /// Where the database locates the address; `None` when no database knows.
    pub country: Option<CountryCode>,
    /// Where the address's block is registered, when the database tells them apart.
    pub registered_country: Option<CountryCode>,
    pub asn: Option<u32>,
    /// Completed a TCP handshake: received the victim's SYN-ACK, so the address is genuine.
    pub validated: bool,
    /// Special-purpose address that cannot be a genuine Internet source; left out of every
    /// share, as in the report's `countries[]`.
    pub bogon: bool,
    /// The ASN's category is hosting (cloud, VPS, CDN, VPN-heavy networks).
    pub hosting: bool,
    /// An anonymous-IP database flags the address as VPN, proxy or Tor exit.
    pub anonymizer: bool,
}

/// Facts about the capture that bear on how far its sources can be trusted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaptureFacts {
    /// Input files.
    pub inputs: usize,
    /// Capture interfaces over all inputs.
    pub interfaces: usize,
    /// Inputs that end early (cut off mid-record).
    pub truncated_inputs: usize,
    /// Packets read.
    pub packets: u64,
    /// Packets the capturing interfaces dropped, summed; `None` when no input records it
    /// (classic pcap cannot).
    pub interface_drops: Option<u64>,
    pub undecodable_packets: u64,
    pub ipv6_packets: u64,
    /// From the first to the last packet.
    pub duration_s: Option<f64>,
    /// Packets whose timestamp is earlier than the one before, `None` when not counted.
    pub out_of_order_packets: Option<u64>,
    /// Time of the first packet, Unix seconds.
    pub first_seen_s: Option<i64>,
    /// Packet sampling known to have been applied (1 in N), e.g. sFlow exports.
    pub sampling_one_in: Option<u64>,
}

/// Facts about the GeoIP databases used.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GeoipFacts {
    /// The country database is whence's embedded default: registry (RIR) delegation data,
    /// which gives the country a block is registered in rather than where it is used.
    pub country_database_embedded: bool,
    /// The country database covers IPv6.
    pub ipv6_coverage: bool,
    pub builds: Vec<DatabaseBuild>,
}

/// When one database was built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseBuild {
    /// "country", "asn", "anonymizer", ...
    pub role: String,
    /// Unix seconds.
    pub build_epoch_s: i64,
}

/// A claimed entity's expected share from its share of the address space: a country's routed
/// addresses, an ASN's announced addresses, a prefix's size, each over the routed total of the
/// database. `None` when unknown.
pub type AddressSpaceShare<'a> = &'a dyn Fn(&Claim) -> Option<f64>;

/// Everything attribution is judged from.
///
/// The diversity figures (effective number of countries, distinct ASNs) and the hosting and
/// anonymizer shares are not inputs: they are computed here from `senders`, the first with the
/// same function as `sources.effective_countries`, so they cannot disagree with the report.
pub struct AttributionInputs<'a> {
    /// The attack's senders (every source when no attack was recognised).
    pub senders: &'a [Sender],
    /// Normal traffic's sources, for expected shares.
    pub baseline: Option<&'a [Sender]>,
    /// Expected shares from the address space, used without a (large enough) baseline.
    pub address_space_share: Option<AddressSpaceShare<'a>>,
    pub attack_detected: bool,
    pub spoofing_verdict: Verdict,
    pub spoofing_score: f64,
    /// Most attack packets are reflected: the sources are reflectors.
    pub reflection: bool,
    /// The reflection vectors' kinds, e.g. "dns_amplification".
    pub reflection_vectors: &'a [String],
    pub capture: CaptureFacts,
    pub geoip: GeoipFacts,
    /// The claims to judge; empty: the top country and the top ASN by sources.
    pub claims: &'a [Claim],
}

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

/// The report's `attribution` section.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attribution {
    pub claims: Vec<ClaimAssessment>,
    pub technical_origin: TechnicalOrigin,
    pub actor: ActorAssessment,
    pub caveats: Vec<Caveat>,
}

/// One claim judged.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClaimAssessment {
    /// Canonical form: "country:UA", "asn:AS15895", "prefix:203.0.113.0/24".
    pub claim: String,
    /// Chosen by whence (top country or ASN) because no claim was given.
    pub automatic: bool,
    /// Located (non-bogon) sources matching the claim, and all located sources.
    pub sources: u64,
    pub located_sources: u64,
    pub share_sources: f64,
    /// 95 % Wilson score interval of `share_sources`.
    pub share_sources_interval: [f64; 2],
    pub share_packets: f64,
    /// Share among validated senders; `null` when none completed a handshake.
    pub validated_share: Option<f64>,
    pub expected_share: Option<f64>,
    pub expected_basis: Option<ExpectedBasis>,
    /// `share_sources / expected_share`; `null` when the expected share is unknown or 0.
    pub lift: Option<f64>,
    pub verdict: ClaimVerdict,
    /// Of "at least `SUBSTANTIAL_SHARE` of the attack's source addresses match the claim";
    /// `null` when there is nothing to measure (no attack, or no located source).
    pub likelihood: Option<Likelihood>,
    pub likelihood_range: Option<&'static str>,
    /// The probability behind `likelihood`, to 3 decimals.
    pub likelihood_probability: Option<f64>,
    pub confidence: Confidence,
    /// In the order the rules apply, so the verdict can be redone from top to bottom.
    pub factors: Vec<Factor>,
    /// Two sentences: the verdict with its likelihood, then the confidence and why.
    pub statement: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimVerdict {
    Contradicted,
    NotSupported,
    WeaklySupported,
    Supported,
    CannotAssess,
}

impl ClaimVerdict {
    fn phrase(self) -> &'static str {
        match self {
            ClaimVerdict::Contradicted => "is contradicted",
            ClaimVerdict::NotSupported => "is not supported",
            ClaimVerdict::WeaklySupported => "is weakly supported",
            ClaimVerdict::Supported => "is supported",
            ClaimVerdict::CannotAssess => "cannot be assessed",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpectedBasis {
    /// The claimed entity's share of the baseline's located sources.
    Baseline,
    /// Its share of the routed address space.
    AddressSpace,
}

/// One reason behind a judgment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Factor {
    /// Stable snake_case identifier.
    pub id: &'static str,
    pub effect: Effect,
    /// One plain sentence with the numbers the rule used.
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    Raises,
    Lowers,
    Neutral,
}

/// What the source addresses say, whoever is behind them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TechnicalOrigin {
    pub statement: String,
    /// Largest share first, ties by code; "ZZ" for sources no database locates.
    pub top_countries: Vec<CountryShare>,
    /// Largest share first, ties by number.
    pub top_asns: Vec<AsnShare>,
    pub confidence: Confidence,
    pub factors: Vec<Factor>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CountryShare {
    pub code: String,
    pub sources: u64,
    pub share_sources: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AsnShare {
    pub asn: u32,
    pub sources: u64,
    pub share_sources: f64,
}

/// Who is responsible: never assessable from packets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActorAssessment {
    /// Always false: packets carry no evidence of who ordered them.
    pub assessable: bool,
    /// Always low.
    pub confidence: Confidence,
    pub statement: String,
    /// The kinds of evidence that could name a responsible party.
    pub evidence_needed: Vec<&'static str>,
}

/// Evidence that can tie an attack to a person or group, none of which is in a capture.
pub const ACTOR_EVIDENCE: [&str; 4] = [
    "analysis of the botnet's or booter's command-and-control servers and traffic",
    "logs from the providers and hosting companies whose addresses sent the traffic",
    "law-enforcement or intelligence sources",
    "payment and customer records of booter (DDoS-for-hire) services",
];

// ---------------------------------------------------------------------------------------------
// The population
// ---------------------------------------------------------------------------------------------

/// Counts over the senders, computed once.
#[derive(Debug, Clone, Default)]
struct Population {
    senders: u64,
    bogons: u64,
    /// Non-bogon senders: the denominator of every share.
    located: u64,
    packets: u64,
    validated: u64,
    hosting: u64,
    anonymizer: u64,
    /// Hosting or anonymizer.
    rented: u64,
    ipv4: u64,
    /// Sources per country ("ZZ" for unknown), largest first, ties by code.
    countries: Vec<(CountryCode, u64)>,
    /// Sources per ASN, largest first, ties by number; sources without an ASN left out.
    asns: Vec<(u32, u64)>,
    /// Over located countries ("ZZ" left out), as `sources.effective_countries`.
    effective_countries: Option<f64>,
}

impl Population {
    fn of(senders: &[Sender]) -> Population {
        // Millions of senders in a spoofed flood: counted in one slice per thread, whose
        // counts (integers) add up to the same totals in any order.
        let counts = senders
            .par_chunks(slice_length(senders.len()))
            .map(PopulationCounts::of)
            .reduce(PopulationCounts::default, PopulationCounts::merge);
        let PopulationCounts {
            mut population,
            countries,
            asns,
        } = counts;
        population.senders = senders.len() as u64;
        population.countries = by_count(countries);
        population.asns = by_count(asns);
        // In the ordered list's order, so the sum comes out the same whatever the map's.
        let located_countries: Vec<u64> = population
            .countries
            .iter()
            .filter(|(code, _)| *code != CountryCode::UNKNOWN)
            .map(|&(_, count)| count)
            .collect();
        population.effective_countries = diversity::country_concentration(&located_countries)
            .map(|concentration| concentration.effective_countries);
        population
    }

    fn rented_share(&self) -> f64 {
        share(self.rented, self.located)
    }

    fn unique_asns(&self) -> u64 {
        self.asns.len() as u64
    }

    /// Spread like a botnet of compromised devices (see `BOTNET_EFFECTIVE_COUNTRIES`).
    fn botnet_like(&self) -> bool {
        // To 3 decimals, as in the text: ten equal countries give 2^log2(10), a hair under 10.
        self.effective_countries
            .is_some_and(|effective| round3(effective) >= BOTNET_EFFECTIVE_COUNTRIES)
            || self.unique_asns() >= BOTNET_ASNS
    }
}

/// A slice of the senders per thread, and no smaller than `MIN_SENDERS_PER_SLICE`: each
/// slice's maps of countries and ASNs are merged at the end, so more slices cost more.
fn slice_length(senders: usize) -> usize {
    senders
        .div_ceil(rayon::current_num_threads().max(1))
        .max(MIN_SENDERS_PER_SLICE)
}

/// Fewest senders worth a thread of their own.
const MIN_SENDERS_PER_SLICE: usize = 1 << 14;

/// `Population`'s sums over some of the senders, with its sources per country and ASN still
/// hashed (one entry per sender).
#[derive(Default)]
struct PopulationCounts {
    population: Population,
    countries: FastMap<CountryCode, u64>,
    asns: FastMap<u32, u64>,
}

impl PopulationCounts {
    fn of(senders: &[Sender]) -> PopulationCounts {
        let mut counts = PopulationCounts::default();
        let population = &mut counts.population;
        for sender in senders {
            if sender.bogon {
                population.bogons += 1;
                continue;
            }
            population.located += 1;
            population.packets = population.packets.saturating_add(sender.packets);
            population.validated += u64::from(sender.validated);
            population.hosting += u64::from(sender.hosting);
            population.anonymizer += u64::from(sender.anonymizer);
            population.rented += u64::from(sender.hosting || sender.anonymizer);
            population.ipv4 += u64::from(sender.address.is_ipv4());
            *counts
                .countries
                .entry(sender.country.unwrap_or(CountryCode::UNKNOWN))
                .or_default() += 1;
            if let Some(asn) = sender.asn {
                *counts.asns.entry(asn).or_default() += 1;
            }
        }
        counts
    }

    /// Both slices' counts. Packets add up saturating, which for counts is the same in any
    /// order (the total, or the maximum once the total passes it).
    fn merge(mut self, other: PopulationCounts) -> PopulationCounts {
        let (mine, theirs) = (&mut self.population, &other.population);
        mine.bogons += theirs.bogons;
        mine.located += theirs.located;
        mine.packets = mine.packets.saturating_add(theirs.packets);
        mine.validated += theirs.validated;
        mine.hosting += theirs.hosting;
        mine.anonymizer += theirs.anonymizer;
        mine.rented += theirs.rented;
        mine.ipv4 += theirs.ipv4;
        for (country, sources) in other.countries {
            *self.countries.entry(country).or_default() += sources;
        }
        for (asn, sources) in other.asns {
            *self.asns.entry(asn).or_default() += sources;
        }
        self
    }
}

/// Entries largest count first, ties by key ascending.
fn by_count<K: Ord + Copy>(counts: FastMap<K, u64>) -> Vec<(K, u64)> {
    let mut entries: Vec<(K, u64)> = counts.into_iter().collect();
    entries.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    entries
}

/// `part / whole` in [0, 1]; 0 when `whole` is 0.
fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part.min(whole) as f64 / whole as f64
    }
}

/// To 3 decimals, for probabilities shown and for comparing computed figures with thresholds.
fn round3(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

/// "70.9-92.9 %".
fn percent_range([low, high]: [f64; 2]) -> String {
    format!("{:.1}-{:.1} %", low * 100.0, high * 100.0)
}

/// Everything the rules look at, computed once.
struct Context<'a> {
    inputs: &'a AttributionInputs<'a>,
    population: Population,
    /// Non-bogon sources of the baseline.
    baseline_located: u64,
    /// Per database role, days from its build to the first packet (negative: built after
    /// the capture); sorted by role.
    database_gaps: Vec<(&'a str, i64)>,
}

impl<'a> Context<'a> {
    fn new(inputs: &'a AttributionInputs<'a>) -> Context<'a> {
        let baseline_located = inputs.baseline.map_or(0, |senders| {
            senders.iter().filter(|s| !s.bogon).count() as u64
        });
        Context {
            inputs,
            population: Population::of(inputs.senders),
            baseline_located,
            database_gaps: database_gaps(&inputs.geoip.builds, inputs.capture.first_seen_s),
        }
    }

    /// The database furthest in time from the capture; ties by role.
    fn worst_database_gap(&self) -> Option<(&'a str, i64)> {
        self.database_gaps
            .iter()
            .copied()
            .max_by(|a, b| a.1.abs().cmp(&b.1.abs()).then(b.0.cmp(a.0)))
    }

    /// The gap of the database a claim rests on: the country database for country claims,
    /// the ASN database for ASN claims, none for prefixes (membership needs no database).
    fn database_gap_for(&self, claim: &Claim) -> Option<(&'a str, i64)> {
        let role = match claim {
            Claim::Country(_) => "country",
            Claim::Asn(_) => "asn",
            Claim::Prefix(_) => return None,
        };
        self.database_gaps
            .iter()
            .copied()
            .find(|(name, _)| *name == role)
    }

    fn ipv6_uncovered_share(&self) -> f64 {
        if self.inputs.geoip.ipv6_coverage {
            0.0
        } else {
            share(
                self.inputs.capture.ipv6_packets,
                self.inputs.capture.packets,
            )
        }
    }
}

/// From `DATABASE_AGE_WARNING_DAYS` either way a database is too far from the capture.
fn too_old(days: i64) -> bool {
    days.abs() >= DATABASE_AGE_WARNING_DAYS
}

fn database_gaps(builds: &[DatabaseBuild], first_seen_s: Option<i64>) -> Vec<(&str, i64)> {
    let Some(first_seen) = first_seen_s else {
        return Vec::new();
    };
    let mut gaps: Vec<(&str, i64)> = builds
        .iter()
        .map(|build| {
            let days = first_seen.saturating_sub(build.build_epoch_s) / 86_400;
            (build.role.as_str(), days)
        })
        .collect();
    gaps.sort();
    gaps
}

// ---------------------------------------------------------------------------------------------
// The assessment
// ---------------------------------------------------------------------------------------------

/// Judges the claims (or the automatic ones), the technical origin and the actor, and lists
/// the caveats.
pub fn assess(inputs: &AttributionInputs) -> Attribution {
    let context = Context::new(inputs);
    let claims = claims_to_judge(&context)
        .into_iter()
        .map(|(claim, automatic)| judge::assess_claim(claim, automatic, &context))
        .collect();
    Attribution {
        claims,
        technical_origin: origin::technical_origin(&context),
        actor: origin::actor(&context),
        caveats: caveats::caveats(&context),
    }
}

/// The given claims in their order, repeats dropped; without any, the top country (unknown
/// left out) and the top ASN by sources, when an attack was recognised.
fn claims_to_judge(context: &Context) -> Vec<(Claim, bool)> {
    let given = context.inputs.claims;
    if !given.is_empty() {
        let mut seen = Vec::with_capacity(given.len());
        for &claim in given {
            if !seen.contains(&claim) {
                seen.push(claim);
            }
        }
        return seen.into_iter().map(|claim| (claim, false)).collect();
    }
    if !context.inputs.attack_detected {
        return Vec::new();
    }
    let population = &context.population;
    let country = population
        .countries
        .iter()
        .find(|(code, _)| *code != CountryCode::UNKNOWN)
        .map(|&(code, _)| Claim::Country(code));
    let asn = population.asns.first().map(|&(asn, _)| Claim::Asn(asn));
    country
        .into_iter()
        .chain(asn)
        .map(|claim| (claim, true))
        .collect()
}

/// Caps confidence and remembers why, for the statement.
struct ConfidenceCaps {
    level: Confidence,
    reasons: Vec<String>,
}

impl ConfidenceCaps {
    fn new() -> Self {
        ConfidenceCaps {
            level: Confidence::High,
            reasons: Vec::new(),
        }
    }

    fn cap(&mut self, level: Confidence, reason: String) {
        self.level = self.level.min(level);
        self.reasons.push(reason);
    }

    /// "Confidence is moderate: A and B.", every reason that capped it named.
    fn sentence(&self, verdict: ClaimVerdict) -> String {
        let level = self.level.as_str();
        if self.reasons.is_empty() {
            return format!(
                "Confidence is {level}: the sources are many, their addresses show no sign of \
                 forgery and the location data is current."
            );
        }
        let reasons = join_clauses(&self.reasons);
        if verdict == ClaimVerdict::CannotAssess {
            format!("Confidence is {level}, and the claim cannot be assessed: {reasons}.")
        } else {
            format!("Confidence is {level}: {reasons}.")
        }
    }
}

/// "a", "a and b", "a, b and c".
fn join_and(items: &[String]) -> String {
    join_with(items, ", ", " and ")
}

/// "a", "a; and b", "a; b; and c": for items that have commas or "and" of their own.
fn join_clauses(items: &[String]) -> String {
    join_with(items, "; ", "; and ")
}

fn join_with(items: &[String], separator: &str, last_separator: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{}{last_separator}{last}", init.join(separator)),
    }
}

/// "30 days before the first packet", "12 days after the first packet", "the day of the
/// first packet".
fn gap_text(days: i64) -> String {
    match days {
        0 => "on the day of the first packet".to_string(),
        1 => "1 day before the first packet".to_string(),
        -1 => "1 day after the first packet".to_string(),
        d if d > 0 => format!("{d} days before the first packet"),
        d => format!("{} days after the first packet", d.unsigned_abs()),
    }
}

fn vector_list(vectors: &[String]) -> String {
    if vectors.is_empty() {
        "reflected traffic".to_string()
    } else {
        vectors.join(", ")
    }
}

#[cfg(test)]
mod tests;
