//! End-to-end tests over `samples/`: takes every capture with a `<name>.truth.json` beside it,
//! runs the real `whence report` on it, and compares the JSON report with the truth file
//! field by field; and checks that the scenario generator still writes the committed samples
//! byte for byte.
//!
//! Truth keys are report-contract paths (`totals.packets`, `countries[code=DE].sources`,
//! `vectors[kind=syn_flood].packets`, `victims[ip=192.0.2.1,protocol=udp].port`,
//! `waves[0].start`, `victims.#`). Comparison: integers,
//! strings, booleans, null and lists exactly; fractions within 0.005; times and `duration_s`
//! within one second. A field the report does not produce yet must be listed in `PENDING`;
//! a field the report produces but gets wrong fails.

// A test fails loudly on anything unexpected.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// Truth fields the report does not produce yet, or produces over another population, as
/// (samples, path prefix): samples is `*` or names joined by `|`; a prefix covers the field
/// and everything under it, and `[]` stands for any selector (`countries[].validated`).
///
/// Each issue that adds an analysis deletes its lines. A line whose fields (those no other
/// line covers) all come out right fails the test until it is deleted, so the list never
/// hides a field that works.
const PENDING: &[(&str, &str)] = &[];

/// The option that asks the report to assess a claim; the truth files list the claims under
/// `report.claims`.
const CLAIM_OPTION: Option<&str> = Some("--claim");

fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")
}

/// Every truth file in `samples/`, by sample name.
fn truth_files() -> BTreeMap<String, PathBuf> {
    std::fs::read_dir(samples_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter_map(|path| {
            let name = path.file_name()?.to_str()?.strip_suffix(".truth.json")?;
            Some((name.to_string(), path))
        })
        .collect()
}

/// One step of a truth key.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
    /// `[field=value,...]`: the list element whose fields have these values.
    Select(Vec<(String, String)>),
    /// `#`: the length of a list.
    Length,
}

fn parse_key(key: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut name = String::new();
    let mut chars = key.chars().peekable();
    let flush = |name: &mut String, steps: &mut Vec<Step>| {
        if name == "#" {
            steps.push(Step::Length);
        } else if !name.is_empty() {
            steps.push(Step::Key(std::mem::take(name)));
        }
        name.clear();
    };
    while let Some(c) = chars.next() {
        match c {
            '.' => flush(&mut name, &mut steps),
            '[' => {
                flush(&mut name, &mut steps);
                let inner: String = chars.by_ref().take_while(|&c| c != ']').collect();
                if inner.contains('=') {
                    let conditions = inner
                        .split(',')
                        .map(|condition| {
                            let (field, value) = condition.split_once('=').expect("field=value");
                            (field.to_string(), value.to_string())
                        })
                        .collect();
                    steps.push(Step::Select(conditions));
                } else {
                    steps.push(Step::Index(inner.parse().expect("list index")));
                }
            }
            _ => name.push(c),
        }
    }
    flush(&mut name, &mut steps);
    steps
}

/// The key with selectors emptied, for matching `PENDING` prefixes: `countries[code=DE].x`
/// becomes `countries[].x`.
fn key_shape(key: &str) -> String {
    let mut shape = String::new();
    let mut in_selector = false;
    for c in key.chars() {
        match c {
            '[' => {
                in_selector = true;
                shape.push('[');
            }
            ']' => {
                in_selector = false;
                shape.push(']');
            }
            _ if in_selector => {}
            _ => shape.push(c),
        }
    }
    shape
}

/// Why a key could not be read from the report.
#[derive(Debug)]
enum Unresolved {
    /// An object lacks the field: the report does not produce it.
    Absent,
    /// A list has no such element: the report produces the list, and it is wrong.
    NoElement,
}

fn resolve<'a>(report: &'a Value, steps: &[Step]) -> Result<&'a Value, Unresolved> {
    let mut here = report;
    for step in steps {
        here = match (step, here) {
            (Step::Key(name), Value::Object(map)) => map.get(name).ok_or(Unresolved::Absent)?,
            (Step::Index(index), Value::Array(list)) => {
                list.get(*index).ok_or(Unresolved::NoElement)?
            }
            (Step::Select(conditions), Value::Array(list)) => list
                .iter()
                .find(|item| {
                    conditions
                        .iter()
                        .all(|(field, value)| item.get(field).is_some_and(|v| as_text(v) == *value))
                })
                .ok_or(Unresolved::NoElement)?,
            (Step::Length, Value::Array(_)) => return Ok(here),
            _ => return Err(Unresolved::Absent),
        };
    }
    Ok(here)
}

