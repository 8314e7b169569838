//! Judging one claim: takes a claim and the attribution context, gives its verdict, likelihood,
//! confidence, factors and statement. The rules run in a fixed order (share and lift, expected
//! share, spoofing, reflection, validated senders, then the confidence caps), and each leaves
//! a factor with the number it used, so a reader can redo the verdict from the list.

use rayon::prelude::*;

use crate::assess::spoofing::{Verdict, percent};

use super::{
    CONTRADICTED_UPPER, Claim, ClaimAssessment, ClaimVerdict, Confidence, ConfidenceCaps, Context,
    DATABASE_AGE_WARNING_DAYS, Effect, ExpectedBasis, Factor, LOW_VOLUME_SOURCES, Likelihood,
    MIN_BASELINE_SOURCES, MIN_VALIDATED_SOURCES, Population, RENTED_MOSTLY, SUBSTANTIAL_SHARE,
    SUPPORTED_LIFT, SUPPORTED_SHARE, Sender, WEAK_LIFT, WEAK_LIFTED_SHARE, WEAK_SHARE, gap_text,
    percent_range, probability_at_least, round3, share, slice_length, too_old, vector_list,
    wilson_interval,
};

/// A claim's counts among the located senders.
#[derive(Debug, Default)]
struct Tally {
    sources: u64,
    packets: u64,
    validated: u64,
    /// Country claims: sources whose block is registered in the country, and sources with any
    /// registered country.
    registered: u64,
    registered_known: u64,
}

fn tally(claim: &Claim, senders: &[Sender]) -> Tally {
    // A slice per thread; the counts add up the same in any order (see `Population::of`).
    senders
        .par_chunks(slice_length(senders.len()))
        .map(|slice| tally_slice(claim, slice))
        .reduce(Tally::default, |mut tally, other| {
            tally.sources += other.sources;
            tally.packets = tally.packets.saturating_add(other.packets);
            tally.validated += other.validated;
            tally.registered += other.registered;
            tally.registered_known += other.registered_known;
            tally
        })
}

/// A claim's matching sources and the sources with a registered country, as `tally` counts
/// them.
#[cfg(test)]
pub(super) fn tally_for_test(claim: &Claim, senders: &[Sender]) -> (u64, u64) {
    let tally = tally(claim, senders);
    (tally.sources, tally.registered_known)
}

fn tally_slice(claim: &Claim, senders: &[Sender]) -> Tally {
    let mut tally = Tally::default();
    for sender in senders.iter().filter(|sender| !sender.bogon) {
        if claim.matches(sender) {
            tally.sources += 1;
            tally.packets = tally.packets.saturating_add(sender.packets);
            tally.validated += u64::from(sender.validated);
        }
        if sender.registered_country.is_some() {
            tally.registered_known += 1;
            tally.registered += u64::from(claim.matches_registered(sender));
        }
    }
    tally
}

/// The claimed entity's normal share, with where it came from.
struct Expected {
    share: f64,
    basis: ExpectedBasis,
    /// "3 of the baseline's 40 located sources (7.5 %) geolocate to ...".
    detail: String,
}

fn expected_share(claim: &Claim, context: &Context) -> NormalShare {
    let mut note = None;
    if let Some(baseline) = context.inputs.baseline {
        let located = context.baseline_located;
        if located >= MIN_BASELINE_SOURCES {
            let matching = baseline
                .iter()
                .filter(|sender| !sender.bogon && claim.matches(sender))
                .count() as u64;
            let expected_share = share(matching, located);
            return NormalShare::Known(Expected {
                share: expected_share,
                basis: ExpectedBasis::Baseline,
                detail: format!(
                    "{matching} of the baseline's {located} located sources ({}) {}",
                    percent(expected_share),
                    claim.predicate()
                ),
            });
        }
        note = Some(format!(
            "the baseline's {located} located sources are fewer than the \
             {MIN_BASELINE_SOURCES} needed for normal shares"
        ));
    }
    let from_space = context
        .inputs
        .address_space_share
        .and_then(|lookup| lookup(claim))
        .filter(|value| value.is_finite() && (0.0..=1.0).contains(value));
    match from_space {
        Some(space) => NormalShare::Known(Expected {
            share: space,
            basis: ExpectedBasis::AddressSpace,
            detail: format!(
                "{} holds {} of the routed address space{}",
                claim.subject(),
                percent(space),
                note.map(|n| format!(" ({n})")).unwrap_or_default(),
            ),
        }),
        None => NormalShare::Unknown(note),
    }
}

