//! `whence batch`: many captures in; one report per capture, one combined report over all of
//! them, one report per group of captures (`--group-by`) and an index out.
//!
//! The captures are first put in time order (a pre-pass reads each one's first packet record
//! only), then read in parallel, each into its own `Aggregate`, and appended in that order to
//! the combined aggregate and its group's as soon as each and every earlier capture are done,
//! then dropped: memory holds a few captures' aggregates at a time (plus one per group), never
//! all of them. Where a capture's packets depend on the capture before it (a TCP handshake or
//! session across the rotation, see `Aggregate::boundary_conflict`), it is read a second
//! time, into the merged aggregate itself, so that the combined and group reports always equal
//! what `report` gives over the same captures in the same order.
//!
//! A capture that fails is listed (index, errors.json) and the run goes on; the exit status
//! says whether all, some or none of the captures could be read.

mod discover;
mod group;
pub mod index;
mod resume;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::{Condvar, Mutex, PoisonError};

use anyhow::{Context, Result};
use rayon::prelude::*;

use crate::aggregate::vectors::VectorKind;
use crate::aggregate::{Aggregate, BeyondCap, HeldBackFragment, SourceList};
use crate::app::Outcome;
use crate::capture::{self, CaptureSummary, InputSource};
use crate::cli::{BatchArgs, GroupBy};
use crate::config::Config;
use crate::decode;
use crate::enrich::{self, GeoDatabases};
use crate::output::{self, Progress};
use crate::render;
use crate::report::{self, Report, ReportInputs, Traffic};
use crate::timestamp::{TimeSpan, format_rfc3339};
use discover::{Found, FoundKind};
use index::{Counts, GroupEntry, Index, IndexEntry, Status};
use resume::{Previous, PreviousEntry};

/// Folder of the per-capture reports, inside the output directory.
const FILES_DIRECTORY: &str = "files";
/// Folder of the group reports (`--group-by`).
const GROUPS_DIRECTORY: &str = "groups";

/// The validated settings of a batch run.
struct Plan {
    config: Config,
    directory: PathBuf,
    per_file: bool,
    combined: bool,
    group_by: Option<GroupBy>,
    resume: bool,
    jobs: usize,
    quiet: bool,
}

impl Plan {
    fn from_args(args: &BatchArgs, command_line: Vec<String>) -> Result<Plan> {
        let config =
            Config::from_batch_args(args, command_line, std::env::var("SOURCE_DATE_EPOCH").ok())?;
        // Neither flag: both kinds of report.
        let both = !args.per_file && !args.combined;
        let jobs = match args.jobs {
            Some(jobs) => usize::from(jobs),
            None => std::thread::available_parallelism().map_or(1, usize::from),
        };
        Ok(Plan {
            config,
            directory: args.output.clone(),
            per_file: args.per_file || both,
            combined: args.combined || both,
            group_by: args.group_by,
            resume: args.resume,
            jobs,
            quiet: args.quiet,
        })
    }

    /// Whether captures are appended into merged aggregates (combined or group reports).
    fn merges(&self) -> bool {
        self.combined || self.group_by.is_some()
    }
}

/// One capture of the run, in merge order.
struct Capture<'a> {
    found_position: usize,
    found: &'a Found,
    bytes: u64,
    /// Time of its first packet record: the merge order.
    first_ns: Option<i64>,
    sensor: String,
    group: Option<String>,
    /// The earlier run's entry, when its reports stand (`--resume`).
    resumed: Option<PreviousEntry>,
}

impl Capture<'_> {
    fn name(&self) -> String {
        self.found.path.display().to_string()
    }
}

