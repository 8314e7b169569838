//! The scenario generator: takes a scenario's name, a seed and a scale, gives a capture file
//! (pcap or pcapng) and beside it `<name>.truth.json`, the ground truth a correct report on the
//! capture must state. The same seed gives byte-identical files.
//!
//! The parts, in the order the data flows:
//!
//! - `catalogue`: the scenarios (who attacks whom, how, through which capture interfaces);
//! - `geo`, `hosts`, `bogon`: source addresses drawn from the embedded GeoIP/ASN databases'
//!   real networks, with their origin, operating system and stable TTL;
//! - `flows`, `payload`, `packet`: floods, reflection, HTTP over TCP, benign life, built byte by
//!   byte with correct checksums;
//! - `engine`: merges the flows into one time-ordered stream;
//! - `link`, `writer`: frames for Ethernet/VLAN, Linux cooked v2 or raw IP, written as pcap or
//!   pcapng;
//! - `truth`: counts what was written and states it in the report contract's terms;
//! - `rng`: the deterministic random numbers under all of it.

mod bogon;
mod catalogue;
mod engine;
mod flows;
mod geo;
mod hosts;
mod link;
mod packet;
mod payload;
mod rng;
mod truth;
mod writer;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, Result, bail};
use serde::Serialize;
use serde_json::json;

pub use catalogue::{CATALOGUE, Entry};
pub use geo::Geo;

use catalogue::Settings;
use engine::SECOND;
use truth::{CaptureFacts, Expectations, Tally};
use writer::{CaptureWriter, Format, Interface};

/// How big a capture to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// The committed samples: at most about 2 MB each.
    Small,
    /// About 1 GB, millions of sources for the floods: for benchmarks.
    Large,
    /// Every count multiplied by this.
    Factor(u64),
}

/// Generation settings beside the scenario's name.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub seed: u64,
    pub scale: Scale,
    /// Attack events per second (flood packets, replies, connections).
    pub rate: Option<u64>,
    /// Seconds each attack phase lasts.
    pub duration_s: Option<u64>,
    /// Capture start, seconds since 1970.
    pub start_s: Option<i64>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            seed: 1,
            scale: Scale::Small,
            rate: None,
            duration_s: None,
            start_s: None,
        }
    }
}

/// What one generation wrote.
#[derive(Debug, Clone)]
pub struct Generated {
    pub name: &'static str,
    pub capture: PathBuf,
    pub truth: PathBuf,
    pub packets: u64,
    pub bytes: u64,
    pub truth_keys: usize,
    pub seconds: f64,
}

/// The seed the committed samples are generated with.
pub const SAMPLE_SEED: u64 = 1;

