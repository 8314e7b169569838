//! The scenario catalogue: takes a scenario's name and the generation settings, gives the
//! scene to generate: who sends what to whom, when, through which capture interfaces, and
//! what a correct assessment concludes about it.
//!
//! Country mixes are shaped after published measurements (named at each scenario) but the
//! numbers are the scenario's own; what matters is that the truth file states them exactly.

use std::collections::HashSet;
use std::net::IpAddr;

use anyhow::{Result, bail};

use super::engine::{Flow, Role, SECOND, Time};
use super::flows::{
    Flood, FloodKind, HttpFlood, Life, Reflected, Reflection, Schedule, Senders, Server, Tap,
    Target, Visitors,
};
use super::geo::{Country, Family, Geo, HostStyle};
use super::hosts::{self, Host, Os, Profile, apportion};
use super::link::Link;
use super::rng::Rng;
use super::truth::{VectorSpec, Verdicts};
use super::writer::{Format, Interface};

/// Settings that shape every scenario.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub seed: u64,
    /// Multiplies every count (hosts, packets, sessions): 1 for the samples.
    pub factor: u64,
    /// Attack events per second (flood packets, reflector replies, HTTP connections),
    /// replacing the scenario's own count.
    pub rate: Option<u64>,
    /// Length of each attack phase, replacing the scenario's own.
    pub duration: Option<Time>,
    /// Start of the capture, replacing the scenario's own date.
    pub start: Option<Time>,
}

/// Everything needed to write one scenario.
pub struct Scene<'g> {
    pub format: Format,
    pub interfaces: Vec<Interface>,
    pub vectors: Vec<VectorSpec>,
    pub flows: Vec<Box<dyn Flow + 'g>>,
    pub verdicts: Verdicts,
}

pub struct Entry {
    pub name: &'static str,
    /// One line for listings and the samples README.
    pub title: &'static str,
    /// What happened, for the truth file.
    pub story: &'static str,
    /// `factor` for `--scale large`: about 1 GB of capture.
    pub large_factor: u64,
    build: for<'g> fn(&Context<'g>) -> Result<Scene<'g>>,
}

impl Entry {
    /// Builds the scene.
    ///
    /// # Errors
    /// A host pool cannot be drawn from the databases.
    pub fn scene<'g>(&self, geo: &'g Geo, settings: &Settings) -> Result<Scene<'g>> {
        let context = Context {
            geo,
            settings: *settings,
            name: self.name,
        };
        (self.build)(&context)
    }
}

