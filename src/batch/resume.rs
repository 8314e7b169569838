//! `batch --resume`: takes the index an earlier run left in the output directory and tells
//! which captures need no new per-capture report: the earlier reports exist, are newer than
//! the capture, and were written with the same report options (the options fingerprint).
//!
//! The fingerprint is the SHA-256 of everything that changes what a per-capture report says or
//! which files it is written to: the whence version, the formats, the victims, claims and time
//! zone, the row and source limits, and which database (type and build time) answers each
//! GeoIP role. `--jobs`, `--quiet`, `--group-by` and the choice of combined or per-file
//! reports do not change a per-capture report, so they are left out.
//!
//! Like make, resume trusts modification times: a capture rewritten with an older time and the
//! same size is not noticed unless it is read again anyway (then its SHA-256 is compared).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::aggregate::vectors::VectorKind;
use crate::config::Config;
use crate::enrich::GeoDatabases;

/// The fingerprint of the report options of this run, as recorded in index.json.
pub fn fingerprint(config: &Config, databases: &GeoDatabases) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "whence {}", env!("CARGO_PKG_VERSION"));
    let formats: Vec<&str> = config
        .output
        .formats()
        .iter()
        .map(|format| format.extension())
        .collect();
    let _ = writeln!(text, "formats {}", formats.join(","));
    for victim in &config.victims {
        let _ = writeln!(text, "victim {victim}");
    }
    for claim in &config.claims {
        let _ = writeln!(text, "claim {claim}");
    }
    let _ = writeln!(text, "timezone {}", config.timezone);
    let _ = writeln!(text, "max-rows {}", config.render.max_rows);
    let _ = writeln!(text, "top {}", config.top_sources);
    let _ = writeln!(text, "max-sources {}", config.source_cap);
    for (role, database) in databases.assignments() {
        let _ = writeln!(
            text,
            "database {role:?} {:?} {}",
            database.database_type, database.build_epoch
        );
    }
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// What an earlier index says about one capture, as far as resuming needs it.
#[derive(Debug, Clone, Deserialize)]
pub struct PreviousEntry {
    pub path: String,
    pub status: String,
    pub sha256: Option<String>,
    pub bytes: Option<u64>,
    pub packets: u64,
    pub first_packet: Option<String>,
    pub last_packet: Option<String>,
    pub top_vector: Option<VectorKind>,
    pub unique_sources: Option<u64>,
    pub top_country: Option<String>,
    pub reports: Vec<String>,
    #[serde(default)]
    pub options_fingerprint: Option<String>,
}

#[derive(Deserialize)]
struct PreviousIndex {
    files: Vec<PreviousEntry>,
}

/// The earlier run's index, by capture path.
#[derive(Debug, Default)]
pub struct Previous {
    by_path: HashMap<String, PreviousEntry>,
}

impl Previous {
    /// Reads `directory/index.json`. No index is no earlier run; an index that cannot be read
    /// is reported in the note and nothing is resumed.
    pub fn load(directory: &Path) -> (Previous, Option<String>) {
        let path = directory.join("index.json");
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return (Previous::default(), None);
            }
            Err(error) => {
                let note = format!("cannot read {}: {error}; nothing resumed", path.display());
                return (Previous::default(), Some(note));
            }
        };
        match serde_json::from_slice::<PreviousIndex>(&bytes) {
            Ok(index) => (
                Previous {
                    by_path: index
                        .files
                        .into_iter()
                        .map(|entry| (entry.path.clone(), entry))
                        .collect(),
                },
                None,
            ),
            Err(error) => {
                let note = format!(
                    "{} is not an index whence can resume from ({error}); nothing resumed",
                    path.display()
                );
                (Previous::default(), Some(note))
            }
        }
    }

    /// The earlier entry of the capture at `path` (as listed, `display_name`) when its reports
    /// can stand: read to its end then, same fingerprint, same size, and every report file
    /// still there and modified after the capture.
    pub fn resumable(
        &self,
        path: &Path,
        listed_as: &str,
        fingerprint: &str,
        directory: &Path,
    ) -> Option<&PreviousEntry> {
        let entry = self.by_path.get(listed_as)?;
        if entry.status != "ok"
            || entry.options_fingerprint.as_deref() != Some(fingerprint)
            || entry.reports.is_empty()
        {
            return None;
        }
        let capture = std::fs::metadata(path).ok()?;
        if Some(capture.len()) != entry.bytes {
            return None;
        }
        let captured = capture.modified().ok()?;
        let all_newer = entry.reports.iter().all(|report| {
            // Only names this run could have written: nothing outside OUTDIR is trusted.
            let inside = Path::new(report)
                .components()
                .all(|part| matches!(part, std::path::Component::Normal(_)));
            inside
                && std::fs::metadata(directory.join(report))
                    .and_then(|metadata| metadata.modified())
                    .is_ok_and(|written| written > captured)
        });
        all_newer.then_some(entry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str, bytes: u64, reports: &[&str], fingerprint: &str) -> PreviousEntry {
        PreviousEntry {
            path: path.to_string(),
            status: "ok".to_string(),
            sha256: None,
            bytes: Some(bytes),
            packets: 1,
            first_packet: None,
            last_packet: None,
            top_vector: None,
            unique_sources: None,
            top_country: None,
            reports: reports.iter().map(|report| report.to_string()).collect(),
            options_fingerprint: Some(fingerprint.to_string()),
        }
    }

    #[test]
    fn reports_stand_only_if_newer_complete_and_made_with_the_same_options() {
        let dir = tempfile::tempdir().unwrap();
        let capture = dir.path().join("a.pcap");
        std::fs::write(&capture, b"1234").unwrap();
        std::fs::create_dir_all(dir.path().join("out/files")).unwrap();
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
        std::fs::File::options()
            .write(true)
            .open(&capture)
            .unwrap()
            .set_modified(old)
            .unwrap();
        std::fs::write(dir.path().join("out/files/0001-a.json"), b"{}").unwrap();
        let out = dir.path().join("out");
        let name = capture.display().to_string();
        let previous = |entry: PreviousEntry| Previous {
            by_path: HashMap::from([(name.clone(), entry)]),
        };
        let resumable =
            |previous: &Previous| previous.resumable(&capture, &name, "f1", &out).is_some();
        assert!(resumable(&previous(entry(
            &name,
            4,
            &["files/0001-a.json"],
            "f1"
        ))));
        // Other options, another size, a report missing, a name outside OUTDIR.
        assert!(!resumable(&previous(entry(
            &name,
            4,
            &["files/0001-a.json"],
            "f2"
        ))));
        assert!(!resumable(&previous(entry(
            &name,
            5,
            &["files/0001-a.json"],
            "f1"
        ))));
        assert!(!resumable(&previous(entry(
            &name,
            4,
            &["files/0001-a.json", "files/0001-a.md"],
            "f1"
        ))));
        assert!(!resumable(&previous(entry(&name, 4, &["../a.pcap"], "f1"))));
        // The capture changed after its report was written.
        std::fs::File::options()
            .write(true)
            .open(&capture)
            .unwrap()
            .set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(60))
            .unwrap();
        assert!(!resumable(&previous(entry(
            &name,
            4,
            &["files/0001-a.json"],
            "f1"
        ))));
    }
}
