//! Per-source counters: for every source address, its packets, bytes, time span and the TTLs
//! it was seen with. One hash-map update per packet; enrichment later runs once per entry.
//!
//! The map's hasher is seeded per process (foldhash): source addresses are chosen by the
//! attacker, and a fixed hash would let a crafted capture degrade every insert to a scan.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use rayon::prelude::*;

use super::address_index::{Ipv4Index, Lookup};
use super::sketch::{HeavyHitters, SourceCardinality};
use super::vectors::VectorKind;

use crate::decode::Packet;
use crate::timestamp::TimeSpan;

/// How many distinct TTLs are kept per source; more than a handful already says "many".
pub const MAX_TTLS_PER_SOURCE: usize = 8;

/// Distinct TTL values in order of first sight, at most `MAX_TTLS_PER_SOURCE`.
///
/// Nine bytes: the count and the overflow flag share one, which keeps `SourceStats` at 64
/// bytes (one cache line) instead of 72, for millions of sources.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TtlSet {
    values: [u8; MAX_TTLS_PER_SOURCE],
    /// How many of `values` are set (low bits), and `OVERFLOWED`.
    len_and_flag: u8,
}

/// More distinct values were seen than are kept.
const OVERFLOWED: u8 = 0x80;

impl TtlSet {
    fn len(&self) -> usize {
        usize::from(self.len_and_flag & !OVERFLOWED)
    }

    pub fn insert(&mut self, ttl: u8) {
        // Full and overflowed: no value can change it (most sources of a spoofed flood).
        if self.is_saturated() {
            return;
        }
        let len = self.len();
        let known = self.values.get(..len).unwrap_or_default();
        if known.contains(&ttl) {
            return;
        }
        match self.values.get_mut(len) {
            Some(slot) => {
                *slot = ttl;
                self.len_and_flag += 1;
            }
            None => self.len_and_flag |= OVERFLOWED,
        }
    }

    pub fn values(&self) -> &[u8] {
        self.values.get(..self.len()).unwrap_or_default()
    }

    pub fn overflowed(&self) -> bool {
        self.len_and_flag & OVERFLOWED != 0
    }

    fn is_saturated(&self) -> bool {
        self.len() == MAX_TTLS_PER_SOURCE && self.overflowed()
    }

    pub fn merge(&mut self, other: &TtlSet) {
        if self.is_saturated() {
            return;
        }
        for &ttl in other.values() {
            self.insert(ttl);
        }
        if other.overflowed() {
            self.len_and_flag |= OVERFLOWED;
        }
    }
}

/// One source's counters: 64 bytes, laid out in the order declared (`repr(C)`, no padding),
/// so that `SourceTable::warm` knows which fields open and close a record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[repr(C)]
pub struct SourceStats {
    pub packets: u64,
    pub bytes: u64,
    pub span: TimeSpan,
    /// The vectors (`VectorKind::bit`) this source's packets were counted under.
    pub vectors: u32,
    pub ttls: TtlSet,
    /// Where this source sent its first packet, and whether it sent to other addresses too:
    /// enough to tell, once the victims are known, whether it took part in the attack.
    pub first_destination: Option<IpAddr>,
    /// Completed a TCP handshake (see `handshakes`): the address is genuine.
    pub validated: bool,
    pub other_destinations: bool,
}

impl SourceStats {
    pub fn merge(&mut self, other: &SourceStats) {
        self.packets += other.packets;
        self.bytes += other.bytes;
        self.span.merge(&other.span);
        self.ttls.merge(&other.ttls);
        self.validated |= other.validated;
        self.vectors |= other.vectors;
        if self.validated {
            // As in `Aggregate::observe`: a completed handshake takes back the SYN-flood count
            // of the source's earlier SYNs, and later ones are never counted as such.
            self.vectors &= !VectorKind::SynFlood.bit();
        }
        match (self.first_destination, other.first_destination) {
            (None, theirs) => self.first_destination = theirs,
            (Some(mine), Some(theirs)) if mine != theirs => self.other_destinations = true,
            _ => {}
        }
        self.other_destinations |= other.other_destinations;
    }
}