pub const CATALOGUE: &[Entry] = &[
    Entry {
        name: "iot-botnet-syn-flood",
        title: "Mirai-style IoT botnet SYN flood from 25 countries; the \"claimed\" origin, Russia, holds 4% of the bots",
        story: "An IoT botnet of home routers, cameras and DVRs floods a web server in France \
                with TCP SYNs to port 443 (Mirai's attack_tcp_syn: random ports, sequence and \
                window, MSS/SACK/timestamps/window-scale options). The bots are real hosts: \
                one address each, a stable TTL of 64 minus their hop count. Their countries \
                follow the spread of Mirai infections (Brazil, Vietnam, China, Colombia and \
                South Korea first; Antonakakis et al., USENIX Security 2017), and Russia, named \
                in a public claim about the attack, holds only 4% of them. Captured on two \
                VLAN-tagged uplinks that the router load-balances by source (pcapng, two \
                interfaces, microsecond and nanosecond timestamps).",
        large_factor: 900,
        build: iot_botnet_syn_flood,
    },
    Entry {
        name: "spoofed-syn-flood",
        title: "SYN flood from uniformly random spoofed IPv4 sources (bogons included), with a false flag of repeated Chinese addresses",
        story: "One machine floods a Minecraft server (TCP 25565) with bare SYNs, forging a \
                uniformly random IPv4 source and a random TTL for every packet, as \
                hping3-style tools do: about 14% of the sources fall in bogon space (multicast, \
                reserved, private, ...), most are seen once, and the TTLs fit no path. One \
                packet in fourteen forges one of 120 addresses from Chinese networks instead, \
                a false flag: those addresses repeat with different TTLs. Source addresses say \
                nothing about the origin here. Legacy pcap, little-endian, microseconds, \
                VLAN-tagged Ethernet.",
        large_factor: 1100,
        build: spoofed_syn_flood,
    },
    Entry {
        name: "dns-amplification",
        title: "DNS reflection: signed ANY answers from 120 open resolvers, each in three IPv4 fragments",
        story: "An attacker sends ANY queries for a DNSSEC-signed zone to open resolvers with \
                the victim's address as source; 120 resolvers in 19 countries send their 3.3 kB \
                answers (RRSIG, DNSKEY, TXT, ...) to the victim, a broadband customer in \
                Poland. Every answer exceeds the MTU and arrives as three IPv4 fragments; only \
                the first carries the UDP header (source port 53). The sources are genuine \
                resolvers (stable TTLs, many routers among them with an initial TTL of 255), \
                not the attacker. Captured with `tcpdump -i any` (Linux cooked v2), \
                nanosecond pcap.",
        large_factor: 700,
        build: dns_amplification,
    },
    Entry {
        name: "ntp-memcached-reflection",
        title: "NTP monlist and memcached reflection at once, with the victim's ICMP port-unreachable replies",
        story: "A game-hosting server in the United States receives two reflection vectors at \
                once: NTP mode 7 monlist replies (482-byte frames, up to 16 per reply) from 70 \
                old NTP servers and routers, and memcached UDP replies (stats output and an 8 kB \
                stored value) from 35 open memcached servers. The victim answers some of the \
                datagrams to its closed ports with ICMP port unreachable, rate-limited. Legacy \
                pcap, big-endian, microseconds, Linux cooked v2.",
        large_factor: 1000,
        build: ntp_memcached_reflection,
    },
    Entry {
        name: "http-get-flood",
        title: "HTTP GET flood over completed handshakes from 40 rented servers, 34 of them in three German hosting networks",
        story: "Forty rented servers (34 in Germany, at Hetzner, Contabo and IONOS; a few in the \
                Netherlands, France and the United States) open TCP connections to a web shop \
                in the Netherlands and send GET requests with cache-busting query strings over \
                them; the overloaded shop answers with pages or 503s. Every bot completes the \
                three-way handshake, so its address is proven, not spoofed. Real customers \
                keep visiting over HTTPS. Captured by a tap with one port per direction \
                (pcapng, two interfaces, VLAN-tagged Ethernet).",
        large_factor: 700,
        build: http_get_flood,
    },
    Entry {
        name: "two-waves",
        title: "Two attack waves a day apart (an Asian SYN botnet, then a Latin American UDP botnet) with a day of quiet traffic between",
        story: "A news site in Sweden is hit twice: on the first day a SYN flood from a botnet \
                in Asia (China, Vietnam, India, Indonesia, ...) for 90 seconds, and a day \
                later a UDP flood to port 443 from a different botnet in Latin America and the \
                United States for two minutes. Between and around the waves its readers \
                visit it as on any day. Legacy pcap, little-endian, nanoseconds, VLAN-tagged \
                Ethernet.",
        large_factor: 750,
        build: two_waves,
    },
    Entry {
        name: "ipv6-flood",
        title: "IPv6 UDP and ICMPv6 echo flood from 300 hosts in nine countries",
        story: "Three hundred IPv6 hosts, in residential networks with privacy addresses and \
                at hosting providers, flood a server in the United Kingdom with UDP to port 443 \
                and ICMPv6 echo requests. Sources are genuine: each keeps one hop limit. Legacy \
                pcap, big-endian, nanoseconds, raw IP.",
        large_factor: 1050,
        build: ipv6_flood,
    },
    Entry {
        name: "benign-baseline",
        title: "An hour of a web server's ordinary traffic: no attack",
        story: "An hour in the life of a web portal in the Netherlands: readers load pages over \
                HTTPS (and plain HTTP redirected to it), an uptime monitor pings it, it resolves \
                names and syncs its clock, ARP runs on its segment, and an administrator works \
                over SSH through a VPN tunnel with private addresses. Nothing here is an \
                attack. pcapng with two interfaces: VLAN-tagged Ethernet and the raw-IP tunnel.",
        large_factor: 1000,
        build: benign_baseline,
    },
];

