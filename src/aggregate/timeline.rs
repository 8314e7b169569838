//! Packets over time: takes (timestamp, wire length, source) per timed packet and keeps, per
//! second, how many packets and bytes arrived and how many distinct sources sent them. Streaming
//! and mergeable; `assess::waves` turns it into the report's timeline and attack waves.
//!
//! Why it is built this way:
//! - **Sparse.** Only seconds that have packets are stored, so a hostile capture whose packets
//!   claim 1970 and 2038 costs two buckets, not a bucket per second of the span between.
//! - **Fast path.** Captures are mostly in time order, so the bucket of the newest second is
//!   checked first with two comparisons on nanoseconds (no division, no map lookup). A packet
//!   for another second takes the slow path: a new second is appended to a sorted `Vec`; an
//!   earlier one is found by binary search, and a second that is earlier than the newest and
//!   not yet known goes to a `BTreeMap`. So ordered traffic costs O(1) per packet, jitter across
//!   a second boundary O(log n), and only out-of-order streams pay a map lookup per packet.
//! - **Bounded.** At most [`MAX_BUCKETS`] buckets are kept (112 bytes each, plus 256 bytes of
//!   sketch registers for a bucket with more than eight sources: at most about 370 MB, reached
//!   only after a million distinct seconds with nine or more sources each). One
//!   more and every bucket is folded into the next coarser resolution of
//!   [`RESOLUTION_STEPS`] (1 s -> 1 min -> 1 h -> 1 day) until they fit again. Those steps
//!   divide the report's bucket widths, so folded data still lines up with them; a fold only
//!   happens after a million distinct seconds (11.6 days of traffic), when the report uses
//!   hourly buckets anyway. Per-second peaks then become per-minute (or coarser) averages.
//!   i64 nanoseconds span 585 years, about 214,000 days, so daily buckets always fit.
//! - **Distinct sources** per bucket are counted by [`SourceSketch`]: exactly while a bucket
//!   has at most [`EXACT_SOURCES`] sources, then by a small HyperLogLog that merges across
//!   buckets (coarser chart buckets, waves) and across captures.
//! - **Canonical.** The stored state is a function of the packets alone, not of their order or
//!   of how captures were split, so merging per-capture timelines equals the timeline of the
//!   concatenated captures (`==` compares the content).

use std::collections::BTreeMap;
use std::net::IpAddr;

use super::sketch::HyperLogLog;

const NANOS_PER_SECOND: i64 = 1_000_000_000;

/// Most buckets kept before folding into a coarser resolution.
pub const MAX_BUCKETS: usize = 1_000_000;

/// Bucket resolutions, finest first. Each divides the next and every report bucket width at
/// or above it (1, 2, 5 ... 3600 s; whole days beyond), so folding never splits a chart bucket.
pub const RESOLUTION_STEPS: [u64; 4] = [1, 60, 3_600, 86_400];

/// Sources counted exactly per bucket before it switches to HyperLogLog registers: most
/// seconds of benign traffic have a handful of sources, and eight 64-bit hashes take no more
/// room than the pointer-sized register box would plus its allocation.
pub const EXACT_SOURCES: usize = 8;

/// HyperLogLog precision p: 2^p one-byte registers.
pub const SKETCH_PRECISION: u32 = 8;

/// Registers per HyperLogLog sketch (256 bytes).
pub const SKETCH_REGISTERS: usize = 1 << SKETCH_PRECISION;

/// Relative standard error of a HyperLogLog estimate, 1.04 / sqrt(m) for m registers
/// (Flajolet, Fusy, Gandouet, Meunier 2007: "HyperLogLog: the analysis of a near-optimal
/// cardinality estimation algorithm"). For m = 256: 0.065, so about 95 % of estimates fall
/// within +-13 % and nearly all within +-20 %. Counts of at most [`EXACT_SOURCES`] are exact.
/// m = 256 rather than 128 (+-9 %) because wave source counts sit next to the exact
/// per-source total in the report, where a 20 % gap reads as a contradiction; 512 would
/// double the worst-case memory again.
pub const SKETCH_RELATIVE_ERROR: f64 = 0.065;