/// Distinct sources kept exactly by default (`--max-sources`): 16.8 million, about 1.3 GB of
/// per-source state while reading and 3 GB at the report's peak, above the 10 million the
/// project promises to count exactly.
pub const DEFAULT_SOURCE_CAP: usize = 1 << 24;

/// Counters past the cap, where sources are no longer kept one by one: a HyperLogLog of the
/// distinct new addresses, a Space-Saving summary of the busiest of them, and their totals.
/// Fixed size whatever the capture holds, and mergeable like the table.
#[derive(Debug, Clone)]
pub struct BeyondCap {
    pub distinct: SourceCardinality,
    pub busiest: HeavyHitters,
    pub packets: u64,
    pub bytes: u64,
}

/// Sources past the cap whose counts the heavy-hitters summary keeps.
pub const BUSIEST_BEYOND_CAP: usize = 1_000;

impl Default for BeyondCap {
    fn default() -> Self {
        BeyondCap {
            distinct: SourceCardinality::default(),
            busiest: HeavyHitters::new(BUSIEST_BEYOND_CAP),
            packets: 0,
            bytes: 0,
        }
    }
}

impl BeyondCap {
    fn record(&mut self, address: IpAddr, packets: u64, bytes: u64) {
        self.distinct.insert(address);
        self.busiest.insert(address, packets, bytes);
        self.packets += packets;
        self.bytes += bytes;
    }

    fn merge(&mut self, other: &BeyondCap) {
        self.distinct.merge(&other.distinct);
        self.busiest.merge(&other.busiest);
        self.packets += other.packets;
        self.bytes += other.bytes;
    }
}

/// Every source's counters, kept one by one up to a cap.
///
/// The counters sit in one vector in order of first sight; two small hash maps give each
/// address its position (IPv4 keyed by the address as an integer, IPv6 likewise). With every
/// packet of a flood from a new address, a map of 8-byte entries grows and rehashes far faster
/// than one holding the ~90-byte entries themselves, touches a tenth of the memory (fewer page
/// faults), and new counters are written one after the other instead of at random. About 80
/// bytes per IPv4 source in all (64 of counters, the rest the map at its load factor).
#[derive(Debug, Clone)]
pub struct SourceTable {
    ipv4: Ipv4Index,
    ipv6: HashMap<u128, u32, foldhash::fast::RandomState>,
    /// Indexed by the positions the maps hold; holds `used` records and zeroed ones ahead of
    /// them (see `RECORDS_AHEAD`).
    stats: Vec<SourceStats>,
    /// Records given to sources so far.
    used: usize,
    /// The addresses whose record is `validated`: few (genuine clients, never a flood's
    /// sources), so asking whether an address is validated, as every bare-flag packet and
    /// every capture boundary of a batch run does, stays in cache.
    validated: HashSet<IpAddr, foldhash::fast::RandomState>,
    /// Most distinct sources kept one by one; new sources past it go to `beyond_cap`.
    cap: usize,
    pub beyond_cap: Option<Box<BeyondCap>>,
}

impl Default for SourceTable {
    fn default() -> Self {
        SourceTable::with_cap(DEFAULT_SOURCE_CAP)
    }
}

/// Most sources `SourceTable::warm` looks up at once: enough independent loads to cover a
/// memory access's latency, few enough that the group's lines stay in cache until used.
pub const WARM_GROUP: usize = 16;

/// Records zeroed at a time ahead of the sources that will take them. A flood brings a new
/// source with nearly every packet; written one by one, each new record's line is fetched
/// from memory before it can be written, while a block is written in one streaming pass and
/// then waits in cache (256 records: 16 KiB).
const RECORDS_AHEAD: usize = 256;

/// Positions are `u32`: more sources than that would not fit in memory in the first place.
const MOST_POSITIONS: usize = u32::MAX as usize;

