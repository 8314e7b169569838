//! Aggregation: takes decoded packets one at a time and keeps the counters the report needs,
//! in memory that does not grow with the number of packets.
//!
//! Aggregates merge: a batch run reads captures in parallel, each into its own aggregate, and
//! appends them in time order. Most counters add up whatever the order, but how a packet is
//! classified can depend on what came before it: a TCP handshake offered in one rotated file
//! and completed in the next, a client validated in one file whose session carries on in the
//! next (its ACKs are session traffic, not an ACK flood), a fragmented datagram cut by the
//! rotation. A batch worker holds back the later fragments whose first fragment its capture
//! has not shown (`held_back`), and `append` counts them with the cache of the captures before.
//! `Aggregate::boundary_conflict` tells whether a capture read on its own may have classified
//! any other packet differently from a single pass over everything before it and it; when it
//! says no, `append` gives exactly the single pass's aggregate (below the caps), and when it
//! says yes, the batch run reads that capture again into the aggregate itself.

mod address_index;
mod alongside;
mod handshakes;
mod settling;
pub mod sketch;
mod sources;
pub mod timeline;
mod totals;
pub mod vectors;

pub use alongside::observe_alongside;
pub use handshakes::HandshakeTracker;
pub use sources::{BeyondCap, DEFAULT_SOURCE_CAP, SourceList, SourceStats, SourceTable, TtlSet};
pub use totals::Totals;

use std::collections::HashMap;
use std::net::IpAddr;

use crate::capture::Frame;
use crate::decode::{Decoded, Packet};
use vectors::VectorKind;

/// Keyed by attacker-chosen addresses: seeded per process (see `sources`).
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// Later fragments held back at most per capture (`Aggregate::held_back`): about 1 MiB. Past
/// it (a flood of later fragments whose first fragments never came), they are counted at once
/// and a capture boundary with first fragments before it is read again.
pub const MAX_HELD_BACK: usize = 16_384;

/// Everything aggregated over one or more captures.
#[derive(Debug, Clone, Default)]
pub struct Aggregate {
    pub totals: Totals,
    pub sources: SourceTable,
    pub handshakes: HandshakeTracker,
    pub timeline: timeline::Timeline,
    pub vectors: vectors::VectorCounters,
    /// Packets whose vector is known only a moment later (`settling`).
    settling: settling::Settling,
    /// When `Some` (batch workers), later fragments whose first fragment this capture has not
    /// shown yet are counted in the totals, sources and timeline but not yet under a vector:
    /// they go here, to be counted with `count_held_back` once it is known whether the capture
    /// before this one held their first fragment. `None` (a single pass): counted at once.
    pub held_back: Option<Vec<HeldBackFragment>>,
    /// More than `MAX_HELD_BACK` such fragments came; the rest were counted at once.
    pub held_back_overflowed: bool,
}

/// A later fragment whose vector is decided after ingest: the fields counting it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeldBackFragment {
    pub timestamp_ns: Option<i64>,
    pub wire_len: u32,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub ttl: u8,
    pub ip_id: u32,
    pub protocol: u8,
    pub fragment: crate::decode::Fragment,
}

impl HeldBackFragment {
    fn of(packet: &Packet) -> HeldBackFragment {
        HeldBackFragment {
            timestamp_ns: packet.timestamp_ns,
            wire_len: packet.wire_len,
            src: packet.src,
            dst: packet.dst,
            ttl: packet.ttl,
            ip_id: packet.ip_id,
            protocol: packet.protocol,
            fragment: packet.fragment,
        }
    }

    /// The packet again, as far as counting a later fragment reads it (no ports, no payload).
    fn packet(&self) -> Packet<'static> {
        Packet {
            timestamp_ns: self.timestamp_ns,
            wire_len: self.wire_len,
            captured_len: 0,
            src: self.src,
            dst: self.dst,
            ttl: self.ttl,
            ip_id: self.ip_id,
            protocol: self.protocol,
            fragment: self.fragment,
            src_port: 0,
            dst_port: 0,
            tcp: None,
            icmp: None,
            payload_len: 0,
            payload: &[],
            tunnel: None,
        }
    }
}

