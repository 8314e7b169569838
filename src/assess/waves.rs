//! Attack waves and the timeline chart: takes the aggregated [`Timeline`] after all packets
//! and gives the report's `timeline` (fixed-width buckets for charts) and `waves[]` (the
//! periods when the traffic was loud), plus the time-zone helpers renderers use to show times.
//!
//! # Chart buckets
//! Widths come from fixed steps, [`BUCKET_STEPS`] (1, 2, 5, 10, 15, 30 s, 1, 2, 5, 10, 15,
//! 30 min, 1 h): the smallest giving at most [`TARGET_BUCKETS`] (300) buckets over the span.
//! Spans over 300 h keep 1-hour buckets and get more than 300 of them, up to
//! [`MAX_CHART_BUCKETS`] (a leap year of hours); only beyond that (hostile timestamps) do
//! buckets widen to whole days. Buckets start at multiples of their width since the Unix
//! epoch, and empty ones between the first and last packet are listed as zeros so that
//! charts show gaps.
//!
//! # The wave rule
//! Per-second packet rates r are taken over every second from the first packet to the last,
//! empty seconds counting as 0 (at the timeline's resolution: rates are per-minute averages
//! after a fold). Then:
//! - quiet level q = median of r; spread s = 1.4826 * MAD (median absolute deviation from q;
//!   1.4826 makes it estimate the standard deviation of normal noise). Median and MAD ignore
//!   up to half of the seconds being a flood (Leys et al. 2013, "Detecting outliers: do not use
//!   standard deviation around the mean, use absolute deviation around the median").
//! - threshold T = max(4 q, q + 6 s), clamped to [100 pps, 1,000 pps]. The factor 4 asks for a
//!   clear jump over the quiet level; 6 MADs rather than the usual 3 because every second of a
//!   long capture is tested and benign traffic has heavy tails. The floor (100 pps) keeps a few
//!   hosts' benign bursts out of a capture that is otherwise nearly silent. The ceiling (1,000
//!   pps) makes rates that high count whatever the quiet level: a capture that is flood from
//!   start to end has no quiet time to compare with, and the sampled attack captures in the
//!   project's corpus peak at 4,000 to 22,000 pps.
//! - A second is elevated when r >= T. Elevated seconds are joined into one wave while the
//!   gap between them is at most max(10 s, 2 timeline buckets) (10 s unless the timeline was
//!   folded to minutes or coarser); a dip that short stays inside the wave. A wave keeps
//!   every packet from its first elevated second to the end of its last.
//! - A wave needs at least 1,000 packets and 3 elevated seconds (or, in a capture shorter than
//!   3 s, all of it), so short benign bursts and single noisy seconds are not waves.
//! - More than [`MAX_WAVES`] (50) waves: the merge gap doubles until at most 50 remain, so a
//!   pulsed attack over days reads as a few long waves rather than hundreds of short ones.
//!
//! Known limits: a capture below 1,000 pps throughout (no quiet time, no flood-level rate) has
//! no waves, even when it is an attack (the vectors still say so); a busy benign server above
//! 1,000 pps throughout shows as one wave covering the capture, and one hovering just below
//! it can show waves where it crosses it for 3 s or more. Wave times are bucket boundaries
//! (whole seconds), not the first and last packet's time.
//!
//! Distinct sources of a bucket or wave come from merging the per-second sketches (exact up to
//! 8 sources, then HyperLogLog with relative error about 6.5 %). For the report a wave's
//! count is the number of sources whose first..last time overlaps the wave (from the
//! per-source table the caller has after enrichment), which is exact for sources active only
//! within the wave; the sketch's estimate is used instead only when it is clearly lower (by
//! more than three standard errors). The same overlap gives `top_countries`.
//!
//! # Time zones
//! JSON is always UTC; `timeline.timezone` names the zone Markdown and HTML show times in.
//! Zones come from the IANA database bundled into the binary by jiff's `tzdb-bundle-always`
//! feature, so reports are the same on every machine, with or without /usr/share/zoneinfo.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use serde::Serialize;

use crate::aggregate::timeline::{SKETCH_RELATIVE_ERROR, SourceSketch, TimeBucket, Timeline};
use crate::timestamp::{format_rfc3339, fraction_digits};

const NANOS_PER_SECOND: i64 = 1_000_000_000;

/// Chart bucket widths in seconds, finest first.
pub const BUCKET_STEPS: [u64; 13] = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1_800, 3_600];

/// Buckets a chart aims at: enough to see a wave's shape, few enough to draw as bars.
pub const TARGET_BUCKETS: u64 = 300;

/// Most chart buckets ever listed (366 days of hours); wider spans get whole-day buckets.
pub const MAX_CHART_BUCKETS: u64 = 8_784;

/// Threshold multiple of the quiet level.
pub const QUIET_FACTOR: f64 = 4.0;
/// Threshold distance above the quiet level, in (MAD-estimated) standard deviations.
pub const SPREAD_FACTOR: f64 = 6.0;
/// Scales the MAD to a standard deviation for normal noise (1 / Phi^-1(3/4)).
const MAD_TO_SIGMA: f64 = 1.4826;
/// Lowest threshold, packets per second.
pub const FLOOR_PPS: f64 = 10.0;
/// Highest threshold: rates at or above it are always elevated, packets per second.
pub const CEILING_PPS: f64 = 1_000.0;
/// A rate of this fraction of the peak attack rate is always elevated (unless below the
/// floor): a capture that is flood from start to end has a quiet level as high as the flood,
/// and its seconds are still attack seconds.
pub const PEAK_FRACTION: f64 = 0.1;
/// Shortest quiet gap, in seconds, that ends a wave (also at least two buckets).
pub const MERGE_GAP_S: u64 = 10;
/// Fewest packets in a wave.
pub const MIN_WAVE_PACKETS: u64 = 100;
/// Fewest elevated seconds in a wave (fewer in a shorter capture).
pub const MIN_ELEVATED_S: u64 = 3;
/// Most waves listed; more are joined by widening the merge gap.
pub const MAX_WAVES: usize = 50;

/// The report's `timeline`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineReport {
    pub bucket_seconds: u64,
    /// IANA name of the zone renderers show times in; the times here are UTC.
    pub timezone: String,
    pub buckets: Vec<BucketReport>,
}

/// One chart bucket: `bucket_seconds` from `start`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BucketReport {
    /// RFC 3339, UTC.
    pub start: String,
    pub packets: u64,
    pub bytes: u64,
    /// Distinct sources (exact up to 8, then estimated).
    pub sources: u64,
}