pub fn run(args: &BatchArgs, command_line: Vec<String>) -> Result<Outcome> {
    let plan = Plan::from_args(args, command_line)?;
    let databases = GeoDatabases::resolve(&plan.config.databases)?;
    if !plan.quiet {
        for note in &databases.notes {
            output::diagnostic("note", "geoip", note);
        }
    }
    for (wanted, folder) in [
        (plan.per_file, FILES_DIRECTORY),
        (plan.group_by.is_some(), GROUPS_DIRECTORY),
        (true, ""),
    ] {
        let directory = plan.directory.join(folder);
        if wanted {
            std::fs::create_dir_all(&directory)
                .with_context(|| format!("cannot create {}", directory.display()))?;
        }
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(plan.jobs)
        .build()
        .context("cannot start the worker threads")?;
    let found = discover::discover(&args.inputs, &plan.directory);
    let fingerprint = resume::fingerprint(&plan.config, &databases);
    let mut warnings = Vec::new();
    let previous = if plan.resume {
        let (previous, note) = Previous::load(&plan.directory);
        if let Some(note) = note {
            if !plan.quiet {
                output::diagnostic("warning", "resume", &note);
            }
            warnings.push(note);
        }
        previous
    } else {
        Previous::default()
    };
    let captures = in_time_order(&plan, &pool, &found, &previous, &fingerprint);
    let work: Vec<Work> = captures
        .iter()
        .map(|capture| Work {
            source: InputSource::File(capture.found.path.clone()),
            read: capture.resumed.is_none() || plan.merges(),
            resumed: capture.resumed.as_ref().map(|entry| entry.sha256.clone()),
        })
        .collect();
    let total_bytes = captures.iter().map(|capture| capture.bytes).sum();
    let progress = Progress::new(captures.len() as u64, total_bytes, plan.quiet);
    let files = OutputFiles {
        directory: plan.directory.clone(),
        evidence: found
            .iter()
            .filter_map(|file| file.path.canonicalize().ok())
            .collect(),
    };
    let mut merger = Merger::new(&plan, &found, &captures, &files, fingerprint);
    let shared = Shared {
        config: &plan.config,
        databases: &databases,
        per_file: plan.per_file,
        files: &files,
    };
    read_in_parallel(&pool, &work, &shared, |position, result| {
        let Some(capture) = captures.get(position) else {
            return Ok(());
        };
        if let Some(error) = &result.summary.error
            && !plan.quiet
        {
            progress.diagnostic("error", &result.summary.name, error);
        }
        let outcome = merger.accept(position, result);
        if let Some(reason) = merger.rescanned(position)
            && !plan.quiet
        {
            progress.diagnostic("note", &capture.name(), &format!("read again: {reason}"));
        }
        progress.file_done(position as u64 + 1, capture.bytes);
        outcome
    })?;
    progress.finish();
    merger.finish(&plan, &databases, warnings)
}

/// The captures among `found`, with their first packet's time (read in parallel, first record
/// only), sensor, group and resumable earlier entry, sorted by that time; captures without a
/// timed first record come last, and ties keep the order they were found in.
fn in_time_order<'a>(
    plan: &Plan,
    pool: &rayon::ThreadPool,
    found: &'a [Found],
    previous: &Previous,
    fingerprint: &str,
) -> Vec<Capture<'a>> {
    let candidates: Vec<(usize, &Found, u64)> = found
        .iter()
        .enumerate()
        .filter_map(|(position, file)| match file.kind {
            FoundKind::Capture { bytes } => Some((position, file, bytes)),
            _ => None,
        })
        .collect();
    let first_times: Vec<Option<i64>> = pool.install(|| {
        candidates
            .par_iter()
            .map(|(_, file, _)| capture::first_timestamp(&InputSource::File(file.path.clone())))
            .collect()
    });
    let mut captures: Vec<Capture> = candidates
        .into_iter()
        .zip(first_times)
        .map(|((found_position, file, bytes), first_ns)| {
            let name = file.path.display().to_string();
            Capture {
                found_position,
                found: file,
                bytes,
                first_ns,
                sensor: group::group_of(&file.path, &file.root, GroupBy::Sensor),
                group: plan
                    .group_by
                    .map(|by| group::group_of(&file.path, &file.root, by)),
                resumed: previous
                    .resumable(&file.path, &name, fingerprint, &plan.directory)
                    .cloned(),
            }
        })
        .collect();
    captures.sort_by_key(|capture| {
        (
            capture.first_ns.is_none(),
            capture.first_ns,
            capture.found_position,
        )
    });
    captures
}

/// What a worker is to do with one capture.
struct Work {
    source: InputSource,
    /// Read it at all: not for a resumed capture no merged report needs.
    read: bool,
    /// For a resumed capture, the SHA-256 its earlier reports were made from: if the capture
    /// read now has other bytes, it is reported on after all.
    resumed: Option<Option<String>>,
}

/// What every worker reads: the report settings, the databases and where reports go.
struct Shared<'a> {
    config: &'a Config,
    databases: &'a GeoDatabases,
    per_file: bool,
    files: &'a OutputFiles,
}

/// The output directory, and the inputs no report may be written over.
struct OutputFiles {
    directory: PathBuf,
    /// Every input, resolved.
    evidence: HashSet<PathBuf>,
}

impl OutputFiles {
    /// Writes `text` at `name` in the output directory, unless that is an input.
    fn write(&self, name: &str, text: &str) -> Result<()> {
        let path = self.directory.join(name);
        if path
            .canonicalize()
            .is_ok_and(|real| self.evidence.contains(&real))
        {
            anyhow::bail!(
                "refusing to write {}: it is an input capture",
                path.display()
            );
        }
        output::write_file_atomically(&path, text.as_bytes())
    }

