//! End-to-end runs of the rendered formats: format plumbing, templates (override, export,
//! strict mode), hostile strings from a database, victim anonymisation, determinism.

// A test fails loudly on anything unexpected.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

use common::{PcapWriter, ethernet_udp_frame, stderr, whence, write_known_databases};
use serde_json::Value;

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
}

/// `whence report --no-system-db ARGS` with success required; stdout as text.
fn render(args: &[&str]) -> String {
    let output = whence()
        .args(["report", "--no-system-db"])
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    String::from_utf8(output.stdout).unwrap()
}

fn without_command_line(mut report: Value) -> Value {
    report.as_object_mut().unwrap().remove("command_line");
    report
}

#[test]
fn json_is_the_default_off_a_terminal_and_unchanged_by_format_json() {
    let path = sample("http-get-flood.pcapng");
    let path = path.to_str().unwrap();
    let default: Value = serde_json::from_str(&render(&[path])).unwrap();
    let explicit: Value = serde_json::from_str(&render(&[path, "--format", "json"])).unwrap();
    assert_eq!(
        default["command_line"][0], "whence",
        "argv[0] is recorded as whence"
    );
    assert_eq!(
        without_command_line(default),
        without_command_line(explicit)
    );
}

#[test]
fn several_formats_go_into_a_directory_named_after_the_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("reports");
    let path = sample("http-get-flood.pcapng");
    let output = whence()
        .args([
            "report",
            "--no-system-db",
            "--format",
            "md,html,json,summary",
            "-o",
        ])
        .arg(&out)
        .arg(&path)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "http-get-flood-20250505T100000Z.html",
            "http-get-flood-20250505T100000Z.json",
            "http-get-flood-20250505T100000Z.md",
            "http-get-flood-20250505T100000Z.txt",
        ]
    );
    let html = std::fs::read_to_string(out.join(&names[0])).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
}

#[test]
fn a_file_extension_chooses_the_format() {
    let dir = tempfile::tempdir().unwrap();
    let path = sample("two-waves.pcap");
    for (name, start) in [
        ("r.md", "# DDoS report"),
        ("r.html", "<!DOCTYPE html>"),
        ("r.txt", "**"),
    ] {
        let target = dir.path().join(name);
        let output = whence()
            .args(["report", "--no-system-db", "-o"])
            .arg(&target)
            .arg(&path)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
        let text = std::fs::read_to_string(&target).unwrap();
        assert!(
            text.starts_with(start),
            "{name}: {}",
            &text[..40.min(text.len())]
        );
    }
}

#[cfg(unix)]
#[test]
fn a_directory_output_never_overwrites_an_input() {
    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("cap.pcap");
    std::fs::copy(sample("two-waves.pcap"), &capture).unwrap();
    let before = std::fs::read(&capture).unwrap();
    let first_packet = {
        let report: Value = serde_json::from_str(&render(&[capture.to_str().unwrap()])).unwrap();
        let first = report["totals"]["first_seen"].as_str().unwrap().to_string();
        let moment: jiff::Timestamp = first.parse().unwrap();
        moment.strftime("%Y%m%dT%H%M%SZ").to_string()
    };
    // A link under the name the report would get, pointing at the evidence.
    std::os::unix::fs::symlink(
        &capture,
        dir.path().join(format!("cap-{first_packet}.json")),
    )
    .unwrap();
    let output = whence()
        .args(["report", "--no-system-db", "--format", "json", "-o"])
        .arg(dir.path())
        .arg(&capture)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("it is an input capture"));
    assert_eq!(std::fs::read(&capture).unwrap(), before);
}

