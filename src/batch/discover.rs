//! Finding the captures of a batch: takes the inputs as given (files, directories, glob
//! patterns) and gives every file found, in a stable order, marked as a capture or not by its
//! first bytes.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::capture;

/// One file a batch run found, and what its first bytes say it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub path: PathBuf,
    pub kind: FoundKind,
    /// The input it was found under: the directory given, the directory of a file given, or
    /// the part of a glob pattern before its first wildcard. `--group-by dir` names groups
    /// after the capture's directory relative to it.
    pub root: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FoundKind {
    /// Its magic bytes are those of a capture or a compressed stream.
    Capture { bytes: u64 },
    /// Not read further: the reason goes into the index.
    Skipped(String),
    /// Could not be looked at (missing, unreadable, a pattern matching nothing).
    Unreadable(String),
}

/// Every file under `inputs`, directories walked recursively with each level sorted by name,
/// so the same archive always gives the same order. `exclude` (the output directory) is not
/// walked, so a second run does not read the first run's reports.
pub fn discover(inputs: &[PathBuf], exclude: &Path) -> Vec<Found> {
    let exclude = exclude.canonicalize().ok();
    let mut walker = Walker {
        exclude: exclude.as_deref(),
        visited: HashSet::new(),
        found: Vec::new(),
        root: PathBuf::new(),
    };
    for input in inputs {
        if input.exists() {
            walker.root = if input.is_dir() {
                input.clone()
            } else {
                parent_of(input)
            };
            walker.walk(input);
            continue;
        }
        walker.root = literal_prefix(input);
        let pattern = input.to_string_lossy();
        if !pattern.contains(['*', '?', '[']) {
            walker
                .found
                .push(unreadable(input, "no such file or directory"));
            continue;
        }
        let mut matches: Vec<PathBuf> = match glob::glob(&pattern) {
            Ok(paths) => paths.filter_map(Result::ok).collect(),
            Err(error) => {
                let reason = format!("bad glob pattern: {error}");
                walker.found.push(unreadable(input, &reason));
                continue;
            }
        };
        if matches.is_empty() {
            walker
                .found
                .push(unreadable(input, "no file matches this pattern"));
        }
        matches.sort();
        for path in matches {
            walker.walk(&path);
        }
    }
    walker.found
}

fn unreadable(path: &Path, reason: &str) -> Found {
    Found {
        path: path.to_path_buf(),
        kind: FoundKind::Unreadable(reason.to_string()),
        root: parent_of(path),
    }
}

fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The directories of a glob pattern before the first component with a wildcard.
fn literal_prefix(pattern: &Path) -> PathBuf {
    let mut prefix = PathBuf::new();
    for component in pattern.components() {
        if component
            .as_os_str()
            .to_string_lossy()
            .contains(['*', '?', '['])
        {
            break;
        }
        prefix.push(component);
    }
    if prefix.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        prefix
    }
}

struct Walker<'a> {
    exclude: Option<&'a Path>,
    /// Directories already walked, resolved: a symbolic link back up the tree is walked once.
    visited: HashSet<PathBuf>,
    found: Vec<Found>,
    /// The input being walked (`Found::root`).
    root: PathBuf,
}

impl Walker<'_> {
    fn walk(&mut self, path: &Path) {
        let real = path.canonicalize().ok();
        if real.is_some() && real.as_deref() == self.exclude {
            return;
        }
        if !path.is_dir() {
            self.found.push(classify(path, &self.root));
            return;
        }
        if let Some(real) = real
            && !self.visited.insert(real)
        {
            return;
        }
        let mut entries: Vec<PathBuf> = match std::fs::read_dir(path) {
            Ok(entries) => entries
                .filter_map(|entry| entry.ok().map(|entry| entry.path()))
                .collect(),
            Err(error) => {
                let reason = format!("cannot list directory: {error}");
                let mut found = unreadable(path, &reason);
                found.root = self.root.clone();
                self.found.push(found);
                return;
            }
        };
        entries.sort();
        for entry in entries {
            self.walk(&entry);
        }
    }
}

/// Looks at the first bytes only; the capture module reads the rest later.
fn classify(path: &Path, root: &Path) -> Found {
    let kind = match read_prefix(path) {
        Err(error) => FoundKind::Unreadable(format!("cannot read: {error}")),
        Ok((_, 0)) => FoundKind::Skipped("empty file".to_string()),
        Ok((prefix, bytes)) if capture::looks_like_capture(&prefix) => FoundKind::Capture { bytes },
        Ok(_) => FoundKind::Skipped(
            "not a capture: no pcap, pcapng, gzip, zstd, xz or lz4 magic bytes".to_string(),
        ),
    };
    Found {
        path: path.to_path_buf(),
        kind,
        root: root.to_path_buf(),
    }
}

fn read_prefix(path: &Path) -> std::io::Result<(Vec<u8>, u64)> {
    let file = std::fs::File::open(path)?;
    let bytes = file.metadata()?.len();
    let mut prefix = Vec::with_capacity(8);
    file.take(8).read_to_end(&mut prefix)?;
    Ok((prefix, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_sorted_and_tells_captures_from_other_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("b/c")).unwrap();
        std::fs::write(dir.path().join("b/c/z.pcap"), 0xa1b2_c3d4u32.to_le_bytes()).unwrap();
        std::fs::write(dir.path().join("a.txt"), b"hello").unwrap();
        std::fs::write(dir.path().join("b/empty"), b"").unwrap();
        let found = discover(&[dir.path().to_path_buf()], Path::new("/nonexistent"));
        let names: Vec<_> = found
            .iter()
            .map(|f| f.path.strip_prefix(dir.path()).unwrap().to_path_buf())
            .collect();
        assert_eq!(
            names,
            [
                PathBuf::from("a.txt"),
                "b/c/z.pcap".into(),
                "b/empty".into()
            ]
        );
        assert!(matches!(found[0].kind, FoundKind::Skipped(_)));
        assert_eq!(found[1].kind, FoundKind::Capture { bytes: 4 });
        assert_eq!(found[2].kind, FoundKind::Skipped("empty file".into()));
        assert!(found.iter().all(|file| file.root == dir.path()));
    }

    #[test]
    fn the_root_of_a_glob_is_its_part_before_the_first_wildcard() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("sensors/edge1")).unwrap();
        std::fs::write(
            dir.path().join("sensors/edge1/a.pcap"),
            0xa1b2_c3d4u32.to_le_bytes(),
        )
        .unwrap();
        let found = discover(
            &[dir.path().join("sensors/*/*.pcap")],
            Path::new("/nonexistent"),
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].root, dir.path().join("sensors"));
        let given = discover(
            &[dir.path().join("sensors/edge1/a.pcap")],
            Path::new("/nonexistent"),
        );
        assert_eq!(given[0].root, dir.path().join("sensors/edge1"));
    }

    #[cfg(unix)]
    #[test]
    fn a_link_back_up_the_tree_is_walked_once() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("a")).unwrap();
        std::fs::write(dir.path().join("a/x.pcap"), 0xa1b2_c3d4u32.to_le_bytes()).unwrap();
        std::os::unix::fs::symlink(dir.path(), dir.path().join("a/loop")).unwrap();
        let found = discover(&[dir.path().to_path_buf()], Path::new("/nonexistent"));
        assert_eq!(found.len(), 1);
    }

    #[test]
    fn a_pattern_matching_nothing_is_reported() {
        let found = discover(&[PathBuf::from("/nonexistent/*.pcap")], Path::new("/x"));
        assert!(matches!(found[0].kind, FoundKind::Unreadable(_)));
    }
}
