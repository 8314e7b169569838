//! TCP packets whose vector is only known a moment after they arrive.
//!
//! Two kinds of packet are told apart by what their sender does next, not by the packet:
//! - **A SYN from a source not yet validated** is a SYN flood's, unless the same source
//!   completes a handshake a round trip later: a genuine visitor's first SYN looks exactly like
//!   a flood's, and only the handshake that follows proves the address real
//!   (`handshakes`). Counting it at once would put every visitor's first SYN into `syn_flood`.
//! - **A session packet of a validated source that has made no application request yet** (the
//!   ACK that completes its handshake) belongs to an HTTP or TLS flood if the requests that
//!   follow on the connection make its sender one (`Classification::Session`), and is ordinary
//!   traffic otherwise.
//!
//! Such packets wait here for `SETTLE_WINDOW_NS` of capture time, enough for a handshake
//! (one round trip) or a SYN retransmitted after the 1 s initial timeout of RFC 6298 section 2,
//! and are then counted under what their sender turned out to be. While they wait, the few
//! sources whose state changed (validated, or made their first request) are remembered in two
//! small maps, so that settling a flood's packets costs no lookup in the source table.
//!
//! Memory is bounded: at most `MAX_WAITING` packets wait (72 bytes each, 38 MB); past it the oldest is
//! settled early, so under a flood faster than `MAX_WAITING / SETTLE_WINDOW_NS` (175,000
//! packets a second) the wait shortens (to 0.5 s at a million packets a second), still longer
//! than most handshakes take.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;

use super::vectors::{Classification, VectorKind, application_kind};
use crate::decode::{Fragment, Packet};

/// How long, in capture time, a packet waits before it is counted.
pub const SETTLE_WINDOW_NS: i64 = 3_000_000_000;

/// Packets waiting at most.
pub const MAX_WAITING: usize = 1 << 19;

/// Keyed by attacker-chosen addresses: seeded per process, as in `aggregate::sources`.
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// What a waiting packet was, as far as its arrival could tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provisional {
    /// A SYN from a source that had not completed a handshake.
    Syn,
    /// A packet inside a validated source's connection, before any application request.
    SessionBeforeRequest,
}

/// A packet waiting to be counted: what `VectorCounters::observe` needs of it.
#[derive(Debug, Clone, Copy)]
pub struct Waiting {
    /// Order of arrival, to tell which state changes came after it.
    sequence: u64,
    pub timestamp_ns: i64,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub wire_len: u32,
    pub payload_len: u32,
    pub src_port: u16,
    pub dst_port: u16,
    pub protocol: u8,
    pub provisional: Provisional,
    /// The application request vector its source already had on arrival (a SYN of a source
    /// that sent requests before it completed a handshake).
    application: Option<VectorKind>,
}

impl Waiting {
    /// The packet as `VectorCounters::observe` takes it (headers only: classification is done).
    pub fn packet(&self) -> Packet<'static> {
        Packet {
            timestamp_ns: Some(self.timestamp_ns),
            wire_len: self.wire_len,
            captured_len: 0,
            src: self.src,
            dst: self.dst,
            ttl: 0,
            ip_id: 0,
            protocol: self.protocol,
            fragment: Fragment::None,
            src_port: self.src_port,
            dst_port: self.dst_port,
            tcp: None,
            icmp: None,
            payload_len: self.payload_len,
            payload: &[],
            tunnel: None,
        }
    }
}

/// A waiting packet's final classification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settled {
    pub classification: Classification,
    /// It was provisionally marked as attack traffic on the timeline and is not.
    pub unmark_attack: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Settling {
    waiting: VecDeque<Waiting>,
    next_sequence: u64,
    /// Sources validated while packets waited, with the sequence number of the validation.
    validated: FastMap<IpAddr, u64>,
    /// Sources that made their first application request while packets waited.
    requested: FastMap<IpAddr, (u64, VectorKind)>,
    /// Map sizes after the last pruning: the next prune waits until they double, so pruning
    /// costs amortised O(1) per change.
    pruned_at: usize,
    /// Kept only for a stream that others are appended to (`keep_index`): the packets
    /// waiting per source. A check at each boundary (`Aggregate::boundary_conflict`) asks it
    /// about the later stream's few deciding sources instead of walking the whole queue, which
    /// under a flood holds up to `MAX_WAITING` packets at every boundary. Not kept in a single
    /// pass, where it would cost two map updates per waiting packet.
    index: Option<WaitingIndex>,
}

/// How many packets of each source wait, by provisional kind.
pub type WaitingIndex = FastMap<IpAddr, WaitingKinds>;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WaitingKinds {
    pub syns: u32,
    pub sessions: u32,
}

