//! Groups of captures (`--group-by`): takes a capture's path and gives the name of the group
//! it belongs to, by directory or by sensor, and file names for the group reports.
//!
//! The sensor rule reads names as capture tools write them when they rotate files: tcpdump
//! `-C`/`-W` appends a counter to the extension (`edge1.pcap3`), tcpdump `-G` and dumpcap ring
//! buffers add a file number and a timestamp (`edge1_00012_20240101120000.pcapng`), logrotate
//! and archivers add a date and a compression extension (`edge1-2024-01-01.pcap.gz`). What
//! is left once those are taken off names the sensor.

use std::path::Path;

use crate::cli::GroupBy;

/// Compression extensions taken off first (any number of them, any case).
const COMPRESSION_EXTENSIONS: [&str; 7] = ["gz", "gzip", "zst", "zstd", "xz", "lz4", "bz2"];
/// Capture extensions, which tcpdump `-C` may follow with a file counter.
const CAPTURE_EXTENSIONS: [&str; 6] = ["pcap", "pcapng", "cap", "dmp", "erf", "ntar"];

/// The group of the capture at `path`, found under `root` (see `discover::Found::root`).
pub fn group_of(path: &Path, root: &Path, by: GroupBy) -> String {
    match by {
        GroupBy::Dir => directory_group(path, root),
        GroupBy::Sensor => sensor_name(
            &path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default(),
        ),
    }
}

