//! The caveats of the attribution section: takes the attribution context (population, capture
//! and database facts, spoofing and reflection findings), gives the list of conditions a reader
//! must know before repeating any claim, each with a stable id, a severity and one sentence
//! with the numbers that raised it.
//!
//! Most caveats are raised only when the data calls for them. Two always apply, at info level,
//! because they are true of every capture whence reads: `geoip_accuracy` (a location is a
//! database's estimate) and `single_vantage_point` (a capture shows packets where they arrived,
//! not the path they took). `cgnat_nat` applies whenever there are located IPv4 sources that
//! are not reflectors or forged, since address counts then stand for an unknown number of
//! devices.
//!
//! Sorted by severity (critical first), then id, so the list is the same for the same data.

use serde::Serialize;

use crate::assess::spoofing::{Verdict, percent};

use super::{
    BOTNET_ASNS, BOTNET_EFFECTIVE_COUNTRIES, Context, DATABASE_AGE_INFO_DAYS,
    DATABASE_AGE_WARNING_DAYS, LOW_VOLUME_PACKETS, LOW_VOLUME_SOURCES, RENTED_MOSTLY,
    RENTED_NOTABLE, gap_text, share, vector_list,
};

/// Share of dropped or undecodable packets, of out-of-order timestamps and of bogon sources
/// from which the caveat is a warning rather than info: one in a hundred, the level at which
/// the spoofing assessment's bogon indicator reaches full weight.
pub const WARNING_SHARE: f64 = 0.01;

/// Share of IPv6 packets without IPv6 GeoIP coverage from which `ipv6_coverage` is a warning:
/// a tenth of the traffic unlocated can move a country's share across a verdict threshold.
pub const IPV6_UNCOVERED_WARNING: f64 = 0.1;

/// Captures shorter than this (seconds) raise `sampling`: a short window shows only the sources
/// that happened to send during it, and misses bots that send rarely.
pub const SHORT_CAPTURE_S: f64 = 60.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

/// One condition that limits what the report can say.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Caveat {
    /// Stable snake_case identifier.
    pub id: &'static str,
    pub severity: Severity,
    /// A sentence a manager can read, with the numbers that raised it.
    pub text: String,
}

fn caveat(id: &'static str, severity: Severity, text: String) -> Caveat {
    Caveat { id, severity, text }
}

/// Info below `WARNING_SHARE`, warning from it.
fn by_share(share: f64) -> Severity {
    if share >= WARNING_SHARE {
        Severity::Warning
    } else {
        Severity::Info
    }
}

