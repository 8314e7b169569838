//! The attack's senders: the sources that sent a reported vector's traffic to a victim. Every
//! figure about origins (sources, countries, ASNs, diversity, spoofing, waves, attribution) is
//! computed over them, so the victims' own replies and unrelated background do not count.
//!
//! The senders are a view of the capture's source list, not a copy: with millions of
//! sources, copying their records cost more than all the passes that read them.

use std::collections::HashMap;
use std::net::IpAddr;

use rayon::prelude::*;

use crate::aggregate::vectors::VectorKind;
use crate::aggregate::{SourceList, SourceStats};
use crate::assess::vectors::{IpNetwork, VectorReport, Victim};
use crate::enrich::{Enrichment, SourceOrigin};

/// Sources of a `SourceList` with their origins, all of them or those a filter kept, in
/// address order.
#[derive(Debug, Clone, Copy)]
pub struct Senders<'a> {
    list: &'a SourceList,
    enrichment: &'a Enrichment,
    /// Indices of the kept sources, ascending; `None` when every source is kept.
    kept: Option<&'a [u32]>,
}

/// One sender: its address, its counters and where its address is located.
#[derive(Debug, Clone, Copy)]
pub struct SenderRecord<'a> {
    pub address: IpAddr,
    pub stats: &'a SourceStats,
    pub origin: &'a SourceOrigin,
}

const UNKNOWN_ORIGIN: SourceOrigin = SourceOrigin {
    country: None,
    registered_country: None,
    asn: None,
    bogon: None,
    anycast: false,
    anonymizer: None,
};

impl<'a> Senders<'a> {
    /// Every source of `list`.
    pub fn all(list: &'a SourceList, enrichment: &'a Enrichment) -> Senders<'a> {
        Senders {
            list,
            enrichment,
            kept: None,
        }
    }

    /// The sources of `list` at `kept` (ascending indices).
    pub fn kept(list: &'a SourceList, enrichment: &'a Enrichment, kept: &'a [u32]) -> Senders<'a> {
        Senders {
            list,
            enrichment,
            kept: Some(kept),
        }
    }

    pub fn len(&self) -> usize {
        self.kept.map_or(self.list.len(), <[u32]>::len)
    }

    /// The ASN details and lookup errors of the enrichment the origins come from.
    pub fn enrichment(&self) -> &'a Enrichment {
        self.enrichment
    }

    fn record(&self, index: usize) -> Option<SenderRecord<'a>> {
        Some(SenderRecord {
            address: *self.list.addresses().get(index)?,
            stats: self.list.stats().get(index)?,
            origin: self.enrichment.origin(index).unwrap_or(&UNKNOWN_ORIGIN),
        })
    }

    /// The senders in address order.
    pub fn iter(&self) -> impl Iterator<Item = SenderRecord<'a>> + '_ {
        let indices: Box<dyn Iterator<Item = usize>> = match self.kept {
            Some(kept) => Box::new(kept.iter().map(|&index| index as usize)),
            None => Box::new(0..self.list.len()),
        };
        indices.filter_map(|index| self.record(index))
    }

    pub fn addresses(&self) -> impl Iterator<Item = IpAddr> + '_ {
        self.iter().map(|sender| sender.address)
    }

    pub fn stats(&self) -> impl Iterator<Item = &'a SourceStats> + '_ {
        self.iter().map(|sender| sender.stats)
    }
}

