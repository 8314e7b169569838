//! Ground truth: takes every frame as it was written (with the role the scenario gave it) and
//! gives the `<name>.truth.json` that states what a correct report on the capture must say,
//! keyed by the report contract's JSON paths (`totals.packets`,
//! `countries[code=DE].sources`, `vectors[kind=syn_flood].packets`, ...).
//!
//! The counts come from the frames themselves, re-read from the bytes written, not from the
//! scenario's intentions; origins come from looking each attack source up in the same
//! databases whence embeds. Definitions where the contract leaves room are stated in
//! `samples/README.md` ("Truth definitions") and follow the contract's words:
//!
//! - *sources* are the senders of attack traffic toward the victims (not the victims' replies,
//!   not benign background); shares of countries and ASNs are over non-bogon sources;
//! - *vectors* count attack packets of one kind, shares over all packets in the capture;
//! - *victims* count the attack packets each target received, one row per address and
//!   protocol, shares over attack packets;
//! - *waves* are the attack's separate bursts: first to last attack packet of each.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::{Value, json};

use super::engine::{Frame, Role, Time};
use super::geo::{Country, Geo, Origin};
use super::link::{ETHERTYPE_IPV4, ETHERTYPE_IPV6};
use super::packet::{PROTO_ICMP, PROTO_ICMPV6, PROTO_TCP, PROTO_UDP};

/// A kind of attack traffic in the scenario, as the report's `vectors[]` should name it.
#[derive(Debug, Clone, Copy)]
pub struct VectorSpec {
    pub kind: &'static str,
    pub protocol: &'static str,
    /// The victim's port for a flood, the abused service's port for reflection; `None` where
    /// there is none (ICMP, random ports).
    pub service_port: Option<u16>,
    pub reflection: bool,
}

/// What a correct assessment concludes, by the scenario's construction.
#[derive(Debug, Clone)]
pub struct Verdicts {
    /// "unlikely", "possible" or "likely".
    pub spoofing: &'static str,
    /// A claim as the report names it (`country:RU`, `asn:AS24940`) and its expected verdict.
    pub claims: Vec<(String, &'static str)>,
}

/// The code the report gives sources no database places.
const UNKNOWN: Country = Country::new("ZZ");

/// How many distinct TTLs a source keeps, as whence's `ttl_values` does.
const TTLS_KEPT: usize = 8;

#[derive(Debug, Clone, Copy, Default)]
struct SourceTally {
    packets: u64,
    bytes: u64,
    first: Time,
    last: Time,
    ttls: [u8; TTLS_KEPT],
    ttl_count: u8,
    vectors: u32,
    waves: u32,
    validated: bool,
    origin: u32,
}

#[derive(Debug, Clone, Copy, Default)]
struct Span {
    packets: u64,
    bytes: u64,
    first: Option<Time>,
    last: Time,
}

impl Span {
    fn add(&mut self, time: Time, bytes: u64) {
        self.packets += 1;
        self.bytes += bytes;
        self.first = Some(self.first.map_or(time, |first| first.min(time)));
        self.last = self.last.max(time);
    }
}

/// Attack packets to one victim address over one protocol.
#[derive(Debug, Default)]
struct VictimTally {
    span: Span,
    /// Destination ports seen; two are enough to know there is more than one.
    ports: BTreeSet<u16>,
    /// Packets without a port of their own (ICMP, non-first fragments).
    portless: u64,
}

/// The fields of an IP packet the truth needs, read back from its bytes.
struct IpFacts {
    v6: bool,
    src: IpAddr,
    dst: IpAddr,
    ttl: u8,
    protocol: u8,
    fragment: bool,
    /// Destination port, for TCP and UDP packets that carry the header.
    dst_port: Option<u16>,
}

fn read_ip(ethertype: u16, bytes: &[u8]) -> Option<IpFacts> {
    match ethertype {
        ETHERTYPE_IPV4 => {
            let header: &[u8; 20] = bytes.get(..20)?.try_into().ok()?;
            let flags_offset = u16::from_be_bytes([header[6], header[7]]);
            let more = flags_offset & 0x2000 != 0;
            let offset = flags_offset & 0x1fff;
            let protocol = header[9];
            let header_len = usize::from(header[0] & 0x0f) * 4;
            let ports = (offset == 0 && matches!(protocol, PROTO_TCP | PROTO_UDP))
                .then(|| bytes.get(header_len + 2..header_len + 4))
                .flatten()
                .map(|port| u16::from_be_bytes([port[0], port[1]]));
            Some(IpFacts {
                v6: false,
                src: IpAddr::from(<[u8; 4]>::try_from(&header[12..16]).ok()?),
                dst: IpAddr::from(<[u8; 4]>::try_from(&header[16..20]).ok()?),
                ttl: header[8],
                protocol,
                fragment: more || offset != 0,
                dst_port: ports,
            })
        }
        ETHERTYPE_IPV6 => {
            let header: &[u8; 40] = bytes.get(..40)?.try_into().ok()?;
            let protocol = header[6];
            let ports = matches!(protocol, PROTO_TCP | PROTO_UDP)
                .then(|| bytes.get(42..44))
                .flatten()
                .map(|port| u16::from_be_bytes([port[0], port[1]]));
            Some(IpFacts {
                v6: true,
                src: IpAddr::from(<[u8; 16]>::try_from(&header[8..24]).ok()?),
                dst: IpAddr::from(<[u8; 16]>::try_from(&header[24..40]).ok()?),
                ttl: header[7],
                protocol,
                fragment: false,
                dst_port: ports,
            })
        }
        _ => None,
    }
}

fn protocol_name(protocol: u8) -> &'static str {
    match protocol {
        PROTO_TCP => "tcp",
        PROTO_UDP => "udp",
        PROTO_ICMP => "icmp",
        PROTO_ICMPV6 => "icmpv6",
        _ => "other",
    }
}