enum NormalShare {
    Known(Expected),
    /// With the reason a baseline was not used, if one was given.
    Unknown(Option<String>),
}

pub(super) fn assess_claim(claim: Claim, automatic: bool, context: &Context) -> ClaimAssessment {
    let population = &context.population;
    let inputs = context.inputs;
    let counts = tally(&claim, inputs.senders);
    let n = population.located;
    let k = counts.sources;
    let share_sources = share(k, n);
    let interval = wilson_interval(k, n);
    let share_packets = share(counts.packets, population.packets);
    let validated_share =
        (population.validated > 0).then(|| share(counts.validated, population.validated));
    let expected = expected_share(&claim, context);
    let (expected_share, expected_basis, lift) = match &expected {
        NormalShare::Known(e) => (
            Some(e.share),
            Some(e.basis),
            (e.share > 0.0).then(|| share_sources / e.share),
        ),
        NormalShare::Unknown(_) => (None, None, None),
    };
    let measurable = inputs.attack_detected && n > 0;
    let probability = measurable.then(|| round3(probability_at_least(k, n, SUBSTANTIAL_SHARE)));
    let likelihood = probability.map(Likelihood::from_probability);

    let mut factors = Vec::new();
    let mut caps = ConfidenceCaps::new();

    let verdict = if !inputs.attack_detected {
        factors.push(Factor {
            id: "no_attack",
            effect: Effect::Lowers,
            detail: "No attack was recognised in the capture, so there are no attack sources \
                     to measure the claim against."
                .into(),
        });
        caps.cap(
            Confidence::Low,
            "no attack was recognised, so there are no attack sources to measure".into(),
        );
        ClaimVerdict::CannotAssess
    } else if n == 0 {
        factors.push(Factor {
            id: "no_sources",
            effect: Effect::Lowers,
            detail: format!(
                "None of the {} attack sources has a routable address a database could locate.",
                population.senders
            ),
        });
        caps.cap(
            Confidence::Low,
            "no attack source has a routable address to measure".into(),
        );
        ClaimVerdict::CannotAssess
    } else {
        judge(
            &claim,
            context,
            &counts,
            &expected,
            lift,
            &mut factors,
            &mut caps,
        )
    };

    let statement = claim_statement(&ClaimWords {
        claim: &claim,
        verdict,
        likelihood,
        k,
        n,
        interval,
        lift,
        expected: &expected,
        caps: &caps,
    });
    ClaimAssessment {
        claim: claim.to_string(),
        automatic,
        sources: k,
        located_sources: n,
        share_sources,
        share_sources_interval: interval,
        share_packets,
        validated_share,
        expected_share,
        expected_basis,
        lift,
        verdict,
        likelihood,
        likelihood_range: likelihood.map(Likelihood::range),
        likelihood_probability: probability,
        confidence: caps.level,
        factors,
        statement,
    }
}

/// Which threshold decided a band, for the "interval straddles it" check.
enum Decider {
    /// The share must stay at or above this.
    AtLeast(f64),
    /// The share must stay below this.
    Below(f64),
    None,
}