pub(super) fn caveats(context: &Context) -> Vec<Caveat> {
    let inputs = context.inputs;
    let population = &context.population;
    let capture = &inputs.capture;
    let mut list = Vec::new();

    // geoip_accuracy: always.
    list.push(if inputs.geoip.country_database_embedded {
        caveat(
            "geoip_accuracy",
            Severity::Warning,
            "Countries come from the embedded default database, built from the regional \
             registries' delegation records: it gives the country an address block is \
             registered in, which for cloud, mobile, multinational and anycast networks can \
             differ from where the address is used; supply a geolocation database for better \
             locations."
                .to_string(),
        )
    } else {
        caveat(
            "geoip_accuracy",
            Severity::Info,
            "A country is a database's estimate of where an address is used, not where the \
             person sending from it is: MaxMind, for one, states about 99.8 % accuracy at \
             country level for its commercial data and less for free editions, and errors \
             gather in the networks attacks use most (cloud, mobile, VPN)."
                .to_string(),
        )
    });

    // database_age
    if let Some((role, days)) = context.worst_database_gap() {
        let gap = days.abs();
        if gap >= DATABASE_AGE_INFO_DAYS {
            let severity = if gap >= DATABASE_AGE_WARNING_DAYS {
                Severity::Warning
            } else {
                Severity::Info
            };
            list.push(caveat(
                "database_age",
                severity,
                format!(
                    "The {role} database was built {}: address blocks change hands and move \
                     between countries over time, so some locations will be those of another \
                     time.",
                    gap_text(days)
                ),
            ));
        }
    }

    // spoofing
    match inputs.spoofing_verdict {
        Verdict::Likely => list.push(caveat(
            "spoofing",
            Severity::Critical,
            format!(
                "The spoofing checks found the source addresses forged (score {:.2} of 1): \
                 their countries and networks describe the forging tool's choices, and no \
                 claim about the attack's origin can rest on them.",
                inputs.spoofing_score
            ),
        )),
        Verdict::Possible => list.push(caveat(
            "spoofing",
            Severity::Warning,
            format!(
                "Some source addresses may be forged (spoofing score {:.2} of 1); only the {} \
                 sources that completed a TCP handshake are proven genuine.",
                inputs.spoofing_score, population.validated
            ),
        )),
        Verdict::Unlikely => {}
    }

    // reflection
    if inputs.reflection {
        list.push(caveat(
            "reflection",
            Severity::Critical,
            format!(
                "This is a reflection attack ({}): the {} sources are servers of uninvolved \
                 third parties that answered requests the attacker forged with the victim's \
                 address, so their locations say where the abused servers are, not where the \
                 attacker is.",
                vector_list(inputs.reflection_vectors),
                population.located
            ),
        ));
    }

    // botnet
    if inputs.attack_detected
        && !inputs.reflection
        && inputs.spoofing_verdict != Verdict::Likely
        && population.botnet_like()
    {
        let effective = population
            .effective_countries
            .map_or("an unknown number of".to_string(), |e| format!("{e:.1}"));
        list.push(caveat(
            "botnet",
            Severity::Warning,
            format!(
                "The {} sources are spread over {effective} effective countries and {} \
                 networks (ASNs), as a botnet of compromised devices is: their countries are \
                 where the infected devices are, not where the operator is (thresholds: \
                 {BOTNET_EFFECTIVE_COUNTRIES} effective countries or {BOTNET_ASNS} networks).",
                population.located,
                population.unique_asns()
            ),
        ));
    }

    // hosting_vpn
    let rented = population.rented_share();
    if population.located > 0 && rented >= RENTED_NOTABLE {
        list.push(caveat(
            "hosting_vpn",
            if rented >= RENTED_MOSTLY {
                Severity::Warning
            } else {
                Severity::Info
            },
            format!(
                "{} of the located sources are rented infrastructure ({} in hosting networks, \
                 {} flagged as VPN, proxy or Tor exits): such servers are where someone rented \
                 them, not where that someone is.",
                percent(rented),
                population.hosting,
                population.anonymizer
            ),
        ));
    }

    // cgnat_nat
    if population.ipv4 > 0 && !inputs.reflection && inputs.spoofing_verdict != Verdict::Likely {
        list.push(caveat(
            "cgnat_nat",
            Severity::Info,
            format!(
                "The {} IPv4 sources are addresses, not devices: behind a home router or a \
                 carrier-grade NAT (RFC 6598) one address stands for many devices, and dynamic \
                 addressing gives one device several addresses over time.",
                population.ipv4
            ),
        ));
    }

    // single_vantage_point: always.
    list.push(caveat(
        "single_vantage_point",
        Severity::Info,
        format!(
            "The capture ({} input{}, {} interface{}) shows packets where they arrived, not \
             the path they took: nothing in it can trace a source address back, which only \
             upstream networks' records can.",
            capture.inputs,
            plural(capture.inputs),
            capture.interfaces,
            plural(capture.interfaces)
        ),
    ));

    // capture_drops
    if let Some(drops) = capture.interface_drops.filter(|&drops| drops > 0) {
        let dropped = share(drops, capture.packets.saturating_add(drops));
        list.push(caveat(
            "capture_drops",
            by_share(dropped),
            format!(
                "The capturing interfaces dropped {drops} packets ({} of what reached them), so \
                 some sources and packets are missing from every count.",
                percent(dropped)
            ),
        ));
    }

    // capture_truncated
    if capture.truncated_inputs > 0 {
        list.push(caveat(
            "capture_truncated",
            Severity::Warning,
            format!(
                "{} of the {} inputs end early, cut off mid-record: sources that sent only after \
                 the cut are missing.",
                capture.truncated_inputs, capture.inputs
            ),
        ));
    }

    // undecodable_packets
    if capture.undecodable_packets > 0 {
        let undecodable = share(capture.undecodable_packets, capture.packets);
        list.push(caveat(
            "undecodable_packets",
            by_share(undecodable),
            format!(
                "{} packets ({}) could not be decoded and are left out of the source counts.",
                capture.undecodable_packets,
                percent(undecodable)
            ),
        ));
    }

    // sampling
    let sampled = capture.sampling_one_in.filter(|&n| n > 1);
    let short = capture
        .duration_s
        .filter(|&d| d.is_finite() && d < SHORT_CAPTURE_S);
    if sampled.is_some() || short.is_some() {
        let mut parts = Vec::new();
        if let Some(n) = sampled {
            parts.push(format!(
                "only 1 packet in {n} was captured, so sources that sent few packets are \
                 missing and shares of sources are skewed towards busy senders"
            ));
        }
        if let Some(duration) = short {
            parts.push(format!(
                "the capture covers only {duration:.1} s, a sample in time: sources active \
                 outside it are missing"
            ));
        }
        list.push(caveat(
            "sampling",
            if sampled.is_some() {
                Severity::Warning
            } else {
                Severity::Info
            },
            format!("{}.", capitalise(&parts.join("; "))),
        ));
    }

    // time_sync
    let out_of_order = capture.out_of_order_packets.filter(|&n| n > 0);
    if out_of_order.is_some() || capture.inputs > 1 {
        let mut parts = Vec::new();
        let mut severity = Severity::Info;
        if let Some(count) = out_of_order {
            let disordered = share(count, capture.packets);
            severity = by_share(disordered);
            parts.push(format!(
                "{count} packets ({}) carry a timestamp earlier than the packet before",
                percent(disordered)
            ));
        }
        if capture.inputs > 1 {
            parts.push(format!(
                "the {} inputs were timed by their own clocks, which may disagree",
                capture.inputs
            ));
        }
        list.push(caveat(
            "time_sync",
            severity,
            format!(
                "{}: compare times with other logs only after checking the capturing hosts' \
                 clock synchronisation.",
                capitalise(&parts.join(", and "))
            ),
        ));
    }

    // ipv6_coverage
    let uncovered = context.ipv6_uncovered_share();
    if uncovered > 0.0 {
        list.push(caveat(
            "ipv6_coverage",
            if uncovered >= IPV6_UNCOVERED_WARNING {
                Severity::Warning
            } else {
                Severity::Info
            },
            format!(
                "{} of the packets ({}) are IPv6, which the country database does not cover: \
                 their sources have no country.",
                percent(uncovered),
                capture.ipv6_packets
            ),
        ));
    }

    // bogons
    if population.bogons > 0 {
        let bogon_share = share(population.bogons, population.senders);
        list.push(caveat(
            "bogons",
            by_share(bogon_share),
            format!(
                "{} of {} sources ({}) use private, reserved or otherwise unroutable addresses, \
                 which cannot send over the Internet: forged, or leaked from a network that does \
                 not filter; they are left out of every share.",
                population.bogons,
                population.senders,
                percent(bogon_share)
            ),
        ));
    }

    // low_volume
    if inputs.attack_detected
        && (population.located < LOW_VOLUME_SOURCES || capture.packets < LOW_VOLUME_PACKETS)
    {
        list.push(caveat(
            "low_volume",
            Severity::Warning,
            format!(
                "Only {} located sources and {} packets were seen (fewer than \
                 {LOW_VOLUME_SOURCES} sources or {LOW_VOLUME_PACKETS} packets): shares of so \
                 few carry wide uncertainty.",
                population.located, capture.packets
            ),
        ));
    }

    // no_attack
    if !inputs.attack_detected {
        list.push(caveat(
            "no_attack",
            Severity::Info,
            format!(
                "No attack was recognised: the {} sources are all the capture's senders, not \
                 attackers.",
                population.senders
            ),
        ));
    }

    list.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.id.cmp(b.id)));
    list
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
