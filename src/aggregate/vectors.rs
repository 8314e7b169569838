//! Attack vectors, per packet: `classify` names the vector a decoded `Packet` belongs to, and
//! `VectorCounters` keeps bounded, mergeable counters by destination, vector and service port,
//! from which `assess::vectors` picks the report's `victims[]` and `vectors[]`.
//!
//! Runs once per packet, so classification is a few comparisons on the headers and on the
//! payload prefix (never a panic, whatever the bytes), and counting is one or two hash-map
//! updates with no allocation once a key exists.
//!
//! Why the pieces look the way they do:
//! - **Reflection is recognised by source port and payload signature together.** A reflector
//!   answers from its service port (a UDP request's source port is where "a reply should be
//!   addressed", RFC 768, so the answer's ports are the request's swapped), and the answer has
//!   the protocol's response shape (DNS QR=1, NTP mode 7 with the response bit,
//!   ...). The port alone is weak evidence: floods often spoof source port 53 or 123 to slip past
//!   filters, so a packet from port 53 that is not a DNS response is a `udp_flood`. The one
//!   exception is a packet whose capture stopped before the signature's last byte (a snaplen
//!   that cuts DNS answers inside their header is common): the port is then the only evidence
//!   there is, and it is taken.
//! - **Requests are counted too**, toward their destination (a flood of queries at a server is a
//!   UDP flood on that port) and, separately, by their source: a request spoofed from the victim
//!   is what makes a reflector answer the victim, so request bytes "from" the victim against
//!   response bytes "to" the victim give the observed amplification when a capture holds both.
//! - **Replies (SYN-ACK, RST, ICMP errors quoting a packet) are kept apart**, because the same
//!   packet shape means two opposite things: arriving *at* a victim from many hosts it is attack
//!   traffic (TCP reflection, an RST or ICMP flood); leaving *from* a victim to many (spoofed)
//!   addresses it is backscatter, the victim answering a spoofed flood (Moore et al., "Inferring
//!   Internet Denial-of-Service Activity", USENIX Security 2001). Which one needs the victim set,
//!   known only after the last packet, so replies are counted both ways: by destination (as the
//!   vector they would be, with an estimate of how many hosts sent them) and by sender (with an
//!   estimate of how many addresses it replied to). `assess::vectors` decides.
//! - **Later fragments carry no transport header.** They are counted as `fragment_flood` unless
//!   the datagram's first fragment was seen shortly before: a small direct-mapped cache keyed by
//!   (source, destination, protocol, IP identification), the fields that name a datagram (RFC 791
//!   section 3.2, RFC 8200 section 4.5), remembers what the first fragment was, so the rest of a
//!   fragmented DNS answer counts as DNS amplification. A later fragment that arrives before its
//!   first fragment, or after another datagram took its slot, stays a `fragment_flood`.
//! - **Memory is bounded whatever the capture holds.** Every map has a cap (`Limits`); once full,
//!   new keys are counted in an overflow bucket that keeps the vector, role, protocol and port but
//!   not the address, so totals stay exact and only the attribution to addresses is lost; about
//!   11.5 MB once everything is full (`Limits::DEFAULT`). Merging
//!   is exact (the result equals observing both captures in turn) as long as no cap was reached;
//!   past a cap, totals still add up but which keys kept their own entry may differ.
#![cfg_attr(not(test), deny(clippy::indexing_slicing, clippy::panic))]

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::sketch::{HyperLogLog, address_hash, mix64};
use crate::decode::{Fragment, PAYLOAD_PREFIX_LEN, Packet, TcpInfo};
use crate::timestamp::TimeSpan;

/// Hash maps keyed by addresses the attacker chooses: foldhash seeded per process, so a crafted
/// capture cannot aim every key at one bucket (the same reasoning as `aggregate::sources`).
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

const IP_PROTO_ICMP: u8 = 1;
const IP_PROTO_TCP: u8 = 6;
const IP_PROTO_UDP: u8 = 17;
const IP_PROTO_GRE: u8 = 47;
const IP_PROTO_ICMPV6: u8 = 58;

/// The kinds of traffic the report names in `vectors[].kind` (contract `whence.report/1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VectorKind {
    SynFlood,
    AckFlood,
    RstFlood,
    TcpOtherFlood,
    UdpFlood,
    IcmpFlood,
    FragmentFlood,
    HttpFlood,
    TlsFlood,
    DnsAmplification,
    NtpAmplification,
    MemcachedAmplification,
    SsdpAmplification,
    CldapAmplification,
    ChargenAmplification,
    SnmpAmplification,
    WsDiscoveryAmplification,
    TcpReflection,
    OtherReflection,
    GreFlood,
    BenignOrUnknown,
}

impl VectorKind {
    /// Every kind, in declaration order; `ALL[i].bit() == 1 << i`.
    pub const ALL: [VectorKind; 21] = [
        VectorKind::SynFlood,
        VectorKind::AckFlood,
        VectorKind::RstFlood,
        VectorKind::TcpOtherFlood,
        VectorKind::UdpFlood,
        VectorKind::IcmpFlood,
        VectorKind::FragmentFlood,
        VectorKind::HttpFlood,
        VectorKind::TlsFlood,
        VectorKind::DnsAmplification,
        VectorKind::NtpAmplification,
        VectorKind::MemcachedAmplification,
        VectorKind::SsdpAmplification,
        VectorKind::CldapAmplification,
        VectorKind::ChargenAmplification,
        VectorKind::SnmpAmplification,
        VectorKind::WsDiscoveryAmplification,
        VectorKind::TcpReflection,
        VectorKind::OtherReflection,
        VectorKind::GreFlood,
        VectorKind::BenignOrUnknown,
    ];

    /// This kind's bit in a per-source mask. The caller ORs it into its record of the packet's
    /// source, and `assess::vectors` counts sources per vector from those masks, so no per-vector
    /// set of sources is ever kept here.
    pub const fn bit(self) -> u32 {
        1 << (self as u32)
    }

    /// The kinds whose bits are set in `mask`, in declaration order.
    pub fn kinds_in(mask: u32) -> impl Iterator<Item = VectorKind> {
        VectorKind::ALL
            .into_iter()
            .filter(move |kind| mask & kind.bit() != 0)
    }

    /// Stable snake_case name, the same as the serialised one.
    pub fn as_str(self) -> &'static str {
        match self {
            VectorKind::SynFlood => "syn_flood",
            VectorKind::AckFlood => "ack_flood",
            VectorKind::RstFlood => "rst_flood",
            VectorKind::TcpOtherFlood => "tcp_other_flood",
            VectorKind::UdpFlood => "udp_flood",
            VectorKind::IcmpFlood => "icmp_flood",
            VectorKind::FragmentFlood => "fragment_flood",
            VectorKind::HttpFlood => "http_flood",
            VectorKind::TlsFlood => "tls_flood",
            VectorKind::DnsAmplification => "dns_amplification",
            VectorKind::NtpAmplification => "ntp_amplification",
            VectorKind::MemcachedAmplification => "memcached_amplification",
            VectorKind::SsdpAmplification => "ssdp_amplification",
            VectorKind::CldapAmplification => "cldap_amplification",
            VectorKind::ChargenAmplification => "chargen_amplification",
            VectorKind::SnmpAmplification => "snmp_amplification",
            VectorKind::WsDiscoveryAmplification => "ws_discovery_amplification",
            VectorKind::TcpReflection => "tcp_reflection",
            VectorKind::OtherReflection => "other_reflection",
            VectorKind::GreFlood => "gre_flood",
            VectorKind::BenignOrUnknown => "benign_or_unknown",
        }
    }

    /// The packets come from reflectors (abused third-party servers), not from the attacker.
    pub fn is_reflection(self) -> bool {
        self.is_amplification()
            || matches!(
                self,
                VectorKind::TcpReflection | VectorKind::OtherReflection
            )
    }

    /// UDP reflection through a service whose answer is larger than the request.
    pub fn is_amplification(self) -> bool {
        matches!(
            self,
            VectorKind::DnsAmplification
                | VectorKind::NtpAmplification
                | VectorKind::MemcachedAmplification
                | VectorKind::SsdpAmplification
                | VectorKind::CldapAmplification
                | VectorKind::ChargenAmplification
                | VectorKind::SnmpAmplification
                | VectorKind::WsDiscoveryAmplification
        )
    }
}

/// What one packet is, as far as the packet alone can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Classification {
    /// Traffic that attacks its destination directly (and, as `BenignOrUnknown`, traffic that
    /// matches no vector).
    Flood(VectorKind),
    /// A reflector's answer: from the service port, with the protocol's response signature.
    /// Counted toward its destination, the reflection's victim.
    Response(VectorKind),
    /// A request to a reflection service, with the request signature. Toward its destination it
    /// counts as a UDP flood on the service port; by its source (the spoofed victim) it gives
    /// the request bytes for the observed amplification.
    Request(VectorKind),
    /// A reply a host sends to traffic it received: SYN-ACK, RST, or an ICMP error that quotes a
    /// packet sent by this packet's destination. Backscatter when its sender replies to many
    /// addresses or is a victim (decided in `assess::vectors`); otherwise attack traffic of kind
    /// `inbound` toward its destination.
    Backscatter { inbound: VectorKind },
    /// A packet of a connection whose sender makes application requests (`HttpFlood`,
    /// `TlsFlood`) over it: the handshake, acknowledgements and closing packets around the
    /// requests. Counted with the requests' vector (an HTTP flood is every packet of the bots'
    /// connections), apart from them so that the requests per sender can still be told.
    Session(VectorKind),
}

impl Classification {
    /// The vector this packet counts as toward its destination.
    pub fn kind(self) -> VectorKind {
        match self {
            Classification::Flood(kind)
            | Classification::Response(kind)
            | Classification::Session(kind) => kind,
            Classification::Request(_) => VectorKind::UdpFlood,
            Classification::Backscatter { inbound } => inbound,
        }
    }

    /// The bit to OR into the per-source mask of the packet's source (see `VectorKind::bit`).
    pub fn bit(self) -> u32 {
        self.kind().bit()
    }

    pub fn role(self) -> Role {
        match self {
            Classification::Flood(_) => Role::Flood,
            Classification::Response(_) => Role::Response,
            Classification::Request(_) => Role::Request,
            Classification::Backscatter { .. } => Role::Reply,
            Classification::Session(_) => Role::Session,
        }
    }

    /// The port that names the service: the destination port of a flood or request, the source
    /// port of a reflector's answer or a reply.
    fn port_is_source(self) -> bool {
        matches!(self.role(), Role::Response | Role::Reply)
    }
}

/// The role a packet plays, kept in the counters' keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Flood,
    Response,
    Request,
    Reply,
    /// The other packets of an application request's connection (`Classification::Session`).
    Session,
}

/// Names the vector one packet belongs to. Pure: the same packet always gives the same answer.
///
/// | rule (first that matches) | classification |
/// | --- | --- |
/// | later fragment (offset > 0) | `Flood(FragmentFlood)` (`VectorCounters::observe` may attribute it to its first fragment) |
/// | TCP RST+ACK, sequence 0, from a TCP service port | `Backscatter { inbound: TcpReflection }` |
/// | TCP RST otherwise | `Backscatter { inbound: RstFlood }` |
/// | TCP SYN+ACK from a TCP service port | `Backscatter { inbound: TcpReflection }` |
/// | TCP SYN+ACK from another port | `Backscatter { inbound: TcpOtherFlood }` |
/// | TCP SYN without ACK/FIN | `Flood(SynFlood)` |
/// | TCP payload starting with an HTTP method | `Flood(HttpFlood)` |
/// | TCP payload starting with a TLS ClientHello record | `Flood(TlsFlood)` |
/// | TCP ACK alone (no PSH/URG/FIN), no payload | `Flood(AckFlood)` |
/// | other TCP | `Flood(TcpOtherFlood)` |
/// | UDP from a reflection port with its response signature | `Response(<service>)` |
/// | UDP to a reflection port with its request signature | `Request(<service>)` |
/// | UDP from/to a reflection port, capture cut before the signature's end | `Response`/`Request` by port alone |
/// | UDP from another documented amplifier port, to another port | `Response(OtherReflection)` |
/// | other UDP | `Flood(UdpFlood)` |
/// | ICMP(v6) error quoting a packet sent by this packet's destination | `Backscatter { inbound: IcmpFlood }` |
/// | other ICMP(v6) | `Flood(IcmpFlood)` |
/// | GRE | `Flood(GreFlood)` |
/// | any other IP protocol | `Flood(BenignOrUnknown)` |
pub fn classify(packet: &Packet) -> Classification {
    if let Fragment::Later { .. } = packet.fragment {
        return Classification::Flood(VectorKind::FragmentFlood);
    }
    match packet.protocol {
        IP_PROTO_TCP => classify_tcp(packet),
        IP_PROTO_UDP => classify_udp(packet),
        IP_PROTO_ICMP | IP_PROTO_ICMPV6 => classify_icmp(packet),
        IP_PROTO_GRE => Classification::Flood(VectorKind::GreFlood),
        _ => Classification::Flood(VectorKind::BenignOrUnknown),
    }
}

