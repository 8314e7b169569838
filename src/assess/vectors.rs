//! Attack vectors, after the last packet: takes the `VectorCounters` (and every source's mask of
//! vector bits) and gives the report's `victims[]` and `vectors[]`, the summary's top vector and
//! reflection flag, and a separate account of backscatter.
//!
//! The rules, each with its threshold next to it as a constant:
//! - **Victims.** `--victim IP[/prefix]` (several allowed) decides. Otherwise the victims are the
//!   destination addresses that each received at least `VICTIM_MIN_SHARE` (10 %) of the
//!   attack-classified packets, at most `MAX_VICTIMS` (10) of them; when none reaches 10 %
//!   (carpet bombing across a prefix, or no clear target) the single busiest destination is
//!   taken, and the reader should name the target prefix with `--victim`. Attack-classified is
//!   every vector but `benign_or_unknown`; replies (SYN-ACK, RST, ICMP errors) count toward an
//!   address only when at least `REFLECTION_MIN_SENDERS` (16) hosts sent them, as reflectors
//!   do, so a victim's answers to its attackers never make the attackers victims. Each victim
//!   gets one row per protocol and port that holds `VICTIM_PORT_MIN_SHARE` (10 %) of its packets
//!   in that protocol; the rest of the protocol goes to one row with `port: null` (many ports,
//!   or none: ICMP, GRE, fragments, and reflected traffic, whose victim-side port is whatever
//!   the spoofed request chose).
//! - **Vectors.** Traffic to the victims, grouped by vector, protocol and service port (the
//!   destination port of a flood, the source port of a reflector's answer). A group is reported
//!   when it holds `VECTOR_MIN_SHARE` (1 %) of the victim-bound packets or of the victim-bound
//!   bytes (so a low-rate, high-volume amplification beside a packet flood is not lost);
//!   everything else, traffic to other destinations included, is one `benign_or_unknown` row.
//! - **Backscatter** is not a vector. A host's replies (SYN-ACK, RST, quoting ICMP errors) are
//!   backscatter when the host replied to at least `BACKSCATTER_MIN_DESTINATIONS` (16) distinct
//!   addresses or is itself a victim: answers to spoofed traffic go to the forged addresses
//!   (Moore et al., USENIX Security 2001), while reflectors each answer one victim. Replies that
//!   arrive at a victim stay attack traffic (`tcp_reflection`, `rst_flood`, `icmp_flood`).
//! - **Shares** in rows are fractions of every IP packet (and byte) the counters observed, like
//!   the other shares of the report; the thresholds above use their own denominators.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use serde::Serialize;

use crate::aggregate::vectors::{
    DistinctCounter, FlowClass, FlowKey, FlowStats, Role, VectorCounters, VectorKind,
};
use crate::timestamp::{TimeSpan, format_rfc3339};

/// A destination is a victim when it received this share of the attack-classified packets.
pub const VICTIM_MIN_SHARE: f64 = 0.10;
/// At most this many victims are chosen automatically.
pub const MAX_VICTIMS: usize = 10;
/// A port gets its own victims row when it holds this share of the victim's packets in its
/// protocol.
pub const VICTIM_PORT_MIN_SHARE: f64 = 0.10;
/// A vector is reported when it holds this share of the victim-bound packets or bytes.
pub const VECTOR_MIN_SHARE: f64 = 0.01;
/// An HTTP or TLS request vector is a flood only when its senders made at least this many
/// requests each on average. People visiting a site open a page or two (one TLS ClientHello
/// per connection, a few HTTP requests); application-layer flood bots repeat requests as fast
/// as the server answers (Cloudflare's DDoS reports count HTTP floods in requests per second
/// per bot, in the tens to thousands). Below it the requests are ordinary visits.
pub const APPLICATION_FLOOD_MIN_REQUESTS_PER_SOURCE: f64 = 5.0;
/// A vector needs at least this many packets to be called an attack. A dozen DNS answers
/// from the site's own resolver, or a monitor's pings, are a share of a quiet capture, not a
/// denial of service. (A sampled capture shows 1 packet in N: its report says so, and the
/// reader scales.)
pub const VECTOR_MIN_PACKETS: u64 = 50;
/// A service port gets its own vectors row when it holds this share of its vector's packets.
pub const VECTOR_PORT_MIN_SHARE: f64 = 0.10;
/// Replies toward a destination count when choosing victims if at least this many hosts sent
/// them (estimated by linear counting in 64 bits).
pub const REFLECTION_MIN_SENDERS: f64 = 16.0;
/// A host that replied to this many distinct addresses (estimated, about 9 % error) is sending
/// backscatter.
pub const BACKSCATTER_MIN_DESTINATIONS: f64 = 16.0;
/// How many backscatter senders `BackscatterReport::from` lists.
pub const MAX_BACKSCATTER_SENDERS_LISTED: usize = 10;

/// An address or a prefix: a `--victim` argument (`203.0.113.10`, `198.51.100.0/24`,
/// `2001:db8::/48`). Host bits below the prefix are cleared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IpNetwork {
    address: IpAddr,
    prefix_len: u8,
}

/// Why a `--victim` argument is not an address or prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetworkError {
    Address(String),
    PrefixLength(String),
}

impl fmt::Display for NetworkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetworkError::Address(text) => write!(f, "not an IP address: {text:?}"),
            NetworkError::PrefixLength(text) => write!(
                f,
                "not a prefix length (0-32 for IPv4, 0-128 for IPv6): {text:?}"
            ),
        }
    }
}

impl std::error::Error for NetworkError {}

impl IpNetwork {
    pub fn new(address: IpAddr, prefix_len: u8) -> Result<Self, NetworkError> {
        if prefix_len > max_prefix_len(address) {
            return Err(NetworkError::PrefixLength(prefix_len.to_string()));
        }
        Ok(IpNetwork {
            address: masked(address, prefix_len),
            prefix_len,
        })
    }

    /// The network of one address.
    pub fn host(address: IpAddr) -> Self {
        IpNetwork {
            address,
            prefix_len: max_prefix_len(address),
        }
    }

    pub fn address(&self) -> IpAddr {
        self.address
    }

    pub fn prefix_len(&self) -> u8 {
        self.prefix_len
    }

    pub fn is_host(&self) -> bool {
        self.prefix_len == max_prefix_len(self.address)
    }

    pub fn contains(&self, address: IpAddr) -> bool {
        address.is_ipv4() == self.address.is_ipv4()
            && masked(address, self.prefix_len) == self.address
    }
}

fn max_prefix_len(address: IpAddr) -> u8 {
    if address.is_ipv4() { 32 } else { 128 }
}

fn masked(address: IpAddr, prefix_len: u8) -> IpAddr {
    match address {
        IpAddr::V4(v4) => {
            let mask = u32::MAX
                .checked_shl(32 - u32::from(prefix_len.min(32)))
                .unwrap_or(0);
            IpAddr::V4((u32::from(v4) & mask).into())
        }
        IpAddr::V6(v6) => {
            let mask = u128::MAX
                .checked_shl(128 - u32::from(prefix_len.min(128)))
                .unwrap_or(0);
            IpAddr::V6((u128::from(v6) & mask).into())
        }
    }
}

impl FromStr for IpNetwork {
    type Err = NetworkError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (address_text, prefix_text) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let address: IpAddr = address_text
            .parse()
            .map_err(|_| NetworkError::Address(address_text.to_string()))?;
        match prefix_text {
            None => Ok(IpNetwork::host(address)),
            Some(prefix) => {
                let prefix_len = prefix
                    .parse::<u8>()
                    .map_err(|_| NetworkError::PrefixLength(prefix.to_string()))?;
                IpNetwork::new(address, prefix_len)
            }
        }
    }
}

impl fmt::Display for IpNetwork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_host() {
            write!(f, "{}", self.address)
        } else {
            write!(f, "{}/{}", self.address, self.prefix_len)
        }
    }
}

/// One row of the report's `victims[]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Victim {
    /// The victim's address; for a `--victim` prefix, the prefix in CIDR notation (the whole
    /// prefix is one victim).
    pub ip: String,
    /// `null` for ICMP, GRE, fragments, reflected traffic and traffic spread over many ports.
    pub port: Option<u16>,
    pub protocol: String,
    pub packets: u64,
    pub bytes: u64,
    /// Of every IP packet observed.
    pub share_packets: f64,
    /// The victim this row belongs to.
    #[serde(skip)]
    pub network: IpNetwork,
}

/// The victims and their rows: `explicit` (from `--victim`) when given, else chosen by the rule
/// in the module comment. Rows are sorted by packets, largest first, then ip, protocol, port.
pub fn choose_victims(counters: &VectorCounters, explicit: &[IpNetwork]) -> Vec<Victim> {
    let networks = if explicit.is_empty() {
        default_victims(counters)
    } else {
        let mut networks = explicit.to_vec();
        networks.sort();
        networks.dedup();
        networks
    };
    victim_rows(counters, &networks, &|key, _| {
        reported_kind(&key.class) != VectorKind::BenignOrUnknown
    })
}

/// The kind a flow is reported under: requests count as the UDP floods they are toward their
/// destination.
fn reported_kind(class: &FlowClass) -> VectorKind {
    match class.role {
        Role::Request => VectorKind::UdpFlood,
        _ => class.kind,
    }
}

/// The (kind, protocol, service port) of the reported vector rows, to tell which flows they
/// hold: a row with a port holds that port's flows, a row without one the kind's other flows.
struct ReportedRows {
    rows: Vec<(VectorKind, String, Option<u16>)>,
}

impl ReportedRows {
    fn of(vectors: &[VectorReport]) -> ReportedRows {
        ReportedRows {
            rows: vectors
                .iter()
                .filter(|row| row.kind != VectorKind::BenignOrUnknown)
                .map(|row| (row.kind, row.protocol.clone(), row.service_port))
                .collect(),
        }
    }

    fn holds(&self, key: &FlowKey, stats: &FlowStats) -> bool {
        let kind = reported_kind(&key.class);
        let protocol = protocol_name(key.class.protocol);
        let port = stats.port(&key.class);
        let same = |row: &&(VectorKind, String, Option<u16>)| row.0 == kind && row.1 == protocol;
        let mut rows = self.rows.iter().filter(same);
        let own_port = port.is_some() && self.rows.iter().filter(same).any(|row| row.2 == port);
        own_port || rows.any(|row| row.2.is_none())
    }
}