    /// Removes what `write` wrote at `name`.
    fn remove(&self, name: &str) -> std::io::Result<()> {
        std::fs::remove_file(self.directory.join(name))
    }
}

/// One capture, read and reported on, as the worker hands it to the merger.
struct FileResult {
    summary: CaptureSummary,
    /// What the merged aggregates take from this capture (`None` if it was not read), without
    /// the later fragments it held back (`held_back`), which they count themselves.
    aggregate: Option<Aggregate>,
    sources: SourceList,
    beyond_cap: Option<Box<BeyondCap>>,
    held_back: Vec<HeldBackFragment>,
    /// What the index says of the capture's own report, when it was a capture one can report
    /// on and its earlier report does not stand. The report itself is dropped by the worker
    /// once rendered: freeing it is work the single merging thread need not do.
    report: Option<ReportFacts>,
    /// The per-capture report files the worker wrote, by name in the output directory (or
    /// why it could not render them). Written on the worker, so that the merging thread,
    /// which every capture passes through, does not wait on the disk.
    rendered: Result<Vec<String>, String>,
    /// Writing those files failed: the run stops, as it does on any output error.
    write_error: Option<anyhow::Error>,
    /// Its reports are the earlier run's.
    resumed: bool,
}

/// The figures of a capture's own report that its index entry lists, and its file stem.
struct ReportFacts {
    top_vector: Option<VectorKind>,
    unique_sources: u64,
    top_country: Option<String>,
    file_stem: String,
}

impl ReportFacts {
    fn of(report: &Report) -> ReportFacts {
        ReportFacts {
            top_vector: report.summary.top_vector,
            unique_sources: report.sources.unique,
            top_country: report.countries.first().map(|row| row.code.clone()),
            file_stem: report::file_stem(report),
        }
    }
}

fn read_one(position: usize, work: &Work, shared: &Shared) -> FileResult {
    if !work.read {
        return FileResult {
            summary: CaptureSummary {
                name: work.source.display_name(),
                ..CaptureSummary::default()
            },
            aggregate: None,
            sources: SourceList::default(),
            beyond_cap: None,
            held_back: Vec::new(),
            report: None,
            rendered: Ok(Vec::new()),
            write_error: None,
            resumed: true,
        };
    }
    let mut aggregate = Aggregate::holding_back(shared.config.source_cap);
    let summary = capture::read_capture(&work.source, |frame| {
        let decoded = decode::decode(frame);
        aggregate.observe(frame, &decoded);
    });
    let held_back = aggregate.held_back.take().unwrap_or_default();
    let beyond_cap = aggregate.sources.beyond_cap.take();
    let mut sources = std::mem::take(&mut aggregate.sources).into_sorted();
    let resumed = work
        .resumed
        .as_ref()
        .is_some_and(|sha256| summary.error.is_none() && *sha256 == summary.sha256);
    if resumed {
        return FileResult {
            summary,
            aggregate: Some(aggregate),
            sources,
            beyond_cap,
            held_back,
            report: None,
            rendered: Ok(Vec::new()),
            write_error: None,
            resumed,
        };
    }
    // The capture's own report counts its held-back fragments as a capture read alone does
    // (as fragment floods: nothing before it), and the packets still waiting to be classified
    // (`Aggregate::finish`) as its end leaves them, in a copy of the counters they change; the
    // merged reports count them knowing the captures before and after.
    let mut restore = Vec::new();
    let needs_copy = !held_back.is_empty() || !aggregate.is_finished();
    let own = needs_copy.then(|| {
        let mut own = aggregate.counters_copy();
        own.finish();
        for fragment in &held_back {
            let counted_as = own.count_held_back(fragment, None);
            if let Some(mask) = sources.vectors_mut(&fragment.src) {
                restore.push((fragment.src, *mask));
                *mask |= counted_as.bit();
            }
        }
        own
    });
    let enrichment = enrich::enrich(&sources, shared.databases);
    let traffic = Traffic {
        captures: vec![summary],
        aggregate: own.unwrap_or_else(|| std::mem::take(&mut aggregate)),
        sources,
        beyond_cap,
        enrichment,
    };
    let readable = traffic.captures.iter().any(CaptureSummary::was_readable);
    let report = readable.then(|| {
        Report::build(&ReportInputs {
            config: shared.config,
            attack: &traffic,
            baseline: None,
            databases: shared.databases,
        })
    });
    let rendered = match &report {
        Some(report) if shared.per_file => render_all(report, shared.config),
        _ => Ok(Vec::new()),
    };
    let report = report.as_ref().map(ReportFacts::of);
    // Written under the capture's place in time order; the merging thread removes them again
    // if the capture turns out to repeat an earlier one's bytes.
    let mut write_error = None;
    let rendered = rendered.map(|texts| {
        let Some(facts) = &report else {
            return Vec::new();
        };
        let stem = format!("{:04}-{}", position + 1, facts.file_stem);
        let mut written = Vec::new();
        for (extension, text) in texts {
            let name = format!("{FILES_DIRECTORY}/{stem}.{extension}");
            if let Err(error) = shared.files.write(&name, &text) {
                write_error = Some(error);
                break;
            }
            written.push(name);
        }
        written
    });
    let Traffic {
        mut captures,
        aggregate: reported,
        mut sources,
        beyond_cap,
        ..
    } = traffic;
    if !needs_copy {
        aggregate = reported;
    }
    // Back in reverse, so a source with several held-back fragments gets its first mask.
    for (address, mask) in restore.into_iter().rev() {
        if let Some(current) = sources.vectors_mut(&address) {
            *current = mask;
        }
    }
    FileResult {
        summary: captures.pop().unwrap_or_default(),
        aggregate: Some(aggregate),
        sources,
        beyond_cap,
        held_back,
        report,
        rendered,
        write_error,
        resumed,
    }
}