/// The catalogue entry called `name`.
///
/// # Errors
/// No scenario has that name.
pub fn entry(name: &str) -> Result<&'static Entry> {
    match CATALOGUE.iter().find(|entry| entry.name == name) {
        Some(entry) => Ok(entry),
        None => bail!(
            "no scenario {name:?}; the scenarios are: {}",
            CATALOGUE
                .iter()
                .map(|e| e.name)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// What a scenario builder works with.
pub struct Context<'g> {
    geo: &'g Geo,
    settings: Settings,
    name: &'static str,
}

impl<'g> Context<'g> {
    /// A random stream of its own for each part of the scenario, so that changing one part
    /// leaves the others' draws as they were.
    fn rng(&self, stream: &str) -> Rng {
        Rng::new(self.settings.seed, &format!("{}/{stream}", self.name))
    }

    fn scaled(&self, count: u64) -> u64 {
        count * self.settings.factor.max(1)
    }

    fn start(&self, default: Time) -> Time {
        self.settings.start.unwrap_or(default)
    }

    /// An attack phase: `count` events over `span` after `offset` from the capture's start,
    /// unless the settings say otherwise.
    fn phase(&self, default_start: Time, offset: Time, count: u64, span: Time) -> Schedule {
        let span = self.settings.duration.unwrap_or(span);
        let count = match self.settings.rate {
            Some(rate) => (rate as i128 * span as i128 / SECOND as i128).max(1) as u64,
            None => self.scaled(count),
        };
        Schedule {
            start: self.start(default_start) + offset,
            span,
            count,
        }
    }

    fn hosts(
        &self,
        stream: &str,
        profile: &Profile<'_>,
        total: u64,
        weights: &[(&str, u64)],
        taken: &mut HashSet<IpAddr>,
    ) -> Result<Vec<Host<'g>>> {
        let counts = apportion(
            self.scaled(total) as usize,
            &weights.iter().map(|&(_, w)| w).collect::<Vec<_>>(),
        );
        let plan: Vec<(Country, usize)> = weights
            .iter()
            .zip(counts)
            .filter(|(_, count)| *count > 0)
            .map(|(&(code, _), count)| (Country::new(code), count))
            .collect();
        hosts::in_countries(self.geo, &mut self.rng(stream), profile, &plan, taken)
    }

    fn server(
        &self,
        stream: &str,
        family: Family,
        country: &str,
        taken: &mut HashSet<IpAddr>,
    ) -> Result<IpAddr> {
        let profile = Profile {
            family,
            style: HostStyle::Server,
            systems: LINUX,
            hops: (0, 0),
        };
        let hosts = hosts::in_countries(
            self.geo,
            &mut self.rng(stream),
            &profile,
            &[(Country::new(country), 1)],
            taken,
        )?;
        match hosts.first() {
            Some(host) => Ok(host.ip),
            None => bail!("no server address in {country}"),
        }
    }

    /// An uptime monitor (in the US), the server's resolver (DE) and NTP server (NL).
    fn services(&self, family: Family, taken: &mut HashSet<IpAddr>) -> Result<[Host<'g>; 3]> {
        let profile = Profile {
            family,
            style: HostStyle::Server,
            systems: LINUX,
            hops: (4, 12),
        };
        let mut drawn = hosts::in_countries(
            self.geo,
            &mut self.rng("services"),
            &profile,
            &[
                (Country::new("US"), 1),
                (Country::new("DE"), 1),
                (Country::new("NL"), 1),
            ],
            taken,
        )?
        .into_iter();
        match (drawn.next(), drawn.next(), drawn.next()) {
            (Some(monitor), Some(resolver), Some(time_server)) => {
                Ok([monitor, resolver, time_server])
            }
            _ => bail!("cannot draw the service hosts"),
        }
    }
}

const LINUX: &[(Os, u64)] = &[(Os::Linux, 1)];
/// Mirai's population: busybox devices, some small Linux boxes.
const IOT: &[(Os, u64)] = &[(Os::Embedded, 9), (Os::Linux, 1)];
/// Open resolvers: home routers and CPE (many with network-OS stacks), Linux and Windows DNS.
const RESOLVERS: &[(Os, u64)] = &[(Os::Router, 3), (Os::Linux, 6), (Os::Windows, 1)];
/// People on the web.
const DESKTOPS: &[(Os, u64)] = &[(Os::Windows, 5), (Os::Apple, 3), (Os::Linux, 2)];

