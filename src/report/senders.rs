//! The attack's senders: the sources that sent a reported vector's traffic to a victim. Every
//! figure about origins (sources, countries, ASNs, diversity, spoofing, waves, attribution) is
//! computed over them, so the victims' own replies and unrelated background do not count.
//!
//! The senders are a view of the capture's source list, not a copy: with millions of
//! sources, copying their records cost more than all the passes that read them.

use std::net::IpAddr;

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
    let pairs = || sources.addresses().iter().zip(sources.stats());
    if pairs().all(is_sender) {
        return None;
    }
    Some(
        pairs()
            .enumerate()
            .filter(|&(_, pair)| is_sender(pair))
            .filter_map(|(index, _)| u32::try_from(index).ok())
            .collect(),
    )
}

#[cfg(test)]
mod tests {
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
}