fn render_all(report: &Report, config: &Config) -> Result<Vec<(&'static str, String)>, String> {
    config
        .output
        .formats()
        .into_iter()
        .map(|format| {
            render::render(report, format, &config.render)
                .map(|text| (format.extension(), text))
                .map_err(|error| format!("{error:#}"))
        })
        .collect()
}

/// Reads `work` with `jobs` workers and hands each result to `merge` in merge order, on the
/// calling thread. A worker starts a capture only while fewer than `2 * jobs` finished ones
/// wait for an earlier, slower one, so memory is bounded whatever the archive holds. After an
/// error from `merge`, no new capture is started and that error is returned.
///
/// The workers are threads of their own that hand each capture to the pool, not jobs of the
/// pool: a worker waits for its turn (`Scheduler::claim`), and a pool thread waiting inside a
/// report's parallel sections runs whatever job the pool holds, so a waiting worker taken up
/// there would wait for the very capture it sits on, for ever. The pool only ever holds work
/// that does not wait on the others.
fn read_in_parallel(
    pool: &rayon::ThreadPool,
    work: &[Work],
    shared: &Shared,
    mut merge: impl FnMut(usize, FileResult) -> Result<()>,
) -> Result<()> {
    let jobs = pool.current_num_threads();
    let scheduler = Scheduler {
        state: Mutex::new(SchedulerState::default()),
        wake: Condvar::new(),
        window: jobs.saturating_mul(2).max(2),
        total: work.len(),
    };
    let (sender, receiver) = mpsc::channel::<(usize, FileResult)>();
    let mut failure = None;
    std::thread::scope(|scope| -> Result<()> {
        let mut started = 0;
        for worker in 0..jobs.min(work.len()) {
            let sender = sender.clone();
            let scheduler = &scheduler;
            let spawned = std::thread::Builder::new()
                .name(format!("batch-{worker}"))
                .spawn_scoped(scope, move || {
                    while let Some(position) = scheduler.claim() {
                        let Some(item) = work.get(position) else {
                            break;
                        };
                        let result = pool.install(|| read_one(position, item, shared));
                        if sender.send((position, result)).is_err() {
                            break;
                        }
                    }
                });
            started += usize::from(spawned.is_ok());
        }
        drop(sender);
        if started == 0 && !work.is_empty() {
            scheduler.stop();
            anyhow::bail!("cannot start the worker threads");
        }
        let mut waiting = BTreeMap::new();
        let mut next = 0;
        for (position, result) in receiver {
            waiting.insert(position, result);
            while let Some(result) = waiting.remove(&next) {
                if failure.is_none()
                    && let Err(error) = merge(next, result)
                {
                    failure = Some(error);
                    scheduler.stop();
                }
                next += 1;
                scheduler.merged(next);
            }
        }
        Ok(())
    })?;
    failure.map_or(Ok(()), Err)
}

#[derive(Default)]
struct SchedulerState {
    /// The next capture to start.
    next: usize,
    /// Captures merged so far (they are merged in order).
    merged: usize,
    stopped: bool,
}

struct Scheduler {
    state: Mutex<SchedulerState>,
    wake: Condvar,
    window: usize,
    total: usize,
}

