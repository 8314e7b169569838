//! Traffic flows: takes hosts, a victim and a schedule, gives the packets of one kind of
//! traffic as the capture point in front of the victim sees them:
//!
//! - `Flood`: SYN, UDP or ICMP echo floods from real hosts (each with its stable TTL and its
//!   share of the packets) or from spoofed, uniformly random sources with random TTLs;
//! - `Reflection`: DNS ANY answers (fragmented), NTP monlist and memcached replies from
//!   abused servers, with the victim's rate-limited ICMP port-unreachable errors;
//! - `HttpFlood`: bots that complete TCP handshakes and send HTTP GETs over them;
//! - `Visitors`: the ordinary life of a server (HTTPS and HTTP visits, monitoring pings, its own
//!   DNS and NTP, ARP, an administrator's SSH over a VPN tunnel).
//!
//! Times are when a frame passes the capture point: a client's packet arrives, the server
//! answers after its processing time, and the client's next packet arrives one round trip
//! later.

use std::net::{IpAddr, Ipv4Addr};

use anyhow::Result;

use super::engine::{Flow, MICROSECOND, MILLISECOND, Meta, Out, Role, SECOND, Time};
use super::geo::Origin;
use super::hosts::{Host, Os};
use super::link::{Direction, ETHERTYPE_ARP, ROUTER_MAC, SERVER_MAC, arp};
use super::packet::{ACK, FIN, Ip, PSH, SYN, Tcp, TcpOptions, Transport};
use super::payload;
use super::rng::{Cumulative, Rng, fnv1a};

/// When the packets (or steps) of a flow fall: `count` of them spread evenly over `span` from
/// `start`, each at a random moment of its own slot, so that the rate is steady and the times
/// never go backwards.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    pub start: Time,
    pub span: Time,
    pub count: u64,
}

impl Schedule {
    fn slot(&self, index: u64, rng: &mut Rng) -> Option<Time> {
        if index >= self.count {
            return None;
        }
        let count = i128::from(self.count.max(1));
        let span = i128::from(self.span);
        let begin = span * i128::from(index) / count;
        let end = span * (i128::from(index) + 1) / count;
        let width = (end - begin).max(1) as u64;
        Some(self.start + begin as Time + rng.below(width) as Time)
    }
}

/// Which capture interface sees a frame.
#[derive(Debug, Clone, Copy)]
pub enum Tap {
    One(u8),
    /// Two uplinks with the router hashing sources across them (ECMP).
    SplitBySource,
    /// A tap with one port per direction.
    ByDirection {
        inbound: u8,
        outbound: u8,
    },
}

impl Tap {
    fn interface(&self, source: IpAddr, direction: Direction) -> u8 {
        match *self {
            Tap::One(index) => index,
            Tap::SplitBySource => {
                let hash = match source {
                    IpAddr::V4(v4) => fnv1a(&v4.octets()),
                    IpAddr::V6(v6) => fnv1a(&v6.octets()),
                };
                (hash % 2) as u8
            }
            Tap::ByDirection { inbound, outbound } => match direction {
                Direction::In => inbound,
                Direction::Out => outbound,
            },
        }
    }

    fn meta(&self, role: Role, source: IpAddr, direction: Direction) -> Meta {
        Meta::new(role, self.interface(source, direction), direction)
    }
}

/// An ephemeral port as Linux picks them (`ip_local_port_range` 32768-60999).
fn ephemeral_port(rng: &mut Rng) -> u16 {
    rng.between(32_768, 60_999) as u16
}

/// Each host's number of packets: at least one, the rest in proportion to a weight drawn per
/// host from a log-uniform spread (bots differ in bandwidth by orders of magnitude); then the
/// sending order, shuffled.
fn sending_order(rng: &mut Rng, hosts: usize, packets: u64) -> Vec<u32> {
    let weights = Cumulative::new((0..hosts).map(|_| {
        let octave = rng.below(7);
        rng.between(1 << octave, (2 << octave) - 1)
    }));
    let mut order: Vec<u32> = (0..hosts as u32).collect();
    let extra = packets.saturating_sub(hosts as u64);
    order.extend((0..extra).map(|_| weights.draw(rng) as u32));
    order.truncate(packets as usize);
    rng.shuffle(&mut order);
    order
}

#[derive(Debug, Clone, Copy)]
pub enum FloodKind {
    /// Mirai's `attack_tcp_syn`: random source port, sequence and window, DF, the options
    /// MSS (1400-1415), SACK permitted, timestamps, NOP, window scale 6.
    MiraiSyn,
    /// A spoofing tool's bare SYN (hping3-style): no options, window 64, incrementing
    /// source ports.
    BareSyn,
    /// Mirai's `udpplain`: one socket per bot (fixed source port), random payload of the
    /// given size range.
    Udp { payload: (usize, usize) },
    /// ICMP or ICMPv6 echo requests with ping's 56-byte payload.
    Echo,
}

/// Who sends a flood.
pub enum Senders<'g> {
    /// Real hosts; `order` lists the sender of each packet.
    Hosts {
        hosts: Vec<Host<'g>>,
        order: Vec<u32>,
    },
    /// One machine forging a uniformly random IPv4 source for each packet (bogons and
    /// unallocated space included, as the tools do), with a random TTL; one packet in
    /// `decoy_every` instead forges an address from `decoys`, a false flag.
    Spoofed {
        decoys: Vec<IpAddr>,
        decoy_every: u64,
        ttl: (u8, u8),
    },
}