/// 2025-03-10T13:00:00Z and other start dates, in nanoseconds.
const fn at(seconds: i64) -> Time {
    seconds * SECOND
}

fn vlan(id: u16) -> Link {
    Link::Ethernet { vlan: Some(id) }
}

fn iot_botnet_syn_flood<'g>(c: &Context<'g>) -> Result<Scene<'g>> {
    let start = at(1_741_611_600);
    let mut taken = HashSet::new();
    let victim = c.server("victim", Family::V4, "FR", &mut taken)?;
    let profile = Profile {
        family: Family::V4,
        style: HostStyle::Client,
        systems: IOT,
        hops: (9, 24),
    };
    // Weights in percent (they add up to 100).
    let bots = c.hosts(
        "bots",
        &profile,
        1_500,
        &[
            ("BR", 14),
            ("VN", 11),
            ("CN", 9),
            ("CO", 9),
            ("KR", 6),
            ("IN", 6),
            ("TW", 5),
            ("TR", 5),
            ("RU", 4),
            ("AR", 4),
            ("MX", 4),
            ("ID", 4),
            ("TH", 3),
            ("EG", 2),
            ("IR", 2),
            ("UA", 2),
            ("US", 2),
            ("PH", 1),
            ("PK", 1),
            ("IT", 1),
            ("RO", 1),
            ("MY", 1),
            ("ZA", 1),
            ("CL", 1),
            ("PE", 1),
        ],
        &mut taken,
    )?;
    let schedule = c.phase(start, 2 * SECOND, 10_000, 8 * SECOND);
    let mut rng = c.rng("flood");
    let senders = Senders::hosts(&mut rng, bots, schedule.count);
    let flood = Flood::new(
        senders,
        FloodKind::MiraiSyn,
        Target {
            ip: victim,
            port: 443,
        },
        schedule,
        Role::Attack { vector: 0, wave: 0 },
        Tap::SplitBySource,
        rng,
    );
    Ok(Scene {
        format: Format::Pcapng,
        interfaces: vec![
            Interface {
                name: "xe-0/0/1",
                description: "uplink A (SPAN, VLAN 310)",
                link: vlan(310),
                nanosecond: false,
            },
            Interface {
                name: "xe-0/0/2",
                description: "uplink B (SPAN, VLAN 311)",
                link: vlan(311),
                nanosecond: true,
            },
        ],
        vectors: vec![VectorSpec {
            kind: "syn_flood",
            protocol: "tcp",
            service_port: Some(443),
            reflection: false,
        }],
        flows: vec![Box::new(flood)],
        verdicts: Verdicts {
            spoofing: "unlikely",
            claims: vec![("country:RU".to_string(), "not_supported")],
        },
    })
}

fn spoofed_syn_flood<'g>(c: &Context<'g>) -> Result<Scene<'g>> {
    let start = at(1_742_306_400);
    let mut taken = HashSet::new();
    let victim = c.server("victim", Family::V4, "DE", &mut taken)?;
    let decoy_profile = Profile {
        family: Family::V4,
        style: HostStyle::Client,
        systems: LINUX,
        hops: (10, 20),
    };
    let decoys: Vec<IpAddr> = c
        .hosts("decoys", &decoy_profile, 120, &[("CN", 1)], &mut taken)?
        .into_iter()
        .map(|host| host.ip)
        .collect();
    let schedule = c.phase(start, SECOND, 12_000, 10 * SECOND);
    let flood = Flood::new(
        Senders::Spoofed {
            decoys,
            decoy_every: 14,
            ttl: (40, 250),
        },
        FloodKind::BareSyn,
        Target {
            ip: victim,
            port: 25_565,
        },
        schedule,
        Role::Attack { vector: 0, wave: 0 },
        Tap::One(0),
        c.rng("flood"),
    );
    Ok(Scene {
        format: Format::Pcap {
            big_endian: false,
            nanosecond: false,
        },
        interfaces: vec![Interface {
            name: "eth1",
            description: "mirror port, VLAN 42",
            link: vlan(42),
            nanosecond: false,
        }],
        vectors: vec![VectorSpec {
            kind: "syn_flood",
            protocol: "tcp",
            service_port: Some(25_565),
            reflection: false,
        }],
        flows: vec![Box::new(flood)],
        verdicts: Verdicts {
            spoofing: "likely",
            claims: vec![("country:CN".to_string(), "cannot_assess")],
        },
    })
}