impl WaitingKinds {
    fn count(&mut self, provisional: Provisional) -> &mut u32 {
        match provisional {
            Provisional::Syn => &mut self.syns,
            Provisional::SessionBeforeRequest => &mut self.sessions,
        }
    }
}

fn index_add(index: &mut WaitingIndex, source: IpAddr, provisional: Provisional) {
    *index.entry(source).or_default().count(provisional) += 1;
}

impl Settling {
    /// Whether a packet should wait, and as what: `settled` is its classification after
    /// `within_session`, `taken_back` whether that took a bare-flag kind back because the source
    /// is validated, `application` the request vector the source already has.
    pub fn provisional(
        packet: &Packet,
        settled: Classification,
        taken_back_for_source: bool,
        application: Option<VectorKind>,
    ) -> Option<Provisional> {
        // Untimed packets cannot be placed in the window; fragments carry state of their own
        // (the fragment cache).
        if packet.timestamp_ns.is_none() || packet.fragment != Fragment::None {
            return None;
        }
        match settled {
            Classification::Flood(VectorKind::SynFlood) => Some(Provisional::Syn),
            Classification::Flood(VectorKind::BenignOrUnknown)
                if taken_back_for_source && application.is_none() =>
            {
                Some(Provisional::SessionBeforeRequest)
            }
            _ => None,
        }
    }

    /// Puts a packet in the queue. Returns the packets that had to be settled early to make
    /// room (at most one).
    pub fn wait(
        &mut self,
        packet: &Packet,
        provisional: Provisional,
        application: Option<VectorKind>,
    ) -> Option<(Waiting, Settled)> {
        let early = if self.waiting.len() >= MAX_WAITING {
            self.settle_oldest()
        } else {
            None
        };
        let sequence = self.next_sequence;
        self.next_sequence += 1;
        self.waiting.push_back(Waiting {
            sequence,
            timestamp_ns: packet.timestamp_ns.unwrap_or(0),
            src: packet.src,
            dst: packet.dst,
            wire_len: packet.wire_len,
            payload_len: packet.payload_len,
            src_port: packet.src_port,
            dst_port: packet.dst_port,
            protocol: packet.protocol,
            provisional,
            application,
        });
        if let Some(index) = self.index.as_mut() {
            index_add(index, packet.src, provisional);
        }
        early
    }

    /// Records that `source` completed a handshake.
    pub fn validated(&mut self, source: IpAddr) {
        if !self.waiting.is_empty() {
            self.validated.insert(source, self.next_sequence);
        }
    }

    /// Records that `source` made its first application request.
    pub fn requested(&mut self, source: IpAddr, kind: VectorKind) {
        if !self.waiting.is_empty() {
            self.requested.insert(source, (self.next_sequence, kind));
        }
    }

    /// Settles the oldest packet if it waited `SETTLE_WINDOW_NS` before `now_ns`.
    pub fn settle_due(&mut self, now_ns: Option<i64>) -> Option<(Waiting, Settled)> {
        let now_ns = now_ns?;
        let oldest = self.waiting.front()?;
        if now_ns.saturating_sub(oldest.timestamp_ns) <= SETTLE_WINDOW_NS {
            return None;
        }
        self.settle_oldest()
    }

