//! Aggregation: takes decoded packets one at a time and keeps the counters the report needs,
//! in memory that does not grow with the number of packets.

mod handshakes;
pub mod sketch;
mod sources;
pub mod timeline;
mod totals;
pub mod vectors;

pub use handshakes::HandshakeTracker;
pub use sources::{BeyondCap, DEFAULT_SOURCE_CAP, SourceList, SourceStats, SourceTable, TtlSet};
pub use totals::Totals;

use crate::capture::Frame;
use crate::decode::Decoded;

/// Everything aggregated over one or more captures.
#[derive(Debug, Clone, Default)]
pub struct Aggregate {
    pub totals: Totals,
    pub sources: SourceTable,
    pub handshakes: HandshakeTracker,
    pub timeline: timeline::Timeline,
    pub vectors: vectors::VectorCounters,
}

impl Aggregate {
    pub fn observe(&mut self, frame: &Frame, decoded: &Decoded) {
        self.totals.observe(frame, decoded);
        if let Decoded::Ip(packet) = decoded {
            let completes_handshake = self.handshakes.observe(packet).is_some();
            let classification = vectors::classify(packet);
            // One more hash lookup, only for the packets whose kind it can change.
            let destination_validated = vectors::may_be_session_traffic(classification)
                && self.sources.is_validated(&packet.dst);
            // `None` past the source cap: such a source keeps no record of its own.
            let mut source = self.sources.observe(packet);
            if let Some(source) = source.as_deref_mut()
                && completes_handshake
            {
                // Its SYNs opened real connections; a SYN flood's sources never complete one.
                source.validated = true;
                source.vectors &= !vectors::VectorKind::SynFlood.bit();
            }
            let source_validated = source.as_deref().is_some_and(|source| source.validated);
            let classification =
                vectors::within_session(classification, source_validated, destination_validated);
            let counted_as = self.vectors.observe(packet, classification);
            if let Some(source) = source {
                source.vectors |= counted_as.bit();
            }
            if let Some(timestamp_ns) = packet.timestamp_ns {
                let attack = counted_as.kind() != vectors::VectorKind::BenignOrUnknown
                    && counted_as.role() != vectors::Role::Reply;
                self.timeline
                    .observe(timestamp_ns, packet.wire_len, packet.src, attack);
            }
        }
    }

    pub fn merge(&mut self, other: &Aggregate) {
        self.totals.merge(&other.totals);
        self.sources.merge(&other.sources);
        self.handshakes.untracked_syn_acks += other.handshakes.untracked_syn_acks;
        self.timeline.merge(&other.timeline);
        self.vectors.merge(&other.vectors);
    }
}