impl<'g> Senders<'g> {
    /// Real hosts sending `packets` between them.
    pub fn hosts(rng: &mut Rng, hosts: Vec<Host<'g>>, packets: u64) -> Senders<'g> {
        let order = sending_order(rng, hosts.len(), packets);
        Senders::Hosts { hosts, order }
    }
}

/// Where a flood goes: the victim's address and port (0 for ICMP).
#[derive(Debug, Clone, Copy)]
pub struct Target {
    pub ip: IpAddr,
    pub port: u16,
}

pub struct Flood<'g> {
    pub senders: Senders<'g>,
    pub kind: FloodKind,
    pub target: Target,
    pub schedule: Schedule,
    pub role: Role,
    pub tap: Tap,
    pub rng: Rng,
    sent: u64,
    /// Per host: IP ID counter and a fixed source port (UDP socket, ICMP identifier).
    state: Vec<(u16, u16)>,
    bare_port: u16,
    first: Option<Time>,
}

impl<'g> Flood<'g> {
    pub fn new(
        senders: Senders<'g>,
        kind: FloodKind,
        target: Target,
        schedule: Schedule,
        role: Role,
        tap: Tap,
        mut rng: Rng,
    ) -> Flood<'g> {
        let hosts = match &senders {
            Senders::Hosts { hosts, .. } => hosts.len(),
            Senders::Spoofed { .. } => 0,
        };
        let state = (0..hosts)
            .map(|_| (rng.next_u16(), ephemeral_port(&mut rng)))
            .collect();
        let bare_port = rng.between(1024, 60_000) as u16;
        let first = schedule.slot(0, &mut rng);
        Flood {
            senders,
            kind,
            target,
            schedule,
            role,
            tap,
            rng,
            sent: 0,
            state,
            bare_port,
            first,
        }
    }

    fn schedule_count(&self) -> u64 {
        match &self.senders {
            Senders::Hosts { order, .. } => order.len() as u64,
            Senders::Spoofed { .. } => self.schedule.count,
        }
    }
}

impl Flow for Flood<'_> {
    fn first(&self) -> Option<Time> {
        self.first.filter(|_| self.schedule_count() > 0)
    }

    fn step(&mut self, now: Time, out: &mut Out) -> Result<Option<Time>> {
        let rng = &mut self.rng;
        // Source, TTL, IP ID, and source port (or ICMP identifier).
        let (src, ttl, id, port) = match &self.senders {
            Senders::Hosts { hosts, order } => {
                let index = order.get(self.sent as usize).copied().unwrap_or(0) as usize;
                let (Some(host), Some(state)) = (hosts.get(index), self.state.get_mut(index))
                else {
                    return Ok(None);
                };
                state.0 = state.0.wrapping_add(1);
                (host.ip, host.ttl(), state.0, state.1)
            }
            Senders::Spoofed {
                decoys,
                decoy_every,
                ttl,
            } => {
                let src = match rng.chance(1, *decoy_every).then(|| rng.pick(decoys)) {
                    Some(Some(&decoy)) => decoy,
                    _ => IpAddr::V4(Ipv4Addr::from_bits(rng.next_u32())),
                };
                let ttl = rng.between(u64::from(ttl.0), u64::from(ttl.1)) as u8;
                self.bare_port = self.bare_port.wrapping_add(1).max(1024);
                (src, ttl, rng.next_u16(), self.bare_port)
            }
        };
        let meta = self.tap.meta(self.role, src, Direction::In);
        let mut ip = Ip {
            src,
            dst: self.target.ip,
            ttl,
            id,
            dont_fragment: true,
            tos: 0,
            flow_label: 0,
        };
        match self.kind {
            FloodKind::MiraiSyn => {
                // Mirai writes its own IP header through a raw socket, with a random ID.
                ip.id = rng.next_u16();
                let options = TcpOptions::default()
                    .mss(1400 + rng.below(16) as u16)
                    .sack_permitted()
                    .timestamps(rng.next_u32(), 0)
                    .nop()
                    .window_scale(6);
                out.ip(
                    now,
                    meta,
                    &ip,
                    &Transport::Tcp(Tcp {
                        src_port: rng.next_u16().max(1024),
                        dst_port: self.target.port,
                        seq: rng.next_u32(),
                        ack: 0,
                        flags: SYN,
                        window: rng.next_u16(),
                        options: options.as_slice(),
                        payload: &[],
                    }),
                )?;
            }
            FloodKind::BareSyn => {
                ip.dont_fragment = false;
                out.ip(
                    now,
                    meta,
                    &ip,
                    &Transport::Tcp(Tcp {
                        src_port: port,
                        dst_port: self.target.port,
                        seq: rng.next_u32(),
                        ack: 0,
                        flags: SYN,
                        window: 64,
                        options: &[],
                        payload: &[],
                    }),
                )?;
            }
            FloodKind::Udp { payload } => {
                let mut data = [0u8; 1472];
                let len = (rng.between(payload.0 as u64, payload.1 as u64) as usize).min(1400);
                rng.fill(&mut data[..len]);
                // Random except the first two bytes: random bytes that happen to start like
                // RTCP (version 2) or Pathport (0xED01) make Wireshark's heuristic dissectors
                // report malformed packets, which would hide real faults when the samples are
                // checked with tshark.
                data[..2].fill(0);
                out.ip(
                    now,
                    meta,
                    &ip,
                    &Transport::Udp {
                        src_port: port,
                        dst_port: self.target.port,
                        payload: &data[..len],
                    },
                )?;
            }
            FloodKind::Echo => {
                // ping's payload: an 8-byte timestamp, then bytes 0x10, 0x11, ...
                let mut data = [0u8; 56];
                data[..8].copy_from_slice(&(now as u64 / 1000).to_le_bytes());
                for (index, byte) in data.iter_mut().enumerate().skip(8) {
                    *byte = index as u8;
                }
                let (kind, sequence) = (if src.is_ipv6() { 128 } else { 8 }, id);
                let [a, b] = port.to_be_bytes();
                let [c, d] = sequence.to_be_bytes();
                ip.flow_label = u32::from(port) << 4;
                out.ip(
                    now,
                    meta,
                    &ip,
                    &Transport::Icmp {
                        kind,
                        code: 0,
                        rest: [a, b, c, d],
                        payload: &data,
                    },
                )?;
            }
        }
        self.sent += 1;
        let next_count = self.schedule_count();
        Ok(Schedule {
            count: next_count,
            ..self.schedule
        }
        .slot(self.sent, &mut self.rng))
    }
}