impl Scheduler {
    /// The next capture to read, once it is within the window; `None` when all are taken.
    fn claim(&self) -> Option<usize> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if state.stopped || state.next >= self.total {
                return None;
            }
            if state.next < state.merged + self.window {
                state.next += 1;
                return Some(state.next - 1);
            }
            state = self
                .wake
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    fn merged(&self, count: usize) {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .merged = count;
        self.wake.notify_all();
    }

    fn stop(&self) {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .stopped = true;
        self.wake.notify_all();
    }
}

/// Captures appended one after another into one aggregate: the combined report's, or a
/// group's.
struct Merged {
    aggregate: Aggregate,
    captures: Vec<CaptureSummary>,
}

impl Merged {
    fn new(source_cap: usize) -> Merged {
        let mut aggregate = Aggregate::with_source_cap(source_cap);
        // Every capture appended is checked against the packets waiting here.
        aggregate.keep_waiting_index();
        Merged {
            aggregate,
            captures: Vec::new(),
        }
    }

    /// The report over everything appended, or `None` if no capture was readable.
    fn report(&mut self, config: &Config, databases: &GeoDatabases) -> Option<Report> {
        if !self.captures.iter().any(CaptureSummary::was_readable) {
            return None;
        }
        let mut aggregate = std::mem::take(&mut self.aggregate);
        aggregate.finish();
        let beyond_cap = aggregate.sources.beyond_cap.take();
        let (sources, enrichment) = std::mem::take(&mut aggregate.sources)
            .into_sorted_alongside(|addresses| enrich::enrich_addresses(addresses, databases));
        let traffic = Traffic {
            captures: std::mem::take(&mut self.captures),
            aggregate,
            sources,
            beyond_cap,
            enrichment,
        };
        Some(Report::build(&ReportInputs {
            config,
            attack: &traffic,
            baseline: None,
            databases,
        }))
    }
}

/// Appends each capture, in merge order, to the combined traffic and its group's, writes its
/// report and keeps its index entry.
struct Merger<'a> {
    captures: &'a [Capture<'a>],
    combined: Option<Merged>,
    groups: BTreeMap<String, Merged>,
    /// First capture with each SHA-256 seen, by name.
    seen: HashMap<String, String>,
    /// One per capture, in merge order.
    entries: Vec<Option<IndexEntry>>,
    /// Each capture's packet time range, for the overlap check.
    spans: Vec<Option<(i64, i64)>>,
    /// The files that are no captures, in the order they were found.
    others: Vec<IndexEntry>,
    files: &'a OutputFiles,
    fingerprint: String,
    source_cap: usize,
}