fn dns_amplification<'g>(c: &Context<'g>) -> Result<Scene<'g>> {
    let start = at(1_743_415_200);
    let mut taken = HashSet::new();
    let victim = c.server("victim", Family::V4, "PL", &mut taken)?;
    let profile = Profile {
        family: Family::V4,
        style: HostStyle::Server,
        systems: RESOLVERS,
        hops: (8, 22),
    };
    let resolvers = c.hosts(
        "resolvers",
        &profile,
        120,
        &[
            ("US", 20),
            ("CN", 10),
            ("BR", 8),
            ("RU", 7),
            ("IN", 6),
            ("ID", 5),
            ("TR", 5),
            ("KR", 4),
            ("DE", 4),
            ("IT", 4),
            ("VN", 4),
            ("MX", 4),
            ("AR", 3),
            ("UA", 3),
            ("IR", 3),
            ("TW", 3),
            ("PL", 3),
            ("EG", 2),
            ("TH", 2),
        ],
        &mut taken,
    )?;
    let schedule = c.phase(start, 3 * SECOND, 400, 4 * SECOND);
    let reflection = Reflection::new(
        resolvers
            .into_iter()
            .map(|host| (host, Reflected::DnsAny))
            .collect(),
        victim,
        schedule,
        Role::Attack { vector: 0, wave: 0 },
        Tap::One(0),
        None,
        c.rng("reflection"),
    );
    Ok(Scene {
        format: Format::Pcap {
            big_endian: false,
            nanosecond: true,
        },
        interfaces: vec![Interface {
            name: "any",
            description: "tcpdump -i any",
            link: Link::LinuxSll2 { ifindex: 2 },
            nanosecond: true,
        }],
        vectors: vec![VectorSpec {
            kind: "dns_amplification",
            protocol: "udp",
            service_port: Some(53),
            reflection: true,
        }],
        flows: vec![Box::new(reflection)],
        verdicts: Verdicts {
            spoofing: "unlikely",
            claims: vec![("country:US".to_string(), "cannot_assess")],
        },
    })
}

fn ntp_memcached_reflection<'g>(c: &Context<'g>) -> Result<Scene<'g>> {
    let start = at(1_744_034_400);
    let mut taken = HashSet::new();
    let victim = c.server("victim", Family::V4, "US", &mut taken)?;
    let ntp_profile = Profile {
        family: Family::V4,
        style: HostStyle::Server,
        systems: &[(Os::Router, 4), (Os::Linux, 6)],
        hops: (8, 22),
    };
    let ntp_servers = c.hosts(
        "ntp",
        &ntp_profile,
        70,
        &[
            ("US", 18),
            ("CN", 9),
            ("RU", 7),
            ("JP", 6),
            ("KR", 6),
            ("DE", 5),
            ("BR", 5),
            ("GB", 4),
            ("FR", 4),
            ("IT", 4),
            ("PL", 3),
            ("TW", 3),
            ("VN", 3),
            ("CA", 3),
        ],
        &mut taken,
    )?;
    let memcached_profile = Profile {
        family: Family::V4,
        style: HostStyle::Server,
        systems: LINUX,
        hops: (7, 20),
    };
    let memcached_servers = c.hosts(
        "memcached",
        &memcached_profile,
        35,
        &[
            ("CN", 10),
            ("US", 9),
            ("FR", 4),
            ("HK", 3),
            ("DE", 3),
            ("NL", 2),
            ("RU", 2),
            ("SG", 2),
        ],
        &mut taken,
    )?;
    let ntp_schedule = c.phase(start, 2 * SECOND, 140, 5 * SECOND);
    let memcached_schedule = c.phase(start, 3 * SECOND, 90, 4 * SECOND);
    let mut split = c.rng("memcached-kind");
    let memcached = memcached_servers
        .into_iter()
        .map(|host| {
            let kind = if split.chance(1, 5) {
                Reflected::MemcachedGet(8_000)
            } else {
                Reflected::MemcachedStats
            };
            (host, kind)
        })
        .collect();
    let tap = Tap::One(0);
    Ok(Scene {
        format: Format::Pcap {
            big_endian: true,
            nanosecond: false,
        },
        interfaces: vec![Interface {
            name: "any",
            description: "tcpdump -i any",
            link: Link::LinuxSll2 { ifindex: 3 },
            nanosecond: false,
        }],
        vectors: vec![
            VectorSpec {
                kind: "ntp_amplification",
                protocol: "udp",
                service_port: Some(123),
                reflection: true,
            },
            VectorSpec {
                kind: "memcached_amplification",
                protocol: "udp",
                service_port: Some(11211),
                reflection: true,
            },
        ],
        flows: vec![
            Box::new(Reflection::new(
                ntp_servers
                    .into_iter()
                    .map(|host| (host, Reflected::NtpMonlist))
                    .collect(),
                victim,
                ntp_schedule,
                Role::Attack { vector: 0, wave: 0 },
                tap,
                Some(25),
                c.rng("ntp-replies"),
            )),
            Box::new(Reflection::new(
                memcached,
                victim,
                memcached_schedule,
                Role::Attack { vector: 1, wave: 0 },
                tap,
                Some(25),
                c.rng("memcached-replies"),
            )),
        ],
        verdicts: Verdicts {
            spoofing: "unlikely",
            claims: vec![("country:CN".to_string(), "cannot_assess")],
        },
    })
}