/// What an abused server sends back.
#[derive(Debug, Clone, Copy)]
pub enum Reflected {
    /// A signed ANY answer (some 3.3 kB, three fragments).
    DnsAny,
    /// A monlist reply; the reflector's table size decides how many datagrams.
    NtpMonlist,
    /// `stats` output in one or two datagrams.
    MemcachedStats,
    /// A stored value of this many bytes, in 1,400-byte datagrams.
    MemcachedGet(usize),
}

impl Reflected {
    fn port(self) -> u16 {
        match self {
            Reflected::DnsAny => 53,
            Reflected::NtpMonlist => 123,
            Reflected::MemcachedStats | Reflected::MemcachedGet(_) => 11211,
        }
    }
}

/// Abused servers answering forged requests: each step is one reply (all its datagrams).
pub struct Reflection<'g> {
    reflectors: Vec<(Host<'g>, Reflected)>,
    order: Vec<u32>,
    /// Per reflector: IP ID counter, and monlist table size (entries).
    state: Vec<(u16, usize)>,
    victim: IpAddr,
    schedule: Schedule,
    role: Role,
    tap: Tap,
    /// The victim answers one reply in this many with an ICMP port unreachable (Linux
    /// rate-limits those errors, so only some get one); `None`: it sends none.
    unreachable_every: Option<u64>,
    rng: Rng,
    sent: u64,
    first: Option<Time>,
}

impl<'g> Reflection<'g> {
    pub fn new(
        reflectors: Vec<(Host<'g>, Reflected)>,
        victim: IpAddr,
        schedule: Schedule,
        role: Role,
        tap: Tap,
        unreachable_every: Option<u64>,
        mut rng: Rng,
    ) -> Reflection<'g> {
        let order = sending_order(&mut rng, reflectors.len(), schedule.count);
        let state = reflectors
            .iter()
            .map(|_| {
                (
                    rng.next_u16(),
                    payload::MONLIST_ITEMS_PER_PACKET * rng.between(1, 16) as usize,
                )
            })
            .collect();
        let first = schedule.slot(0, &mut rng);
        Reflection {
            first,
            reflectors,
            order,
            state,
            victim,
            schedule,
            role,
            tap,
            unreachable_every,
            rng,
            sent: 0,
        }
    }
}

impl Flow for Reflection<'_> {
    fn first(&self) -> Option<Time> {
        self.first.filter(|_| !self.order.is_empty())
    }

    fn step(&mut self, now: Time, out: &mut Out) -> Result<Option<Time>> {
        let index = self.order.get(self.sent as usize).copied().unwrap_or(0) as usize;
        let (Some((host, reflected)), Some(state)) =
            (self.reflectors.get(index), self.state.get_mut(index))
        else {
            return Ok(None);
        };
        let rng = &mut self.rng;
        let meta = self.tap.meta(self.role, host.ip, Direction::In);
        // The forged request's source port, chosen by the attack tool.
        let victim_port = rng.between(1024, 65_535) as u16;
        let seconds = (now / SECOND) as u32;
        let mut ip = Ip {
            src: host.ip,
            dst: self.victim,
            ttl: host.ttl(),
            id: 0,
            dont_fragment: true,
            tos: 0,
            flow_label: 0,
        };
        let mut datagrams: Vec<Vec<u8>> = Vec::new();
        match reflected {
            Reflected::DnsAny => {
                let mut answer = Vec::with_capacity(4096);
                let id = rng.next_u16();
                payload::dns_any_response(&mut answer, rng, id, payload::AMPLIFYING_ZONE, seconds);
                datagrams.push(answer);
            }
            Reflected::NtpMonlist => {
                let entries = state.1;
                let packets = entries.div_ceil(payload::MONLIST_ITEMS_PER_PACKET);
                for sequence in 0..packets {
                    let items = (entries - sequence * payload::MONLIST_ITEMS_PER_PACKET)
                        .min(payload::MONLIST_ITEMS_PER_PACKET);
                    let mut datagram = Vec::with_capacity(440);
                    payload::ntp_monlist_response(
                        &mut datagram,
                        rng,
                        sequence as u8,
                        sequence + 1 < packets,
                        items,
                    );
                    datagrams.push(datagram);
                }
            }
            Reflected::MemcachedStats => {
                let text = payload::memcached_stats_text(rng, seconds);
                datagrams = payload::memcached_datagrams(0, &text);
            }
            Reflected::MemcachedGet(length) => {
                let text = payload::memcached_get_text(rng, "a", *length);
                datagrams = payload::memcached_datagrams(0, &text);
            }
        }
        let mut time = now;
        let send_error = self
            .unreachable_every
            .is_some_and(|every| rng.chance(1, every));
        for (number, datagram) in datagrams.iter().enumerate() {
            state.0 = state.0.wrapping_add(1);
            ip.id = state.0;
            let udp = Transport::Udp {
                src_port: reflected.port(),
                dst_port: victim_port,
                payload: datagram,
            };
            if matches!(reflected, Reflected::DnsAny) {
                // A datagram that has to be fragmented goes out without DF.
                ip.dont_fragment = false;
                // 1,500 bytes take 12 us at 1 Gbit/s.
                let frames = out.ip_fragmented(time, 12 * MICROSECOND, meta, &ip, &udp)?;
                time += 12 * MICROSECOND * Time::from(frames);
            } else {
                out.ip(time, meta, &ip, &udp)?;
                if send_error && number == 0 {
                    let mut original = Vec::with_capacity(1500);
                    super::packet::build(&mut original, &ip, &udp)?;
                    victim_unreachable(out, rng, &self.tap, time, &ip, &original)?;
                }
                time += rng.between(8, 40) as Time * MICROSECOND;
            }
        }
        self.sent += 1;
        Ok(self.schedule.slot(self.sent, rng).map(|next| next.max(now)))
    }
}

