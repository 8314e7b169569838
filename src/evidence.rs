//! Evidence integrity: the SHA-256 an examiner expects of each input (`--expect-sha256`), the
//! hashing of every input file before the analysis (`--verify`), and the checks that refuse to
//! report on anything else.
//!
//! A report on the wrong bytes is worse than no report, so every mismatch is fatal: the run
//! stops before anything is written. The hash a report records (`inputs[].sha256`) is always
//! the one computed while the analysis read the input; `--verify` adds a first, separate
//! reading, and a file that hashes differently the second time was changed under whence.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

use crate::capture::{CaptureSummary, InputSource};

/// One `--expect-sha256`: which input (its index among the captures, then the baselines) and
/// the lowercase hex digest it must have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedHash {
    pub input: usize,
    pub sha256: String,
}

/// Parses every `--expect-sha256` against the inputs as given on the command line (captures
/// first, then baselines).
pub fn parse_expectations(texts: &[String], inputs: &[InputSource]) -> Result<Vec<ExpectedHash>> {
    texts
        .iter()
        .map(|text| parse_expectation(text, inputs))
        .collect()
}

fn parse_expectation(text: &str, inputs: &[InputSource]) -> Result<ExpectedHash> {
    // A digest holds no '=', so the last one separates it from a file name that may.
    let (file, hex) = match text.rsplit_once('=') {
        Some((file, hex)) => (Some(file), hex),
        None => (None, text),
    };
    let sha256 = parse_digest(hex).with_context(|| format!("--expect-sha256 {text}"))?;
    let input = match file {
        Some(file) => find_input(Path::new(file), inputs).with_context(|| {
            format!("--expect-sha256 {text}: {file} is not one of the captures or baselines given")
        })?,
        None if inputs.len() == 1 => 0,
        None => bail!(
            "--expect-sha256 {text}: {} inputs were given; say which one with FILE=HEX",
            inputs.len()
        ),
    };
    Ok(ExpectedHash { input, sha256 })
}

/// 64 hex digits, either case; returned in lowercase as reports write them.
fn parse_digest(hex: &str) -> Result<String> {
    let hex = hex.trim();
    if hex.len() != 64 || !hex.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        bail!(
            "a SHA-256 is 64 hexadecimal digits, not {:?} ({} characters)",
            hex,
            hex.chars().count()
        );
    }
    Ok(hex.to_ascii_lowercase())
}

/// The input a `FILE=` names: the same argument, or the same file by another path.
fn find_input(file: &Path, inputs: &[InputSource]) -> Option<usize> {
    let wanted = InputSource::from_arg(file);
    inputs
        .iter()
        .position(|input| *input == wanted)
        .or_else(|| {
            let real = file.canonicalize().ok()?;
            inputs.iter().position(|input| match input {
                InputSource::File(path) => path.canonicalize().is_ok_and(|other| other == real),
                _ => false,
            })
        })
}

/// `--verify`: hashes every input file before the analysis and checks the expectations
/// against those hashes. Returns one digest per input, to compare with the analysis's own.
pub fn hash_before_analysis(
    inputs: &[InputSource],
    expected: &[ExpectedHash],
) -> Result<Vec<String>> {
    let digests = inputs
        .iter()
        .map(|input| match input {
            InputSource::File(path) => hash_file(path),
            InputSource::Memory(bytes) => Ok(hex::encode(Sha256::digest(bytes))),
            InputSource::Stdin => {
                bail!("--verify: standard input cannot be read twice; hash it beforehand and give --expect-sha256 instead")
            }
        })
        .collect::<Result<Vec<String>>>()?;
    check_expectations(inputs, expected, |index| digests.get(index).cloned())?;
    Ok(digests)
}