fn http_get_flood<'g>(c: &Context<'g>) -> Result<Scene<'g>> {
    let start = at(1_746_439_200);
    let mut taken = HashSet::new();
    let server = Server {
        ip: c.server("victim", Family::V4, "NL", &mut taken)?,
        name: "www.shop.example",
    };
    let rented = Profile {
        family: Family::V4,
        style: HostStyle::Server,
        systems: LINUX,
        hops: (5, 14),
    };
    let germany = Country::new("DE");
    let factor = c.settings.factor.max(1) as usize;
    let mut bots = hosts::in_asns(
        c.geo,
        &mut c.rng("bots-de"),
        &rented,
        &[
            // Hetzner Online, Contabo, IONOS.
            (24_940, germany, 16 * factor),
            (51_167, germany, 10 * factor),
            (8_560, germany, 8 * factor),
        ],
        &mut taken,
    )?;
    bots.extend(c.hosts(
        "bots-other",
        &rented,
        6,
        &[("NL", 1), ("US", 1), ("FR", 1)],
        &mut taken,
    )?);
    let visitors = c.hosts(
        "visitors",
        &Profile {
            family: Family::V4,
            style: HostStyle::Client,
            systems: DESKTOPS,
            hops: (6, 18),
        },
        30,
        &[("NL", 5), ("BE", 2), ("DE", 2), ("GB", 1)],
        &mut taken,
    )?;
    let services = c.services(Family::V4, &mut taken)?;
    let schedule = c.phase(start, 4 * SECOND, 240, 20 * SECOND);
    let tap = Tap::ByDirection {
        inbound: 0,
        outbound: 1,
    };
    let background = Schedule {
        start: c.start(start),
        span: schedule.span + 8 * SECOND,
        count: c.scaled(40),
    };
    Ok(Scene {
        format: Format::Pcapng,
        interfaces: vec![
            Interface {
                name: "tap0-rx",
                description: "network tap, toward the shop (VLAN 120)",
                link: vlan(120),
                nanosecond: true,
            },
            Interface {
                name: "tap0-tx",
                description: "network tap, from the shop (VLAN 120)",
                link: vlan(120),
                nanosecond: true,
            },
        ],
        vectors: vec![VectorSpec {
            kind: "http_flood",
            protocol: "tcp",
            service_port: Some(80),
            reflection: false,
        }],
        flows: vec![
            Box::new(HttpFlood::new(
                bots,
                server,
                schedule,
                Role::Attack { vector: 0, wave: 0 },
                tap,
                (2, 5),
                c.rng("connections"),
            )),
            Box::new(Visitors::new(
                visitors,
                services,
                server,
                background,
                Life {
                    tap,
                    tunnel: None,
                    plain_http: false,
                },
                c.rng("visits"),
            )),
        ],
        verdicts: Verdicts {
            spoofing: "unlikely",
            claims: vec![
                ("country:DE".to_string(), "supported"),
                ("country:CN".to_string(), "contradicted"),
            ],
        },
    })
}