/// Key of an interned origin: what the report groups by.
type OriginKey<'g> = (
    Option<Country>,
    Option<u32>,
    Option<&'static str>,
    Option<&'g str>,
);

/// Counters over every frame written.
pub struct Tally<'g> {
    geo: &'g Geo,
    vectors: Vec<VectorSpec>,
    total: Span,
    ipv4: u64,
    ipv6: u64,
    non_ip: u64,
    fragments: u64,
    /// Frames per role: attack, reply, benign.
    roles: [u64; 3],
    attack: Span,
    sources: HashMap<IpAddr, SourceTally>,
    origins: Vec<Origin<'g>>,
    origin_index: HashMap<OriginKey<'g>, u32>,
    vector_spans: Vec<Span>,
    wave_spans: BTreeMap<u8, Span>,
    victims: BTreeMap<(IpAddr, u8), VictimTally>,
}

impl<'g> Tally<'g> {
    pub fn new(geo: &'g Geo, vectors: &[VectorSpec]) -> Tally<'g> {
        Tally {
            geo,
            vectors: vectors.to_vec(),
            total: Span::default(),
            ipv4: 0,
            ipv6: 0,
            non_ip: 0,
            fragments: 0,
            roles: [0; 3],
            attack: Span::default(),
            sources: HashMap::new(),
            origins: Vec::new(),
            origin_index: HashMap::new(),
            vector_spans: vec![Span::default(); vectors.len()],
            wave_spans: BTreeMap::new(),
            victims: BTreeMap::new(),
        }
    }

    /// Counts one frame written at `time` (as stored) with `wire_len` bytes on the wire.
    ///
    /// # Errors
    /// A database record does not decode.
    pub fn observe(&mut self, time: Time, wire_len: usize, frame: &Frame) -> anyhow::Result<()> {
        let bytes = wire_len as u64;
        self.total.add(time, bytes);
        let role_index = match frame.meta.role {
            Role::Attack { .. } => 0,
            Role::Reply => 1,
            Role::Benign => 2,
        };
        if let Some(count) = self.roles.get_mut(role_index) {
            *count += 1;
        }
        let Some(ip) = read_ip(frame.ethertype, &frame.bytes) else {
            self.non_ip += 1;
            return Ok(());
        };
        if ip.v6 {
            self.ipv6 += 1;
        } else {
            self.ipv4 += 1;
        }
        if ip.fragment {
            self.fragments += 1;
        }
        let Role::Attack { vector, wave } = frame.meta.role else {
            return Ok(());
        };
        self.attack.add(time, bytes);
        if let Some(span) = self.vector_spans.get_mut(usize::from(vector)) {
            span.add(time, bytes);
        }
        self.wave_spans.entry(wave).or_default().add(time, bytes);
        let victim = self.victims.entry((ip.dst, ip.protocol)).or_default();
        victim.span.add(time, bytes);
        match ip.dst_port {
            Some(port) if victim.ports.len() < 2 || victim.ports.contains(&port) => {
                victim.ports.insert(port);
            }
            Some(_) => {}
            None => victim.portless += 1,
        }

        if !self.sources.contains_key(&ip.src) {
            let origin = self.geo.origin(ip.src)?;
            let key = (origin.country, origin.asn, origin.bogon, origin.org);
            let next = self.origins.len() as u32;
            let index = *self.origin_index.entry(key).or_insert(next);
            if index == next {
                self.origins.push(origin);
            }
            self.sources.insert(
                ip.src,
                SourceTally {
                    first: time,
                    origin: index,
                    ..SourceTally::default()
                },
            );
        }
        if let Some(source) = self.sources.get_mut(&ip.src) {
            source.packets += 1;
            source.bytes += bytes;
            source.first = source.first.min(time);
            source.last = source.last.max(time);
            source.vectors |= 1 << vector.min(31);
            source.waves |= 1 << wave.min(31);
            source.validated |= frame.meta.completes_handshake;
            let count = usize::from(source.ttl_count);
            if !source.ttls[..count.min(TTLS_KEPT)].contains(&ip.ttl) {
                if count < TTLS_KEPT {
                    source.ttls[count] = ip.ttl;
                }
                source.ttl_count = source.ttl_count.saturating_add(1);
            }
        }
        Ok(())
    }

    pub fn packets(&self) -> u64 {
        self.total.packets
    }

    pub fn role_counts(&self) -> [u64; 3] {
        self.roles
    }

    fn origin(&self, source: &SourceTally) -> Origin<'g> {
        self.origins
            .get(source.origin as usize)
            .copied()
            .unwrap_or(Origin {
                country: None,
                asn: None,
                org: None,
                bogon: None,
            })
    }

