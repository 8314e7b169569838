//! Aggregation: takes decoded packets one at a time and keeps the counters the report needs,
//! in memory that does not grow with the number of packets.

mod handshakes;
pub mod sketch;
mod sources;
pub mod timeline;
mod totals;
pub mod vectors;

pub use handshakes::HandshakeTracker;
pub use sources::{SourceList, SourceStats, SourceTable, TtlSet};
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
            let counted_as = self.vectors.observe(packet, vectors::classify(packet));
            self.sources.observe(packet, counted_as.bit());
            if let Some(validated) = self.handshakes.observe(packet) {
                self.sources.mark_validated(&validated);
            }
            if let Some(timestamp_ns) = packet.timestamp_ns {
                self.timeline
                    .observe(timestamp_ns, packet.wire_len, packet.src);
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
