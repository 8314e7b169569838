//! The index of a batch run: one entry per file found, written as index.json (the model),
//! index.md and index.html (tables linking to the per-capture reports) and errors.json (the
//! failures alone).

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;

use crate::aggregate::vectors::VectorKind;
use crate::output;
use crate::render::escape;

/// Version 2: captures in time order, groups, resume and overlap fields.
pub const SCHEMA: &str = "whence.batch-index/2";

/// What became of one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Read to its end.
    Ok,
    /// Could not be read to its end; what was read before the damage still counts.
    Failed,
    /// The same bytes (SHA-256) as an earlier capture: not counted again.
    Duplicate,
    /// Not a capture.
    Skipped,
}

#[derive(Debug, Clone, Serialize)]
pub struct IndexEntry {
    pub path: String,
    pub status: Status,
    pub sha256: Option<String>,
    pub bytes: Option<u64>,
    pub packets: u64,
    pub first_packet: Option<String>,
    pub last_packet: Option<String>,
    pub top_vector: Option<VectorKind>,
    /// Senders of attack traffic (`sources.unique` of the capture's report).
    pub unique_sources: Option<u64>,
    pub top_country: Option<String>,
    /// Per-capture report files, relative to the output directory.
    pub reports: Vec<String>,
    /// For a duplicate: the earlier capture with the same bytes.
    pub duplicate_of: Option<String>,
    /// Why the file failed or was skipped.
    pub error: Option<String>,
    /// The sensor named by the file name (see `group::sensor_name`).
    pub sensor: Option<String>,
    /// The group of `--group-by`.
    pub group: Option<String>,
    /// Its reports are an earlier run's (`--resume`); the figures above are that run's.
    pub resumed: bool,
    /// Why it was read a second time for the combined or group report: its traffic carries on
    /// from the capture before it (a TCP handshake or session, a fragmented datagram).
    pub rescanned: Option<String>,
    /// Captures of the same sensor (or group) whose time range overlaps this one's.
    pub overlaps_with: Vec<String>,
    /// Fingerprint of the options its reports were written with (see `resume`).
    pub options_fingerprint: Option<String>,
}

/// One group of `--group-by` and its report.
#[derive(Debug, Clone, Serialize)]
pub struct GroupEntry {
    pub name: String,
    /// The captures counted in the group report, in the order they were merged.
    pub captures: Vec<String>,
    pub packets: u64,
    pub first_packet: Option<String>,
    pub last_packet: Option<String>,
    /// Report files, relative to the output directory.
    pub reports: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Index {
    pub schema: &'static str,
    pub generated_at: String,
    /// Fingerprint of the report options of this run (see `resume`).
    pub options_fingerprint: String,
    /// `dir` or `sensor` with `--group-by`.
    pub group_by: Option<&'static str>,
    pub counts: Counts,
    /// Combined report files, relative to the output directory.
    pub combined_reports: Vec<String>,
    pub groups: Vec<GroupEntry>,
    /// Things to know about the run as a whole (overlapping captures, an index that could not
    /// be resumed from).
    pub warnings: Vec<String>,
    /// Captures in the order they were merged (their first packet's time), then the files that
    /// are no captures, in the order they were found.
    pub files: Vec<IndexEntry>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    pub ok: u64,
    pub failed: u64,
    pub duplicate: u64,
    pub skipped: u64,
    /// Of the `ok` ones, those whose reports were kept from an earlier run.
    pub resumed: u64,
    /// Captures read a second time for the combined or group reports.
    pub rescanned: u64,
    /// Captures whose time range overlaps another of the same sensor (or group).
    pub overlapping: u64,
}

impl Counts {
    pub fn of(files: &[IndexEntry]) -> Counts {
        let mut counts = Counts::default();
        for file in files {
            match file.status {
                Status::Ok => counts.ok += 1,
                Status::Failed => counts.failed += 1,
                Status::Duplicate => counts.duplicate += 1,
                Status::Skipped => counts.skipped += 1,
            }
            counts.resumed += u64::from(file.resumed);
            counts.rescanned += u64::from(file.rescanned.is_some());
            counts.overlapping += u64::from(!file.overlaps_with.is_empty());
        }
        counts
    }
}

#[derive(Serialize)]
struct ErrorEntry<'a> {
    path: &'a str,
    error: &'a str,
}