fn classify_tcp(packet: &Packet) -> Classification {
    let Some(tcp) = packet.tcp else {
        // The header was cut: nothing to tell the flags by.
        return Classification::Flood(VectorKind::TcpOtherFlood);
    };
    let flags = tcp.flags;
    let has = |flag: u8| flags & flag != 0;
    if has(TcpInfo::RST) {
        // RFC 9293 section 3.10.7.1: the reset that answers a segment without ACK (a SYN) has
        // sequence number 0 and carries ACK. From a server port, that is a server refusing a
        // connection someone opened in the destination's name: TCP reflection (or backscatter).
        let answers_syn = has(TcpInfo::ACK)
            && !has(TcpInfo::SYN)
            && tcp.seq == 0
            && is_tcp_service_port(packet.src_port);
        let inbound = if answers_syn {
            VectorKind::TcpReflection
        } else {
            VectorKind::RstFlood
        };
        return Classification::Backscatter { inbound };
    }
    if has(TcpInfo::SYN) && has(TcpInfo::ACK) {
        // A SYN-ACK answers a SYN (RFC 9293 section 3.5). Real servers answer from their service
        // port; a SYN-ACK from a random high port is a forged SYN-ACK flood.
        let inbound = if is_tcp_service_port(packet.src_port) {
            VectorKind::TcpReflection
        } else {
            VectorKind::TcpOtherFlood
        };
        return Classification::Backscatter { inbound };
    }
    if has(TcpInfo::SYN) {
        return Classification::Flood(if has(TcpInfo::FIN) {
            VectorKind::TcpOtherFlood
        } else {
            VectorKind::SynFlood
        });
    }
    if is_http_request(packet.payload) {
        return Classification::Flood(VectorKind::HttpFlood);
    }
    if is_tls_client_hello(packet.payload) {
        return Classification::Flood(VectorKind::TlsFlood);
    }
    let pure_ack = flags & (TcpInfo::ACK | TcpInfo::FIN | TcpInfo::PSH | TCP_URG) == TcpInfo::ACK;
    if pure_ack && packet.payload_len == 0 {
        return Classification::Flood(VectorKind::AckFlood);
    }
    Classification::Flood(VectorKind::TcpOtherFlood)
}

/// Takes a packet's classification back when the packet belongs to a TCP connection a genuine
/// host established: `source_validated` (its sender completed a handshake, `handshakes`) or
/// `destination_validated` (it goes to such a host, e.g. a server's answers). Acknowledgements,
/// data, resets and further SYNs inside real sessions are what ordinary visitors send, not an
/// ACK, RST or SYN flood, so they count as `BenignOrUnknown`. Requests (HTTP methods, TLS
/// ClientHellos) keep their kind: an application-layer flood runs over completed handshakes.
///
/// The price: a host that completed one handshake and then floods ACKs is not seen as an ACK
/// flood. Floods that bother with real handshakes are application-layer floods, which keep
/// their kind; bare-flag floods come from raw sockets that never complete one.
///
/// Takes the destination's state as a flag rather than looking it up itself, so that the
/// caller can skip the lookup where nothing depends on it (`may_be_session_traffic`).
pub fn within_session(
    classification: Classification,
    source_validated: bool,
    destination_validated: bool,
) -> Classification {
    let session_traffic = may_be_session_traffic(classification)
        && match classification {
            // A SYN to a genuine host is that host's peer opening a connection: its own record
            // decides.
            Classification::Flood(VectorKind::SynFlood) => source_validated,
            _ => source_validated || destination_validated,
        };
    if session_traffic {
        Classification::Flood(VectorKind::BenignOrUnknown)
    } else {
        classification
    }
}

/// Whether `within_session` may take this classification back: the bare-flag TCP kinds.
pub fn may_be_session_traffic(classification: Classification) -> bool {
    matches!(
        classification,
        Classification::Flood(
            VectorKind::SynFlood
                | VectorKind::AckFlood
                | VectorKind::RstFlood
                | VectorKind::TcpOtherFlood
        ) | Classification::Backscatter {
            inbound: VectorKind::RstFlood
        }
    )
}

/// The application-layer request vector a source's mask (`VectorKind::bit`) holds, if any:
/// the vector its connections' other packets count under (`Classification::Session`).
pub fn application_kind(mask: u32) -> Option<VectorKind> {
    [VectorKind::HttpFlood, VectorKind::TlsFlood]
        .into_iter()
        .find(|kind| mask & kind.bit() != 0)
}

/// Whether a packet counted as `classification` is an application-layer request.
pub fn is_application_request(classification: Classification) -> bool {
    matches!(
        classification,
        Classification::Flood(VectorKind::HttpFlood | VectorKind::TlsFlood)
    )
}

/// URG (RFC 9293 section 3.1); `TcpInfo` names only the flags the decoder uses.
const TCP_URG: u8 = 0x20;

/// Ports a real TCP server answers from: the system ports (0-1023, RFC 6335 section 6) and the
/// registered ports of services commonly abused for SYN-ACK reflection.
fn is_tcp_service_port(port: u16) -> bool {
    port < 1024 || matches!(port, 1433 | 3306 | 3389 | 5060 | 5432 | 8080 | 8443)
}

/// Request methods of RFC 9110 section 9 (and RFC 5789 PATCH), with the space that ends the
/// method token; the HTTP/2 connection preface (RFC 9113 section 3.4) for cleartext HTTP/2.
const HTTP_REQUEST_STARTS: [&[u8]; 10] = [
    b"GET ",
    b"POST ",
    b"HEAD ",
    b"PUT ",
    b"DELETE ",
    b"OPTIONS ",
    b"PATCH ",
    b"CONNECT ",
    b"TRACE ",
    b"PRI * HTTP/2.0",
];

fn is_http_request(payload: &[u8]) -> bool {
    HTTP_REQUEST_STARTS
        .iter()
        .any(|start| payload.starts_with(start))
}

/// A TLS record of type handshake (22) with a 3.x legacy version whose first handshake message
/// is a ClientHello (type 1): RFC 8446 sections 5.1 and 4.
fn is_tls_client_hello(payload: &[u8]) -> bool {
    matches!(payload, [0x16, 0x03, 0..=0x04, _, _, 0x01, ..])
}

fn classify_udp(packet: &Packet) -> Classification {
    let payload = packet.payload;
    let distinct_ports = packet.src_port != packet.dst_port;
    // The capture (not the prefix limit) stopped before the payload's end...
    let cut = payload.len() < PAYLOAD_PREFIX_LEN
        && u32::try_from(payload.len()).is_ok_and(|captured| captured < packet.payload_len);
    // ... and before the end of the service's signature: the port is the only evidence left.
    let unverifiable = |service: &ReflectionService| {
        cut && distinct_ports && payload.len() < service.signature_len
    };
    if let Some(service) = reflection_service(packet.src_port)
        && ((service.is_response)(payload) || unverifiable(service))
    {
        return Classification::Response(service.kind);
    }
    if let Some(service) = reflection_service(packet.dst_port)
        && ((service.is_request)(payload) || unverifiable(service))
    {
        return Classification::Request(service.kind);
    }
    // Same-port traffic (NetBIOS 137<->137, mDNS 5353<->5353, RIP 520<->520) is peers talking,
    // not a reflector answering a client.
    if is_other_reflection_port(packet.src_port) && distinct_ports && packet.payload_len > 0 {
        return Classification::Response(VectorKind::OtherReflection);
    }
    if packet.src_port == NTP_PORT && is_ntp_time_reply(payload, packet.payload_len) {
        return Classification::Flood(VectorKind::BenignOrUnknown);
    }
    Classification::Flood(VectorKind::UdpFlood)
}

const NTP_PORT: u16 = 123;

/// An NTP time-synchronisation answer (RFC 5905 section 7.3): version 1-4, mode 4 (server) or
/// 1/2 (symmetric peers), a 48-byte header with at most a MAC or extension fields after it
/// (up to 68 bytes in RFC 5905; 120 allows NTS-less extension fields). It carries no more than
/// the request, so it amplifies nothing: a server keeping its clock, not a reflector.
fn is_ntp_time_reply(payload: &[u8], payload_len: u32) -> bool {
    let Some(first) = payload.first() else {
        return false;
    };
    let version = (first >> 3) & 0x07;
    let mode = first & 0x07;
    (1..=4).contains(&version) && matches!(mode, 1 | 2 | 4) && (48..=120).contains(&payload_len)
}

fn classify_icmp(packet: &Packet) -> Classification {
    let Some(icmp) = packet.icmp else {
        return Classification::Flood(VectorKind::IcmpFlood);
    };
    // Error messages: ICMP destination unreachable 3, source quench 4, time exceeded 11,
    // parameter problem 12 (RFC 792); ICMPv6 1-4 (RFC 4443 section 2.1).
    let is_error = match packet.protocol {
        IP_PROTO_ICMP => matches!(icmp.icmp_type, 3 | 4 | 11 | 12),
        _ => matches!(icmp.icmp_type, 1..=4),
    };
    // An error is a reply only if the packet it quotes was sent by the host this error goes to;
    // a forged error flood (BlackNurse and the like) quotes anything.
    if is_error && icmp.quoted.is_some_and(|quoted| quoted.src == packet.dst) {
        Classification::Backscatter {
            inbound: VectorKind::IcmpFlood,
        }
    } else {
        Classification::Flood(VectorKind::IcmpFlood)
    }
}

/// A UDP service abused for reflection: its vector, and how to recognise its answers
/// and the requests that trigger them from the first bytes of the UDP payload.
struct ReflectionService {
    kind: VectorKind,
    is_response: fn(&[u8]) -> bool,
    is_request: fn(&[u8]) -> bool,
    /// How many payload bytes the signatures read (at most; for BER, with the usual lengths).
    signature_len: usize,
}

static DNS: ReflectionService = ReflectionService {
    kind: VectorKind::DnsAmplification,
    is_response: is_dns_response,
    is_request: is_dns_query,
    signature_len: 12, // the header
};
static NTP: ReflectionService = ReflectionService {
    kind: VectorKind::NtpAmplification,
    is_response: is_ntp_response,
    is_request: is_ntp_request,
    signature_len: 12, // the mode 6 header (mode 7: 8)
};
static MEMCACHED: ReflectionService = ReflectionService {
    kind: VectorKind::MemcachedAmplification,
    is_response: is_memcached_response,
    is_request: is_memcached_request,
    signature_len: 14, // frame header and "VALUE "
};
static SSDP: ReflectionService = ReflectionService {
    kind: VectorKind::SsdpAmplification,
    is_response: is_ssdp_response,
    is_request: is_ssdp_request,
    signature_len: 12, // "HTTP/1.1 200"
};
static CLDAP: ReflectionService = ReflectionService {
    kind: VectorKind::CldapAmplification,
    is_response: is_cldap_response,
    is_request: is_cldap_request,
    signature_len: 16, // SEQUENCE and messageID headers (long form) and the operation tag
};
static CHARGEN: ReflectionService = ReflectionService {
    kind: VectorKind::ChargenAmplification,
    is_response: is_chargen_response,
    is_request: is_chargen_request,
    signature_len: 1, // one character
};
static SNMP: ReflectionService = ReflectionService {
    kind: VectorKind::SnmpAmplification,
    is_response: is_snmp_response,
    is_request: is_snmp_request,
    signature_len: 16, // SEQUENCE, version, community "public" and the PDU tag
};
static WS_DISCOVERY: ReflectionService = ReflectionService {
    kind: VectorKind::WsDiscoveryAmplification,
    is_response: is_ws_discovery_message,
    is_request: is_ws_discovery_message,
    signature_len: 1, // the first '<'
};