impl Aggregate {
    /// An empty aggregate that keeps at most `cap` sources one by one (`SourceTable::with_cap`).
    pub fn with_source_cap(cap: usize) -> Aggregate {
        Aggregate {
            sources: SourceTable::with_cap(cap),
            ..Aggregate::default()
        }
    }

    pub fn observe(&mut self, frame: &Frame, decoded: &Decoded) {
        self.totals.observe(frame, decoded);
        if let Decoded::Ip(packet) = decoded {
            while let Some(settled) = self.settling.settle_due(packet.timestamp_ns) {
                count_settled(&mut self.vectors, &mut self.timeline, settled);
            }
            let completes_handshake = self.handshakes.observe(packet).is_some();
            let classification = vectors::classify(packet);
            if self.held_back.is_some()
                && self.vectors.is_cold_later_fragment(packet, classification)
            {
                match self.held_back.as_mut() {
                    Some(list) if list.len() < MAX_HELD_BACK => {
                        list.push(HeldBackFragment::of(packet));
                        // Everything but its vector: it stays a fragment of the same source.
                        self.sources.observe(packet);
                        if let Some(timestamp_ns) = packet.timestamp_ns {
                            self.timeline
                                .observe(timestamp_ns, packet.wire_len, packet.src, false);
                        }
                        return;
                    }
                    _ => self.held_back_overflowed = true,
                }
            }
            // One more hash lookup, only for the packets whose kind it can change.
            let destination_validated = vectors::may_be_session_traffic(classification)
                && self.sources.is_validated(&packet.dst);
            // `None` past the source cap: such a source keeps no record of its own.
            let mut source = self.sources.observe(packet);
            let newly_validated = completes_handshake && source.is_some();
            if let Some(source) = source.as_deref_mut()
                && completes_handshake
            {
                // Its SYNs opened real connections; a SYN flood's sources never complete one.
                source.validated = true;
                source.vectors &= !vectors::VectorKind::SynFlood.bit();
                self.settling.validated(packet.src);
            }
            let source_validated = source.as_deref().is_some_and(|source| source.validated);
            let application = source
                .as_deref()
                .and_then(|source| vectors::application_kind(source.vectors));
            let settled =
                vectors::within_session(classification, source_validated, destination_validated);
            let taken_back_for_source = source_validated && settled != classification;
            let counted_as = match settling::Settling::provisional(
                packet,
                settled,
                taken_back_for_source,
                application,
            ) {
                Some(provisional) => {
                    if let Some(early) = self.settling.wait(packet, provisional, application) {
                        count_settled(&mut self.vectors, &mut self.timeline, early);
                    }
                    settled
                }
                None => {
                    // The rest of an application flood sender's connections count with its
                    // requests.
                    let settled = match application {
                        Some(kind) if taken_back_for_source => {
                            vectors::Classification::Session(kind)
                        }
                        _ => settled,
                    };
                    self.vectors.observe(packet, settled)
                }
            };
            if application.is_none() && vectors::is_application_request(counted_as) {
                self.settling.requested(packet.src, counted_as.kind());
            }
            if let Some(source) = source {
                source.vectors |= counted_as.bit();
            }
            if let Some(timestamp_ns) = packet.timestamp_ns {
                // The sessions around application requests are part of the flood's rate (its
                // waves and peaks) as much as the requests are.
                let attack = counted_as.kind() != vectors::VectorKind::BenignOrUnknown
                    && counted_as.role() != vectors::Role::Reply;
                self.timeline
                    .observe(timestamp_ns, packet.wire_len, packet.src, attack);
            }
            if newly_validated {
                self.sources.note_validated(packet.src);
            }
        }
    }