impl<'a> Merger<'a> {
    fn new(
        plan: &Plan,
        found: &[Found],
        captures: &'a [Capture<'a>],
        files: &'a OutputFiles,
        fingerprint: String,
    ) -> Merger<'a> {
        let others = found
            .iter()
            .filter_map(|file| match &file.kind {
                FoundKind::Capture { .. } => None,
                FoundKind::Skipped(reason) => Some(empty_entry(file, Status::Skipped, reason)),
                FoundKind::Unreadable(reason) => Some(empty_entry(file, Status::Failed, reason)),
            })
            .collect();
        Merger {
            captures,
            combined: plan.combined.then(|| Merged::new(plan.config.source_cap)),
            groups: BTreeMap::new(),
            seen: HashMap::new(),
            entries: vec![None; captures.len()],
            spans: vec![None; captures.len()],
            others,
            files,
            fingerprint,
            source_cap: plan.config.source_cap,
        }
    }

    fn rescanned(&self, position: usize) -> Option<&str> {
        self.entries.get(position)?.as_ref()?.rescanned.as_deref()
    }

    fn accept(&mut self, position: usize, mut result: FileResult) -> Result<()> {
        let Some(capture) = self.captures.get(position) else {
            return Ok(());
        };
        if let Some(error) = result.write_error.take() {
            return Err(error);
        }
        let earlier = capture.resumed.as_ref().filter(|_| result.resumed);
        let summary = &result.summary;
        let sha256 = match earlier {
            Some(entry) => entry.sha256.clone(),
            None => summary.sha256.clone(),
        };
        let first_with_same_bytes = sha256
            .as_ref()
            .and_then(|sha256| self.seen.get(sha256))
            .cloned();
        let mut entry = IndexEntry {
            path: capture.name(),
            status: match (&first_with_same_bytes, &summary.error) {
                (Some(_), _) => Status::Duplicate,
                (None, Some(_)) => Status::Failed,
                (None, None) => Status::Ok,
            },
            sha256: sha256.clone(),
            bytes: summary.bytes,
            packets: summary.packets,
            first_packet: summary.span.first_ns().map(format_rfc3339),
            last_packet: summary.span.last_ns().map(format_rfc3339),
            top_vector: None,
            unique_sources: None,
            top_country: None,
            reports: Vec::new(),
            duplicate_of: first_with_same_bytes.clone(),
            error: summary.error.clone(),
            sensor: Some(capture.sensor.clone()),
            group: capture.group.clone(),
            resumed: false,
            rescanned: None,
            overlaps_with: Vec::new(),
            options_fingerprint: None,
        };
        let mut span = summary.span.first_ns().zip(summary.span.last_ns());
        if let Some(earlier) = earlier {
            // The figures of the run that wrote the reports, which stand for them.
            entry.bytes = earlier.bytes;
            entry.packets = earlier.packets;
            entry.first_packet = earlier.first_packet.clone();
            entry.last_packet = earlier.last_packet.clone();
            entry.top_vector = earlier.top_vector;
            entry.unique_sources = earlier.unique_sources;
            entry.top_country = earlier.top_country.clone();
            entry.resumed = true;
            if result.aggregate.is_none() {
                span = parse_time(earlier.first_packet.as_deref())
                    .zip(parse_time(earlier.last_packet.as_deref()));
            }
        }
        if let Some(facts) = &result.report {
            entry.top_vector = facts.top_vector;
            entry.unique_sources = Some(facts.unique_sources);
            entry.top_country.clone_from(&facts.top_country);
        }
        if first_with_same_bytes.is_none() {
            if let Some(sha256) = &sha256 {
                self.seen.insert(sha256.clone(), capture.name());
            }
            if let Some(earlier) = earlier {
                entry.reports = earlier.reports.clone();
                entry.options_fingerprint = Some(self.fingerprint.clone());
            } else if let Ok(written) = &result.rendered {
                entry.reports.clone_from(written);
                if !entry.reports.is_empty() && entry.status == Status::Ok {
                    entry.options_fingerprint = Some(self.fingerprint.clone());
                }
            }
            if let Err(error) = &result.rendered {
                entry.status = Status::Failed;
                entry.error = Some(format!("cannot render the report: {error}"));
            }
            match self.append(capture, &result) {
                Ok(rescanned) => entry.rescanned = rescanned,
                Err(error) => {
                    entry.status = Status::Failed;
                    entry.error = Some(error);
                }
            }
            if let Some(slot) = self.spans.get_mut(position) {
                *slot = span;
            }
        }
        if first_with_same_bytes.is_some()
            && let Ok(written) = &result.rendered
        {
            for name in written {
                // A leftover copy of an earlier capture's report, not listed in the index:
                // harmless if it cannot be removed.
                let _ = self.files.remove(name);
            }
        }
        if let Some(slot) = self.entries.get_mut(position) {
            *slot = Some(entry);
        }
        Ok(())
    }

    /// Appends the capture to the combined traffic and its group's. Where its own aggregate
    /// would not append exactly (`Aggregate::boundary_conflict`), reads it again into those
    /// aggregates themselves, and says why. As in `analyse` over several inputs, whatever was
    /// read before an error counts.
    fn append(&mut self, capture: &Capture, result: &FileResult) -> Result<Option<String>, String> {
        let Some(aggregate) = &result.aggregate else {
            return Ok(None);
        };
        let source_cap = self.source_cap;
        let group = match &capture.group {
            Some(name) => Some(
                self.groups
                    .entry(name.clone())
                    .or_insert_with(|| Merged::new(source_cap)),
            ),
            None => None,
        };
        let mut targets: Vec<&mut Merged> = self.combined.iter_mut().chain(group).collect();
        let mut reason = None;
        let mut again = Vec::new();
        for (index, target) in targets.iter_mut().enumerate() {
            match target
                .aggregate
                .boundary_conflict(aggregate, &result.sources)
            {
                Some(conflict) => {
                    reason.get_or_insert_with(|| conflict.to_string());
                    again.push(index);
                }
                None => target.aggregate.append(
                    aggregate,
                    &result.sources,
                    result.beyond_cap.as_deref(),
                    &result.held_back,
                ),
            }
            target.captures.push(result.summary.clone());
        }
        if again.is_empty() {
            return Ok(None);
        }
        let mut rescan: Vec<&mut Aggregate> = targets
            .into_iter()
            .enumerate()
            .filter(|(index, _)| again.contains(index))
            .map(|(_, target)| &mut target.aggregate)
            .collect();
        let summary =
            capture::read_capture(&InputSource::File(capture.found.path.clone()), |frame| {
                let decoded = decode::decode(frame);
                for aggregate in rescan.iter_mut() {
                    aggregate.observe(frame, &decoded);
                }
            });
        if summary.sha256 != result.summary.sha256 || summary.packets != result.summary.packets {
            return Err(
                "the capture changed while it was read (its second reading differs from the first)"
                    .to_string(),
            );
        }
        Ok(reason)
    }

    fn write(&self, name: &str, text: &str) -> Result<()> {
        self.files.write(name, text)
    }

    /// Renders `report` in every format as `stem.<ext>`; returns the names written.
    fn write_report(&self, report: &Report, plan: &Plan, stem: &str) -> Result<Vec<String>> {
        let mut names = Vec::new();
        for format in plan.config.output.formats() {
            let text = render::render(report, format, &plan.config.render)?;
            let name = format!("{stem}.{}", format.extension());
            self.write(&name, &text)?;
            names.push(name);
        }
        Ok(names)
    }

    /// Builds and writes the combined and group reports and the index; tells how the run went.
    fn finish(
        mut self,
        plan: &Plan,
        databases: &GeoDatabases,
        mut warnings: Vec<String>,
    ) -> Result<Outcome> {
        let mut combined_reports = Vec::new();
        if let Some(mut combined) = self.combined.take()
            && let Some(report) = combined.report(&plan.config, databases)
        {
            combined_reports = self.write_report(&report, plan, "combined")?;
        }
        let mut entries: Vec<IndexEntry> = std::mem::take(&mut self.entries)
            .into_iter()
            .flatten()
            .collect();
        let groups = self.write_groups(plan, databases, &entries)?;
        let spans = std::mem::take(&mut self.spans);
        for warning in mark_overlaps(&mut entries, &spans, plan.group_by.is_some()) {
            if !plan.quiet {
                output::diagnostic("warning", "overlap", &warning);
            }
            warnings.push(warning);
        }
        entries.append(&mut self.others);
        let counts = Counts::of(&entries);
        let index = Index {
            schema: index::SCHEMA,
            generated_at: format_rfc3339(plan.config.generated_at.saturating_mul(1_000_000_000)),
            options_fingerprint: self.fingerprint.clone(),
            group_by: plan.group_by.map(|by| match by {
                GroupBy::Dir => "dir",
                GroupBy::Sensor => "sensor",
            }),
            counts: counts.clone(),
            combined_reports,
            groups,
            warnings,
            files: entries,
        };
        index::write(&self.files.directory, &index)?;
        Ok(if counts.ok == 0 {
            Outcome::BatchNoneSucceeded
        } else if counts.failed > 0 {
            Outcome::BatchSomeFailed
        } else {
            Outcome::Success
        })
    }

    /// One report per group, built and written one group at a time, so that only one group's
    /// report is held at once.
    fn write_groups(
        &mut self,
        plan: &Plan,
        databases: &GeoDatabases,
        entries: &[IndexEntry],
    ) -> Result<Vec<GroupEntry>> {
        let groups = std::mem::take(&mut self.groups);
        let names: Vec<String> = groups.keys().cloned().collect();
        let stems = group::file_stems(&names);
        let mut listed = Vec::new();
        for ((name, mut merged), stem) in groups.into_iter().zip(stems) {
            let mut span = TimeSpan::default();
            span.merge(&merged.aggregate.totals.span);
            let captures: Vec<String> = merged
                .captures
                .iter()
                .map(|summary| summary.name.clone())
                .collect();
            let packets = merged.captures.iter().map(|summary| summary.packets).sum();
            let reports = match merged.report(&plan.config, databases) {
                Some(report) => {
                    self.write_report(&report, plan, &format!("{GROUPS_DIRECTORY}/{stem}"))?
                }
                None => Vec::new(),
            };
            listed.push(GroupEntry {
                name,
                captures,
                packets,
                first_packet: span.first_ns().map(format_rfc3339),
                last_packet: span.last_ns().map(format_rfc3339),
                reports,
            });
        }
        // Groups of captures that were all duplicates are listed too, empty.
        for entry in entries {
            if let Some(name) = &entry.group
                && !listed.iter().any(|group| &group.name == name)
            {
                listed.push(GroupEntry {
                    name: name.clone(),
                    captures: Vec::new(),
                    packets: 0,
                    first_packet: None,
                    last_packet: None,
                    reports: Vec::new(),
                });
            }
        }
        listed.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(listed)
    }
}