    /// The expectations, in the order the report's sections come.
    pub fn expectations(&self, capture: &CaptureFacts, verdicts: &Verdicts) -> Expectations {
        let mut expect = Expectations::default();
        let resolution = capture.resolution;
        let time = |t: Time| Value::String(rfc3339(t, resolution));

        let input = "inputs[0]";
        expect.put(format!("{input}.sha256"), json!(capture.sha256));
        expect.put(format!("{input}.bytes"), json!(capture.bytes));
        expect.put(format!("{input}.format"), json!(capture.format));
        expect.put(format!("{input}.compression"), json!("none"));
        expect.put(format!("{input}.link_types"), json!(capture.link_types));
        expect.put(format!("{input}.packets"), json!(self.total.packets));
        if let Some(first) = self.total.first {
            expect.put(format!("{input}.first_seen"), time(first));
            expect.put(format!("{input}.last_seen"), time(self.total.last));
        }
        expect.put(format!("{input}.truncated"), json!(false));
        expect.put(
            format!("{input}.interface_drops"),
            json!(capture.interface_drops),
        );
        expect.put(format!("{input}.warnings"), json!([]));
        expect.put(format!("{input}.error"), Value::Null);

        expect.put("totals.packets", json!(self.total.packets));
        expect.put("totals.bytes", json!(self.total.bytes));
        expect.put("totals.ipv4_packets", json!(self.ipv4));
        expect.put("totals.ipv6_packets", json!(self.ipv6));
        expect.put("totals.non_ip_packets", json!(self.non_ip));
        expect.put("totals.undecodable_packets", json!(0));
        expect.put("totals.fragments", json!(self.fragments));
        if let Some(first) = self.total.first {
            expect.put("totals.first_seen", time(first));
            expect.put("totals.last_seen", time(self.total.last));
            expect.put("totals.duration_s", json!(seconds(self.total.last - first)));
        }

        let attacked = !self.sources.is_empty();
        expect.put("summary.attack_detected", json!(attacked));
        if attacked {
            self.origin_expectations(&mut expect, &time);
            self.victim_expectations(&mut expect);
            self.vector_expectations(&mut expect, &time);
        } else {
            expect.put("summary.top_vector", Value::Null);
            expect.put("victims.#", json!(0));
        }
        self.spoofing_expectations(&mut expect, verdicts);
        self.wave_expectations(&mut expect, &time);
        for (claim, verdict) in &verdicts.claims {
            let key = format!("attribution.claims[claim={claim}]");
            if let Some(share) = self.claim_share(claim) {
                expect.put(format!("{key}.share_sources"), json!(share));
            }
            expect.put(format!("{key}.verdict"), json!(verdict));
        }
        // Packets show where traffic came from, never who sent it.
        expect.put("attribution.actor.assessable", json!(false));
        expect
    }