    /// Counts the packets still waiting to be classified: call once the input has ended,
    /// before the counters are read. Idempotent.
    pub fn finish(&mut self) {
        while let Some(settled) = self.settling.settle_oldest() {
            count_settled(&mut self.vectors, &mut self.timeline, settled);
        }
    }

    /// Keeps the packets waiting to be classified indexed by source, for an aggregate that
    /// others are appended to: `boundary_conflict` then asks about a later stream's few deciding
    /// sources instead of walking every waiting packet.
    pub fn keep_waiting_index(&mut self) {
        self.settling.keep_index();
    }

    /// Whether every packet observed is counted (`finish` was called after the last one).
    pub fn is_finished(&self) -> bool {
        self.settling.is_empty()
    }

    /// Adds another aggregate's counts. Both are finished first: packets of `other` still
    /// waiting are settled by what `other` knows.
    pub fn merge(&mut self, other: &Aggregate) {
        self.finish();
        if other.is_finished() {
            self.merge_counts(other);
        } else {
            let mut other = other.clone();
            other.finish();
            self.merge_counts(&other);
        }
    }

    /// An empty aggregate for a batch worker: it holds back later fragments (`held_back`).
    pub fn holding_back(source_cap: usize) -> Aggregate {
        Aggregate {
            held_back: Some(Vec::new()),
            ..Aggregate::with_source_cap(source_cap)
        }
    }

    /// The counters a report reads (totals, timeline, vectors) and the packets still waiting
    /// to be classified, without the per-stream state (sources, handshakes, held-back
    /// fragments): a capture's own report is built from this copy, finished, while the
    /// aggregate itself stays open to be appended to the captures before it.
    pub fn counters_copy(&self) -> Aggregate {
        let mut copy = Aggregate {
            totals: self.totals.clone(),
            timeline: self.timeline.clone(),
            vectors: self.vectors.clone(),
            settling: self.settling.clone(),
            ..Aggregate::default()
        };
        copy.handshakes.untracked_syn_acks = self.handshakes.untracked_syn_acks;
        copy
    }

    /// Adds the counts of `other`, whose waiting packets (if any) are not looked at.
    fn merge_counts(&mut self, other: &Aggregate) {
        self.totals.merge(&other.totals);
        self.sources.merge(&other.sources);
        self.handshakes.untracked_syn_acks += other.handshakes.untracked_syn_acks;
        self.timeline.merge(&other.timeline);
        self.vectors.merge(&other.vectors);
    }