/// The rules, in order; each pushes its factor. Returns the verdict.
fn judge(
    claim: &Claim,
    context: &Context,
    counts: &Tally,
    expected: &NormalShare,
    lift: Option<f64>,
    factors: &mut Vec<Factor>,
    caps: &mut ConfidenceCaps,
) -> ClaimVerdict {
    let population = &context.population;
    let inputs = context.inputs;
    let n = population.located;
    let k = counts.sources;
    let share_sources = share(k, n);
    let interval = wilson_interval(k, n);
    let [low, high] = interval;

    // 1. The share of sources decides the band (with the lift, when known).
    let lift_allows = |needed: f64| lift.is_none_or(|lift| lift >= needed);
    let (mut verdict, decider) = if k == 0 || high < CONTRADICTED_UPPER {
        (ClaimVerdict::Contradicted, Decider::None)
    } else if share_sources >= SUPPORTED_SHARE && lift_allows(SUPPORTED_LIFT) {
        (ClaimVerdict::Supported, Decider::AtLeast(SUPPORTED_SHARE))
    } else if share_sources >= WEAK_SHARE && lift_allows(1.0) {
        (ClaimVerdict::WeaklySupported, Decider::AtLeast(WEAK_SHARE))
    } else if share_sources >= WEAK_LIFTED_SHARE && lift.is_some_and(|lift| lift >= WEAK_LIFT) {
        (
            ClaimVerdict::WeaklySupported,
            Decider::AtLeast(WEAK_LIFTED_SHARE),
        )
    } else if share_sources >= WEAK_SHARE {
        // Share enough, but below the expected share: the lift decided, not the interval.
        (ClaimVerdict::NotSupported, Decider::None)
    } else {
        (ClaimVerdict::NotSupported, Decider::Below(WEAK_SHARE))
    };
    factors.push(Factor {
        id: "share_of_sources",
        effect: if share_sources >= WEAK_SHARE {
            Effect::Raises
        } else {
            Effect::Lowers
        },
        detail: format!(
            "{k} of {n} located sources ({}; 95 % Wilson interval {}) {}; a claim is \
             supported from {}, weakly supported from {} (or {} with a lift of {WEAK_LIFT}), \
             and contradicted at none or an upper bound under {}.",
            percent(share_sources),
            percent_range(interval),
            claim.predicate(),
            percent(SUPPORTED_SHARE),
            percent(WEAK_SHARE),
            percent(WEAK_LIFTED_SHARE),
            percent(CONTRADICTED_UPPER),
        ),
    });
    factors.push(Factor {
        id: "share_of_packets",
        effect: Effect::Neutral,
        detail: format!(
            "They sent {} of the located sources' packets; not used in the verdict, since one \
             fast sender can outweigh a thousand slow ones.",
            percent(share(counts.packets, population.packets))
        ),
    });

    // 2. The expected share.
    factors.push(expected_factor(claim, share_sources, expected, lift));

    // 3. Forged addresses.
    let validated_agree = population.validated >= MIN_VALIDATED_SOURCES
        && share(counts.validated, population.validated) >= SUPPORTED_SHARE;
    match inputs.spoofing_verdict {
        Verdict::Likely => {
            factors.push(Factor {
                id: "spoofing",
                effect: Effect::Lowers,
                detail: format!(
                    "The spoofing checks judge forged source addresses likely (score {:.2}): \
                     forged addresses say where the forging tool picked them, not where the \
                     traffic was sent from, so the claim cannot be assessed.",
                    inputs.spoofing_score
                ),
            });
            caps.cap(
                Confidence::Low,
                format!(
                    "the spoofing checks found the source addresses forged (score {:.2}), so \
                     where they geolocate says nothing about where the traffic was sent from",
                    inputs.spoofing_score
                ),
            );
            verdict = ClaimVerdict::CannotAssess;
        }
        Verdict::Possible => {
            let before = verdict;
            if verdict == ClaimVerdict::Supported && !validated_agree {
                verdict = ClaimVerdict::WeaklySupported;
            }
            if verdict == ClaimVerdict::Contradicted {
                verdict = ClaimVerdict::NotSupported;
            }
            factors.push(Factor {
                id: "spoofing",
                effect: Effect::Lowers,
                detail: format!(
                    "The spoofing checks judge forged source addresses possible (score {:.2}): \
                     a supported claim is weakened to weakly supported unless at least \
                     {MIN_VALIDATED_SOURCES} validated sources agree, and a contradicted one \
                     to not supported, since the true senders may hide behind forged \
                     addresses{}.",
                    inputs.spoofing_score,
                    if before == verdict {
                        " (no change here)".to_string()
                    } else {
                        format!(
                            " (here {} becomes {})",
                            verdict_name(before),
                            verdict_name(verdict)
                        )
                    }
                ),
            });
            // Validated senders that agree prove their addresses, so the doubt is about the
            // rest: moderate rather than low.
            caps.cap(
                if validated_agree {
                    Confidence::Moderate
                } else {
                    Confidence::Low
                },
                format!(
                    "the spoofing checks found signs that some source addresses are forged \
                     (score {:.2})",
                    inputs.spoofing_score
                ),
            );
        }
        Verdict::Unlikely => factors.push(Factor {
            id: "spoofing",
            effect: Effect::Neutral,
            detail: format!(
                "The spoofing checks found no sign of forged source addresses (verdict \
                 unlikely, score {:.2}); careful spoofing from a small pool of addresses can \
                 still pass them.",
                inputs.spoofing_score
            ),
        }),
    }

    // 4. Reflectors.
    if inputs.reflection {
        factors.push(Factor {
            id: "reflection",
            effect: Effect::Lowers,
            detail: format!(
                "The sources are reflectors ({}): abused third-party servers answering requests \
                 forged with the victim's address, whose location says nothing about where the \
                 attacker is, so the claim cannot be assessed.",
                vector_list(inputs.reflection_vectors)
            ),
        });
        if verdict != ClaimVerdict::CannotAssess {
            caps.cap(
                Confidence::Low,
                "the sources are reflectors, third-party servers abused to bounce traffic at \
                 the victim, and their location says nothing about where the attacker is"
                    .into(),
            );
        }
        verdict = ClaimVerdict::CannotAssess;
    }

    // 5. Validated senders: addresses proven genuine.
    factors.push(validated_factor(claim, counts, population, &mut verdict));

    if verdict == ClaimVerdict::CannotAssess {
        return verdict;
    }

    // 6. Confidence: the sample, rented infrastructure, the databases.
    let straddles = match decider {
        Decider::AtLeast(threshold) => low < threshold,
        Decider::Below(threshold) => high >= threshold,
        Decider::None => false,
    };
    let sample_effect = if n < LOW_VOLUME_SOURCES {
        caps.cap(
            Confidence::Low,
            format!("only {n} located sources were seen"),
        );
        Effect::Lowers
    } else if straddles {
        let threshold = match decider {
            Decider::AtLeast(t) | Decider::Below(t) => t,
            Decider::None => 0.0,
        };
        caps.cap(
            Confidence::Moderate,
            format!(
                "the share's 95 % interval ({}) reaches across the {} threshold",
                percent_range(interval),
                percent(threshold)
            ),
        );
        Effect::Lowers
    } else {
        Effect::Neutral
    };
    factors.push(Factor {
        id: "sample_size",
        effect: sample_effect,
        detail: format!(
            "{n} located sources, 95 % interval {}: confidence is low under \
             {LOW_VOLUME_SOURCES} sources, and at most moderate when the interval reaches \
             across the threshold that decided the verdict.",
            percent_range(interval)
        ),
    });

    let rented = population.rented_share();
    let rented_mostly = rented >= RENTED_MOSTLY;
    if rented_mostly {
        caps.cap(
            Confidence::Moderate,
            format!(
                "{} of the sources are rented hosting servers or VPN, proxy or Tor exits, \
                 whose location is where the renter chose to rent them",
                percent(rented)
            ),
        );
    }
    factors.push(Factor {
        id: "rented_infrastructure",
        effect: if rented_mostly {
            Effect::Lowers
        } else {
            Effect::Neutral
        },
        detail: format!(
            "{} of the located sources are in hosting networks ({}) or flagged as VPN, proxy \
             or Tor exits ({}); from {} confidence is at most moderate.",
            percent(rented),
            population.hosting,
            population.anonymizer,
            percent(RENTED_MOSTLY)
        ),
    });

    if matches!(claim, Claim::Country(_)) {
        let embedded = inputs.geoip.country_database_embedded;
        if embedded {
            caps.cap(
                Confidence::Moderate,
                "the country database is the embedded default, which gives the country a \
                 block is registered in rather than where it is used"
                    .into(),
            );
        }
        factors.push(Factor {
            id: "geoip_database",
            effect: if embedded {
                Effect::Lowers
            } else {
                Effect::Neutral
            },
            detail: if embedded {
                "Locations come from the embedded default database, built from registry \
                 delegation data (country of registration, not of use); confidence is at most \
                 moderate."
                    .into()
            } else {
                "Locations come from a geolocation database the user supplied.".into()
            },
        });
        if counts.registered_known > 0 {
            factors.push(Factor {
                id: "registered_country",
                effect: Effect::Neutral,
                detail: format!(
                    "{} of the {} sources with a registration country are registered in {} \
                     ({}); not used in the verdict.",
                    counts.registered,
                    counts.registered_known,
                    claim.subject(),
                    percent(share(counts.registered, counts.registered_known))
                ),
            });
        }
    }

    if let Some((role, days)) = context.database_gap_for(claim) {
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
            detail: format!(
                "The {role} database was built {}; from {DATABASE_AGE_WARNING_DAYS} days \
                 either way confidence is at most moderate.",
                gap_text(days)
            ),
        });
    }

    if verdict == ClaimVerdict::Supported && !validated_agree {
        caps.cap(
            Confidence::Moderate,
            format!(
                "fewer than {MIN_VALIDATED_SOURCES} validated sources confirm the share, so no \
                 handshake proves the addresses genuine"
            ),
        );
    }
    verdict
}