/// Marks, in each entry, the other captures of the same group (with `--group-by`) or sensor
/// whose packet time range overlaps its own; returns one warning per group or sensor that has
/// overlaps. Duplicates were not merged and are left out; ranges that only touch do not
/// overlap.
fn mark_overlaps(
    entries: &mut [IndexEntry],
    spans: &[Option<(i64, i64)>],
    by_group: bool,
) -> Vec<String> {
    let mut by_key: BTreeMap<String, Vec<(usize, i64, i64)>> = BTreeMap::new();
    for (index, (entry, span)) in entries.iter().zip(spans).enumerate() {
        let key = if by_group {
            &entry.group
        } else {
            &entry.sensor
        };
        if let (Some(key), Some((first, last))) = (key, span)
            && entry.status != Status::Duplicate
        {
            by_key
                .entry(key.clone())
                .or_default()
                .push((index, *first, *last));
        }
    }
    let mut warnings = Vec::new();
    for (key, mut ranges) in by_key {
        ranges.sort_by_key(|&(index, first, _)| (first, index));
        let mut pairs = Vec::new();
        for (later, &(index, first, _)) in ranges.iter().enumerate() {
            for &(other, _, other_last) in ranges.get(..later).unwrap_or_default() {
                if other_last > first {
                    pairs.push((other, index));
                }
            }
        }
        if pairs.is_empty() {
            continue;
        }
        let mut involved = Vec::new();
        for (a, b) in pairs {
            let (Some(a_path), Some(b_path)) = (
                entries.get(a).map(|entry| entry.path.clone()),
                entries.get(b).map(|entry| entry.path.clone()),
            ) else {
                continue;
            };
            if let Some(entry) = entries.get_mut(a) {
                entry.overlaps_with.push(b_path.clone());
            }
            if let Some(entry) = entries.get_mut(b) {
                entry.overlaps_with.push(a_path.clone());
            }
            for path in [a_path, b_path] {
                if !involved.contains(&path) {
                    involved.push(path);
                }
            }
        }
        let what = if by_group { "group" } else { "sensor" };
        warnings.push(format!(
            "{what} {key}: {} captures overlap in time and were all counted (see overlaps_with): {}",
            involved.len(),
            involved.join(", ")
        ));
    }
    warnings
}