    /// Settles the oldest packet, whatever its age (at the end of the input).
    pub fn settle_oldest(&mut self) -> Option<(Waiting, Settled)> {
        let oldest = self.waiting.pop_front()?;
        if let Some(index) = self.index.as_mut()
            && let std::collections::hash_map::Entry::Occupied(mut entry) = index.entry(oldest.src)
        {
            let kinds = entry.get_mut();
            let count = kinds.count(oldest.provisional);
            *count = count.saturating_sub(1);
            if *kinds == WaitingKinds::default() {
                entry.remove();
            }
        }
        let settled = self.classify(&oldest);
        self.prune();
        Some((oldest, settled))
    }

    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }

    /// Queues another stream's waiting packets after this one's, with what that stream knows
    /// of its sources, as if its packets had been observed after these. Returns the packets
    /// settled early to stay within `MAX_WAITING`.
    ///
    /// `earlier_mask` gives a source's vector mask in the earlier streams (what a single pass
    /// would have known of it when the later packets arrived), `later_requests` the sources
    /// that made application requests in the later stream (while this stream's packets waited:
    /// the caller has settled those whose window the later stream went past).
    pub fn append<S: std::hash::BuildHasher>(
        &mut self,
        later: &Settling,
        earlier_mask: impl Fn(&IpAddr) -> u32,
        later_requests: &HashMap<IpAddr, VectorKind, S>,
    ) -> Vec<(Waiting, Settled)> {
        let offset = self.next_sequence;
        // Recorded for every requesting source, whether or not it has a packet waiting: the
        // map is consulted only for waiting packets, and pruned with them.
        if !self.waiting.is_empty() {
            for (address, kind) in later_requests {
                self.requested.entry(*address).or_insert((offset, *kind));
            }
        }
        let mut early = Vec::new();
        for packet in &later.waiting {
            if self.waiting.len() >= MAX_WAITING {
                early.extend(self.settle_oldest());
            }
            let on_arrival = packet.application.map_or(0, VectorKind::bit);
            self.waiting.push_back(Waiting {
                sequence: packet.sequence.saturating_add(offset),
                application: application_kind(earlier_mask(&packet.src) | on_arrival),
                ..*packet
            });
            if let Some(index) = self.index.as_mut() {
                index_add(index, packet.src, packet.provisional);
            }
        }
        for (address, sequence) in &later.validated {
            self.validated
                .insert(*address, sequence.saturating_add(offset));
        }
        for (address, (sequence, kind)) in &later.requested {
            self.requested
                .insert(*address, (sequence.saturating_add(offset), *kind));
        }
        self.next_sequence = offset.saturating_add(later.next_sequence);
        early
    }

    /// Keeps the per-source index of waiting packets from now on (see `index`).
    pub fn keep_index(&mut self) {
        if self.index.is_none() {
            self.index = Some(self.build_index());
        }
    }

    /// The waiting packets per source: the kept index, or one built now by walking the queue.
    pub fn waiting_by_source(&self) -> Cow<'_, WaitingIndex> {
        match &self.index {
            Some(index) => Cow::Borrowed(index),
            None => Cow::Owned(self.build_index()),
        }
    }

    fn build_index(&self) -> WaitingIndex {
        let mut index = WaitingIndex::default();
        for packet in &self.waiting {
            index_add(&mut index, packet.src, packet.provisional);
        }
        index
    }

    fn classify(&self, packet: &Waiting) -> Settled {
        let session = match packet.provisional {
            Provisional::Syn => self.validated.contains_key(&packet.src),
            Provisional::SessionBeforeRequest => true,
        };
        if !session {
            return Settled {
                classification: Classification::Flood(VectorKind::SynFlood),
                unmark_attack: false,
            };
        }
        let application = packet
            .application
            .or_else(|| self.requested.get(&packet.src).map(|(_, kind)| *kind));
        Settled {
            classification: match application {
                Some(kind) => Classification::Session(kind),
                None => Classification::Flood(VectorKind::BenignOrUnknown),
            },
            unmark_attack: packet.provisional == Provisional::Syn,
        }
    }

    /// Forgets state changes older than every waiting packet: they concern no waiting packet
    /// (a packet that arrived after its source was validated, or had made a request, never
    /// waits for that).
    fn prune(&mut self) {
        let Some(oldest) = self.waiting.front().map(|packet| packet.sequence) else {
            self.validated.clear();
            self.requested.clear();
            self.pruned_at = 0;
            return;
        };
        let size = self.validated.len() + self.requested.len();
        if size > 2 * self.pruned_at.max(64) {
            self.validated.retain(|_, sequence| *sequence > oldest);
            self.requested.retain(|_, (sequence, _)| *sequence > oldest);
            self.pruned_at = self.validated.len() + self.requested.len();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn syn(src: &str, at_ms: i64) -> Packet<'static> {
        let mut packet = Packet::for_test(
            src.parse().unwrap(),
            "203.0.113.1".parse().unwrap(),
            6,
            at_ms * 1_000_000,
        );
        packet.dst_port = 443;
        packet
    }

    fn wait_syn(settling: &mut Settling, src: &str, at_ms: i64) {
        let packet = syn(src, at_ms);
        assert!(settling.wait(&packet, Provisional::Syn, None).is_none());
    }

    #[test]
    fn a_syn_waits_for_the_window_then_counts_as_a_flood() {
        let mut settling = Settling::default();
        wait_syn(&mut settling, "198.51.100.1", 0);
        assert!(settling.settle_due(Some(SETTLE_WINDOW_NS)).is_none());
        let (packet, settled) = settling.settle_due(Some(SETTLE_WINDOW_NS + 1)).unwrap();
        assert_eq!(packet.src, "198.51.100.1".parse::<IpAddr>().unwrap());
        assert_eq!(
            settled.classification,
            Classification::Flood(VectorKind::SynFlood)
        );
        assert!(!settled.unmark_attack);
        assert!(settling.is_empty());
    }

    #[test]
    fn a_syn_whose_sender_then_completes_a_handshake_is_session_traffic() {
        let mut settling = Settling::default();
        wait_syn(&mut settling, "198.51.100.1", 0);
        wait_syn(&mut settling, "198.51.100.2", 1);
        settling.validated("198.51.100.1".parse().unwrap());
        let (_, first) = settling.settle_oldest().unwrap();
        let (_, second) = settling.settle_oldest().unwrap();
        assert_eq!(
            first.classification,
            Classification::Flood(VectorKind::BenignOrUnknown)
        );
        assert!(first.unmark_attack);
        assert_eq!(
            second.classification,
            Classification::Flood(VectorKind::SynFlood)
        );
    }

    #[test]
    fn handshake_packets_join_the_application_flood_their_sender_then_makes() {
        let mut settling = Settling::default();
        let bot = "198.51.100.9";
        wait_syn(&mut settling, bot, 0);
        settling.validated(bot.parse().unwrap());
        let ack = syn(bot, 1);
        settling.wait(&ack, Provisional::SessionBeforeRequest, None);
        settling.requested(bot.parse().unwrap(), VectorKind::HttpFlood);
        for _ in 0..2 {
            let (_, settled) = settling.settle_oldest().unwrap();
            assert_eq!(
                settled.classification,
                Classification::Session(VectorKind::HttpFlood)
            );
        }
    }

    #[test]
    fn the_queue_is_bounded_by_settling_the_oldest_early() {
        let mut settling = Settling::default();
        for index in 0..MAX_WAITING {
            wait_syn(&mut settling, "198.51.100.1", index as i64 / 1_000);
        }
        let packet = syn("198.51.100.2", 0);
        let (early, settled) = settling.wait(&packet, Provisional::Syn, None).unwrap();
        assert_eq!(early.sequence, 0);
        assert_eq!(
            settled.classification,
            Classification::Flood(VectorKind::SynFlood)
        );
        assert_eq!(settling.waiting.len(), MAX_WAITING);
        // The module comment's memory figure: 72 bytes a packet, 38 MB in all.
        assert_eq!(std::mem::size_of::<Waiting>(), 72);
    }

    #[test]
    fn a_kept_index_follows_waiting_appending_and_settling() {
        let mut merged = Settling::default();
        wait_syn(&mut merged, "198.51.100.1", 0);
        merged.keep_index();
        wait_syn(&mut merged, "198.51.100.1", 5);
        wait_syn(&mut merged, "198.51.100.2", 6);
        let mut later = Settling::default();
        wait_syn(&mut later, "198.51.100.2", 10);
        wait_syn(&mut later, "198.51.100.3", 11);
        merged.append(&later, |_| 0, &HashMap::new());
        let rebuilt = |settling: &Settling| settling.build_index();
        let kept = |settling: &Settling| settling.waiting_by_source().into_owned();
        assert_eq!(kept(&merged), rebuilt(&merged));
        let syns = |settling: &Settling, address: &str| {
            kept(settling)
                .get(&address.parse().unwrap())
                .map(|kinds| kinds.syns)
        };
        assert_eq!(
            (
                syns(&merged, "198.51.100.1"),
                syns(&merged, "198.51.100.2"),
                syns(&merged, "198.51.100.3")
            ),
            (Some(2), Some(2), Some(1))
        );
        for _ in 0..3 {
            merged.settle_oldest();
            assert_eq!(kept(&merged), rebuilt(&merged));
        }
        // Settled sources leave the index; the last two packets still wait.
        assert_eq!(syns(&merged, "198.51.100.1"), None);
        assert_eq!(kept(&merged).len(), 2);
        while merged.settle_oldest().is_some() {}
        assert!(kept(&merged).is_empty());
    }

    #[test]
    fn appended_packets_wait_after_the_earlier_ones_with_their_own_streams_knowledge() {
        let mut earlier = Settling::default();
        wait_syn(&mut earlier, "198.51.100.1", 0);
        let mut later = Settling::default();
        wait_syn(&mut later, "198.51.100.2", 10);
        later.validated("198.51.100.2".parse().unwrap());
        assert!(earlier.append(&later, |_| 0, &HashMap::new()).is_empty());
        let order: Vec<_> = earlier.waiting.iter().map(|packet| packet.src).collect();
        assert_eq!(
            order,
            [
                "198.51.100.1".parse::<IpAddr>().unwrap(),
                "198.51.100.2".parse().unwrap()
            ]
        );
        let (_, first) = earlier.settle_oldest().unwrap();
        let (_, second) = earlier.settle_oldest().unwrap();
        assert_eq!(
            first.classification,
            Classification::Flood(VectorKind::SynFlood)
        );
        assert!(second.unmark_attack);
    }

    #[test]
    fn state_changes_are_forgotten_once_no_packet_waits() {
        let mut settling = Settling::default();
        wait_syn(&mut settling, "198.51.100.1", 0);
        settling.validated("198.51.100.1".parse().unwrap());
        settling.settle_oldest();
        assert!(settling.validated.is_empty());
        // Nothing waits: a validation concerns no packet and is not kept.
        settling.validated("198.51.100.3".parse().unwrap());
        assert!(settling.validated.is_empty());
    }
}