/// Per-second (or coarser, after folding) packet, byte and distinct-source counts.
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    /// Seconds per bucket, one of `RESOLUTION_STEPS`.
    resolution_s: u64,
    /// Buckets by start second, strictly increasing: all seconds seen in order, and every
    /// earlier second that already existed when an out-of-order packet arrived.
    ordered: Vec<(i64, TimeBucket)>,
    /// Seconds that were first seen after a later one; disjoint from `ordered`.
    late: BTreeMap<i64, TimeBucket>,
    /// Nanosecond range `[hot_start_ns, hot_end_ns)` of the last bucket of `ordered`, the
    /// fast path for time-ordered packets. Empty (0..0) before the first packet.
    hot_start_ns: i64,
    hot_end_ns: i64,
}

/// Counts for one bucket of the timeline.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimeBucket {
    pub packets: u64,
    /// Bytes on the wire (original lengths).
    pub bytes: u64,
    /// Of those, the packets (and bytes) classified as attack traffic when they arrived
    /// (`aggregate::vectors`): the series attack waves are found in, so that a quiet day's
    /// visitors neither hide a slow flood nor make a wave of their own.
    pub attack_packets: u64,
    pub attack_bytes: u64,
    pub sources: SourceSketch,
}

impl TimeBucket {
    #[inline]
    fn add(&mut self, wire_len: u32, source_hash: u64, attack: bool) {
        self.packets = self.packets.saturating_add(1);
        self.bytes = self.bytes.saturating_add(u64::from(wire_len));
        if attack {
            self.attack_packets = self.attack_packets.saturating_add(1);
            self.attack_bytes = self.attack_bytes.saturating_add(u64::from(wire_len));
        }
        self.sources.insert_hash(source_hash);
    }

    /// Adds another bucket's counts, as if its packets had arrived here.
    pub fn merge(&mut self, other: &TimeBucket) {
        self.packets = self.packets.saturating_add(other.packets);
        self.bytes = self.bytes.saturating_add(other.bytes);
        self.attack_packets = self.attack_packets.saturating_add(other.attack_packets);
        self.attack_bytes = self.attack_bytes.saturating_add(other.attack_bytes);
        self.sources.merge(&other.sources);
    }
}

impl Timeline {
    /// Counts one timed packet. Packets without a timestamp are not given to the timeline.
    #[inline]
    /// `attack`: the packet was classified as attack traffic.
    pub fn observe(&mut self, timestamp_ns: i64, wire_len: u32, source: IpAddr, attack: bool) {
        let source_hash = address_hash(source);
        let hot = timestamp_ns >= self.hot_start_ns && timestamp_ns < self.hot_end_ns;
        if let Some((_, bucket)) = self.ordered.last_mut().filter(|_| hot) {
            bucket.add(wire_len, source_hash, attack);
            return;
        }
        self.observe_other_bucket(timestamp_ns, wire_len, source_hash, attack);
    }

    /// The slow path: at most once per second for ordered traffic, so kept out of line to
    /// leave `observe` small enough to inline into the packet loop.
    #[inline(never)]
    fn observe_other_bucket(
        &mut self,
        timestamp_ns: i64,
        wire_len: u32,
        source_hash: u64,
        attack: bool,
    ) {
        let key = self.bucket_start(timestamp_ns.div_euclid(NANOS_PER_SECOND));
        let before = self.bucket_count();
        self.bucket_mut(key).add(wire_len, source_hash, attack);
        if self.bucket_count() > before {
            self.fold_until_within_cap();
        }
    }

    /// Counts as attack traffic a packet observed earlier with `attack: false`, whose kind was
    /// only known later (a later fragment held back across a capture boundary).
    pub fn add_attack(&mut self, timestamp_ns: i64, wire_len: u32) {
        let key = self.bucket_start(timestamp_ns.div_euclid(NANOS_PER_SECOND));
        let bucket = self.bucket_mut(key);
        bucket.attack_packets = bucket.attack_packets.saturating_add(1);
        bucket.attack_bytes = bucket.attack_bytes.saturating_add(u64::from(wire_len));
    }