impl SourceTable {
    pub fn with_cap(cap: usize) -> SourceTable {
        SourceTable {
            ipv4: Ipv4Index::default(),
            ipv6: HashMap::default(),
            stats: Vec::new(),
            used: 0,
            validated: HashSet::default(),
            cap: cap.min(MOST_POSITIONS),
            beyond_cap: None,
        }
    }

    /// The position of `address`'s record, made (with zero counters) if there is room, and
    /// whether it was just made.
    fn position_or_insert(&mut self, address: IpAddr) -> Option<(usize, bool)> {
        let next = self.used;
        let room = next < self.cap;
        let position = match address {
            IpAddr::V4(v4) => match self
                .ipv4
                .position_or_insert(u32::from(v4), next as u32, room)
            {
                Lookup::Found(position) => position,
                Lookup::Inserted => next as u32,
                Lookup::Absent => return None,
            },
            IpAddr::V6(v6) => match self.ipv6.entry(u128::from(v6)) {
                Entry::Occupied(entry) => *entry.get(),
                Entry::Vacant(entry) if room => *entry.insert(next as u32),
                Entry::Vacant(_) => return None,
            },
        } as usize;
        let inserted = position == next;
        if inserted {
            if self.stats.len() == next {
                self.stats
                    .resize(next + RECORDS_AHEAD, SourceStats::default());
            }
            self.used += 1;
        }
        Some((position, inserted))
    }

    fn position(&self, address: &IpAddr) -> Option<usize> {
        let position = match address {
            IpAddr::V4(v4) => self.ipv4.get(u32::from(*v4)),
            IpAddr::V6(v6) => self.ipv6.get(&u128::from(*v6)).copied(),
        };
        position.map(|position| position as usize)
    }

    /// Counts `packet` for its source and gives the source's record, for the caller to add
    /// the vector the packet was counted under (`SourceStats::vectors`); `None` for a new
    /// source once the table holds `cap` sources (counted in `beyond_cap` instead).
    pub fn observe(&mut self, packet: &Packet) -> Option<&mut SourceStats> {
        let Some((position, _)) = self.position_or_insert(packet.src) else {
            self.beyond_cap.get_or_insert_default().record(
                packet.src,
                1,
                u64::from(packet.wire_len),
            );
            return None;
        };
        let stats = self.stats.get_mut(position)?;
        match stats.first_destination {
            None => stats.first_destination = Some(packet.dst),
            Some(first) if first != packet.dst => stats.other_destinations = true,
            Some(_) => {}
        }
        stats.packets += 1;
        stats.bytes += u64::from(packet.wire_len);
        stats.span.observe(packet.timestamp_ns);
        stats.ttls.insert(packet.ttl);
        Some(stats)
    }

    /// Reads the map entries of `addresses`, then the records they point to, so that the
    /// `observe` calls that follow find both in cache.
    ///
    /// With millions of sources, each packet's lookup misses the cache twice (map, then
    /// record). Looked up one packet at a time, every miss waits for the one before; here the
    /// lookups of a whole group are independent loads the processor keeps in flight together.
    /// Both ends of each record are read: the vector is only 16-byte aligned, so a 64-byte
    /// record nearly always spans two cache lines, and `observe` reads it from end to end.
    /// (With the first line alone, `observe` still waited on the second, at
    /// `first_destination`: reading both cut a 50,000-source run's CPU time by 6 %.)
    pub fn warm(&self, addresses: &[IpAddr]) {
        let mut positions = [usize::MAX; WARM_GROUP];
        for (position, address) in positions.iter_mut().zip(addresses) {
            if let Some(found) = self.position(address) {
                *position = found;
            }
        }
        for position in positions {
            if let Some(stats) = self.stats.get(position) {
                // The first and the last byte of the record (`SourceStats` is `repr(C)`).
                std::hint::black_box((stats.packets, stats.other_destinations));
            }
        }
    }

    /// Whether `address` completed a TCP handshake so far.
    pub fn is_validated(&self, address: &IpAddr) -> bool {
        self.validated.contains(address)
    }