    /// Why appending `later` (a stream read on its own, whose sources ingest already sorted
    /// into `later_sources`) might not give what observing its packets after this aggregate's
    /// would: the first such reason, or `None` when `append` is exact. Conservative: it may
    /// name a conflict where the packets would have been counted the same after all, never
    /// the other way round, as long as no cap was reached (sources past `--max-sources`,
    /// flows in the overflow buckets, a full handshake table are not looked at).
    pub fn boundary_conflict(
        &self,
        later: &Aggregate,
        later_sources: &SourceList,
    ) -> Option<BoundaryConflict> {
        // Bare-flag TCP kinds `within_session` takes back for a validated source.
        let session_kinds = [
            VectorKind::SynFlood,
            VectorKind::AckFlood,
            VectorKind::RstFlood,
            VectorKind::TcpOtherFlood,
        ]
        .iter()
        .fold(0, |mask, kind| mask | kind.bit());
        // What a TCP segment with ACK and neither SYN nor RST can be counted as: any of them may
        // have answered a SYN-ACK of the earlier stream.
        let acknowledging_kinds = [
            VectorKind::AckFlood,
            VectorKind::TcpOtherFlood,
            VectorKind::HttpFlood,
            VectorKind::TlsFlood,
            VectorKind::BenignOrUnknown,
        ]
        .iter()
        .fold(0, |mask, kind| mask | kind.bit());
        let expecting = self.handshakes.expecting_count() > 0;
        // Neither check can fire without outstanding handshakes or validated sources (an
        // archive of floods has neither): the later sources are not walked then.
        let walk = expecting || self.sources.validated_count() > 0;
        let walked = walk.then(|| later_sources.addresses().iter().zip(later_sources.stats()));
        for (address, stats) in walked.into_iter().flatten() {
            if expecting
                && stats.vectors & acknowledging_kinds != 0
                && self.handshakes.is_expecting(address)
            {
                return Some(BoundaryConflict::HandshakeSpans(*address));
            }
            // A validated source's SYNs before it completed its handshake in the later stream
            // were counted as a SYN flood there, and the bit cleared since: `validated` stands
            // for them.
            if (stats.vectors & session_kinds != 0 || stats.validated)
                && self.sources.is_validated(address)
            {
                return Some(BoundaryConflict::SessionContinues(*address));
            }
        }
        if let Some(address) = later
            .vectors
            .session_flood_destinations()
            .into_iter()
            .find(|address| self.sources.is_validated(address))
        {
            return Some(BoundaryConflict::SessionContinues(address));
        }
        // A source that made application requests before the boundary and has sessions after
        // it: a single pass counts them with its requests (`Classification::Session`) at once,
        // the later stream alone only if it makes requests there too.
        for (address, stats) in later_sources.addresses().iter().zip(later_sources.stats()) {
            if stats.validated
                && self
                    .sources
                    .get(address)
                    .is_some_and(|earlier| vectors::application_kind(earlier.vectors).is_some())
            {
                return Some(BoundaryConflict::SessionContinues(*address));
            }
        }
        // A packet still waiting at the end of this stream would have been settled, in a single
        // pass, by what its source did in the first seconds of the later stream.
        // Few later sources are validated or make requests; a flood leaves many packets
        // waiting, so the queue is scanned only when there are such sources, and probed in a
        // small map.
        // Few later sources are validated or make requests, and those are looked up among the
        // waiting packets' sources (kept indexed in a batch run's merged aggregate), in address
        // order: the conflict named is the lowest address, whichever way the index came.
        let waiting = self.settling.waiting_by_source();
        if !waiting.is_empty() {
            for (address, stats) in later_sources.addresses().iter().zip(later_sources.stats()) {
                let requests = vectors::application_kind(stats.vectors).is_some();
                if !stats.validated && !requests {
                    continue;
                }
                let settles_otherwise = waiting.get(address).is_some_and(|kinds| {
                    (kinds.syns > 0 && stats.validated) || (kinds.sessions > 0 && requests)
                });
                if settles_otherwise {
                    return Some(BoundaryConflict::HandshakeSpans(*address));
                }
            }
        }
        if later.held_back_overflowed && self.vectors.remembers_fragments() {
            return Some(BoundaryConflict::FragmentSpans);
        }
        None
    }

    /// Counts a later fragment held back by `observe` (see `held_back`) as what `recalled`
    /// says its datagram was (from the cache of the stream before it), or as a
    /// `fragment_flood` when that is `None`, as a single pass would have when it came.
    pub fn count_held_back(
        &mut self,
        fragment: &HeldBackFragment,
        recalled: Option<(vectors::Classification, Option<u16>)>,
    ) -> vectors::Classification {
        let packet = fragment.packet();
        let (classification, port) = recalled.unwrap_or((
            vectors::Classification::Flood(VectorKind::FragmentFlood),
            None,
        ));
        let counted_as = self.vectors.count(&packet, classification, port);
        if let Some(source) = self.sources.get_mut(&packet.src) {
            source.vectors |= counted_as.bit();
        }
        let attack = counted_as.kind() != VectorKind::BenignOrUnknown
            && counted_as.role() != vectors::Role::Reply;
        if let (Some(timestamp_ns), true) = (packet.timestamp_ns, attack) {
            self.timeline.add_attack(timestamp_ns, packet.wire_len);
        }
        counted_as
    }