    /// Takes back the attack mark of a packet `observe` counted as attack traffic, once it
    /// proved to be something else (`aggregate::settling`). Its bucket exists: the packet was
    /// counted there.
    pub fn unmark_attack(&mut self, timestamp_ns: i64, wire_len: u32) {
        let key = self.bucket_start(timestamp_ns.div_euclid(NANOS_PER_SECOND));
        let bucket = match self.ordered.binary_search_by_key(&key, |(k, _)| *k) {
            Ok(index) => self.ordered.get_mut(index).map(|(_, bucket)| bucket),
            Err(_) => self.late.get_mut(&key),
        };
        if let Some(bucket) = bucket {
            bucket.attack_packets = bucket.attack_packets.saturating_sub(1);
            bucket.attack_bytes = bucket.attack_bytes.saturating_sub(u64::from(wire_len));
        }
    }

    /// Adds another timeline, as if its packets had been observed here. The result equals
    /// the timeline of both captures' packets read as one.
    pub fn merge(&mut self, other: &Timeline) {
        let resolution_s = self.resolution().max(other.resolution());
        let mine = merge_sorted(
            std::mem::take(&mut self.ordered).into_iter(),
            std::mem::take(&mut self.late).into_iter(),
        );
        let theirs = other.buckets().map(|(key, bucket)| (key, bucket.clone()));
        self.rebuild(merge_sorted(mine, theirs), resolution_s);
        self.fold_until_within_cap();
    }

    /// Seconds per bucket: 1 unless more than `MAX_BUCKETS` distinct seconds were seen.
    pub fn resolution_s(&self) -> u64 {
        self.resolution()
    }

    /// Buckets in time order, each with its start in seconds since the Unix epoch (a multiple
    /// of `resolution_s`). Only buckets with packets are listed.
    pub fn buckets(&self) -> impl Iterator<Item = (i64, &TimeBucket)> + '_ {
        merge_sorted(
            self.ordered.iter().map(|(key, bucket)| (*key, bucket)),
            self.late.iter().map(|(key, bucket)| (*key, bucket)),
        )
    }

    /// How many buckets are stored (at most `MAX_BUCKETS`).
    pub fn bucket_count(&self) -> usize {
        self.ordered.len().saturating_add(self.late.len())
    }

    pub fn is_empty(&self) -> bool {
        self.ordered.is_empty() && self.late.is_empty()
    }

    /// Start second of the first bucket.
    pub fn first_second(&self) -> Option<i64> {
        let ordered = self.ordered.first().map(|(key, _)| *key);
        let late = self.late.keys().next().copied();
        match (ordered, late) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Start second of the last bucket (late buckets are always earlier than it).
    pub fn last_second(&self) -> Option<i64> {
        self.ordered.last().map(|(key, _)| *key)
    }

    /// `resolution_s` is 0 only in a `Default` timeline, which means 1.
    fn resolution(&self) -> u64 {
        self.resolution_s.max(1)
    }

    fn bucket_start(&self, second: i64) -> i64 {
        align(second, self.resolution())
    }

    fn bucket_mut(&mut self, key: i64) -> &mut TimeBucket {
        let appends = self.ordered.last().is_none_or(|(last, _)| key > *last);
        if appends {
            self.ordered.push((key, TimeBucket::default()));
            self.set_hot_range();
        }
        let index = self.ordered.binary_search_by_key(&key, |(k, _)| *k).ok();
        match index.and_then(|index| self.ordered.get_mut(index)) {
            Some((_, bucket)) => bucket,
            None => self.late.entry(key).or_default(),
        }
    }

    fn set_hot_range(&mut self) {
        let resolution = i64::try_from(self.resolution()).unwrap_or(i64::MAX);
        // Saturation can only make the range smaller than the bucket; packets outside it take
        // the slow path, which still finds the right bucket.
        (self.hot_start_ns, self.hot_end_ns) = match self.ordered.last() {
            Some((key, _)) => (
                key.saturating_mul(NANOS_PER_SECOND),
                key.saturating_add(resolution)
                    .saturating_mul(NANOS_PER_SECOND),
            ),
            None => (0, 0),
        };
    }

    /// Folds into coarser buckets until at most `MAX_BUCKETS` remain. The resolution that
    /// results is the finest step at which all the data fits, whatever the order of packets
    /// and merges, which keeps the state canonical.
    fn fold_until_within_cap(&mut self) {
        while self.bucket_count() > MAX_BUCKETS {
            let current = self.resolution();
            let Some(next) = RESOLUTION_STEPS.into_iter().find(|step| *step > current) else {
                // Unreachable with i64 nanoseconds (they span ~214,000 days); keep the data
                // rather than loop.
                return;
            };
            let ordered = std::mem::take(&mut self.ordered);
            let late = std::mem::take(&mut self.late);
            self.rebuild(merge_sorted(ordered.into_iter(), late.into_iter()), next);
        }
    }

    /// Replaces the content with `buckets` (sorted by key, keys may repeat) re-aligned to
    /// `resolution_s`, combining buckets that fall together.
    fn rebuild(&mut self, buckets: impl Iterator<Item = (i64, TimeBucket)>, resolution_s: u64) {
        let mut ordered: Vec<(i64, TimeBucket)> = Vec::new();
        for (key, bucket) in buckets {
            let key = align(key, resolution_s);
            match ordered.last_mut() {
                Some((last, combined)) if *last == key => combined.merge(&bucket),
                _ => ordered.push((key, bucket)),
            }
        }
        self.ordered = ordered;
        self.late.clear();
        self.resolution_s = resolution_s;
        self.set_hot_range();
    }
}