    /// Records that `address`, a source kept one by one, completed a TCP handshake. (The
    /// caller sets `SourceStats::validated` through the record `observe` gave it, and then
    /// tells the table.)
    pub fn note_validated(&mut self, address: IpAddr) {
        if self.get(&address).is_some_and(|stats| stats.validated) {
            self.validated.insert(address);
        }
    }

    /// How many sources completed a TCP handshake.
    pub fn validated_count(&self) -> usize {
        self.validated.len()
    }

    /// Adds another table, keeping this one's cap: the other's sources that do not fit go to
    /// `beyond_cap` with their totals.
    pub fn merge(&mut self, other: &SourceTable) {
        for (address, stats) in other.iter() {
            self.merge_source(address, stats);
        }
        if let Some(theirs) = &other.beyond_cap {
            self.beyond_cap.get_or_insert_default().merge(theirs);
        }
    }

    /// Adds the sources of a table that ingest already ended (`into_sorted`), with the
    /// counters of its sources past the cap: what a batch run keeps of each file once its own
    /// report is built, to fold into the combined one.
    pub fn merge_sorted(&mut self, list: &SourceList, beyond_cap: Option<&BeyondCap>) {
        for (address, stats) in list.addresses.iter().zip(&list.stats) {
            self.merge_source(*address, stats);
        }
        if let Some(theirs) = beyond_cap {
            self.beyond_cap.get_or_insert_default().merge(theirs);
        }
    }

    fn merge_source(&mut self, address: IpAddr, stats: &SourceStats) {
        let Some((position, inserted)) = self.position_or_insert(address) else {
            self.beyond_cap
                .get_or_insert_default()
                .record(address, stats.packets, stats.bytes);
            return;
        };
        let Some(mine) = self.stats.get_mut(position) else {
            return;
        };
        if inserted {
            *mine = *stats;
        } else {
            mine.merge(stats);
        }
        if mine.validated {
            self.validated.insert(address);
        }
    }

    pub fn len(&self) -> usize {
        self.used
    }

    pub fn is_empty(&self) -> bool {
        self.used == 0
    }

    /// Every source and its record, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (IpAddr, &SourceStats)> {
        let ipv4 = self
            .ipv4
            .iter()
            .map(|(v4, position)| (IpAddr::V4(Ipv4Addr::from(v4)), position));
        let ipv6 = self
            .ipv6
            .iter()
            .map(|(&v6, &position)| (IpAddr::V6(Ipv6Addr::from(v6)), position));
        ipv4.chain(ipv6).filter_map(|(address, position)| {
            self.stats
                .get(position as usize)
                .map(|stats| (address, stats))
        })
    }

    pub fn get(&self, address: &IpAddr) -> Option<&SourceStats> {
        self.stats.get(self.position(address)?)
    }

    /// The record of a source kept one by one, to add a vector bit found out later.
    pub fn get_mut(&mut self, address: &IpAddr) -> Option<&mut SourceStats> {
        let position = self.position(address)?;
        self.stats.get_mut(position)
    }
}

impl SourceTable {
    /// Ends ingest: the sources sorted by address, the maps freed.
    pub fn into_sorted(self) -> SourceList {
        let (addresses, order, records) = self.into_order();
        let stats = gather(&records, &order);
        SourceList { addresses, stats }
    }

    /// `into_sorted`, running `beside_addresses` on the sorted addresses while the records
    /// are gathered into the same order on another thread. Enrichment needs only the
    /// addresses, and gathering millions of records from random places mostly waits on
    /// memory, so the two overlap.
    pub fn into_sorted_alongside<T>(
        self,
        beside_addresses: impl FnOnce(&[IpAddr]) -> T,
    ) -> (SourceList, T) {
        let (addresses, order, records) = self.into_order();
        let (stats, result) = std::thread::scope(|scope| {
            let gathering = (order.len() >= MIN_SOURCES_TO_GATHER_ALONGSIDE)
                .then(|| {
                    std::thread::Builder::new()
                        .name("gather".into())
                        .spawn_scoped(scope, || gather(&records, &order))
                        .ok()
                })
                .flatten();
            let result = beside_addresses(&addresses);
            let stats = match gathering {
                Some(handle) => handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                None => gather(&records, &order),
            };
            (stats, result)
        });
        (SourceList { addresses, stats }, result)
    }