/// Writes index.json, errors.json, index.md and index.html into `directory`.
pub fn write(directory: &Path, index: &Index) -> Result<()> {
    let json = serde_json::to_string_pretty(index).context("cannot serialise the index")?;
    output::write_file_atomically(&directory.join("index.json"), json.as_bytes())?;
    let errors: Vec<ErrorEntry> = index
        .files
        .iter()
        .filter(|file| file.status == Status::Failed)
        .map(|file| ErrorEntry {
            path: &file.path,
            error: file.error.as_deref().unwrap_or("unknown error"),
        })
        .collect();
    let json = serde_json::to_string_pretty(&errors).context("cannot serialise the errors")?;
    output::write_file_atomically(&directory.join("errors.json"), json.as_bytes())?;
    output::write_file_atomically(&directory.join("index.md"), markdown(index).as_bytes())?;
    output::write_file_atomically(&directory.join("index.html"), html(index).as_bytes())?;
    Ok(())
}

fn status_name(status: Status) -> &'static str {
    match status {
        Status::Ok => "ok",
        Status::Failed => "failed",
        Status::Duplicate => "duplicate",
        Status::Skipped => "skipped",
    }
}

fn vector_name(kind: Option<VectorKind>) -> String {
    kind.and_then(|kind| serde_json::to_value(kind).ok())
        .and_then(|value| value.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The cells of one row before the links and the note, as plain text, before escaping.
fn cells(file: &IndexEntry) -> [String; 8] {
    [
        file.path.clone(),
        status_name(file.status).to_string(),
        file.packets.to_string(),
        file.first_packet.clone().unwrap_or_default(),
        file.last_packet.clone().unwrap_or_default(),
        vector_name(file.top_vector),
        file.unique_sources
            .map(|n| n.to_string())
            .unwrap_or_default(),
        file.top_country.clone().unwrap_or_default(),
    ]
}

const HEADERS: [&str; 10] = [
    "Capture",
    "Status",
    "Packets",
    "First packet",
    "Last packet",
    "Top vector",
    "Sources",
    "Top country",
    "Reports",
    "Note",
];

fn note(file: &IndexEntry) -> String {
    let mut notes = Vec::new();
    match (&file.duplicate_of, &file.error) {
        (Some(original), _) => notes.push(format!("same bytes as {original}")),
        (None, Some(error)) => notes.push(error.clone()),
        (None, None) => {}
    }
    if file.resumed {
        notes.push("reports from an earlier run".to_string());
    }
    if !file.overlaps_with.is_empty() {
        notes.push(format!("overlaps {}", file.overlaps_with.join(", ")));
    }
    if let Some(reason) = &file.rescanned {
        notes.push(format!("read again for the merged reports: {reason}"));
    }
    notes.join("; ")
}

fn counts_line(counts: &Counts) -> String {
    let mut line = format!(
        "{} ok, {} failed, {} duplicate, {} skipped.",
        counts.ok, counts.failed, counts.duplicate, counts.skipped
    );
    for (count, what) in [
        (counts.resumed, "resumed from an earlier run"),
        (counts.rescanned, "read again for the merged reports"),
        (
            counts.overlapping,
            "overlapping another capture of the same sensor",
        ),
    ] {
        if count > 0 {
            let _ = write!(line, " {count} {what}.");
        }
    }
    line
}

fn markdown(index: &Index) -> String {
    let mut text = String::from("# whence batch index\n\n");
    let _ = writeln!(text, "{}\n", counts_line(&index.counts));
    for warning in &index.warnings {
        let _ = writeln!(text, "- Warning: {}", escape::markdown(warning));
    }
    if !index.warnings.is_empty() {
        text.push('\n');
    }
    if !index.combined_reports.is_empty() {
        let links: Vec<String> = index
            .combined_reports
            .iter()
            .map(|path| format!("[{}](<{}>)", escape::markdown(path), path))
            .collect();
        let _ = writeln!(text, "Combined report: {}\n", links.join(", "));
    }
    if !index.groups.is_empty() {
        text.push_str("| Group | Captures | Packets | First packet | Last packet | Reports |\n");
        text.push_str("| --- | --- | --- | --- | --- | --- |\n");
        for group in &index.groups {
            let links: Vec<String> = group
                .reports
                .iter()
                .map(|path| format!("[{}](<{}>)", extension(path), path))
                .collect();
            let _ = writeln!(
                text,
                "| {} | {} | {} | {} | {} | {} |",
                escape::markdown(&group.name),
                group.captures.len(),
                group.packets,
                escape::markdown(group.first_packet.as_deref().unwrap_or_default()),
                escape::markdown(group.last_packet.as_deref().unwrap_or_default()),
                links.join(" ")
            );
        }
        text.push('\n');
    }
    let _ = writeln!(text, "| {} |", HEADERS.join(" | "));
    let _ = writeln!(text, "|{}", " --- |".repeat(HEADERS.len()));
    for file in &index.files {
        let mut row: Vec<String> = cells(file).iter().map(|c| escape::markdown(c)).collect();
        row.push(
            file.reports
                .iter()
                .map(|path| format!("[{}](<{}>)", extension(path), path))
                .collect::<Vec<_>>()
                .join(" "),
        );
        row.push(escape::markdown(&note(file)));
        let _ = writeln!(text, "| {} |", row.join(" | "));
    }
    text
}

fn html(index: &Index) -> String {
    let mut text = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>whence batch index</title>\n<style>table{border-collapse:collapse}\
         td,th{border:1px solid #999;padding:2px 6px;text-align:left}</style>\n</head>\n<body>\n\
         <h1>whence batch index</h1>\n",
    );
    let _ = writeln!(text, "<p>{}</p>", escape::html(&counts_line(&index.counts)));
    if !index.warnings.is_empty() {
        text.push_str("<ul>\n");
        for warning in &index.warnings {
            let _ = writeln!(text, "<li>Warning: {}</li>", escape::html(warning));
        }
        text.push_str("</ul>\n");
    }
    if !index.combined_reports.is_empty() {
        let links: Vec<String> = index
            .combined_reports
            .iter()
            .map(|path| format!("<a href=\"{0}\">{0}</a>", escape::html(path)))
            .collect();
        let _ = writeln!(text, "<p>Combined report: {}</p>", links.join(", "));
    }
    if !index.groups.is_empty() {
        text.push_str(
            "<table>\n<tr><th>Group</th><th>Captures</th><th>Packets</th><th>First packet</th>\
             <th>Last packet</th><th>Reports</th></tr>\n",
        );
        for group in &index.groups {
            let links: Vec<String> = group
                .reports
                .iter()
                .map(|path| {
                    format!(
                        "<a href=\"{}\">{}</a>",
                        escape::html(path),
                        escape::html(extension(path))
                    )
                })
                .collect();
            let _ = writeln!(
                text,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape::html(&group.name),
                group.captures.len(),
                group.packets,
                escape::html(group.first_packet.as_deref().unwrap_or_default()),
                escape::html(group.last_packet.as_deref().unwrap_or_default()),
                links.join(" ")
            );
        }
        text.push_str("</table>\n");
    }
    text.push_str("<table>\n<tr>");
    for header in HEADERS {
        let _ = write!(text, "<th>{header}</th>");
    }
    text.push_str("</tr>\n");
    for file in &index.files {
        text.push_str("<tr>");
        for cell in cells(file) {
            let _ = write!(text, "<td>{}</td>", escape::html(&cell));
        }
        let links: Vec<String> = file
            .reports
            .iter()
            .map(|path| {
                format!(
                    "<a href=\"{}\">{}</a>",
                    escape::html(path),
                    escape::html(extension(path))
                )
            })
            .collect();
        let _ = writeln!(
            text,
            "<td>{}</td><td>{}</td></tr>",
            links.join(" "),
            escape::html(&note(file))
        );
    }
    text.push_str("</table>\n</body>\n</html>\n");
    text
}

fn extension(path: &str) -> &str {
    path.rsplit_once('.')
        .map_or(path, |(_, extension)| extension)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_the_archive_cannot_inject_markup() {
        let entry = IndexEntry {
            path: "<script>alert(1)</script>|x.pcap".to_string(),
            status: Status::Skipped,
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
            error: Some("bad\nrow".to_string()),
            sensor: None,
            group: Some("<b>group</b>".to_string()),
            resumed: false,
            rescanned: None,
            overlaps_with: vec!["<i>other</i>".to_string()],
            options_fingerprint: None,
        };
        let index = Index {
            schema: SCHEMA,
            generated_at: String::new(),
            options_fingerprint: String::new(),
            group_by: Some("dir"),
            counts: Counts::of(std::slice::from_ref(&entry)),
            combined_reports: Vec::new(),
            groups: vec![GroupEntry {
                name: "<b>group</b>".to_string(),
                captures: vec![entry.path.clone()],
                packets: 0,
                first_packet: None,
                last_packet: None,
                reports: vec!["groups/<b>.html".to_string()],
            }],
            warnings: vec!["<script>x</script>".to_string()],
            files: vec![entry],
        };
        let page = html(&index);
        assert!(!page.contains("<script>") && !page.contains("<b>") && !page.contains("<i>"));
        assert!(page.contains("&lt;script&gt;"));
        let table = markdown(&index);
        assert!(table.contains("\\|x.pcap"), "{table}");
        // The group table (header, rule, one row) and the file table (the same).
        assert_eq!(
            table.lines().filter(|line| line.starts_with('|')).count(),
            6
        );
    }
}