fn as_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Seconds since 1970 of an RFC 3339 UTC time (`2025-03-10T13:00:00.250Z`).
fn epoch_seconds(text: &str) -> Option<f64> {
    let (date, time) = text.strip_suffix('Z')?.split_once('T')?;
    let mut date_parts = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, d) = (
        date_parts.next()??,
        date_parts.next()??,
        date_parts.next()??,
    );
    let mut time_parts = time.split(':');
    let (hh, mm) = (
        time_parts.next()?.parse::<i64>().ok()?,
        time_parts.next()?.parse::<i64>().ok()?,
    );
    let ss: f64 = time_parts.next()?.parse().ok()?;
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    Some((days * 86_400 + hh * 3_600 + mm * 60) as f64 + ss)
}

const TIME_FIELDS: [&str; 4] = ["first_seen", "last_seen", "start", "end"];

/// Whether `actual` is `expected` under the comparison rules; `field` is the last key name.
fn agrees(field: &str, expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Number(e), Value::Number(a)) if e.is_f64() => {
            let tolerance = if field == "duration_s" { 1.0 } else { 0.005 };
            (e.as_f64().unwrap() - a.as_f64().unwrap_or(f64::NAN)).abs() <= tolerance
        }
        (Value::String(e), Value::String(a)) if TIME_FIELDS.contains(&field) => {
            match (epoch_seconds(e), epoch_seconds(a)) {
                (Some(e), Some(a)) => (e - a).abs() <= 1.0,
                _ => e == a,
            }
        }
        // A count the report writes as a float (a percentile) is still exact.
        (Value::Number(e), Value::Number(a)) => e.as_f64() == a.as_f64(),
        (Value::Array(e), Value::Array(a)) => {
            e.len() == a.len() && e.iter().zip(a).all(|(e, a)| agrees(field, e, a))
        }
        (Value::Object(e), Value::Object(a)) => {
            e.len() == a.len()
                && e.iter()
                    .all(|(k, e)| a.get(k).is_some_and(|a| agrees(k, e, a)))
        }
        _ => expected == actual,
    }
}

/// The lines of `pending` (`PENDING`) that cover `key` in `sample`.
fn pending_lines(pending: &[(&str, &str)], sample: &str, key: &str) -> Vec<usize> {
    let shape = key_shape(key);
    pending
        .iter()
        .enumerate()
        .filter(|(_, (samples, prefix))| {
            (*samples == "*" || samples.split('|').any(|s| s == sample))
                && (shape == *prefix
                    || shape.starts_with(&format!("{prefix}."))
                    || shape.starts_with(&format!("{prefix}[")))
        })
        .map(|(index, _)| index)
        .collect()
}

struct Outcome {
    sample: String,
    checked: usize,
    failures: Vec<String>,
    /// What pending fields the report gets wrong or lacks, shown with `WHENCE_SHOW_PENDING=1`.
    pending_misses: Vec<String>,
    /// Per PENDING line: (keys only it covers, those of them that came out right).
    pending: BTreeMap<usize, (usize, usize)>,
}

