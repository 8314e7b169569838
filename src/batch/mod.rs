//! `whence batch`: many captures in; one report per capture, one combined report over all of
//! them and an index out. Captures are read in parallel, each into its own `Aggregate`, and
//! folded into the combined aggregate in input order as soon as each is done, so memory holds
//! a few captures' aggregates at a time, never all of them, and the combined report equals
//! what `report` gives over the same captures together.
//!
//! A capture that fails is listed (index, errors.json) and the run goes on; the exit status
//! says whether all, some or none of the captures could be read.

mod discover;
pub mod index;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::{Condvar, Mutex, PoisonError};

use anyhow::{Context, Result};

use crate::aggregate::{Aggregate, BeyondCap, SourceList};
use crate::app::Outcome;
use crate::capture::{self, CaptureSummary, InputSource};
use crate::cli::BatchArgs;
use crate::config::Config;
use crate::decode;
use crate::enrich::{self, GeoDatabases};
use crate::output::{self, Progress};
use crate::render;
use crate::report::{self, Report, ReportInputs, Traffic};
use crate::timestamp::format_rfc3339;
use discover::{Found, FoundKind};
use index::{Counts, Index, IndexEntry, Status};

/// Folder of the per-capture reports, inside the output directory.
const FILES_DIRECTORY: &str = "files";

/// The validated settings of a batch run.
struct Plan {
    config: Config,
    directory: PathBuf,
    per_file: bool,
    combined: bool,
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
            jobs,
            quiet: args.quiet,
        })
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
    let files_directory = plan.directory.join(FILES_DIRECTORY);
    std::fs::create_dir_all(&files_directory)
        .with_context(|| format!("cannot create {}", files_directory.display()))?;
    let found = discover::discover(&args.inputs, &plan.directory);
    let captures: Vec<(usize, &Found, u64)> = found
        .iter()
        .enumerate()
        .filter_map(|(position, file)| match file.kind {
            FoundKind::Capture { bytes } => Some((position, file, bytes)),
            _ => None,
        })
        .collect();
    let total_bytes = captures.iter().map(|(_, _, bytes)| bytes).sum();
    let progress = Progress::new(captures.len() as u64, total_bytes, plan.quiet);
    let mut merger = Merger::new(&plan, &found);
    let shared = Shared {
        config: &plan.config,
        databases: &databases,
        per_file: plan.per_file,
    };
    let sources: Vec<InputSource> = captures
        .iter()
        .map(|(_, file, _)| InputSource::File(file.path.clone()))
        .collect();
    read_in_parallel(&sources, plan.jobs, &shared, |position, result| {
        let Some(&(found_position, _, bytes)) = captures.get(position) else {
            return Ok(());
        };
        if let Some(error) = &result.summary.error
            && !plan.quiet
        {
            progress.diagnostic("error", &result.summary.name, error);
        }
        let outcome = merger.accept(position, found_position, result);
        progress.file_done(position as u64 + 1, bytes);
        outcome
    })?;
    progress.finish();
    merger.finish(&plan, &databases)
}

/// What every worker reads: the report settings and the databases.
struct Shared<'a> {
    config: &'a Config,
    databases: &'a GeoDatabases,
    per_file: bool,
}

