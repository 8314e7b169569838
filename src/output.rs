//! The only module that writes: reports to a file (atomically) or standard output, and
//! warnings and errors to standard error, stripped of control characters.

use std::io::{self, Write};
use std::path::Path;

use anyhow::{Context, Result};

use crate::render::terminal_safe as printable;

/// Writes `content` to `path` through a temporary file in the same directory renamed into
/// place, so a reader never sees half a report and an interrupted run leaves no torn file.
pub fn write_file_atomically(path: &Path, content: &[u8]) -> Result<()> {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut temporary = tempfile::NamedTempFile::new_in(directory)
        .with_context(|| format!("cannot create a temporary file in {}", directory.display()))?;
    temporary
        .write_all(content)
        .and_then(|()| temporary.as_file().sync_all())
        .with_context(|| format!("cannot write {}", path.display()))?;
    temporary
        .persist(path)
        .with_context(|| format!("cannot move the report into place at {}", path.display()))?;
    Ok(())
}

pub fn write_stdout(content: &[u8]) -> Result<()> {
    let mut stdout = io::stdout().lock();
    match stdout.write_all(content).and_then(|()| stdout.flush()) {
        // A closed pipe (`| head`) is the reader's choice, not a failure.
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write to standard output"),
    }
}

/// A diagnostic line on standard error. Text that came from a capture could hold terminal
/// escape sequences; they are made visible instead of being obeyed.
pub fn diagnostic(level: &str, subject: &str, message: &str) {
    let line = format!(
        "whence: {level}: {}: {}",
        printable(subject),
        printable(message)
    );
    let _ = writeln!(io::stderr().lock(), "{line}");
}

/// The last word of a run that produced nothing.
pub fn fatal(message: &str) {
    let _ = writeln!(io::stderr().lock(), "whence: error: {}", printable(message));
}

/// A progress bar on standard error for batch runs: files done, bytes read, throughput and
/// ETA. Hidden when standard error is not a terminal or the user asked for quiet; diagnostics
/// printed while it shows go above it.
pub struct Progress {
    bar: indicatif::ProgressBar,
    files: u64,
}

impl Progress {
    pub fn new(files: u64, bytes: u64, quiet: bool) -> Progress {
        use std::io::IsTerminal;
        let bar = if quiet || !io::stderr().is_terminal() {
            indicatif::ProgressBar::hidden()
        } else {
            indicatif::ProgressBar::new(bytes)
        };
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(format!("0/{files} files"));
        Progress { bar, files }
    }

    pub fn file_done(&self, done: u64, bytes: u64) {
        self.bar.inc(bytes);
        self.bar.set_message(format!("{done}/{} files", self.files));
    }

    /// A diagnostic that does not tear the bar.
    pub fn diagnostic(&self, level: &str, subject: &str, message: &str) {
        self.bar.suspend(|| diagnostic(level, subject, message));
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_the_whole_file() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("report.json");
        std::fs::write(&path, b"old and longer content").unwrap();
        write_file_atomically(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert_eq!(std::fs::read_dir(directory.path()).unwrap().count(), 1);
    }
}