/// The capture's directory relative to the input it was found under, with `/` between
/// components; `.` for a capture directly in it.
pub fn directory_group(path: &Path, root: &Path) -> String {
    let parent = path.parent().unwrap_or(Path::new(""));
    let relative = parent.strip_prefix(root).unwrap_or(parent);
    let parts: Vec<String> = relative
        .components()
        .filter(|component| !matches!(component, std::path::Component::CurDir))
        .map(|component| component.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

/// The sensor a capture file name comes from: the name without compression extensions, without
/// its capture extension (and a counter glued to it or after it), cut before its first rotation token. The
/// name is split at `_`, `-` and `.`; a rotation token is a run of digits, possibly with one
/// `T` inside and a `Z` at the end (`20240101T120000Z`), that has at least four digits or
/// starts with a zero (`0003`, `07`: zero-padded counters). `sensor-2` keeps its `2`. When the
/// name starts with a rotation token, the whole name without extensions is the sensor.
pub fn sensor_name(file_name: &str) -> String {
    let mut stem = file_name;
    while let Some((head, extension)) = stem.rsplit_once('.') {
        if head.is_empty()
            || !COMPRESSION_EXTENSIONS
                .iter()
                .any(|known| extension.eq_ignore_ascii_case(known))
        {
            break;
        }
        stem = head;
    }
    // logrotate numbers the rotated copies after the extension: `edge1.pcap.1`.
    if let Some((head, counter)) = stem.rsplit_once('.')
        && !counter.is_empty()
        && counter.chars().all(|c| c.is_ascii_digit())
        && head.rsplit_once('.').is_some_and(|(_, extension)| {
            CAPTURE_EXTENSIONS
                .iter()
                .any(|known| extension.eq_ignore_ascii_case(known))
        })
    {
        stem = head;
    }
    if let Some((head, extension)) = stem.rsplit_once('.') {
        let without_counter = extension.trim_end_matches(|c: char| c.is_ascii_digit());
        if !head.is_empty()
            && CAPTURE_EXTENSIONS
                .iter()
                .any(|known| without_counter.eq_ignore_ascii_case(known))
        {
            stem = head;
        }
    }
    let mut start = 0;
    for (index, character) in stem.char_indices() {
        if matches!(character, '_' | '-' | '.') {
            if let Some(token) = stem.get(start..index)
                && is_rotation_token(token)
            {
                return sensor_before(stem, start);
            }
            start = index + 1;
        }
    }
    match stem.get(start..) {
        Some(token) if is_rotation_token(token) => sensor_before(stem, start),
        _ => stem.to_string(),
    }
}

/// The name up to the separator before `token_start`, or all of `stem` if that is empty.
fn sensor_before(stem: &str, token_start: usize) -> String {
    let prefix = stem
        .get(..token_start.saturating_sub(1))
        .unwrap_or_default();
    if prefix.is_empty() {
        stem.to_string()
    } else {
        prefix.to_string()
    }
}

fn is_rotation_token(token: &str) -> bool {
    let body = token
        .strip_suffix(['Z', 'z'])
        .filter(|body| body.contains(['T', 't']))
        .unwrap_or(token);
    let (date, time) = match body.split_once(['T', 't']) {
        Some((date, time)) => (date, time),
        None => (body, ""),
    };
    let all_digits = |part: &str| part.chars().all(|c| c.is_ascii_digit());
    let digits = date.len() + time.len();
    !date.is_empty()
        && all_digits(date)
        && all_digits(time)
        // `20240101T` is no timestamp: a `T` needs the time after it.
        && (!body.contains(['T', 't']) || !time.is_empty())
        && (digits >= 4 || (date.starts_with('0') && date.len() >= 2))
}

/// File names (without extension) for the reports of `names`, in the same order: the name with
/// `/` as `__` and anything but letters, digits, `.`, `_` and `-` as `_`, `.` alone as `top`;
/// a name that would clash with an earlier one gets `-2`, `-3`, ...
pub fn file_stems(names: &[String]) -> Vec<String> {
    let mut taken = std::collections::HashSet::new();
    names
        .iter()
        .map(|name| {
            let base = if name == "." {
                "top".to_string()
            } else {
                name.split('/')
                    .map(|part| {
                        part.chars()
                            .map(|c| {
                                if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                                    c
                                } else {
                                    '_'
                                }
                            })
                            .collect::<String>()
                    })
                    .collect::<Vec<_>>()
                    .join("__")
            };
            // A leading dot would hide the file; `..` would climb out of groups/.
            let base = match base.trim_start_matches('.') {
                "" => "group".to_string(),
                trimmed => trimmed.to_string(),
            };
            let mut stem = base.clone();
            let mut suffix = 2;
            while !taken.insert(stem.to_ascii_lowercase()) {
                stem = format!("{base}-{suffix}");
                suffix += 1;
            }
            stem
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensor_names_drop_rotation_counters_timestamps_and_extensions() {
        for (file, sensor) in [
            ("edge1_00012_20240101120000.pcap.gz", "edge1"),
            ("edge1_00013_20240101121500.pcapng.zst", "edge1"),
            ("edge1.pcap", "edge1"),
            ("edge1.pcap3", "edge1"),
            ("edge1.pcap.07", "edge1"),
            ("edge1.pcap.1", "edge1"),
            ("edge1.pcap.2.gz", "edge1"),
            ("edge1-2024-01-01_12-00-00.pcap", "edge1"),
            ("edge1-20240101T120000Z.pcap.xz", "edge1"),
            ("fw.eth0.1700000000.pcap.lz4", "fw.eth0"),
            ("sensor-2_00001.pcap", "sensor-2"),
            ("sensor-2.pcap", "sensor-2"),
            ("dmz_tap_0001.cap", "dmz_tap"),
            ("Edge1.PCAP.GZ", "Edge1"),
            ("20240101_edge1.pcap", "20240101_edge1"),
            ("capture", "capture"),
            ("v6-edge.pcapng", "v6-edge"),
        ] {
            assert_eq!(sensor_name(file), sensor, "{file}");
        }
    }

    #[test]
    fn directory_groups_are_relative_to_the_input() {
        let root = Path::new("/archive");
        assert_eq!(
            directory_group(Path::new("/archive/site-a/day-1/x.pcap"), root),
            "site-a/day-1"
        );
        assert_eq!(directory_group(Path::new("/archive/x.pcap"), root), ".");
        assert_eq!(
            group_of(
                Path::new("/archive/site-b/edge1_0001.pcap"),
                root,
                GroupBy::Sensor
            ),
            "edge1"
        );
    }

    #[test]
    fn group_file_names_are_safe_and_distinct() {
        let names = [".", "site-a/day-1", "site-a__day-1", "..", "a b", "A B"].map(String::from);
        assert_eq!(
            file_stems(&names),
            [
                "top",
                "site-a__day-1",
                "site-a__day-1-2",
                "group",
                "a_b",
                "A_B-2"
            ]
        );
    }
}