/// The victims that received a reported vector, with rows over the reported kinds only and
/// shares of the attack packets they received (so one victim of one vector has share 1): the
/// final `victims[]`, once `vectors_report` has told attack from ordinary traffic. Empty when
/// no vector was reported.
pub fn attack_victims(
    counters: &VectorCounters,
    candidates: &[Victim],
    vectors: &[VectorReport],
) -> Vec<Victim> {
    let reported_kinds = vectors
        .iter()
        .filter(|row| row.kind != VectorKind::BenignOrUnknown)
        .fold(0u32, |mask, row| mask | row.kind.bit());
    if reported_kinds == 0 {
        return Vec::new();
    }
    let reported = ReportedRows::of(vectors);
    let mut rows = victim_rows(counters, &victim_networks(candidates), &|key, stats| {
        reported.holds(key, stats)
    });
    let attack_packets: u64 = rows.iter().map(|row| row.packets).sum();
    for row in &mut rows {
        row.share_packets = share(row.packets, attack_packets);
    }
    rows
}

fn default_victims(counters: &VectorCounters) -> Vec<IpNetwork> {
    let mut by_address: HashMap<IpAddr, u64> = HashMap::new();
    let mut total = 0u64;
    // The sessions around application requests are not what makes a host look attacked: the
    // requests are (and a busy site's visitors' sessions would otherwise outweigh a flood).
    let attack = |kind: VectorKind, role: Role| {
        kind != VectorKind::BenignOrUnknown && !matches!(role, Role::Reply | Role::Session)
    };
    for (key, stats) in counters.flows() {
        if attack(key.class.kind, key.class.role) {
            *by_address.entry(key.address).or_default() += stats.packets;
            total += stats.packets;
        }
    }
    // Replies make their destination a victim only when many hosts sent them (reflectors, an
    // RST flood's forged sources). Replies from one host are that host answering whoever
    // talked to it: backscatter to forged addresses, or a victim answering real bots, which
    // must not turn the bots into victims.
    for (key, stats, senders) in counters.reply_flows() {
        if senders.estimate() >= REFLECTION_MIN_SENDERS {
            *by_address.entry(key.address).or_default() += stats.packets;
            total += stats.packets;
        }
    }
    total += counters
        .overflow_flows()
        .filter(|(class, _)| attack(class.kind, class.role))
        .map(|(_, stats)| stats.packets)
        .sum::<u64>();
    if total == 0 {
        return Vec::new();
    }
    let mut ranked: Vec<(IpAddr, u64)> = by_address.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let chosen: Vec<IpNetwork> = ranked
        .iter()
        .take_while(|(_, packets)| share(*packets, total) >= VICTIM_MIN_SHARE)
        .take(MAX_VICTIMS)
        .map(|(address, _)| IpNetwork::host(*address))
        .collect();
    if chosen.is_empty() {
        ranked
            .first()
            .map(|(address, _)| IpNetwork::host(*address))
            .into_iter()
            .collect()
    } else {
        chosen
    }
}

/// The most specific victim network that holds `address`.
fn victim_of(networks: &[IpNetwork], address: IpAddr) -> Option<&IpNetwork> {
    networks
        .iter()
        .filter(|network| network.contains(address))
        .max_by_key(|network| network.prefix_len)
}

/// Rows for the flows `counted` accepts that reached `networks`.
fn victim_rows(
    counters: &VectorCounters,
    networks: &[IpNetwork],
    counted: &dyn Fn(&FlowKey, &FlowStats) -> bool,
) -> Vec<Victim> {
    // (victim, protocol) -> victim-side port -> (packets, bytes)
    type Ports = BTreeMap<Option<u16>, (u64, u64)>;
    let mut groups: BTreeMap<(IpNetwork, u8), Ports> = BTreeMap::new();
    for (key, stats) in counters.flows() {
        if !counted(key, stats) {
            continue;
        }
        let Some(network) = victim_of(networks, key.address) else {
            continue;
        };
        let port = match key.class.role {
            Role::Flood | Role::Request | Role::Session => stats.port(&key.class),
            Role::Response | Role::Reply => None,
        };
        let entry = groups
            .entry((*network, key.class.protocol))
            .or_default()
            .entry(port)
            .or_default();
        entry.0 += stats.packets;
        entry.1 += stats.bytes;
    }
    let mut rows = Vec::new();
    for ((network, protocol), ports) in groups {
        let protocol_packets: u64 = ports.values().map(|(packets, _)| packets).sum();
        let mut rest = (0u64, 0u64);
        let row = |port: Option<u16>, (packets, bytes): (u64, u64)| Victim {
            ip: network.to_string(),
            port,
            protocol: protocol_name(protocol),
            packets,
            bytes,
            share_packets: share(packets, counters.packets()),
            network,
        };
        for (port, counts) in ports {
            if port.is_some() && share(counts.0, protocol_packets) >= VICTIM_PORT_MIN_SHARE {
                rows.push(row(port, counts));
            } else {
                rest.0 += counts.0;
                rest.1 += counts.1;
            }
        }
        if rest.0 > 0 {
            rows.push(row(None, rest));
        }
    }
    rows.sort_by(|a, b| {
        b.packets
            .cmp(&a.packets)
            .then_with(|| a.ip.cmp(&b.ip))
            .then_with(|| a.protocol.cmp(&b.protocol))
            .then_with(|| a.port.cmp(&b.port))
    });
    rows
}

/// The distinct victims of `victims` rows, in order of first appearance.
fn victim_networks(victims: &[Victim]) -> Vec<IpNetwork> {
    let mut networks: Vec<IpNetwork> = Vec::new();
    for victim in victims {
        if !networks.contains(&victim.network) {
            networks.push(victim.network);
        }
    }
    networks
}

/// Lower-case protocol name for reports: "tcp", "udp", "icmp", "icmpv6", "gre", ...; "proto_<n>"
/// for the rest.
pub fn protocol_name(protocol: u8) -> String {
    let name = match protocol {
        1 => "icmp",
        4 => "ipip",
        6 => "tcp",
        17 => "udp",
        33 => "dccp",
        41 => "ipv6",
        47 => "gre",
        50 => "esp",
        51 => "ah",
        58 => "icmpv6",
        132 => "sctp",
        136 => "udplite",
        other => return format!("proto_{other}"),
    };
    name.to_string()
}

/// A protocol's bandwidth amplification factor as published: UDP payload bytes of the answer
/// per UDP payload byte of the request (Rossow, "Amplification Hell: Revisiting Network
/// Protocols for DDoS Abuse", NDSS 2014, section 2.2).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DocumentedAmplification {
    /// The lower end of the published range (the factor itself when it is one number).
    pub low: f64,
    pub high: f64,
    pub reference: &'static str,
}

const TA14_017A: &str = "US-CERT/CISA alert TA14-017A, UDP-Based Amplification Attacks";
const TA14_017A_ROSSOW: &str = "US-CERT/CISA alert TA14-017A, UDP-Based Amplification Attacks; \
                                Rossow, Amplification Hell, NDSS 2014, Table 1";

/// The documented factor of the amplification vectors; `None` for the rest (`tcp_reflection`
/// and `other_reflection` included: their factors depend on the server or the protocol).
pub fn documented_amplification(kind: VectorKind) -> Option<DocumentedAmplification> {
    let (low, high, reference) = match kind {
        // "28 to 54": open resolvers and authoritative servers (Table 1: 28.7 and 54.6).
        VectorKind::DnsAmplification => (28.0, 54.0, TA14_017A_ROSSOW),
        // monlist, all amplifiers.
        VectorKind::NtpAmplification => (556.9, 556.9, TA14_017A_ROSSOW),
        // SNMPv2 GetBulk.
        VectorKind::SnmpAmplification => (6.3, 6.3, TA14_017A_ROSSOW),
        VectorKind::SsdpAmplification => (30.8, 30.8, TA14_017A_ROSSOW),
        VectorKind::ChargenAmplification => (358.8, 358.8, TA14_017A_ROSSOW),
        // Added to TA14-017A in 2018 (not in Rossow's study).
        VectorKind::MemcachedAmplification => (10_000.0, 51_000.0, TA14_017A),
        VectorKind::CldapAmplification => (56.0, 70.0, TA14_017A),
        VectorKind::WsDiscoveryAmplification => (10.0, 500.0, TA14_017A),
        _ => return None,
    };
    Some(DocumentedAmplification {
        low,
        high,
        reference,
    })
}

/// One row of the report's `vectors[]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VectorReport {
    pub kind: VectorKind,
    /// "tcp", "udp", "icmp", ...; "any" for `benign_or_unknown`.
    pub protocol: String,
    /// The destination port of a flood, the source port of a reflector's answer or reply;
    /// `null` when there is none or the vector spreads over many ports.
    pub service_port: Option<u16>,
    pub packets: u64,
    pub bytes: u64,
    /// Distinct sources that sent packets of this kind (to any destination: counted from the
    /// per-source masks, which do not say where a packet went). For `benign_or_unknown`, the
    /// sources that sent a kind no row reports; a source whose only "benign" packets were a
    /// reported kind sent elsewhere is not counted, so it is a lower bound.
    pub sources: u64,
    pub share_packets: f64,
    pub share_bytes: f64,
    pub reflection: bool,
    /// The documented bandwidth amplification factor (the lower end of a published range).
    pub amplification_factor: Option<f64>,
    /// The upper end of the published range (equal to `amplification_factor` for one number).
    pub amplification_factor_max: Option<f64>,
    /// Where the factor comes from.
    pub amplification_reference: Option<&'static str>,
    /// Answer payload bytes to the victims per request payload byte spoofed from them, when
    /// the capture holds both.
    pub observed_amplification: Option<f64>,
    /// Later fragments counted here through their datagram's first fragment.
    pub later_fragments: u64,
    /// For an HTTP or TLS flood, the requests (HTTP requests, TLS ClientHellos) among the
    /// packets; the rest are the other packets of the senders' connections (handshakes,
    /// acknowledgements, closes). `null` for other vectors.
    pub requests: Option<u64>,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    /// A tcpdump filter that selects the vector's packets.
    pub bpf: String,
    #[serde(skip)]
    port_side: PortSide,
}

/// Which port of a packet names its service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum PortSide {
    Destination,
    Source,
}

#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    packets: u64,
    /// Of the packets, application requests (`Role::Flood` of an HTTP/TLS flood): the
    /// requests-per-sender test counts these, not the sessions around them.
    requests: u64,
    bytes: u64,
    /// Payload bytes of reflectors' answers, for the observed amplification.
    answer_payload_bytes: u64,
    later_fragments: u64,
    span: TimeSpan,
}