    /// The addresses in order, the positions of their records in that order, and the records.
    ///
    /// Sorts compact keys (the address as an integer, with the record's position) rather than
    /// the records. IPv4 sorts before IPv6 and each by its integer value, which is `IpAddr`'s
    /// own order; the keys are distinct, so the unstable sort is exact. With millions of
    /// sources this is the one step between reading and enrichment: the sorts, and then the
    /// addresses and the positions, are made side by side on the cores there are.
    fn into_order(mut self) -> (Vec<IpAddr>, Vec<u32>, Vec<SourceStats>) {
        // An IPv4 key packs the address above the position, so it sorts as one integer.
        let mut ipv4: Vec<u64> = self.ipv4.into_packed();
        let mut ipv6: Vec<(u128, u32)> = self.ipv6.into_iter().collect();
        rayon::join(|| sort_by_high_half(&mut ipv4), || ipv6.sort_unstable());
        let (addresses, order) = rayon::join(
            || {
                let mut addresses = Vec::with_capacity(ipv4.len() + ipv6.len());
                ipv4.par_iter()
                    .map(|&key| IpAddr::V4(Ipv4Addr::from((key >> 32) as u32)))
                    .collect_into_vec(&mut addresses);
                addresses.extend(ipv6.iter().map(|&(v6, _)| IpAddr::V6(Ipv6Addr::from(v6))));
                addresses
            },
            || {
                let mut order = Vec::with_capacity(ipv4.len() + ipv6.len());
                ipv4.par_iter()
                    .map(|&key| key as u32)
                    .collect_into_vec(&mut order);
                order.extend(ipv6.iter().map(|&(_, position)| position));
                order
            },
        );
        self.stats.truncate(self.used);
        (addresses, order, self.stats)
    }
}

/// Fewest sources worth a thread of their own for `gather` (a thread starts in tens of
/// microseconds; gathering this many records takes about a millisecond).
const MIN_SOURCES_TO_GATHER_ALONGSIDE: usize = 1 << 14;

/// The records at `order`'s positions, in that order.
fn gather(records: &[SourceStats], order: &[u32]) -> Vec<SourceStats> {
    // Sized once: `filter_map` gives no exact length, so collecting would grow the vector by
    // doubling, re-allocating as it goes and ending with up to twice the room needed.
    let mut gathered = Vec::with_capacity(order.len());
    gathered.extend(
        order
            .iter()
            .filter_map(|&position| records.get(position as usize).copied()),
    );
    gathered
}

/// Sorts keys whose high 32 bits are distinct (an IPv4 address above a position) by those
/// bits, as a radix sort a byte at a time: one pass splits the keys into runs by the
/// address's first byte, then each run is sorted by the other three bytes, least significant
/// first, the runs side by side. A run (a /8's sources) is small enough to stay in cache while
/// it is sorted. A flood of millions of distinct sources spent most of the end of ingest in a
/// comparison sort.
fn sort_by_high_half(keys: &mut [u64]) {
    const SMALL: usize = 1 << 12;
    if keys.len() < SMALL {
        keys.sort_unstable();
        return;
    }
    let mut runs = vec![0u64; keys.len()];
    let lengths = scatter_by_digit(keys, &mut runs, 56);
    // `runs` holds the keys by first byte; each run is sorted into its place in `keys` (three
    // passes, the last of which writes there).
    let mut pieces = Vec::with_capacity(lengths.len());
    let (mut rest_runs, mut rest_keys) = (runs.as_mut_slice(), &mut *keys);
    for length in lengths {
        let (run, later_runs) = rest_runs.split_at_mut(length.min(rest_runs.len()));
        let (place, later_keys) = rest_keys.split_at_mut(length.min(rest_keys.len()));
        pieces.push((run, place));
        rest_runs = later_runs;
        rest_keys = later_keys;
    }
    pieces.into_par_iter().for_each(|(run, place)| {
        scatter_by_digit(run, place, 32);
        scatter_by_digit(place, run, 40);
        scatter_by_digit(run, place, 48);
    });
}