    /// Sources, countries and ASNs of the attack traffic.
    fn origin_expectations(&self, expect: &mut Expectations, time: &dyn Fn(Time) -> Value) {
        let mut v4 = 0u64;
        let mut prefixes: Vec<u128> = Vec::with_capacity(self.sources.len());
        let mut bogon_sources = 0u64;
        let mut bogon_packets = 0u64;
        let mut classes: BTreeMap<&str, u64> = BTreeMap::new();
        let mut without_asn = 0u64;
        let mut located = Group::default();
        let mut countries: BTreeMap<Country, Group> = BTreeMap::new();
        let mut asns: BTreeMap<u32, AsnGroup<'_>> = BTreeMap::new();
        let mut validated = 0u64;
        for (address, source) in &self.sources {
            let prefix = match address {
                IpAddr::V4(v4_address) => {
                    v4 += 1;
                    u128::from(v4_address.to_bits() >> 8)
                }
                IpAddr::V6(v6_address) => (1 << 127) | (v6_address.to_bits() >> 80),
            };
            prefixes.push(prefix);
            validated += u64::from(source.validated);
            let origin = self.origin(source);
            if let Some(class) = origin.bogon {
                bogon_sources += 1;
                bogon_packets += source.packets;
                *classes.entry(class).or_default() += 1;
                continue;
            }
            located.add(source);
            let code = origin.country.unwrap_or(UNKNOWN);
            countries.entry(code).or_default().add(source);
            match origin.asn {
                Some(asn) => {
                    let entry = asns.entry(asn).or_default();
                    entry.group.add(source);
                    *entry.countries.entry(code).or_default() += 1;
                    // An AS may carry differently spelt names on different networks; the name
                    // is that of its lowest source address, as whence enriches sources in
                    // address order, and so that the truth does not depend on hash order.
                    if entry.lowest.is_none_or(|lowest| *address < lowest) {
                        entry.lowest = Some(*address);
                        entry.org = origin.org;
                    }
                }
                None => without_asn += 1,
            }
        }
        prefixes.sort_unstable();
        prefixes.dedup();
        let unique = self.sources.len() as u64;
        let mut per_source: Vec<u64> = self.sources.values().map(|s| s.packets).collect();
        per_source.sort_unstable();

        expect.put("sources.unique", json!(unique));
        expect.put("sources.unique_ipv4", json!(v4));
        expect.put("sources.unique_ipv6", json!(unique - v4));
        expect.put("sources.unique_prefixes", json!(prefixes.len()));
        expect.put("sources.unique_asns", json!(asns.len()));
        expect.put(
            "sources.unique_countries",
            json!(countries.keys().filter(|&&code| code != UNKNOWN).count()),
        );
        expect.put("sources.without_asn", json!(without_asn));
        expect.put("sources.bogons.sources", json!(bogon_sources));
        expect.put("sources.bogons.packets", json!(bogon_packets));
        expect.put("sources.bogons.classes", json!(classes));
        let single = per_source.iter().filter(|&&p| p == 1).count() as u64;
        expect.put("sources.single_packet_share", json!(ratio(single, unique)));
        expect.put(
            "sources.packets_per_source.median",
            json!(round6(quantile(&per_source, 0.5))),
        );
        expect.put(
            "sources.packets_per_source.p90",
            json!(round6(quantile(&per_source, 0.9))),
        );
        expect.put(
            "sources.packets_per_source.max",
            json!(per_source.last().copied().unwrap_or(0)),
        );
        let (bits, normalized) = entropy(&per_source);
        expect.put("sources.entropy_bits", json!(bits));
        expect.put("sources.entropy_normalized", json!(normalized));
        // Over located countries: "ZZ" is no country (docs/METHOD.md leaves the choice to the
        // report; whence's report/diversity.rs leaves it out).
        let by_country: Vec<u64> = countries
            .iter()
            .filter(|(code, _)| **code != UNKNOWN)
            .map(|(_, g)| g.sources)
            .collect();
        let (country_entropy, _) = entropy(&by_country);
        expect.put("sources.country_entropy_bits", json!(country_entropy));
        expect.put(
            "sources.effective_countries",
            json!(round6(2f64.powf(country_entropy))),
        );
        expect.put("sources.country_hhi", json!(hhi(&by_country)));
        expect.put("sources.gini_packets", json!(gini(&per_source)));
        let top_ten: u64 = per_source.iter().rev().take(10).sum();
        expect.put(
            "sources.top_share_10",
            json!(ratio(top_ten, self.attack.packets)),
        );
        expect.put("sources.exact", json!(true));
        expect.put("sources.validated", json!(validated));

        // The busiest sources: only those sure to be in the report's default top 20 whatever
        // its tie-breaking (strictly more packets than the 21st), at most five.
        let busiest_first = |a: &(&IpAddr, &SourceTally), b: &(&IpAddr, &SourceTally)| {
            b.1.packets.cmp(&a.1.packets).then(a.0.cmp(b.0))
        };
        let mut ranked: Vec<(&IpAddr, &SourceTally)> = self.sources.iter().collect();
        // Only the first 21 matter: select them in linear time (a large spoofed flood has
        // millions of sources), then sort those.
        if ranked.len() > 21 {
            ranked.select_nth_unstable_by(21, busiest_first);
            ranked.truncate(21);
        }
        ranked.sort_by(busiest_first);
        let cutoff = ranked.get(20).map_or(0, |(_, s)| s.packets);
        if let (Some(first), second) = (ranked.first(), ranked.get(1))
            && second.is_none_or(|(_, s)| s.packets < first.1.packets)
        {
            expect.put("sources.top[0].ip", json!(first.0.to_string()));
        }
        for (address, source) in ranked.iter().take(5).filter(|(_, s)| s.packets > cutoff) {
            let key = format!("sources.top[ip={address}]");
            let origin = self.origin(source);
            expect.put(format!("{key}.packets"), json!(source.packets));
            expect.put(format!("{key}.bytes"), json!(source.bytes));
            expect.put(
                format!("{key}.country"),
                json!(origin.country.as_ref().map(|c| c.as_str())),
            );
            expect.put(format!("{key}.asn"), json!(origin.asn));
            expect.put(format!("{key}.as_org"), json!(origin.org));
            let kept = usize::from(source.ttl_count).min(TTLS_KEPT);
            expect.put(format!("{key}.ttl_values"), json!(&source.ttls[..kept]));
            expect.put(format!("{key}.first_seen"), time(source.first));
            expect.put(format!("{key}.last_seen"), time(source.last));
        }

        let mut country_rows: Vec<(&str, &Group)> =
            countries.iter().map(|(c, g)| (c.as_str(), g)).collect();
        country_rows.sort_by(|a, b| {
            (b.1.sources, b.1.packets)
                .cmp(&(a.1.sources, a.1.packets))
                .then(a.0.cmp(b.0))
        });
        expect.put("countries.#", json!(country_rows.len()));
        if let (Some(first), second) = (country_rows.first(), country_rows.get(1))
            && second.is_none_or(|(_, g)| g.sources < first.1.sources)
        {
            expect.put("countries[0].code", json!(first.0));
        }
        for (code, group) in &country_rows {
            let key = format!("countries[code={code}]");
            expect.put(format!("{key}.sources"), json!(group.sources));
            expect.put(format!("{key}.validated"), json!(group.validated));
            expect.put(format!("{key}.packets"), json!(group.packets));
            expect.put(format!("{key}.bytes"), json!(group.bytes));
            expect.put(
                format!("{key}.share_sources"),
                json!(ratio(group.sources, located.sources)),
            );
            expect.put(
                format!("{key}.share_packets"),
                json!(ratio(group.packets, located.packets)),
            );
            expect.put(
                format!("{key}.share_bytes"),
                json!(ratio(group.bytes, located.bytes)),
            );
        }

        let mut asn_rows: Vec<(u32, &AsnGroup<'_>)> =
            asns.iter().map(|(asn, row)| (*asn, row)).collect();
        asn_rows.sort_by(|a, b| {
            (b.1.group.sources, b.1.group.packets)
                .cmp(&(a.1.group.sources, a.1.group.packets))
                .then(a.0.cmp(&b.0))
        });
        expect.put("asns.#", json!(asn_rows.len()));
        // Every ASN row would make a spoofed flood's truth longer than its capture; the 30
        // largest show the pattern.
        for (asn, row) in asn_rows.iter().take(30) {
            let (group, by_country, org) = (&row.group, &row.countries, row.org);
            let key = format!("asns[asn={asn}]");
            // Where most of its sources are; ties to the smaller code, as whence breaks them.
            let country = by_country
                .iter()
                .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
                .map_or("ZZ", |(code, _)| code.as_str());
            expect.put(format!("{key}.org"), json!(org));
            expect.put(format!("{key}.country"), json!(country));
            expect.put(format!("{key}.sources"), json!(group.sources));
            expect.put(format!("{key}.validated"), json!(group.validated));
            expect.put(format!("{key}.packets"), json!(group.packets));
            expect.put(format!("{key}.bytes"), json!(group.bytes));
            expect.put(
                format!("{key}.share_sources"),
                json!(ratio(group.sources, located.sources)),
            );
            expect.put(
                format!("{key}.share_packets"),
                json!(ratio(group.packets, located.packets)),
            );
        }
    }

    /// One row per victim address and protocol, as the contract's `victims[]` rows carry a
    /// port and a protocol; the port is the one port all of the row's packets went to, or
    /// null when they spread over ports or carry none (ICMP, later fragments).
    fn victim_expectations(&self, expect: &mut Expectations) {
        // With benign traffic to the same host, a report may list rows of it too.
        if self.roles[1] + self.roles[2] == 0 {
            expect.put("victims.#", json!(self.victims.len()));
        }
        for ((address, protocol), victim) in &self.victims {
            let protocol = protocol_name(*protocol);
            let key = format!("victims[ip={address},protocol={protocol}]");
            let port = match (victim.portless, victim.ports.len()) {
                (0, 1) => victim.ports.first().copied(),
                _ => None,
            };
            expect.put(format!("{key}.port"), json!(port));
            expect.put(format!("{key}.packets"), json!(victim.span.packets));
            expect.put(format!("{key}.bytes"), json!(victim.span.bytes));
            expect.put(
                format!("{key}.share_packets"),
                json!(ratio(victim.span.packets, self.attack.packets)),
            );
        }
    }

    fn vector_expectations(&self, expect: &mut Expectations, time: &dyn Fn(Time) -> Value) {
        let only_attack = self.roles[1] + self.roles[2] == 0;
        let present: Vec<(usize, &VectorSpec, &Span)> = self
            .vectors
            .iter()
            .zip(&self.vector_spans)
            .enumerate()
            .filter(|(_, (_, span))| span.packets > 0)
            .map(|(index, (spec, span))| (index, spec, span))
            .collect();
        // Without other traffic a correct report lists exactly these vectors; with it, it
        // may add a benign_or_unknown row.
        if only_attack {
            expect.put("vectors.#", json!(present.len()));
        }
        for (index, spec, span) in &present {
            let key = format!("vectors[kind={}]", spec.kind);
            let sources = self
                .sources
                .values()
                .filter(|s| s.vectors & (1 << index) != 0)
                .count();
            expect.put(format!("{key}.protocol"), json!(spec.protocol));
            expect.put(format!("{key}.service_port"), json!(spec.service_port));
            expect.put(format!("{key}.packets"), json!(span.packets));
            expect.put(format!("{key}.bytes"), json!(span.bytes));
            expect.put(format!("{key}.sources"), json!(sources));
            expect.put(
                format!("{key}.share_packets"),
                json!(ratio(span.packets, self.total.packets)),
            );
            expect.put(
                format!("{key}.share_bytes"),
                json!(ratio(span.bytes, self.total.bytes)),
            );
            expect.put(format!("{key}.reflection"), json!(spec.reflection));
            if let Some(first) = span.first {
                expect.put(format!("{key}.first_seen"), time(first));
                expect.put(format!("{key}.last_seen"), time(span.last));
            }
        }
        // The top vector is only stated when one leads in packets and in bytes alike, and
        // strictly: a tie or a split leaves it to the report's own rule.
        let mut by_packets: Vec<&(usize, &VectorSpec, &Span)> = present.iter().collect();
        by_packets.sort_by_key(|(_, _, span)| std::cmp::Reverse(span.packets));
        let by_bytes = present.iter().max_by_key(|(_, _, span)| span.bytes);
        if let (Some(first), Some(bytes_leader)) = (by_packets.first(), by_bytes)
            && by_packets
                .get(1)
                .is_none_or(|second| second.2.packets < first.2.packets)
            && first.0 == bytes_leader.0
        {
            expect.put("summary.top_vector", json!(first.1.kind));
        }
        expect.put(
            "summary.reflection",
            json!(present.iter().all(|(_, spec, _)| spec.reflection)),
        );
    }

    fn spoofing_expectations(&self, expect: &mut Expectations, verdicts: &Verdicts) {
        expect.put(
            "summary.spoofing_likely",
            json!(verdicts.spoofing == "likely"),
        );
        expect.put("spoofing.verdict", json!(verdicts.spoofing));
        if self.sources.is_empty() {
            return;
        }
        let unique = self.sources.len() as u64;
        let bogons = self
            .sources
            .values()
            .filter(|s| self.origin(s).bogon.is_some())
            .count() as u64;
        let single = self.sources.values().filter(|s| s.packets == 1).count() as u64;
        let inconsistent = self
            .sources
            .values()
            .filter(|s| ttl_inconsistent(s))
            .count() as u64;
        expect.put("spoofing.bogon_source_share", json!(ratio(bogons, unique)));
        expect.put(
            "spoofing.single_packet_source_share",
            json!(ratio(single, unique)),
        );
        expect.put(
            "spoofing.ttl_inconsistent_source_share",
            json!(ratio(inconsistent, unique)),
        );
    }

    fn wave_expectations(&self, expect: &mut Expectations, time: &dyn Fn(Time) -> Value) {
        expect.put("waves.#", json!(self.wave_spans.len()));
        for (index, (wave, span)) in self.wave_spans.iter().enumerate() {
            let Some(first) = span.first else {
                continue;
            };
            let key = format!("waves[{index}]");
            expect.put(format!("{key}.start"), time(first));
            expect.put(format!("{key}.end"), time(span.last));
            expect.put(
                format!("{key}.duration_s"),
                json!(seconds(span.last - first)),
            );
            expect.put(format!("{key}.packets"), json!(span.packets));
            expect.put(format!("{key}.bytes"), json!(span.bytes));
            let members: Vec<&SourceTally> = self
                .sources
                .values()
                .filter(|s| s.waves & (1 << wave) != 0)
                .collect();
            expect.put(format!("{key}.sources"), json!(members.len()));
            let mut countries: BTreeMap<Country, u64> = BTreeMap::new();
            let mut located = 0u64;
            for source in &members {
                let origin = self.origin(source);
                if origin.bogon.is_none() {
                    located += 1;
                    *countries
                        .entry(origin.country.unwrap_or(UNKNOWN))
                        .or_default() += 1;
                }
            }
            let mut rows: Vec<(&str, u64)> = countries
                .iter()
                .map(|(code, count)| (code.as_str(), *count))
                .collect();
            rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            if let (Some(top), second) = (rows.first(), rows.get(1))
                && second.is_none_or(|s| s.1 < top.1)
            {
                expect.put(format!("{key}.top_countries[0].code"), json!(top.0));
            }
            for (code, count) in rows.iter().take(3) {
                expect.put(
                    format!("{key}.top_countries[code={code}].share_sources"),
                    json!(ratio(*count, located)),
                );
            }
        }
    }

    /// The share of located attack sources a claim (`country:XX`, `asn:ASn`) covers.
    fn claim_share(&self, claim: &str) -> Option<f64> {
        let (kind, value) = claim.split_once(':')?;
        let mut located = 0u64;
        let mut matching = 0u64;
        for source in self.sources.values() {
            let origin = self.origin(source);
            if origin.bogon.is_some() {
                continue;
            }
            located += 1;
            let hit = match kind {
                "country" => origin.country.as_ref().map(|c| c.as_str()) == Some(value),
                "asn" => origin.asn.map(|asn| format!("AS{asn}")).as_deref() == Some(value),
                _ => false,
            };
            matching += u64::from(hit);
        }
        (located > 0).then(|| ratio(matching, located))
    }
}

#[derive(Debug, Default)]
struct Group {
    sources: u64,
    validated: u64,
    packets: u64,
    bytes: u64,
}

impl Group {
    fn add(&mut self, source: &SourceTally) {
        self.sources += 1;
        self.validated += u64::from(source.validated);
        self.packets += source.packets;
        self.bytes += source.bytes;
    }
}

/// An autonomous system's sources: counts, their countries, its organisation.
#[derive(Debug, Default)]
struct AsnGroup<'g> {
    group: Group,
    countries: BTreeMap<Country, u64>,
    org: Option<&'g str>,
    lowest: Option<IpAddr>,
}

