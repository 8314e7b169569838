//! Golden files: the Markdown and HTML reports of three samples, rendered reproducibly
//! (`SOURCE_DATE_EPOCH=0`, embedded databases only, fixed claims), compared byte for byte.
//! After an intended change, rewrite them with `WHENCE_UPDATE_GOLDEN=1 cargo test --test golden`
//! and review the diff.

// A test fails loudly on anything unexpected.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::{stderr, whence};

const SCENARIOS: &[(&str, &[&str])] = &[
    (
        "http-get-flood.pcapng",
        &[
            "--claim",
            "country:DE",
            "--claim",
            "asn:AS24940",
            "--tz",
            "Europe/Berlin",
        ],
    ),
    ("dns-amplification.pcap", &["--claim", "country:US"]),
    (
        "two-waves.pcap",
        &["--claim", "country:CN", "--max-rows", "5"],
    ),
];

#[test]
fn rendered_reports_match_the_golden_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let update = std::env::var_os("WHENCE_UPDATE_GOLDEN").is_some();
    let mut mismatches = Vec::new();
    for (capture, args) in SCENARIOS {
        let stem = capture.split('.').next().unwrap();
        for (format, extension) in [("md", "md"), ("html", "html"), ("summary", "txt")] {
            let output = whence()
                .env("SOURCE_DATE_EPOCH", "0")
                .current_dir(root)
                .args(["report", "--no-system-db", "--format", format])
                .args(*args)
                .arg(Path::new("samples").join(capture))
                .output()
                .unwrap();
            assert!(output.status.success(), "{}", stderr(&output));
            let golden = root
                .join("tests/golden")
                .join(format!("{stem}.{extension}"));
            if update {
                std::fs::write(&golden, &output.stdout).unwrap();
            } else if std::fs::read(&golden).ok().as_deref() != Some(&output.stdout[..]) {
                mismatches.push(golden.display().to_string());
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "rendered reports differ from {mismatches:?}; rerun with WHENCE_UPDATE_GOLDEN=1 and \
         review the diff if the change is intended"
    );
}