/// The victim's ICMP destination unreachable (port unreachable) for a datagram to a closed
/// port, quoting as much of it as fits a 576-byte reply (RFC 1812 section 4.3.2.3), sent
/// 30-90 us after it arrived.
fn victim_unreachable(
    out: &mut Out,
    rng: &mut Rng,
    tap: &Tap,
    arrived: Time,
    offending: &Ip,
    original: &[u8],
) -> Result<()> {
    let quoted = &original[..original.len().min(576 - 28)];
    let reply = Ip {
        src: offending.dst,
        dst: offending.src,
        ttl: 64,
        id: rng.next_u16(),
        dont_fragment: false,
        tos: 0xc0,
        flow_label: 0,
    };
    let meta = tap.meta(Role::Reply, reply.src, Direction::Out);
    out.ip(
        arrived + rng.between(30, 90) as Time * MICROSECOND,
        meta,
        &reply,
        &Transport::Icmp {
            kind: 3,
            code: 3,
            rest: [0; 4],
            payload: quoted,
        },
    )
}

/// One side of a TCP connection.
struct Side {
    ip: IpAddr,
    port: u16,
    ttl: u8,
    /// Next sequence number to send.
    seq: u32,
    ip_id: u16,
    /// TSval at time zero of the connection, if this side sends timestamps.
    timestamp_base: Option<u32>,
    window: u16,
    meta: Meta,
    mss: usize,
}

/// A TCP connection seen at the capture point beside the server: handshake, data both ways in
/// segments of at most one MSS, ACKs, and an orderly close.
struct Connection {
    client: Side,
    server: Side,
    /// Round trip between the capture point and the client.
    rtt: Time,
    start: Time,
    timestamps: bool,
}

impl Connection {
    fn timestamp(&self, side: &Side, at: Time) -> Option<u32> {
        side.timestamp_base
            .map(|base| base.wrapping_add(((at - self.start) / MILLISECOND) as u32))
    }

    fn segment(
        &mut self,
        out: &mut Out,
        at: Time,
        from_client: bool,
        flags: u8,
        payload: &[u8],
        syn_options: Option<TcpOptions>,
    ) -> Result<()> {
        let (sender, receiver) = if from_client {
            (&self.client, &self.server)
        } else {
            (&self.server, &self.client)
        };
        let options = match syn_options {
            Some(options) => options,
            None if self.timestamps => {
                let value = self.timestamp(sender, at).unwrap_or(0);
                let echo = self.timestamp(receiver, at - self.rtt / 2).unwrap_or(0);
                TcpOptions::default().nop().nop().timestamps(value, echo)
            }
            None => TcpOptions::default(),
        };
        let ip = Ip {
            src: sender.ip,
            dst: receiver.ip,
            ttl: sender.ttl,
            id: sender.ip_id,
            dont_fragment: true,
            tos: 0,
            flow_label: u32::from(sender.port) << 3,
        };
        let tcp = Tcp {
            src_port: sender.port,
            dst_port: receiver.port,
            seq: sender.seq,
            ack: if flags & ACK != 0 { receiver.seq } else { 0 },
            flags,
            window: sender.window,
            options: options.as_slice(),
            payload,
        };
        let meta = sender.meta;
        out.ip(at, meta, &ip, &Transport::Tcp(tcp))?;
        let sender = if from_client {
            &mut self.client
        } else {
            &mut self.server
        };
        sender.ip_id = sender.ip_id.wrapping_add(1);
        let consumed = payload.len() as u32 + u32::from(flags & (SYN | FIN) != 0);
        sender.seq = sender.seq.wrapping_add(consumed);
        Ok(())
    }