fn verdict_name(verdict: ClaimVerdict) -> &'static str {
    match verdict {
        ClaimVerdict::Contradicted => "contradicted",
        ClaimVerdict::NotSupported => "not supported",
        ClaimVerdict::WeaklySupported => "weakly supported",
        ClaimVerdict::Supported => "supported",
        ClaimVerdict::CannotAssess => "cannot assess",
    }
}

fn expected_factor(
    claim: &Claim,
    share_sources: f64,
    expected: &NormalShare,
    lift: Option<f64>,
) -> Factor {
    match (expected, lift) {
        (NormalShare::Known(e), Some(lift)) => Factor {
            id: "expected_share",
            effect: if lift >= SUPPORTED_LIFT {
                Effect::Raises
            } else if lift < 1.0 {
                Effect::Lowers
            } else {
                Effect::Neutral
            },
            detail: format!(
                "Normally {}, so the attack's {} is a lift of {lift:.2}; supported needs a \
                 lift of {SUPPORTED_LIFT}, weakly supported at least 1 (or {WEAK_LIFT} for a \
                 share under {}).",
                e.detail,
                percent(share_sources),
                percent(WEAK_SHARE)
            ),
        },
        (NormalShare::Known(e), None) => Factor {
            id: "expected_share",
            effect: Effect::Neutral,
            detail: format!(
                "Normally {}, so no lift can be computed and the verdict rests on the share \
                 alone.",
                e.detail
            ),
        },
        (NormalShare::Unknown(note), _) => Factor {
            id: "expected_share",
            effect: Effect::Neutral,
            detail: format!(
                "No normal share of {} is known (no address-space figure, and {}), so the \
                 verdict rests on the share alone.",
                claim.subject(),
                note.as_deref().unwrap_or("no baseline")
            ),
        },
    }
}

