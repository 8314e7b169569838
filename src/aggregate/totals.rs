//! Whole-capture packet counters: how many packets and bytes, of which IP version, how many
//! could not be decoded and why, and the time span. Mergeable, so batch runs can add captures.

use std::collections::BTreeMap;

use crate::capture::Frame;
use crate::decode::{Decoded, Undecodable};
use crate::timestamp::TimeSpan;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    pub packets: u64,
    /// Bytes on the wire (original lengths), not just what was captured.
    pub bytes: u64,
    pub ipv4_packets: u64,
    pub ipv6_packets: u64,
    /// Frames that carry no IP (ARP, LLDP, link types without IP), by link type.
    pub non_ip_by_link_type: BTreeMap<u32, u64>,
    pub undecodable_by_reason: BTreeMap<Undecodable, u64>,
    pub fragments: u64,
    pub span: TimeSpan,
}

impl Totals {
    pub fn observe(&mut self, frame: &Frame, decoded: &Decoded) {
        self.packets += 1;
        self.bytes += u64::from(frame.wire_len);
        self.span.observe(frame.timestamp_ns);
        match decoded {
            Decoded::Ip(packet) => {
                if packet.is_ipv4() {
                    self.ipv4_packets += 1;
                } else {
                    self.ipv6_packets += 1;
                }
                if packet.fragment.is_fragment() {
                    self.fragments += 1;
                }
            }
            Decoded::NonIp => *self.non_ip_by_link_type.entry(frame.link_type).or_default() += 1,
            Decoded::Undecodable(reason) => {
                *self.undecodable_by_reason.entry(*reason).or_default() += 1
            }
        }
    }

    pub fn non_ip_packets(&self) -> u64 {
        self.non_ip_by_link_type.values().sum()
    }

    pub fn undecodable_packets(&self) -> u64 {
        self.undecodable_by_reason.values().sum()
    }

    /// Adds another capture's counters, as if its packets had been read here too.
    pub fn merge(&mut self, other: &Totals) {
        self.packets += other.packets;
        self.bytes += other.bytes;
        self.ipv4_packets += other.ipv4_packets;
        self.ipv6_packets += other.ipv6_packets;
        for (link_type, count) in &other.non_ip_by_link_type {
            *self.non_ip_by_link_type.entry(*link_type).or_default() += count;
        }
        for (reason, count) in &other.undecodable_by_reason {
            *self.undecodable_by_reason.entry(*reason).or_default() += count;
        }
        self.fragments += other.fragments;
        self.span.merge(&other.span);
    }
}