/// Writes the scenario `name` into `out_dir` as `<name>.pcap[ng]` and `<name>.truth.json`.
///
/// # Errors
/// Unknown scenario, a database that cannot give the hosts, or a file that cannot be written.
pub fn generate(geo: &Geo, name: &str, out_dir: &Path, options: &Options) -> Result<Generated> {
    let started = Instant::now();
    let entry = catalogue::entry(name)?;
    let factor = match options.scale {
        Scale::Small => 1,
        Scale::Large => entry.large_factor,
        Scale::Factor(0) => bail!("the scale factor must be at least 1"),
        Scale::Factor(factor) => factor,
    };
    let settings = Settings {
        seed: options.seed,
        factor,
        rate: options.rate,
        duration: options
            .duration_s
            .map(|s| i64::try_from(s).unwrap_or(i64::MAX / SECOND) * SECOND),
        start: options.start_s.map(|s| s * SECOND),
    };
    let mut scene = entry
        .scene(geo, &settings)
        .with_context(|| format!("building scenario {name}"))?;
    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("cannot create {}", out_dir.display()))?;
    let capture_path = out_dir.join(format!("{name}.{}", scene.format.extension()));
    let mut writer = CaptureWriter::create(&capture_path, scene.format, &scene.interfaces)?;
    let mut tally = Tally::new(geo, &scene.vectors);
    let mut frame = Vec::with_capacity(2048);
    let interfaces = &scene.interfaces;
    engine::run(&mut scene.flows, |queued| {
        let index = usize::from(queued.meta.interface);
        let Some(interface) = interfaces.get(index) else {
            bail!("no interface {index}");
        };
        frame.clear();
        interface
            .link
            .header(&mut frame, queued.ethertype, queued.meta.direction);
        frame.extend_from_slice(&queued.bytes);
        interface.link.pad(&mut frame);
        let stored = writer.write(index, queued.time, &frame)?;
        tally.observe(stored, frame.len(), queued)
    })
    .with_context(|| format!("writing {}", capture_path.display()))?;
    let written = writer.finish()?;

    let capture = capture_facts(&scene.format, interfaces, &written);
    let expect = tally.expectations(&capture, &scene.verdicts);
    let truth_path = out_dir.join(format!("{name}.truth.json"));
    let file_name = capture_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let document = TruthFile {
        schema: "whence.truth/1",
        scenario: entry.name,
        title: entry.title,
        story: entry.story,
        generator: json!({
            "command": command_line(entry, options),
            "seed": options.seed,
            "factor": factor,
        }),
        capture: json!({
            "file": file_name,
            "format": scene.format,
            "interfaces": interfaces,
        }),
        report: json!({
            "arguments": ["--no-system-db"],
            "claims": scene.verdicts.claims.iter().map(|(claim, _)| claim).collect::<Vec<_>>(),
        }),
        compare: json!({
            "integers, strings, booleans, null, lists": "exactly",
            "fractions (shares, entropies, ratios)": "within 0.005",
            "times (first_seen, last_seen, start, end)": "within one second",
            "durations (duration_s)": "within one second",
            "key syntax": "a.b object keys; a[3] list index; a[k=v,k2=v2] the list element whose fields have these values; a.# list length",
        }),
        expect: &expect,
        notes: json!({
            "frames_by_role": {
                "attack": tally.role_counts()[0],
                "victim_replies": tally.role_counts()[1],
                "benign": tally.role_counts()[2],
            },
        }),
    };
    let mut text = serde_json::to_string_pretty(&document)?;
    text.push('\n');
    std::fs::write(&truth_path, text)
        .with_context(|| format!("cannot write {}", truth_path.display()))?;
    Ok(Generated {
        name: entry.name,
        capture: capture_path,
        truth: truth_path,
        packets: tally.packets(),
        bytes: written.bytes,
        truth_keys: expect.len(),
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Regenerates every scenario at the sample scale with the sample seed into `dir`.
///
/// # Errors
/// As `generate`.
pub fn samples(geo: &Geo, dir: &Path) -> Result<Vec<Generated>> {
    CATALOGUE
        .iter()
        .map(|entry| generate(geo, entry.name, dir, &Options::default()))
        .collect()
}

#[derive(Serialize)]
struct TruthFile<'a> {
    schema: &'static str,
    scenario: &'a str,
    title: &'a str,
    story: &'a str,
    generator: serde_json::Value,
    capture: serde_json::Value,
    /// How to run whence for the comparison.
    report: serde_json::Value,
    compare: serde_json::Value,
    expect: &'a Expectations,
    notes: serde_json::Value,
}

fn capture_facts(
    format: &Format,
    interfaces: &[Interface],
    written: &writer::Written,
) -> CaptureFacts {
    let mut link_types: Vec<(u32, &'static str)> = interfaces
        .iter()
        .map(|i| (i.link.link_type(), i.link.name()))
        .collect();
    // whence lists the declared link types in numeric order, once each.
    link_types.sort_unstable();
    link_types.dedup();
    CaptureFacts {
        sha256: written.sha256.clone(),
        bytes: written.bytes,
        format: format.name(),
        link_types: link_types.into_iter().map(|(_, name)| name).collect(),
        interface_drops: (*format == Format::Pcapng).then_some(0),
        resolution: 9,
    }
}

/// The command that writes this file again.
fn command_line(entry: &Entry, options: &Options) -> String {
    let mut command = format!(
        "whence-tools scenario --name {} --seed {} --out DIR",
        entry.name, options.seed
    );
    match options.scale {
        Scale::Small => {}
        Scale::Large => command.push_str(" --scale large"),
        Scale::Factor(factor) => command.push_str(&format!(" --factor {factor}")),
    }
    if let Some(rate) = options.rate {
        command.push_str(&format!(" --rate {rate}"));
    }
    if let Some(duration) = options.duration_s {
        command.push_str(&format!(" --duration {duration}"));
    }
    if let Some(start) = options.start_s {
        command.push_str(&format!(" --start {}", truth::rfc3339(start * SECOND, 0)));
    }
    command
}

/// Parses `YYYY-MM-DDTHH:MM:SSZ` into seconds since 1970.
///
/// # Errors
/// Any other shape.
pub fn parse_start(text: &str) -> Result<i64> {
    let bytes = text.as_bytes();
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        std::str::from_utf8(bytes.get(range)?).ok()?.parse().ok()
    };
    let shape_ok = bytes.len() == 20
        && bytes.get(4) == Some(&b'-')
        && bytes.get(7) == Some(&b'-')
        && bytes.get(10) == Some(&b'T')
        && bytes.get(13) == Some(&b':')
        && bytes.get(16) == Some(&b':')
        && bytes.get(19) == Some(&b'Z');
    let parts = (
        number(0..4),
        number(5..7),
        number(8..10),
        number(11..13),
        number(14..16),
        number(17..19),
    );
    let (true, (Some(y), Some(m), Some(d), Some(hh), Some(mm), Some(ss))) = (shape_ok, parts)
    else {
        bail!("expected a UTC time like 2025-03-10T13:00:00Z, not {text:?}");
    };
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        bail!("{text:?} is not a valid time");
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Ok(days * 86_400 + hh * 3_600 + mm * 60 + ss)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_times_parse_and_round_trip() {
        let seconds = parse_start("2025-03-10T13:00:00Z").unwrap();
        assert_eq!(seconds, 1_741_611_600);
        assert_eq!(truth::rfc3339(seconds * SECOND, 0), "2025-03-10T13:00:00Z");
        assert!(parse_start("2025-03-10 13:00").is_err());
    }
}