fn two_waves<'g>(c: &Context<'g>) -> Result<Scene<'g>> {
    // 2025-06-14T08:00:00Z; the waves at 09:00 on the first day and 14:30 on the next.
    let start = at(1_749_888_000);
    let mut taken = HashSet::new();
    let server = Server {
        ip: c.server("victim", Family::V4, "SE", &mut taken)?,
        name: "news.example",
    };
    let bots = Profile {
        family: Family::V4,
        style: HostStyle::Client,
        systems: IOT,
        hops: (10, 26),
    };
    let asia = c.hosts(
        "wave-1-bots",
        &bots,
        600,
        &[
            ("CN", 30),
            ("VN", 20),
            ("IN", 15),
            ("ID", 12),
            ("TH", 8),
            ("PH", 5),
            ("BD", 5),
            ("PK", 5),
        ],
        &mut taken,
    )?;
    let americas = c.hosts(
        "wave-2-bots",
        &bots,
        500,
        &[
            ("BR", 30),
            ("AR", 15),
            ("CO", 15),
            ("MX", 15),
            ("US", 10),
            ("CL", 5),
            ("PE", 5),
            ("EC", 5),
        ],
        &mut taken,
    )?;
    let readers = c.hosts(
        "readers",
        &Profile {
            family: Family::V4,
            style: HostStyle::Client,
            systems: DESKTOPS,
            hops: (5, 16),
        },
        60,
        &[("SE", 10), ("NO", 2), ("FI", 2), ("DK", 2), ("DE", 1)],
        &mut taken,
    )?;
    let services = c.services(Family::V4, &mut taken)?;
    let first = c.phase(start, 3_600 * SECOND, 3_000, 90 * SECOND);
    let second = c.phase(start, (30 * 3_600 + 1_800) * SECOND, 3_200, 120 * SECOND);
    let mut rng = c.rng("wave-1");
    let first_senders = Senders::hosts(&mut rng, asia, first.count);
    let wave_one = Flood::new(
        first_senders,
        FloodKind::MiraiSyn,
        Target {
            ip: server.ip,
            port: 443,
        },
        first,
        Role::Attack { vector: 0, wave: 0 },
        Tap::One(0),
        rng,
    );
    let mut rng = c.rng("wave-2");
    let second_senders = Senders::hosts(&mut rng, americas, second.count);
    let wave_two = Flood::new(
        second_senders,
        FloodKind::Udp { payload: (64, 128) },
        Target {
            ip: server.ip,
            port: 443,
        },
        second,
        Role::Attack { vector: 1, wave: 1 },
        Tap::One(0),
        rng,
    );
    let background = Schedule {
        start: c.start(start),
        span: 32 * 3_600 * SECOND,
        count: c.scaled(90),
    };
    Ok(Scene {
        format: Format::Pcap {
            big_endian: false,
            nanosecond: true,
        },
        interfaces: vec![Interface {
            name: "eth0",
            description: "mirror of the front-end switch, VLAN 7",
            link: vlan(7),
            nanosecond: true,
        }],
        vectors: vec![
            VectorSpec {
                kind: "syn_flood",
                protocol: "tcp",
                service_port: Some(443),
                reflection: false,
            },
            VectorSpec {
                kind: "udp_flood",
                protocol: "udp",
                service_port: Some(443),
                reflection: false,
            },
        ],
        flows: vec![
            Box::new(wave_one),
            Box::new(wave_two),
            Box::new(Visitors::new(
                readers,
                services,
                server,
                background,
                Life {
                    tap: Tap::One(0),
                    tunnel: None,
                    plain_http: true,
                },
                c.rng("visits"),
            )),
        ],
        verdicts: Verdicts {
            spoofing: "unlikely",
            claims: vec![("country:CN".to_string(), "weakly_supported")],
        },
    })
}