/// Checks, after the analysis, that each input hashed as expected and (with `--verify`) as it
/// did before the analysis. `summaries` are in the order of `inputs`.
pub fn check_after_analysis(
    inputs: &[InputSource],
    summaries: &[&CaptureSummary],
    expected: &[ExpectedHash],
    before: Option<&[String]>,
) -> Result<()> {
    let read = |index: usize| {
        summaries
            .get(index)
            .and_then(|summary| summary.sha256.clone())
    };
    if let Some(before) = before {
        for (index, (input, first)) in inputs.iter().zip(before).enumerate() {
            match read(index) {
                Some(second) if second == *first => {}
                Some(second) => bail!(
                    "{}: changed while whence read it: SHA-256 {first} before the analysis, {second} during it; no report written",
                    input.display_name()
                ),
                None => bail!(
                    "{}: could not be hashed again during the analysis; no report written",
                    input.display_name()
                ),
            }
        }
    }
    check_expectations(inputs, expected, read)
}

fn check_expectations(
    inputs: &[InputSource],
    expected: &[ExpectedHash],
    actual: impl Fn(usize) -> Option<String>,
) -> Result<()> {
    for expectation in expected {
        let name = inputs
            .get(expectation.input)
            .map(InputSource::display_name)
            .unwrap_or_default();
        match actual(expectation.input) {
            Some(digest) if digest == expectation.sha256 => {}
            Some(digest) => bail!(
                "{name}: SHA-256 is {digest}, not the {} given with --expect-sha256; no report written",
                expectation.sha256
            ),
            None => bail!(
                "{name}: could not be read to check the SHA-256 given with --expect-sha256; no report written"
            ),
        }
    }
    Ok(())
}

/// Reads a file (read-only) to its end through SHA-256.
fn hash_file(path: &Path) -> Result<String> {
    let mut file =
        File::open(path).with_context(|| format!("--verify: cannot open {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let read = file
            .read(&mut buffer)
            .with_context(|| format!("--verify: cannot read {}", path.display()))?;
        match buffer.get(..read) {
            Some([]) | None => break,
            Some(chunk) => hasher.update(chunk),
        }
    }
    Ok(hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn files(names: &[&str]) -> Vec<InputSource> {
        names
            .iter()
            .map(|name| InputSource::from_arg(&PathBuf::from(name)))
            .collect()
    }

    #[test]
    fn a_plain_digest_needs_a_single_input_and_a_named_one_must_be_an_input() {
        let one = files(&["a.pcap"]);
        let upper = EMPTY.to_ascii_uppercase();
        assert_eq!(
            parse_expectations(&[upper], &one).unwrap(),
            [ExpectedHash {
                input: 0,
                sha256: EMPTY.into()
            }]
        );
        let two = files(&["a.pcap", "-"]);
        let error = parse_expectations(&[EMPTY.into()], &two).unwrap_err();
        assert!(format!("{error:#}").contains("FILE=HEX"), "{error:#}");
        let named = parse_expectations(&[format!("-={EMPTY}")], &two).unwrap();
        assert_eq!(named[0].input, 1);
        let error = parse_expectations(&[format!("b.pcap={EMPTY}")], &two).unwrap_err();
        assert!(
            format!("{error:#}").contains("b.pcap is not one of the captures"),
            "{error:#}"
        );
    }

    #[test]
    fn malformed_digests_are_refused() {
        let one = files(&["a.pcap"]);
        for bad in [
            "",
            "abc",
            &EMPTY[1..],
            &format!("{EMPTY}0"),
            &format!("g{}", &EMPTY[1..]),
            &format!("a.pcap={}", &EMPTY[2..]),
        ] {
            let error = parse_expectations(&[bad.to_string()], &one).unwrap_err();
            assert!(
                format!("{error:#}").contains("64 hexadecimal digits"),
                "{bad}: {error:#}"
            );
        }
    }

    #[test]
    fn a_file_that_changed_between_the_two_readings_is_refused() {
        let inputs = files(&["a.pcap"]);
        let summary = CaptureSummary {
            sha256: Some(EMPTY.into()),
            ..CaptureSummary::default()
        };
        assert!(check_after_analysis(&inputs, &[&summary], &[], Some(&[EMPTY.into()])).is_ok());
        let other = "0".repeat(64);
        let error = check_after_analysis(&inputs, &[&summary], &[], Some(&[other])).unwrap_err();
        assert!(error.to_string().contains("changed while whence read it"));
    }
}