impl PartialEq for Timeline {
    /// Same content: the split between `ordered` and `late` and the fast-path range depend on
    /// packet order and are not part of it.
    fn eq(&self, other: &Timeline) -> bool {
        self.resolution() == other.resolution() && self.buckets().eq(other.buckets())
    }
}

impl Eq for Timeline {}

/// Start of the `resolution_s`-wide bucket holding `second`, counted from the Unix epoch.
fn align(second: i64, resolution_s: u64) -> i64 {
    let resolution = i64::try_from(resolution_s.max(1)).unwrap_or(i64::MAX);
    second.div_euclid(resolution).saturating_mul(resolution)
}

/// Merges two iterators sorted by key into one sorted iterator; equal keys come out next to
/// each other, `a`'s first.
fn merge_sorted<T>(
    a: impl Iterator<Item = (i64, T)>,
    b: impl Iterator<Item = (i64, T)>,
) -> impl Iterator<Item = (i64, T)> {
    let mut a = a.peekable();
    let mut b = b.peekable();
    std::iter::from_fn(move || match (a.peek(), b.peek()) {
        (Some((key_a, _)), Some((key_b, _))) if key_b < key_a => b.next(),
        (Some(_), _) => a.next(),
        (None, _) => b.next(),
    })
}

/// A distinct count of source addresses: exact up to `EXACT_SOURCES`, then a HyperLogLog
/// with `SKETCH_REGISTERS` one-byte registers (relative error about `SKETCH_RELATIVE_ERROR`).
/// Mergeable: the sketch of a union is the merge of the sketches.
#[derive(Debug, Clone)]
pub struct SourceSketch {
    repr: SketchRepr,
}

#[derive(Debug, Clone)]
enum SketchRepr {
    /// Distinct 64-bit address hashes, in order of first sight. Hashes of IPv4 addresses
    /// never collide (the mix is a bijection); IPv6 ones with odds of 2^-64.
    Exact {
        hashes: [u64; EXACT_SOURCES],
        len: u8,
    },
    /// Boxed so that the many buckets with few sources stay small.
    Registers(Box<HyperLogLog<SKETCH_REGISTERS>>),
}

impl Default for SourceSketch {
    fn default() -> SourceSketch {
        SourceSketch {
            repr: SketchRepr::Exact {
                hashes: [0; EXACT_SOURCES],
                len: 0,
            },
        }
    }
}

impl SourceSketch {
    pub fn insert(&mut self, source: IpAddr) {
        self.insert_hash(address_hash(source));
    }