/// The UDP ports of the services with a vector of their own (IANA service name registry).
fn reflection_service(port: u16) -> Option<&'static ReflectionService> {
    match port {
        19 => Some(&CHARGEN),        // RFC 864
        53 => Some(&DNS),            // RFC 1035
        123 => Some(&NTP),           // RFC 5905
        161 => Some(&SNMP),          // RFC 3417
        389 => Some(&CLDAP),         // RFC 1798 (CLDAP over UDP 389)
        1900 => Some(&SSDP),         // UPnP Device Architecture 1.1
        3702 => Some(&WS_DISCOVERY), // OASIS WS-Discovery 1.1, SOAP-over-UDP
        11211 => Some(&MEMCACHED),   // memcached protocol.txt
        _ => None,
    }
}

/// UDP services documented as amplifiers that have no vector of their own: the other rows of
/// US-CERT/CISA TA14-017A (QOTD 17, Portmap 111, NetBIOS 137, RIPv1 520, mDNS 5353, Steam 27015,
/// Quake 27960; TFTP is left out because its server answers from a new port, RFC 1350), the FBI
/// PIN 20200715-001 (ARMS 3283, CoAP 5683, Jenkins 33848) and SLP 427 (CVE-2023-29552).
fn is_other_reflection_port(port: u16) -> bool {
    matches!(
        port,
        17 | 111 | 137 | 427 | 520 | 3283 | 5353 | 5683 | 27015 | 27960 | 33848
    )
}

/// DNS header (RFC 1035 section 4.1.1): QR bit, opcode and QDCOUNT.
fn dns_header(payload: &[u8]) -> Option<(bool, u8, u16)> {
    match payload {
        [_, _, flags, _, qd_high, qd_low, _, _, _, _, _, _, ..] => Some((
            flags & 0x80 != 0,
            (flags >> 3) & 0x0f,
            u16::from_be_bytes([*qd_high, *qd_low]),
        )),
        _ => None,
    }
}

/// A standard-query answer (QR=1, opcode 0) to one question; RFC 9619 makes one question the
/// rule, and amplified answers (ANY, DNSSEC, large TXT) are answers to one question.
fn is_dns_response(payload: &[u8]) -> bool {
    dns_header(payload) == Some((true, 0, 1))
}

fn is_dns_query(payload: &[u8]) -> bool {
    dns_header(payload) == Some((false, 0, 1))
}

/// NTP mode 7 (ntpd private mode: monlist and the other ntpdc requests, laid out in ntpd's
/// `ntp_request.h`: first byte response bit 0x80, more bit 0x40, version, mode 7; then sequence,
/// implementation 0, 2 or 3, request code, and counts: 8 bytes of header) or mode 6 (control
/// messages, RFC 9327: the response bit is 0x80 of the second byte; 12 bytes of header). Mode 7
/// monlist is the 556.9x amplifier of TA14-017A; mode 6 answers (readvar) amplify less but are
/// abused too. The version (1-4) and the implementation byte keep a random byte from passing
/// for NTP one time in sixteen.
fn ntp_control(payload: &[u8]) -> Option<(u8, bool)> {
    let (first, rest) = payload.split_first()?;
    if !(1..=4).contains(&((first >> 3) & 0x07)) {
        return None;
    }
    match (first & 0x07, rest) {
        (7, [_, 0 | 2 | 3, _, _, _, _, _, ..]) => Some((7, first & 0x80 != 0)),
        (6, [second, _, _, _, _, _, _, _, _, _, _, ..]) => Some((6, second & 0x80 != 0)),
        _ => None,
    }
}

fn is_ntp_response(payload: &[u8]) -> bool {
    matches!(ntp_control(payload), Some((_, true)))
}

fn is_ntp_request(payload: &[u8]) -> bool {
    matches!(ntp_control(payload), Some((_, false)))
}

/// The memcached UDP frame header (protocol.txt, "UDP protocol"): request id, sequence number,
/// total datagrams, and two reserved bytes that must be 0; then the text or binary message.
fn memcached_frame(payload: &[u8]) -> Option<(u16, u16, &[u8])> {
    match payload {
        [
            _,
            _,
            seq_high,
            seq_low,
            total_high,
            total_low,
            0,
            0,
            body @ ..,
        ] => Some((
            u16::from_be_bytes([*seq_high, *seq_low]),
            u16::from_be_bytes([*total_high, *total_low]),
            body,
        )),
        _ => None,
    }
}

/// The first datagram of an answer starts with a text reply ("VALUE", "STAT", "END") or the
/// binary response magic 0x81; later datagrams of a multi-datagram answer (the bulk of a
/// memcached attack) carry the rest of the value and are recognised by their frame header.
fn is_memcached_response(payload: &[u8]) -> bool {
    match memcached_frame(payload) {
        Some((seq, total, _)) if seq >= total => false,
        Some((0, _, body)) => {
            body.starts_with(b"VALUE ")
                || body.starts_with(b"STAT ")
                || body.starts_with(b"END\r\n")
                || body.first() == Some(&0x81)
        }
        Some(_) => true,
        None => false,
    }
}

/// A single-datagram request: "stats", "get"/"gets" (the commands attacks use), "version", or
/// the binary request magic 0x80.
fn is_memcached_request(payload: &[u8]) -> bool {
    match memcached_frame(payload) {
        Some((0, 1, body)) => {
            body.starts_with(b"stats")
                || body.starts_with(b"get ")
                || body.starts_with(b"gets ")
                || body.starts_with(b"version")
                || body.first() == Some(&0x80)
        }
        _ => false,
    }
}

/// The unicast answer to M-SEARCH is an HTTP-over-UDP "200 OK" (UPnP Device Architecture 1.1,
/// section 1.3.3).
fn is_ssdp_response(payload: &[u8]) -> bool {
    payload.starts_with(b"HTTP/1.") && payload.get(8..12) == Some(&b" 200"[..])
}

fn is_ssdp_request(payload: &[u8]) -> bool {
    payload.starts_with(b"M-SEARCH ")
}

/// A BER tag-length header with the expected tag (X.690 section 8.1): the content length and
/// the bytes after the header. Long-form lengths of up to four bytes.
fn ber_header(bytes: &[u8], tag: u8) -> Option<(usize, &[u8])> {
    let (&first, rest) = bytes.split_first()?;
    if first != tag {
        return None;
    }
    let (&length, rest) = rest.split_first()?;
    if length < 0x80 {
        return Some((usize::from(length), rest));
    }
    let count = usize::from(length & 0x7f);
    if !(1..=4).contains(&count) {
        return None;
    }
    let (length_bytes, rest) = rest.split_at_checked(count)?;
    let length = length_bytes
        .iter()
        .fold(0usize, |value, byte| (value << 8) | usize::from(*byte));
    Some((length, rest))
}

/// The protocolOp tag of an LDAP message: `LDAPMessage ::= SEQUENCE { messageID INTEGER,
/// protocolOp CHOICE {...} }` (RFC 4511 section 4.2; the form Active Directory's CLDAP uses),
/// also accepting the RFC 1798 CLDAP form with a user DN (OCTET STRING) before the operation.
fn ldap_operation(payload: &[u8]) -> Option<u8> {
    // The SEQUENCE length is not checked: an answer is usually longer than the captured prefix.
    let (_, message) = ber_header(payload, 0x30)?;
    let (id_length, rest) = ber_header(message, 0x02)?;
    if !(1..=4).contains(&id_length) {
        return None;
    }
    let rest = rest.get(id_length..)?;
    let rest = match ber_header(rest, 0x04) {
        Some((dn_length, after)) => after.get(dn_length..)?,
        None => rest,
    };
    rest.first().copied()
}

/// searchResEntry [APPLICATION 4] (0x64) or searchResDone [APPLICATION 5] (0x65).
fn is_cldap_response(payload: &[u8]) -> bool {
    matches!(ldap_operation(payload), Some(0x64 | 0x65))
}

/// searchRequest [APPLICATION 3] (0x63).
fn is_cldap_request(payload: &[u8]) -> bool {
    ldap_operation(payload) == Some(0x63)
}

/// The PDU tag of an SNMPv1/v2c message: `SEQUENCE { version INTEGER (0 = v1, RFC 1157; 1 = v2c,
/// RFC 1901), community OCTET STRING, data PDU }`. SNMPv3 is left out: no community, and its PDU
/// sits inside a scoped PDU that is usually encrypted.
fn snmp_pdu(payload: &[u8]) -> Option<u8> {
    let (_, message) = ber_header(payload, 0x30)?;
    let (version_length, rest) = ber_header(message, 0x02)?;
    let rest = match (version_length, rest) {
        (1, [0 | 1, rest @ ..]) => rest,
        _ => return None,
    };
    let (community_length, rest) = ber_header(rest, 0x04)?;
    rest.get(community_length..)?.first().copied()
}

/// Response-PDU (GetResponse in v1), tag 0xa2 (RFC 3416 section 3).
fn is_snmp_response(payload: &[u8]) -> bool {
    snmp_pdu(payload) == Some(0xa2)
}

/// GetRequest 0xa0, GetNextRequest 0xa1, GetBulkRequest 0xa5 (the 6.3x amplifier of TA14-017A).
fn is_snmp_request(payload: &[u8]) -> bool {
    matches!(snmp_pdu(payload), Some(0xa0 | 0xa1 | 0xa5))
}

/// RFC 864: the answer is "any data", recommended to be lines of the 95 printing ASCII
/// characters; real servers send exactly that, so the first bytes must be printable or CR/LF.
fn is_chargen_response(payload: &[u8]) -> bool {
    !payload.is_empty()
        && payload
            .iter()
            .take(16)
            .all(|byte| matches!(byte, 0x20..=0x7e | b'\r' | b'\n'))
}

/// RFC 864: any datagram, even an empty one, makes a chargen server answer.
fn is_chargen_request(_payload: &[u8]) -> bool {
    true
}

/// WS-Discovery messages are SOAP envelopes in XML (OASIS WS-Discovery 1.1, SOAP-over-UDP 1.1);
/// answers to malformed probes are SOAP faults, still XML. After an optional UTF-8 byte order
/// mark and white space, the payload starts with '<'.
fn is_ws_discovery_message(payload: &[u8]) -> bool {
    let payload = payload.strip_prefix(b"\xef\xbb\xbf").unwrap_or(payload);
    payload
        .iter()
        .find(|byte| !byte.is_ascii_whitespace())
        .is_some_and(|byte| *byte == b'<')
}

/// The service port as it is kept in the counters' keys. Common service ports keep their number,
/// so a flood on ports 80 and 443 at once stays two entries; every other port goes into one
/// `Other` entry per (destination, vector), which remembers its smallest and largest port, so a
/// flood on one unlisted port is still named exactly while a random-port flood costs one entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PortKey {
    /// The packet has no transport ports (ICMP, GRE, an unattributed later fragment, ...).
    None,
    Service(u16),
    Other,
}

impl PortKey {
    fn of(port: Option<u16>) -> PortKey {
        match port {
            None => PortKey::None,
            Some(port) if is_listed_port(port) => PortKey::Service(port),
            Some(_) => PortKey::Other,
        }
    }
}