/// Nanoseconds of an RFC 3339 time as the index writes it.
fn parse_time(text: Option<&str>) -> Option<i64> {
    let timestamp: jiff::Timestamp = text?.parse().ok()?;
    i64::try_from(timestamp.as_nanosecond()).ok()
}

fn empty_entry(file: &Found, status: Status, reason: &str) -> IndexEntry {
    IndexEntry {
        path: file.path.display().to_string(),
        status,
        sha256: None,
        bytes: None,
        packets: 0,
        first_packet: None,
        last_packet: None,
        top_vector: None,
        unique_sources: None,
        top_country: None,
        reports: Vec::new(),
        duplicate_of: None,
        error: Some(reason.to_string()),
        sensor: None,
        group: None,
        resumed: false,
        rescanned: None,
        overlaps_with: Vec::new(),
        options_fingerprint: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str, sensor: &str) -> IndexEntry {
        let mut entry = empty_entry(
            &Found {
                path: PathBuf::from(path),
                kind: FoundKind::Capture { bytes: 1 },
                root: PathBuf::from("."),
            },
            Status::Ok,
            "",
        );
        entry.error = None;
        entry.sensor = Some(sensor.to_string());
        entry
    }

    #[test]
    fn overlapping_captures_of_one_sensor_are_marked_and_warned_about() {
        let mut entries = vec![
            entry("a1", "a"),
            entry("b1", "b"),
            entry("a2", "a"),
            entry("a3", "a"),
            entry("b2", "b"),
        ];
        let spans = [
            Some((0, 100)),
            Some((50, 150)),
            Some((90, 200)),
            // Only touches a2's range.
            Some((200, 300)),
            // Another sensor's range may overlap freely.
            Some((160, 170)),
        ];
        let warnings = mark_overlaps(&mut entries, &spans, false);
        assert_eq!(entries[0].overlaps_with, ["a2"]);
        assert_eq!(entries[2].overlaps_with, ["a1"]);
        assert!(entries[3].overlaps_with.is_empty());
        assert!(entries[1].overlaps_with.is_empty() && entries[4].overlaps_with.is_empty());
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].starts_with("sensor a: 2 captures"),
            "{warnings:?}"
        );
    }

    #[test]
    fn index_times_read_back() {
        let ns = 1_700_000_000_123_456_789;
        assert_eq!(parse_time(Some(&format_rfc3339(ns))), Some(ns));
        assert_eq!(parse_time(Some("yesterday")), None);
    }
}