    #[inline]
    fn insert_hash(&mut self, hash: u64) {
        let (hashes, len) = match &mut self.repr {
            SketchRepr::Registers(registers) => {
                registers.insert_hash(hash);
                return;
            }
            SketchRepr::Exact { hashes, len } => (hashes, len),
        };
        let known = hashes.get(..usize::from(*len)).unwrap_or_default();
        if known.contains(&hash) {
            return;
        }
        if let Some(slot) = hashes.get_mut(usize::from(*len)) {
            *slot = hash;
            *len += 1;
            return;
        }
        let mut registers = Box::new(HyperLogLog::new());
        for &known in hashes.iter() {
            registers.insert_hash(known);
        }
        registers.insert_hash(hash);
        self.repr = SketchRepr::Registers(registers);
    }

    /// Adds another sketch, as if its sources had been inserted here.
    pub fn merge(&mut self, other: &SourceSketch) {
        match (&mut self.repr, &other.repr) {
            (SketchRepr::Registers(mine), SketchRepr::Registers(theirs)) => mine.merge(theirs),
            (_, SketchRepr::Exact { hashes, len }) => {
                for &hash in hashes.get(..usize::from(*len)).unwrap_or_default() {
                    self.insert_hash(hash);
                }
            }
            (SketchRepr::Exact { hashes, len }, SketchRepr::Registers(theirs)) => {
                let mut registers = theirs.clone();
                for &hash in hashes.get(..usize::from(*len)).unwrap_or_default() {
                    registers.insert_hash(hash);
                }
                self.repr = SketchRepr::Registers(registers);
            }
        }
    }

    /// Whether `estimate` is an exact count.
    pub fn is_exact(&self) -> bool {
        matches!(self.repr, SketchRepr::Exact { .. })
    }

    /// The number of distinct sources: exact up to `EXACT_SOURCES`, otherwise estimated.
    pub fn estimate(&self) -> u64 {
        match &self.repr {
            SketchRepr::Exact { len, .. } => u64::from(*len),
            SketchRepr::Registers(registers) => {
                let estimate = registers.estimate().round();
                // A sketch holds more than `EXACT_SOURCES` sources by construction; saying
                // fewer would contradict the exact counts of its parts.
                (estimate as u64).max(EXACT_SOURCES as u64 + 1)
            }
        }
    }
}

impl PartialEq for SourceSketch {
    /// Equal sets of sources give equal sketches: a sketch is exact exactly when it holds at
    /// most `EXACT_SOURCES` hashes, and registers do not depend on insertion order.
    fn eq(&self, other: &SourceSketch) -> bool {
        match (&self.repr, &other.repr) {
            (
                SketchRepr::Exact { hashes, len },
                SketchRepr::Exact {
                    hashes: other_hashes,
                    len: other_len,
                },
            ) => {
                let mine = hashes.get(..usize::from(*len)).unwrap_or_default();
                let theirs = other_hashes
                    .get(..usize::from(*other_len))
                    .unwrap_or_default();
                len == other_len && mine.iter().all(|hash| theirs.contains(hash))
            }
            (SketchRepr::Registers(mine), SketchRepr::Registers(theirs)) => mine == theirs,
            _ => false,
        }
    }
}

impl Eq for SourceSketch {}

/// A 64-bit hash of an address for the distinct counts. Fixed, not seeded per process: the
/// report must be the same for the same capture. An attacker who knows it could choose
/// spoofed addresses that the sketch undercounts, but such a one can already choose how many
/// addresses to send from; the exact per-source table is not affected.
#[inline]
fn address_hash(address: IpAddr) -> u64 {
    // Distinct tags keep an IPv4 address and the IPv6 address with the same low bits apart.
    const V4_TAG: u64 = 0x4_0000_0000;
    const V6_TAG: u64 = 0x9e37_79b9_7f4a_7c15;
    match address {
        IpAddr::V4(v4) => mix64(u64::from(u32::from(v4)) | V4_TAG),
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            mix64(mix64((bits >> 64) as u64 ^ V6_TAG) ^ bits as u64)
        }
    }
}