/// A period of loud traffic found by [`detect_waves`].
#[derive(Debug, Clone, PartialEq)]
pub struct Wave {
    /// Start of the first elevated second, ns since the Unix epoch.
    pub start_ns: i64,
    /// End (exclusive) of the last elevated second.
    pub end_ns: i64,
    pub packets: u64,
    pub bytes: u64,
    /// Highest per-second packet rate within the wave.
    pub peak_pps: f64,
    /// Highest per-second rate in bits per second.
    pub peak_bps: f64,
    /// Distinct sources over the wave (merged sketches: exact up to 8, then about +-6.5 %).
    pub sources: u64,
}

impl Wave {
    pub fn duration_s(&self) -> f64 {
        (i128::from(self.end_ns) - i128::from(self.start_ns)) as f64 / 1e9
    }
}

/// The numbers the wave rule derived for one timeline, for explaining a result.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WaveThreshold {
    /// Median per-second packet rate, empty seconds included.
    pub quiet_pps: f64,
    /// 1.4826 * median absolute deviation from `quiet_pps`.
    pub spread_pps: f64,
    /// Rates at or above this are elevated.
    pub threshold_pps: f64,
}

/// A `waves[]` entry of the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WaveReport {
    pub start: String,
    pub end: String,
    pub duration_s: f64,
    pub peak_pps: f64,
    pub peak_bps: f64,
    pub packets: u64,
    pub bytes: u64,
    pub sources: u64,
    pub top_countries: Vec<CountryShare>,
    /// A tcpdump filter for the traffic to the victims; with `start` and `end` (e.g.
    /// `editcap -A START -B END`) it selects the wave's packets. Set by the report.
    pub bpf: Option<String>,
}

/// A country's part of the sources active during a wave.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CountryShare {
    /// ISO 3166-1 alpha-2, "ZZ" unknown (as the caller gives it).
    pub code: String,
    /// Sources of this country whose first..last time overlaps the wave.
    pub sources: u64,
    /// `sources` over all sources overlapping the wave.
    pub share_sources: f64,
}

/// Highest per-second packet and bit rates of the whole timeline (for `summary`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PeakRates {
    pub peak_pps: f64,
    pub peak_bps: f64,
}

/// Chart bucket width for a span: the smallest of `BUCKET_STEPS` giving at most
/// `TARGET_BUCKETS` buckets, and 3600 s for spans over 300 h (then more than 300 buckets).
pub fn bucket_seconds(span_s: f64) -> u64 {
    BUCKET_STEPS
        .into_iter()
        .find(|step| span_s / *step as f64 <= TARGET_BUCKETS as f64)
        .unwrap_or(3_600)
}

/// The report's `timeline`: fixed-width buckets from the first packet's to the last's,
/// empty ones included. `timezone` is canonicalised; an unknown one becomes "UTC".
pub fn timeline_report(timeline: &Timeline, timezone: &str) -> TimelineReport {
    let timezone = validate_timezone(timezone).unwrap_or_else(|_| "UTC".to_string());
    let resolution = timeline.resolution_s();
    let (Some(first), Some(last)) = (timeline.first_second(), timeline.last_second()) else {
        return TimelineReport {
            bucket_seconds: bucket_seconds(0.0).max(resolution),
            timezone,
            buckets: Vec::new(),
        };
    };
    let width = chart_width(first, last, resolution);
    let Ok(width_signed) = i64::try_from(width) else {
        return TimelineReport {
            bucket_seconds: width,
            timezone,
            buckets: Vec::new(),
        };
    };
    let mut buckets = Vec::new();
    let mut stored = timeline.buckets().peekable();
    let mut start = first.div_euclid(width_signed).saturating_mul(width_signed);
    loop {
        let end = start.saturating_add(width_signed);
        let mut combined = TimeBucket::default();
        while let Some((_, bucket)) = stored.next_if(|(key, _)| *key < end) {
            combined.merge(bucket);
        }
        buckets.push(BucketReport {
            start: format_rfc3339(start.saturating_mul(NANOS_PER_SECOND)),
            packets: combined.packets,
            bytes: combined.bytes,
            // A sketch estimate can exceed the packets it counted; distinct sources cannot.
            sources: combined.sources.estimate().min(combined.packets),
        });
        if end > last || end == start {
            break;
        }
        start = end;
    }
    TimelineReport {
        bucket_seconds: width,
        timezone,
        buckets,
    }
}

/// The chart width: the step for the span, never finer than the timeline's resolution, and
/// whole days when hourly buckets would be more than `MAX_CHART_BUCKETS`.
fn chart_width(first: i64, last: i64, resolution: u64) -> u64 {
    let span_s = (i128::from(last) - i128::from(first) + i128::from(resolution)) as f64;
    let mut width = bucket_seconds(span_s).max(resolution);
    // Resolutions (1 s, 1 min, 1 h, 1 day) divide every step at or above them; rounding up
    // keeps that true should the steps change.
    width = width.div_ceil(resolution).saturating_mul(resolution);
    let mut days = 1u64;
    while chart_bucket_count(first, last, width) > u128::from(MAX_CHART_BUCKETS) {
        // Start from the width that is about right, then step up a day at a time (at most a
        // step or two, since the estimate is already close).
        let estimate = (span_s / (86_400.0 * (MAX_CHART_BUCKETS - 2) as f64)).ceil() as u64;
        days = days.max(estimate).max(1);
        let next = days.saturating_mul(86_400);
        if next <= width {
            days = days.saturating_add(1);
            width = days.saturating_mul(86_400);
        } else {
            width = next;
        }
    }
    width
}

fn chart_bucket_count(first: i64, last: i64, width: u64) -> u128 {
    let Ok(width) = i64::try_from(width.max(1)) else {
        return 1;
    };
    let first = i128::from(first.div_euclid(width));
    let last = i128::from(last.div_euclid(width));
    u128::try_from(last - first + 1).unwrap_or(0)
}

/// Highest per-second rates of the timeline; zeros for an empty one.
pub fn peak_rates(timeline: &Timeline) -> PeakRates {
    let resolution = timeline.resolution_s().max(1) as f64;
    let (packets, bytes) = timeline
        .buckets()
        .fold((0u64, 0u64), |(packets, bytes), (_, bucket)| {
            (packets.max(bucket.packets), bytes.max(bucket.bytes))
        });
    PeakRates {
        peak_pps: packets as f64 / resolution,
        peak_bps: bytes as f64 * 8.0 / resolution,
    }
}

