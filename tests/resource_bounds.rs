//! Resource bounds under hostile input: captures claiming huge lengths, millions of pcapng
//! interfaces, decompression bombs and millions of distinct sources. Each run of the binary
//! happens under an address-space limit (`ulimit -v`), so a reader that allocated what a
//! capture claims, or a table that grew with the input, would abort and fail the test; and
//! under a time limit, so one that looped would too.
//!
//! Inputs are generated in temporary directories (the large ones streamed, never held whole).

// A test fails loudly on anything unexpected.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(target_os = "linux")]

mod common;

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::{PcapWriter, PcapngWriter, ethernet_udp_frame, stderr};
use serde_json::Value;

/// Address space the binary may use, in KiB. A debug build reporting on a small capture maps
/// about 70 MiB (code, the embedded databases, thread stacks); 256 MiB leaves room for real
/// work but not for one 4 GiB buffer or a table of millions of entries.
const ADDRESS_SPACE_KIB: u64 = 256 * 1024;

/// Longest any run here may take, in a debug build on a busy machine.
const TIME_LIMIT: Duration = Duration::from_secs(120);

struct Run {
    output: Output,
    code: i32,
    json: Value,
    elapsed: Duration,
}

/// `whence report --no-system-db ARGS...` under the address-space limit. glibc reserves 64 MiB
/// of address space per malloc arena (one per thread that allocates), so arenas are capped at
/// two: the limit then measures what whence allocates, not how many threads it ran.
fn report_limited(args: &[&std::ffi::OsStr]) -> Run {
    let binary = assert_cmd::cargo::cargo_bin("whence");
    let started = Instant::now();
    let output = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v {ADDRESS_SPACE_KIB} && exec \"$0\" \"$@\""
        ))
        .arg(&binary)
        .args(["report", "--no-system-db", "--format", "json"])
        .args(args)
        .env("MALLOC_ARENA_MAX", "2")
        .env("SOURCE_DATE_EPOCH", "1767225600")
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    let message = stderr(&output);
    assert!(
        !message.contains("memory allocation") && !message.contains("panicked"),
        "{message}"
    );
    let code = output
        .status
        .code()
        .unwrap_or_else(|| panic!("killed by a signal: {:?}; {message}", output.status));
    assert!(elapsed < TIME_LIMIT, "took {elapsed:?}");
    let json = if output.stdout.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&output.stdout).unwrap()
    };
    Run {
        output,
        code,
        json,
        elapsed,
    }
}