/// One capture, read and reported on, as the worker hands it to the merger.
struct FileResult {
    summary: CaptureSummary,
    /// What the combined aggregate takes from this capture.
    aggregate: Aggregate,
    sources: SourceList,
    beyond_cap: Option<Box<BeyondCap>>,
    /// The capture's own report, when it was a capture one can report on.
    report: Option<Report>,
    /// The per-capture report in each format (or why it could not be rendered).
    rendered: Result<Vec<(&'static str, String)>, String>,
}

fn read_one(source: &InputSource, shared: &Shared) -> FileResult {
    let mut aggregate = Aggregate::with_source_cap(shared.config.source_cap);
    let summary = capture::read_capture(source, |frame| {
        let decoded = decode::decode(frame);
        aggregate.observe(frame, &decoded);
    });
    aggregate.finish();
    let beyond_cap = aggregate.sources.beyond_cap.take();
    let sources = std::mem::take(&mut aggregate.sources).into_sorted();
    let enrichment = enrich::enrich(&sources, shared.databases);
    let traffic = Traffic {
        captures: vec![summary],
        aggregate,
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
    let Traffic {
        mut captures,
        aggregate,
        sources,
        beyond_cap,
        ..
    } = traffic;
    FileResult {
        summary: captures.pop().unwrap_or_default(),
        aggregate,
        sources,
        beyond_cap,
        report,
        rendered,
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

/// Reads `sources` on `jobs` threads and hands each result to `merge` in input order, on the
/// calling thread. A worker starts a capture only while fewer than `2 * jobs` finished ones
/// wait for an earlier, slower one, so memory is bounded whatever the archive holds. After an
/// error from `merge`, no new capture is started and that error is returned.
fn read_in_parallel(
    sources: &[InputSource],
    jobs: usize,
    shared: &Shared,
    mut merge: impl FnMut(usize, FileResult) -> Result<()>,
) -> Result<()> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .context("cannot start the worker threads")?;
    let scheduler = Scheduler {
        state: Mutex::new(SchedulerState::default()),
        wake: Condvar::new(),
        window: jobs.saturating_mul(2).max(2),
        total: sources.len(),
    };
    let (sender, receiver) = mpsc::channel::<(usize, FileResult)>();
    let mut failure = None;
    pool.in_place_scope(|scope| {
        for _ in 0..jobs.min(sources.len()) {
            let sender = sender.clone();
            let scheduler = &scheduler;
            scope.spawn(move |_| {
                while let Some(position) = scheduler.claim() {
                    let Some(source) = sources.get(position) else {
                        break;
                    };
                    if sender.send((position, read_one(source, shared))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(sender);
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
    });
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

/// Folds each capture, in input order, into the combined traffic, writes its report and keeps
/// its index entry.
struct Merger {
    aggregate: Aggregate,
    captures: Vec<CaptureSummary>,
    /// First capture with each SHA-256 seen, by name.
    seen: HashMap<String, String>,
    entries: Vec<Option<IndexEntry>>,
    directory: PathBuf,
    /// Every input, resolved: no report may be written over one.
    evidence: HashSet<PathBuf>,
}

impl Merger {
    fn new(plan: &Plan, found: &[Found]) -> Merger {
        let entries = found
            .iter()
            .map(|file| match &file.kind {
                FoundKind::Capture { .. } => None,
                FoundKind::Skipped(reason) => Some(empty_entry(file, Status::Skipped, reason)),
                FoundKind::Unreadable(reason) => Some(empty_entry(file, Status::Failed, reason)),
            })
            .collect();
        Merger {
            aggregate: Aggregate::with_source_cap(plan.config.source_cap),
            captures: Vec::new(),
            seen: HashMap::new(),
            entries,
            directory: plan.directory.clone(),
            evidence: found
                .iter()
                .filter_map(|file| file.path.canonicalize().ok())
                .collect(),
        }
    }

    fn accept(&mut self, position: usize, found_position: usize, result: FileResult) -> Result<()> {
        let summary = result.summary;
        let first_with_same_bytes = summary
            .sha256
            .as_ref()
            .and_then(|sha256| self.seen.get(sha256))
            .cloned();
        let mut entry = IndexEntry {
            path: summary.name.clone(),
            status: match (&first_with_same_bytes, &summary.error) {
                (Some(_), _) => Status::Duplicate,
                (None, Some(_)) => Status::Failed,
                (None, None) => Status::Ok,
            },
            sha256: summary.sha256.clone(),
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
        };
        if let Some(report) = &result.report {
            entry.top_vector = report.summary.top_vector;
            entry.unique_sources = Some(report.sources.unique);
            entry.top_country = report.countries.first().map(|row| row.code.clone());
        }
        if first_with_same_bytes.is_none() {
            if let Some(sha256) = &summary.sha256 {
                self.seen.insert(sha256.clone(), summary.name.clone());
            }
            if let (Some(report), Ok(rendered)) = (&result.report, &result.rendered) {
                let stem = format!("{:04}-{}", position + 1, report::file_stem(report));
                for (extension, text) in rendered {
                    let name = format!("{FILES_DIRECTORY}/{stem}.{extension}");
                    self.write(&name, text)?;
                    entry.reports.push(name);
                }
            }
            if let Err(error) = &result.rendered {
                entry.status = Status::Failed;
                entry.error = Some(format!("cannot render the report: {error}"));
            }
            // Exactly what `analyse` does over several inputs: every capture is listed, and
            // whatever was read before an error counts.
            self.aggregate.merge(&result.aggregate);
            self.aggregate
                .sources
                .merge_sorted(&result.sources, result.beyond_cap.as_deref());
            self.captures.push(summary);
        }
        if let Some(slot) = self.entries.get_mut(found_position) {
            *slot = Some(entry);
        }
        Ok(())
    }

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

    /// Builds and writes the combined report and the index; tells how the run went.
    fn finish(mut self, plan: &Plan, databases: &GeoDatabases) -> Result<Outcome> {
        let mut combined_reports = Vec::new();
        if plan.combined && self.captures.iter().any(CaptureSummary::was_readable) {
            let mut aggregate = std::mem::take(&mut self.aggregate);
            let beyond_cap = aggregate.sources.beyond_cap.take();
            let sources = std::mem::take(&mut aggregate.sources).into_sorted();
            let enrichment = enrich::enrich(&sources, databases);
            let traffic = Traffic {
                captures: std::mem::take(&mut self.captures),
                aggregate,
                sources,
                beyond_cap,
                enrichment,
            };
            let report = Report::build(&ReportInputs {
                config: &plan.config,
                attack: &traffic,
                baseline: None,
                databases,
            });
            for format in plan.config.output.formats() {
                let text = render::render(&report, format, &plan.config.render)?;
                let name = format!("combined.{}", format.extension());
                self.write(&name, &text)?;
                combined_reports.push(name);
            }
        }
        let files: Vec<IndexEntry> = self.entries.into_iter().flatten().collect();
        let counts = Counts::of(&files);
        let index = Index {
            schema: index::SCHEMA,
            generated_at: format_rfc3339(plan.config.generated_at.saturating_mul(1_000_000_000)),
            counts: counts.clone(),
            combined_reports,
            files,
        };
        index::write(&self.directory, &index)?;
        Ok(if counts.ok == 0 {
            Outcome::BatchNoneSucceeded
        } else if counts.failed > 0 {
            Outcome::BatchSomeFailed
        } else {
            Outcome::Success
        })
    }
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
    }
}