/// The quiet level, spread and threshold the wave rule uses; `None` for an empty timeline.
pub fn wave_threshold(timeline: &Timeline) -> Option<WaveThreshold> {
    let (first, last) = (timeline.first_second()?, timeline.last_second()?);
    let resolution = timeline.resolution_s().max(1);
    let mut rates: Vec<f64> = timeline
        .buckets()
        .map(|(_, bucket)| bucket.attack_packets as f64 / resolution as f64)
        .collect();
    rates.sort_by(f64::total_cmp);
    let slots = slot_count(first, last, resolution);
    let empty = slots.saturating_sub(rates.len() as u64);
    let middle = (slots.saturating_sub(1)) / 2;
    let quiet = kth_smallest(&rates, 0.0, empty, middle);
    let mut deviations: Vec<f64> = rates.iter().map(|rate| (rate - quiet).abs()).collect();
    deviations.sort_by(f64::total_cmp);
    // An empty second deviates from the quiet level by the quiet level itself.
    let spread = MAD_TO_SIGMA * kth_smallest(&deviations, quiet, empty, middle);
    let relative = (QUIET_FACTOR * quiet).max(quiet + SPREAD_FACTOR * spread);
    let peak = rates.last().copied().unwrap_or(0.0);
    let ceiling = CEILING_PPS.min(PEAK_FRACTION * peak).max(FLOOR_PPS);
    Some(WaveThreshold {
        quiet_pps: quiet,
        spread_pps: spread,
        threshold_pps: relative.clamp(FLOOR_PPS, ceiling),
    })
}

/// Buckets from the first to the last, empty ones included.
fn slot_count(first: i64, last: i64, resolution: u64) -> u64 {
    let slots = (i128::from(last) - i128::from(first)) / i128::from(resolution.max(1)) + 1;
    u64::try_from(slots).unwrap_or(u64::MAX)
}

/// The k-th smallest (from 0) of `sorted` together with `copies` copies of `value`, without
/// materialising the copies (a hostile span can have billions of empty seconds).
fn kth_smallest(sorted: &[f64], value: f64, copies: u64, k: u64) -> f64 {
    let below = sorted.partition_point(|x| *x < value) as u64;
    let pick = |index: u64| {
        usize::try_from(index)
            .ok()
            .and_then(|index| sorted.get(index))
            .copied()
            .unwrap_or(value)
    };
    if k < below {
        pick(k)
    } else if k - below < copies {
        value
    } else {
        pick(k - copies)
    }
}

/// Finds the waves of loud traffic; see the module documentation for the rule.
pub fn detect_waves(timeline: &Timeline) -> Vec<Wave> {
    let Some(threshold) = wave_threshold(timeline) else {
        return Vec::new();
    };
    let (Some(first), Some(last)) = (timeline.first_second(), timeline.last_second()) else {
        return Vec::new();
    };
    let resolution = timeline.resolution_s().max(1);
    let elevated: Vec<i64> = timeline
        .buckets()
        .filter(|(_, bucket)| {
            bucket.attack_packets as f64 / resolution as f64 >= threshold.threshold_pps
        })
        .map(|(key, _)| key)
        .collect();
    let span_s = slot_count(first, last, resolution).saturating_mul(resolution);
    let min_elevated_s = MIN_ELEVATED_S.min(span_s);
    let mut gap_s = MERGE_GAP_S.max(resolution.saturating_mul(2));
    loop {
        let candidates = group_elevated(&elevated, gap_s, resolution);
        let measured = measure(timeline, &candidates);
        let waves: Vec<(Span, Measure)> = candidates
            .into_iter()
            .zip(measured)
            .filter(|(span, measure)| {
                measure.packets >= MIN_WAVE_PACKETS
                    && span.elevated.saturating_mul(resolution) >= min_elevated_s
            })
            .collect();
        if waves.len() <= MAX_WAVES || gap_s >= span_s {
            let spans: Vec<Span> = waves.iter().map(|(span, _)| *span).collect();
            let sources = span_sources(timeline, &spans);
            let per_second = resolution as f64;
            return waves
                .into_iter()
                .zip(sources)
                .map(|((span, measure), sources)| Wave {
                    start_ns: span.start.saturating_mul(NANOS_PER_SECOND),
                    end_ns: span.end.saturating_mul(NANOS_PER_SECOND),
                    packets: measure.packets,
                    bytes: measure.bytes,
                    peak_pps: measure.peak_packets as f64 / per_second,
                    peak_bps: measure.peak_bytes as f64 * 8.0 / per_second,
                    sources: sources.min(measure.packets),
                })
                .collect();
        }
        gap_s = gap_s.saturating_mul(2);
    }
}

/// A candidate wave in seconds: `[start, end)` and how many elevated buckets it has.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: i64,
    end: i64,
    elevated: u64,
}

#[derive(Debug, Clone, Copy, Default)]
struct Measure {
    packets: u64,
    bytes: u64,
    peak_packets: u64,
    peak_bytes: u64,
}

/// Joins elevated bucket starts (sorted) whose quiet gap is at most `gap_s` seconds.
fn group_elevated(elevated: &[i64], gap_s: u64, resolution: u64) -> Vec<Span> {
    let width = i64::try_from(resolution).unwrap_or(i64::MAX);
    let gap = i64::try_from(gap_s).unwrap_or(i64::MAX);
    let mut spans: Vec<Span> = Vec::new();
    for &key in elevated {
        let end = key.saturating_add(width);
        match spans.last_mut() {
            Some(span) if key.saturating_sub(span.end) <= gap => {
                span.end = end;
                span.elevated += 1;
            }
            _ => spans.push(Span {
                start: key,
                end,
                elevated: 1,
            }),
        }
    }
    spans
}

/// Packets, bytes and peaks of every span (sorted, disjoint) in one pass over the buckets.
fn measure(timeline: &Timeline, spans: &[Span]) -> Vec<Measure> {
    let mut measures = vec![Measure::default(); spans.len()];
    let mut index = 0;
    for (key, bucket) in timeline.buckets() {
        while spans.get(index).is_some_and(|span| span.end <= key) {
            index += 1;
        }
        let (Some(span), Some(measure)) = (spans.get(index), measures.get_mut(index)) else {
            break;
        };
        if key >= span.start {
            measure.packets = measure.packets.saturating_add(bucket.attack_packets);
            measure.bytes = measure.bytes.saturating_add(bucket.attack_bytes);
            measure.peak_packets = measure.peak_packets.max(bucket.attack_packets);
            measure.peak_bytes = measure.peak_bytes.max(bucket.attack_bytes);
        }
    }
    measures
}