/// The validated senders' factor; caps the verdict when they disagree with the claim.
fn validated_factor(
    claim: &Claim,
    counts: &Tally,
    population: &Population,
    verdict: &mut ClaimVerdict,
) -> Factor {
    let validated = population.validated;
    if validated == 0 {
        return Factor {
            id: "validated_sources",
            effect: Effect::Neutral,
            detail: "No source completed a TCP handshake, so no address is proven genuine; a \
                     supported claim then has at most moderate confidence."
                .into(),
        };
    }
    let agreeing = counts.validated;
    let validated_share = share(agreeing, validated);
    let base = format!(
        "{agreeing} of the {validated} sources that completed a TCP handshake (addresses \
         proven genuine) {} ({})",
        claim.predicate(),
        percent(validated_share)
    );
    if validated < MIN_VALIDATED_SOURCES {
        return Factor {
            id: "validated_sources",
            effect: Effect::Neutral,
            detail: format!(
                "{base}; fewer than {MIN_VALIDATED_SOURCES} validated sources, too few to \
                 count for or against the claim."
            ),
        };
    }
    let assessable = *verdict != ClaimVerdict::CannotAssess;
    let cap = if validated_share < WEAK_SHARE {
        Some(ClaimVerdict::NotSupported)
    } else if validated_share < SUPPORTED_SHARE {
        Some(ClaimVerdict::WeaklySupported)
    } else {
        None
    };
    let capped = match cap {
        Some(cap) if assessable && *verdict > cap => {
            let before = *verdict;
            *verdict = cap;
            Some(before)
        }
        _ => None,
    };
    let effect = if validated_share >= SUPPORTED_SHARE {
        Effect::Raises
    } else if validated_share < WEAK_SHARE {
        Effect::Lowers
    } else {
        Effect::Neutral
    };
    let rule = format!(
        "under {} among them the verdict is at most not supported, under {} at most weakly \
         supported",
        percent(WEAK_SHARE),
        percent(SUPPORTED_SHARE)
    );
    let detail = match capped {
        Some(before) => format!(
            "{base}; {rule}, so {} becomes {}.",
            verdict_name(before),
            verdict_name(*verdict)
        ),
        None => format!("{base}; {rule}."),
    };
    Factor {
        id: "validated_sources",
        effect,
        detail,
    }
}