    /// SYN, SYN-ACK, ACK; gives when the ACK arrives.
    fn handshake(&mut self, out: &mut Out, os: Os, think: Time) -> Result<Time> {
        let syn = os
            .syn(self.timestamp(&self.client, self.start).unwrap_or(0))
            .0;
        self.segment(out, self.start, true, SYN, &[], Some(syn))?;
        let syn_ack_at = self.start + think;
        let mut server_options = TcpOptions::default().mss(1460).sack_permitted();
        server_options = match self.timestamps {
            true => server_options.timestamps(
                self.timestamp(&self.server, syn_ack_at).unwrap_or(0),
                self.timestamp(&self.client, self.start).unwrap_or(0),
            ),
            false => server_options.nop().nop(),
        };
        self.segment(
            out,
            syn_ack_at,
            false,
            SYN | ACK,
            &[],
            Some(server_options.nop().window_scale(7)),
        )?;
        let ack_at = syn_ack_at + self.rtt;
        let mut meta = self.client.meta;
        meta.completes_handshake = true;
        let normal = std::mem::replace(&mut self.client.meta, meta);
        self.segment(out, ack_at, true, ACK, &[], None)?;
        self.client.meta = normal;
        Ok(ack_at)
    }

    /// Sends `data` from one side starting at `at`: full segments back to back (12 us apart,
    /// as at 1 Gbit/s), in flights of ten segments (the initial window of RFC 6928) one round
    /// trip apart, the receiver acknowledging every second segment. Gives when the last
    /// segment left.
    fn send(&mut self, out: &mut Out, at: Time, from_client: bool, data: &[u8]) -> Result<Time> {
        let mss = if from_client {
            self.client.mss
        } else {
            self.server.mss
        };
        let mut time = at;
        let segments: Vec<&[u8]> = data.chunks(mss.max(1)).collect();
        let count = segments.len();
        for (index, chunk) in segments.into_iter().enumerate() {
            if index > 0 && index % 10 == 0 {
                time += self.rtt;
            }
            let last = index + 1 == count;
            let flags = if last { ACK | PSH } else { ACK };
            self.segment(out, time, from_client, flags, chunk, None)?;
            // The receiver's delayed ACK for every second segment (RFC 9293 section 3.8.6.3);
            // from the client it reaches the capture point a round trip later.
            if !from_client && index % 2 == 1 && !last {
                self.segment(out, time + self.rtt, true, ACK, &[], None)?;
            }
            time += 12 * MICROSECOND;
        }
        Ok(time)
    }

    /// Client FIN, server FIN, client ACK; gives when the last ACK arrives.
    fn close(&mut self, out: &mut Out, at: Time, think: Time) -> Result<Time> {
        self.segment(out, at, true, FIN | ACK, &[], None)?;
        self.segment(out, at + think, false, FIN | ACK, &[], None)?;
        let last = at + think + self.rtt;
        self.segment(out, last, true, ACK, &[], None)?;
        Ok(last)
    }
}

/// The monitored server: its address, and the capture's view of its own packets (TTL 64,
/// nothing between it and the tap).
#[derive(Debug, Clone, Copy)]
pub struct Server {
    pub ip: IpAddr,
    pub name: &'static str,
}

const SERVER_TTL: u8 = 64;

/// Who talks to whom in a TCP connection, and when it starts.
struct Plan<'a, 'g> {
    client: &'a Host<'g>,
    server: &'a Server,
    port: u16,
    tap: &'a Tap,
    /// Roles of the client's and the server's packets.
    roles: (Role, Role),
    start: Time,
    rtt: Time,
}

fn connection(rng: &mut Rng, plan: &Plan<'_, '_>) -> Connection {
    let Plan {
        client,
        server,
        port,
        tap,
        roles: (client_role, server_role),
        start,
        rtt,
    } = *plan;
    let timestamps = client.os.uses_timestamps();
    let mss = if timestamps { 1448 } else { 1460 };
    Connection {
        client: Side {
            ip: client.ip,
            port: ephemeral_port(rng),
            ttl: client.ttl(),
            seq: rng.next_u32(),
            ip_id: rng.next_u16(),
            timestamp_base: timestamps.then(|| rng.next_u32()),
            window: 502,
            meta: tap.meta(client_role, client.ip, Direction::In),
            mss,
        },
        server: Side {
            ip: server.ip,
            port,
            ttl: SERVER_TTL,
            seq: rng.next_u32(),
            ip_id: rng.next_u16(),
            timestamp_base: timestamps.then(|| rng.next_u32()),
            window: 509,
            meta: tap.meta(server_role, server.ip, Direction::Out),
            mss,
        },
        rtt,
        start,
        timestamps,
    }
}

/// A round trip to a host, from its hop count: 2-4 ms per hop each way is typical of paths
/// across regions (a rough model, enough for plausible gaps).
fn round_trip(rng: &mut Rng, host: &Host<'_>) -> Time {
    Time::from(host.hops) * rng.between(2_000, 4_000) as Time * MICROSECOND
}

/// Bots that open TCP connections to the server and send GETs with cache-busting query
/// strings, answered by the overloaded server; each step is one connection.
pub struct HttpFlood<'g> {
    bots: Vec<Host<'g>>,
    order: Vec<u32>,
    server: Server,
    schedule: Schedule,
    role: Role,
    tap: Tap,
    requests_per_connection: (u64, u64),
    rng: Rng,
    opened: u64,
    first: Option<Time>,
}

impl<'g> HttpFlood<'g> {
    pub fn new(
        bots: Vec<Host<'g>>,
        server: Server,
        schedule: Schedule,
        role: Role,
        tap: Tap,
        requests_per_connection: (u64, u64),
        mut rng: Rng,
    ) -> HttpFlood<'g> {
        let order = sending_order(&mut rng, bots.len(), schedule.count);
        let first = schedule.slot(0, &mut rng);
        HttpFlood {
            first,
            bots,
            order,
            server,
            schedule,
            role,
            tap,
            requests_per_connection,
            rng,
            opened: 0,
        }
    }
}