/// Copies `from` into `to` ordered by the byte of each key at `shift`, keeping the order of
/// keys with the same byte (one stable pass of a radix sort); gives how many keys have each
/// byte.
fn scatter_by_digit(from: &[u64], to: &mut [u64], shift: u32) -> [usize; 256] {
    let digit = |key: u64| ((key >> shift) & 0xff) as usize;
    let mut counts = [0usize; 256];
    for &key in from {
        if let Some(count) = counts.get_mut(digit(key)) {
            *count += 1;
        }
    }
    let mut cursors = [0usize; 256];
    let mut next = 0;
    for (cursor, count) in cursors.iter_mut().zip(counts) {
        *cursor = next;
        next += count;
    }
    for &key in from {
        if let Some(cursor) = cursors.get_mut(digit(key))
            && let Some(slot) = to.get_mut(*cursor)
        {
            *slot = key;
            *cursor += 1;
        }
    }
    counts
}

/// The sources after ingest, sorted by address. Enrichment walks the GeoIP search trees in
/// address order (neighbouring lookups share the tree nodes already in cache), and later stages
/// read sources and their origins side by side by index instead of hashing every address again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceList {
    addresses: Vec<IpAddr>,
    stats: Vec<SourceStats>,
}

impl SourceList {
    /// Addresses with no traffic counted (for looking addresses up outside a capture).
    pub fn from_addresses(addresses: impl IntoIterator<Item = IpAddr>) -> SourceList {
        let mut addresses: Vec<IpAddr> = addresses.into_iter().collect();
        addresses.sort_unstable();
        addresses.dedup();
        let stats = vec![SourceStats::default(); addresses.len()];
        SourceList { addresses, stats }
    }

    pub fn len(&self) -> usize {
        self.addresses.len()
    }

    pub fn is_empty(&self) -> bool {
        self.addresses.is_empty()
    }

    pub fn addresses(&self) -> &[IpAddr] {
        &self.addresses
    }

    pub fn stats(&self) -> &[SourceStats] {
        &self.stats
    }

    /// Index of `address`, for reading the matching entry of per-source vectors.
    pub fn position(&self, address: &IpAddr) -> Option<usize> {
        self.addresses.binary_search(address).ok()
    }

    /// The vector mask of `address`'s record, to add a bit found out after ingest.
    pub fn vectors_mut(&mut self, address: &IpAddr) -> Option<&mut u32> {
        let index = self.position(address)?;
        self.stats.get_mut(index).map(|stats| &mut stats.vectors)
    }
}

impl PartialEq for SourceTable {
    /// The exact part only, whatever order the sources were first seen in: sketches compare
    /// by their estimates, not their bytes.
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self
                .iter()
                .all(|(address, stats)| other.get(&address) == Some(stats))
            && self.beyond_cap.is_some() == other.beyond_cap.is_some()
    }
}

impl Eq for SourceTable {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_64_bytes_from_packets_to_other_destinations() {
        // `SourceTable::warm` reads these two fields to bring a whole record into cache.
        assert_eq!(std::mem::size_of::<SourceStats>(), 64);
        assert_eq!(std::mem::offset_of!(SourceStats, packets), 0);
        assert_eq!(std::mem::offset_of!(SourceStats, other_destinations), 63);
    }