/// Ports that keep their number in the keys: the reflection services, the usual targets of
/// floods (web, mail, DNS, VPN, remote access, databases, VoIP) and popular game servers.
fn is_listed_port(port: u16) -> bool {
    reflection_service(port).is_some()
        || is_other_reflection_port(port)
        || matches!(
            port,
            20..=23
                | 25
                | 80
                | 110
                | 143
                | 179
                | 443
                | 445
                | 465
                | 500
                | 587
                | 853
                | 993
                | 995
                | 1194
                | 1433
                | 1723
                | 3074
                | 3306
                | 3389
                | 3478
                | 4500
                | 5060
                | 5061
                | 5222
                | 5432
                | 6379
                | 7777
                | 8000
                | 8080
                | 8443
                | 8888
                | 9987
                | 19132
                | 25565
                | 27016
                | 30120
        )
}

/// What a group of packets toward one address has in common.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct FlowClass {
    /// The vector; for a request, the amplification vector of its service (it is reported as
    /// a `udp_flood` toward the server, see `Classification::Request`).
    pub kind: VectorKind,
    pub role: Role,
    /// IP protocol number (after IPv6 extension headers).
    pub protocol: u8,
    pub port: PortKey,
}

/// A counters key: the destination address and what the packets to it have in common.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct FlowKey {
    pub address: IpAddr,
    pub class: FlowClass,
}

/// Hashed as two integers rather than field by field: the derived `Hash` feeds the hasher seven
/// small writes, and hashing was a third of the per-packet time. Equal keys give equal words,
/// so this agrees with the derived `Eq`.
impl Hash for FlowKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let address = match self.address {
            IpAddr::V4(v4) => u128::from(u32::from(v4)) | (1 << 127),
            IpAddr::V6(v6) => u128::from(v6),
        };
        state.write_u128(address);
        state.write_u64(self.class.packed());
    }
}

/// One word, for the same reason as `FlowKey` (the overflow buckets are keyed by class).
impl Hash for FlowClass {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(self.packed());
    }
}

impl FlowClass {
    /// The class in one word: kind (5 bits), role (3), protocol (8), port (17: none, 65,536
    /// ports, other).
    fn packed(&self) -> u64 {
        let port = match self.port {
            PortKey::None => 0,
            PortKey::Service(port) => u64::from(port) + 1,
            PortKey::Other => 65_537,
        };
        (self.kind as u64) | (self.role as u64) << 5 | u64::from(self.protocol) << 8 | port << 16
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowStats {
    pub packets: u64,
    /// Bytes on the wire.
    pub bytes: u64,
    /// Transport payload bytes as declared (UDP length minus 8), counted once per datagram (on
    /// its unfragmented packet or first fragment): the unit of the bandwidth amplification
    /// factor (Rossow, NDSS 2014, section 2.2).
    pub payload_bytes: u64,
    /// Later fragments attributed here through their first fragment.
    pub later_fragments: u64,
    pub span: TimeSpan,
    port_min: u16,
    port_max: u16,
}

impl Default for FlowStats {
    fn default() -> Self {
        FlowStats {
            packets: 0,
            bytes: 0,
            payload_bytes: 0,
            later_fragments: 0,
            span: TimeSpan::default(),
            port_min: u16::MAX,
            port_max: 0,
        }
    }
}

impl FlowStats {
    fn record(&mut self, packet: &Packet, port: Option<u16>) {
        self.packets += 1;
        self.bytes += u64::from(packet.wire_len);
        if let Fragment::Later { .. } = packet.fragment {
            self.later_fragments += 1;
        } else {
            self.payload_bytes += u64::from(packet.payload_len);
        }
        self.span.observe(packet.timestamp_ns);
        if let Some(port) = port {
            self.port_min = self.port_min.min(port);
            self.port_max = self.port_max.max(port);
        }
    }

    pub fn merge(&mut self, other: &FlowStats) {
        self.packets += other.packets;
        self.bytes += other.bytes;
        self.payload_bytes += other.payload_bytes;
        self.later_fragments += other.later_fragments;
        self.span.merge(&other.span);
        self.port_min = self.port_min.min(other.port_min);
        self.port_max = self.port_max.max(other.port_max);
    }

    /// The service port of these packets when it is one port: the listed port of the key, or
    /// the single port an `Other` entry saw; `None` for portless packets or several ports.
    pub fn port(&self, class: &FlowClass) -> Option<u16> {
        match class.port {
            PortKey::None => None,
            PortKey::Service(port) => Some(port),
            PortKey::Other => (self.port_min == self.port_max).then_some(self.port_min),
        }
    }
}

/// Reply-shaped packets (SYN-ACK, RST, quoting ICMP errors) sent by one host.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReplierStats {
    pub packets: u64,
    pub bytes: u64,
    pub span: TimeSpan,
    /// How many distinct addresses the host replied to.
    pub destinations: DistinctCounter,
}

impl ReplierStats {
    fn record(&mut self, packet: &Packet) {
        self.packets += 1;
        self.bytes += u64::from(packet.wire_len);
        self.span.observe(packet.timestamp_ns);
        self.destinations.insert(packet.dst);
    }

    pub fn merge(&mut self, other: &ReplierStats) {
        self.packets += other.packets;
        self.bytes += other.bytes;
        self.span.merge(&other.span);
        self.destinations.merge(&other.destinations);
    }
}

/// Reply-shaped packets toward one destination, and how many hosts sent them: many (reflectors,
/// or the forged sources of an RST flood) make the destination a victim; one (a victim
/// answering its attackers) does not.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct ReplyFlowStats {
    stats: FlowStats,
    senders: LinearCounter,
}

/// Linear counting in one 64-bit word (Whang, Vander-Zanden and Taylor, "A Linear-Time
/// Probabilistic Counting Algorithm for Database Applications", ACM TODS 1990): each address
/// sets one of 64 bits. Close enough below about 100 addresses, where the decision "one sender
/// or many" is made; saturates (all bits set) near 270. Merged by OR, exactly.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinearCounter {
    bits: u64,
}

impl LinearCounter {
    pub fn insert(&mut self, address: IpAddr) {
        self.bits |= 1 << (address_hash(address) >> 58);
    }

    pub fn merge(&mut self, other: &LinearCounter) {
        self.bits |= other.bits;
    }

    /// The estimated number of distinct addresses; infinite once every bit is set.
    pub fn estimate(&self) -> f64 {
        let zeros = f64::from(self.bits.count_zeros());
        if zeros == 0.0 {
            f64::INFINITY
        } else {
            64.0 * (64.0 / zeros).ln()
        }
    }
}

/// Requests to a reflection service, by the address the answers will go to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestStats {
    pub packets: u64,
    /// UDP payload bytes, as for `FlowStats::payload_bytes`.
    pub payload_bytes: u64,
}

impl RequestStats {
    pub fn merge(&mut self, other: &RequestStats) {
        self.packets += other.packets;
        self.payload_bytes += other.payload_bytes;
    }
}

/// Number of registers of `DistinctCounter`: 128 gives a standard error of 1.04/sqrt(128), 9 %
/// (Flajolet et al., "HyperLogLog", AofA 2007), in 128 bytes per replying host.
const DISTINCT_REGISTERS: usize = 128;

/// A HyperLogLog estimate of how many distinct addresses were seen: fixed size, and merged by
/// taking register maxima, which gives exactly the sketch of the union.
pub type DistinctCounter = HyperLogLog<DISTINCT_REGISTERS>;

/// How many entries each map may hold before new keys go to its overflow bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// (destination, vector, role, protocol, port) entries of floods, answers and requests.
    pub flows: usize,
    /// The same for reply-shaped packets, apart so that backscatter to millions of spoofed
    /// addresses cannot crowd the attack's own entries out.
    pub reply_flows: usize,
    /// Hosts that sent reply-shaped packets.
    pub repliers: usize,
    /// (source, service) pairs of reflection requests.
    pub request_sources: usize,
}

