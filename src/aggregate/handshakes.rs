//! Handshake tracking: takes TCP packets and tells which sources completed a three-way
//! handshake, i.e. acknowledged a SYN-ACK sent to their address. Such a source received
//! traffic at its address, so it cannot have been spoofed; large DDoS mitigation providers
//! base country statistics on exactly this group.
//!
//! Memory is capped: a spoofed SYN flood makes the victim answer millions of addresses, and
//! each answer would otherwise be remembered. Past the cap new SYN-ACKs are not tracked, which
//! can only under-count validated sources (the report says how many were not tracked).
//!
//! The table is per stream. A batch run reads rotated captures one by one and appends each
//! one's tracker to the tracker of the captures before it (`append`): a handshake offered at
//! the end of one file and answered at the start of the next is the case `Aggregate::
//! boundary_conflict` looks for with `is_expecting`.

use std::collections::HashMap;
use std::net::IpAddr;

use crate::decode::{Packet, TcpInfo};

/// Addresses with an outstanding SYN-ACK kept at most.
pub const MAX_TRACKED_ADDRESSES: usize = 1 << 20;
/// Outstanding handshakes kept per address (a browser opens several connections at once).
const PER_ADDRESS: usize = 4;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HandshakeTracker {
    /// For each address a SYN-ACK was sent to: the acknowledgement numbers that would complete
    /// its handshakes (the SYN-ACK's sequence number plus one), most recent last.
    expected: HashMap<IpAddr, [Option<u32>; PER_ADDRESS], foldhash::fast::RandomState>,
    /// SYN-ACKs not tracked because the table was full.
    pub untracked_syn_acks: u64,
}

impl HandshakeTracker {
    /// Returns the packet's source when this packet completes a handshake it was offered.
    pub fn observe(&mut self, packet: &Packet) -> Option<IpAddr> {
        let tcp = packet.tcp?;
        let syn = tcp.flags & TcpInfo::SYN != 0;
        let ack = tcp.flags & TcpInfo::ACK != 0;
        let rst = tcp.flags & TcpInfo::RST != 0;
        if syn && ack {
            let expected_ack = tcp.seq.wrapping_add(1);
            let full = self.expected.len() >= MAX_TRACKED_ADDRESSES;
            match self.expected.get_mut(&packet.dst) {
                Some(slots) => push_recent(slots, expected_ack),
                None if full => self.untracked_syn_acks += 1,
                None => {
                    let mut slots = [None; PER_ADDRESS];
                    push_recent(&mut slots, expected_ack);
                    self.expected.insert(packet.dst, slots);
                }
            }
            return None;
        }
        if ack && !syn && !rst {
            let slots = self.expected.get(&packet.src)?;
            if slots.contains(&Some(tcp.ack)) {
                // Validated once is enough: free the slot memory.
                self.expected.remove(&packet.src);
                return Some(packet.src);
            }
        }
        None
    }
}

impl HandshakeTracker {
    /// Whether a SYN-ACK sent to `address` still waits for its acknowledgement.
    pub fn is_expecting(&self, address: &IpAddr) -> bool {
        self.expected.contains_key(address)
    }

    pub fn expecting_count(&self) -> usize {
        self.expected.len()
    }

    /// Continues this table with the one a later stream ended with, as if that stream's packets
    /// had been observed here: its outstanding SYN-ACKs are pushed after this table's, per
    /// address. Exact when no address this table expects sent an acknowledgement in the later
    /// stream (an ACK could have completed one of this table's handshakes: the caller checks,
    /// see `Aggregate::boundary_conflict`) and the table stays below its cap. Past the cap, the
    /// later stream's new addresses are counted as untracked, as `observe` would have done.
    /// `untracked_syn_acks` is added by `Aggregate::merge`, not here.
    pub fn append(&mut self, later: &HandshakeTracker) {
        // Sorted, so that which addresses still fit under the cap does not depend on the
        // hash order of the later table.
        let mut addresses: Vec<&IpAddr> = later.expected.keys().collect();
        addresses.sort_unstable();
        for address in addresses {
            let Some(theirs) = later.expected.get(address) else {
                continue;
            };
            let full = self.expected.len() >= MAX_TRACKED_ADDRESSES;
            match self.expected.get_mut(address) {
                Some(mine) => {
                    for value in theirs.iter().flatten() {
                        push_recent(mine, *value);
                    }
                }
                None if full => {
                    self.untracked_syn_acks += theirs.iter().flatten().count() as u64;
                }
                None => {
                    self.expected.insert(*address, *theirs);
                }
            }
        }
    }
}