/// Distinct sources of every span (sorted, disjoint), merging its buckets' sketches in one
/// pass over the timeline.
fn span_sources(timeline: &Timeline, spans: &[Span]) -> Vec<u64> {
    let mut sketches = vec![SourceSketch::default(); spans.len()];
    let mut index = 0;
    for (key, bucket) in timeline.buckets() {
        while spans.get(index).is_some_and(|span| span.end <= key) {
            index += 1;
        }
        let (Some(span), Some(sketch)) = (spans.get(index), sketches.get_mut(index)) else {
            break;
        };
        if key >= span.start {
            sketch.merge(&bucket.sources);
        }
    }
    sketches.iter().map(SourceSketch::estimate).collect()
}

/// The countries of the sources active during `wave`, largest share first (ties by code),
/// at most `limit`. `sources` gives each source's first and last packet time (ns) and country
/// code; a source counts when `[first, last]` overlaps the wave. That is exact for sources
/// active only within one wave; one seen in two waves also counts in any wave between them.
pub fn top_countries<'a>(
    wave: &Wave,
    sources: impl IntoIterator<Item = (i64, i64, &'a str)>,
    limit: usize,
) -> Vec<CountryShare> {
    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    for (first_ns, last_ns, code) in sources {
        if first_ns < wave.end_ns && last_ns >= wave.start_ns {
            *counts.entry(code).or_default() += 1;
        }
    }
    rank_countries(counts, limit)
}

/// The `waves[]` entry for one wave. `sources` as for [`top_countries`]; its overlap count
/// also caps the sketch's estimate of the wave's sources (see the module notes).
pub fn wave_report<'a>(
    wave: &Wave,
    sources: impl IntoIterator<Item = WaveSender<'a>>,
    limit: usize,
) -> WaveReport {
    wave_reports(std::slice::from_ref(wave), sources, limit)
        .pop()
        .unwrap_or_else(|| report_with(wave, 0, BTreeMap::new(), limit))
}

/// `waves[]` for all waves (sorted by time, as `detect_waves` gives them) with one pass over
/// the sources: the same as `wave_report` for each wave.
pub fn wave_reports<'a>(
    waves: &[Wave],
    senders: impl IntoIterator<Item = WaveSender<'a>>,
    limit: usize,
) -> Vec<WaveReport> {
    let mut tallies: Vec<SenderTally> = vec![SenderTally::default(); waves.len()];
    for sender in senders {
        let from = waves.partition_point(|wave| wave.end_ns <= sender.first_ns);
        for (wave, tally) in waves.iter().zip(tallies.iter_mut()).skip(from) {
            if wave.start_ns > sender.last_ns {
                break;
            }
            tally.add(wave, &sender);
        }
    }
    waves
        .iter()
        .zip(tallies)
        .map(|(wave, tally)| {
            let refined = tally.refine(wave);
            report_with(
                &refined,
                tally.senders,
                tally.countries.into_iter().collect(),
                limit,
            )
        })
        .collect()
}

/// An attack sender as the wave report sees it: when it was active, where its address
/// geolocates, and what it sent.
#[derive(Debug, Clone, Copy)]
pub struct WaveSender<'a> {
    pub first_ns: i64,
    pub last_ns: i64,
    /// `None` for a bogon address, which has no country but is a sender all the same.
    pub country: Option<&'a str>,
    pub packets: u64,
    pub bytes: u64,
}

/// The senders overlapping one wave.
#[derive(Debug, Clone, Default)]
struct SenderTally<'a> {
    senders: u64,
    /// Hashed: one entry per sender per wave, ordered once for the report.
    countries: HashMap<&'a str, u64, foldhash::fast::RandomState>,
    packets: f64,
    bytes: f64,
    first_ns: Option<i64>,
    last_ns: Option<i64>,
}

impl<'a> SenderTally<'a> {
    /// Counts a sender that overlaps `wave`: all its packets when it was active only within
    /// the wave (the usual case: a flood's senders come and go with it), else the part of them
    /// its overlap with the wave makes up of its active time.
    fn add(&mut self, wave: &Wave, sender: &WaveSender<'a>) {
        self.senders += 1;
        if let Some(country) = sender.country {
            *self.countries.entry(country).or_default() += 1;
        }
        // Wave edges are whole seconds of the attack series; a sender whose packets run a
        // little past them (its last ACKs, a slow start) belongs to the wave all the same.
        let margin = i64::try_from(MERGE_GAP_S)
            .unwrap_or(i64::MAX)
            .saturating_mul(NANOS_PER_SECOND);
        let (start, end) = (
            wave.start_ns.saturating_sub(margin),
            wave.end_ns.saturating_add(margin),
        );
        let span = sender.last_ns.saturating_sub(sender.first_ns).max(0) as f64;
        let overlap = sender
            .last_ns
            .min(end)
            .saturating_sub(sender.first_ns.max(start))
            .max(0) as f64;
        let part = if span == 0.0 { 1.0 } else { overlap / span };
        self.packets += sender.packets as f64 * part;
        self.bytes += sender.bytes as f64 * part;
        let first = sender.first_ns.max(start);
        let last = sender.last_ns.min(end);
        self.first_ns = Some(self.first_ns.map_or(first, |known| known.min(first)));
        self.last_ns = Some(self.last_ns.map_or(last, |known| known.max(last)));
    }

    /// The wave with its edges moved in to the first and last attack sender's packet, and its
    /// packets and bytes those of the attack senders (the timeline's counts include ordinary
    /// traffic of the same seconds). Unchanged without senders.
    fn refine(&self, wave: &Wave) -> Wave {
        let (Some(first_ns), Some(last_ns)) = (self.first_ns, self.last_ns) else {
            return wave.clone();
        };
        Wave {
            start_ns: first_ns,
            end_ns: last_ns,
            packets: self.packets.round() as u64,
            bytes: self.bytes.round() as u64,
            ..wave.clone()
        }
    }
}

