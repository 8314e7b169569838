//! The claim-free parts of the attribution section: takes the attribution context, gives
//! `technical_origin` (where the source addresses are, and how far that can be trusted) and
//! `actor` (why packets cannot name who is responsible, and what evidence could).

use crate::assess::spoofing::{Verdict, percent};
use crate::enrich::countries;

use super::{
    ACTOR_EVIDENCE, ActorAssessment, AsnShare, Confidence, ConfidenceCaps, Context, CountryShare,
    Effect, Factor, LOW_VOLUME_SOURCES, RENTED_NOTABLE, TOP_LISTED, TechnicalOrigin, caveats,
    gap_text, join_and, join_clauses, share, too_old, vector_list,
};

pub(super) fn technical_origin(context: &Context) -> TechnicalOrigin {
    let population = &context.population;
    let inputs = context.inputs;
    let n = population.located;
    let top_countries: Vec<CountryShare> = population
        .countries
        .iter()
        .take(TOP_LISTED)
        .map(|&(code, sources)| CountryShare {
            code: code.as_str().to_string(),
            sources,
            share_sources: share(sources, n),
        })
        .collect();
    let top_asns: Vec<AsnShare> = population
        .asns
        .iter()
        .take(TOP_LISTED)
        .map(|&(asn, sources)| AsnShare {
            asn,
            sources,
            share_sources: share(sources, n),
        })
        .collect();

    let mut factors = Vec::new();
    let mut caps = ConfidenceCaps::new();

    let who = if inputs.attack_detected {
        "attack sources"
    } else {
        "sources (no attack was recognised)"
    };
    let mut sentences = Vec::new();
    if n == 0 {
        sentences.push(format!(
            "None of the {} {who} has a routable address a database could locate.",
            population.senders
        ));
        caps.cap(Confidence::Low, "there is no located source".into());
    } else {
        let list: Vec<String> = top_countries
            .iter()
            .map(|row| {
                format!(
                    "{} ({}) {}",
                    countries::name(&row.code),
                    row.code,
                    percent(row.share_sources)
                )
            })
            .collect();
        let more = population.countries.len().saturating_sub(TOP_LISTED);
        let places = if more > 0 {
            format!("{} and {more} more places", list.join(", "))
        } else {
            join_and(&list)
        };
        sentences.push(format!(
            "{n} of the {} {who} have a routable address; by share of sources they \
             geolocate to {places}, in {} networks (ASNs).",
            population.senders,
            population.unique_asns()
        ));
    }
    factors.push(Factor {
        id: "located_sources",
        effect: if n == 0 {
            Effect::Lowers
        } else {
            Effect::Neutral
        },
        detail: format!(
            "{n} of {} sources have a routable address; {} bogons (private, reserved or \
             otherwise unroutable) are left out.",
            population.senders, population.bogons
        ),
    });

    match inputs.spoofing_verdict {
        Verdict::Likely => {
            if n > 0 {
                sentences.push(format!(
                    "The spoofing checks found these addresses forged (score {:.2}), so the \
                     places describe where the forging tool picked addresses, not where the \
                     packets were sent from.",
                    inputs.spoofing_score
                ));
            }
            factors.push(Factor {
                id: "spoofing",
                effect: Effect::Lowers,
                detail: format!(
                    "Forged source addresses are likely (score {:.2}).",
                    inputs.spoofing_score
                ),
            });
            caps.cap(Confidence::Low, "the addresses are forged".into());
        }
        Verdict::Possible => {
            factors.push(Factor {
                id: "spoofing",
                effect: Effect::Lowers,
                detail: format!(
                    "Forged source addresses are possible (score {:.2}).",
                    inputs.spoofing_score
                ),
            });
            caps.cap(
                Confidence::Low,
                format!(
                    "some addresses may be forged (spoofing score {:.2})",
                    inputs.spoofing_score
                ),
            );
        }
        Verdict::Unlikely => factors.push(Factor {
            id: "spoofing",
            effect: Effect::Neutral,
            detail: format!(
                "No sign of forged source addresses (score {:.2}).",
                inputs.spoofing_score
            ),
        }),
    }
    if inputs.reflection {
        if n > 0 {
            sentences.push(
                "These are reflectors: the packets did come from them, but they only answered \
                 requests the attacker forged with the victim's address."
                    .into(),
            );
        }
        factors.push(Factor {
            id: "reflection",
            effect: Effect::Neutral,
            detail: format!(
                "The sources are reflectors ({}); their addresses are genuine, so this is where \
                 the reflected packets came from.",
                vector_list(inputs.reflection_vectors)
            ),
        });
    }
    factors.push(Factor {
        id: "validated_sources",
        effect: if population.validated > 0 {
            Effect::Raises
        } else {
            Effect::Neutral
        },
        detail: format!(
            "{} of {n} located sources completed a TCP handshake, which proves their address.",
            population.validated
        ),
    });
    if n > 0 && n < LOW_VOLUME_SOURCES {
        caps.cap(
            Confidence::Moderate,
            format!("only {n} sources were located"),
        );
    }
    if inputs.geoip.country_database_embedded {
        caps.cap(
            Confidence::Moderate,
            "the embedded country database gives registration countries".into(),
        );
    }
    factors.push(Factor {
        id: "geoip_database",
        effect: if inputs.geoip.country_database_embedded {
            Effect::Lowers
        } else {
            Effect::Neutral
        },
        detail: if inputs.geoip.country_database_embedded {
            "The country database is the embedded registry-level default.".into()
        } else {
            "The country database is one the user supplied.".into()
        },
    });
    if let Some((role, days)) = context.worst_database_gap() {
        let old = too_old(days);
        if old {
            caps.cap(
                Confidence::Moderate,
                format!(
                    "the {role} database is {} days away from the capture",
                    days.abs()
                ),
            );
        }
        factors.push(Factor {
            id: "database_age",
            effect: if old { Effect::Lowers } else { Effect::Neutral },
            detail: format!("The {role} database was built {}.", gap_text(days)),
        });
    }
    let uncovered = context.ipv6_uncovered_share();
    if uncovered > 0.0 {
        let notable = uncovered >= caveats::IPV6_UNCOVERED_WARNING;
        if notable {
            caps.cap(
                Confidence::Moderate,
                format!(
                    "{} of the packets are IPv6, which the country database does not cover",
                    percent(uncovered)
                ),
            );
        }
        factors.push(Factor {
            id: "ipv6_coverage",
            effect: if notable {
                Effect::Lowers
            } else {
                Effect::Neutral
            },
            detail: format!(
                "{} of the packets are IPv6, which the country database does not cover.",
                percent(uncovered)
            ),
        });
    }

    let level = caps.level;
    let confidence_sentence = if caps.reasons.is_empty() {
        format!(
            "Confidence in these locations is {}: the addresses show no sign of forgery and \
             the location data is current.",
            level.as_str()
        )
    } else {
        format!(
            "Confidence in these locations is {}: {}.",
            level.as_str(),
            join_clauses(&caps.reasons)
        )
    };
    sentences.push(confidence_sentence);
    TechnicalOrigin {
        statement: sentences.join(" "),
        top_countries,
        top_asns,
        confidence: level,
        factors,
    }
}