fn ipv6_flood<'g>(c: &Context<'g>) -> Result<Scene<'g>> {
    let start = at(1_751_364_000);
    let mut taken = HashSet::new();
    let victim = c.server("victim", Family::V6, "GB", &mut taken)?;
    let profile = Profile {
        family: Family::V6,
        style: HostStyle::Client,
        systems: &[(Os::Linux, 5), (Os::Windows, 3), (Os::Embedded, 2)],
        hops: (8, 20),
    };
    let hosts = c.hosts(
        "hosts",
        &profile,
        300,
        &[
            ("US", 25),
            ("DE", 15),
            ("FR", 10),
            ("JP", 10),
            ("BR", 8),
            ("CN", 8),
            ("GB", 8),
            ("NL", 8),
            ("IN", 8),
        ],
        &mut taken,
    )?;
    let udp = c.phase(start, SECOND, 4_000, 5 * SECOND);
    let echo = c.phase(start, 2 * SECOND, 2_000, 4 * SECOND);
    let mut rng = c.rng("udp");
    let udp_senders = Senders::hosts(&mut rng, hosts.clone(), udp.count);
    let mut echo_rng = c.rng("echo");
    let echo_senders = Senders::hosts(&mut echo_rng, hosts, echo.count);
    Ok(Scene {
        format: Format::Pcap {
            big_endian: true,
            nanosecond: true,
        },
        interfaces: vec![Interface {
            name: "ipsec0",
            description: "raw IP capture on the scrubbing tunnel",
            link: Link::Raw,
            nanosecond: true,
        }],
        vectors: vec![
            VectorSpec {
                kind: "udp_flood",
                protocol: "udp",
                service_port: Some(443),
                reflection: false,
            },
            VectorSpec {
                kind: "icmp_flood",
                protocol: "icmpv6",
                service_port: None,
                reflection: false,
            },
        ],
        flows: vec![
            Box::new(Flood::new(
                udp_senders,
                FloodKind::Udp { payload: (64, 160) },
                Target {
                    ip: victim,
                    port: 443,
                },
                udp,
                Role::Attack { vector: 0, wave: 0 },
                Tap::One(0),
                rng,
            )),
            Box::new(Flood::new(
                echo_senders,
                FloodKind::Echo,
                Target {
                    ip: victim,
                    port: 0,
                },
                echo,
                Role::Attack { vector: 1, wave: 0 },
                Tap::One(0),
                echo_rng,
            )),
        ],
        verdicts: Verdicts {
            spoofing: "unlikely",
            claims: vec![("country:IN".to_string(), "not_supported")],
        },
    })
}

fn benign_baseline<'g>(c: &Context<'g>) -> Result<Scene<'g>> {
    let start = at(1_752_566_400);
    let mut taken = HashSet::new();
    let server = Server {
        ip: c.server("server", Family::V4, "NL", &mut taken)?,
        name: "portal.example.org",
    };
    let readers = c.hosts(
        "readers",
        &Profile {
            family: Family::V4,
            style: HostStyle::Client,
            systems: DESKTOPS,
            hops: (5, 18),
        },
        80,
        &[
            ("NL", 10),
            ("DE", 3),
            ("BE", 3),
            ("GB", 2),
            ("FR", 1),
            ("US", 1),
        ],
        &mut taken,
    )?;
    let services = c.services(Family::V4, &mut taken)?;
    let schedule = Schedule {
        start: c.start(start),
        span: c.settings.duration.unwrap_or(3_600 * SECOND),
        count: c.scaled(150),
    };
    Ok(Scene {
        format: Format::Pcapng,
        interfaces: vec![
            Interface {
                name: "eth0",
                description: "front-end NIC, VLAN 20",
                link: vlan(20),
                nanosecond: false,
            },
            Interface {
                name: "tun0",
                description: "WireGuard admin tunnel",
                link: Link::Raw,
                nanosecond: false,
            },
        ],
        vectors: Vec::new(),
        flows: vec![Box::new(Visitors::new(
            readers,
            services,
            server,
            schedule,
            Life {
                tap: Tap::One(0),
                tunnel: Some(1),
                plain_http: true,
            },
            c.rng("visits"),
        ))],
        verdicts: Verdicts {
            spoofing: "unlikely",
            claims: Vec::new(),
        },
    })
}