fn report_with(
    wave: &Wave,
    overlapping: u64,
    counts: BTreeMap<&str, u64>,
    limit: usize,
) -> WaveReport {
    // The overlap count is exact for every source active only within this wave (the usual
    // case: a flood's sources come and go with it) and counts one-off a source active before
    // and after the wave but silent during it. It is preferred to the sketch's estimate
    // (about +-6.5 %) unless the sketch says clearly fewer sources were active, i.e. below
    // the overlap count by more than three standard errors. A caller without per-source times
    // passes none; then the estimate stands alone.
    let clearly_fewer =
        (wave.sources as f64) * (1.0 + 3.0 * SKETCH_RELATIVE_ERROR) < overlapping as f64;
    let sources = if overlapping == 0 || clearly_fewer {
        wave.sources
    } else {
        overlapping
    };
    WaveReport {
        start: format_rfc3339(wave.start_ns),
        end: format_rfc3339(wave.end_ns),
        duration_s: wave.duration_s(),
        peak_pps: wave.peak_pps,
        peak_bps: wave.peak_bps,
        packets: wave.packets,
        bytes: wave.bytes,
        sources,
        top_countries: rank_countries(counts, limit),
        bpf: None,
    }
}

fn rank_countries(counts: BTreeMap<&str, u64>, limit: usize) -> Vec<CountryShare> {
    let total: u64 = counts.values().sum();
    let mut ranked: Vec<(&str, u64)> = counts.into_iter().collect();
    // Stable sort over keys already in order: ties stay sorted by code.
    ranked.sort_by_key(|(_, sources)| std::cmp::Reverse(*sources));
    ranked
        .into_iter()
        .take(limit)
        .map(|(code, sources)| CountryShare {
            code: code.to_string(),
            sources,
            share_sources: sources as f64 / total.max(1) as f64,
        })
        .collect()
}

/// The time-zone database compiled into the binary; one copy so its parsed zones are cached.
fn zone_database() -> &'static jiff::tz::TimeZoneDatabase {
    static DATABASE: OnceLock<jiff::tz::TimeZoneDatabase> = OnceLock::new();
    DATABASE.get_or_init(jiff::tz::TimeZoneDatabase::bundled)
}

/// Checks a `--tz` value: an IANA zone name (any letter case) or "UTC". Gives the canonical
/// name ("europe/berlin" -> "Europe/Berlin"), or a message for the user.
pub fn validate_timezone(name: &str) -> Result<String, String> {
    let trimmed = name.trim();
    if trimmed.eq_ignore_ascii_case("UTC") {
        return Ok("UTC".to_string());
    }
    let unknown = || {
        format!(
            "unknown time zone `{name}`: give an IANA name such as Europe/Berlin or \
             America/New_York, or UTC"
        )
    };
    if trimmed.is_empty() {
        return Err(unknown());
    }
    let zone = zone_database().get(trimmed).map_err(|_| unknown())?;
    match zone.iana_name() {
        // jiff answers "Etc/Unknown" with a placeholder zone, which is no zone to show.
        Some(canonical) if !canonical.eq_ignore_ascii_case("Etc/Unknown") => {
            Ok(canonical.to_string())
        }
        _ => Err(unknown()),
    }
}

/// A time as people in `zone` read it: "2025-03-10 14:00:00 CET", with the fraction the time
/// has (as in the JSON). An unknown zone shows UTC rather than failing a rendering.
pub fn format_in_zone(timestamp_ns: i64, zone: &str) -> String {
    let zone = zone_database()
        .get(zone.trim())
        .unwrap_or(jiff::tz::TimeZone::UTC);
    let Ok(moment) = jiff::Timestamp::from_nanosecond(i128::from(timestamp_ns)) else {
        return format_rfc3339(timestamp_ns);
    };
    let fraction = fraction_digits(timestamp_ns.rem_euclid(NANOS_PER_SECOND));
    let pattern = format!("%Y-%m-%d %H:%M:%S{fraction} %Z");
    jiff::fmt::strtime::format(pattern.as_str(), &moment.to_zoned(zone))
        .unwrap_or_else(|_| format_rfc3339(timestamp_ns))
}