/// The indices of the attack's senders among `sources`, or `None` when every source is one
/// (no victim, or nothing but attack traffic).
///
/// A sender is a source that is not itself a victim, whose packets were counted under a
/// reported vector, and that wrote to a victim. Victims named with `--victim` (`explicit`)
/// count whether or not enough traffic reached them to get a row of their own.
pub fn attack_sender_indices(
    sources: &SourceList,
    victims: &[Victim],
    explicit: &[IpNetwork],
    vector_rows: &[VectorReport],
) -> Option<Vec<u32>> {
    let networks: Vec<IpNetwork> = if explicit.is_empty() {
        victims.iter().map(|victim| victim.network).collect()
    } else {
        explicit.to_vec()
    };
    if networks.is_empty() {
        return None;
    }
    let is_victim = |address: IpAddr| networks.iter().any(|network| network.contains(address));
    let attack_kinds = vector_rows
        .iter()
        .filter(|row| row.kind != VectorKind::BenignOrUnknown)
        .fold(0u32, |mask, row| mask | row.kind.bit());
    // Named victims that received nothing recognisable as an attack: whatever reached them
    // is what the user asked about.
    let attack_kinds = if attack_kinds == 0 { !0 } else { attack_kinds };
    let is_sender = |(address, stats): (&IpAddr, &SourceStats)| {
        !is_victim(*address)
            && stats.vectors & attack_kinds != 0
            && (stats.first_destination.is_some_and(is_victim) || stats.other_destinations)
    };
    // One pass, in slices side by side; the indices come out in order.
    let kept: Vec<u32> = sources
        .addresses()
        .par_iter()
        .zip(sources.stats())
        .enumerate()
        .with_min_len(MIN_SOURCES_PER_SLICE)
        .filter(|&(_, pair)| is_sender(pair))
        .filter_map(|(index, _)| u32::try_from(index).ok())
        .collect();
    (kept.len() < sources.len()).then_some(kept)
}

/// How many sources have each vector mask (`SourceStats::vectors`), leaving out the
/// addresses `is_excluded` names (the victims'). Counted in slices side by side: with
/// millions of sources this pass is on the way to everything else in the report. The counts
/// are integers, so their sum is the same whatever the slices.
pub fn sources_per_vector_mask(
    sources: &SourceList,
    is_excluded: impl Fn(&IpAddr) -> bool + Sync,
) -> Vec<(u32, u64)> {
    sources
        .addresses()
        .par_iter()
        .zip(sources.stats())
        .with_min_len(MIN_SOURCES_PER_SLICE)
        .filter(|(address, _)| !is_excluded(address))
        .fold(MaskCounts::default, |mut counts, (_, stats)| {
            *counts.entry(stats.vectors).or_default() += 1;
            counts
        })
        .reduce(MaskCounts::default, |mut counts, other| {
            for (mask, sources) in other {
                *counts.entry(mask).or_default() += sources;
            }
            counts
        })
        .into_iter()
        .collect()
}

/// Sources per vector mask; masks are few (a source sends one or two kinds of traffic).
type MaskCounts = HashMap<u32, u64, foldhash::fast::RandomState>;