/// Facts about the written file.
pub struct CaptureFacts {
    pub sha256: String,
    pub bytes: u64,
    pub format: &'static str,
    pub link_types: Vec<&'static str>,
    /// `Some(0)` for pcapng with statistics blocks, `None` for pcap (which cannot say).
    pub interface_drops: Option<u64>,
    /// Digits of fraction the timestamps have: 6 or 9.
    pub resolution: u32,
}

/// Truth keys and values in the order they are written.
#[derive(Debug, Default)]
pub struct Expectations {
    entries: Vec<(String, Value)>,
}

impl Expectations {
    fn put(&mut self, key: impl Into<String>, value: Value) {
        self.entries.push((key.into(), value));
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }
}

impl Serialize for Expectations {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.entries.len()))?;
        for (key, value) in &self.entries {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// Rounded to six decimals: values computed with `log2` or `powf` may differ in the last bit
/// between C libraries, and the truth files must come out the same everywhere.
fn round6(value: f64) -> f64 {
    (value * 1e6).round() / 1e6
}

fn seconds(nanoseconds: Time) -> f64 {
    nanoseconds as f64 / 1e9
}

/// The `q` quantile of `sorted` (ascending), interpolating linearly between the two nearest
/// ranks: Hyndman and Fan's definition 7, the one docs/METHOD.md gives for
/// `packets_per_source`.
fn quantile(sorted: &[u64], q: f64) -> f64 {
    let Some(&last) = sorted.last() else {
        return 0.0;
    };
    let h = (sorted.len() - 1) as f64 * q;
    let low = h.floor() as usize;
    let below = sorted.get(low).copied().unwrap_or(last) as f64;
    let above = sorted.get(low + 1).copied().unwrap_or(last) as f64;
    below + (h - low as f64) * (above - below)
}

/// The initial TTL a packet most likely left with: the smallest of the values systems use
/// (32, 64, 128, 255) at or above the observed one (docs/METHOD.md, after Jin, Wang and Shin,
/// "Hop-Count Filtering", ACM CCS 2003).
fn initial_ttl(ttl: u8) -> u8 {
    [32, 64, 128].into_iter().find(|&i| ttl <= i).unwrap_or(255)
}

/// Whether a source's TTLs cannot come from one host on one route: different initial-TTL
/// families, hop counts more than 3 apart, or more than `TTLS_KEPT` distinct values
/// (docs/METHOD.md, "TTL-inconsistent sources").
fn ttl_inconsistent(source: &SourceTally) -> bool {
    let kept = &source.ttls[..usize::from(source.ttl_count).min(TTLS_KEPT)];
    let Some(&first) = kept.first() else {
        return false;
    };
    if usize::from(source.ttl_count) > TTLS_KEPT {
        return true;
    }
    let family = initial_ttl(first);
    if kept.iter().any(|&ttl| initial_ttl(ttl) != family) {
        return true;
    }
    let hops = kept.iter().map(|&ttl| family - ttl);
    let (low, high) = hops.fold((u8::MAX, 0), |(l, h), hop| (l.min(hop), h.max(hop)));
    high - low > 3
}

/// Shannon entropy in bits of the distribution given by `counts`, and that over its maximum
/// (log2 of the number of non-zero entries; 0 for one entry).
fn entropy(counts: &[u64]) -> (f64, f64) {
    let total: u64 = counts.iter().sum();
    if total == 0 {
        return (0.0, 0.0);
    }
    let bits: f64 = counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / total as f64;
            -p * p.log2()
        })
        .sum();
    let n = counts.iter().filter(|&&c| c > 0).count();
    let normalized = if n > 1 { bits / (n as f64).log2() } else { 0.0 };
    (round6(bits), round6(normalized))
}