/// `format_in_zone` for a time the report already holds as RFC 3339 text (what templates
/// have); `None` if the text is not such a time.
pub fn format_rfc3339_in_zone(rfc3339: &str, zone: &str) -> Option<String> {
    let moment: jiff::Timestamp = rfc3339.parse().ok()?;
    let nanos = i64::try_from(moment.as_nanosecond()).ok()?;
    Some(format_in_zone(nanos, zone))
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};

    use super::*;

    /// Senders of one packet each, from (first, last, country).
    fn senders<'a>(tuples: impl IntoIterator<Item = (i64, i64, &'a str)>) -> Vec<WaveSender<'a>> {
        tuples
            .into_iter()
            .map(|(first_ns, last_ns, country)| WaveSender {
                first_ns,
                last_ns,
                country: Some(country),
                packets: 1,
                bytes: 1,
            })
            .collect()
    }

    const SECOND: i64 = NANOS_PER_SECOND;
    const DAY: i64 = 86_400;
    /// 2025-03-10T00:00:00Z
    const BASE: i64 = 1_741_564_800;

    fn v4(n: u32) -> IpAddr {
        IpAddr::V4(Ipv4Addr::from(n))
    }

    /// Adds `packets` packets spread evenly over second `second`, from `sources` sources.
    fn fill(timeline: &mut Timeline, second: i64, packets: u64, sources: u32) {
        for i in 0..packets {
            let offset = (i as i64) * SECOND / packets.max(1) as i64;
            timeline.observe(
                second * SECOND + offset,
                100,
                v4((i % u64::from(sources.max(1))) as u32),
                true,
            );
        }
    }

    /// A flood of `pps` packets per second for `seconds` seconds from `start`.
    fn flood(timeline: &mut Timeline, start: i64, seconds: i64, pps: u64) {
        for second in start..start + seconds {
            fill(timeline, second, pps, 5_000);
        }
    }

    /// One packet every `every` seconds from `start` to `end`.
    fn background(timeline: &mut Timeline, start: i64, end: i64, every: i64) {
        let mut second = start;
        while second < end {
            timeline.observe(second * SECOND + 250_000_000, 80, v4(0x0a00_0001), true);
            second += every;
        }
    }

    #[test]
    fn bucket_steps() {
        let cases = [
            (0.0, 1),
            (-5.0, 1),
            (f64::NAN, 3_600),
            (1.0, 1),
            (300.0, 1),
            (301.0, 2),
            (600.0, 2),
            (601.0, 5),
            (3_000.0, 10),
            (4_500.0, 15),
            (9_000.0, 30),
            (3.0 * 3600.0, 60),
            (10.0 * 3600.0, 120),
            (24.0 * 3600.0, 300),
            (50.0 * 3600.0, 600),
            (75.0 * 3600.0, 900),
            (150.0 * 3600.0, 1_800),
            (300.0 * 3600.0, 3_600),
            (1_000.0 * 3600.0, 3_600),
            (f64::INFINITY, 3_600),
        ];
        for (span, expected) in cases {
            assert_eq!(bucket_seconds(span), expected, "span {span}");
        }
    }

    #[test]
    fn single_flood_is_one_wave() {
        let mut timeline = Timeline::default();
        background(&mut timeline, BASE, BASE + 3_600, 20);
        flood(&mut timeline, BASE + 600, 120, 2_000);
        let waves = detect_waves(&timeline);
        assert_eq!(waves.len(), 1, "{waves:?}");
        let wave = &waves[0];
        assert_eq!(wave.start_ns, (BASE + 600) * SECOND);
        assert_eq!(wave.end_ns, (BASE + 720) * SECOND);
        assert_eq!(wave.duration_s(), 120.0);
        // The flood plus the six background packets that fall inside it.
        assert_eq!(wave.packets, 240_006);
        assert_eq!(wave.bytes, 24_000_480);
        assert_eq!(wave.peak_pps, 2_001.0);
        assert_eq!(wave.peak_bps, 1_600_640.0);
        let error = (wave.sources as f64 - 2_000.0).abs() / 2_000.0;
        assert!(error < 0.3, "sources {}", wave.sources);
    }

    #[test]
    fn capture_that_is_flood_throughout_is_one_wave() {
        let mut timeline = Timeline::default();
        flood(&mut timeline, BASE, 60, 5_000);
        let waves = detect_waves(&timeline);
        assert_eq!(waves.len(), 1);
        assert_eq!(waves[0].packets, 300_000);
        // A one-second capture of an amplification attack is still a wave.
        let mut short = Timeline::default();
        fill(&mut short, BASE, 4_373, 4_300);
        assert_eq!(detect_waves(&short).len(), 1);
    }

    #[test]
    fn two_floods_a_day_apart_are_two_waves() {
        let mut timeline = Timeline::default();
        background(&mut timeline, BASE, BASE + 2 * DAY, 15);
        flood(&mut timeline, BASE + 3_600, 300, 1_500);
        flood(&mut timeline, BASE + DAY + 3_600, 200, 20_000);
        let waves = detect_waves(&timeline);
        assert_eq!(waves.len(), 2, "{waves:?}");
        assert_eq!(waves[0].start_ns, (BASE + 3_600) * SECOND);
        assert_eq!(waves[0].end_ns, (BASE + 3_900) * SECOND);
        assert_eq!(waves[1].start_ns, (BASE + DAY + 3_600) * SECOND);
        assert_eq!(waves[1].peak_pps, 20_001.0);
        let threshold = wave_threshold(&timeline).map(|t| t.threshold_pps);
        assert_eq!(threshold, Some(FLOOR_PPS));
    }

    #[test]
    fn steady_benign_traffic_has_no_wave() {
        // A few packets a minute for a day.
        let mut sparse = Timeline::default();
        background(&mut sparse, BASE, BASE + DAY, 20);
        assert!(detect_waves(&sparse).is_empty());
        // A busy but steady link: 300 +- 40 packets per second for an hour.
        // Its packets are not attack-classified (the series waves are found in), so however
        // busy, it has no wave.
        let mut busy = Timeline::default();
        for second in 0..3_600u64 {
            let jitter = (second * 7_919 % 81) as i64 - 40;
            for i in 0..(300 + jitter) {
                busy.observe(
                    (BASE + second as i64) * SECOND + i,
                    100,
                    v4(i as u32),
                    false,
                );
            }
        }
        assert!(detect_waves(&busy).is_empty());
        // Benign bursts (page loads) of a few hundred packets in single seconds.
        let mut bursts = sparse.clone();
        for n in 0..20 {
            fill(&mut bursts, BASE + 1_000 + n * 3_000, 400, 3);
        }
        assert!(detect_waves(&bursts).is_empty());
    }

    #[test]
    fn a_short_dip_stays_inside_the_wave() {
        let mut timeline = Timeline::default();
        background(&mut timeline, BASE, BASE + 1_800, 10);
        flood(&mut timeline, BASE + 300, 60, 3_000);
        // 8 s with almost nothing, then the flood resumes.
        flood(&mut timeline, BASE + 368, 60, 3_000);
        let waves = detect_waves(&timeline);
        assert_eq!(waves.len(), 1, "{waves:?}");
        assert_eq!(waves[0].start_ns, (BASE + 300) * SECOND);
        assert_eq!(waves[0].end_ns, (BASE + 428) * SECOND);
        // A longer pause splits it.
        let mut split = Timeline::default();
        background(&mut split, BASE, BASE + 1_800, 10);
        flood(&mut split, BASE + 300, 60, 3_000);
        flood(&mut split, BASE + 400, 60, 3_000);
        assert_eq!(detect_waves(&split).len(), 2);
    }

    #[test]
    fn corpus_syn_flood_shape_is_one_wave() {
        // Per-second counts of the corpus' ddos-tcp-syn-flood-spoofed.pcap: a flood of five
        // seconds with one empty second inside, then ten seconds of a slow tail.
        let counts = [
            22_322, 1_973, 0, 7_538, 5_206, 0, 0, 0, 0, 0, 0, 0, 0, 0, 73, 78, 87, 63, 98, 85, 79,
            90, 83, 66,
        ];
        let mut timeline = Timeline::default();
        for (offset, &count) in counts.iter().enumerate() {
            fill(&mut timeline, BASE + offset as i64, count, 30_000);
        }
        let waves = detect_waves(&timeline);
        assert_eq!(waves.len(), 1, "{waves:?}");
        assert_eq!(waves[0].start_ns, BASE * SECOND);
        assert_eq!(waves[0].end_ns, (BASE + 5) * SECOND);
        assert_eq!(waves[0].packets, 22_322 + 1_973 + 7_538 + 5_206);
    }

    #[test]
    fn many_pulses_are_joined_into_at_most_max_waves() {
        let mut timeline = Timeline::default();
        for pulse in 0..200 {
            flood(&mut timeline, BASE + pulse * 60, 5, 2_000);
        }
        let waves = detect_waves(&timeline);
        assert!(
            !waves.is_empty() && waves.len() <= MAX_WAVES,
            "{}",
            waves.len()
        );
        let packets: u64 = waves.iter().map(|w| w.packets).sum();
        assert_eq!(packets, 200 * 5 * 2_000);
    }

    #[test]
    fn out_of_order_and_merged_timelines_give_the_same_waves() {
        let mut whole = Timeline::default();
        background(&mut whole, BASE, BASE + 7_200, 30);
        flood(&mut whole, BASE + 100, 50, 4_000);
        let mut late_first = Timeline::default();
        flood(&mut late_first, BASE + 100, 50, 4_000);
        let mut early = Timeline::default();
        background(&mut early, BASE, BASE + 7_200, 30);
        late_first.merge(&early);
        assert_eq!(detect_waves(&late_first), detect_waves(&whole));
        assert_eq!(detect_waves(&whole).len(), 1);
    }

    #[test]
    fn hostile_timestamps_do_not_panic_and_stay_bounded() {
        let mut timeline = Timeline::default();
        for &time in &[0, i64::MAX / 2, i64::MIN, i64::MAX, -SECOND, 1] {
            for _ in 0..2_000 {
                timeline.observe(time, 1_500, v4(1), true);
            }
        }
        let waves = detect_waves(&timeline);
        assert!(waves.len() <= MAX_WAVES);
        let report = timeline_report(&timeline, "UTC");
        assert!(report.buckets.len() as u64 <= MAX_CHART_BUCKETS);
        assert!(report.bucket_seconds % 86_400 == 0);
        let packets: u64 = report.buckets.iter().map(|b| b.packets).sum();
        assert_eq!(packets, 12_000);
        for wave in &waves {
            let _ = wave_report(wave, senders([(i64::MIN, i64::MAX, "ZZ")]), 3);
        }
        assert_eq!(timeline_report(&Timeline::default(), "UTC").buckets, vec![]);
        assert!(detect_waves(&Timeline::default()).is_empty());
    }

    #[test]
    fn timeline_report_aligns_buckets_and_fills_gaps() {
        let mut timeline = Timeline::default();
        // 10 minutes: 2 s buckets.
        fill(&mut timeline, BASE + 1, 10, 2);
        fill(&mut timeline, BASE + 2, 5, 2);
        fill(&mut timeline, BASE + 7, 1, 1);
        fill(&mut timeline, BASE + 599, 3, 1);
        let report = timeline_report(&timeline, "europe/berlin");
        assert_eq!(report.bucket_seconds, 2);
        assert_eq!(report.timezone, "Europe/Berlin");
        assert_eq!(report.buckets.len(), 300);
        assert_eq!(report.buckets[0].start, "2025-03-10T00:00:00Z");
        assert_eq!(
            (report.buckets[0].packets, report.buckets[0].sources),
            (10, 2)
        );
        assert_eq!(report.buckets[1].packets, 5);
        assert_eq!(report.buckets[2].packets, 0);
        assert_eq!(report.buckets[3].packets, 1);
        assert_eq!(report.buckets[3].start, "2025-03-10T00:00:06Z");
        assert_eq!(report.buckets[299].start, "2025-03-10T00:09:58Z");
        assert_eq!(report.buckets[299].bytes, 300);
        assert_eq!(timeline_report(&timeline, "Mars/Olympus").timezone, "UTC");
    }

    #[test]
    fn long_spans_keep_hourly_buckets() {
        let mut timeline = Timeline::default();
        fill(&mut timeline, BASE, 1, 1);
        fill(&mut timeline, BASE + 40 * DAY, 1, 1);
        let report = timeline_report(&timeline, "UTC");
        assert_eq!(report.bucket_seconds, 3_600);
        assert_eq!(report.buckets.len(), 40 * 24 + 1);
    }

    #[test]
    fn report_serialises_with_contract_names() {
        let mut timeline = Timeline::default();
        flood(&mut timeline, BASE, 10, 1_000);
        let report = timeline_report(&timeline, "UTC");
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["bucket_seconds"], 1);
        assert_eq!(json["timezone"], "UTC");
        let bucket = &json["buckets"][0];
        for key in ["start", "packets", "bytes", "sources"] {
            assert!(bucket.get(key).is_some(), "{key}");
        }
        let waves = detect_waves(&timeline);
        let last = BASE * SECOND + 9 * SECOND + SECOND / 2;
        let reports = wave_reports(&waves, senders([(BASE * SECOND, last, "DE")]), 5);
        let json = serde_json::to_value(&reports).unwrap();
        let wave = &json[0];
        for key in [
            "start",
            "end",
            "duration_s",
            "peak_pps",
            "peak_bps",
            "packets",
            "bytes",
            "sources",
            "top_countries",
        ] {
            assert!(wave.get(key).is_some(), "{key}");
        }
        assert_eq!(wave["start"], "2025-03-10T00:00:00Z");
        // Moved in to the last attack sender's packet.
        assert_eq!(wave["end"], "2025-03-10T00:00:09.500Z");
        assert_eq!(wave["top_countries"][0]["code"], "DE");
        assert_eq!(wave["top_countries"][0]["share_sources"], 1.0);
    }

    #[test]
    fn wave_counts_its_senders_packets_and_splits_those_active_across_waves() {
        let wave = |start: i64, end: i64| Wave {
            start_ns: start * SECOND,
            end_ns: end * SECOND,
            packets: 999,
            bytes: 999,
            peak_pps: 1.0,
            peak_bps: 8.0,
            sources: 3,
        };
        let waves = [wave(100, 200), wave(300, 400)];
        let sender = |first: i64, last: i64, packets: u64| WaveSender {
            first_ns: first * SECOND,
            last_ns: last * SECOND,
            country: Some("DE"),
            packets,
            bytes: packets * 60,
        };
        let reports = wave_reports(
            &waves,
            [
                // Only in the first wave: all 50 packets, and it sets the first wave's start.
                sender(110, 150, 50),
                // From 150 to 350: 60 of its 200 seconds within each wave and its 10 s margin.
                sender(150, 350, 400),
                // Only in the second wave; it sets the second wave's end.
                sender(320, 390, 10),
            ],
            5,
        );
        assert_eq!(reports[0].packets, 50 + 120);
        assert_eq!(reports[0].bytes, (50 + 120) * 60);
        assert_eq!(reports[0].start, "1970-01-01T00:01:50Z");
        assert_eq!(reports[0].end, "1970-01-01T00:03:30Z");
        assert_eq!(reports[1].packets, 120 + 10);
        assert_eq!(reports[1].start, "1970-01-01T00:04:50Z");
        assert_eq!(reports[1].end, "1970-01-01T00:06:30Z");
        assert_eq!((reports[0].sources, reports[1].sources), (2, 2));
    }

    #[test]
    fn top_countries_count_overlapping_sources() {
        let wave = Wave {
            start_ns: 100,
            end_ns: 200,
            packets: 0,
            bytes: 0,
            peak_pps: 0.0,
            peak_bps: 0.0,
            sources: 0,
        };
        let sources = [
            (150, 150, "UA"),
            (50, 100, "RU"),  // last packet at the start: overlaps
            (199, 300, "RU"), // first packet just before the end: overlaps
            (200, 300, "US"), // starts at the (exclusive) end: does not
            (0, 99, "US"),    // ends before: does not
            (0, 1_000, "CN"), // spans it: counts (the approximation)
            (120, 130, "BR"),
        ];
        let top = top_countries(&wave, sources, 3);
        let got: Vec<(&str, u64)> = top.iter().map(|c| (c.code.as_str(), c.sources)).collect();
        assert_eq!(got, vec![("RU", 2), ("BR", 1), ("CN", 1)]);
        assert_eq!(top[0].share_sources, 0.4);
        let report = wave_report(&wave, senders(sources), 3);
        assert_eq!(report.top_countries, top);
        // The sketch said 0 here; the cap only ever lowers it.
        assert_eq!(report.sources, 0);
    }

    #[test]
    fn one_pass_reports_match_per_wave_counts() {
        let waves: Vec<Wave> = [(0, 10), (20, 30), (40, 50)]
            .into_iter()
            .map(|(start_ns, end_ns)| Wave {
                start_ns,
                end_ns,
                packets: 1,
                bytes: 1,
                peak_pps: 1.0,
                peak_bps: 8.0,
                sources: 1,
            })
            .collect();
        let codes = ["DE", "FR", "NL", "ZZ"];
        let sources: Vec<(i64, i64, &str)> = (0..60i64)
            .flat_map(|first| (first..60).step_by(7).map(move |last| (first, last)))
            .enumerate()
            .map(|(i, (first, last))| (first, last, codes[i % codes.len()]))
            .collect();
        let reports = wave_reports(&waves, senders(sources.iter().copied()), 2);
        for (wave, report) in waves.iter().zip(&reports) {
            assert_eq!(
                report,
                &wave_report(wave, senders(sources.iter().copied()), 2)
            );
            assert_eq!(
                report.top_countries,
                top_countries(wave, sources.iter().copied(), 2)
            );
        }
    }

    #[test]
    fn wave_sources_are_capped_by_the_overlapping_sources() {
        let mut timeline = Timeline::default();
        flood(&mut timeline, BASE, 20, 3_000);
        let waves = detect_waves(&timeline);
        let wave = &waves[0];
        let truth = 3_000;
        let inside: Vec<(i64, i64, &str)> = (0..truth)
            .map(|_| (BASE * SECOND, (BASE + 19) * SECOND, "DE"))
            .collect();
        let report = wave_report(wave, senders(inside.iter().copied()), 5);
        assert!(report.sources <= truth as u64);
        assert_eq!(report.sources, wave.sources.min(truth as u64));
        // Without per-source times the estimate stands.
        assert_eq!(wave_report(wave, [], 5).sources, wave.sources);
    }

    #[test]
    fn peak_rates_of_the_timeline() {
        let mut timeline = Timeline::default();
        fill(&mut timeline, BASE, 10, 1);
        fill(&mut timeline, BASE + 5, 30, 1);
        assert_eq!(
            peak_rates(&timeline),
            PeakRates {
                peak_pps: 30.0,
                peak_bps: 24_000.0
            }
        );
    }

    #[test]
    fn time_zones_are_validated_and_canonical() {
        assert_eq!(validate_timezone("UTC"), Ok("UTC".to_string()));
        assert_eq!(validate_timezone("utc"), Ok("UTC".to_string()));
        assert_eq!(
            validate_timezone("Europe/Berlin"),
            Ok("Europe/Berlin".to_string())
        );
        assert_eq!(
            validate_timezone("america/new_york"),
            Ok("America/New_York".to_string())
        );
        for bad in [
            "",
            "  ",
            "Mars/Olympus",
            "Europe/Berlinn",
            "CET+1",
            "Etc/Unknown",
        ] {
            assert!(validate_timezone(bad).is_err(), "{bad:?}");
        }
        assert!(
            validate_timezone("Nowhere/Town")
                .unwrap_err()
                .contains("Nowhere/Town")
        );
    }

    #[test]
    fn berlin_times_across_daylight_saving() {
        let berlin = "Europe/Berlin";
        // 2025-03-10T13:00:00Z, winter time.
        assert_eq!(
            format_in_zone(1_741_611_600 * SECOND, berlin),
            "2025-03-10 14:00:00 CET"
        );
        // Spring forward at 2025-03-30T01:00:00Z: 01:59:59 CET is followed by 03:00:00 CEST.
        let spring = 1_743_296_400 * SECOND;
        assert_eq!(
            format_in_zone(spring - SECOND, berlin),
            "2025-03-30 01:59:59 CET"
        );
        assert_eq!(format_in_zone(spring, berlin), "2025-03-30 03:00:00 CEST");
        // Fall back at 2025-10-26T01:00:00Z: 02:59:59 CEST is followed by 02:00:00 CET.
        let autumn = 1_761_440_400 * SECOND;
        assert_eq!(
            format_in_zone(autumn - SECOND, berlin),
            "2025-10-26 02:59:59 CEST"
        );
        assert_eq!(format_in_zone(autumn, berlin), "2025-10-26 02:00:00 CET");
        // The fraction the time has, as in the JSON.
        assert_eq!(
            format_in_zone(1_741_611_600 * SECOND + 250_000_000, berlin),
            "2025-03-10 14:00:00.250 CET"
        );
        assert_eq!(
            format_in_zone(1_741_611_600 * SECOND, "UTC"),
            "2025-03-10 13:00:00 UTC"
        );
        // An unknown zone falls back to UTC; extreme times do not panic.
        assert_eq!(format_in_zone(0, "Mars/Olympus"), "1970-01-01 00:00:00 UTC");
        assert!(format_in_zone(i64::MIN, berlin).starts_with("1677-09-21"));
        assert!(format_in_zone(i64::MAX, berlin).starts_with("2262-04-12"));
        assert_eq!(
            format_rfc3339_in_zone("2025-03-10T13:00:00.250Z", berlin).as_deref(),
            Some("2025-03-10 14:00:00.250 CET")
        );
        assert_eq!(format_rfc3339_in_zone("yesterday", berlin), None);
    }
}