pub(super) fn actor(context: &Context) -> ActorAssessment {
    let population = &context.population;
    let inputs = context.inputs;
    let mut reasons = Vec::new();
    if !inputs.attack_detected {
        reasons.push("no attack was recognised in this capture".to_string());
    }
    if inputs.spoofing_verdict == Verdict::Likely {
        reasons.push(
            "the source addresses are forged, so they do not even show which machines sent \
             the traffic"
                .to_string(),
        );
    }
    if inputs.reflection {
        reasons.push(
            "the senders are reflectors, servers of uninvolved third parties that answered \
             requests forged with the victim's address"
                .to_string(),
        );
    } else if inputs.attack_detected
        && inputs.spoofing_verdict != Verdict::Likely
        && population.botnet_like()
    {
        reasons.push(format!(
            "{} sources spread over {} effective countries and {} networks look like a botnet \
             of compromised devices, whose owners are victims themselves",
            population.located,
            population
                .effective_countries
                .map_or("an unknown number of".to_string(), |e| format!("{e:.1}")),
            population.unique_asns()
        ));
    }
    let rented = population.rented_share();
    if inputs.attack_detected && rented >= RENTED_NOTABLE {
        reasons.push(format!(
            "{} of the sources are rented hosting servers or VPN, proxy or Tor exits, which \
             anyone can hire under any name",
            percent(rented)
        ));
    }
    if reasons.is_empty() {
        reasons.push(
            "even genuine source addresses only show which machines sent the traffic, and \
             those may be compromised, rented or relays for whoever runs the attack"
                .to_string(),
        );
    }
    let statement = format!(
        "Who is responsible cannot be assessed from packets: {}. Naming a responsible party \
         needs evidence a capture does not hold: {}.",
        join_clauses(&reasons),
        join_clauses(&ACTOR_EVIDENCE.map(String::from))
    );
    ActorAssessment {
        assessable: false,
        confidence: Confidence::Low,
        statement,
        evidence_needed: ACTOR_EVIDENCE.to_vec(),
    }
}