impl Limits {
    /// About 11.5 MB in all once every map is full (measured with
    /// `VectorCounters::approximate_heap_bytes`: flows 5.8 MB, reply flows 1.6 MB, repliers
    /// 3.0 MB, request sources 0.7 MB, fragment cache 0.2 MB). Each cap is 7/8 of a power of
    /// two, the most entries a hashbrown table of that many buckets holds before it doubles.
    pub const DEFAULT: Limits = Limits {
        flows: 57_344,
        reply_flows: 14_336,
        repliers: 14_336,
        request_sources: 14_336,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// A hash map that stops taking new keys at `cap`; the caller counts the rest elsewhere.
#[derive(Debug, Clone)]
struct Capped<K, V> {
    entries: FastMap<K, V>,
    cap: usize,
}

impl<K: Hash + Eq, V: Default> Capped<K, V> {
    fn new(cap: usize) -> Self {
        Capped {
            entries: FastMap::default(),
            cap,
        }
    }

    /// The value for `key`, created if there is room; `None` once full and `key` is new.
    fn slot(&mut self, key: K) -> Option<&mut V> {
        if self.entries.len() < self.cap {
            Some(self.entries.entry(key).or_default())
        } else {
            self.entries.get_mut(&key)
        }
    }

    fn approximate_heap_bytes(&self) -> usize {
        // hashbrown keeps one control byte per bucket and at most 7/8 of the buckets full.
        let buckets = self.entries.capacity().saturating_mul(8) / 7;
        buckets.saturating_mul(std::mem::size_of::<(K, V)>() + 1)
    }
}

impl<K: Hash + Eq, V: PartialEq> PartialEq for Capped<K, V> {
    fn eq(&self, other: &Self) -> bool {
        self.entries == other.entries
    }
}

/// Slots of the fragment cache: fragments of one datagram follow each other closely, so a few
/// thousand datagrams in flight are plenty; 4096 slots of about 48 bytes.
const FRAGMENT_SLOTS: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FragmentEntry {
    src: IpAddr,
    dst: IpAddr,
    ip_id: u32,
    protocol: u8,
    classification: Classification,
    port: Option<u16>,
}

/// What the first fragments of recent datagrams were, direct-mapped: a new datagram simply
/// takes its slot. Per-stream state, so not merged and not compared; a batch run carries it
/// from one rotated capture to the next with `append`.
#[derive(Debug, Clone, Default)]
struct FragmentCache {
    slots: Vec<Option<FragmentEntry>>,
}

impl FragmentCache {
    fn index(packet: &Packet) -> usize {
        let hash = mix64(
            address_hash(packet.src)
                ^ address_hash(packet.dst).rotate_left(17)
                ^ u64::from(packet.ip_id)
                ^ (u64::from(packet.protocol) << 32),
        );
        (hash as usize) & (FRAGMENT_SLOTS - 1)
    }

    fn remember(&mut self, packet: &Packet, classification: Classification, port: Option<u16>) {
        if self.slots.is_empty() {
            self.slots = vec![None; FRAGMENT_SLOTS];
        }
        if let Some(slot) = self.slots.get_mut(Self::index(packet)) {
            *slot = Some(FragmentEntry {
                src: packet.src,
                dst: packet.dst,
                ip_id: packet.ip_id,
                protocol: packet.protocol,
                classification,
                port,
            });
        }
    }

    fn recall(&self, packet: &Packet) -> Option<(Classification, Option<u16>)> {
        let entry = self.slots.get(Self::index(packet))?.as_ref()?;
        let same_datagram = entry.src == packet.src
            && entry.dst == packet.dst
            && entry.ip_id == packet.ip_id
            && entry.protocol == packet.protocol;
        same_datagram.then_some((entry.classification, entry.port))
    }

    /// Whether this stream has written no first fragment yet into the slot of `packet`'s
    /// datagram: only then could an earlier stream's first fragment still be there.
    fn is_cold(&self, packet: &Packet) -> bool {
        self.slots
            .get(Self::index(packet))
            .is_none_or(Option::is_none)
    }

    fn is_empty(&self) -> bool {
        self.slots.iter().all(Option::is_none)
    }

    /// The cache after `later`'s packets: its slots where it wrote one, this one's elsewhere.
    fn append(&mut self, later: &FragmentCache) {
        if later.slots.is_empty() {
            return;
        }
        if self.slots.is_empty() {
            self.slots = later.slots.clone();
            return;
        }
        for (mine, theirs) in self.slots.iter_mut().zip(&later.slots) {
            if theirs.is_some() {
                *mine = *theirs;
            }
        }
    }
}

/// Per-vector counters over a stream of packets: bounded, mergeable, one or two map updates per
/// packet. See the module comment for what is kept and why.
#[derive(Debug, Clone)]
pub struct VectorCounters {
    packets: u64,
    bytes: u64,
    flows: Capped<FlowKey, FlowStats>,
    reply_flows: Capped<FlowKey, ReplyFlowStats>,
    /// Flows (and reply flows) whose key found no room: counted without their address.
    overflow: FastMap<FlowClass, FlowStats>,
    repliers: Capped<IpAddr, ReplierStats>,
    overflow_repliers: ReplierStats,
    request_sources: Capped<(IpAddr, VectorKind), RequestStats>,
    overflow_requests: FastMap<VectorKind, RequestStats>,
    fragments: FragmentCache,
}

impl Default for VectorCounters {
    fn default() -> Self {
        VectorCounters::with_limits(Limits::DEFAULT)
    }
}

impl PartialEq for VectorCounters {
    /// Equal counts; the fragment cache is transient state and does not take part.
    fn eq(&self, other: &Self) -> bool {
        self.packets == other.packets
            && self.bytes == other.bytes
            && self.flows == other.flows
            && self.reply_flows == other.reply_flows
            && self.overflow == other.overflow
            && self.repliers == other.repliers
            && self.overflow_repliers == other.overflow_repliers
            && self.request_sources == other.request_sources
            && self.overflow_requests == other.overflow_requests
    }
}

impl Eq for VectorCounters {}

impl VectorCounters {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_limits(limits: Limits) -> Self {
        VectorCounters {
            packets: 0,
            bytes: 0,
            flows: Capped::new(limits.flows),
            reply_flows: Capped::new(limits.reply_flows),
            overflow: FastMap::default(),
            repliers: Capped::new(limits.repliers),
            overflow_repliers: ReplierStats::default(),
            request_sources: Capped::new(limits.request_sources),
            overflow_requests: FastMap::default(),
            fragments: FragmentCache::default(),
        }
    }

    pub fn limits(&self) -> Limits {
        Limits {
            flows: self.flows.cap,
            reply_flows: self.reply_flows.cap,
            repliers: self.repliers.cap,
            request_sources: self.request_sources.cap,
        }
    }

    /// Counts one packet as `classification` (normally `classify(packet)`). Returns what it was
    /// counted as, which differs only for a later fragment attributed to its first fragment's
    /// vector; OR that classification's bit into the source's mask.
    pub fn observe(&mut self, packet: &Packet, classification: Classification) -> Classification {
        let (classification, port) = self.attribute(packet, classification);
        self.count(packet, classification, port)
    }

    /// Counts one packet as `classification` with service port `port`, already attributed
    /// (`attribute`, or `recall` for a later fragment held back across a boundary).
    pub fn count(
        &mut self,
        packet: &Packet,
        classification: Classification,
        port: Option<u16>,
    ) -> Classification {
        self.packets += 1;
        self.bytes += u64::from(packet.wire_len);
        let key = FlowKey {
            address: packet.dst,
            class: FlowClass {
                kind: match classification {
                    Classification::Request(kind) => kind,
                    other => other.kind(),
                },
                role: classification.role(),
                protocol: packet.protocol,
                port: PortKey::of(port),
            },
        };
        let flows = match classification {
            Classification::Backscatter { .. } => {
                match self.repliers.slot(packet.src) {
                    Some(replier) => replier.record(packet),
                    None => self.overflow_repliers.record(packet),
                }
                match self.reply_flows.slot(key) {
                    Some(reply) => {
                        reply.stats.record(packet, port);
                        reply.senders.insert(packet.src);
                    }
                    None => self
                        .overflow
                        .entry(key.class)
                        .or_default()
                        .record(packet, port),
                }
                return classification;
            }
            Classification::Request(kind) => {
                let request = match self.request_sources.slot((packet.src, kind)) {
                    Some(request) => request,
                    None => self.overflow_requests.entry(kind).or_default(),
                };
                request.packets += 1;
                if !matches!(packet.fragment, Fragment::Later { .. }) {
                    request.payload_bytes += u64::from(packet.payload_len);
                }
                &mut self.flows
            }
            Classification::Flood(_) | Classification::Response(_) | Classification::Session(_) => {
                &mut self.flows
            }
        };
        match flows.slot(key) {
            Some(stats) => stats.record(packet, port),
            None => self
                .overflow
                .entry(key.class)
                .or_default()
                .record(packet, port),
        }
        classification
    }

    /// The classification and service port to count a packet under: a later fragment takes its
    /// first fragment's, when that is still in the cache; a first fragment is remembered.
    fn attribute(
        &mut self,
        packet: &Packet,
        classification: Classification,
    ) -> (Classification, Option<u16>) {
        let has_ports = matches!(packet.protocol, IP_PROTO_TCP | IP_PROTO_UDP);
        let port = has_ports.then(|| {
            if classification.port_is_source() {
                packet.src_port
            } else {
                packet.dst_port
            }
        });
        match packet.fragment {
            Fragment::None => (classification, port),
            Fragment::First => {
                self.fragments.remember(packet, classification, port);
                (classification, port)
            }
            Fragment::Later { .. } => {
                if classification != Classification::Flood(VectorKind::FragmentFlood) {
                    return (classification, None);
                }
                self.fragments
                    .recall(packet)
                    .unwrap_or((classification, None))
            }
        }
    }

    /// Adds another stream's counters, as if its packets had been observed here too (exactly
    /// so while no cap was reached; see the module comment).
    pub fn merge(&mut self, other: &VectorCounters) {
        self.packets += other.packets;
        self.bytes += other.bytes;
        for (key, stats) in &other.flows.entries {
            match self.flows.slot(*key) {
                Some(mine) => mine.merge(stats),
                None => self.overflow.entry(key.class).or_default().merge(stats),
            }
        }
        for (key, reply) in &other.reply_flows.entries {
            match self.reply_flows.slot(*key) {
                Some(mine) => {
                    mine.stats.merge(&reply.stats);
                    mine.senders.merge(&reply.senders);
                }
                None => self
                    .overflow
                    .entry(key.class)
                    .or_default()
                    .merge(&reply.stats),
            }
        }
        for (class, stats) in &other.overflow {
            self.overflow.entry(*class).or_default().merge(stats);
        }
        for (address, stats) in &other.repliers.entries {
            match self.repliers.slot(*address) {
                Some(mine) => mine.merge(stats),
                None => self.overflow_repliers.merge(stats),
            }
        }
        self.overflow_repliers.merge(&other.overflow_repliers);
        for (key, stats) in &other.request_sources.entries {
            match self.request_sources.slot(*key) {
                Some(mine) => mine.merge(stats),
                None => self
                    .overflow_requests
                    .entry(key.1)
                    .or_default()
                    .merge(stats),
            }
        }
        for (kind, stats) in &other.overflow_requests {
            self.overflow_requests
                .entry(*kind)
                .or_default()
                .merge(stats);
        }
    }

    /// Whether `packet`, classified as `classification`, is a later fragment whose datagram's
    /// first fragment this stream has not seen, where one from an earlier stream (a capture
    /// rotated before it) could still be in the cache: how it counts depends on that stream.
    pub fn is_cold_later_fragment(&self, packet: &Packet, classification: Classification) -> bool {
        matches!(packet.fragment, Fragment::Later { .. })
            && classification == Classification::Flood(VectorKind::FragmentFlood)
            && self.fragments.is_cold(packet)
    }

    /// What the cache says a later fragment held back by a stream appended to this one counts
    /// as: its first fragment's classification and port, if that is in the cache.
    pub fn recall(&self, packet: &Packet) -> Option<(Classification, Option<u16>)> {
        self.fragments.recall(packet)
    }

    /// Whether the fragment cache holds any first fragment.
    pub fn remembers_fragments(&self) -> bool {
        !self.fragments.is_empty()
    }

    /// Carries the per-stream fragment cache over from `later`, which is appended to this
    /// stream (its counters are added by `merge`).
    pub fn append_fragment_cache(&mut self, later: &VectorCounters) {
        self.fragments.append(&later.fragments);
    }

    /// Destinations of packets counted as a bare-flag TCP flood (`may_be_session_traffic`):
    /// had the destination completed a handshake before, `within_session` would have counted
    /// them as benign. Sorted; the SYN flood is left out, its source alone decides.
    pub fn session_flood_destinations(&self) -> Vec<IpAddr> {
        let mut addresses: Vec<IpAddr> = self
            .flows
            .entries
            .keys()
            .filter(|key| {
                key.class.role == Role::Flood
                    && matches!(
                        key.class.kind,
                        VectorKind::AckFlood | VectorKind::RstFlood | VectorKind::TcpOtherFlood
                    )
            })
            .chain(
                self.reply_flows
                    .entries
                    .keys()
                    .filter(|key| key.class.kind == VectorKind::RstFlood),
            )
            .map(|key| key.address)
            .collect();
        addresses.sort_unstable();
        addresses.dedup();
        addresses
    }

    /// IP packets observed.
    pub fn packets(&self) -> u64 {
        self.packets
    }

    /// Their bytes on the wire.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Every entry with its destination: floods, answers and requests, then reply flows (see
    /// `reply_flows` for their senders).
    pub fn flows(&self) -> impl Iterator<Item = (&FlowKey, &FlowStats)> {
        self.flows.entries.iter().chain(
            self.reply_flows
                .entries
                .iter()
                .map(|(key, reply)| (key, &reply.stats)),
        )
    }

    /// The reply-shaped packets by destination, with how many hosts sent them.
    pub fn reply_flows(&self) -> impl Iterator<Item = (&FlowKey, &FlowStats, &LinearCounter)> {
        self.reply_flows
            .entries
            .iter()
            .map(|(key, reply)| (key, &reply.stats, &reply.senders))
    }

    /// Packets counted without their destination, because the maps were full.
    pub fn overflow_flows(&self) -> impl Iterator<Item = (&FlowClass, &FlowStats)> {
        self.overflow.iter()
    }

    /// Hosts that sent reply-shaped packets, with how many addresses they replied to.
    pub fn repliers(&self) -> impl Iterator<Item = (&IpAddr, &ReplierStats)> {
        self.repliers.entries.iter()
    }

    /// Reply-shaped packets whose sender found no room in the repliers map.
    pub fn overflow_repliers(&self) -> &ReplierStats {
        &self.overflow_repliers
    }

    /// Reflection requests by (the address answers will go to, service).
    pub fn request_sources(&self) -> impl Iterator<Item = (&(IpAddr, VectorKind), &RequestStats)> {
        self.request_sources.entries.iter()
    }

    /// Reflection requests whose source found no room, by service.
    pub fn overflow_requests(&self) -> impl Iterator<Item = (&VectorKind, &RequestStats)> {
        self.overflow_requests.iter()
    }

    /// Whether any map reached its cap, so some packets are counted without their address.
    pub fn capped(&self) -> bool {
        !self.overflow.is_empty()
            || self.overflow_repliers.packets > 0
            || !self.overflow_requests.is_empty()
    }

    /// Heap memory the maps hold now (an estimate from their capacities), for tests and docs.
    pub fn approximate_heap_bytes(&self) -> usize {
        self.flows.approximate_heap_bytes()
            + self.reply_flows.approximate_heap_bytes()
            + self.repliers.approximate_heap_bytes()
            + self.request_sources.approximate_heap_bytes()
            + self.fragments.slots.capacity() * std::mem::size_of::<Option<FragmentEntry>>()
            + self.overflow.capacity() * (std::mem::size_of::<(FlowClass, FlowStats)>() + 1)
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;
    use crate::decode::{IcmpInfo, QuotedHeader, TcpInfo};

    pub(crate) const T0: i64 = 1_741_611_600_000_000_000;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn base<'a>(src: &str, dst: &str, protocol: u8) -> Packet<'a> {
        Packet {
            ip_id: 1,
            ..Packet::for_test(ip(src), ip(dst), protocol, T0)
        }
    }

    /// The first `PAYLOAD_PREFIX_LEN` bytes, as the decoder keeps them.
    fn prefix(bytes: &[u8]) -> &[u8] {
        &bytes[..bytes.len().min(crate::decode::PAYLOAD_PREFIX_LEN)]
    }

    fn udp<'a>(src: &str, sport: u16, dst: &str, dport: u16, payload: &'a [u8]) -> Packet<'a> {
        Packet {
            src_port: sport,
            dst_port: dport,
            payload_len: payload.len() as u32,
            payload: prefix(payload),
            wire_len: 42 + payload.len() as u32,
            ..base(src, dst, IP_PROTO_UDP)
        }
    }

    fn tcp<'a>(
        src: &str,
        sport: u16,
        dst: &str,
        dport: u16,
        flags: u8,
        payload: &'a [u8],
    ) -> Packet<'a> {
        Packet {
            src_port: sport,
            dst_port: dport,
            tcp: Some(TcpInfo {
                flags,
                seq: 1000,
                ..TcpInfo::default()
            }),
            payload_len: payload.len() as u32,
            payload: prefix(payload),
            ..base(src, dst, IP_PROTO_TCP)
        }
    }

    fn icmp<'a>(src: &str, dst: &str, icmp_type: u8, quoted: Option<QuotedHeader>) -> Packet<'a> {
        let protocol = if ip(src).is_ipv4() {
            IP_PROTO_ICMP
        } else {
            IP_PROTO_ICMPV6
        };
        Packet {
            icmp: Some(IcmpInfo {
                icmp_type,
                code: 3,
                quoted,
            }),
            ..base(src, dst, protocol)
        }
    }

    use Classification::{Backscatter, Flood, Request, Response};
    use VectorKind as K;

    // Genuine payload prefixes, byte for byte as servers and attack tools send them.

    /// DNS answer to "isc.org ANY" with EDNS: id 0xabcd, flags 0x8180 (QR, RD, RA), 1 question,
    /// 27 answers, 0 authority, 1 additional; then the question.
    const DNS_RESPONSE: &[u8] = &[
        0xab, 0xcd, 0x81, 0x80, 0x00, 0x01, 0x00, 0x1b, 0x00, 0x00, 0x00, 0x01, 0x03, b'i', b's',
        b'c', 0x03, b'o', b'r', b'g', 0x00, 0x00, 0xff, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x30, 0x00,
        0x01, 0x00, 0x00, 0x1c, 0x20, 0x01, 0x08, 0x01, 0x00, 0x03, 0x05,
    ];
    /// The query that asks for it: flags 0x0100 (RD), 1 question, 1 additional (OPT).
    const DNS_QUERY: &[u8] = &[
        0xab, 0xcd, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, b'i', b's',
        b'c', 0x03, b'o', b'r', b'g', 0x00, 0x00, 0xff, 0x00, 0x01, 0x00, 0x00, 0x29, 0x10, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];
    /// ntpd monlist answer: 0xd7 = response, more, version 2, mode 7; sequence 0,
    /// implementation 3 (XNTPD), request 42 (MON_GETLIST_1), 6 items of 72 bytes.
    const NTP_MONLIST_RESPONSE: &[u8] = &[
        0xd7, 0x00, 0x03, 0x2a, 0x00, 0x06, 0x00, 0x48, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
        0x0b, 0xc6, 0x33, 0x64, 0x0a, 0xcb, 0x00, 0x71, 0x0a,
    ];
    /// The monlist request: 0x17 = version 2, mode 7, no response bit; 40 zero bytes follow.
    const NTP_MONLIST_REQUEST: &[u8] = &[
        0x17, 0x00, 0x03, 0x2a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00,
    ];
    /// ntpq readvar answer (mode 6): version 2, mode 6; response bit and opcode 2 (read
    /// variables); sequence 1, status 0x0618, association 0, offset 0, count 420; then text.
    const NTP_READVAR_RESPONSE: &[u8] = &[
        0x16, 0x82, 0x00, 0x01, 0x06, 0x18, 0x00, 0x00, 0x00, 0x00, 0x01, 0xa4, b'v', b'e', b'r',
        b's', b'i', b'o', b'n', b'=',
    ];
    /// memcached: frame header (id 0x0001, datagram 0 of 1, reserved 0) and a "get" answer.
    const MEMCACHED_VALUE: &[u8] =
        b"\x00\x01\x00\x00\x00\x01\x00\x00VALUE injected 0 1048576\r\nAAAAAAAAAAAAAAAA";
    /// The 4th datagram of a 700-datagram answer: only the value's bytes follow the header.
    const MEMCACHED_CONTINUATION: &[u8] = b"\x00\x01\x00\x03\x02\xbc\x00\x00AAAAAAAAAAAAAAAAAAAA";
    const MEMCACHED_STATS_ANSWER: &[u8] = b"\x00\x00\x00\x00\x00\x01\x00\x00STAT pid 1234\r\n";
    const MEMCACHED_STATS_REQUEST: &[u8] = b"\x00\x00\x00\x00\x00\x01\x00\x00stats\r\n";
    const MEMCACHED_GET_REQUEST: &[u8] = b"\x00\x01\x00\x00\x00\x01\x00\x00get injected\r\n";
    const SSDP_RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nDATE: Mon, 10 Mar 2025 13:00:00 GMT\r\nEXT:\r\nLOCATION: http://192.168.1.1:1900/gatedesc.xml\r\nSERVER: Linux/2.6 UPnP/1.0\r\nST: upnp:rootdevice\r\n\r\n";
    const SSDP_M_SEARCH: &[u8] = b"M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n";
    /// Active Directory CLDAP rootDSE answer: SEQUENCE (long-form length), messageID 1,
    /// searchResEntry (0x64, long-form length), objectName "", attributes...
    const CLDAP_RESPONSE: &[u8] = &[
        0x30, 0x84, 0x00, 0x00, 0x0b, 0x2a, 0x02, 0x01, 0x01, 0x64, 0x84, 0x00, 0x00, 0x0b, 0x21,
        0x04, 0x00, 0x30, 0x84, 0x00, 0x00, 0x0b, 0x19, 0x30, 0x84, 0x00, 0x00, 0x00, 0x22, 0x04,
        0x0e, b'c', b'u', b'r', b'r', b'e', b'n', b't', b'T', b'i', b'm', b'e',
    ];
    /// The rootDSE searchRequest attack tools send: base "", scope base, (objectclass=*).
    const CLDAP_REQUEST: &[u8] = &[
        0x30, 0x25, 0x02, 0x01, 0x01, 0x63, 0x20, 0x04, 0x00, 0x0a, 0x01, 0x00, 0x0a, 0x01, 0x00,
        0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x01, 0x01, 0x00, 0x87, 0x0b, b'o', b'b', b'j', b'e',
        b'c', b't', b'c', b'l', b'a', b's', b's', 0x30, 0x00,
    ];
    /// SNMPv2c Response-PDU (0xa2) with community "public", request-id, error 0, index 0.
    const SNMP_RESPONSE: &[u8] = &[
        0x30, 0x82, 0x05, 0xd2, 0x02, 0x01, 0x01, 0x04, 0x06, b'p', b'u', b'b', b'l', b'i', b'c',
        0xa2, 0x82, 0x05, 0xc3, 0x02, 0x04, 0x12, 0x34, 0x56, 0x78, 0x02, 0x01, 0x00, 0x02, 0x01,
        0x00, 0x30, 0x82, 0x05, 0xb3,
    ];
    /// SNMPv2c GetBulkRequest (0xa5), max-repetitions 2000, for 1.3.6.1.2.1 (mib-2).
    const SNMP_GETBULK: &[u8] = &[
        0x30, 0x27, 0x02, 0x01, 0x01, 0x04, 0x06, b'p', b'u', b'b', b'l', b'i', b'c', 0xa5, 0x1a,
        0x02, 0x04, 0x12, 0x34, 0x56, 0x78, 0x02, 0x01, 0x00, 0x02, 0x02, 0x07, 0xd0, 0x30, 0x0b,
        0x30, 0x09, 0x06, 0x05, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x05, 0x00,
    ];
    /// The first line of the RFC 864 pattern.
    const CHARGEN_LINE: &[u8] =
        b"!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefgh\r\n";
    const WSD_PROBE_MATCHES: &[u8] = b"<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:wsa=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\"><soap:Header><wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</wsa:Action>";
    const WSD_PROBE: &[u8] = b"<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\"><soap:Body><wsd:Probe/></soap:Body></soap:Envelope>";

    const VICTIM: &str = "203.0.113.10";
    const REFLECTOR: &str = "198.51.100.7";

    #[test]
    fn kinds_have_distinct_bits_and_serialise_as_their_names() {
        let mut all_bits = 0u32;
        for (index, kind) in VectorKind::ALL.into_iter().enumerate() {
            assert_eq!(kind.bit(), 1 << index);
            all_bits |= kind.bit();
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
        assert_eq!(all_bits.count_ones(), 21);
        let mask = K::SynFlood.bit() | K::GreFlood.bit();
        assert_eq!(
            VectorKind::kinds_in(mask).collect::<Vec<_>>(),
            [K::SynFlood, K::GreFlood]
        );
    }

    #[test]
    fn tcp_flag_rules() {
        let syn = TcpInfo::SYN;
        let ack = TcpInfo::ACK;
        let cases: [(Packet, Classification); 12] = [
            (
                tcp("192.0.2.1", 40000, VICTIM, 80, syn, b""),
                Flood(K::SynFlood),
            ),
            (
                tcp("192.0.2.1", 40000, VICTIM, 80, syn | 0x40 | 0x80, b""),
                Flood(K::SynFlood),
            ),
            (
                tcp("192.0.2.1", 40000, VICTIM, 80, syn | TcpInfo::FIN, b""),
                Flood(K::TcpOtherFlood),
            ),
            (
                tcp(REFLECTOR, 443, VICTIM, 40000, syn | ack, b""),
                Backscatter {
                    inbound: K::TcpReflection,
                },
            ),
            (
                tcp("192.0.2.1", 40001, VICTIM, 80, syn | ack, b""),
                Backscatter {
                    inbound: K::TcpOtherFlood,
                },
            ),
            (
                tcp("192.0.2.1", 40000, VICTIM, 80, ack, b""),
                Flood(K::AckFlood),
            ),
            (
                tcp("192.0.2.1", 40000, VICTIM, 80, ack, b"\x00\x01junk"),
                Flood(K::TcpOtherFlood),
            ),
            (
                tcp("192.0.2.1", 40000, VICTIM, 80, ack | TcpInfo::PSH, b""),
                Flood(K::TcpOtherFlood),
            ),
            (
                tcp("192.0.2.1", 40000, VICTIM, 80, TcpInfo::RST, b""),
                Backscatter {
                    inbound: K::RstFlood,
                },
            ),
            (
                tcp("192.0.2.1", 40000, VICTIM, 80, ack | TcpInfo::FIN, b""),
                Flood(K::TcpOtherFlood),
            ),
            (
                tcp(
                    "192.0.2.1",
                    40000,
                    VICTIM,
                    80,
                    ack | TcpInfo::PSH,
                    b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
                ),
                Flood(K::HttpFlood),
            ),
            (
                tcp(
                    "192.0.2.1",
                    40000,
                    VICTIM,
                    443,
                    ack | TcpInfo::PSH,
                    &[
                        0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03,
                    ],
                ),
                Flood(K::TlsFlood),
            ),
        ];
        for (packet, expected) in cases {
            assert_eq!(classify(&packet), expected, "{packet:?}");
        }
        let post = tcp(
            "192.0.2.1",
            1,
            VICTIM,
            8080,
            ack,
            b"POST /login HTTP/1.1\r\n",
        );
        assert_eq!(classify(&post), Flood(K::HttpFlood));
        let not_hello = tcp(
            "192.0.2.1",
            1,
            VICTIM,
            443,
            ack,
            &[0x17, 0x03, 0x03, 0, 5, 1],
        );
        assert_eq!(classify(&not_hello), Flood(K::TcpOtherFlood));
        let cut = Packet {
            tcp: None,
            ..tcp("192.0.2.1", 1, VICTIM, 80, syn, b"")
        };
        assert_eq!(classify(&cut), Flood(K::TcpOtherFlood));
    }

    #[test]
    fn reset_answering_a_syn_from_a_server_port_is_tcp_reflection() {
        let mut rst_ack = tcp(
            REFLECTOR,
            80,
            VICTIM,
            40000,
            TcpInfo::RST | TcpInfo::ACK,
            b"",
        );
        if let Some(tcp) = rst_ack.tcp.as_mut() {
            tcp.seq = 0;
            tcp.ack = 12345;
        }
        assert_eq!(
            classify(&rst_ack),
            Backscatter {
                inbound: K::TcpReflection
            }
        );
        // The same reset from an ephemeral port, or with a sequence number, is an RST flood.
        let high_port = Packet {
            src_port: 50000,
            ..rst_ack.clone()
        };
        assert_eq!(
            classify(&high_port),
            Backscatter {
                inbound: K::RstFlood
            }
        );
        let mut with_seq = rst_ack;
        if let Some(tcp) = with_seq.tcp.as_mut() {
            tcp.seq = 99;
        }
        assert_eq!(
            classify(&with_seq),
            Backscatter {
                inbound: K::RstFlood
            }
        );
    }

    #[test]
    fn every_reflection_protocol_answer_is_recognised_by_port_and_signature() {
        let cases: [(u16, &[u8], VectorKind); 11] = [
            (53, DNS_RESPONSE, K::DnsAmplification),
            (123, NTP_MONLIST_RESPONSE, K::NtpAmplification),
            (11211, MEMCACHED_VALUE, K::MemcachedAmplification),
            (11211, MEMCACHED_CONTINUATION, K::MemcachedAmplification),
            (11211, MEMCACHED_STATS_ANSWER, K::MemcachedAmplification),
            (1900, SSDP_RESPONSE, K::SsdpAmplification),
            (389, CLDAP_RESPONSE, K::CldapAmplification),
            (19, CHARGEN_LINE, K::ChargenAmplification),
            (161, SNMP_RESPONSE, K::SnmpAmplification),
            (3702, WSD_PROBE_MATCHES, K::WsDiscoveryAmplification),
            // Mode 6 readvar answer: version 2, mode 6; second byte response bit, opcode 2;
            // sequence 1, status 0x0618, association 0, offset 0, count 0x01a4, then text.
            (123, NTP_READVAR_RESPONSE, K::NtpAmplification),
        ];
        for (port, payload, kind) in cases {
            let packet = udp(REFLECTOR, port, VICTIM, 40000, payload);
            assert_eq!(classify(&packet), Response(kind), "from port {port}");
            // The same bytes from an unrelated port are a plain UDP flood.
            let elsewhere = udp(REFLECTOR, 40001, VICTIM, 40000, payload);
            assert_eq!(classify(&elsewhere), Flood(K::UdpFlood), "port {port}");
        }
    }

    #[test]
    fn every_reflection_request_is_recognised() {
        let cases: [(u16, &[u8], VectorKind); 9] = [
            (53, DNS_QUERY, K::DnsAmplification),
            (123, NTP_MONLIST_REQUEST, K::NtpAmplification),
            (11211, MEMCACHED_STATS_REQUEST, K::MemcachedAmplification),
            (11211, MEMCACHED_GET_REQUEST, K::MemcachedAmplification),
            (1900, SSDP_M_SEARCH, K::SsdpAmplification),
            (389, CLDAP_REQUEST, K::CldapAmplification),
            (161, SNMP_GETBULK, K::SnmpAmplification),
            (19, b"\x01", K::ChargenAmplification),
            (3702, WSD_PROBE, K::WsDiscoveryAmplification),
        ];
        for (port, payload, kind) in cases {
            let packet = udp(VICTIM, 40000, REFLECTOR, port, payload);
            let classification = classify(&packet);
            assert_eq!(classification, Request(kind), "to port {port}");
            // Toward the reflector, a request counts as a UDP flood on the service port.
            assert_eq!(classification.kind(), K::UdpFlood);
        }
    }

    #[test]
    fn source_port_without_signature_is_a_udp_flood_unless_the_capture_cut_it() {
        // Random bytes from port 53 and 123: floods that spoof a service port.
        for port in [53, 123, 11211, 1900, 389, 161] {
            let spoofed = udp(
                "192.0.2.9",
                port,
                VICTIM,
                80,
                b"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
            );
            assert_eq!(classify(&spoofed), Flood(K::UdpFlood), "port {port}");
        }
        // A DNS query from port 53 (QR=0) is not an answer either.
        let query_from_53 = udp("192.0.2.9", 53, VICTIM, 40000, DNS_QUERY);
        assert_eq!(classify(&query_from_53), Flood(K::UdpFlood));
        // Snaplen cut at the UDP header: the port is all there is.
        let cut = Packet {
            payload: &[],
            payload_len: 1200,
            ..udp(REFLECTOR, 53, VICTIM, 40000, b"")
        };
        assert_eq!(classify(&cut), Response(K::DnsAmplification));
        let cut_request = Packet {
            payload: &[],
            payload_len: 40,
            ..udp(VICTIM, 40000, REFLECTOR, 123, b"")
        };
        assert_eq!(classify(&cut_request), Request(K::NtpAmplification));
        // Snaplen cut inside the DNS header (4 of 1472 bytes kept, as in the nDPI sample):
        // too little to check, so the port decides.
        let cut_in_header = Packet {
            payload: &DNS_RESPONSE[..4],
            payload_len: 1472,
            ..udp(REFLECTOR, 53, VICTIM, 40000, b"")
        };
        assert_eq!(classify(&cut_in_header), Response(K::DnsAmplification));
        // Cut after the header: the signature is checked, and junk is junk.
        let cut_after_header = Packet {
            payload: &[0u8; 20],
            payload_len: 1472,
            ..udp(REFLECTOR, 53, VICTIM, 40000, b"")
        };
        assert_eq!(classify(&cut_after_header), Flood(K::UdpFlood));
        // An empty datagram from port 53 declares no payload: not an answer.
        assert_eq!(
            classify(&udp(REFLECTOR, 53, VICTIM, 40000, b"")),
            Flood(K::UdpFlood)
        );
    }

    #[test]
    fn other_documented_amplifiers_by_source_port() {
        for port in [
            17, 111, 137, 520, 3283, 5353, 5683, 27015, 27960, 33848, 427,
        ] {
            let answer = udp(REFLECTOR, port, VICTIM, 40000, b"some answer");
            assert_eq!(classify(&answer), Response(K::OtherReflection), "{port}");
            // Peers talking on the same port (NetBIOS, mDNS, RIP) are not reflection.
            let peers = udp(REFLECTOR, port, VICTIM, port, b"some answer");
            assert_eq!(classify(&peers), Flood(K::UdpFlood), "{port}");
        }
        assert_eq!(
            classify(&udp("192.0.2.1", 40000, VICTIM, 7777, b"x")),
            Flood(K::UdpFlood)
        );
    }

    #[test]
    fn malformed_signatures_never_panic_and_are_not_answers() {
        let truncated: [&[u8]; 8] = [
            &[0xab],
            &[0xab, 0xcd, 0x81],
            &[0x30],
            &[0x30, 0x84],
            &[0x30, 0x84, 0, 0, 0, 1, 0x02, 0x09, 1],
            &[0x30, 0x05, 0x02, 0x01, 0x01, 0x04, 0x7f, 1, 2],
            &[0, 1, 0, 5, 0, 1, 0, 0],
            &[0xef, 0xbb, 0xbf],
        ];
        for payload in truncated {
            for port in [53, 123, 11211, 1900, 389, 161, 3702] {
                let answer = udp(REFLECTOR, port, VICTIM, 40000, payload);
                assert_eq!(classify(&answer), Flood(K::UdpFlood), "{port} {payload:?}");
            }
        }
    }

    #[test]
    fn icmp_echo_errors_and_backscatter() {
        let echo = icmp("192.0.2.1", VICTIM, 8, None);
        assert_eq!(classify(&echo), Flood(K::IcmpFlood));
        // The victim's port unreachable to a spoofed source quotes the packet that source "sent".
        let quoted = QuotedHeader {
            src: ip("192.0.2.1"),
            dst: ip(VICTIM),
            protocol: 17,
            src_port: 40000,
            dst_port: 9,
        };
        let unreachable = icmp(VICTIM, "192.0.2.1", 3, Some(quoted));
        assert_eq!(
            classify(&unreachable),
            Backscatter {
                inbound: K::IcmpFlood
            }
        );
        let time_exceeded = icmp(VICTIM, "192.0.2.1", 11, Some(quoted));
        assert!(matches!(classify(&time_exceeded), Backscatter { .. }));
        // A forged error whose quote was not sent by its destination is a flood.
        let forged = icmp("192.0.2.77", VICTIM, 3, Some(quoted));
        assert_eq!(classify(&forged), Flood(K::IcmpFlood));
        assert_eq!(
            classify(&icmp(VICTIM, "192.0.2.1", 3, None)),
            Flood(K::IcmpFlood)
        );
        let v6_quote = QuotedHeader {
            src: ip("2001:db8::99"),
            dst: ip("2001:db8::10"),
            protocol: 6,
            src_port: 1,
            dst_port: 2,
        };
        let v6_error = icmp("2001:db8::10", "2001:db8::99", 1, Some(v6_quote));
        assert!(matches!(classify(&v6_error), Backscatter { .. }));
        let v6_echo = icmp("2001:db8::99", "2001:db8::10", 128, None);
        assert_eq!(classify(&v6_echo), Flood(K::IcmpFlood));
        let no_header = base("192.0.2.1", VICTIM, IP_PROTO_ICMP);
        assert_eq!(classify(&no_header), Flood(K::IcmpFlood));
    }

    #[test]
    fn gre_and_other_protocols() {
        let gre = Packet {
            tunnel: Some(crate::decode::Tunnel::Gre),
            ..base("192.0.2.1", VICTIM, IP_PROTO_GRE)
        };
        assert_eq!(classify(&gre), Flood(K::GreFlood));
        assert_eq!(
            classify(&base("192.0.2.1", VICTIM, 50)),
            Flood(K::BenignOrUnknown)
        );
    }

    fn fragment<'a>(first: &Packet<'a>, offset: u32) -> Packet<'a> {
        Packet {
            fragment: Fragment::Later {
                offset,
                more: false,
            },
            src_port: 0,
            dst_port: 0,
            payload: &[],
            payload_len: 1480,
            wire_len: 1514,
            ..first.clone()
        }
    }

    #[test]
    fn later_fragments_follow_their_first_fragment() {
        let first = Packet {
            fragment: Fragment::First,
            ip_id: 0x4242,
            payload_len: 2992,
            wire_len: 1514,
            ..udp(REFLECTOR, 53, VICTIM, 40000, DNS_RESPONSE)
        };
        let later = fragment(&first, 1480);
        assert_eq!(classify(&later), Flood(K::FragmentFlood));
        let mut counters = VectorCounters::new();
        let counted = counters.observe(&first, classify(&first));
        assert_eq!(counted, Response(K::DnsAmplification));
        let counted = counters.observe(&later, classify(&later));
        assert_eq!(counted, Response(K::DnsAmplification));
        // A fragment of another datagram (other IP id) stays a fragment flood.
        let stranger = Packet {
            ip_id: 0x4243,
            ..later.clone()
        };
        assert_eq!(
            counters.observe(&stranger, classify(&stranger)),
            Flood(K::FragmentFlood)
        );
        let (key, stats) = counters
            .flows()
            .find(|(key, _)| key.class.kind == K::DnsAmplification)
            .unwrap();
        assert_eq!((key.class.port, stats.packets), (PortKey::Service(53), 2));
        assert_eq!((stats.later_fragments, stats.bytes), (1, 3028));
        // The datagram's payload is counted once, from the first fragment.
        assert_eq!(stats.payload_bytes, 2992);
        let (key, stats) = counters
            .flows()
            .find(|(key, _)| key.class.kind == K::FragmentFlood)
            .unwrap();
        assert_eq!((key.class.port, stats.packets), (PortKey::None, 1));
    }

    #[test]
    fn ports_keep_their_number_or_fold_into_one_entry() {
        let mut counters = VectorCounters::new();
        for port in [80, 443, 80, 7778, 7778] {
            let packet = tcp("192.0.2.1", 40000, VICTIM, port, TcpInfo::SYN, b"");
            counters.observe(&packet, classify(&packet));
        }
        let mut ports: Vec<_> = counters
            .flows()
            .map(|(key, stats)| (key.class.port, stats.port(&key.class), stats.packets))
            .collect();
        ports.sort();
        assert_eq!(
            ports,
            [
                (PortKey::Service(80), Some(80), 2),
                (PortKey::Service(443), Some(443), 1),
                (PortKey::Other, Some(7778), 2),
            ]
        );
        let random = tcp("192.0.2.1", 40000, VICTIM, 40123, TcpInfo::SYN, b"");
        counters.observe(&random, classify(&random));
        let other = counters
            .flows()
            .find(|(key, _)| key.class.port == PortKey::Other)
            .unwrap();
        assert_eq!(other.1.port(&other.0.class), None);
    }

    #[test]
    fn replies_are_counted_by_destination_and_by_sender() {
        let mut counters = VectorCounters::new();
        for host in 0..100u32 {
            let spoofed = Ipv4Addr::from(0x0a00_0000 + host * 7919).to_string();
            let syn_ack = tcp(
                VICTIM,
                80,
                &spoofed,
                40000,
                TcpInfo::SYN | TcpInfo::ACK,
                b"",
            );
            counters.observe(&syn_ack, classify(&syn_ack));
        }
        let (sender, stats) = counters.repliers().next().unwrap();
        assert_eq!((*sender, stats.packets), (ip(VICTIM), 100));
        let estimate = stats.destinations.estimate();
        assert!((80.0..120.0).contains(&estimate), "{estimate}");
        assert_eq!(counters.flows().count(), 100);
        assert!(
            counters
                .flows()
                .all(|(key, _)| key.class.role == Role::Reply)
        );
    }

    #[test]
    fn distinct_counter_estimates_within_its_error_and_merges_as_a_union() {
        for n in [1u32, 10, 100, 1_000, 100_000] {
            let mut counter = DistinctCounter::default();
            for i in 0..n {
                counter.insert(IpAddr::V4(Ipv4Addr::from(i.wrapping_mul(2_654_435_761))));
            }
            let estimate = counter.estimate();
            let error = (estimate - f64::from(n)).abs() / f64::from(n);
            assert!(error < 0.35, "n={n} estimate={estimate}");
        }
        let mut a = DistinctCounter::default();
        let mut b = DistinctCounter::default();
        let mut both = DistinctCounter::default();
        for i in 0..5_000u32 {
            let address = IpAddr::V4(Ipv4Addr::from(i));
            if i % 2 == 0 {
                a.insert(address)
            } else {
                b.insert(address)
            }
            both.insert(address);
        }
        a.merge(&b);
        assert_eq!(a, both);
    }

    #[test]
    fn linear_counter_tells_one_sender_from_many() {
        let mut one = LinearCounter::default();
        for _ in 0..1_000 {
            one.insert(ip(VICTIM));
        }
        assert!(one.estimate() < 2.0);
        for n in [16u32, 30, 60] {
            let mut many = LinearCounter::default();
            let mut half = LinearCounter::default();
            for i in 0..n {
                let address = IpAddr::V4(Ipv4Addr::from(0xc633_6400 + i * 13));
                many.insert(address);
                if i % 2 == 0 {
                    half.insert(address);
                }
            }
            let estimate = many.estimate();
            assert!(
                (f64::from(n) * 0.7..f64::from(n) * 1.4).contains(&estimate),
                "{n}: {estimate}"
            );
            let mut other = LinearCounter::default();
            for i in (1..n).step_by(2) {
                other.insert(IpAddr::V4(Ipv4Addr::from(0xc633_6400 + i * 13)));
            }
            half.merge(&other);
            assert_eq!(half, many);
        }
        let saturated = LinearCounter { bits: u64::MAX };
        assert!(saturated.estimate().is_infinite());
    }

    #[test]
    fn requests_are_kept_by_the_address_the_answers_go_to() {
        let mut counters = VectorCounters::new();
        let query = udp(VICTIM, 40000, REFLECTOR, 53, DNS_QUERY);
        counters.observe(&query, classify(&query));
        counters.observe(&query, classify(&query));
        let ((source, kind), stats) = counters.request_sources().next().unwrap();
        assert_eq!((*source, *kind), (ip(VICTIM), K::DnsAmplification));
        assert_eq!(stats.packets, 2);
        assert_eq!(stats.payload_bytes, 2 * DNS_QUERY.len() as u64);
        let (key, _) = counters.flows().next().unwrap();
        assert_eq!(key.address, ip(REFLECTOR));
        assert_eq!(key.class.role, Role::Request);
    }

    /// A small mixed stream: floods, answers, requests, replies and fragments.
    fn mixed_stream() -> Vec<Packet<'static>> {
        let mut packets = Vec::new();
        for i in 0..2_000u32 {
            let source = Ipv4Addr::from(0xc000_0200 + (i % 300)).to_string();
            let time = T0 + i64::from(i) * 1_000_000;
            let mut packet = match i % 7 {
                0 => tcp(&source, 40000, VICTIM, 80, TcpInfo::SYN, b""),
                1 => udp(&source, 53, VICTIM, 40000 + (i % 50) as u16, DNS_RESPONSE),
                2 => udp(VICTIM, 40000, &source, 53, DNS_QUERY),
                3 => tcp(VICTIM, 80, &source, 40000, TcpInfo::SYN | TcpInfo::ACK, b""),
                4 => udp(
                    &source,
                    11211,
                    "203.0.113.11",
                    40000,
                    MEMCACHED_CONTINUATION,
                ),
                5 => icmp(&source, VICTIM, 8, None),
                _ => udp(&source, 40000, VICTIM, (i % 1000) as u16, b"junk"),
            };
            packet.timestamp_ns = Some(time);
            packet.ip_id = i;
            packets.push(packet);
        }
        packets
    }

    #[test]
    fn merging_two_halves_equals_observing_everything() {
        let packets = mixed_stream();
        let mut all = VectorCounters::new();
        for packet in &packets {
            all.observe(packet, classify(packet));
        }
        let (left, right) = packets.split_at(777);
        let mut a = VectorCounters::new();
        let mut b = VectorCounters::new();
        for packet in left {
            a.observe(packet, classify(packet));
        }
        for packet in right {
            b.observe(packet, classify(packet));
        }
        let mut merged = VectorCounters::new();
        merged.merge(&a);
        merged.merge(&b);
        assert_eq!(merged, all);
        assert!(!all.capped());
        // And the other way round.
        let mut reversed = VectorCounters::new();
        reversed.merge(&b);
        reversed.merge(&a);
        assert_eq!(reversed, all);
    }

    #[test]
    fn memory_is_bounded_under_a_million_destinations() {
        let mut counters = VectorCounters::new();
        let mut expected_bytes = 0u64;
        for i in 0..1_000_000u32 {
            let destination = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i));
            let packet = Packet {
                dst: destination,
                ..udp("192.0.2.1", 40000, VICTIM, 9, b"x")
            };
            expected_bytes += u64::from(packet.wire_len);
            counters.observe(&packet, classify(&packet));
            // Backscatter to a million addresses from a million "victims" as well.
            let reply = Packet {
                src: destination,
                ..tcp(
                    VICTIM,
                    80,
                    "192.0.2.1",
                    40000,
                    TcpInfo::SYN | TcpInfo::ACK,
                    b"",
                )
            };
            expected_bytes += u64::from(reply.wire_len);
            counters.observe(&reply, classify(&reply));
        }
        let limits = counters.limits();
        assert_eq!(counters.flows.entries.len(), limits.flows);
        assert!(counters.repliers.entries.len() <= limits.repliers);
        assert!(counters.capped());
        let counted: u64 = counters
            .flows()
            .map(|(_, stats)| stats.packets)
            .sum::<u64>()
            + counters
                .overflow_flows()
                .map(|(_, stats)| stats.packets)
                .sum::<u64>();
        assert_eq!(counted, 2_000_000);
        assert_eq!(counters.packets(), 2_000_000);
        assert_eq!(counters.bytes(), expected_bytes);
        let replies = counters.repliers().map(|(_, s)| s.packets).sum::<u64>()
            + counters.overflow_repliers().packets;
        assert_eq!(replies, 1_000_000);
        let heap = counters.approximate_heap_bytes();
        assert!(heap < 12 << 20, "{heap} bytes");
        eprintln!("heap after 1M destinations and 1M repliers: {heap} bytes");
    }

    #[test]
    fn every_map_full_stays_within_the_documented_memory() {
        let mut counters = VectorCounters::new();
        for i in 0..100_000u32 {
            let a = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i));
            let b = IpAddr::V4(Ipv4Addr::from(0x0b00_0000 + i));
            let flood = Packet {
                dst: a,
                fragment: Fragment::First,
                ip_id: i,
                ..udp("192.0.2.1", 1, VICTIM, 9, b"x")
            };
            counters.observe(&flood, classify(&flood));
            let reply = Packet {
                src: a,
                dst: b,
                ..tcp(VICTIM, 80, VICTIM, 1, TcpInfo::SYN | TcpInfo::ACK, b"")
            };
            counters.observe(&reply, classify(&reply));
            let request = Packet {
                src: b,
                ..udp(VICTIM, 40000, REFLECTOR, 53, DNS_QUERY)
            };
            counters.observe(&request, classify(&request));
        }
        let parts = [
            ("flows", counters.flows.approximate_heap_bytes()),
            ("reply flows", counters.reply_flows.approximate_heap_bytes()),
            ("repliers", counters.repliers.approximate_heap_bytes()),
            (
                "request sources",
                counters.request_sources.approximate_heap_bytes(),
            ),
        ];
        for (name, bytes) in parts {
            eprintln!("{name}: {:.2} MB", bytes as f64 / 1e6);
        }
        let total = counters.approximate_heap_bytes();
        eprintln!("total: {:.2} MB", total as f64 / 1e6);
        assert_eq!(counters.flows.entries.len(), Limits::DEFAULT.flows);
        assert_eq!(
            counters.reply_flows.entries.len(),
            Limits::DEFAULT.reply_flows
        );
        assert_eq!(counters.repliers.entries.len(), Limits::DEFAULT.repliers);
        assert_eq!(
            counters.request_sources.entries.len(),
            Limits::DEFAULT.request_sources
        );
        assert!(total < 12_000_000, "{total}");
    }

    #[test]
    fn merge_past_the_cap_keeps_totals() {
        let limits = Limits {
            flows: 8,
            reply_flows: 4,
            repliers: 2,
            request_sources: 2,
        };
        let mut a = VectorCounters::with_limits(limits);
        let mut b = VectorCounters::with_limits(limits);
        for i in 0..40u32 {
            let dst = Ipv4Addr::from(0x0a00_0000 + i).to_string();
            let flood = udp("192.0.2.1", 1, &dst, 9, b"x");
            let query = udp(&dst, 40000, REFLECTOR, 53, DNS_QUERY);
            let counters = if i % 2 == 0 { &mut a } else { &mut b };
            counters.observe(&flood, classify(&flood));
            counters.observe(&query, classify(&query));
        }
        a.merge(&b);
        let flows: u64 = a.flows().map(|(_, s)| s.packets).sum::<u64>()
            + a.overflow_flows().map(|(_, s)| s.packets).sum::<u64>();
        assert_eq!((flows, a.packets()), (80, 80));
        let requests: u64 = a.request_sources().map(|(_, s)| s.packets).sum::<u64>()
            + a.overflow_requests().map(|(_, s)| s.packets).sum::<u64>();
        assert_eq!(requests, 40);
        assert!(a.flows.entries.len() <= 8);
    }
}
