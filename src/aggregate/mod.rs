//! Aggregation: takes decoded packets one at a time and keeps the counters the report needs,
//! in memory that does not grow with the number of packets.

mod handshakes;
mod settling;
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
    /// Packets whose vector is known only a moment later (`settling`).
    settling: settling::Settling,
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
        }
    }

    /// Counts the packets still waiting to be classified: call once the input has ended,
    /// before the counters are read. Idempotent.
    pub fn finish(&mut self) {
        while let Some(settled) = self.settling.settle_oldest() {
            count_settled(&mut self.vectors, &mut self.timeline, settled);
        }
    }

    /// Whether every packet observed is counted (`finish` was called after the last one).
    pub fn is_finished(&self) -> bool {
        self.settling.is_empty()
    }

    /// Adds another aggregate's counts. Both are finished first: packets of `other` still
    /// waiting are settled by what `other` knows.
    pub fn merge(&mut self, other: &Aggregate) {
        self.finish();
        if !other.is_finished() {
            let mut other = other.clone();
            other.finish();
            self.merge(&other);
            return;
        }
        self.totals.merge(&other.totals);
        self.sources.merge(&other.sources);
        self.handshakes.untracked_syn_acks += other.handshakes.untracked_syn_acks;
        self.timeline.merge(&other.timeline);
        self.vectors.merge(&other.vectors);
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
mod tests {
    use std::net::IpAddr;

    use super::vectors::{FlowKey, Role, VectorKind};
    use super::*;
    use crate::decode::{Packet, TcpInfo};

    const SERVER: &str = "203.0.113.1";
    const MS: i64 = 1_000_000;

    struct Feed {
        aggregate: Aggregate,
    }

    impl Feed {
        fn tcp(&mut self, src: &str, dst: &str, flags: u8, seq: u32, ack: u32, at_ms: i64) {
            self.send(src, dst, flags, seq, ack, at_ms, b"");
        }

        #[allow(clippy::too_many_arguments)]
        fn send(
            &mut self,
            src: &str,
            dst: &str,
            flags: u8,
            seq: u32,
            ack: u32,
            at_ms: i64,
            payload: &'static [u8],
        ) {
            let src: IpAddr = src.parse().unwrap();
            let dst: IpAddr = dst.parse().unwrap();
            let server_side = dst.to_string() == SERVER;
            let mut packet = Packet::for_test(src, dst, 6, at_ms * MS);
            (packet.src_port, packet.dst_port) = if server_side {
                (40000, 80)
            } else {
                (80, 40000)
            };
            packet.tcp = Some(TcpInfo {
                flags,
                seq,
                ack,
                ..TcpInfo::default()
            });
            packet.payload = payload;
            packet.payload_len = payload.len() as u32;
            let frame = Frame {
                link_type: 101,
                timestamp_ns: Some(at_ms * MS),
                wire_len: packet.wire_len,
                data: &[],
            };
            self.aggregate.observe(&frame, &Decoded::Ip(packet));
        }

        /// A client's connection: handshake, `requests` GETs, each acknowledged.
        fn connection(&mut self, client: &str, start_ms: i64, requests: u32) {
            self.tcp(client, SERVER, TcpInfo::SYN, 100, 0, start_ms);
            self.tcp(
                SERVER,
                client,
                TcpInfo::SYN | TcpInfo::ACK,
                900,
                101,
                start_ms + 20,
            );
            self.tcp(client, SERVER, TcpInfo::ACK, 101, 901, start_ms + 40);
            for index in 0..requests {
                let at = start_ms + 41 + i64::from(index);
                self.send(client, SERVER, 0x18, 101, 901, at, b"GET / HTTP/1.1\r\n");
            }
        }

        fn packets(&mut self, kind: VectorKind, role: Role) -> u64 {
            self.aggregate.finish();
            self.aggregate
                .vectors
                .flows()
                .filter(|(key, _): &(&FlowKey, _)| {
                    key.address.to_string() == SERVER
                        && key.class.kind == kind
                        && key.class.role == role
                })
                .map(|(_, stats)| stats.packets)
                .sum()
        }
    }

    fn feed() -> Feed {
        Feed {
            aggregate: Aggregate::default(),
        }
    }

    #[test]
    fn a_visitors_first_syn_is_not_a_syn_flood_once_its_handshake_completes() {
        let mut feed = feed();
        // A spoofed SYN that is never answered by an ACK, and a visitor's SYN that is.
        feed.tcp("198.51.100.66", SERVER, TcpInfo::SYN, 1, 0, 0);
        feed.connection("192.0.2.10", 1, 0);
        assert_eq!(feed.packets(VectorKind::SynFlood, Role::Flood), 1);
        assert!(feed.aggregate.is_finished());
    }

    #[test]
    fn a_syn_answered_after_the_window_counts_as_a_flood() {
        let mut feed = feed();
        let client = "192.0.2.10";
        feed.tcp(client, SERVER, TcpInfo::SYN, 100, 0, 0);
        // Another packet well after the window settles the SYN before the handshake is seen.
        feed.tcp("198.51.100.1", SERVER, TcpInfo::ACK, 1, 1, 5_000);
        feed.tcp(SERVER, client, TcpInfo::SYN | TcpInfo::ACK, 900, 101, 5_001);
        feed.tcp(client, SERVER, TcpInfo::ACK, 101, 901, 5_002);
        assert_eq!(feed.packets(VectorKind::SynFlood, Role::Flood), 1);
    }

    #[test]
    fn every_packet_of_an_application_flood_senders_connection_counts_with_its_requests() {
        let mut feed = feed();
        let bot = "192.0.2.20";
        feed.connection(bot, 0, 3);
        // A second connection, after the first request: counted at once.
        feed.connection(bot, 100, 2);
        feed.tcp(bot, SERVER, TcpInfo::FIN | TcpInfo::ACK, 200, 901, 200);
        assert_eq!(feed.packets(VectorKind::HttpFlood, Role::Flood), 5);
        // SYN + ACK of each connection, and the FIN.
        assert_eq!(feed.packets(VectorKind::HttpFlood, Role::Session), 5);
        assert_eq!(feed.packets(VectorKind::SynFlood, Role::Flood), 0);
        assert_eq!(feed.packets(VectorKind::BenignOrUnknown, Role::Flood), 0);
    }

    #[test]
    fn merging_settles_the_other_aggregates_waiting_packets() {
        let mut first = feed();
        first.tcp("198.51.100.66", SERVER, TcpInfo::SYN, 1, 0, 0);
        let mut merged = Aggregate::default();
        merged.merge(&first.aggregate);
        assert!(merged.is_finished());
        let mut merged = Feed { aggregate: merged };
        assert_eq!(merged.packets(VectorKind::SynFlood, Role::Flood), 1);
    }
}