fn push_recent(slots: &mut [Option<u32>; PER_ADDRESS], value: u32) {
    slots.rotate_left(1);
    if let Some(last) = slots.last_mut() {
        *last = Some(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp(src: &str, dst: &str, flags: u8, seq: u32, ack: u32) -> Packet<'static> {
        Packet {
            src_port: 40000,
            dst_port: 80,
            tcp: Some(TcpInfo {
                flags,
                seq,
                ack,
                ..TcpInfo::default()
            }),
            ..Packet::for_test(src.parse().unwrap(), dst.parse().unwrap(), 6, 0)
        }
    }

    const SYN: u8 = TcpInfo::SYN;
    const SYN_ACK: u8 = TcpInfo::SYN | TcpInfo::ACK;
    const ACK: u8 = TcpInfo::ACK;

    #[test]
    fn a_completed_handshake_validates_the_client() {
        let mut tracker = HandshakeTracker::default();
        assert_eq!(
            tracker.observe(&tcp("198.51.100.7", "203.0.113.1", SYN, 1000, 0)),
            None
        );
        assert_eq!(
            tracker.observe(&tcp("203.0.113.1", "198.51.100.7", SYN_ACK, 5000, 1001)),
            None
        );
        assert_eq!(
            tracker.observe(&tcp("198.51.100.7", "203.0.113.1", ACK, 1001, 5001)),
            Some("198.51.100.7".parse().unwrap())
        );
    }

    #[test]
    fn a_blind_ack_with_a_guessed_number_does_not_validate() {
        let mut tracker = HandshakeTracker::default();
        tracker.observe(&tcp("203.0.113.1", "198.51.100.7", SYN_ACK, 5000, 1001));
        assert_eq!(
            tracker.observe(&tcp("198.51.100.7", "203.0.113.1", ACK, 1001, 4242)),
            None
        );
        // An ACK flood from an address never offered a handshake validates nothing either.
        assert_eq!(
            tracker.observe(&tcp("192.0.2.9", "203.0.113.1", ACK, 1, 5001)),
            None
        );
    }

    #[test]
    fn concurrent_connections_from_one_client_each_count() {
        let mut tracker = HandshakeTracker::default();
        for isn in [100, 200, 300] {
            tracker.observe(&tcp("203.0.113.1", "198.51.100.7", SYN_ACK, isn, 1));
        }
        assert!(
            tracker
                .observe(&tcp("198.51.100.7", "203.0.113.1", ACK, 2, 201))
                .is_some()
        );
    }

    #[test]
    fn appending_a_later_table_keeps_the_most_recent_handshakes_per_address() {
        let mut earlier = HandshakeTracker::default();
        for isn in [10, 20, 30] {
            earlier.observe(&tcp("203.0.113.1", "198.51.100.7", SYN_ACK, isn, 1));
        }
        let mut later = HandshakeTracker::default();
        for isn in [40, 50] {
            later.observe(&tcp("203.0.113.1", "198.51.100.7", SYN_ACK, isn, 1));
        }
        later.observe(&tcp("203.0.113.1", "198.51.100.8", SYN_ACK, 60, 1));
        let mut one_stream = earlier.clone();
        for isn in [40, 50] {
            one_stream.observe(&tcp("203.0.113.1", "198.51.100.7", SYN_ACK, isn, 1));
        }
        one_stream.observe(&tcp("203.0.113.1", "198.51.100.8", SYN_ACK, 60, 1));
        earlier.append(&later);
        assert_eq!(earlier.expected, one_stream.expected);
        // 10 was pushed out by the four later ones; 20 is still expected.
        assert!(
            earlier
                .observe(&tcp("198.51.100.7", "203.0.113.1", ACK, 2, 21))
                .is_some()
        );
    }

    #[test]
    fn the_table_is_capped() {
        let mut tracker = HandshakeTracker::default();
        for index in 0..(MAX_TRACKED_ADDRESSES as u32 + 10) {
            let mut packet = tcp("203.0.113.1", "198.51.100.7", SYN_ACK, index, 1);
            packet.dst = IpAddr::from(index.to_be_bytes());
            tracker.observe(&packet);
        }
        assert_eq!(tracker.expected.len(), MAX_TRACKED_ADDRESSES);
        assert_eq!(tracker.untracked_syn_acks, 10);
    }
}