#[test]
fn templates_export_override_and_strict_mode() {
    let dir = tempfile::tempdir().unwrap();
    let templates = dir.path().join("templates");
    let export = |force: bool| {
        let mut command = whence();
        command.args(["templates", "export"]).arg(&templates);
        if force {
            command.arg("--force");
        }
        command.output().unwrap()
    };
    assert!(export(false).status.success());
    assert!(templates.join("report.md.hbs").is_file());
    assert!(templates.join("partials/md-countries.hbs").is_file());
    let again = export(false);
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("--force"), "{}", stderr(&again));
    assert!(export(true).status.success());

    // The exported templates render exactly like the built-in ones.
    let path = sample("two-waves.pcap");
    let path = path.to_str().unwrap();
    let dir_arg = templates.to_str().unwrap();
    let without_command = |text: String| -> String {
        text.lines()
            .filter(|line| !line.starts_with("Written by whence"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(
        without_command(render(&[path, "--format", "md", "--template-dir", dir_arg])),
        without_command(render(&[path, "--format", "md"]))
    );
    // A file in the directory replaces its built-in.
    std::fs::write(
        templates.join("summary.md.hbs"),
        "{{number totals.packets}} packets\n",
    )
    .unwrap();
    let summary = render(&[path, "--format", "summary", "--template-dir", dir_arg]);
    assert!(
        summary.ends_with(" packets\n") && summary.contains(','),
        "{summary}"
    );

    // --template replaces the chosen format's template; a misspelt field names file and line.
    let custom = dir.path().join("custom.hbs");
    std::fs::write(
        &custom,
        "Headline: {{summary.headline}}\n\n{{summary.headlin}}\n",
    )
    .unwrap();
    let output = whence()
        .args(["report", "--no-system-db", "--format", "md", "--template"])
        .arg(&custom)
        .arg(path)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains("report.md.hbs") && message.contains("line 3"),
        "{message}"
    );
    assert!(message.contains("summary.headlin"), "{message}");
    assert!(output.stdout.is_empty());
}

const SCRIPT: &str = "<script>alert(1)</script>";
const IMAGE: &str = "<img src=x onerror=alert(1)> | [x](javascript:alert(1))\nnext line";
const TERMINAL: &str = "\u{1b}[31mred\u{1b}[0m \u{202e}gpj.exe";

/// Databases that place the capture's sources in ASNs with hostile names.
fn hostile_databases(dir: &Path) -> (PathBuf, PathBuf) {
    use whence_tools::mmdb::{IpVersion, Value as Record, Writer};
    let (country_db, _) = write_known_databases(dir);
    let asn = |number: u32, org: &str| {
        Record::map([
            ("autonomous_system_number", Record::from(number)),
            ("autonomous_system_organization", Record::from(org)),
        ])
    };
    let long = format!("{TERMINAL}{}", "A".repeat(5_000));
    let mut asns = Writer::new("GeoLite2-ASN", IpVersion::V6);
    for (network, number, org) in [
        ("5.10.0.0/17", 64501, SCRIPT),
        ("5.10.128.0/17", 64502, IMAGE),
        ("31.40.0.0/16", 64503, long.as_str()),
    ] {
        asns.insert_network(network.parse().unwrap(), &asn(number, org))
            .unwrap();
    }
    let asn_db = dir.join("hostile-asn.mmdb");
    std::fs::write(&asn_db, asns.to_bytes().unwrap()).unwrap();
    (country_db, asn_db)
}

fn known_capture(dir: &Path) -> PathBuf {
    let mut writer = PcapWriter::new(false, false, false, 65_535, 1);
    let mut time = 1_741_611_600;
    for (source, count) in [
        ([5, 10, 0, 1], 30),
        ([5, 10, 200, 2], 20),
        ([31, 40, 1, 3], 10),
    ] {
        for _ in 0..count {
            time += 1;
            let frame = ethernet_udp_frame(source);
            writer.record(time, 0, frame.len() as u32, &frame);
        }
    }
    let capture = dir.join("known.pcap");
    std::fs::write(&capture, &writer.bytes).unwrap();
    capture
}

/// Cells of a GFM table row, split at pipes not escaped with a backslash.
fn cells(line: &str) -> usize {
    let mut count = 0;
    let mut escaped = false;
    for character in line.chars() {
        match character {
            '\\' if !escaped => escaped = true,
            '|' if !escaped => count += 1,
            _ => escaped = false,
        }
    }
    count
}

#[test]
fn hostile_organisation_names_are_escaped_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let (country_db, asn_db) = hostile_databases(dir.path());
    let capture = known_capture(dir.path());
    let run = |format: &str| {
        let output = whence()
            .args([
                "report",
                "--no-system-db",
                "--no-embedded-db",
                "--victim",
                "192.0.2.1",
            ])
            .args(["--format", format, "--geoip-db"])
            .arg(&country_db)
            .arg("--geoip-db")
            .arg(&asn_db)
            .arg(&capture)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
        assert!(!stderr(&output).contains('\u{1b}'));
        String::from_utf8(output.stdout).unwrap()
    };

    let json: Value = serde_json::from_str(&run("json")).unwrap();
    let orgs: Vec<&str> = json["asns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["org"].as_str().unwrap())
        .collect();
    assert!(
        orgs.contains(&SCRIPT) && orgs.contains(&IMAGE),
        "JSON keeps the data as it is"
    );

    for format in ["md", "summary", "html"] {
        // In Markdown an escaped `\<` is literal text, not a tag.
        let text = run(format).replace("\\<", "");
        assert!(!text.contains('\u{1b}'), "{format}: ESC obeyed");
        assert!(!text.contains('\u{202e}'), "{format}: RTL override kept");
        assert!(!text.contains("<script>"), "{format}: script tag");
        assert!(!text.contains("<img"), "{format}: img tag");
        // Literal text in HTML; a link only in Markdown.
        assert!(
            format == "html" || !text.contains("[x](javascript"),
            "{format}: link"
        );
        assert!(!text.contains("\nnext line"), "{format}: newline kept");
    }
    let html = run("html");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains("<a "));

    let md = run("md");
    assert!(md.contains("\\<script\\>"), "{md}");
    // Every row of a table has as many cells as its header.
    let mut header_cells = None;
    for line in md.lines() {
        if line.starts_with('|') {
            let expected = *header_cells.get_or_insert(cells(line));
            assert_eq!(cells(line), expected, "{line}");
        } else {
            header_cells = None;
        }
    }
    assert!(md.contains(&"A".repeat(5_000)), "a long name is kept whole");
}

#[test]
fn anonymized_victims_are_hidden_in_every_format() {
    let path = sample("http-get-flood.pcapng");
    let path = path.to_str().unwrap();
    let victim = "74.234.143.182";
    assert!(render(&[path, "--format", "json"]).contains(victim));
    for format in ["json", "md", "summary", "html"] {
        let text = render(&[path, "--format", format, "--anonymize-victim"]);
        assert!(!text.contains(victim), "{format} shows the victim");
        assert!(text.contains("victim-1"), "{format}");
    }
    let json: Value =
        serde_json::from_str(&render(&[path, "--format", "json", "--anonymize-victim"])).unwrap();
    assert_eq!(json["victims"][0]["ip"], "victim-1");
    assert!(
        json["summary"]["headline"]
            .as_str()
            .unwrap()
            .contains("victim-1")
    );
}

#[test]
fn the_same_inputs_give_byte_identical_reports() {
    let path = sample("dns-amplification.pcap");
    let path = path.to_str().unwrap();
    for format in ["json", "md", "summary", "html"] {
        let args = [path, "--format", format, "--tz", "Europe/Berlin"];
        assert_eq!(render(&args), render(&args), "{format}");
    }
}