impl Tally {
    fn add(&mut self, stats: &FlowStats, role: Role) {
        self.packets += stats.packets;
        if role == Role::Flood {
            self.requests += stats.packets;
        }
        self.bytes += stats.bytes;
        if role == Role::Response {
            self.answer_payload_bytes += stats.payload_bytes;
        }
        self.later_fragments += stats.later_fragments;
        self.span.merge(&stats.span);
    }

    fn merge(&mut self, other: &Tally) {
        self.packets += other.packets;
        self.requests += other.requests;
        self.bytes += other.bytes;
        self.answer_payload_bytes += other.answer_payload_bytes;
        self.later_fragments += other.later_fragments;
        self.span.merge(&other.span);
    }
}

/// The report's `vectors[]`: what reached `victims` (the rows of `choose_victims`), by vector,
/// protocol and service port, above `VECTOR_MIN_SHARE`; the rest as one `benign_or_unknown` row.
/// `sources_per_mask` gives how many sources have each mask, a source's mask being the OR of
/// the bits of its packets' classifications (`Classification::bit`); a mask may come more
/// than once, its counts are added. Sorted by packets, largest first, then kind.
pub fn vectors_report(
    counters: &VectorCounters,
    victims: &[Victim],
    sources_per_mask: impl IntoIterator<Item = (u32, u64)>,
) -> Vec<VectorReport> {
    let networks = victim_networks(victims);
    // Sources per kind, from the masks; the masks are kept by value (few distinct ones) to
    // count the sources of unreported kinds once the rows are known.
    let mut masks: HashMap<u32, u64> = HashMap::new();
    for (mask, sources) in sources_per_mask {
        *masks.entry(mask).or_default() += sources;
    }
    let mut sources_by_kind = [0u64; VectorKind::ALL.len()];
    for (&mask, &count) in &masks {
        for kind in VectorKind::kinds_in(mask) {
            if let Some(sources) = sources_by_kind.get_mut(kind as usize) {
                *sources += count;
            }
        }
    }
    let kind_sources = |kind: VectorKind| sources_by_kind.get(kind as usize).copied().unwrap_or(0);
    // (kind, protocol, port side) -> service port -> tally
    type Ports = BTreeMap<Option<u16>, Tally>;
    let mut groups: BTreeMap<(VectorKind, u8, PortSide), Ports> = BTreeMap::new();
    let mut unreported = Tally::default();
    let (mut victim_packets, mut victim_bytes) = (0u64, 0u64);
    for (key, stats) in counters.flows() {
        let class = &key.class;
        if victim_of(&networks, key.address).is_none() {
            unreported.add(stats, class.role);
            continue;
        }
        victim_packets += stats.packets;
        victim_bytes += stats.bytes;
        let (kind, side) = match class.role {
            Role::Request => (VectorKind::UdpFlood, PortSide::Destination),
            Role::Flood | Role::Session => (class.kind, PortSide::Destination),
            Role::Response | Role::Reply => (class.kind, PortSide::Source),
        };
        if kind == VectorKind::BenignOrUnknown {
            unreported.add(stats, class.role);
            continue;
        }
        groups
            .entry((kind, class.protocol, side))
            .or_default()
            .entry(stats.port(class))
            .or_default()
            .add(stats, class.role);
    }
    for (class, stats) in counters.overflow_flows() {
        unreported.add(stats, class.role);
    }

    let mut rows: Vec<(VectorKind, u8, PortSide, Option<u16>, Tally)> = Vec::new();
    for ((kind, protocol, side), ports) in groups {
        let kind_packets: u64 = ports.values().map(|tally| tally.packets).sum();
        let mut rest = Tally::default();
        for (port, tally) in ports {
            if port.is_some() && share(tally.packets, kind_packets) >= VECTOR_PORT_MIN_SHARE {
                rows.push((kind, protocol, side, port, tally));
            } else {
                rest.merge(&tally);
            }
        }
        if rest.packets > 0 {
            rows.push((kind, protocol, side, None, rest));
        }
    }
    let meaningful = |kind: VectorKind, tally: &Tally| {
        let large = share(tally.packets, victim_packets) >= VECTOR_MIN_SHARE
            || share(tally.bytes, victim_bytes) >= VECTOR_MIN_SHARE;
        let senders = kind_sources(kind);
        // Every sender of a bare-flag kind proved genuine (their SYNs opened the connections
        // they completed: `aggregate::vectors::within_session`), so nothing of it is a flood.
        let has_senders = senders > 0;
        let repeated_requests = !matches!(kind, VectorKind::HttpFlood | VectorKind::TlsFlood)
            || tally.requests as f64 >= APPLICATION_FLOOD_MIN_REQUESTS_PER_SOURCE * senders as f64;
        large && tally.packets >= VECTOR_MIN_PACKETS && has_senders && repeated_requests
    };
    let (reported, folded): (Vec<_>, Vec<_>) =
        rows.into_iter().partition(|row| meaningful(row.0, &row.4));
    for row in &folded {
        unreported.merge(&row.4);
    }

    let mut reported_kinds = 0u32;
    for row in &reported {
        reported_kinds |= row.0.bit();
    }
    let unreported_sources: u64 = masks
        .iter()
        .filter(|(mask, _)| **mask & !reported_kinds != 0)
        .map(|(_, count)| count)
        .sum();

    let requests_from_victims = request_bytes_from(counters, &networks);
    let mut vectors: Vec<VectorReport> = reported
        .into_iter()
        .map(|(kind, protocol, side, port, tally)| {
            let documented = documented_amplification(kind);
            let observed = requests_from_victims
                .get(&kind)
                .filter(|_| tally.answer_payload_bytes > 0)
                .map(|request_bytes| {
                    round2(tally.answer_payload_bytes as f64 / *request_bytes as f64)
                });
            VectorReport {
                kind,
                protocol: protocol_name(protocol),
                service_port: port,
                packets: tally.packets,
                bytes: tally.bytes,
                sources: kind_sources(kind),
                share_packets: share(tally.packets, counters.packets()),
                share_bytes: share(tally.bytes, counters.bytes()),
                reflection: kind.is_reflection(),
                amplification_factor: documented.map(|factor| factor.low),
                amplification_factor_max: documented.map(|factor| factor.high),
                amplification_reference: documented.map(|factor| factor.reference),
                observed_amplification: observed,
                later_fragments: tally.later_fragments,
                requests: matches!(kind, VectorKind::HttpFlood | VectorKind::TlsFlood)
                    .then_some(tally.requests),
                first_seen: tally.span.first_ns().map(format_rfc3339),
                last_seen: tally.span.last_ns().map(format_rfc3339),
                bpf: bpf(
                    kind,
                    protocol,
                    side,
                    port,
                    tally.later_fragments > 0,
                    &networks,
                ),
                port_side: side,
            }
        })
        .collect();

    // Everything not reported and not backscatter; computed from the totals so that the rows
    // and the backscatter account add up to every packet observed.
    let backscatter = backscatter_report(counters, victims);
    let reported_packets: u64 = vectors.iter().map(|row| row.packets).sum();
    let reported_bytes: u64 = vectors.iter().map(|row| row.bytes).sum();
    let benign_packets = counters
        .packets()
        .saturating_sub(reported_packets)
        .saturating_sub(backscatter.packets);
    if benign_packets > 0 {
        let benign_bytes = counters
            .bytes()
            .saturating_sub(reported_bytes)
            .saturating_sub(backscatter.bytes);
        let bpf = benign_bpf(&vectors);
        vectors.push(VectorReport {
            kind: VectorKind::BenignOrUnknown,
            protocol: "any".to_string(),
            service_port: None,
            packets: benign_packets,
            bytes: benign_bytes,
            sources: unreported_sources,
            share_packets: share(benign_packets, counters.packets()),
            share_bytes: share(benign_bytes, counters.bytes()),
            reflection: false,
            amplification_factor: None,
            amplification_factor_max: None,
            amplification_reference: None,
            observed_amplification: None,
            later_fragments: 0,
            requests: None,
            first_seen: unreported.span.first_ns().map(format_rfc3339),
            last_seen: unreported.span.last_ns().map(format_rfc3339),
            bpf,
            port_side: PortSide::Destination,
        });
    }
    vectors.sort_by(|a, b| {
        b.packets
            .cmp(&a.packets)
            .then_with(|| a.kind.as_str().cmp(b.kind.as_str()))
            .then_with(|| a.protocol.cmp(&b.protocol))
            .then_with(|| a.service_port.cmp(&b.service_port))
            .then_with(|| a.port_side.cmp(&b.port_side))
    });
    vectors
}

/// Request payload bytes spoofed from the victims (their source is a victim), by service.
fn request_bytes_from(
    counters: &VectorCounters,
    networks: &[IpNetwork],
) -> BTreeMap<VectorKind, u64> {
    let mut bytes: BTreeMap<VectorKind, u64> = BTreeMap::new();
    for ((source, kind), stats) in counters.request_sources() {
        if stats.payload_bytes > 0 && victim_of(networks, *source).is_some() {
            *bytes.entry(*kind).or_default() += stats.payload_bytes;
        }
    }
    bytes
}

/// The vector with the most packets, if any vector was reported.
pub fn top_vector(vectors: &[VectorReport]) -> Option<VectorKind> {
    // Weight is the larger of the packet and byte shares: a SYN flood is large in packets, an
    // amplification attack in bytes (1,000 DNS answers of 1,500 bytes outweigh 2,000 bare
    // ACKs of background traffic), and either is what took the service down.
    let weight = |row: &VectorReport| row.share_packets.max(row.share_bytes);
    vectors
        .iter()
        .filter(|row| row.kind != VectorKind::BenignOrUnknown)
        .max_by(|a, b| {
            weight(a)
                .total_cmp(&weight(b))
                .then_with(|| b.kind.as_str().cmp(a.kind.as_str()))
        })
        .map(|row| row.kind)
}

/// The attack is a reflection attack: more than half of the reported vectors' packets come from
/// reflectors (so the report's sources are reflectors, not the attacker's machines).
pub fn is_reflection(vectors: &[VectorReport]) -> bool {
    let (mut reflected, mut attack) = (0u64, 0u64);
    for row in vectors {
        if row.kind != VectorKind::BenignOrUnknown {
            attack += row.packets;
            if row.reflection {
                reflected += row.packets;
            }
        }
    }
    attack > 0 && reflected.saturating_mul(2) > attack
}