impl Flow for HttpFlood<'_> {
    fn first(&self) -> Option<Time> {
        self.first.filter(|_| !self.order.is_empty())
    }

    fn step(&mut self, now: Time, out: &mut Out) -> Result<Option<Time>> {
        let index = self.order.get(self.opened as usize).copied().unwrap_or(0) as usize;
        let Some(bot) = self.bots.get(index) else {
            return Ok(None);
        };
        let rng = &mut self.rng;
        let rtt = round_trip(rng, bot);
        let mut tcp = connection(
            rng,
            &Plan {
                client: bot,
                server: &self.server,
                port: 80,
                tap: &self.tap,
                roles: (self.role, Role::Reply),
                start: now,
                rtt,
            },
        );
        let think = rng.between(40, 120) as Time * MICROSECOND;
        let mut time = tcp.handshake(out, bot.os, think)? + 60 * MICROSECOND;
        let requests = rng.between(
            self.requests_per_connection.0,
            self.requests_per_connection.1,
        );
        for _ in 0..requests {
            let request = payload::http_get(rng, self.server.name, "/search", true);
            time = tcp.send(out, time, true, &request)?;
            // The overloaded backend answers slowly, and sometimes gives up.
            let (status, body) = if rng.chance(1, 3) {
                (503, 180)
            } else {
                (200, rng.between(400, 900) as usize)
            };
            let response = payload::http_response(rng, status, body);
            let answered = time + rng.between(5, 60) as Time * MILLISECOND;
            let sent = tcp.send(out, answered, false, &response)?;
            // The bot sends its next request as soon as the answer is in: the request
            // carries the ACK.
            time = sent + rtt;
        }
        tcp.close(out, time, think)?;
        self.opened += 1;
        Ok(self
            .schedule
            .slot(self.opened, rng)
            .map(|next| next.max(now)))
    }
}

/// The server's service hosts.
#[derive(Debug, Clone, Copy)]
enum Service {
    Monitor,
    Resolver,
    TimeServer,
}

/// One request and its answer between the server and a service host.
struct Exchange<'a> {
    with: Service,
    /// The service host asks (the monitor's ping) rather than the server.
    inbound: bool,
    /// The request's source and destination port; for a ping, the echo identifier first.
    ports: (u16, u16),
    request: &'a [u8],
    answer: &'a [u8],
    /// Echo request and reply types for a ping; `None` for UDP.
    icmp: Option<(u8, u8)>,
}

/// What a benign session is.
#[derive(Debug, Clone, Copy)]
enum Visit {
    Https,
    HttpRedirect,
    MonitoringPing,
    DnsLookup,
    NtpSync,
    Arp,
}

/// Where a server's ordinary traffic is captured, and what it includes.
#[derive(Debug, Clone, Copy)]
pub struct Life {
    pub tap: Tap,
    /// Interface of the VPN tunnel for the SSH session, if the capture has one.
    pub tunnel: Option<u8>,
    /// Visitors also come over plain HTTP (and are redirected to HTTPS). Off where an attack
    /// targets port 80, so that the attacked port carries attack packets only and the truth
    /// about it does not hinge on how a report splits a few visits from a flood.
    pub plain_http: bool,
}

/// The ordinary life of a server: visitors browsing over HTTPS (and plain HTTP redirected to
/// it), an uptime monitor pinging, the server resolving names and syncing its clock, ARP on
/// its segment, and (on a second, tunnel interface) an administrator's SSH session.
pub struct Visitors<'g> {
    visitors: Vec<Host<'g>>,
    /// An uptime monitor, the server's resolver and NTP server.
    monitor: Host<'g>,
    resolver: Host<'g>,
    time_server: Host<'g>,
    server: Server,
    schedule: Schedule,
    tap: Tap,
    life: Life,
    rng: Rng,
    done: u64,
    first: Option<Time>,
}

impl<'g> Visitors<'g> {
    pub fn new(
        visitors: Vec<Host<'g>>,
        services: [Host<'g>; 3],
        server: Server,
        schedule: Schedule,
        life: Life,
        mut rng: Rng,
    ) -> Visitors<'g> {
        let [monitor, resolver, time_server] = services;
        let first = schedule.slot(0, &mut rng);
        Visitors {
            first,
            visitors,
            monitor,
            resolver,
            time_server,
            server,
            schedule,
            tap: life.tap,
            life,
            rng,
            done: 0,
        }
    }