fn report_on(path: &Path, extra: &[&str]) -> Run {
    let mut args: Vec<&std::ffi::OsStr> = extra.iter().map(std::ffi::OsStr::new).collect();
    args.push(path.as_os_str());
    report_limited(&args)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn huge_claimed_lengths_stop_with_file_and_offset_and_keep_earlier_packets() {
    let dir = tempfile::tempdir().unwrap();
    let frame = ethernet_udp_frame([198, 51, 100, 1]);

    // pcap: a record claiming 0xFFFFFFF0 captured bytes in a file whose snaplen claims as much.
    let mut pcap = PcapWriter::new(false, false, false, 0xffff_ffff, 1);
    pcap.record(1, 0, 50, &frame);
    pcap.record(1, 1, 50, &frame);
    let pcap_at = pcap.bytes.len();
    pcap.record_claiming(2, 0, 0xffff_fff0, 0xffff_fff0, &frame);

    // pcapng: a block claiming 0xFFFFFFF0 bytes.
    let mut block = PcapngWriter::new(false);
    block.interface(1, 0, None, None);
    block.enhanced_packet(0, 1, 50, &frame);
    let block_at = block.bytes.len();
    block.enhanced_packet(0, 2, 50, &frame);
    block.bytes[block_at + 4..block_at + 8].copy_from_slice(&0xffff_fff0u32.to_le_bytes());

    // pcapng, big-endian: the same in the other byte order.
    let mut big = PcapngWriter::new(true);
    big.interface(1, 0, None, None);
    big.enhanced_packet(0, 1, 50, &frame);
    let big_at = big.bytes.len();
    big.enhanced_packet(0, 2, 50, &frame);
    big.bytes[big_at + 4..big_at + 8].copy_from_slice(&0xffff_fff0u32.to_be_bytes());

    for (name, bytes, offset, packets, claim) in [
        ("caplen.pcap", &pcap.bytes, pcap_at, 2, "4294967280"),
        ("block.pcapng", &block.bytes, block_at, 1, "4294967280"),
        ("block-be.pcapng", &big.bytes, big_at, 1, "4294967280"),
    ] {
        let path = write(dir.path(), name, bytes);
        let run = report_on(&path, &[]);
        assert_eq!(run.code, 1, "{name}: {}", stderr(&run.output));
        let error = run.json["inputs"][0]["error"].as_str().unwrap();
        assert!(
            error.contains(claim) && error.contains(&format!("byte offset {offset}")),
            "{name}: {error}"
        );
        assert_eq!(run.json["totals"]["packets"], packets, "{name}");
        let message = stderr(&run.output);
        assert!(
            message.contains(name) && message.contains(&format!("byte offset {offset}")),
            "{name}: {message}"
        );
    }
}

#[test]
fn lengths_inside_a_block_are_bounded_by_the_block() {
    let dir = tempfile::tempdir().unwrap();
    let frame = ethernet_udp_frame([198, 51, 100, 1]);
    // An Enhanced Packet Block whose captured length claims 0xFFFFFFF0 bytes, on an interface
    // whose snaplen claims as much, inside a block of ordinary size.
    let mut writer = PcapngWriter::new(false);
    writer.interface(1, 0xffff_ffff, None, None);
    writer.enhanced_packet(0, 1, 50, &frame);
    let at = writer.bytes.len();
    writer.enhanced_packet(0, 2, 50, &frame);
    writer.bytes[at + 20..at + 24].copy_from_slice(&0xffff_fff0u32.to_le_bytes());
    // And a last block claiming the largest length accepted (16 MiB), cut short: the reader
    // buffers at most that much, then says the capture is truncated.
    let cut_at = writer.bytes.len();
    writer.enhanced_packet(0, 3, 50, &frame);
    writer.bytes[cut_at + 4..cut_at + 8].copy_from_slice(&(16u32 << 20).to_le_bytes());
    let path = write(dir.path(), "inner.pcapng", &writer.bytes);
    let run = report_on(&path, &[]);
    let input = &run.json["inputs"][0];
    assert!(run.code <= 1, "{}", stderr(&run.output));
    assert_eq!(run.json["totals"]["packets"].as_u64().unwrap(), 1);
    let said = format!("{} {}", input["error"], input["warnings"]);
    assert!(said.contains(&format!("byte offset {at}")), "{said}");
}

/// A pcapng file of nothing but Interface Description Blocks: the interface table stops at
/// 65,536 entries with an error naming the offset of the block past it.
#[test]
fn millions_of_interfaces_are_refused_past_the_table_bound() {
    const INTERFACES: usize = 3_000_000;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("interfaces.pcapng");
    let mut file = BufWriter::new(std::fs::File::create(&path).unwrap());
    let mut header = PcapngWriter::new(false);
    header.interface(1, 65_535, None, None);
    file.write_all(&header.bytes).unwrap();
    let section_len = header.bytes.len() - 20;
    let idb: Vec<u8> = [1u32, 20]
        .iter()
        .flat_map(|word| word.to_le_bytes())
        .chain(1u16.to_le_bytes())
        .chain(0u16.to_le_bytes())
        .chain(65_535u32.to_le_bytes())
        .chain(20u32.to_le_bytes())
        .collect();
    for _ in 1..INTERFACES {
        file.write_all(&idb).unwrap();
    }
    file.into_inner().unwrap().sync_all().unwrap();

    let run = report_on(&path, &[]);
    assert_eq!(run.code, 1, "{}", stderr(&run.output));
    let error = run.json["inputs"][0]["error"].as_str().unwrap();
    let refused_at = section_len + 65_536 * 20;
    assert!(
        error.contains("more than 65536 interfaces") && error.contains(&format!("{refused_at}")),
        "{error}"
    );
    assert!(stderr(&run.output).contains("interfaces.pcapng"));
    assert_eq!(run.json["inputs"][0]["format"], "pcapng");
    // Refused at the first block past the bound, long before the end of the 60 MB file.
    assert!(run.elapsed < Duration::from_secs(60), "{:?}", run.elapsed);
}

/// pcap header, then records of 65,535 zero bytes: one 64 KiB Ethernet frame of zeros after
/// another, the most compressible capture there is.
fn zero_records(records: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(records * (16 + 65_535));
    for _ in 0..records {
        for word in [1u32, 0, 65_535, 65_535] {
            out.extend_from_slice(&word.to_le_bytes());
        }
        out.resize(out.len() + 65_535, 0);
    }
    out
}

/// A bomb of `members` compressed copies of 256 records (16 MiB) behind one pcap header;
/// gzip members and zstd frames may follow each other in one file, so the bomb is written
/// by compressing 16 MiB once.
fn write_bomb(path: &Path, members: usize, compress: impl Fn(&[u8]) -> Vec<u8>) -> u64 {
    let header = PcapWriter::new(false, false, false, 65_535, 1).bytes;
    let records = zero_records(256);
    let mut first = header.clone();
    first.extend_from_slice(&records);
    let mut file = BufWriter::new(std::fs::File::create(path).unwrap());
    file.write_all(&compress(&first)).unwrap();
    let member = compress(&records);
    for _ in 1..members {
        file.write_all(&member).unwrap();
    }
    file.flush().unwrap();
    (members * records.len() + header.len()) as u64
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn zstd(bytes: &[u8]) -> Vec<u8> {
    zstd::encode_all(bytes, 3).unwrap()
}

#[test]
fn a_zstd_bomb_is_stopped_by_the_default_ratio_limit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bomb.pcap.zst");
    // 64 frames of 16 MiB: 1 GiB of capture in a few tens of KB.
    let expanded = write_bomb(&path, 64, zstd);
    let stored = std::fs::metadata(&path).unwrap().len();
    assert!(expanded / stored > 10_000, "{expanded} from {stored}");
    let run = report_on(&path, &[]);
    assert_eq!(run.code, 1, "{}", stderr(&run.output));
    let input = &run.json["inputs"][0];
    let error = input["error"].as_str().unwrap();
    assert!(
        error.contains("compressed bytes: over 2000 times")
            && error.contains("--max-decompression-ratio"),
        "{error}"
    );
    // Stopped after the 64 MiB floor, at 2,000 times what the decompressor had read so far
    // (it reads ahead: at most the whole file, here).
    let decompressed: u64 = error
        .split("stopped after ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|number| number.parse().ok())
        .unwrap();
    assert!(
        ((64 << 20)..=2000 * stored).contains(&decompressed),
        "{error}"
    );
    // What was read before the limit is reported; the hash still covers the whole file.
    let packets = run.json["totals"]["packets"].as_u64().unwrap();
    assert!((1000..64 * 256).contains(&packets), "{packets}");
    assert_eq!(input["bytes"], stored);
    assert!(stderr(&run.output).contains("bomb.pcap.zst"));

    // Lifting the limit reads it all (within the same memory).
    let run = report_on(&path, &["--max-decompression-ratio", "0"]);
    assert_eq!(run.code, 0, "{}", stderr(&run.output));
    assert_eq!(run.json["totals"]["packets"], 64 * 256);
}

#[test]
fn a_gzip_bomb_is_stopped_by_the_absolute_and_the_ratio_limit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bomb.pcap.gz");
    // 8 members of 16 MiB: 128 MiB in about 130 KB (gzip tops out near 1,032 to 1).
    let expanded = write_bomb(&path, 8, gzip);
    let stored = std::fs::metadata(&path).unwrap().len();
    assert!(expanded / stored > 900, "{expanded} from {stored}");

    let run = report_on(&path, &["--max-decompressed", "16M"]);
    assert_eq!(run.code, 1, "{}", stderr(&run.output));
    let error = run.json["inputs"][0]["error"].as_str().unwrap();
    assert!(
        error.contains("after 16777216 decompressed bytes")
            && error.contains("--max-decompressed limit of 16777216 bytes"),
        "{error}"
    );
    assert!(stderr(&run.output).contains("bomb.pcap.gz"));

    // With a ratio limit of 100, the floor of 64 MiB is read, then it stops.
    let run = report_on(&path, &["--max-decompression-ratio", "100"]);
    assert_eq!(run.code, 1, "{}", stderr(&run.output));
    let error = run.json["inputs"][0]["error"].as_str().unwrap();
    assert!(
        error.contains("after 67108864 decompressed bytes") && error.contains("over 100 times"),
        "{error}"
    );
}

/// The most compressible capture a real flood gives: one 1514-byte packet again and again,
/// only the timestamps changing. It expands far past the 64 MiB floor at a ratio in the
/// hundreds, and the default limit lets it through.
#[test]
fn a_highly_compressible_real_capture_is_not_refused_by_default() {
    const PACKETS: u32 = 60_000;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flood.pcap.zst");
    let mut frame = ethernet_udp_frame([198, 51, 100, 7]);
    frame.resize(1514, 0xab);
    let mut encoder =
        zstd::stream::write::Encoder::new(std::fs::File::create(&path).unwrap(), 3).unwrap();
    let mut writer = PcapWriter::new(false, false, false, 65_535, 1);
    for index in 0..PACKETS {
        writer.record(
            1_700_000_000 + index / 1000,
            (index % 1000) * 1000,
            1514,
            &frame,
        );
        if writer.bytes.len() > 1 << 20 {
            encoder.write_all(&writer.bytes).unwrap();
            writer.bytes.clear();
        }
    }
    encoder.write_all(&writer.bytes).unwrap();
    encoder.finish().unwrap();
    let expanded = 24 + u64::from(PACKETS) * (16 + 1514);
    let stored = std::fs::metadata(&path).unwrap().len();
    assert!(expanded > 64 << 20);
    assert!(expanded / stored > 100, "{expanded} from {stored}");
    let run = report_on(&path, &[]);
    assert_eq!(run.code, 0, "{}", stderr(&run.output));
    assert_eq!(run.json["totals"]["packets"], PACKETS);
}

/// Two million distinct sources against `--max-sources 10000`: the table stops at the cap, the
/// sketches count the rest, and memory stays under the limit. The same capture with the table
/// uncapped needs more than the limit (about 150 bytes a source), which the second run shows:
/// the bound is what keeps the first run inside it.
#[test]
fn millions_of_distinct_sources_stay_within_memory_past_the_cap() {
    const SOURCES: u32 = 2_000_000;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sources.pcap");
    let mut file = BufWriter::new(std::fs::File::create(&path).unwrap());
    let mut writer = PcapWriter::new(false, false, false, 65_535, 101);
    for index in 0..SOURCES {
        // Distinct addresses spread over the IPv4 space (an odd multiplier is a bijection).
        let source = (index.wrapping_mul(2_654_435_761) | 0x0100_0000).to_be_bytes();
        writer.record(
            1_700_000_000 + index / 100_000,
            index % 100_000,
            36,
            &common::raw_ipv4_udp(source),
        );
        if writer.bytes.len() > 1 << 20 {
            file.write_all(&writer.bytes).unwrap();
            writer.bytes.clear();
        }
    }
    file.write_all(&writer.bytes).unwrap();
    file.flush().unwrap();
    drop(file);

    let run = report_on(&path, &["--max-sources", "10000"]);
    assert_eq!(run.code, 0, "{}", stderr(&run.output));
    let sources = &run.json["sources"];
    assert_eq!(sources["exact"], false);
    assert_eq!(sources["all_senders"], 10_000);
    let distinct = f64::from(SOURCES);
    let unique = sources["unique"].as_f64().unwrap();
    // HyperLogLog's standard error is about 0.8 %; three of them.
    assert!((unique - distinct).abs() <= distinct * 0.025, "{unique}");
    assert_eq!(run.json["totals"]["packets"], SOURCES);

    // Uncapped, the same capture does not fit: the cap is what bounds the memory.
    let binary = assert_cmd::cargo::cargo_bin("whence");
    let uncapped = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v {ADDRESS_SPACE_KIB} && exec \"$0\" \"$@\""
        ))
        .arg(&binary)
        .args(["report", "--no-system-db", "--format", "json"])
        .arg(&path)
        .env("MALLOC_ARENA_MAX", "2")
        .output()
        .unwrap();
    assert!(
        !uncapped.status.success(),
        "2 million sources fit in {ADDRESS_SPACE_KIB} KiB without the cap: raise SOURCES"
    );
}