/// Replies to spoofed traffic, counted apart from the vectors: "N packets of backscatter to M
/// addresses from these hosts".
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BackscatterReport {
    pub packets: u64,
    pub bytes: u64,
    /// Distinct addresses the replies went to (HyperLogLog estimate, about 9 % error).
    pub destinations: u64,
    /// Hosts sending backscatter.
    pub senders: u64,
    /// The busiest of them, by packets (at most `MAX_BACKSCATTER_SENDERS_LISTED`).
    pub from: Vec<String>,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    /// Reply-shaped packets whose sender could not be kept (memory cap): not judged.
    pub unattributed_packets: u64,
}

/// Which replies are backscatter, by the rule in the module comment.
pub fn backscatter_report(counters: &VectorCounters, victims: &[Victim]) -> BackscatterReport {
    let networks = victim_networks(victims);
    let mut senders: Vec<(IpAddr, u64)> = Vec::new();
    let (mut packets, mut bytes) = (0u64, 0u64);
    let mut destinations = DistinctCounter::default();
    let mut span = TimeSpan::default();
    for (address, stats) in counters.repliers() {
        let wide = stats.destinations.estimate() >= BACKSCATTER_MIN_DESTINATIONS;
        if wide || victim_of(&networks, *address).is_some() {
            senders.push((*address, stats.packets));
            packets += stats.packets;
            bytes += stats.bytes;
            destinations.merge(&stats.destinations);
            span.merge(&stats.span);
        }
    }
    senders.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    BackscatterReport {
        packets,
        bytes,
        destinations: if packets == 0 {
            0
        } else {
            destinations.estimate().round() as u64
        },
        senders: senders.len() as u64,
        from: senders
            .iter()
            .take(MAX_BACKSCATTER_SENDERS_LISTED)
            .map(|(address, _)| address.to_string())
            .collect(),
        first_seen: span.first_ns().map(format_rfc3339),
        last_seen: span.last_ns().map(format_rfc3339),
        unattributed_packets: counters.overflow_repliers().packets,
    }
}

/// `part / whole` in [0, 1]-ish; 0 when `whole` is 0.
fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

// ---------------------------------------------------------------------------------------------
// tcpdump filters
// ---------------------------------------------------------------------------------------------
//
// pcap-filter(7) syntax. The TCP flag tests use `tcp[tcpflags]` for IPv4; libpcap cannot index
// the TCP header of IPv6 packets (`tcp[...]` rejects them), so the IPv6 forms read the flags at
// their offset after a 40-byte header without extension headers (`ip6[53]` = 40 + 13), which is
// what attack traffic carries. Later fragments carry no ports, so a reflection vector that
// includes some matches them by fragment offset (`ip[6:2] & 0x1fff != 0`; IPv6: a fragment header
// right after the fixed header with a non-zero offset).

/// The IP family a filter part is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    V4,
    V6,
}

/// A tcpdump filter for all traffic to the victims (for a wave, whose time range the report
/// gives: `editcap -A START -B END` cuts a capture to it); `None` without victims.
pub fn victims_filter(victims: &[Victim]) -> Option<String> {
    destination_filter(&victim_networks(victims))
}

/// The destination test for the victims of one family: `dst host A`, `dst net N/len`, or an
/// alternative of them.
fn destination_filter(networks: &[IpNetwork]) -> Option<String> {
    let tests: Vec<String> = networks
        .iter()
        .map(|network| {
            if network.is_host() {
                format!("dst host {}", network.address())
            } else {
                format!("dst net {network}")
            }
        })
        .collect();
    match tests.len() {
        0 => None,
        1 => tests.into_iter().next(),
        _ => Some(format!("({})", tests.join(" or "))),
    }
}

const V4_LATER_FRAGMENT: &str = "ip[6:2] & 0x1fff != 0";
const V6_LATER_FRAGMENT: &str = "ip6[6] == 44 and ip6[42:2] & 0xfff8 != 0";
/// Offset of the TCP payload, IPv4 (`tcp[...]` indexes from the TCP header).
const V4_TCP_DATA: &str = "((tcp[12] & 0xf0) >> 2)";
/// Offset of the TCP payload from the IPv6 header, without extension headers.
const V6_TCP_DATA: &str = "(40 + ((ip6[52] & 0xf0) >> 2))";

/// The kind-specific tests for one family; `None` when the kind cannot occur in that family.
fn kind_filter(
    kind: VectorKind,
    protocol: u8,
    family: Family,
    side: PortSide,
    port: Option<u16>,
    with_fragments: bool,
) -> Option<String> {
    let v4 = family == Family::V4;
    let direction = match side {
        PortSide::Destination => "dst",
        PortSide::Source => "src",
    };
    let transport = match protocol {
        6 => "tcp",
        17 => "udp",
        _ => "",
    };
    let portless = matches!(
        kind,
        VectorKind::IcmpFlood | VectorKind::FragmentFlood | VectorKind::GreFlood
    );
    let port_test = match port {
        Some(port) if !transport.is_empty() && !portless => {
            Some(format!("{transport} {direction} port {port}"))
        }
        _ => None,
    };
    let flags = match kind {
        VectorKind::SynFlood => Some(if v4 {
            "tcp[tcpflags] & (tcp-syn|tcp-ack|tcp-rst|tcp-fin) == tcp-syn".to_string()
        } else {
            "ip6[6] == 6 and ip6[53] & 0x17 == 0x02".to_string()
        }),
        VectorKind::AckFlood => Some(if v4 {
            "tcp[tcpflags] & (tcp-syn|tcp-ack|tcp-rst|tcp-fin|tcp-push|tcp-urg) == tcp-ack \
             and ip[2:2] - ((ip[0] & 0x0f) << 2) - ((tcp[12] & 0xf0) >> 2) == 0"
                .to_string()
        } else {
            "ip6[6] == 6 and ip6[53] & 0x3f == 0x10 and ip6[4:2] - ((ip6[52] & 0xf0) >> 2) == 0"
                .to_string()
        }),
        VectorKind::RstFlood => Some(if v4 {
            "tcp[tcpflags] & tcp-rst != 0".to_string()
        } else {
            "ip6[6] == 6 and ip6[53] & 0x04 != 0".to_string()
        }),
        VectorKind::TcpReflection => Some(if v4 {
            "(tcp[tcpflags] & (tcp-syn|tcp-ack|tcp-rst) == (tcp-syn|tcp-ack) \
             or (tcp[tcpflags] & (tcp-rst|tcp-ack) == (tcp-rst|tcp-ack) and tcp[4:4] == 0))"
                .to_string()
        } else {
            "ip6[6] == 6 and (ip6[53] & 0x16 == 0x12 or (ip6[53] & 0x14 == 0x14 and ip6[44:4] == 0))"
                .to_string()
        }),
        VectorKind::HttpFlood => {
            // GET, POST, HEAD: the methods floods use.
            let methods = ["0x47455420", "0x504f5354", "0x48454144"];
            let tests: Vec<String> = methods
                .iter()
                .map(|method| {
                    if v4 {
                        format!("tcp[{V4_TCP_DATA}:4] == {method}")
                    } else {
                        format!("ip6[{V6_TCP_DATA}:4] == {method}")
                    }
                })
                .collect();
            let any_method = format!("({})", tests.join(" or "));
            Some(if v4 {
                any_method
            } else {
                format!("ip6[6] == 6 and {any_method}")
            })
        }
        VectorKind::TlsFlood => Some(if v4 {
            format!("tcp[{V4_TCP_DATA}] == 0x16 and tcp[{V4_TCP_DATA} + 5] == 0x01")
        } else {
            format!("ip6[6] == 6 and ip6[{V6_TCP_DATA}] == 0x16 and ip6[{V6_TCP_DATA} + 5] == 0x01")
        }),
        VectorKind::TcpOtherFlood => Some("tcp".to_string()),
        VectorKind::UdpFlood => Some("udp".to_string()),
        VectorKind::IcmpFlood => match (protocol, v4) {
            (1, true) => Some("icmp".to_string()),
            (58, false) => Some("icmp6".to_string()),
            _ => return None,
        },
        VectorKind::FragmentFlood => Some(
            if v4 {
                V4_LATER_FRAGMENT
            } else {
                V6_LATER_FRAGMENT
            }
            .to_string(),
        ),
        VectorKind::GreFlood => Some(if v4 { "ip proto 47" } else { "ip6 proto 47" }.to_string()),
        VectorKind::BenignOrUnknown => return None,
        // The reflection vectors over UDP: the service port is the test.
        _ => {
            let answers = port_test.clone().unwrap_or_else(|| "udp".to_string());
            return Some(if with_fragments {
                let fragments = if v4 {
                    V4_LATER_FRAGMENT
                } else {
                    V6_LATER_FRAGMENT
                };
                format!("({answers} or ({fragments}))")
            } else {
                answers
            });
        }
    };
    let tests: Vec<String> = match (kind, port_test) {
        // "tcp dst port 80" already says tcp; "udp dst port 53" already says udp.
        (VectorKind::TcpOtherFlood | VectorKind::UdpFlood, Some(port_test)) => vec![port_test],
        // An application flood is every packet of its senders' connections to the service, not
        // only the requests: the port selects them (with the service's other clients, which a
        // filter cannot tell apart).
        (VectorKind::HttpFlood | VectorKind::TlsFlood, Some(port_test)) => vec![port_test],
        (_, port_test) => flags.into_iter().chain(port_test).collect(),
    };
    Some(tests.join(" and "))
}

/// A filter for one row: per family of the victims, "destination and kind tests"; both families
/// joined by `or`.
fn bpf(
    kind: VectorKind,
    protocol: u8,
    side: PortSide,
    port: Option<u16>,
    with_fragments: bool,
    networks: &[IpNetwork],
) -> String {
    let mut parts = Vec::new();
    for family in [Family::V4, Family::V6] {
        let family_networks: Vec<IpNetwork> = networks
            .iter()
            .copied()
            .filter(|network| network.address().is_ipv4() == (family == Family::V4))
            .collect();
        let Some(destination) = destination_filter(&family_networks) else {
            continue;
        };
        if let Some(tests) = kind_filter(kind, protocol, family, side, port, with_fragments) {
            parts.push(format!("{destination} and {tests}"));
        }
    }
    match parts.len() {
        0 => String::new(),
        1 => parts.into_iter().next().unwrap_or_default(),
        _ => parts
            .iter()
            .map(|part| format!("({part})"))
            .collect::<Vec<_>>()
            .join(" or "),
    }
}