fn check_sample(sample: &str, truth_path: &Path) -> Outcome {
    let truth: Value = serde_json::from_str(&std::fs::read_to_string(truth_path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", truth_path.display()));
    let capture = samples_dir().join(truth["capture"]["file"].as_str().expect("capture.file"));
    let mut arguments: Vec<std::ffi::OsString> = vec![capture.into()];
    for argument in truth["report"]["arguments"]
        .as_array()
        .into_iter()
        .flatten()
    {
        arguments.push(argument.as_str().unwrap().into());
    }
    if let Some(option) = CLAIM_OPTION {
        for claim in truth["report"]["claims"].as_array().into_iter().flatten() {
            arguments.push(option.into());
            arguments.push(claim.as_str().unwrap().into());
        }
    }
    let arguments: Vec<&std::ffi::OsStr> = arguments.iter().map(|a| a.as_os_str()).collect();
    let (output, code, report) = common::report(&arguments);
    let mut outcome = Outcome {
        sample: sample.to_string(),
        checked: 0,
        failures: Vec::new(),
        pending_misses: Vec::new(),
        pending: BTreeMap::new(),
    };
    if code != 0 {
        outcome.failures.push(format!(
            "whence exited with {code}: {}",
            common::stderr(&output)
        ));
        return outcome;
    }
    let expect = truth["expect"].as_object().expect("expect");
    for (key, expected) in expect {
        let steps = parse_key(key);
        let field = match steps.last() {
            Some(Step::Key(name)) => name.as_str(),
            _ => "",
        };
        let result = resolve(&report, &steps);
        let right = matches!(&result, Ok(actual) if {
            let actual = if steps.last() == Some(&Step::Length) {
                Value::from(actual.as_array().map_or(0, Vec::len))
            } else {
                (*actual).clone()
            };
            agrees(field, expected, &actual)
        });
        let lines = pending_lines(PENDING, sample, key);
        let problem = match result {
            _ if right => None,
            Ok(actual) => Some(format!("{key}: expected {expected}, report has {actual}")),
            Err(Unresolved::NoElement) => Some(format!(
                "{key}: expected {expected}, the report's list has no such element"
            )),
            Err(Unresolved::Absent) => Some(format!(
                "{key}: the report does not produce it (produce it, or list it in PENDING)"
            )),
        };
        if lines.is_empty() {
            outcome.checked += 1;
            outcome.failures.extend(problem);
        } else {
            // Only a field no other line covers tells whether a line is still needed: a
            // field covered twice may be wrong for the other line's reason.
            if let [line] = lines[..] {
                let tally = outcome.pending.entry(line).or_default();
                tally.0 += 1;
                tally.1 += usize::from(right);
            }
            outcome.pending_misses.extend(problem);
        }
    }
    outcome
}

#[test]
fn every_sample_report_matches_its_truth_file() {
    let files = truth_files();
    assert!(
        files.len() >= 9,
        "expected the samples' truth files, found {files:?}"
    );
    // Two at a time: the machine the tests run on may have only two cores.
    let mut outcomes = Vec::new();
    let entries: Vec<(&String, &PathBuf)> = files.iter().collect();
    for pair in entries.chunks(2) {
        std::thread::scope(|scope| {
            let handles: Vec<_> = pair
                .iter()
                .map(|(sample, path)| scope.spawn(|| check_sample(sample, path)))
                .collect();
            outcomes.extend(handles.into_iter().map(|h| h.join().unwrap()));
        });
    }

    let mut report = String::new();
    let mut pending: BTreeMap<usize, (usize, usize)> = BTreeMap::new();
    let show_pending = std::env::var_os("WHENCE_SHOW_PENDING").is_some();
    for outcome in &outcomes {
        if show_pending {
            for miss in &outcome.pending_misses {
                eprintln!("pending, {}: {miss}", outcome.sample);
            }
        }
        assert!(
            outcome.checked > 0 || !outcome.failures.is_empty(),
            "{}: no truth field was checked",
            outcome.sample
        );
        for failure in &outcome.failures {
            report.push_str(&format!("{}: {failure}\n", outcome.sample));
        }
        for (line, (covered, right)) in &outcome.pending {
            let total = pending.entry(*line).or_default();
            total.0 += covered;
            total.1 += right;
        }
    }
    for (index, (samples, prefix)) in PENDING.iter().enumerate() {
        match pending.get(&index) {
            None => report.push_str(&format!(
                "PENDING ({samples:?}, {prefix:?}) covers no truth field that no other line covers: delete it\n"
            )),
            Some((covered, right)) if covered == right => report.push_str(&format!(
                "PENDING ({samples:?}, {prefix:?}): all {covered} fields now come out right: delete the line\n"
            )),
            Some(_) => {}
        }
    }
    assert!(report.is_empty(), "\n{report}");
}

#[test]
fn truth_keys_parse_into_steps() {
    assert_eq!(
        parse_key("sources.top[ip=2001:db8::1].ttl_values"),
        [
            Step::Key("sources".into()),
            Step::Key("top".into()),
            Step::Select(vec![("ip".into(), "2001:db8::1".into())]),
            Step::Key("ttl_values".into()),
        ]
    );
    assert_eq!(
        parse_key("waves[1].top_countries[code=BR].share_sources"),
        [
            Step::Key("waves".into()),
            Step::Index(1),
            Step::Key("top_countries".into()),
            Step::Select(vec![("code".into(), "BR".into())]),
            Step::Key("share_sources".into()),
        ]
    );
    assert_eq!(
        parse_key("victims.#"),
        [Step::Key("victims".into()), Step::Length]
    );
    assert_eq!(
        parse_key("victims[ip=2001:db8::1,protocol=udp].port"),
        [
            Step::Key("victims".into()),
            Step::Select(vec![
                ("ip".into(), "2001:db8::1".into()),
                ("protocol".into(), "udp".into())
            ]),
            Step::Key("port".into()),
        ]
    );
    assert_eq!(
        key_shape("attribution.claims[claim=country:CN].verdict"),
        "attribution.claims[].verdict"
    );
    let pending = [
        ("*", "vectors"),
        ("two-waves|http-get-flood", "countries"),
        ("*", "countries[].validated"),
    ];
    assert_eq!(
        pending_lines(&pending, "two-waves", "countries[code=BR].validated"),
        [1, 2]
    );
    assert_eq!(
        pending_lines(&pending, "ipv6-flood", "countries[code=BR].validated"),
        [2]
    );
    assert!(pending_lines(&pending, "ipv6-flood", "countries[code=BR].sources").is_empty());
    assert_eq!(pending_lines(&pending, "ipv6-flood", "vectors.#"), [0]);
    assert!(pending_lines(&pending, "ipv6-flood", "vectors_extra").is_empty());
}

#[test]
fn comparison_rules_follow_the_issue() {
    assert!(agrees("share_sources", &0.25.into(), &0.254.into()));
    assert!(!agrees("share_sources", &0.25.into(), &0.256.into()));
    assert!(agrees("packets", &Value::from(3), &Value::from(3)));
    assert!(!agrees("packets", &Value::from(3), &Value::from(4)));
    assert!(agrees(
        "first_seen",
        &"2025-03-10T13:00:00.250Z".into(),
        &"2025-03-10T13:00:01.1Z".into()
    ));
    assert!(!agrees(
        "first_seen",
        &"2025-03-10T13:00:00Z".into(),
        &"2025-03-10T13:00:01.5Z".into()
    ));
    assert_eq!(epoch_seconds("2025-03-10T13:00:00Z"), Some(1_741_611_600.0));
    assert!(agrees("duration_s", &29.998.into(), &30.9.into()));
}

/// The generator writes every committed sample again, byte for byte, from its seed; so the
/// samples are what the generator makes and the generator is deterministic.
#[test]
fn the_generator_reproduces_the_samples_byte_for_byte() {
    let geo =
        whence_tools::scenario::Geo::open(&whence_tools::scenario::Geo::default_dir()).unwrap();
    let out = tempfile::tempdir().unwrap();
    let generated = whence_tools::scenario::samples(&geo, out.path()).unwrap();
    let mut differ = Vec::new();
    for item in &generated {
        for path in [&item.capture, &item.truth] {
            let name = path.file_name().unwrap();
            let committed = std::fs::read(samples_dir().join(name)).unwrap_or_default();
            if std::fs::read(path).unwrap() != committed {
                differ.push(name.to_string_lossy().into_owned());
            }
        }
    }
    assert!(
        differ.is_empty(),
        "samples/ differs from what `cargo run -p whence-tools -- samples` writes: {differ:?}"
    );
}

/// Another seed gives another capture, and the same one again on a second run.
#[test]
fn a_seed_gives_the_same_bytes_every_time() {
    use whence_tools::scenario::{Geo, Options, generate};
    let geo = Geo::open(&Geo::default_dir()).unwrap();
    let options = Options {
        seed: 7,
        ..Options::default()
    };
    let first = tempfile::tempdir().unwrap();
    let second = tempfile::tempdir().unwrap();
    let a = generate(&geo, "dns-amplification", first.path(), &options).unwrap();
    let b = generate(&geo, "dns-amplification", second.path(), &options).unwrap();
    assert_eq!(
        std::fs::read(&a.capture).unwrap(),
        std::fs::read(&b.capture).unwrap()
    );
    assert_eq!(
        std::fs::read(&a.truth).unwrap(),
        std::fs::read(&b.truth).unwrap()
    );
    let committed = std::fs::read(samples_dir().join("dns-amplification.pcap")).unwrap();
    assert_ne!(
        std::fs::read(&a.capture).unwrap(),
        committed,
        "seed 7 is not seed 1"
    );
}
