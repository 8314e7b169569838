//! Tests of the attribution rules: the bundled scenarios' expected outcomes with hand-built
//! inputs, both sides of every threshold, the statements' wording rules, and properties that
//! must hold for any input (actor never assessable, output independent of sender order).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::*;

/// 2025-03-10T00:00:00Z, the first packet of every test capture.
const FIRST_SEEN: i64 = 1_741_564_800;
const DAY: i64 = 86_400;

type SpaceShare = Box<dyn Fn(&Claim) -> Option<f64>>;

/// Builds senders: each gets a fresh address (IPv4 in 11.0.0.0/8 upwards, or IPv6 in
/// 2a00::/16 upwards), 10 packets and an ASN from a pool.
struct Population {
    senders: Vec<Sender>,
    next: u32,
    ipv6: bool,
}

impl Population {
    fn new() -> Self {
        Population {
            senders: Vec::new(),
            next: 0,
            ipv6: false,
        }
    }

    fn ipv6() -> Self {
        Population {
            ipv6: true,
            ..Population::new()
        }
    }

    /// `count` senders located in `country` ("ZZ": unknown), their ASNs drawn in turn from
    /// `asns` (first ASN, number of ASNs).
    fn add(mut self, country: &str, count: u64, asns: (u32, u32)) -> Self {
        for i in 0..count {
            let n = self.next;
            self.next += 1;
            let address = if self.ipv6 {
                IpAddr::V6(Ipv6Addr::from((0x2a00u128 << 112) | (u128::from(n) << 64)))
            } else {
                IpAddr::V4(Ipv4Addr::from(0x0B00_0000 + n * 7))
            };
            let country = CountryCode::parse(country).filter(|c| *c != CountryCode::UNKNOWN);
            self.senders.push(Sender {
                address,
                packets: 10,
                country,
                registered_country: None,
                asn: Some(asns.0 + (i % u64::from(asns.1.max(1))) as u32),
                validated: false,
                bogon: false,
                hosting: false,
                anonymizer: false,
            });
        }
        self
    }

    /// `count` countries of `each` senders, named from a fixed list, each in its own ASNs.
    fn spread(mut self, count: usize, each: u64, asns_each: u32) -> Self {
        for (i, code) in SPREAD.iter().take(count).enumerate() {
            let first = 10_000 + 1_000 * i as u32;
            self = self.add(code, each, (first, asns_each));
        }
        self
    }

    fn bogons(mut self, count: u64) -> Self {
        for _ in 0..count {
            self.next += 1;
            self.senders.push(Sender {
                address: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
                packets: 1,
                country: None,
                registered_country: None,
                asn: None,
                validated: false,
                bogon: true,
                hosting: false,
                anonymizer: false,
            });
        }
        self
    }

    fn done(self) -> Vec<Sender> {
        self.senders
    }
}

/// Countries for filler populations; none of the claimed countries of the tests (DE, CN, RU,
/// US, IN) is among them.
const SPREAD: [&str; 30] = [
    "BR", "VN", "ID", "TR", "IT", "FR", "GB", "ES", "PL", "UA", "MX", "AR", "CO", "TH", "PH", "EG",
    "ZA", "NG", "KR", "JP", "TW", "MY", "PK", "BD", "IR", "SA", "CL", "PE", "RO", "NL",
];

struct Scenario {
    senders: Vec<Sender>,
    baseline: Option<Vec<Sender>>,
    space: Option<SpaceShare>,
    attack_detected: bool,
    spoofing: (Verdict, f64),
    reflection: bool,
    vectors: Vec<String>,
    capture: CaptureFacts,
    geoip: GeoipFacts,
    claims: Vec<Claim>,
}

impl Scenario {
    /// An attack with sound capture facts: one input, ten minutes, no drops, a week-old
    /// user-supplied database with IPv6 coverage, no spoofing, no reflection.
    fn new(senders: Vec<Sender>) -> Self {
        let packets = senders.iter().map(|s| s.packets).sum();
        Scenario {
            senders,
            baseline: None,
            space: None,
            attack_detected: true,
            spoofing: (Verdict::Unlikely, 0.0),
            reflection: false,
            vectors: Vec::new(),
            capture: CaptureFacts {
                inputs: 1,
                interfaces: 1,
                truncated_inputs: 0,
                packets,
                interface_drops: Some(0),
                undecodable_packets: 0,
                ipv6_packets: 0,
                duration_s: Some(600.0),
                out_of_order_packets: Some(0),
                first_seen_s: Some(FIRST_SEEN),
                sampling_one_in: None,
            },
            geoip: GeoipFacts {
                country_database_embedded: false,
                ipv6_coverage: true,
                builds: vec![DatabaseBuild {
                    role: "country".into(),
                    build_epoch_s: FIRST_SEEN - 7 * DAY,
                }],
            },
            claims: Vec::new(),
        }
    }

    fn claims(mut self, texts: &[&str]) -> Self {
        self.claims = texts.iter().map(|t| t.parse().unwrap()).collect();
        self
    }

    fn space(mut self, lookup: impl Fn(&Claim) -> Option<f64> + 'static) -> Self {
        self.space = Some(Box::new(lookup));
        self
    }

    fn spoofing(mut self, verdict: Verdict, score: f64) -> Self {
        self.spoofing = (verdict, score);
        self
    }

    fn reflection(mut self, vectors: &[&str]) -> Self {
        self.reflection = true;
        self.vectors = vectors.iter().map(|v| v.to_string()).collect();
        self
    }

    fn embedded(mut self) -> Self {
        self.geoip.country_database_embedded = true;
        self
    }

    /// Applies `change` to the senders of `country` (all senders with `None`).
    fn senders_where(mut self, country: Option<&str>, change: impl Fn(&mut Sender)) -> Self {
        let code = country.and_then(CountryCode::parse);
        for sender in &mut self.senders {
            if code.is_none() || sender.country == code {
                change(sender);
            }
        }
        self
    }

    /// Marks the first `count` senders (in list order) with `change`.
    fn first(mut self, count: usize, change: impl Fn(&mut Sender)) -> Self {
        for sender in self.senders.iter_mut().take(count) {
            change(sender);
        }
        self
    }

    fn run(&self) -> Attribution {
        let space: Option<AddressSpaceShare> = self.space.as_deref();
        assess(&AttributionInputs {
            senders: &self.senders,
            baseline: self.baseline.as_deref(),
            address_space_share: space,
            attack_detected: self.attack_detected,
            spoofing_verdict: self.spoofing.0,
            spoofing_score: self.spoofing.1,
            reflection: self.reflection,
            reflection_vectors: &self.vectors,
            capture: self.capture.clone(),
            geoip: self.geoip.clone(),
            claims: &self.claims,
        })
    }
}

fn claim<'a>(attribution: &'a Attribution, text: &str) -> &'a ClaimAssessment {
    attribution
        .claims
        .iter()
        .find(|c| c.claim == text)
        .unwrap_or_else(|| panic!("no claim {text} in {:#?}", attribution.claims))
}

fn factor<'a>(assessment: &'a ClaimAssessment, id: &str) -> &'a Factor {
    assessment
        .factors
        .iter()
        .find(|f| f.id == id)
        .unwrap_or_else(|| panic!("no factor {id} in {:#?}", assessment.factors))
}

fn caveat<'a>(attribution: &'a Attribution, id: &str) -> Option<&'a Caveat> {
    attribution.caveats.iter().find(|c| c.id == id)
}

fn severity(attribution: &Attribution, id: &str) -> Option<Severity> {
    caveat(attribution, id).map(|c| c.severity)
}

