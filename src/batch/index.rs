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

pub const SCHEMA: &str = "whence.batch-index/1";

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
}

#[derive(Debug, Clone, Serialize)]
pub struct Index {
    pub schema: &'static str,
    pub generated_at: String,
    pub counts: Counts,
    /// Combined report files, relative to the output directory.
    pub combined_reports: Vec<String>,
    pub files: Vec<IndexEntry>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    pub ok: u64,
    pub failed: u64,
    pub duplicate: u64,
    pub skipped: u64,
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
    match (&file.duplicate_of, &file.error) {
        (Some(original), _) => format!("same bytes as {original}"),
        (None, Some(error)) => error.clone(),
        (None, None) => String::new(),
    }
}

fn markdown(index: &Index) -> String {
    let mut text = String::from("# whence batch index\n\n");
    let counts = &index.counts;
    let _ = writeln!(
        text,
        "{} ok, {} failed, {} duplicate, {} skipped.\n",
        counts.ok, counts.failed, counts.duplicate, counts.skipped
    );
    if !index.combined_reports.is_empty() {
        let links: Vec<String> = index
            .combined_reports
            .iter()
            .map(|path| format!("[{}](<{}>)", escape::markdown(path), path))
            .collect();
        let _ = writeln!(text, "Combined report: {}\n", links.join(", "));
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
    let counts = &index.counts;
    let _ = writeln!(
        text,
        "<p>{} ok, {} failed, {} duplicate, {} skipped.</p>",
        counts.ok, counts.failed, counts.duplicate, counts.skipped
    );
    if !index.combined_reports.is_empty() {
        let links: Vec<String> = index
            .combined_reports
            .iter()
            .map(|path| format!("<a href=\"{0}\">{0}</a>", escape::html(path)))
            .collect();
        let _ = writeln!(text, "<p>Combined report: {}</p>", links.join(", "));
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
        };
        let index = Index {
            schema: SCHEMA,
            generated_at: String::new(),
            counts: Counts::of(std::slice::from_ref(&entry)),
            combined_reports: Vec::new(),
            files: vec![entry],
        };
        let page = html(&index);
        assert!(!page.contains("<script>"));
        assert!(page.contains("&lt;script&gt;"));
        let table = markdown(&index);
        assert!(table.contains("\\|x.pcap"), "{table}");
        assert_eq!(
            table.lines().filter(|line| line.starts_with('|')).count(),
            3
        );
    }
}