    /// A visitor's HTTPS page load: TLS 1.3 handshake, one request, a 1-8 kB response.
    fn https(&mut self, out: &mut Out, now: Time, visitor: usize) -> Result<()> {
        let Some(client) = self.visitors.get(visitor) else {
            return Ok(());
        };
        let rng = &mut self.rng;
        let rtt = round_trip(rng, client);
        let mut tcp = connection(
            rng,
            &Plan {
                client,
                server: &self.server,
                port: 443,
                tap: &self.tap,
                roles: (Role::Benign, Role::Benign),
                start: now,
                rtt,
            },
        );
        let think = rng.between(30, 80) as Time * MICROSECOND;
        let mut time = tcp.handshake(out, client.os, think)?;
        let hello = payload::tls_client_hello(rng, self.server.name);
        time = tcp.send(out, time + 100 * MICROSECOND, true, &hello)?;
        // ServerHello, ChangeCipherSpec, then the encrypted extensions, certificate chain,
        // CertificateVerify and Finished in application-data records.
        let mut flight = payload::tls_record(rng, 0x16, 122);
        flight.extend_from_slice(&payload::tls_record(rng, 0x14, 1));
        let certificates = rng.between(2_400, 3_600) as usize;
        flight.extend_from_slice(&payload::tls_record(rng, 0x17, certificates));
        time = tcp.send(out, time + think, false, &flight)?;
        let mut request = payload::tls_record(rng, 0x14, 1);
        request.extend_from_slice(&payload::tls_record(rng, 0x17, 53));
        let request_len = rng.between(300, 700) as usize;
        request.extend_from_slice(&payload::tls_record(rng, 0x17, request_len));
        time = tcp.send(out, time + rtt, true, &request)?;
        let response_len = rng.between(1_000, 8_000) as usize;
        let response = payload::tls_record(rng, 0x17, response_len);
        time = tcp.send(
            out,
            time + rng.between(2, 30) as Time * MILLISECOND,
            false,
            &response,
        )?;
        // The browser keeps the connection a while, then closes it.
        let idle = rng.between(2, 15) as Time * SECOND;
        tcp.close(out, time + rtt + idle, think)?;
        Ok(())
    }

    /// Plain HTTP answered with a redirect to HTTPS.
    fn http_redirect(&mut self, out: &mut Out, now: Time, visitor: usize) -> Result<()> {
        let Some(client) = self.visitors.get(visitor) else {
            return Ok(());
        };
        let rng = &mut self.rng;
        let rtt = round_trip(rng, client);
        let mut tcp = connection(
            rng,
            &Plan {
                client,
                server: &self.server,
                port: 80,
                tap: &self.tap,
                roles: (Role::Benign, Role::Benign),
                start: now,
                rtt,
            },
        );
        let think = rng.between(30, 80) as Time * MICROSECOND;
        let time = tcp.handshake(out, client.os, think)?;
        let request = payload::http_get(rng, self.server.name, "/", false);
        let time = tcp.send(out, time + 80 * MICROSECOND, true, &request)?;
        let location = format!(
            "HTTP/1.1 301 Moved Permanently\r\nServer: nginx/1.24.0\r\nLocation: https://{}/\r\n\
             Content-Length: 0\r\nConnection: close\r\n\r\n",
            self.server.name
        );
        let time = tcp.send(out, time + think, false, location.as_bytes())?;
        tcp.close(out, time + rtt, think)?;
        Ok(())
    }

    /// A request and its answer between the server and one of its service hosts: the
    /// answer comes 40 us later from the server, or one round trip later from the host.
    fn exchange(&mut self, out: &mut Out, now: Time, exchange: &Exchange<'_>) -> Result<()> {
        let other = match exchange.with {
            Service::Monitor => &self.monitor,
            Service::Resolver => &self.resolver,
            Service::TimeServer => &self.time_server,
        };
        let rng = &mut self.rng;
        let rtt = round_trip(rng, other);
        let server = Ip {
            src: self.server.ip,
            dst: other.ip,
            ttl: SERVER_TTL,
            id: rng.next_u16(),
            dont_fragment: true,
            tos: 0,
            flow_label: 0,
        };
        let remote = Ip {
            src: other.ip,
            dst: self.server.ip,
            ttl: other.ttl(),
            id: rng.next_u16(),
            dont_fragment: true,
            tos: 0,
            flow_label: 0,
        };
        let (first, second, first_direction, answer_at) = if exchange.inbound {
            (remote, server, Direction::In, now + 40 * MICROSECOND)
        } else {
            (server, remote, Direction::Out, now + rtt)
        };
        let second_direction = match first_direction {
            Direction::In => Direction::Out,
            Direction::Out => Direction::In,
        };
        let (request_port, answer_port) = exchange.ports;
        for (ip, direction, at, data, ports) in [
            (
                first,
                first_direction,
                now,
                exchange.request,
                (request_port, answer_port),
            ),
            (
                second,
                second_direction,
                answer_at,
                exchange.answer,
                (answer_port, request_port),
            ),
        ] {
            let meta = self.tap.meta(Role::Benign, ip.src, direction);
            let transport = match exchange.icmp {
                // The echo reply repeats the request's identifier and sequence number.
                Some((request_type, reply_type)) => Transport::Icmp {
                    kind: if at == now { request_type } else { reply_type },
                    code: 0,
                    rest: [
                        request_port.to_be_bytes()[0],
                        request_port.to_be_bytes()[1],
                        0,
                        1,
                    ],
                    payload: data,
                },
                None => Transport::Udp {
                    src_port: ports.0,
                    dst_port: ports.1,
                    payload: data,
                },
            };
            out.ip(at, meta, &ip, &transport)?;
        }
        Ok(())
    }