/// The verdict of the one claim `text` in a scenario.
fn verdict_of(scenario: Scenario, text: &str) -> (ClaimVerdict, Confidence) {
    let attribution = scenario.claims(&[text]).run();
    let c = claim(&attribution, text);
    (c.verdict, c.confidence)
}

/// `k` of 200 senders in DE, the rest spread over 20 countries, 10 ASNs each.
fn germany(k: u64) -> Scenario {
    let rest = 200 - k;
    let mut population = Population::new().add("DE", k, (3320, 5));
    let per = rest / 20;
    population = population.spread(20, per, 10);
    population = population.add("NL", rest - per * 20, (1136, 1));
    Scenario::new(population.done())
}

fn sentences(text: &str) -> Vec<&str> {
    text.split_inclusive(". ")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

const ICD_WORDS: [&str; 8] = [
    "almost no chance",
    "unlikely",
    "likely",
    "roughly even",
    "almost certain",
    "probab",
    "chance",
    "certain",
];

/// The wording rules every claim statement must keep.
fn check_statement(assessment: &ClaimAssessment) {
    let statement = &assessment.statement;
    let lower = statement.to_lowercase();
    assert!(!lower.contains("attack from"), "{statement}");
    assert!(!lower.contains("came from"), "{statement}");
    let parts = sentences(statement);
    assert_eq!(parts.len(), 2, "two sentences: {statement}");
    let [first, second] = [parts[0], parts[1]];
    assert!(second.starts_with("Confidence is "), "{statement}");
    assert!(
        second.contains(assessment.confidence.as_str()),
        "{statement}"
    );
    for word in ICD_WORDS {
        assert!(
            !second.to_lowercase().contains(word),
            "likelihood word {word:?} in the confidence sentence: {second}"
        );
    }
    assert!(!first.to_lowercase().contains("confidence"), "{first}");
    if let Some(range) = assessment.likelihood_range {
        assert!(first.contains(&format!("({range})")), "{first}");
    }
}

// ---------------------------------------------------------------------------------------------
// The bundled scenarios
// ---------------------------------------------------------------------------------------------

#[test]
fn iot_botnet_syn_flood_russia_is_not_supported() {
    // 1 500 bots in 25 countries, 60 (4 %) in Russia, 491 ASNs; no handshakes, no baseline.
    let senders = Population::new()
        .add("RU", 60, (12389, 20))
        .spread(24, 60, 20)
        .done();
    assert_eq!(senders.len(), 1_500);
    let attribution = Scenario::new(senders).claims(&["country:RU"]).run();
    let ru = claim(&attribution, "country:RU");
    assert_eq!(ru.verdict, ClaimVerdict::NotSupported);
    assert!((ru.share_sources - 0.04).abs() < 1e-12);
    assert_eq!(ru.likelihood, Some(Likelihood::AlmostNoChance));
    assert_eq!(ru.validated_share, None);
    assert_eq!(ru.expected_share, None);
    assert_eq!(factor(ru, "share_of_sources").effect, Effect::Lowers);
    assert_eq!(severity(&attribution, "botnet"), Some(Severity::Warning));
    check_statement(ru);
    assert!(ru.statement.contains("Russia (RU)"), "{}", ru.statement);
    assert!(!attribution.actor.assessable);
    assert!(attribution.actor.statement.contains("botnet"));
}

#[test]
fn iot_botnet_stays_not_supported_whatever_the_absolute_count() {
    // 400 sources in Russia are many, but 4 % of 10 000 is a small share, even with a lift of
    // 3.3 over Russia's share of the address space.
    let senders = Population::new()
        .add("RU", 400, (12389, 40))
        .spread(24, 400, 40)
        .done();
    let attribution = Scenario::new(senders)
        .space(|_| Some(0.012))
        .claims(&["country:RU"])
        .run();
    let ru = claim(&attribution, "country:RU");
    assert_eq!(ru.sources, 400);
    assert_eq!(ru.verdict, ClaimVerdict::NotSupported);
    assert!(ru.lift.unwrap() > WEAK_LIFT);
}

#[test]
fn spoofed_syn_flood_china_cannot_be_assessed() {
    let senders = Population::new()
        .add("CN", 1_044, (4134, 50))
        .spread(30, 289, 60)
        .bogons(1_533)
        .done();
    let attribution = Scenario::new(senders)
        .spoofing(Verdict::Likely, 0.93)
        .claims(&["country:CN"])
        .run();
    let cn = claim(&attribution, "country:CN");
    assert_eq!(cn.verdict, ClaimVerdict::CannotAssess);
    assert_eq!(cn.confidence, Confidence::Low);
    // The likelihood about the addresses is still given, and shares leave bogons out.
    assert_eq!(cn.located_sources, 1_044 + 30 * 289);
    assert!(cn.likelihood.is_some());
    assert_eq!(factor(cn, "spoofing").effect, Effect::Lowers);
    assert!(factor(cn, "spoofing").detail.contains("0.93"));
    check_statement(cn);
    assert!(cn.statement.contains("forged"), "{}", cn.statement);
    assert_eq!(severity(&attribution, "spoofing"), Some(Severity::Critical));
    assert_eq!(severity(&attribution, "bogons"), Some(Severity::Warning));
    assert_eq!(caveat(&attribution, "botnet"), None, "spoofing explains it");
    assert_eq!(attribution.technical_origin.confidence, Confidence::Low);
    assert!(attribution.actor.statement.contains("forged"));
}

#[test]
fn dns_amplification_united_states_cannot_be_assessed() {
    // 120 open resolvers in 19 countries, 24 (20 %) in the United States.
    let senders = Population::new()
        .add("US", 24, (7018, 20))
        .spread(18, 5, 4)
        .add("RU", 6, (12389, 2))
        .done();
    assert_eq!(senders.len(), 120);
    let attribution = Scenario::new(senders)
        .reflection(&["dns_amplification"])
        .claims(&["country:US"])
        .run();
    let us = claim(&attribution, "country:US");
    assert_eq!(us.verdict, ClaimVerdict::CannotAssess);
    assert_eq!(us.confidence, Confidence::Low);
    assert!((us.share_sources - 0.2).abs() < 1e-12);
    let reflection = factor(us, "reflection");
    assert_eq!(reflection.effect, Effect::Lowers);
    assert!(reflection.detail.contains("reflectors"));
    assert!(reflection.detail.contains("dns_amplification"));
    check_statement(us);
    assert!(us.statement.contains("reflectors"), "{}", us.statement);
    assert_eq!(
        severity(&attribution, "reflection"),
        Some(Severity::Critical)
    );
    assert_eq!(caveat(&attribution, "botnet"), None);
    assert_eq!(
        caveat(&attribution, "cgnat_nat"),
        None,
        "servers, not homes"
    );
    assert!(attribution.actor.statement.contains("reflectors"));
}

#[test]
fn ntp_memcached_reflection_china_cannot_be_assessed() {
    let senders = Population::new()
        .add("CN", 18, (4134, 10))
        .spread(16, 5, 4)
        .add("US", 7, (7018, 7))
        .done();
    assert_eq!(senders.len(), 105);
    let attribution = Scenario::new(senders)
        .reflection(&["ntp_amplification", "memcached_amplification"])
        .claims(&["country:CN"])
        .run();
    let cn = claim(&attribution, "country:CN");
    assert_eq!(cn.verdict, ClaimVerdict::CannotAssess);
    assert!((cn.share_sources - 18.0 / 105.0).abs() < 1e-12);
    assert!(
        caveat(&attribution, "reflection")
            .unwrap()
            .text
            .contains("ntp_amplification, memcached_amplification")
    );
}

/// 40 rented servers, 34 in Germany in three hosting ASNs, all completing handshakes, located
/// by the embedded database.
fn http_get_flood() -> Scenario {
    let senders = Population::new()
        .add("DE", 34, (24940, 3))
        .add("NL", 3, (60781, 2))
        .add("US", 2, (14061, 2))
        .add("FR", 1, (16276, 1))
        .done();
    Scenario::new(senders)
        .embedded()
        .senders_where(None, |s| s.validated = true)
        .first(36, |s| s.hosting = true)
}

#[test]
fn http_get_flood_germany_supported_china_contradicted() {
    let attribution = http_get_flood()
        .space(|claim| match claim {
            Claim::Country(code) if code.as_str() == "DE" => Some(0.03),
            Claim::Country(_) => Some(0.05),
            _ => None,
        })
        .claims(&["country:DE", "country:CN"])
        .run();
    let de = claim(&attribution, "country:DE");
    assert_eq!(de.verdict, ClaimVerdict::Supported);
    assert!(de.confidence <= Confidence::Moderate);
    assert_eq!(de.validated_share, Some(0.85));
    assert_eq!(de.expected_basis, Some(ExpectedBasis::AddressSpace));
    assert!((de.lift.unwrap() - 0.85 / 0.03).abs() < 1e-9);
    assert_eq!(de.likelihood, Some(Likelihood::AlmostCertain));
    assert_eq!(factor(de, "validated_sources").effect, Effect::Raises);
    assert_eq!(factor(de, "rented_infrastructure").effect, Effect::Lowers);
    assert_eq!(factor(de, "geoip_database").effect, Effect::Lowers);
    check_statement(de);
    assert!(de.statement.contains("Germany (DE)"));
    assert!(de.statement.contains("rented"), "{}", de.statement);

    let cn = claim(&attribution, "country:CN");
    assert_eq!(cn.verdict, ClaimVerdict::Contradicted);
    assert_eq!(cn.share_sources, 0.0);
    assert_eq!(cn.validated_share, Some(0.0));
    assert_eq!(cn.likelihood, Some(Likelihood::AlmostNoChance));
    check_statement(cn);
    assert!(cn.statement.contains("none of the 40"), "{}", cn.statement);

    assert_eq!(
        severity(&attribution, "hosting_vpn"),
        Some(Severity::Warning)
    );
    assert_eq!(
        severity(&attribution, "geoip_accuracy"),
        Some(Severity::Warning)
    );
    assert_eq!(caveat(&attribution, "botnet"), None);
    assert!(attribution.actor.statement.contains("rented"));
}

#[test]
fn two_waves_china_is_weakly_supported() {
    // 1 100 bots, 180 (16.4 %) in China, the rest over 15 countries; no handshakes.
    let senders = Population::new()
        .add("CN", 180, (4134, 30))
        .spread(15, 61, 20)
        .add("NL", 5, (1136, 1))
        .done();
    assert_eq!(senders.len(), 1_100);
    let scenario = Scenario::new(senders);
    let attribution = scenario.claims(&["country:CN"]).run();
    let cn = claim(&attribution, "country:CN");
    assert_eq!(cn.verdict, ClaimVerdict::WeaklySupported);
    // The interval [14.3 %, 18.7 %] reaches across 15 %: moderate.
    assert_eq!(cn.confidence, Confidence::Moderate);
    assert_eq!(factor(cn, "sample_size").effect, Effect::Lowers);
    assert_eq!(cn.likelihood, Some(Likelihood::VeryLikely));
    check_statement(cn);
    assert_eq!(severity(&attribution, "botnet"), Some(Severity::Warning));
}

#[test]
fn two_waves_with_chinas_address_space_is_still_weakly_supported() {
    let senders = Population::new()
        .add("CN", 180, (4134, 30))
        .spread(15, 61, 20)
        .add("NL", 5, (1136, 1))
        .done();
    let attribution = Scenario::new(senders)
        .space(|_| Some(0.09))
        .claims(&["country:CN"])
        .run();
    let cn = claim(&attribution, "country:CN");
    assert_eq!(cn.verdict, ClaimVerdict::WeaklySupported);
    assert_eq!(factor(cn, "expected_share").effect, Effect::Neutral);
}

#[test]
fn ipv6_flood_india_is_not_supported() {
    let senders = Population::ipv6()
        .add("IN", 24, (55836, 12))
        .spread(8, 34, 17)
        .add("NL", 4, (1136, 1))
        .done();
    assert_eq!(senders.len(), 300);
    let mut scenario = Scenario::new(senders).claims(&["country:IN"]);
    scenario.capture.ipv6_packets = scenario.capture.packets;
    let attribution = scenario.run();
    let india = claim(&attribution, "country:IN");
    assert_eq!(india.verdict, ClaimVerdict::NotSupported);
    assert!((india.share_sources - 0.08).abs() < 1e-12);
    assert_eq!(caveat(&attribution, "ipv6_coverage"), None, "covered");
    assert_eq!(caveat(&attribution, "cgnat_nat"), None, "no IPv4 sources");
}

#[test]
fn benign_traffic_names_no_actor_and_no_automatic_claim() {
    let senders = Population::new().add("NL", 50, (1136, 5)).done();
    let mut scenario = Scenario::new(senders);
    scenario.attack_detected = false;
    let attribution = scenario.run();
    assert!(!attribution.actor.assessable);
    assert_eq!(attribution.actor.confidence, Confidence::Low);
    assert!(attribution.claims.is_empty());
    assert_eq!(severity(&attribution, "no_attack"), Some(Severity::Info));
    assert_eq!(caveat(&attribution, "low_volume"), None);
    // A claim given anyway cannot be assessed: there are no attack sources.
    let attribution = scenario.claims(&["country:NL"]).run();
    let nl = claim(&attribution, "country:NL");
    assert_eq!(nl.verdict, ClaimVerdict::CannotAssess);
    assert_eq!(nl.likelihood, None);
    assert_eq!(factor(nl, "no_attack").effect, Effect::Lowers);
    check_statement(nl);
}

// ---------------------------------------------------------------------------------------------
// Thresholds, both sides
// ---------------------------------------------------------------------------------------------

#[test]
fn supported_from_half_the_sources() {
    assert_eq!(
        verdict_of(germany(100), "country:DE").0,
        ClaimVerdict::Supported
    );
    assert_eq!(
        verdict_of(germany(99), "country:DE").0,
        ClaimVerdict::WeaklySupported
    );
}

#[test]
fn supported_needs_a_lift_of_two_when_the_expected_share_is_known() {
    // 100 of 200 = 0.5 exactly; 0.5 / 0.25 = 2 exactly.
    let at = germany(100).space(|_| Some(0.25));
    assert_eq!(verdict_of(at, "country:DE").0, ClaimVerdict::Supported);
    let below = germany(100).space(|_| Some(0.2501));
    assert_eq!(
        verdict_of(below, "country:DE").0,
        ClaimVerdict::WeaklySupported
    );
}

#[test]
fn weakly_supported_from_fifteen_percent() {
    assert_eq!(
        verdict_of(germany(30), "country:DE").0,
        ClaimVerdict::WeaklySupported
    );
    assert_eq!(
        verdict_of(germany(29), "country:DE").0,
        ClaimVerdict::NotSupported
    );
}

#[test]
fn a_share_below_the_expected_one_is_not_supported() {
    // 40 of 200 = 20 %: lift 1 against 20 % weakly supports, lift 0.8 against 25 % does not.
    let at = germany(40).space(|_| Some(0.2));
    assert_eq!(
        verdict_of(at, "country:DE").0,
        ClaimVerdict::WeaklySupported
    );
    let below = germany(40).space(|_| Some(0.25));
    let attribution = below.claims(&["country:DE"]).run();
    let de = claim(&attribution, "country:DE");
    assert_eq!(de.verdict, ClaimVerdict::NotSupported);
    assert_eq!(factor(de, "expected_share").effect, Effect::Lowers);
    // A majority far below normal (a domestic service's home country) is not supported either.
    let majority = germany(120).space(|_| Some(0.7));
    assert_eq!(
        verdict_of(majority, "country:DE").0,
        ClaimVerdict::NotSupported
    );
}

#[test]
fn ten_percent_with_a_lift_of_three_is_weakly_supported() {
    // 20 of 200 = 10 %.
    let lifted = germany(20).space(|_| Some(0.1 / 3.001));
    assert_eq!(
        verdict_of(lifted, "country:DE").0,
        ClaimVerdict::WeaklySupported
    );
    let less_lift = germany(20).space(|_| Some(0.1 / 2.999));
    assert_eq!(
        verdict_of(less_lift, "country:DE").0,
        ClaimVerdict::NotSupported
    );
    let less_share = germany(19).space(|_| Some(0.01));
    assert_eq!(
        verdict_of(less_share, "country:DE").0,
        ClaimVerdict::NotSupported
    );
    // Without an expected share the lifted rule cannot apply.
    assert_eq!(
        verdict_of(germany(20), "country:DE").0,
        ClaimVerdict::NotSupported
    );
}

#[test]
fn contradicted_at_zero_or_an_upper_bound_under_one_percent() {
    assert_eq!(
        verdict_of(germany(0), "country:DE").0,
        ClaimVerdict::Contradicted
    );
    assert_eq!(
        verdict_of(germany(1), "country:DE").0,
        ClaimVerdict::NotSupported,
        "1 of 200: upper bound 2.8 %"
    );
    // Of 1 000 sources, 3 give an upper bound of 0.88 %, 4 one of 1.02 %.
    let of_thousand = |k: u64| {
        let senders = Population::new()
            .add("DE", k, (3320, 1))
            .add("NL", 1_000 - k, (1136, 50))
            .done();
        verdict_of(Scenario::new(senders), "country:DE").0
    };
    assert_eq!(of_thousand(3), ClaimVerdict::Contradicted);
    assert_eq!(of_thousand(4), ClaimVerdict::NotSupported);
}

#[test]
fn possible_spoofing_weakens_supported_and_contradicted() {
    let supported = germany(150).spoofing(Verdict::Possible, 0.3);
    let attribution = supported.claims(&["country:DE", "country:CN"]).run();
    let de = claim(&attribution, "country:DE");
    assert_eq!(de.verdict, ClaimVerdict::WeaklySupported);
    assert_eq!(de.confidence, Confidence::Low);
    assert!(
        factor(de, "spoofing")
            .detail
            .contains("supported becomes weakly")
    );
    let cn = claim(&attribution, "country:CN");
    assert_eq!(cn.verdict, ClaimVerdict::NotSupported);
    check_statement(de);
    check_statement(cn);
    assert_eq!(severity(&attribution, "spoofing"), Some(Severity::Warning));
    // With ten validated senders that agree, the claim stays supported, at moderate.
    let validated = germany(150)
        .spoofing(Verdict::Possible, 0.3)
        .first(10, |s| s.validated = true);
    assert_eq!(
        verdict_of(validated, "country:DE"),
        (ClaimVerdict::Supported, Confidence::Moderate)
    );
    // Unlikely spoofing changes nothing.
    assert_eq!(
        verdict_of(germany(150), "country:DE").0,
        ClaimVerdict::Supported
    );
}

#[test]
fn likely_spoofing_makes_every_claim_kind_unassessable() {
    let scenario = germany(150).spoofing(Verdict::Likely, 0.65).claims(&[
        "country:DE",
        "asn:AS3320",
        "prefix:11.0.0.0/8",
        "country:CN",
    ]);
    let attribution = scenario.run();
    assert_eq!(attribution.claims.len(), 4);
    for c in &attribution.claims {
        assert_eq!(c.verdict, ClaimVerdict::CannotAssess, "{}", c.claim);
        assert_eq!(c.confidence, Confidence::Low, "{}", c.claim);
        assert!(c.likelihood.is_some(), "{}", c.claim);
        check_statement(c);
    }
    assert_eq!(claim(&attribution, "prefix:11.0.0.0/8").share_sources, 1.0);
}

#[test]
fn reflection_makes_every_claim_kind_unassessable() {
    let attribution = germany(150)
        .reflection(&["ntp_amplification"])
        .claims(&["country:DE", "asn:AS3320", "prefix:11.0.0.0/8"])
        .run();
    for c in &attribution.claims {
        assert_eq!(c.verdict, ClaimVerdict::CannotAssess, "{}", c.claim);
        assert!(
            factor(c, "reflection")
                .detail
                .contains("says nothing about")
        );
        check_statement(c);
    }
}

#[test]
fn validated_senders_that_disagree_cap_the_verdict() {
    // 150 of 200 in Germany, but the 20 validated senders mostly elsewhere.
    let with_validated = |agreeing: usize| {
        let mut scenario = germany(150);
        let (mut yes, mut no) = (0, 0);
        for sender in &mut scenario.senders {
            let german = sender.country == CountryCode::parse("DE");
            if german && yes < agreeing {
                sender.validated = true;
                yes += 1;
            } else if !german && no < 20 - agreeing {
                sender.validated = true;
                no += 1;
            }
        }
        verdict_of(scenario, "country:DE").0
    };
    assert_eq!(
        with_validated(10),
        ClaimVerdict::Supported,
        "10 of 20 agree"
    );
    assert_eq!(with_validated(9), ClaimVerdict::WeaklySupported);
    assert_eq!(with_validated(3), ClaimVerdict::WeaklySupported, "15 %");
    assert_eq!(with_validated(2), ClaimVerdict::NotSupported);
    // Nine validated senders are too few to count, whatever they say.
    let mut nine = germany(150);
    for sender in nine.senders.iter_mut().rev().take(9) {
        sender.validated = true;
    }
    let attribution = nine.claims(&["country:DE"]).run();
    let de = claim(&attribution, "country:DE");
    assert_eq!(de.verdict, ClaimVerdict::Supported);
    assert_eq!(de.validated_share, Some(0.0));
    assert_eq!(factor(de, "validated_sources").effect, Effect::Neutral);
    // Ten that all disagree: at most not supported.
    let mut ten = germany(150);
    for sender in ten.senders.iter_mut().rev().take(10) {
        sender.validated = true;
    }
    assert_eq!(verdict_of(ten, "country:DE").0, ClaimVerdict::NotSupported);
}

#[test]
fn rented_infrastructure_caps_confidence_at_moderate() {
    // 150 of 200 in Germany, 20 validated Germans: high confidence unless rented.
    let base = || germany(150).senders_where(Some("DE"), |s| s.validated = true);
    assert_eq!(
        verdict_of(base(), "country:DE"),
        (ClaimVerdict::Supported, Confidence::High)
    );
    let half = base().first(100, |s| s.hosting = true);
    assert_eq!(
        verdict_of(half, "country:DE"),
        (ClaimVerdict::Supported, Confidence::Moderate)
    );
    let under_half = base().first(99, |s| s.anonymizer = true);
    assert_eq!(
        verdict_of(under_half, "country:DE"),
        (ClaimVerdict::Supported, Confidence::High)
    );
    // Hosting and anonymizer flags on one sender count once.
    let both = base().first(99, |s| {
        s.anonymizer = true;
        s.hosting = true;
    });
    assert_eq!(verdict_of(both, "country:DE").1, Confidence::High);
}

#[test]
fn embedded_database_caps_country_confidence_only() {
    let base = || {
        let senders = Population::new()
            .add("DE", 150, (3320, 1))
            .add("NL", 50, (1136, 1))
            .done();
        Scenario::new(senders).senders_where(None, |s| s.validated = true)
    };
    for claim in ["country:DE", "asn:AS3320", "prefix:11.0.0.0/8"] {
        assert_eq!(
            verdict_of(base(), claim),
            (ClaimVerdict::Supported, Confidence::High),
            "{claim}"
        );
    }
    assert_eq!(
        verdict_of(base().embedded(), "country:DE").1,
        Confidence::Moderate
    );
    // ASN and prefix claims do not rest on the country database.
    assert_eq!(
        verdict_of(base().embedded(), "asn:AS3320").1,
        Confidence::High
    );
    assert_eq!(
        verdict_of(base().embedded(), "prefix:11.0.0.0/8").1,
        Confidence::High
    );
}

#[test]
fn supported_without_handshakes_is_moderate_at_most() {
    assert_eq!(
        verdict_of(germany(150), "country:DE"),
        (ClaimVerdict::Supported, Confidence::Moderate)
    );
}

#[test]
fn few_sources_make_confidence_low() {
    let of = |n: u64| {
        let senders = Population::new()
            .add("DE", n - 5, (3320, 3))
            .add("NL", 5, (1136, 1))
            .done();
        Scenario::new(senders).senders_where(None, |s| s.validated = true)
    };
    let attribution = of(29).claims(&["country:DE"]).run();
    let de = claim(&attribution, "country:DE");
    assert_eq!(
        (de.verdict, de.confidence),
        (ClaimVerdict::Supported, Confidence::Low)
    );
    assert_eq!(
        severity(&attribution, "low_volume"),
        Some(Severity::Warning)
    );
    let attribution = of(30).claims(&["country:DE"]).run();
    assert_eq!(
        claim(&attribution, "country:DE").confidence,
        Confidence::High
    );
    assert_eq!(caveat(&attribution, "low_volume"), None);
}

#[test]
fn an_interval_across_the_deciding_threshold_makes_confidence_moderate() {
    // 120 of 200 validated Germans: interval [53.1 %, 66.5 %] clear of 50 %: high.
    let clear = germany(120).senders_where(Some("DE"), |s| s.validated = true);
    assert_eq!(verdict_of(clear, "country:DE").1, Confidence::High);
    // 110 of 200: [48.1 %, 61.8 %] reaches across 50 %: moderate.
    let across = germany(110).senders_where(Some("DE"), |s| s.validated = true);
    let attribution = across.claims(&["country:DE"]).run();
    let de = claim(&attribution, "country:DE");
    assert_eq!(
        (de.verdict, de.confidence),
        (ClaimVerdict::Supported, Confidence::Moderate)
    );
    assert!(
        de.statement.contains("reaches across the 50.0 % threshold"),
        "{}",
        de.statement
    );
    // Not supported with an upper bound over 15 %: moderate; well under: high.
    assert_eq!(
        verdict_of(germany(25), "country:DE").1,
        Confidence::Moderate
    );
    assert_eq!(verdict_of(germany(10), "country:DE").1, Confidence::High);
}

#[test]
fn old_databases_cap_confidence_from_half_a_year() {
    let aged = |days: i64| {
        let mut scenario = germany(150).senders_where(Some("DE"), |s| s.validated = true);
        scenario.geoip.builds[0].build_epoch_s = FIRST_SEEN - days * DAY;
        scenario
    };
    let attribution = aged(179).claims(&["country:DE"]).run();
    assert_eq!(
        claim(&attribution, "country:DE").confidence,
        Confidence::High
    );
    assert_eq!(severity(&attribution, "database_age"), Some(Severity::Info));
    let attribution = aged(180).claims(&["country:DE"]).run();
    assert_eq!(
        claim(&attribution, "country:DE").confidence,
        Confidence::Moderate
    );
    assert_eq!(
        severity(&attribution, "database_age"),
        Some(Severity::Warning)
    );
    // A database built long after the capture counts the same.
    let attribution = aged(-200).claims(&["country:DE"]).run();
    assert_eq!(
        severity(&attribution, "database_age"),
        Some(Severity::Warning)
    );
    assert!(
        caveat(&attribution, "database_age")
            .unwrap()
            .text
            .contains("200 days after the first packet")
    );
    assert_eq!(severity(&aged(29).run(), "database_age"), None);
    assert_eq!(
        severity(&aged(30).run(), "database_age"),
        Some(Severity::Info)
    );
    // Prefix claims do not depend on the databases.
    let attribution = aged(400).claims(&["prefix:11.0.0.0/8"]).run();
    assert_eq!(
        claim(&attribution, "prefix:11.0.0.0/8").confidence,
        Confidence::High
    );
}

#[test]
fn each_claim_kind_is_held_to_the_age_of_its_own_database() {
    let senders = Population::new()
        .add("DE", 150, (3320, 1))
        .add("NL", 50, (1136, 1))
        .done();
    let mut scenario = Scenario::new(senders).senders_where(None, |s| s.validated = true);
    scenario.geoip.builds = vec![
        DatabaseBuild {
            role: "country".into(),
            build_epoch_s: FIRST_SEEN - 400 * DAY,
        },
        DatabaseBuild {
            role: "asn".into(),
            build_epoch_s: FIRST_SEEN - 3 * DAY,
        },
    ];
    let attribution = scenario
        .claims(&["country:DE", "asn:AS3320", "prefix:11.0.0.0/8"])
        .run();
    let country = claim(&attribution, "country:DE");
    assert_eq!(country.confidence, Confidence::Moderate);
    assert!(factor(country, "database_age").detail.contains("400 days"));
    let asn = claim(&attribution, "asn:AS3320");
    assert_eq!(asn.confidence, Confidence::High);
    assert!(
        factor(asn, "database_age")
            .detail
            .contains("The asn database was built 3 days")
    );
    let prefix = claim(&attribution, "prefix:11.0.0.0/8");
    assert!(prefix.factors.iter().all(|f| f.id != "database_age"));
    // The caveat and the technical origin take the worst database.
    assert!(
        caveat(&attribution, "database_age")
            .unwrap()
            .text
            .contains("country database")
    );
    assert_eq!(
        attribution.technical_origin.confidence,
        Confidence::Moderate
    );
}

#[test]
fn baselines_need_thirty_located_sources() {
    let baseline = |n: u64, german: u64| {
        Population::new()
            .add("DE", german, (3320, 1))
            .add("NL", n - german, (1136, 1))
            .bogons(40)
            .done()
    };
    let mut scenario = germany(60).space(|_| Some(0.5));
    scenario.baseline = Some(baseline(30, 3));
    let attribution = scenario.claims(&["country:DE"]).run();
    let de = claim(&attribution, "country:DE");
    assert_eq!(de.expected_basis, Some(ExpectedBasis::Baseline));
    assert!(
        (de.expected_share.unwrap() - 0.1).abs() < 1e-12,
        "bogons left out"
    );
    assert!((de.lift.unwrap() - 3.0).abs() < 1e-9);
    assert_eq!(de.verdict, ClaimVerdict::WeaklySupported);

    let mut scenario = germany(60).space(|_| Some(0.5));
    scenario.baseline = Some(baseline(29, 3));
    let attribution = scenario.claims(&["country:DE"]).run();
    let de = claim(&attribution, "country:DE");
    assert_eq!(de.expected_basis, Some(ExpectedBasis::AddressSpace));
    assert_eq!(de.expected_share, Some(0.5));
    assert_eq!(de.verdict, ClaimVerdict::NotSupported, "30 % against 50 %");
    assert!(
        factor(de, "expected_share")
            .detail
            .contains("fewer than the 30")
    );

    // A baseline without any German source: expected 0, no lift, the share decides.
    let mut scenario = germany(60);
    scenario.baseline = Some(baseline(40, 0));
    let attribution = scenario.claims(&["country:DE"]).run();
    let de = claim(&attribution, "country:DE");
    assert_eq!((de.expected_share, de.lift), (Some(0.0), None));
    assert_eq!(de.verdict, ClaimVerdict::WeaklySupported);
}

#[test]
fn nonsense_address_space_shares_are_ignored() {
    for value in [f64::NAN, -0.1, 1.5, f64::INFINITY] {
        let attribution = germany(60)
            .space(move |_| Some(value))
            .claims(&["country:DE"])
            .run();
        let de = claim(&attribution, "country:DE");
        assert_eq!(de.expected_share, None, "{value}");
        assert_eq!(de.lift, None);
    }
}

// ---------------------------------------------------------------------------------------------
// Caveats
// ---------------------------------------------------------------------------------------------

#[test]
fn botnet_caveat_from_ten_effective_countries_or_fifty_networks() {
    // Ten equal countries: effective exactly 10 (clamped to the count); nine: 9.
    let countries = |count: usize| Population::new().spread(count, 20, 1).done();
    assert_eq!(
        severity(&Scenario::new(countries(10)).run(), "botnet"),
        Some(Severity::Warning)
    );
    assert_eq!(severity(&Scenario::new(countries(9)).run(), "botnet"), None);
    let networks = |asns: u32| Population::new().add("DE", 100, (1, asns)).done();
    assert_eq!(
        severity(&Scenario::new(networks(50)).run(), "botnet"),
        Some(Severity::Warning)
    );
    assert_eq!(severity(&Scenario::new(networks(49)).run(), "botnet"), None);
    let attribution = Scenario::new(networks(50)).run();
    let text = &caveat(&attribution, "botnet").unwrap().text;
    assert!(
        text.contains("100 sources") && text.contains("50 networks"),
        "{text}"
    );
}

#[test]
fn hosting_vpn_caveat_from_ten_percent_warning_from_half() {
    let rented = |count: usize| germany(100).first(count, |s| s.hosting = true).run();
    assert_eq!(severity(&rented(19), "hosting_vpn"), None);
    assert_eq!(severity(&rented(20), "hosting_vpn"), Some(Severity::Info));
    assert_eq!(severity(&rented(99), "hosting_vpn"), Some(Severity::Info));
    assert_eq!(
        severity(&rented(100), "hosting_vpn"),
        Some(Severity::Warning)
    );
}

#[test]
fn capture_caveats_follow_their_thresholds() {
    let with = |change: &dyn Fn(&mut CaptureFacts)| {
        let mut scenario = germany(100);
        change(&mut scenario.capture);
        scenario.run()
    };
    // 2 000 packets captured.
    let sound = with(&|_| {});
    for id in [
        "capture_drops",
        "capture_truncated",
        "sampling",
        "time_sync",
        "ipv6_coverage",
        "bogons",
        "low_volume",
        "undecodable_packets",
        "database_age",
    ] {
        assert_eq!(caveat(&sound, id), None, "{id}");
    }
    // Drops: 20 of 2 020 is under 1 %, 21 of 2 021 just over.
    assert_eq!(
        severity(&with(&|c| c.interface_drops = Some(20)), "capture_drops"),
        Some(Severity::Info)
    );
    assert_eq!(
        severity(&with(&|c| c.interface_drops = Some(21)), "capture_drops"),
        Some(Severity::Warning)
    );
    assert_eq!(
        severity(&with(&|c| c.interface_drops = None), "capture_drops"),
        None
    );
    assert_eq!(
        severity(&with(&|c| c.truncated_inputs = 1), "capture_truncated"),
        Some(Severity::Warning)
    );
    assert_eq!(
        severity(
            &with(&|c| c.undecodable_packets = 19),
            "undecodable_packets"
        ),
        Some(Severity::Info)
    );
    assert_eq!(
        severity(
            &with(&|c| c.undecodable_packets = 20),
            "undecodable_packets"
        ),
        Some(Severity::Warning)
    );
    assert_eq!(
        severity(&with(&|c| c.duration_s = Some(60.0)), "sampling"),
        None
    );
    assert_eq!(
        severity(&with(&|c| c.duration_s = Some(59.9)), "sampling"),
        Some(Severity::Info)
    );
    assert_eq!(
        severity(&with(&|c| c.sampling_one_in = Some(1)), "sampling"),
        None
    );
    let sampled = with(&|c| c.sampling_one_in = Some(1_000));
    assert_eq!(severity(&sampled, "sampling"), Some(Severity::Warning));
    assert!(
        caveat(&sampled, "sampling")
            .unwrap()
            .text
            .contains("1 packet in 1000")
    );
    assert_eq!(
        severity(&with(&|c| c.out_of_order_packets = Some(19)), "time_sync"),
        Some(Severity::Info)
    );
    assert_eq!(
        severity(&with(&|c| c.out_of_order_packets = Some(20)), "time_sync"),
        Some(Severity::Warning)
    );
    let two_inputs = with(&|c| c.inputs = 2);
    assert_eq!(severity(&two_inputs, "time_sync"), Some(Severity::Info));
    assert!(
        caveat(&two_inputs, "single_vantage_point")
            .unwrap()
            .text
            .contains("2 inputs")
    );
    assert_eq!(
        severity(&with(&|c| c.packets = 99), "low_volume"),
        Some(Severity::Warning)
    );
    assert_eq!(severity(&with(&|c| c.packets = 100), "low_volume"), None);
}

#[test]
fn ipv6_coverage_caveat_only_without_coverage() {
    let with = |ipv6_packets: u64, covered: bool| {
        let mut scenario = germany(100);
        scenario.capture.packets = 1_000;
        scenario.capture.ipv6_packets = ipv6_packets;
        scenario.geoip.ipv6_coverage = covered;
        scenario.run()
    };
    assert_eq!(severity(&with(500, true), "ipv6_coverage"), None);
    assert_eq!(severity(&with(0, false), "ipv6_coverage"), None);
    assert_eq!(
        severity(&with(99, false), "ipv6_coverage"),
        Some(Severity::Info)
    );
    let notable = with(100, false);
    assert_eq!(severity(&notable, "ipv6_coverage"), Some(Severity::Warning));
    assert_eq!(notable.technical_origin.confidence, Confidence::Moderate);
    assert_eq!(
        with(99, false).technical_origin.confidence,
        Confidence::High
    );
}

#[test]
fn bogon_caveat_warns_from_one_percent() {
    let with = |bogons: u64| {
        let senders = Population::new()
            .add("DE", 1_000 - bogons, (3320, 60))
            .bogons(bogons)
            .done();
        Scenario::new(senders).run()
    };
    assert_eq!(severity(&with(0), "bogons"), None);
    assert_eq!(severity(&with(9), "bogons"), Some(Severity::Info));
    assert_eq!(severity(&with(10), "bogons"), Some(Severity::Warning));
}

#[test]
fn always_present_caveats_and_their_order() {
    let attribution = germany(100).run();
    assert_eq!(
        severity(&attribution, "geoip_accuracy"),
        Some(Severity::Info)
    );
    assert_eq!(
        severity(&attribution, "single_vantage_point"),
        Some(Severity::Info)
    );
    assert_eq!(severity(&attribution, "cgnat_nat"), Some(Severity::Info));
    // A capture with much wrong with it: sorted by severity, then id.
    let mut scenario = germany(100)
        .spoofing(Verdict::Likely, 0.9)
        .embedded()
        .first(60, |s| s.hosting = true);
    scenario.capture.truncated_inputs = 1;
    scenario.capture.interface_drops = Some(500);
    let attribution = scenario.run();
    let order: Vec<(Severity, &str)> = attribution
        .caveats
        .iter()
        .map(|c| (c.severity, c.id))
        .collect();
    let mut sorted = order.clone();
    sorted.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    assert_eq!(order, sorted);
    assert_eq!(order[0], (Severity::Critical, "spoofing"));
    let ids: Vec<&str> = order.iter().map(|(_, id)| *id).collect();
    assert_eq!(
        ids,
        [
            "spoofing",
            "capture_drops",
            "capture_truncated",
            "geoip_accuracy",
            "hosting_vpn",
            "single_vantage_point"
        ]
    );
    for caveat in &attribution.caveats {
        assert!(caveat.text.ends_with('.'), "{}", caveat.text);
        let lower = caveat.text.to_lowercase();
        assert!(!lower.contains("attack from"), "{}", caveat.text);
    }
}

// ---------------------------------------------------------------------------------------------
// Automatic claims, technical origin, actor
// ---------------------------------------------------------------------------------------------

#[test]
fn without_claims_the_top_country_and_asn_are_judged() {
    let senders = Population::new()
        .add("ZZ", 90, (1, 1))
        .add("DE", 60, (3320, 1))
        .add("NL", 50, (1136, 2))
        .done();
    let attribution = Scenario::new(senders).run();
    let claims: Vec<(&str, bool)> = attribution
        .claims
        .iter()
        .map(|c| (c.claim.as_str(), c.automatic))
        .collect();
    // "ZZ" (unknown) is not a country; AS1 holds the 90 unknown-country sources.
    assert_eq!(claims, [("country:DE", true), ("asn:AS1", true)]);
    // Given claims are judged in their order, repeats dropped, none automatic.
    let attribution = Scenario::new(Population::new().add("DE", 40, (3320, 1)).done())
        .claims(&["country:NL", "country:de", "country:NL"])
        .run();
    let claims: Vec<(&str, bool)> = attribution
        .claims
        .iter()
        .map(|c| (c.claim.as_str(), c.automatic))
        .collect();
    assert_eq!(claims, [("country:NL", false), ("country:DE", false)]);
    // No senders: nothing to choose, and claims given cannot be assessed.
    let empty = Scenario::new(Vec::new());
    assert!(empty.run().claims.is_empty());
    let attribution = empty.claims(&["asn:AS3320"]).run();
    let asn = claim(&attribution, "asn:AS3320");
    assert_eq!(asn.verdict, ClaimVerdict::CannotAssess);
    assert_eq!(asn.likelihood, None);
    check_statement(asn);
}

#[test]
fn technical_origin_lists_countries_and_asns() {
    let senders = Population::new()
        .add("DE", 60, (3320, 1))
        .add("NL", 30, (1136, 1))
        .add("ZZ", 10, (7, 1))
        .spread(5, 2, 1)
        .bogons(4)
        .done();
    let attribution = Scenario::new(senders).run();
    let origin = &attribution.technical_origin;
    let codes: Vec<(&str, u64)> = origin
        .top_countries
        .iter()
        .map(|c| (c.code.as_str(), c.sources))
        .collect();
    // Ties (2 each) by code; five listed.
    assert_eq!(
        codes,
        [("DE", 60), ("NL", 30), ("ZZ", 10), ("BR", 2), ("ID", 2)]
    );
    assert!((origin.top_countries[0].share_sources - 60.0 / 110.0).abs() < 1e-12);
    assert_eq!(origin.top_asns[0].asn, 3320);
    assert_eq!(origin.confidence, Confidence::High);
    assert!(
        origin.statement.contains("110 of the 114 attack sources"),
        "{}",
        origin.statement
    );
    assert!(
        origin.statement.contains("Germany (DE) 54.5 %"),
        "{}",
        origin.statement
    );
    assert!(
        origin.statement.contains("and 3 more places"),
        "{}",
        origin.statement
    );
}

#[test]
fn technical_origin_of_reflectors_and_forged_addresses() {
    let reflected = germany(100).reflection(&["dns_amplification"]).run();
    assert_eq!(reflected.technical_origin.confidence, Confidence::High);
    assert!(reflected.technical_origin.statement.contains("reflectors"));
    let forged = germany(100).spoofing(Verdict::Likely, 0.8).run();
    assert_eq!(forged.technical_origin.confidence, Confidence::Low);
    assert!(forged.technical_origin.statement.contains("forged"));
    let few = Scenario::new(Population::new().add("DE", 5, (3320, 1)).done()).run();
    assert_eq!(few.technical_origin.confidence, Confidence::Moderate);
    let possible = germany(100).spoofing(Verdict::Possible, 0.3).run();
    assert_eq!(possible.technical_origin.confidence, Confidence::Low);
    let none = Scenario::new(Vec::new()).run();
    assert_eq!(none.technical_origin.confidence, Confidence::Low);
    assert!(none.technical_origin.top_countries.is_empty());
}

#[test]
fn actor_is_never_assessable_and_names_the_evidence_needed() {
    let mut rng = XorShift(0xA77);
    for _ in 0..300 {
        let count = rng.next() % 60;
        let mut population = Population::new();
        for _ in 0..count {
            let code = SPREAD[(rng.next() % SPREAD.len() as u64) as usize];
            population =
                population.add(code, 1 + rng.next() % 20, (rng.next() as u32 % 500 + 1, 3));
        }
        let mut scenario = Scenario::new(population.done())
            .first((rng.next() % 50) as usize, |s| s.validated = true)
            .first((rng.next() % 50) as usize, |s| s.hosting = true);
        scenario.attack_detected = rng.next() % 4 != 0;
        scenario.reflection = rng.next() % 3 == 0;
        scenario.spoofing = match rng.next() % 3 {
            0 => (Verdict::Unlikely, 0.0),
            1 => (Verdict::Possible, 0.3),
            _ => (Verdict::Likely, 0.9),
        };
        scenario.geoip.country_database_embedded = rng.next() % 2 == 0;
        let attribution = scenario
            .claims(&["country:BR", "asn:AS7", "prefix:11.0.0.0/12"])
            .run();
        assert!(!attribution.actor.assessable);
        assert_eq!(attribution.actor.confidence, Confidence::Low);
        assert_eq!(attribution.actor.evidence_needed.len(), 4);
        for needed in [
            "command-and-control",
            "providers",
            "law-enforcement",
            "payment",
        ] {
            assert!(attribution.actor.statement.contains(needed), "{needed}");
        }
        for c in &attribution.claims {
            check_statement(c);
            let [lo, hi] = c.share_sources_interval;
            assert!(0.0 <= lo && lo <= c.share_sources && c.share_sources <= hi && hi <= 1.0);
            if scenario_verdict_unassessable(&attribution) {
                assert_eq!(c.verdict, ClaimVerdict::CannotAssess);
            }
        }
    }
}

/// Whether the inputs force every claim to `cannot_assess`: read back from the caveats.
fn scenario_verdict_unassessable(attribution: &Attribution) -> bool {
    ["reflection", "no_attack"]
        .iter()
        .any(|id| caveat(attribution, id).is_some())
        || severity(attribution, "spoofing") == Some(Severity::Critical)
}

#[test]
fn output_does_not_depend_on_sender_order() {
    let scenario = germany(120).first(40, |s| s.validated = true).claims(&[
        "country:DE",
        "asn:AS3320",
        "prefix:11.0.0.0/16",
    ]);
    let mut scenario = scenario;
    scenario.geoip.builds.push(DatabaseBuild {
        role: "asn".into(),
        build_epoch_s: FIRST_SEEN - 7 * DAY,
    });
    let forward = scenario.run();
    let mut reversed = scenario;
    reversed.senders.reverse();
    reversed.geoip.builds.reverse();
    let backward = reversed.run();
    assert_eq!(forward.claims, backward.claims);
    assert_eq!(forward.technical_origin, backward.technical_origin);
    assert_eq!(forward.actor, backward.actor);
    assert_eq!(forward.caveats, backward.caveats);
}

#[test]
fn factors_carry_the_numbers_of_their_rules() {
    let attribution = http_get_flood().claims(&["country:DE"]).run();
    let de = claim(&attribution, "country:DE");
    let ids: Vec<&str> = de.factors.iter().map(|f| f.id).collect();
    assert_eq!(
        ids,
        [
            "share_of_sources",
            "share_of_packets",
            "expected_share",
            "spoofing",
            "validated_sources",
            "sample_size",
            "rented_infrastructure",
            "geoip_database",
            "database_age",
        ]
    );
    let share = &factor(de, "share_of_sources").detail;
    assert!(
        share.contains("34 of 40 located sources (85.0 %; 95 % Wilson interval 70.9-92.9 %)"),
        "{share}"
    );
    assert!(share.contains("supported from 50.0 %"), "{share}");
    assert!(
        factor(de, "validated_sources")
            .detail
            .contains("34 of the 40")
    );
    assert!(
        factor(de, "rented_infrastructure")
            .detail
            .contains("90.0 %")
    );
    assert!(factor(de, "database_age").detail.contains("7 days before"));
}

#[test]
fn registered_country_is_reported_beside_the_located_one() {
    let attribution = germany(100)
        .first(50, |s| s.registered_country = CountryCode::parse("NL"))
        .claims(&["country:NL"])
        .run();
    let nl = claim(&attribution, "country:NL");
    let registered = &factor(nl, "registered_country").detail;
    assert!(registered.contains("50 of the 50"), "{registered}");
    assert_eq!(factor(nl, "registered_country").effect, Effect::Neutral);
}

#[test]
fn serializes_as_the_contract_says() {
    let attribution = http_get_flood().claims(&["country:DE", "country:CN"]).run();
    let json = serde_json::to_value(&attribution).unwrap();
    let de = &json["claims"][0];
    assert_eq!(de["claim"], "country:DE");
    assert_eq!(de["verdict"], "supported");
    assert_eq!(de["likelihood"], "almost_certain");
    assert_eq!(de["likelihood_range"], "95-99 %");
    assert_eq!(de["confidence"], "moderate");
    assert_eq!(de["automatic"], false);
    assert!(
        de["expected_share"].is_null() && de["lift"].is_null() && de["expected_basis"].is_null()
    );
    assert_eq!(de["share_sources_interval"].as_array().unwrap().len(), 2);
    for key in [
        "share_sources",
        "share_packets",
        "validated_share",
        "likelihood_probability",
    ] {
        assert!(de[key].is_number(), "{key}");
    }
    assert_eq!(de["factors"][0]["id"], "share_of_sources");
    assert_eq!(de["factors"][0]["effect"], "raises");
    assert!(de["statement"].is_string());
    assert_eq!(json["claims"][1]["verdict"], "contradicted");
    assert_eq!(json["actor"]["assessable"], false);
    assert_eq!(json["actor"]["confidence"], "low");
    assert!(json["technical_origin"]["top_countries"][0]["code"] == "DE");
    assert!(json["technical_origin"]["top_countries"][0]["share_sources"].is_number());
    let caveat = &json["caveats"][0];
    assert!(caveat["id"].is_string() && caveat["text"].is_string());
    assert_eq!(caveat["severity"], "warning");
    for (verdict, text) in [
        (ClaimVerdict::WeaklySupported, "weakly_supported"),
        (ClaimVerdict::NotSupported, "not_supported"),
        (ClaimVerdict::CannotAssess, "cannot_assess"),
    ] {
        assert_eq!(serde_json::to_value(verdict).unwrap(), text);
    }
    assert_eq!(
        serde_json::to_value(ExpectedBasis::AddressSpace).unwrap(),
        "address_space"
    );
    assert_eq!(
        serde_json::to_value(Severity::Critical).unwrap(),
        "critical"
    );
}

#[test]
fn nonsense_inputs_do_not_panic() {
    let mut scenario = germany(100).spoofing(Verdict::Unlikely, f64::NAN).claims(&[
        "prefix:2001:db8::/32",
        "asn:AS4294967295",
        "prefix:0.0.0.0/0",
    ]);
    scenario.capture = CaptureFacts {
        inputs: 0,
        interfaces: 0,
        truncated_inputs: 5,
        packets: 0,
        interface_drops: Some(u64::MAX),
        undecodable_packets: u64::MAX,
        ipv6_packets: u64::MAX,
        duration_s: Some(f64::NAN),
        out_of_order_packets: Some(u64::MAX),
        first_seen_s: Some(i64::MIN),
        sampling_one_in: Some(u64::MAX),
    };
    scenario.geoip.builds.push(DatabaseBuild {
        role: "asn".into(),
        build_epoch_s: i64::MAX,
    });
    scenario.senders[0].packets = u64::MAX;
    scenario.senders[1].packets = u64::MAX;
    let attribution = scenario.run();
    assert_eq!(attribution.claims.len(), 3);
    assert_eq!(claim(&attribution, "prefix:0.0.0.0/0").share_sources, 1.0);
    assert_eq!(
        claim(&attribution, "prefix:2001:db8::/32").verdict,
        ClaimVerdict::Contradicted
    );
    assert!(serde_json::to_string(&attribution).is_ok());
}

/// Small deterministic generator for the property test (Marsaglia's xorshift64).
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Counted in slices side by side, a large population and a claim's tally come out as one
/// pass over the senders gives them.
#[test]
fn population_and_tally_counted_in_slices_match_one_pass() {
    let countries = ["CN", "US", "DE", "BR"].map(|code| CountryCode::parse(code).unwrap());
    let senders: Vec<Sender> = (0..3 * MIN_SENDERS_PER_SLICE as u32 + 11)
        .map(|n| Sender {
            address: IpAddr::from(n.wrapping_mul(0x9e37_79b1).to_be_bytes()),
            packets: u64::from(n % 13) + 1,
            country: (n % 9 != 0).then_some(countries[n as usize % countries.len()]),
            registered_country: (n % 4 == 0).then_some(countries[0]),
            asn: (n % 6 != 0).then_some(64_500 + n % 40),
            validated: n % 11 == 0,
            bogon: n % 17 == 0,
            hosting: n % 5 == 0,
            anonymizer: n % 23 == 0,
        })
        .collect();
    let population = super::Population::of(&senders);
    let located: Vec<&Sender> = senders.iter().filter(|sender| !sender.bogon).collect();
    assert_eq!(population.senders, senders.len() as u64);
    assert_eq!(population.bogons, (senders.len() - located.len()) as u64);
    assert_eq!(population.located, located.len() as u64);
    assert_eq!(
        population.packets,
        located.iter().map(|s| s.packets).sum::<u64>()
    );
    assert_eq!(
        population.validated,
        located.iter().filter(|s| s.validated).count() as u64
    );
    assert_eq!(
        population.hosting,
        located.iter().filter(|s| s.hosting).count() as u64
    );
    assert_eq!(population.unique_asns(), 40);
    let counted: u64 = population
        .countries
        .iter()
        .map(|(_, sources)| sources)
        .sum();
    assert_eq!(counted, population.located);
    assert!(
        population
            .countries
            .windows(2)
            .all(|pair| pair[0].1 >= pair[1].1)
    );
    let chinese = located
        .iter()
        .filter(|sender| sender.country == Some(countries[0]))
        .count() as u64;
    assert!(population.countries.contains(&(countries[0], chinese)));

    let tally = judge::tally_for_test(&Claim::Country(countries[0]), &senders);
    assert_eq!(
        tally,
        (
            chinese,
            located
                .iter()
                .filter(|s| s.registered_country.is_some())
                .count() as u64
        )
    );
}
