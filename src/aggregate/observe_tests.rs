//! Classification that waits (`settling`), end to end through `Aggregate::observe`.

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