    fn visit(&mut self, out: &mut Out, now: Time) -> Result<()> {
        let kinds = [
            (Visit::Https, 62),
            (
                Visit::HttpRedirect,
                if self.life.plain_http { 10 } else { 0 },
            ),
            (Visit::MonitoringPing, 10),
            (Visit::DnsLookup, 9),
            (Visit::NtpSync, 4),
            (Visit::Arp, 5),
        ];
        let weights: Vec<u64> = kinds.iter().map(|&(_, w)| w).collect();
        let kind = kinds
            .get(self.rng.weighted(&weights))
            .map_or(Visit::Https, |&(kind, _)| kind);
        let visitor = self.rng.index(self.visitors.len());
        let seconds = (now / SECOND) as u32;
        match kind {
            Visit::Https => self.https(out, now, visitor)?,
            Visit::HttpRedirect => self.http_redirect(out, now, visitor)?,
            Visit::MonitoringPing => {
                let mut data = [0u8; 56];
                data[..8].copy_from_slice(&(now as u64 / 1000).to_le_bytes());
                let id = self.rng.next_u16();
                let (request, reply) = if self.server.ip.is_ipv6() {
                    (128, 129)
                } else {
                    (8, 0)
                };
                let ping = Exchange {
                    with: Service::Monitor,
                    inbound: true,
                    ports: (id, 0),
                    request: &data,
                    answer: &data,
                    icmp: Some((request, reply)),
                };
                self.exchange(out, now, &ping)?;
            }
            Visit::DnsLookup => {
                let host =
                    ["api.stripe.com", "updates.ubuntu.com", "smtp.mailgun.org"][self.rng.index(3)];
                let id = self.rng.next_u16();
                let mut query = Vec::new();
                payload::dns_lookup(&mut query, id, host, None);
                let mut answer = Vec::new();
                let mut address = [0u8; 4];
                self.rng.fill(&mut address);
                address[0] = 13 + address[0] % 100;
                payload::dns_lookup(&mut answer, id, host, Some(address));
                let port = ephemeral_port(&mut self.rng);
                if self.resolver.ip.is_ipv4() == self.server.ip.is_ipv4() {
                    let lookup = Exchange {
                        with: Service::Resolver,
                        inbound: false,
                        ports: (port, 53),
                        request: &query,
                        answer: &answer,
                        icmp: None,
                    };
                    self.exchange(out, now, &lookup)?;
                }
            }
            Visit::NtpSync => {
                let mut request = Vec::new();
                payload::ntp_packet(&mut request, &mut self.rng, false, seconds);
                let mut reply = Vec::new();
                payload::ntp_packet(&mut reply, &mut self.rng, true, seconds);
                let sync = Exchange {
                    with: Service::TimeServer,
                    inbound: false,
                    ports: (123, 123),
                    request: &request,
                    answer: &reply,
                    icmp: None,
                };
                self.exchange(out, now, &sync)?;
            }
            Visit::Arp => {
                let interface = self.tap.interface(self.server.ip, Direction::Out);
                if let IpAddr::V4(server) = self.server.ip {
                    // The server asks for its gateway, the router answers.
                    let gateway = [
                        server.octets()[0],
                        server.octets()[1],
                        server.octets()[2],
                        1,
                    ];
                    let ask = arp(false, SERVER_MAC, server.octets(), [0; 6], gateway);
                    let tell = arp(true, ROUTER_MAC, gateway, SERVER_MAC, server.octets());
                    let mut meta = Meta::new(Role::Benign, interface, Direction::Out);
                    out.non_ip(now, meta, ETHERTYPE_ARP, &ask);
                    meta.direction = Direction::In;
                    out.non_ip(now + 300 * MICROSECOND, meta, ETHERTYPE_ARP, &tell);
                }
            }
        }
        Ok(())
    }

    /// A few keystrokes and their echoes in an SSH session over the VPN tunnel: private
    /// addresses on both ends, as the tunnel assigns them.
    fn ssh_burst(&mut self, out: &mut Out, now: Time, interface: u8) -> Result<()> {
        let admin = IpAddr::V4(Ipv4Addr::new(10, 8, 0, 6));
        let tunnel_end = IpAddr::V4(Ipv4Addr::new(10, 8, 0, 1));
        let host = Host {
            ip: admin,
            origin: Origin {
                country: None,
                asn: None,
                org: None,
                bogon: Some("private"),
            },
            os: Os::Linux,
            hops: 1,
        };
        let server = Server {
            ip: tunnel_end,
            name: "",
        };
        let tap = Tap::One(interface);
        let rng = &mut self.rng;
        let rtt = rng.between(15, 40) as Time * MILLISECOND;
        let mut tcp = connection(
            rng,
            &Plan {
                client: &host,
                server: &server,
                port: 22,
                tap: &tap,
                roles: (Role::Benign, Role::Benign),
                start: now,
                rtt,
            },
        );
        let think = 60 * MICROSECOND;
        let mut time = tcp.handshake(out, Os::Linux, think)?;
        time = tcp.send(out, time + 200 * MICROSECOND, false, payload::SSH_BANNER)?;
        time = tcp.send(out, time + rtt, true, payload::SSH_BANNER)?;
        for _ in 0..rng.between(3, 12) {
            let keystroke = payload::ssh_packet(rng, 36);
            time = tcp.send(
                out,
                time + rng.between(150, 900) as Time * MILLISECOND,
                true,
                &keystroke,
            )?;
            let echo_len = 36 + 16 * rng.below(4) as usize;
            let echo = payload::ssh_packet(rng, echo_len);
            time = tcp.send(out, time + think, false, &echo)?;
        }
        tcp.close(out, time + rtt, think)?;
        Ok(())
    }
}

impl Flow for Visitors<'_> {
    fn first(&self) -> Option<Time> {
        self.first.filter(|_| !self.visitors.is_empty())
    }

    fn step(&mut self, now: Time, out: &mut Out) -> Result<Option<Time>> {
        match self.life.tunnel {
            Some(interface) if self.rng.chance(1, 40) => self.ssh_burst(out, now, interface)?,
            _ => self.visit(out, now)?,
        }
        self.done += 1;
        Ok(self
            .schedule
            .slot(self.done, &mut self.rng)
            .map(|next| next.max(now)))
    }
}