/// Fewest sources a slice of a parallel pass gets: below that, handing out work costs more
/// than the pass.
const MIN_SOURCES_PER_SLICE: usize = 1 << 14;

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn a_view_reads_the_kept_sources_with_their_origins() {
        let list = SourceList::from_addresses(
            ["10.0.0.1", "10.0.0.2", "10.0.0.3"]
                .iter()
                .map(|address| address.parse::<IpAddr>().unwrap()),
        );
        let mut enrichment = Enrichment::default();
        for asn in [1, 2, 3] {
            enrichment.origins.push(SourceOrigin {
                asn: Some(asn),
                ..UNKNOWN_ORIGIN
            });
        }
        let kept = [0u32, 2];
        let view = Senders::kept(&list, &enrichment, &kept);
        assert_eq!(view.len(), 2);
        let seen: Vec<(String, Option<u32>)> = view
            .iter()
            .map(|sender| (sender.address.to_string(), sender.origin.asn))
            .collect();
        assert_eq!(
            seen,
            [
                ("10.0.0.1".to_string(), Some(1)),
                ("10.0.0.3".to_string(), Some(3))
            ]
        );
        let all = Senders::all(&list, &enrichment);
        assert_eq!(all.len(), 3);
        assert_eq!(all.addresses().count(), 3);
        // A list enriched short of its length (no database) reads as unknown origins.
        let bare = Enrichment::default();
        assert!(
            Senders::all(&list, &bare)
                .iter()
                .all(|sender| sender.origin.asn.is_none())
        );
    }

    /// A list of `count` sources scattered over the address space: every seventh wrote to
    /// an address that is not the victim, every fifth has no vector, the rest one of three.
    fn list_of_senders_and_others(count: u32, victim: IpAddr) -> SourceList {
        let mut table = crate::aggregate::SourceTable::default();
        let elsewhere = IpAddr::from([198, 51, 100, 1]);
        for n in 0..count {
            let source = IpAddr::from(n.wrapping_mul(0x9e37_79b1).to_be_bytes());
            let destination = if n % 7 == 0 { elsewhere } else { victim };
            table.observe(&crate::decode::Packet::for_test(source, destination, 17, 0));
        }
        // The victim answering, as a source of its own.
        table.observe(&crate::decode::Packet::for_test(victim, elsewhere, 17, 0));
        let mut list = table.into_sorted();
        for n in 0..count {
            let source = IpAddr::from(n.wrapping_mul(0x9e37_79b1).to_be_bytes());
            if let Some(mask) = list.vectors_mut(&source) {
                *mask = if n % 5 == 0 { 0 } else { 1 << (n % 3) };
            }
        }
        if let Some(mask) = list.vectors_mut(&victim) {
            *mask = 1;
        }
        list
    }

    #[test]
    fn senders_are_the_sources_that_sent_attack_traffic_to_a_victim_in_address_order() {
        let victim = IpAddr::from([192, 0, 2, 1]);
        let list = list_of_senders_and_others(3 * MIN_SOURCES_PER_SLICE as u32, victim);
        let explicit = [IpNetwork::host(victim)];
        let kept = attack_sender_indices(&list, &[], &explicit, &[]).expect("some are not");
        let expected: Vec<u32> = (0..list.len() as u32)
            .filter(|&index| {
                let (address, stats) = (
                    list.addresses()[index as usize],
                    list.stats()[index as usize],
                );
                address != victim && stats.vectors != 0 && stats.first_destination == Some(victim)
            })
            .collect();
        assert_eq!(kept, expected);
        // Roughly 6/7 of 4/5 of the sources.
        assert!(kept.len() > list.len() * 6 / 10 && kept.len() < list.len() * 7 / 10);
        // Everyone a sender: no list of indices at all.
        let senders_only = SourceList::from_addresses([IpAddr::from([203, 0, 113, 5])]);
        assert_eq!(
            attack_sender_indices(&senders_only, &[], &explicit, &[]).map(|kept| kept.len()),
            Some(0),
            "a source with no vector and no destination is not a sender"
        );
        assert_eq!(
            attack_sender_indices(&list, &[], &[], &[]),
            None,
            "no victim"
        );
    }

    #[test]
    fn sources_per_mask_count_every_source_once_but_the_excluded() {
        let victim = IpAddr::from([192, 0, 2, 1]);
        let list = list_of_senders_and_others(3 * MIN_SOURCES_PER_SLICE as u32 + 17, victim);
        let mut counted = sources_per_vector_mask(&list, |address| *address == victim);
        counted.sort_unstable();
        let mut expected: BTreeMap<u32, u64> = BTreeMap::new();
        for (address, stats) in list.addresses().iter().zip(list.stats()) {
            if *address != victim {
                *expected.entry(stats.vectors).or_default() += 1;
            }
        }
        assert_eq!(counted, expected.into_iter().collect::<Vec<_>>());
        assert_eq!(counted.len(), 4, "no vector, and each of three");
        let none_excluded: u64 = sources_per_vector_mask(&list, |_| false)
            .iter()
            .map(|(_, sources)| sources)
            .sum();
        assert_eq!(none_excluded, list.len() as u64);
    }
}