/// What the claim's statement is made of.
struct ClaimWords<'a> {
    claim: &'a Claim,
    verdict: ClaimVerdict,
    likelihood: Option<Likelihood>,
    k: u64,
    n: u64,
    interval: [f64; 2],
    lift: Option<f64>,
    expected: &'a NormalShare,
    caps: &'a ConfidenceCaps,
}

/// Two sentences, as ICD 203 asks: the first gives the verdict and the likelihood with its
/// band, the second the confidence and its reasons. Neither says "the attack came from".
fn claim_statement(words: &ClaimWords) -> String {
    let claim = words.claim;
    let verdict = words.verdict;
    let first = match words.likelihood {
        None => {
            format!("The claim {claim} cannot be assessed: there is nothing to measure it against.")
        }
        Some(likelihood) => {
            let lead = if verdict == ClaimVerdict::CannotAssess {
                format!("For the claim {claim}, {}", likelihood.opening())
            } else {
                format!(
                    "The claim {claim} {}: {}",
                    verdict.phrase(),
                    likelihood.opening()
                )
            };
            let observed = if words.k == 0 {
                format!(
                    "as none of the {} do (95 % interval {})",
                    words.n,
                    percent_range(words.interval)
                )
            } else {
                format!(
                    "as {} of {} do ({}; 95 % interval {})",
                    words.k,
                    words.n,
                    percent(share(words.k, words.n)),
                    percent_range(words.interval)
                )
            };
            let lift = match (words.expected, words.lift) {
                // "0.0 times its share" says nothing "none" has not said.
                (NormalShare::Known(e), Some(lift)) if words.k > 0 => {
                    let basis = match e.basis {
                        ExpectedBasis::Baseline => "share of the baseline's sources",
                        ExpectedBasis::AddressSpace => "share of the routed address space",
                    };
                    format!(", {lift:.1} times its {} {basis}", percent(e.share))
                }
                _ => String::new(),
            };
            format!(
                "{lead} at least {} of the attack's source addresses {}, {observed}{lift}.",
                percent(SUBSTANTIAL_SHARE),
                claim.predicate()
            )
        }
    };
    format!("{first} {}", words.caps.sentence(verdict))
}