/// Everything the reported vectors' filters do not select.
fn benign_bpf(vectors: &[VectorReport]) -> String {
    let filters: Vec<String> = vectors
        .iter()
        .filter(|row| !row.bpf.is_empty())
        .map(|row| format!("({})", row.bpf))
        .collect();
    if filters.is_empty() {
        "ip or ip6".to_string()
    } else {
        format!("not ({})", filters.join(" or "))
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;
    use std::process::Command;

    use super::*;
    use crate::aggregate::vectors::{Classification, Limits, classify};
    use crate::decode::{Fragment, IcmpInfo, Packet, QuotedHeader, TcpInfo};

    const T0: i64 = 1_741_611_600_000_000_000;
    const VICTIM: &str = "203.0.113.10";
    const VICTIM2: &str = "203.0.113.20";

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn nth(base: u32, n: u32) -> IpAddr {
        IpAddr::V4(Ipv4Addr::from(base.wrapping_add(n.wrapping_mul(7_919))))
    }

    fn base<'a>(src: IpAddr, dst: IpAddr, protocol: u8) -> Packet<'a> {
        Packet {
            ip_id: 1,
            ..Packet::for_test(src, dst, protocol, T0)
        }
    }

    fn tcp<'a>(src: IpAddr, sport: u16, dst: IpAddr, dport: u16, flags: u8) -> Packet<'a> {
        Packet {
            src_port: sport,
            dst_port: dport,
            tcp: Some(TcpInfo {
                flags,
                seq: 7,
                ..TcpInfo::default()
            }),
            ..base(src, dst, 6)
        }
    }

    fn udp<'a>(src: IpAddr, sport: u16, dst: IpAddr, dport: u16, payload: &'a [u8]) -> Packet<'a> {
        let captured = &payload[..payload.len().min(64)];
        Packet {
            src_port: sport,
            dst_port: dport,
            payload_len: payload.len() as u32,
            payload: captured,
            wire_len: 42 + payload.len() as u32,
            ..base(src, dst, 17)
        }
    }

    /// Counters plus the per-source masks the caller would keep.
    #[derive(Default)]
    struct Run {
        counters: VectorCounters,
        masks: HashMap<IpAddr, u32>,
    }

    impl Run {
        fn feed(&mut self, packet: &Packet, time_offset_ms: i64) {
            let packet = Packet {
                timestamp_ns: Some(T0 + time_offset_ms * 1_000_000),
                ..packet.clone()
            };
            let counted = self.counters.observe(&packet, classify(&packet));
            *self.masks.entry(packet.src).or_default() |= counted.bit();
        }

        fn report(&self, explicit: &[IpNetwork]) -> (Vec<Victim>, Vec<VectorReport>) {
            let candidates = choose_victims(&self.counters, explicit);
            let vectors = vectors_report(
                &self.counters,
                &candidates,
                self.masks.values().map(|&mask| (mask, 1)),
            );
            let victims = attack_victims(&self.counters, &candidates, &vectors);
            (victims, vectors)
        }
    }

    fn kinds(vectors: &[VectorReport]) -> Vec<(VectorKind, Option<u16>, u64)> {
        vectors
            .iter()
            .map(|row| (row.kind, row.service_port, row.packets))
            .collect()
    }

    const DNS_RESPONSE_HEADER: [u8; 12] = [
        0xab, 0xcd, 0x81, 0x80, 0x00, 0x01, 0x00, 0x1b, 0x00, 0x00, 0x00, 0x01,
    ];
    const DNS_QUERY_HEADER: [u8; 12] = [
        0xab, 0xcd, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    ];

    #[test]
    fn networks_parse_contain_and_print() {
        let host: IpNetwork = "203.0.113.10".parse().unwrap();
        assert!(host.is_host());
        assert_eq!(host.to_string(), "203.0.113.10");
        let net: IpNetwork = "198.51.100.77/24".parse().unwrap();
        assert_eq!(net.to_string(), "198.51.100.0/24");
        assert!(net.contains(ip("198.51.100.200")));
        assert!(!net.contains(ip("198.51.101.1")));
        assert!(!net.contains(ip("2001:db8::1")));
        let v6: IpNetwork = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains(ip("2001:db8:ffff::1")));
        let everything: IpNetwork = "0.0.0.0/0".parse().unwrap();
        assert!(everything.contains(ip("8.8.8.8")));
        assert!("10.0.0.0/33".parse::<IpNetwork>().is_err());
        assert!("10.0.0.0/x".parse::<IpNetwork>().is_err());
        assert!("example.com".parse::<IpNetwork>().is_err());
        assert!("2001:db8::/129".parse::<IpNetwork>().is_err());
    }

    #[test]
    fn syn_flood_on_one_victim() {
        let mut run = Run::default();
        for i in 0..1_000 {
            let syn = tcp(nth(0x0a00_0000, i), 40_000, ip(VICTIM), 80, TcpInfo::SYN);
            run.feed(&syn, i64::from(i));
        }
        // Some unrelated traffic elsewhere.
        for i in 0..20 {
            let other = udp(ip("192.0.2.1"), 5000, ip("192.0.2.2"), 6000, b"hello");
            run.feed(&other, i);
        }
        let (victims, vectors) = run.report(&[]);
        assert_eq!(victims.len(), 1);
        let victim = &victims[0];
        assert_eq!(
            (
                victim.ip.as_str(),
                victim.port,
                victim.protocol.as_str(),
                victim.packets
            ),
            (VICTIM, Some(80), "tcp", 1_000)
        );
        // Of the attack packets the victims received: the 20 others are not attack traffic.
        assert!((victim.share_packets - 1.0).abs() < 1e-12);
        assert_eq!(
            kinds(&vectors),
            [
                (VectorKind::SynFlood, Some(80), 1_000),
                (VectorKind::BenignOrUnknown, None, 20)
            ]
        );
        let syn = &vectors[0];
        assert_eq!(syn.sources, 1_000);
        assert!(!syn.reflection);
        assert_eq!(syn.amplification_factor, None);
        assert_eq!(syn.first_seen.as_deref(), Some("2025-03-10T13:00:00Z"));
        assert_eq!(syn.last_seen.as_deref(), Some("2025-03-10T13:00:00.999Z"));
        assert_eq!(
            syn.bpf,
            "dst host 203.0.113.10 and tcp[tcpflags] & (tcp-syn|tcp-ack|tcp-rst|tcp-fin) == tcp-syn and tcp dst port 80"
        );
        assert_eq!(top_vector(&vectors), Some(VectorKind::SynFlood));
        assert!(!is_reflection(&vectors));
        let backscatter = backscatter_report(&run.counters, &victims);
        assert_eq!(backscatter.packets, 0);
    }

    #[test]
    fn tcp_reflection_arrives_at_the_victim_and_its_resets_are_backscatter() {
        let mut run = Run::default();
        for i in 0..500 {
            let reflector = nth(0xc633_6400, i);
            let syn_ack = tcp(
                reflector,
                443,
                ip(VICTIM),
                40_000 + i as u16,
                TcpInfo::SYN | TcpInfo::ACK,
            );
            run.feed(&syn_ack, i64::from(i));
            run.feed(&syn_ack, i64::from(i) + 1000); // retransmitted
            // The victim never opened these connections and resets them.
            let reset = tcp(ip(VICTIM), 40_000 + i as u16, reflector, 443, TcpInfo::RST);
            run.feed(&reset, i64::from(i) + 1);
        }
        let (victims, vectors) = run.report(&[]);
        assert_eq!(victims.len(), 1);
        assert_eq!((victims[0].ip.as_str(), victims[0].port), (VICTIM, None));
        assert_eq!(
            kinds(&vectors),
            [(VectorKind::TcpReflection, Some(443), 1_000)]
        );
        assert!(vectors[0].reflection);
        assert_eq!(vectors[0].sources, 500);
        assert!(is_reflection(&vectors));
        assert_eq!(
            vectors[0].bpf,
            "dst host 203.0.113.10 and (tcp[tcpflags] & (tcp-syn|tcp-ack|tcp-rst) == (tcp-syn|tcp-ack) or (tcp[tcpflags] & (tcp-rst|tcp-ack) == (tcp-rst|tcp-ack) and tcp[4:4] == 0)) and tcp src port 443"
        );
        let backscatter = backscatter_report(&run.counters, &victims);
        assert_eq!((backscatter.packets, backscatter.senders), (500, 1));
        assert_eq!(backscatter.from, [VICTIM]);
        assert!(
            (400..=600).contains(&backscatter.destinations),
            "{}",
            backscatter.destinations
        );
    }

    #[test]
    fn syn_flood_backscatter_is_not_tcp_reflection() {
        let mut run = Run::default();
        for i in 0..2_000 {
            let spoofed = nth(0x0a00_0000, i);
            run.feed(
                &tcp(spoofed, 40_000, ip(VICTIM), 443, TcpInfo::SYN),
                i64::from(i),
            );
            // The victim answers every spoofed SYN with a SYN-ACK to the forged address.
            let syn_ack = tcp(
                ip(VICTIM),
                443,
                spoofed,
                40_000,
                TcpInfo::SYN | TcpInfo::ACK,
            );
            run.feed(&syn_ack, i64::from(i));
        }
        let (victims, vectors) = run.report(&[]);
        assert_eq!(victims.len(), 1);
        assert_eq!(victims[0].ip, VICTIM);
        assert_eq!(kinds(&vectors), [(VectorKind::SynFlood, Some(443), 2_000)]);
        let backscatter = backscatter_report(&run.counters, &victims);
        assert_eq!(backscatter.packets, 2_000);
        assert_eq!(backscatter.from, [VICTIM]);
        assert!(
            (1_500..=2_500).contains(&backscatter.destinations),
            "{}",
            backscatter.destinations
        );
        assert_eq!(
            backscatter.first_seen.as_deref(),
            Some("2025-03-10T13:00:00Z")
        );
    }

    #[test]
    fn a_victim_answering_few_bots_does_not_make_them_victims() {
        let mut run = Run::default();
        for i in 0..5_000u32 {
            let bot = nth(0x0a00_0000, i % 5);
            run.feed(&tcp(bot, 40_000, ip(VICTIM), 80, TcpInfo::SYN), 0);
            run.feed(
                &tcp(ip(VICTIM), 80, bot, 40_000, TcpInfo::SYN | TcpInfo::ACK),
                0,
            );
        }
        let (victims, vectors) = run.report(&[]);
        let ips: Vec<&str> = victims.iter().map(|v| v.ip.as_str()).collect();
        assert_eq!(ips, [VICTIM]);
        assert_eq!(kinds(&vectors)[0], (VectorKind::SynFlood, Some(80), 5_000));
        // The victim's own answers are backscatter (it is a victim), not a vector.
        let backscatter = backscatter_report(&run.counters, &victims);
        assert_eq!((backscatter.packets, backscatter.senders), (5_000, 1));
        assert_eq!(vectors.len(), 1);
    }

    #[test]
    fn backscatter_alone_names_no_victim() {
        // A capture of the victim's outbound side only: its SYN-ACKs to forged addresses.
        let mut run = Run::default();
        for i in 0..300 {
            let syn_ack = tcp(
                ip(VICTIM),
                80,
                nth(0x0a00_0000, i),
                1_024,
                TcpInfo::SYN | TcpInfo::ACK,
            );
            run.feed(&syn_ack, 0);
        }
        let (victims, vectors) = run.report(&[]);
        assert!(victims.is_empty());
        assert!(vectors.is_empty());
        let backscatter = backscatter_report(&run.counters, &victims);
        assert_eq!(backscatter.packets, 300);
    }

    #[test]
    fn icmp_backscatter_and_icmp_flood() {
        let mut run = Run::default();
        for i in 0..400 {
            let source = nth(0x0a00_0000, i);
            run.feed(
                &Packet {
                    icmp: Some(IcmpInfo {
                        icmp_type: 8,
                        code: 0,
                        quoted: None,
                    }),
                    ..base(source, ip(VICTIM), 1)
                },
                0,
            );
            // The victim's port unreachable for a spoofed UDP packet.
            run.feed(
                &Packet {
                    icmp: Some(IcmpInfo {
                        icmp_type: 3,
                        code: 3,
                        quoted: Some(QuotedHeader {
                            src: source,
                            dst: ip(VICTIM),
                            protocol: 17,
                            src_port: 1,
                            dst_port: 2,
                        }),
                    }),
                    ..base(ip(VICTIM), source, 1)
                },
                0,
            );
        }
        let (victims, vectors) = run.report(&[]);
        assert_eq!(
            (
                victims[0].ip.as_str(),
                victims[0].protocol.as_str(),
                victims[0].port
            ),
            (VICTIM, "icmp", None)
        );
        assert_eq!(kinds(&vectors), [(VectorKind::IcmpFlood, None, 400)]);
        assert_eq!(vectors[0].bpf, "dst host 203.0.113.10 and icmp");
        assert_eq!(backscatter_report(&run.counters, &victims).packets, 400);
    }

    #[test]
    fn two_victims_and_the_rest() {
        let mut run = Run::default();
        for i in 0..600 {
            run.feed(
                &tcp(nth(0x0a00_0000, i), 1, ip(VICTIM), 443, TcpInfo::SYN),
                0,
            );
        }
        for i in 0..300 {
            let answer = udp(
                nth(0x0b00_0000, i),
                53,
                ip(VICTIM2),
                30_000,
                &DNS_RESPONSE_HEADER,
            );
            run.feed(&answer, 0);
        }
        // 5 % of the attack at a third address: not a victim.
        for i in 0..50 {
            run.feed(
                &tcp(nth(0x0c00_0000, i), 1, ip("203.0.113.30"), 22, TcpInfo::SYN),
                0,
            );
        }
        let (victims, vectors) = run.report(&[]);
        let rows: Vec<_> = victims
            .iter()
            .map(|v| (v.ip.as_str(), v.protocol.as_str(), v.port, v.packets))
            .collect();
        assert_eq!(
            rows,
            [(VICTIM, "tcp", Some(443), 600), (VICTIM2, "udp", None, 300)]
        );
        assert_eq!(
            kinds(&vectors),
            [
                (VectorKind::SynFlood, Some(443), 600),
                (VectorKind::DnsAmplification, Some(53), 300),
                (VectorKind::BenignOrUnknown, None, 50),
            ]
        );
        let dns = &vectors[1];
        assert_eq!(
            dns.bpf,
            "(dst host 203.0.113.10 or dst host 203.0.113.20) and udp src port 53"
        );
        assert_eq!(dns.amplification_factor, Some(28.0));
        assert_eq!(dns.amplification_factor_max, Some(54.0));
        assert_eq!(dns.observed_amplification, None);
        assert!(dns.reflection);
        // 600 SYN vs 300 DNS packets: the attack is not mainly reflection.
        assert!(!is_reflection(&vectors));
    }

    #[test]
    fn explicit_prefix_overrides_the_choice() {
        let mut run = Run::default();
        // Carpet bombing: 64 addresses of one /24, 200 packets each, none above 10 %.
        for host in 0..64u32 {
            let target = IpAddr::V4(Ipv4Addr::from(0xc633_6400 + host));
            for i in 0..200 {
                run.feed(&udp(nth(0x0a00_0000, i), 1234, target, 9, b"xxxx"), 0);
            }
        }
        run.feed(&udp(ip("192.0.2.1"), 1, ip("192.0.2.2"), 2, b"y"), 0);
        let (automatic, _) = run.report(&[]);
        assert_eq!(
            automatic.len(),
            1,
            "fallback: the single busiest destination"
        );
        let prefix: IpNetwork = "198.51.100.0/24".parse().unwrap();
        let (victims, vectors) = run.report(&[prefix]);
        assert_eq!(victims.len(), 1);
        assert_eq!(
            (victims[0].ip.as_str(), victims[0].port, victims[0].packets),
            ("198.51.100.0/24", Some(9), 12_800)
        );
        assert_eq!(
            kinds(&vectors),
            [
                (VectorKind::UdpFlood, Some(9), 12_800),
                (VectorKind::BenignOrUnknown, None, 1)
            ]
        );
        assert_eq!(vectors[0].bpf, "dst net 198.51.100.0/24 and udp dst port 9");
        assert_eq!(
            vectors[1].bpf,
            "not ((dst net 198.51.100.0/24 and udp dst port 9))"
        );
    }

    #[test]
    fn random_ports_make_one_portless_row() {
        let mut run = Run::default();
        for i in 0..5_000u32 {
            let port = (i.wrapping_mul(40_503) % 64_000) as u16 + 1_024;
            run.feed(&udp(nth(0x0a00_0000, i), 1234, ip(VICTIM), port, b"zz"), 0);
        }
        let (victims, vectors) = run.report(&[]);
        assert_eq!((victims[0].port, victims[0].packets), (None, 5_000));
        assert_eq!(kinds(&vectors), [(VectorKind::UdpFlood, None, 5_000)]);
        assert_eq!(vectors[0].bpf, "dst host 203.0.113.10 and udp");
    }

    #[test]
    fn observed_amplification_from_requests_and_answers() {
        let mut run = Run::default();
        let answer = vec![0u8; 3_000];
        let mut answer = answer;
        answer[..12].copy_from_slice(&DNS_RESPONSE_HEADER);
        let mut query = vec![0u8; 60];
        query[..12].copy_from_slice(&DNS_QUERY_HEADER);
        for i in 0..100 {
            let resolver = nth(0xc633_6400, i);
            // Spoofed from the victim, to the resolver; its answer to the victim.
            run.feed(&udp(ip(VICTIM), 40_000, resolver, 53, &query), 0);
            run.feed(&udp(resolver, 53, ip(VICTIM), 40_000, &answer), 1);
        }
        let (victims, vectors) = run.report(&[IpNetwork::host(ip(VICTIM))]);
        assert_eq!(victims.len(), 1);
        let dns = vectors
            .iter()
            .find(|row| row.kind == VectorKind::DnsAmplification)
            .unwrap();
        assert_eq!(dns.observed_amplification, Some(50.0));
        assert_eq!(dns.packets, 100);
        // The requests went to the resolvers, not to the victim: they are not a vector here.
        assert!(kinds(&vectors).contains(&(VectorKind::BenignOrUnknown, None, 100)));
        assert_eq!(vectors.len(), 2);
    }

    #[test]
    fn amplification_observed_through_fragments() {
        let mut run = Run::default();
        let mut answer = vec![0u8; 64];
        answer[..12].copy_from_slice(&DNS_RESPONSE_HEADER);
        for i in 0..50u32 {
            let resolver = nth(0xc633_6400, i);
            let first = Packet {
                fragment: Fragment::First,
                ip_id: i,
                payload_len: 2_992,
                wire_len: 1_514,
                ..udp(resolver, 53, ip(VICTIM), 40_000, &answer)
            };
            let later = Packet {
                fragment: Fragment::Later {
                    offset: 1_480,
                    more: true,
                },
                src_port: 0,
                dst_port: 0,
                payload: &[],
                payload_len: 1_480,
                ..first.clone()
            };
            run.feed(&first, 0);
            run.feed(&later, 0);
            let mut query = vec![0u8; 40];
            query[..12].copy_from_slice(&DNS_QUERY_HEADER);
            run.feed(&udp(ip(VICTIM), 40_000, resolver, 53, &query), 0);
        }
        let (victims, vectors) = run.report(&[]);
        assert_eq!(victims[0].ip, VICTIM);
        let dns = &vectors[0];
        assert_eq!(
            (dns.kind, dns.packets, dns.later_fragments),
            (VectorKind::DnsAmplification, 100, 50)
        );
        assert_eq!(dns.observed_amplification, Some(74.8));
        assert_eq!(
            dns.bpf,
            "dst host 203.0.113.10 and (udp src port 53 or (ip[6:2] & 0x1fff != 0))"
        );
    }

    #[test]
    fn small_vectors_fold_into_benign_or_unknown() {
        let mut run = Run::default();
        for i in 0..20_000 {
            run.feed(
                &tcp(nth(0x0a00_0000, i), 1, ip(VICTIM), 80, TcpInfo::SYN),
                0,
            );
        }
        // 150 ACKs: 0.7 % of the victim's packets.
        for i in 0..150 {
            run.feed(
                &tcp(nth(0x0b00_0000, i), 1, ip(VICTIM), 80, TcpInfo::ACK),
                0,
            );
        }
        // 120 large UDP packets: 0.6 % of the packets but 120 * 1442 bytes against
        // 20,000 * 60 = 12.6 % of the bytes, so reported.
        for i in 0..120 {
            let big = vec![0u8; 1_400];
            run.feed(&udp(nth(0x0c00_0000, i), 1, ip(VICTIM), 4444, &big), 0);
        }
        let (_, vectors) = run.report(&[]);
        assert_eq!(
            kinds(&vectors),
            [
                (VectorKind::SynFlood, Some(80), 20_000),
                (VectorKind::BenignOrUnknown, None, 150),
                (VectorKind::UdpFlood, Some(4444), 120),
            ]
        );
        // 49 of them would be 5.6 % of the bytes, but fewer than `VECTOR_MIN_PACKETS`.
        let mut few = Run::default();
        for i in 0..20_000 {
            few.feed(
                &tcp(nth(0x0a00_0000, i), 1, ip(VICTIM), 80, TcpInfo::SYN),
                0,
            );
        }
        for i in 0..49 {
            let big = vec![0u8; 1_400];
            few.feed(&udp(nth(0x0c00_0000, i), 1, ip(VICTIM), 4444, &big), 0);
        }
        let (_, vectors) = few.report(&[]);
        assert_eq!(
            kinds(&vectors),
            [
                (VectorKind::SynFlood, Some(80), 20_000),
                (VectorKind::BenignOrUnknown, None, 49),
            ]
        );
        let benign = &vectors[1];
        assert_eq!(benign.sources, 49);
        assert_eq!(benign.protocol, "any");
    }

    #[test]
    fn shares_add_up_with_backscatter() {
        let mut run = Run::default();
        for i in 0..1_000 {
            let spoofed = nth(0x0a00_0000, i);
            run.feed(&tcp(spoofed, 1, ip(VICTIM), 80, TcpInfo::SYN), 0);
            run.feed(
                &tcp(ip(VICTIM), 80, spoofed, 1, TcpInfo::SYN | TcpInfo::ACK),
                0,
            );
            if i % 4 == 0 {
                run.feed(&udp(ip("192.0.2.1"), 1, ip("192.0.2.2"), 2, b"z"), 0);
            }
        }
        let (victims, vectors) = run.report(&[]);
        let backscatter = backscatter_report(&run.counters, &victims);
        let rows: u64 = vectors.iter().map(|row| row.packets).sum();
        assert_eq!(rows + backscatter.packets, run.counters.packets());
        let bytes: u64 = vectors.iter().map(|row| row.bytes).sum();
        assert_eq!(bytes + backscatter.bytes, run.counters.bytes());
    }

    #[test]
    fn documented_factors_match_the_sources() {
        let factor = |kind| documented_amplification(kind).map(|f| (f.low, f.high));
        assert_eq!(factor(VectorKind::DnsAmplification), Some((28.0, 54.0)));
        assert_eq!(factor(VectorKind::NtpAmplification), Some((556.9, 556.9)));
        assert_eq!(factor(VectorKind::SsdpAmplification), Some((30.8, 30.8)));
        assert_eq!(
            factor(VectorKind::ChargenAmplification),
            Some((358.8, 358.8))
        );
        assert_eq!(factor(VectorKind::SnmpAmplification), Some((6.3, 6.3)));
        assert_eq!(
            factor(VectorKind::MemcachedAmplification),
            Some((10_000.0, 51_000.0))
        );
        assert_eq!(factor(VectorKind::CldapAmplification), Some((56.0, 70.0)));
        assert_eq!(
            factor(VectorKind::WsDiscoveryAmplification),
            Some((10.0, 500.0))
        );
        for kind in VectorKind::ALL {
            assert_eq!(
                documented_amplification(kind).is_some(),
                kind.is_amplification()
            );
        }
    }

    #[test]
    fn report_rows_serialise_with_the_contract_fields() {
        let mut run = Run::default();
        for i in 0..200 {
            run.feed(
                &tcp(nth(0x0a00_0000, i), 1, ip(VICTIM), 80, TcpInfo::SYN),
                0,
            );
        }
        let (victims, vectors) = run.report(&[]);
        let victim = serde_json::to_value(&victims[0]).unwrap();
        // serde_json sorts object keys.
        let keys: Vec<&str> = victim
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "bytes",
                "ip",
                "packets",
                "port",
                "protocol",
                "share_packets"
            ]
        );
        let vector = serde_json::to_value(&vectors[0]).unwrap();
        for key in [
            "kind",
            "protocol",
            "service_port",
            "packets",
            "bytes",
            "sources",
            "share_packets",
            "share_bytes",
            "reflection",
            "amplification_factor",
            "observed_amplification",
            "first_seen",
            "last_seen",
            "bpf",
        ] {
            assert!(vector.get(key).is_some(), "{key}");
        }
        assert_eq!(vector["kind"], "syn_flood");
        assert!(vector["amplification_factor"].is_null());
        assert!(serde_json::to_value(backscatter_report(&run.counters, &victims)).is_ok());
    }

    #[test]
    fn overflowed_destinations_are_unknown_but_counted() {
        let limits = Limits {
            flows: 4,
            ..Limits::DEFAULT
        };
        let mut run = Run {
            counters: VectorCounters::with_limits(limits),
            masks: HashMap::new(),
        };
        for i in 0..100 {
            run.feed(
                &tcp(nth(0x0a00_0000, i), 1, ip(VICTIM), 80, TcpInfo::SYN),
                0,
            );
        }
        for i in 0..40 {
            run.feed(&udp(ip("192.0.2.1"), 1, nth(0x0b00_0000, i), 9, b"q"), 0);
        }
        let (victims, vectors) = run.report(&[]);
        assert_eq!(victims[0].ip, VICTIM);
        let total: u64 = vectors.iter().map(|row| row.packets).sum();
        assert_eq!(total, 140);
    }

    // -----------------------------------------------------------------------------------------
    // tcpdump filters
    // -----------------------------------------------------------------------------------------

    fn tcpdump_available() -> bool {
        Command::new("tcpdump")
            .arg("--version")
            .output()
            .is_ok_and(|output| output.status.success())
    }

    /// The IP protocols a row of `kind` can have.
    fn plausible_protocols(kind: VectorKind) -> &'static [u8] {
        match kind {
            VectorKind::SynFlood
            | VectorKind::AckFlood
            | VectorKind::RstFlood
            | VectorKind::TcpOtherFlood
            | VectorKind::HttpFlood
            | VectorKind::TlsFlood
            | VectorKind::TcpReflection => &[6],
            VectorKind::IcmpFlood => &[1, 58],
            VectorKind::FragmentFlood => &[1, 6, 17],
            VectorKind::GreFlood => &[47],
            VectorKind::BenignOrUnknown => &[],
            _ => &[17],
        }
    }

    /// Every filter the report can print, for IPv4, IPv6 and mixed victims.
    fn all_filters() -> Vec<String> {
        let victim_sets: [Vec<IpNetwork>; 4] = [
            vec![IpNetwork::host(ip(VICTIM))],
            vec!["2001:db8::10".parse().unwrap()],
            vec![
                IpNetwork::host(ip(VICTIM)),
                "198.51.100.0/24".parse().unwrap(),
                "2001:db8::/48".parse().unwrap(),
            ],
            vec![
                "2001:db8::/48".parse().unwrap(),
                "2001:db8:1::1".parse().unwrap(),
            ],
        ];
        let mut filters = Vec::new();
        for networks in &victim_sets {
            for kind in VectorKind::ALL {
                for &protocol in plausible_protocols(kind) {
                    for side in [PortSide::Destination, PortSide::Source] {
                        for port in [None, Some(53), Some(443)] {
                            for fragments in [false, true] {
                                let filter = bpf(kind, protocol, side, port, fragments, networks);
                                if !filter.is_empty() {
                                    filters.push(filter);
                                }
                            }
                        }
                    }
                }
            }
        }
        filters.sort();
        filters.dedup();
        filters
    }

    #[test]
    fn every_filter_compiles_in_tcpdump() {
        if !tcpdump_available() {
            eprintln!("tcpdump not installed: skipping");
            return;
        }
        let filters = all_filters();
        assert!(filters.len() > 100);
        for filter in &filters {
            let output = Command::new("tcpdump")
                .args(["-y", "EN10MB", "-d", filter])
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(output.status.success(), "{filter}: {stderr}");
            assert!(
                !stderr.contains("rejects all packets"),
                "{filter}: {stderr}"
            );
        }
    }

    /// A raw-IP (LINKTYPE_RAW) capture of the frames, for tcpdump to read; frame `i` is
    /// stamped `i` seconds, so tcpdump's `-tt` output names the frames a filter selects.
    fn write_pcap(path: &std::path::Path, frames: &[Vec<u8>]) {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        bytes.extend_from_slice(&2u16.to_le_bytes());
        bytes.extend_from_slice(&4u16.to_le_bytes());
        bytes.extend_from_slice(&[0; 8]);
        bytes.extend_from_slice(&65_535u32.to_le_bytes());
        bytes.extend_from_slice(&101u32.to_le_bytes());
        for (index, frame) in frames.iter().enumerate() {
            bytes.extend_from_slice(&(index as u32).to_le_bytes());
            bytes.extend_from_slice(&[0; 4]);
            bytes.extend_from_slice(&(frame.len() as u32).to_le_bytes());
            bytes.extend_from_slice(&(frame.len() as u32).to_le_bytes());
            bytes.extend_from_slice(frame);
        }
        std::fs::write(path, bytes).unwrap();
    }

    /// An IPv4 header (checksum left 0: tcpdump filters do not check it) and a payload.
    fn ipv4(src: [u8; 4], dst: [u8; 4], protocol: u8, fragment: u16, payload: &[u8]) -> Vec<u8> {
        let length = (20 + payload.len()) as u16;
        let mut frame = vec![0x45, 0];
        frame.extend_from_slice(&length.to_be_bytes());
        frame.extend_from_slice(&[0x12, 0x34]);
        frame.extend_from_slice(&fragment.to_be_bytes());
        frame.extend_from_slice(&[64, protocol, 0, 0]);
        frame.extend_from_slice(&src);
        frame.extend_from_slice(&dst);
        frame.extend_from_slice(payload);
        frame
    }

    fn tcp_header(sport: u16, dport: u16, seq: u32, flags: u8, data: &[u8]) -> Vec<u8> {
        let mut header = Vec::new();
        header.extend_from_slice(&sport.to_be_bytes());
        header.extend_from_slice(&dport.to_be_bytes());
        header.extend_from_slice(&seq.to_be_bytes());
        header.extend_from_slice(&0u32.to_be_bytes());
        header.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
        header.extend_from_slice(data);
        header
    }

    fn udp_header(sport: u16, dport: u16, data: &[u8]) -> Vec<u8> {
        let mut header = Vec::new();
        header.extend_from_slice(&sport.to_be_bytes());
        header.extend_from_slice(&dport.to_be_bytes());
        header.extend_from_slice(&((8 + data.len()) as u16).to_be_bytes());
        header.extend_from_slice(&[0, 0]);
        header.extend_from_slice(data);
        header
    }

    #[test]
    fn filters_select_their_vectors_packets() {
        if !tcpdump_available() {
            eprintln!("tcpdump not installed: skipping");
            return;
        }
        let victim = [203, 0, 113, 10];
        let other = [192, 0, 2, 1];
        let frames = [
            /* 0 SYN */ ipv4(other, victim, 6, 0, &tcp_header(40000, 80, 7, 0x02, b"")),
            /* 1 SYN-ACK */ ipv4(other, victim, 6, 0, &tcp_header(443, 40000, 7, 0x12, b"")),
            /* 2 RST-ACK seq 0 */
            ipv4(other, victim, 6, 0, &tcp_header(80, 40000, 0, 0x14, b"")),
            /* 3 ACK */ ipv4(other, victim, 6, 0, &tcp_header(40000, 80, 7, 0x10, b"")),
            /* 4 GET */
            ipv4(
                other,
                victim,
                6,
                0,
                &tcp_header(40000, 80, 7, 0x18, b"GET / HTTP/1.1\r\n"),
            ),
            /* 5 ClientHello */
            ipv4(
                other,
                victim,
                6,
                0,
                &tcp_header(40000, 443, 7, 0x18, &[0x16, 3, 1, 0, 9, 1, 0, 0, 5]),
            ),
            /* 6 DNS answer */
            ipv4(
                other,
                victim,
                17,
                0x2000,
                &udp_header(53, 40000, &DNS_RESPONSE_HEADER),
            ),
            /* 7 later fragment */ ipv4(other, victim, 17, 185, &[0; 32]),
            /* 8 to someone else */
            ipv4(
                victim,
                other,
                17,
                0,
                &udp_header(40000, 53, &DNS_QUERY_HEADER),
            ),
            /* 9 RST */ ipv4(other, victim, 6, 0, &tcp_header(40000, 80, 7, 0x04, b"")),
        ];
        let networks = [IpNetwork::host(ip(VICTIM))];
        let d = PortSide::Destination;
        let s = PortSide::Source;
        let cases: [FilterCase; 11] = [
            (VectorKind::SynFlood, 6, d, Some(80), false, &[0]),
            (VectorKind::TcpReflection, 6, s, None, false, &[1, 2]),
            (VectorKind::TcpReflection, 6, s, Some(443), false, &[1]),
            (VectorKind::AckFlood, 6, d, Some(80), false, &[3]),
            (VectorKind::HttpFlood, 6, d, Some(80), false, &[0, 3, 4, 9]),
            // Without one port, the requests themselves.
            (VectorKind::HttpFlood, 6, d, None, false, &[4]),
            (VectorKind::TlsFlood, 6, d, Some(443), false, &[5]),
            (VectorKind::DnsAmplification, 17, s, Some(53), false, &[6]),
            (VectorKind::DnsAmplification, 17, s, Some(53), true, &[6, 7]),
            (VectorKind::FragmentFlood, 17, d, None, false, &[7]),
            (VectorKind::RstFlood, 6, s, None, false, &[2, 9]),
        ];
        check_filters("v4", &frames, &networks, &cases);
    }

    /// (kind, protocol, port side, port, with fragments, frames the filter must select)
    type FilterCase = (
        VectorKind,
        u8,
        PortSide,
        Option<u16>,
        bool,
        &'static [usize],
    );

    fn check_filters(name: &str, frames: &[Vec<u8>], networks: &[IpNetwork], cases: &[FilterCase]) {
        let dir =
            std::env::temp_dir().join(format!("whence-vectors-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("frames.pcap");
        write_pcap(&path, frames);
        for &(kind, protocol, side, port, fragments, expected) in cases {
            let filter = bpf(kind, protocol, side, port, fragments, networks);
            let output = Command::new("tcpdump")
                .args(["-nn", "-tt", "-r"])
                .arg(&path)
                .arg(&filter)
                .output()
                .unwrap();
            assert!(output.status.success(), "{filter}");
            let selected: Vec<usize> = String::from_utf8_lossy(&output.stdout)
                .lines()
                .map(|line| line.split('.').next().unwrap().parse().unwrap())
                .collect();
            assert_eq!(selected, expected, "{kind:?}: {filter}");
        }
        std::fs::remove_dir_all(&dir).ok();
    }

    /// An IPv6 header without extension headers, or with a fragment header when `fragment` is
    /// `Some((offset in 8-byte units, more))`.
    fn ipv6(
        src: u16,
        dst: u16,
        next: u8,
        fragment: Option<(u16, bool)>,
        payload: &[u8],
    ) -> Vec<u8> {
        let address = |last: u16| {
            let mut bytes = [0u8; 16];
            bytes[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
            bytes[14..].copy_from_slice(&last.to_be_bytes());
            bytes
        };
        let extension = fragment.map(|(offset, more)| {
            let mut header = vec![next, 0];
            header.extend_from_slice(&((offset << 3) | u16::from(more)).to_be_bytes());
            header.extend_from_slice(&0x1234_5678u32.to_be_bytes());
            header
        });
        let extension = extension.unwrap_or_default();
        let mut frame = vec![0x60, 0, 0, 0];
        frame.extend_from_slice(&((extension.len() + payload.len()) as u16).to_be_bytes());
        frame.push(if fragment.is_some() { 44 } else { next });
        frame.push(64);
        frame.extend_from_slice(&address(src));
        frame.extend_from_slice(&address(dst));
        frame.extend_from_slice(&extension);
        frame.extend_from_slice(payload);
        frame
    }

    #[test]
    fn ipv6_filters_select_their_vectors_packets() {
        if !tcpdump_available() {
            eprintln!("tcpdump not installed: skipping");
            return;
        }
        let (victim, other) = (0x10, 0x99);
        let frames = [
            /* 0 SYN */ ipv6(other, victim, 6, None, &tcp_header(40000, 80, 7, 0x02, b"")),
            /* 1 SYN-ACK */
            ipv6(
                other,
                victim,
                6,
                None,
                &tcp_header(443, 40000, 7, 0x12, b""),
            ),
            /* 2 RST-ACK seq 0 */
            ipv6(other, victim, 6, None, &tcp_header(80, 1, 0, 0x14, b"")),
            /* 3 ACK */ ipv6(other, victim, 6, None, &tcp_header(40000, 80, 7, 0x10, b"")),
            /* 4 POST */
            ipv6(
                other,
                victim,
                6,
                None,
                &tcp_header(1, 80, 7, 0x18, b"POST / HTTP/1.1\r\n"),
            ),
            /* 5 ClientHello */
            ipv6(
                other,
                victim,
                6,
                None,
                &tcp_header(1, 443, 7, 0x18, &[0x16, 3, 1, 0, 9, 1, 0]),
            ),
            /* 6 NTP answer */
            ipv6(
                other,
                victim,
                17,
                None,
                &udp_header(123, 40000, &[0xd7, 0, 3, 0x2a, 0, 6, 0, 0x48]),
            ),
            /* 7 later fragment */ ipv6(other, victim, 17, Some((185, false)), &[0; 32]),
            /* 8 ACK with data */
            ipv6(other, victim, 6, None, &tcp_header(1, 80, 7, 0x10, b"xyz")),
            /* 9 ICMPv6 echo */ ipv6(other, victim, 58, None, &[128, 0, 0, 0, 0, 1, 0, 1]),
            /* 10 GRE */ ipv6(other, victim, 47, None, &[0, 0, 0x08, 0]),
            /* 11 to someone else */
            ipv6(victim, other, 6, None, &tcp_header(80, 1, 7, 0x02, b"")),
        ];
        let networks = ["2001:db8::/64".parse().unwrap()];
        let d = PortSide::Destination;
        let s = PortSide::Source;
        let cases: [FilterCase; 13] = [
            (VectorKind::SynFlood, 6, d, Some(80), false, &[0]),
            (VectorKind::TcpReflection, 6, s, None, false, &[1, 2]),
            (VectorKind::AckFlood, 6, d, None, false, &[3]),
            (VectorKind::HttpFlood, 6, d, Some(80), false, &[0, 3, 4, 8]),
            (VectorKind::HttpFlood, 6, d, None, false, &[4]),
            (VectorKind::TlsFlood, 6, d, None, false, &[5]),
            (VectorKind::NtpAmplification, 17, s, Some(123), false, &[6]),
            (
                VectorKind::NtpAmplification,
                17,
                s,
                Some(123),
                true,
                &[6, 7],
            ),
            (VectorKind::FragmentFlood, 17, d, None, false, &[7]),
            (VectorKind::RstFlood, 6, s, None, false, &[2]),
            (
                VectorKind::TcpOtherFlood,
                6,
                d,
                Some(80),
                false,
                &[0, 3, 4, 8],
            ),
            (VectorKind::IcmpFlood, 58, d, None, false, &[9]),
            (VectorKind::GreFlood, 47, d, None, false, &[10]),
        ];
        check_filters("v6", &frames, &networks, &cases);
    }

    #[test]
    fn classification_of_requests_toward_a_victim_is_a_udp_flood_on_the_port() {
        // A DNS query flood at an authoritative server.
        let mut run = Run::default();
        for i in 0..200 {
            let mut query = DNS_QUERY_HEADER.to_vec();
            query.extend_from_slice(b"\x05abcde\x07example\x03com\x00\x00\x01\x00\x01");
            run.feed(&udp(nth(0x0a00_0000, i), 40_000, ip(VICTIM), 53, &query), 0);
        }
        let (victims, vectors) = run.report(&[]);
        assert_eq!(
            (victims[0].port, victims[0].protocol.as_str()),
            (Some(53), "udp")
        );
        assert_eq!(kinds(&vectors), [(VectorKind::UdpFlood, Some(53), 200)]);
        assert_eq!(vectors[0].bpf, "dst host 203.0.113.10 and udp dst port 53");
        assert_eq!(
            classify(&udp(ip("192.0.2.1"), 1, ip(VICTIM), 53, &DNS_QUERY_HEADER)),
            Classification::Request(VectorKind::DnsAmplification)
        );
    }
}