/// The SplitMix64 finaliser (Steele, Lea, Flood 2014; constants from Stafford's "Mix13"): a
/// bijection on u64 whose output bits all depend on all input bits, so consecutive addresses
/// spread evenly over the registers.
#[inline]
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr};

    use super::*;

    const SECOND: i64 = NANOS_PER_SECOND;

    fn v4(n: u32) -> IpAddr {
        IpAddr::V4(Ipv4Addr::from(n))
    }

    fn collect(timeline: &Timeline) -> Vec<(i64, u64, u64, u64)> {
        timeline
            .buckets()
            .map(|(key, b)| (key, b.packets, b.bytes, b.sources.estimate()))
            .collect()
    }

    /// A deterministic scramble of `i`, so tests need no random crate.
    fn scramble(i: u64) -> u64 {
        mix64(i ^ 0x5555)
    }

    #[test]
    fn counts_packets_bytes_and_sources_per_second() {
        let mut timeline = Timeline::default();
        timeline.observe(10 * SECOND, 100, v4(1), true);
        timeline.observe(10 * SECOND + 999_999_999, 50, v4(2), true);
        timeline.observe(10 * SECOND + 5, 10, v4(1), true);
        timeline.observe(12 * SECOND, 60, v4(3), true);
        assert_eq!(collect(&timeline), vec![(10, 3, 160, 2), (12, 1, 60, 1)]);
        assert_eq!(timeline.first_second(), Some(10));
        assert_eq!(timeline.last_second(), Some(12));
        assert_eq!(timeline.resolution_s(), 1);
    }

    #[test]
    fn negative_timestamps_round_down_to_their_second() {
        let mut timeline = Timeline::default();
        timeline.observe(-1, 1, v4(1), true);
        timeline.observe(-SECOND, 1, v4(1), true);
        timeline.observe(0, 1, v4(1), true);
        assert_eq!(collect(&timeline), vec![(-1, 2, 2, 1), (0, 1, 1, 1)]);
    }

    #[test]
    fn out_of_order_packets_give_the_same_timeline() {
        let packets: Vec<(i64, u32, IpAddr)> = (0..5_000u64)
            .map(|i| {
                let time = i64::try_from(scramble(i) % 400).unwrap_or(0) * SECOND / 3;
                (time, 60 + (i % 7) as u32, v4((scramble(i + 1) % 50) as u32))
            })
            .collect();
        let mut shuffled = Timeline::default();
        for &(time, len, src) in &packets {
            shuffled.observe(time, len, src, true);
        }
        let mut sorted_packets = packets.clone();
        sorted_packets.sort_by_key(|p| p.0);
        let mut sorted = Timeline::default();
        for &(time, len, src) in &sorted_packets {
            sorted.observe(time, len, src, true);
        }
        assert!(
            !shuffled.late.is_empty(),
            "the test should exercise the late map"
        );
        assert_eq!(shuffled, sorted);
        let total: u64 = shuffled.buckets().map(|(_, b)| b.packets).sum();
        assert_eq!(total, 5_000);
    }

    #[test]
    fn merging_halves_equals_the_whole() {
        let packets: Vec<(i64, u32, IpAddr)> = (0..20_000u64)
            .map(|i| {
                let time = i64::try_from(i / 40).unwrap_or(0) * SECOND + (i % 40) as i64;
                (time, 100, v4((scramble(i) % 30) as u32))
            })
            .collect();
        let mut whole = Timeline::default();
        for &(time, len, src) in &packets {
            whole.observe(time, len, src, true);
        }
        // Split by time (two captures one after the other) and interleaved (two interfaces).
        let (first, second) = packets.split_at(7_777);
        let mut a = Timeline::default();
        first.iter().for_each(|&(t, l, s)| a.observe(t, l, s, true));
        let mut b = Timeline::default();
        second
            .iter()
            .for_each(|&(t, l, s)| b.observe(t, l, s, true));
        let mut merged = a.clone();
        merged.merge(&b);
        assert_eq!(merged, whole);
        let mut reversed = b.clone();
        reversed.merge(&a);
        assert_eq!(reversed, whole);

        let mut even = Timeline::default();
        let mut odd = Timeline::default();
        for (i, &(t, l, s)) in packets.iter().enumerate() {
            if i % 2 == 0 {
                even.observe(t, l, s, true);
            } else {
                odd.observe(t, l, s, true);
            }
        }
        even.merge(&odd);
        assert_eq!(even, whole);
        // Each half alone has at most 8 sources per second in some buckets (exact) while the
        // whole needs registers there; the merge must promote them the same way.
        assert!(whole.buckets().any(|(_, b)| !b.sources.is_exact()));
    }

    #[test]
    fn merging_into_an_empty_timeline_copies_it() {
        let mut a = Timeline::default();
        a.observe(5 * SECOND, 1, v4(1), true);
        let mut empty = Timeline::default();
        empty.merge(&a);
        assert_eq!(empty, a);
        // And observing continues on the fast path after a merge.
        empty.observe(5 * SECOND + 1, 1, v4(2), true);
        assert_eq!(collect(&empty), vec![(5, 2, 2, 2)]);
    }

    #[test]
    fn hostile_timestamps_stay_sparse_and_do_not_panic() {
        let mut timeline = Timeline::default();
        let times = [
            0,
            i64::MAX / 2,
            i64::MIN,
            i64::MAX,
            -1,
            i64::MIN + 1,
            i64::MAX - 1,
            1,
            i64::MAX / 2,
            0,
        ];
        for (i, &time) in times.iter().enumerate() {
            timeline.observe(time, u32::MAX, v4(i as u32), true);
        }
        // Five distinct seconds (0 and 1 ns share one, as do MIN and MIN + 1, MAX and MAX - 1).
        assert_eq!(timeline.bucket_count(), 5);
        assert_eq!(timeline.first_second(), Some(i64::MIN.div_euclid(SECOND)));
        assert_eq!(timeline.last_second(), Some(i64::MAX.div_euclid(SECOND)));
        let total: u64 = timeline.buckets().map(|(_, b)| b.packets).sum();
        assert_eq!(total, 10);
        let mut merged = timeline.clone();
        merged.merge(&timeline);
        let doubled: u64 = merged.buckets().map(|(_, b)| b.packets).sum();
        assert_eq!(doubled, 20);
    }

    #[test]
    fn more_distinct_seconds_than_the_cap_fold_into_minutes() {
        let mut timeline = Timeline::default();
        let seconds = i64::try_from(MAX_BUCKETS).unwrap_or(0) + 10;
        for second in 0..seconds {
            timeline.observe(second * SECOND, 1, v4(1), true);
        }
        assert_eq!(timeline.resolution_s(), 60);
        assert!(timeline.bucket_count() <= MAX_BUCKETS);
        assert_eq!(timeline.bucket_count(), (seconds as usize).div_ceil(60));
        let total: u64 = timeline.buckets().map(|(_, b)| b.packets).sum();
        assert_eq!(total, seconds as u64);
        assert!(timeline.buckets().all(|(key, _)| key % 60 == 0));

        // Two halves below the cap merge to the same folded timeline.
        let mut a = Timeline::default();
        let mut b = Timeline::default();
        for second in 0..seconds {
            let half = if second % 2 == 0 { &mut a } else { &mut b };
            half.observe(second * SECOND, 1, v4(1), true);
        }
        assert_eq!(a.resolution_s(), 1);
        a.merge(&b);
        assert_eq!(a, timeline);
    }

    #[test]
    fn merging_a_folded_timeline_with_a_fine_one_equals_the_whole() {
        let seconds = i64::try_from(MAX_BUCKETS).unwrap_or(0) + 10;
        let mut folded = Timeline::default();
        for second in 0..seconds {
            folded.observe(second * SECOND, 1, v4(1), true);
        }
        let mut fine = Timeline::default();
        for second in [5, 61, seconds + 100] {
            fine.observe(second * SECOND, 7, v4(2), true);
        }
        let mut whole = folded.clone();
        for second in [5, 61, seconds + 100] {
            whole.observe(second * SECOND, 7, v4(2), true);
        }
        let mut a = folded.clone();
        a.merge(&fine);
        assert_eq!(a, whole);
        let mut b = fine.clone();
        b.merge(&folded);
        assert_eq!(b, whole);
        assert_eq!(b.resolution_s(), 60);
    }

    #[test]
    fn seconds_scattered_over_centuries_stay_bounded() {
        let mut timeline = Timeline::default();
        for i in 0..(MAX_BUCKETS as u64 + 50_000) {
            let time = scramble(i) as i64;
            timeline.observe(time, 1_500, v4(i as u32), true);
            assert!(timeline.bucket_count() <= MAX_BUCKETS);
        }
        assert!(timeline.resolution_s() >= 60);
        let total: u64 = timeline.buckets().map(|(_, b)| b.packets).sum();
        assert_eq!(total, MAX_BUCKETS as u64 + 50_000);
    }

    #[test]
    fn sketch_is_exact_for_few_sources() {
        let mut sketch = SourceSketch::default();
        assert_eq!(sketch.estimate(), 0);
        for n in 0..EXACT_SOURCES as u32 {
            sketch.insert(v4(n));
            sketch.insert(v4(n));
        }
        assert!(sketch.is_exact());
        assert_eq!(sketch.estimate(), EXACT_SOURCES as u64);
        sketch.insert(IpAddr::V6(Ipv6Addr::LOCALHOST));
        assert!(!sketch.is_exact());
        assert_eq!(sketch.estimate(), EXACT_SOURCES as u64 + 1);
    }

    fn relative_error(estimate: u64, truth: u64) -> f64 {
        (estimate as f64 - truth as f64).abs() / truth as f64
    }

    #[test]
    fn sketch_accuracy_within_three_standard_errors() {
        for (truth, offset) in [
            (20u64, 0u32),
            (100, 7),
            (1_000, 1 << 20),
            (10_000, 3 << 24),
            (100_000, 0x0a00_0000),
        ] {
            let mut sketch = SourceSketch::default();
            for n in 0..truth as u32 {
                sketch.insert(v4(offset.wrapping_add(n)));
            }
            let error = relative_error(sketch.estimate(), truth);
            assert!(
                error <= 3.0 * SKETCH_RELATIVE_ERROR,
                "{truth} distinct estimated as {} ({error:.3})",
                sketch.estimate()
            );
        }
    }

    #[test]
    fn sketch_average_error_matches_the_stated_error() {
        // Over many independent sketches the root-mean-square error should be close to
        // 1.04/sqrt(m); this guards against a wrong constant or estimator.
        let trials = 200u32;
        let truth = 5_000u32;
        let mut squares = 0.0;
        for trial in 0..trials {
            let mut sketch = SourceSketch::default();
            for n in 0..truth {
                let address = (scramble(u64::from(trial) << 32 | u64::from(n)) >> 32) as u32;
                sketch.insert(v4(address));
            }
            squares += relative_error(sketch.estimate(), u64::from(truth)).powi(2);
        }
        let rms = (squares / f64::from(trials)).sqrt();
        assert!(rms < 1.3 * SKETCH_RELATIVE_ERROR, "rms error {rms:.4}");
    }

    #[test]
    fn sketch_merge_equals_sketch_of_union_in_any_order() {
        let mut all = SourceSketch::default();
        let mut a = SourceSketch::default();
        let mut b = SourceSketch::default();
        for n in 0..500u32 {
            all.insert(v4(n));
            if n % 3 == 0 { &mut a } else { &mut b }.insert(v4(n));
        }
        let mut ab = a.clone();
        ab.merge(&b);
        let mut ba = b.clone();
        ba.merge(&a);
        assert_eq!(ab, all);
        assert_eq!(ba, all);

        let mut reverse = SourceSketch::default();
        for n in (0..500u32).rev() {
            reverse.insert(v4(n));
        }
        assert_eq!(reverse, all);
        let mut small = SourceSketch::default();
        small.insert(v4(3));
        small.insert(v4(1));
        let mut small_reverse = SourceSketch::default();
        small_reverse.insert(v4(1));
        small_reverse.insert(v4(3));
        assert_eq!(small, small_reverse);
    }

    #[test]
    fn bucket_memory_is_small() {
        // The figure the module header and METHOD notes quote.
        assert_eq!(std::mem::size_of::<(i64, TimeBucket)>(), 112);
    }
}
