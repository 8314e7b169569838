//! Link layers: takes an IP packet (or an ARP message), the direction it travels and the
//! capturing interface's link type, and gives the frame as that interface records it.
//!
//! Layouts follow <https://www.tcpdump.org/linktypes.html>: Ethernet II with an optional
//! 802.1Q tag (a SPAN port or tap on a trunk), Linux cooked capture v2 (`tcpdump -i any` since
//! libpcap 1.10) and raw IP (a tunnel interface).

use serde::Serialize;

pub const ETHERTYPE_IPV4: u16 = 0x0800;
pub const ETHERTYPE_IPV6: u16 = 0x86dd;
pub const ETHERTYPE_ARP: u16 = 0x0806;
const ETHERTYPE_VLAN: u16 = 0x8100;

/// Which way a frame crosses the capture point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From the Internet toward the monitored hosts.
    In,
    /// From the monitored hosts out.
    Out,
}

/// The upstream router's MAC (an Arista OUI) and the monitored server's (an Intel OUI):
/// every frame on a link between two devices carries one as source and the other as
/// destination.
pub const ROUTER_MAC: [u8; 6] = [0x00, 0x1c, 0x73, 0x4a, 0x10, 0x01];
pub const SERVER_MAC: [u8; 6] = [0x3c, 0xfd, 0xfe, 0xa2, 0x5e, 0x42];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "link_type", rename_all = "snake_case")]
pub enum Link {
    /// LINKTYPE_ETHERNET (1), with an 802.1Q tag when `vlan` is set.
    Ethernet { vlan: Option<u16> },
    /// LINKTYPE_LINUX_SLL2 (276); `ifindex` is the kernel's interface index.
    LinuxSll2 { ifindex: u32 },
    /// LINKTYPE_RAW (101): IPv4 or IPv6, told by the version nibble.
    Raw,
}

impl Link {
    pub fn link_type(&self) -> u32 {
        match self {
            Link::Ethernet { .. } => 1,
            Link::LinuxSll2 { .. } => 276,
            Link::Raw => 101,
        }
    }

    /// The name whence's report gives the link type.
    pub fn name(&self) -> &'static str {
        match self {
            Link::Ethernet { .. } => "ethernet",
            Link::LinuxSll2 { .. } => "linux_sll2",
            Link::Raw => "raw",
        }
    }

    pub fn carries_non_ip(&self) -> bool {
        !matches!(self, Link::Raw)
    }

    /// Appends the link header for a payload of `ethertype` going `direction`.
    pub fn header(&self, out: &mut Vec<u8>, ethertype: u16, direction: Direction) {
        let (source, destination) = match direction {
            Direction::In => (ROUTER_MAC, SERVER_MAC),
            Direction::Out => (SERVER_MAC, ROUTER_MAC),
        };
        match *self {
            Link::Ethernet { vlan } => {
                out.extend_from_slice(&destination);
                out.extend_from_slice(&source);
                if let Some(id) = vlan {
                    out.extend_from_slice(&ETHERTYPE_VLAN.to_be_bytes());
                    // Priority 0, DEI 0, 12-bit VLAN ID.
                    out.extend_from_slice(&(id & 0x0fff).to_be_bytes());
                }
                out.extend_from_slice(&ethertype.to_be_bytes());
            }
            Link::LinuxSll2 { ifindex } => {
                out.extend_from_slice(&ethertype.to_be_bytes());
                out.extend_from_slice(&[0, 0]);
                out.extend_from_slice(&ifindex.to_be_bytes());
                // ARPHRD_ETHER; PACKET_HOST (0) or PACKET_OUTGOING (4); 6-byte address,
                // padded to 8: the sender's MAC.
                out.extend_from_slice(&1u16.to_be_bytes());
                out.push(if direction == Direction::In { 0 } else { 4 });
                out.push(6);
                out.extend_from_slice(&source);
                out.extend_from_slice(&[0, 0]);
            }
            Link::Raw => {}
        }
    }

    /// Pads an Ethernet frame to the 60-byte minimum (64 with the FCS the capture drops),
    /// as the sending NIC does; other link types have no minimum.
    pub fn pad(&self, frame: &mut Vec<u8>) {
        if matches!(self, Link::Ethernet { .. }) && frame.len() < 60 {
            frame.resize(60, 0);
        }
    }
}

/// An ARP request (`reply` false: "who has `target`, tell `sender`") or reply, for the
/// background chatter of a real Ethernet segment.
pub fn arp(
    reply: bool,
    sender_mac: [u8; 6],
    sender: [u8; 4],
    target_mac: [u8; 6],
    target: [u8; 4],
) -> Vec<u8> {
    let mut message = vec![0, 1, 0x08, 0x00, 6, 4, 0, if reply { 2 } else { 1 }];
    message.extend_from_slice(&sender_mac);
    message.extend_from_slice(&sender);
    message.extend_from_slice(&if reply { target_mac } else { [0; 6] });
    message.extend_from_slice(&target);
    message
}