/// Herfindahl-Hirschman index: the sum of squared shares.
fn hhi(counts: &[u64]) -> f64 {
    let total: u64 = counts.iter().sum();
    if total == 0 {
        return 0.0;
    }
    round6(
        counts
            .iter()
            .map(|&c| {
                let share = c as f64 / total as f64;
                share * share
            })
            .sum(),
    )
}

/// Gini coefficient of `sorted` (ascending): 0 when every source sends the same, toward 1
/// when one sends nearly all.
fn gini(sorted: &[u64]) -> f64 {
    let n = sorted.len() as f64;
    let total: u64 = sorted.iter().sum();
    if sorted.is_empty() || total == 0 {
        return 0.0;
    }
    let weighted: f64 = sorted
        .iter()
        .enumerate()
        .map(|(i, &x)| (i as f64 + 1.0) * x as f64)
        .sum();
    round6(2.0 * weighted / (n * total as f64) - (n + 1.0) / n)
}

/// RFC 3339 in UTC with `digits` of fraction, trailing zero groups of three dropped (as
/// whence writes times).
pub fn rfc3339(time: Time, digits: u32) -> String {
    let seconds = time.div_euclid(1_000_000_000);
    let nanos = time.rem_euclid(1_000_000_000);
    let days = seconds.div_euclid(86_400);
    let of_day = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let mut text = format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    );
    let mut fraction = format!("{nanos:09}");
    fraction.truncate(digits as usize);
    while fraction.ends_with("000") {
        fraction.truncate(fraction.len() - 3);
    }
    if !fraction.is_empty() {
        text.push('.');
        text.push_str(&fraction);
    }
    text.push('Z');
    text
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to (year, month, day).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_print_as_whence_prints_them() {
        assert_eq!(rfc3339(0, 6), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339(1_741_611_600_250_000_000, 9),
            "2025-03-10T13:00:00.250Z"
        );
        assert_eq!(
            rfc3339(1_495_451_029_466_717_000, 6),
            "2017-05-22T11:03:49.466717Z"
        );
        assert_eq!(
            rfc3339(951_782_400_000_000_001, 9),
            "2000-02-29T00:00:00.000000001Z"
        );
    }

    #[test]
    fn statistics_follow_their_definitions() {
        assert_eq!(quantile(&[1, 2, 3, 10], 0.5), 2.5);
        assert_eq!(quantile(&[1, 2, 9], 0.5), 2.0);
        assert!((quantile(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9) - 9.1).abs() < 1e-9);
        let source = |ttls: &[u8]| {
            let mut tally = SourceTally {
                ttl_count: ttls.len() as u8,
                ..SourceTally::default()
            };
            tally.ttls[..ttls.len().min(TTLS_KEPT)]
                .copy_from_slice(&ttls[..ttls.len().min(TTLS_KEPT)]);
            tally
        };
        assert!(!ttl_inconsistent(&source(&[52, 50])));
        assert!(ttl_inconsistent(&source(&[52, 48])));
        assert!(ttl_inconsistent(&source(&[60, 120])));
        assert_eq!(entropy(&[1, 1, 1, 1]), (2.0, 1.0));
        assert_eq!(hhi(&[1, 1]), 0.5);
        assert_eq!(gini(&[5, 5, 5]), 0.0);
        assert!(gini(&[0, 0, 0, 100]) > 0.7);
    }
}