    #[test]
    fn validated_addresses_are_known_after_observing_and_after_merging() {
        let client: IpAddr = "198.51.100.7".parse().unwrap();
        let other: IpAddr = "198.51.100.8".parse().unwrap();
        let server: IpAddr = "203.0.113.1".parse().unwrap();
        let mut table = SourceTable::default();
        for source in [client, other] {
            table.observe(&Packet::for_test(source, server, 6, 0));
        }
        // Only a record marked validated is: a note about another address changes nothing.
        table.note_validated(other);
        if let Some(stats) = table.get_mut(&client) {
            stats.validated = true;
        }
        table.note_validated(client);
        assert!(table.is_validated(&client));
        assert!(!table.is_validated(&other));
        assert_eq!(table.validated_count(), 1);

        let mut merged = SourceTable::default();
        merged.merge(&table);
        let mut sorted = SourceTable::default();
        sorted.merge_sorted(&table.clone().into_sorted(), None);
        for copy in [merged, sorted] {
            assert!(copy.is_validated(&client));
            assert!(!copy.is_validated(&other));
        }
        // Past the cap a source keeps no record, validated or not.
        let mut capped = SourceTable::with_cap(0);
        capped.merge(&table);
        assert_eq!(capped.validated_count(), 0);
    }

    #[test]
    fn the_cap_sends_new_sources_to_the_sketches_and_merging_keeps_it() {
        let packet = |n: u32| {
            Packet::for_test(
                IpAddr::from([10, 0, (n >> 8) as u8, n as u8]),
                IpAddr::from([192, 0, 2, 1]),
                17,
                0,
            )
        };
        let mut table = SourceTable::with_cap(3);
        for n in 0..10u32 {
            // Sources 0..3 are kept; the others only once the table is full.
            let kept = table.observe(&packet(n)).is_some();
            assert_eq!(kept, n < 3, "{n}");
        }
        // A kept source still counts after the cap is reached.
        assert!(table.observe(&packet(1)).is_some());
        assert_eq!(table.len(), 3);
        let beyond = table.beyond_cap.as_ref().unwrap();
        assert_eq!(
            (beyond.packets, beyond.distinct.estimate().round()),
            (7, 7.0)
        );

        let mut other = SourceTable::with_cap(100);
        for n in 5..20u32 {
            other.observe(&packet(n));
        }
        table.merge(&other);
        assert_eq!(table.len(), 3);
        let beyond = table.beyond_cap.as_ref().unwrap();
        // 3..20 are the distinct sources past the cap: 17 of them, 7 + 15 packets.
        assert_eq!(
            (beyond.packets, beyond.distinct.estimate().round()),
            (22, 17.0)
        );
    }

    #[test]
    fn sorted_list_orders_addresses_and_keeps_their_stats() {
        let mut table = SourceTable::default();
        for (address, packets) in [("10.0.0.9", 3), ("10.0.0.1", 1), ("::1", 2)] {
            let (position, _) = table.position_or_insert(address.parse().unwrap()).unwrap();
            table.stats[position].packets = packets;
        }
        let list = table.into_sorted();
        let order: Vec<String> = list.addresses().iter().map(ToString::to_string).collect();
        assert_eq!(order, ["10.0.0.1", "10.0.0.9", "::1"]);
        let packets: Vec<u64> = list.stats().iter().map(|stats| stats.packets).collect();
        assert_eq!(packets, [1, 3, 2]);
        assert_eq!(list.position(&"10.0.0.9".parse().unwrap()), Some(1));
        assert_eq!(list.position(&"10.0.0.2".parse().unwrap()), None);
    }

    #[test]
    fn records_zeroed_ahead_are_not_sources() {
        let mut table = SourceTable::default();
        let count = RECORDS_AHEAD * 2 + 3;
        for n in 0..count as u32 {
            let source = IpAddr::from((0x0a00_0000 + n).to_be_bytes());
            let packet = Packet::for_test(source, IpAddr::from([192, 0, 2, 1]), 17, 0);
            table.observe(&packet);
            table.warm(&[source, IpAddr::from([203, 0, 113, 9])]);
        }
        assert_eq!(table.len(), count);
        assert_eq!(table.iter().count(), count);
        assert!(table.iter().all(|(_, stats)| stats.packets == 1));
        let list = table.into_sorted();
        assert_eq!(list.len(), count);
        assert!(list.stats().iter().all(|stats| stats.packets == 1));
    }