    /// Adds `later`, a stream that comes after this one, with the per-stream state it ended
    /// with (outstanding handshakes, the fragment cache), so that a further stream can be
    /// appended in turn. `later_sources` and `beyond_cap` are its sources, as ingest left them
    /// (`later.sources` itself is then empty), and `held_back` the later fragments it held
    /// back: each counts as its datagram did if this stream's fragment cache holds the first
    /// fragment (the later stream had written nothing in its slot when it came), else as a
    /// `fragment_flood`. Exact when `boundary_conflict` found nothing.
    pub fn append(
        &mut self,
        later: &Aggregate,
        later_sources: &SourceList,
        beyond_cap: Option<&BeyondCap>,
        held_back: &[HeldBackFragment],
    ) {
        // Looked up before the later stream's cache is laid over this one's.
        let recalled: Vec<_> = held_back
            .iter()
            .map(|fragment| self.vectors.recall(&fragment.packet()))
            .collect();
        self.merge_counts(later);
        // This stream's waiting packets are settled by what it knows once the later stream has
        // gone past their window: `boundary_conflict` found nothing in `later` that would
        // settle them otherwise. The rest wait on, before the later stream's own, for the
        // stream after it (a short capture may not cover the window).
        while let Some(settled) = self.settling.settle_due(later.totals.span.last_ns()) {
            count_settled(&mut self.vectors, &mut self.timeline, settled);
        }
        // `self.sources` holds the earlier streams' sources until `merge_sorted` below.
        let sources = &self.sources;
        let earlier_mask = |address: &IpAddr| sources.get(address).map_or(0, |stats| stats.vectors);
        let requesting: FastMap<IpAddr, VectorKind> = later_sources
            .addresses()
            .iter()
            .zip(later_sources.stats())
            .filter_map(|(address, stats)| {
                Some((*address, vectors::application_kind(stats.vectors)?))
            })
            .collect();
        for settled in self
            .settling
            .append(&later.settling, earlier_mask, &requesting)
        {
            count_settled(&mut self.vectors, &mut self.timeline, settled);
        }
        self.sources.merge_sorted(later_sources, beyond_cap);
        for (fragment, recalled) in held_back.iter().zip(recalled) {
            self.count_held_back(fragment, recalled);
        }
        self.handshakes.append(&later.handshakes);
        self.vectors.append_fragment_cache(&later.vectors);
    }
}

/// What makes a capture's own aggregate differ from a single pass over it and the captures
/// before it (see `Aggregate::boundary_conflict`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoundaryConflict {
    /// This address acknowledged something after the boundary and had a SYN-ACK outstanding
    /// from before it.
    HandshakeSpans(IpAddr),
    /// This address completed a handshake before the boundary and has TCP traffic after it
    /// that was counted as a flood for want of that handshake.
    SessionContinues(IpAddr),
    /// More later fragments than `MAX_HELD_BACK` came after the boundary without their first
    /// fragment, and first fragments came before it: some may belong together.
    FragmentSpans,
}

impl std::fmt::Display for BoundaryConflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BoundaryConflict::HandshakeSpans(address) => write!(
                f,
                "a TCP handshake of {address} began in an earlier capture and may end in this one"
            ),
            BoundaryConflict::SessionContinues(address) => write!(
                f,
                "{address} completed a TCP handshake in an earlier capture and its session goes on in this one"
            ),
            BoundaryConflict::FragmentSpans => f.write_str(
                "too many later fragments without their first fragment to match them with an earlier capture's",
            ),
        }
    }
}

/// Counts a packet whose classification waited (`settling`). A function of the two counters
/// rather than a method, so that it can run while the packet's source record is borrowed.
fn count_settled(
    vectors: &mut vectors::VectorCounters,
    timeline: &mut timeline::Timeline,
    (waiting, settled): (settling::Waiting, settling::Settled),
) {
    vectors.observe(&waiting.packet(), settled.classification);
    if settled.unmark_attack {
        timeline.unmark_attack(waiting.timestamp_ns, waiting.wire_len);
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod observe_tests;