    #[test]
    fn sorting_alongside_gives_the_same_list_and_lends_the_sorted_addresses() {
        let mut table = SourceTable::default();
        let count = MIN_SOURCES_TO_GATHER_ALONGSIDE + 5;
        for n in 0..count as u32 {
            // Scattered over the address space, in no order; a few of them twice.
            let source = IpAddr::from(n.wrapping_mul(0x9e37_79b1).to_be_bytes());
            let packet = Packet::for_test(source, IpAddr::from([192, 0, 2, 1]), 17, 0);
            table.observe(&packet);
            if n % 1000 == 0 {
                table.observe(&packet);
            }
        }
        table.observe(&Packet::for_test(
            "2001:db8::1".parse().unwrap(),
            "2001:db8::2".parse().unwrap(),
            17,
            0,
        ));
        let expected = table.clone().into_sorted();
        let (list, lent) = table.into_sorted_alongside(<[IpAddr]>::to_vec);
        assert_eq!(list, expected);
        assert_eq!(lent, expected.addresses());
        assert!(lent.windows(2).all(|pair| pair[0] < pair[1]));
        assert_eq!(list.len(), count + 1);
    }

    #[test]
    fn radix_sort_orders_ipv4_keys_as_a_comparison_sort_does() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for length in [0usize, 1, 100, 5_000, 70_000] {
            // Distinct addresses (a multiplicative permutation of 0..length), with positions.
            let mut keys: Vec<u64> = (0..length as u64)
                .map(|n| {
                    state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                    let address = (n as u32).wrapping_mul(0x9e37_79b1);
                    u64::from(address) << 32 | (state >> 40)
                })
                .collect();
            let mut expected = keys.clone();
            expected.sort_unstable_by_key(|key| key >> 32);
            sort_by_high_half(&mut keys);
            assert_eq!(keys, expected, "{length} keys");
        }
    }

    #[test]
    fn radix_sort_orders_keys_crowded_into_few_first_bytes() {
        // All in one /8 (a single run holds every key), and spread over three /8s with the
        // other 253 first bytes empty.
        for first_bytes in [&[10u32][..], &[0, 127, 255]] {
            let mut keys: Vec<u64> = (0..50_000u32)
                .map(|n| {
                    let first = first_bytes[n as usize % first_bytes.len()];
                    let address = first << 24 | (n.wrapping_mul(0x9e37_79b1) >> 8);
                    u64::from(address) << 32 | u64::from(n)
                })
                .collect();
            keys.sort_unstable_by_key(|key| key >> 32);
            keys.dedup_by_key(|key| *key >> 32);
            let expected = keys.clone();
            keys.reverse();
            sort_by_high_half(&mut keys);
            assert_eq!(keys, expected, "first bytes {first_bytes:?}");
        }
    }

    #[test]
    fn ttl_set_keeps_distinct_values_up_to_its_capacity() {
        let mut set = TtlSet::default();
        for ttl in [64, 64, 63, 64, 128] {
            set.insert(ttl);
        }
        assert_eq!(set.values(), &[64, 63, 128]);
        assert!(!set.overflowed());
        for ttl in 0..20 {
            set.insert(ttl);
        }
        assert_eq!(set.values().len(), MAX_TTLS_PER_SOURCE);
        assert!(set.overflowed());
        let mut merged = TtlSet::default();
        merged.insert(1);
        merged.merge(&set);
        assert_eq!(merged.values().first(), Some(&1));
        assert!(merged.overflowed());
        // Full and overflowed, a set keeps its first values whatever comes.
        let saturated = set;
        set.insert(200);
        set.merge(&merged);
        assert_eq!(set, saturated);
        assert_eq!(set.values().first(), Some(&64));
    }

    #[test]
    fn source_stats_fit_a_cache_line() {
        assert_eq!(std::mem::size_of::<SourceStats>(), 64);
    }
}
