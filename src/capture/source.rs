//! Opening an input for reading: a file (read-only) or standard input, hashed as it is read,
//! and decompressed when its first bytes say it is gzip, zstd, xz or lz4.
//!
//! The SHA-256 is of the bytes as stored (before decompression), computed in the same pass that
//! feeds the parser, so every input is read exactly once.
//!
//! A compressed input may expand without bound (a decompression bomb: zstd turns a few bytes
//! into 128 KiB, again and again), so the decompressed stream is metered against
//! `ReadLimits`; memory stays bounded anyway (the reader streams), but time would not.

use std::cell::{Cell, RefCell};
use std::fs::File;
use std::io::{self, Cursor, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

use super::hasher::Hasher;
use serde::Serialize;

/// Where a capture comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputSource {
    File(PathBuf),
    Stdin,
    /// Bytes already in memory (the fuzz targets and library callers that hold a capture),
    /// read exactly as a file holding them would be.
    Memory(Arc<[u8]>),
}

impl InputSource {
    /// `-` means standard input, as in tcpdump and tshark.
    pub fn from_arg(arg: &Path) -> Self {
        if arg.as_os_str() == "-" {
            InputSource::Stdin
        } else {
            InputSource::File(arg.to_path_buf())
        }
    }

    /// The name reports and error messages use.
    pub fn display_name(&self) -> String {
        match self {
            InputSource::File(path) => path.display().to_string(),
            InputSource::Stdin => "-".to_string(),
            InputSource::Memory(_) => "(memory)".to_string(),
        }
    }
}

/// Compression of a capture, detected from its magic bytes (never its name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Compression {
    None,
    Gzip,
    Zstd,
    Xz,
    Lz4,
}

impl Compression {
    /// Magic numbers: gzip RFC 1952 §2.3.1; zstd RFC 8878 §3.1.1; xz file format spec §2.1.1.1;
    /// lz4 frame format spec ("Magic Number 0x184D2204", little-endian on disk).
    pub fn detect(prefix: &[u8]) -> Compression {
        if prefix.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if prefix.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else if prefix.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
            Compression::Xz
        } else if prefix.starts_with(&[0x04, 0x22, 0x4d, 0x18]) {
            Compression::Lz4
        } else {
            Compression::None
        }
    }
}

/// Decompressed bytes any compressed input may yield, whatever its ratio: no legitimate
/// capture is refused for its compression ratio below this size.
pub const DECOMPRESSION_RATIO_FLOOR: u64 = 64 << 20;

/// Default of `--max-decompression-ratio`. Measured (docs/REPORT.md, "Reading limits"): a
/// flood of one 1514-byte packet repeated 200,000 times compresses 87 times with gzip -9, 217
/// with zstd -19 and 280 with xz -9; even with nothing but the timestamps changing, 246, 973
/// and 1,005. A GiB of zeros compresses 32,000 times with zstd and 4,000 to 6,900 with xz.
/// gzip (at most about 1,032) and lz4 (about 255) cannot reach this limit at all: the work
/// they can cause is bounded by the input's size, and `--max-decompressed` bounds it further.
pub const DEFAULT_MAX_DECOMPRESSION_RATIO: u64 = 2000;

/// What reading one compressed input may cost, whatever the input claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimits {
    /// Most decompressed bytes read from one compressed input (`--max-decompressed`);
    /// `None`: no absolute limit.
    pub max_decompressed: Option<u64>,
    /// Most decompressed bytes per compressed byte read, once an input has yielded more than
    /// `DECOMPRESSION_RATIO_FLOOR` (`--max-decompression-ratio`); `None`: no ratio limit.
    pub max_ratio: Option<u64>,
}

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits {
            max_decompressed: None,
            max_ratio: Some(DEFAULT_MAX_DECOMPRESSION_RATIO),
        }
    }
}

impl ReadLimits {
    /// Decompressed bytes allowed so far, after `compressed` bytes of the input were read.
    fn allowance(&self, compressed: u64) -> u64 {
        let by_ratio = self.max_ratio.map_or(u64::MAX, |ratio| {
            ratio
                .saturating_mul(compressed)
                .max(DECOMPRESSION_RATIO_FLOOR)
        });
        self.max_decompressed.unwrap_or(u64::MAX).min(by_ratio)
    }
}

/// Which limit stopped a decompressed stream, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitReached {
    pub decompressed: u64,
    pub compressed: u64,
    pub limits: ReadLimits,
}

impl std::fmt::Display for LimitReached {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let LimitReached {
            decompressed,
            compressed,
            limits,
        } = *self;
        write!(
            f,
            "decompression stopped after {decompressed} decompressed bytes from {compressed} compressed bytes: "
        )?;
        match limits.max_decompressed {
            Some(max) if decompressed >= max => {
                write!(f, "the --max-decompressed limit of {max} bytes was reached")
            }
            _ => write!(
                f,
                "over {} times the compressed size (--max-decompression-ratio; 0 lifts it), a likely decompression bomb",
                limits.max_ratio.unwrap_or_default()
            ),
        }
    }
}

/// The raw input with its running hash and byte count.
struct HashedInput {
    inner: Box<dyn Read>,
    hasher: Hasher,
    bytes: u64,
}

/// A handle on the raw input that several readers share: the decompressor reads through it, and
/// after parsing the opener drains what is left so the hash covers the whole input.
#[derive(Clone)]
struct HashingReader(Rc<RefCell<HashedInput>>);

impl Read for HashingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut state = self.0.borrow_mut();
        let read = state.inner.read(buf)?;
        let chunk = buf.get(..read).unwrap_or_default();
        state.hasher.update(chunk);
        state.bytes += read as u64;
        Ok(read)
    }
}

/// The decompressed stream, metered: it ends in an error once the input has yielded what
/// `ReadLimits` allows for the compressed bytes read so far, and says so in `reached`.
struct MeteredStream {
    inner: Box<dyn Read>,
    raw: HashingReader,
    limits: ReadLimits,
    decompressed: u64,
    reached: Rc<Cell<Option<LimitReached>>>,
}

impl Read for MeteredStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let compressed = self.raw.0.borrow().bytes;
        let allowed = self
            .limits
            .allowance(compressed)
            .saturating_sub(self.decompressed);
        if allowed == 0 && !buf.is_empty() {
            // An input that ends exactly at the limit is within it.
            if self.inner.read(&mut [0u8; 1])? == 0 {
                return Ok(0);
            }
            let reached = LimitReached {
                decompressed: self.decompressed,
                compressed,
                limits: self.limits,
            };
            self.reached.set(Some(reached));
            return Err(io::Error::other(reached.to_string()));
        }
        let room = usize::try_from(allowed)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let read = self.inner.read(buf.get_mut(..room).unwrap_or_default())?;
        self.decompressed += read as u64;
        Ok(read)
    }
}

/// An opened input: the decompressed byte stream, and the means to finish the hash.
pub struct OpenedInput {
    pub compression: Compression,
    pub stream: Box<dyn Read>,
    raw: HashingReader,
    limit_reached: Rc<Cell<Option<LimitReached>>>,
}

/// What was learnt about the raw input once it has been read to its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawDigest {
    pub sha256: String,
    pub bytes: u64,
}

impl OpenedInput {
    /// The limit that ended the decompressed stream, if one did.
    pub fn limit_reached(&self) -> Option<LimitReached> {
        self.limit_reached.get()
    }

    /// Reads whatever the parser left unread (after an error, or trailing bytes) into the hash,
    /// so that the digest always covers the whole input, then returns it.
    pub fn finish(self) -> io::Result<RawDigest> {
        drop(self.stream);
        let mut raw = self.raw;
        io::copy(&mut raw, &mut io::sink())?;
        let state = Rc::try_unwrap(raw.0)
            .map_err(|_| io::Error::other("input still shared after parsing"))?
            .into_inner();
        Ok(RawDigest {
            sha256: hex::encode(state.hasher.finalize()),
            bytes: state.bytes,
        })
    }
}

/// Opens a capture read-only (a file is never opened for writing, whatever happens later) and
/// wraps it in the decompressor its magic bytes call for, metered by `limits`.
pub fn open_input(source: &InputSource, limits: &ReadLimits) -> io::Result<OpenedInput> {
    let inner: Box<dyn Read> = match source {
        InputSource::File(path) => {
            let file = File::open(path)?;
            if file.metadata()?.is_dir() {
                return Err(io::Error::new(
                    io::ErrorKind::IsADirectory,
                    "is a directory, not a capture file",
                ));
            }
            Box::new(file)
        }
        InputSource::Stdin => Box::new(io::stdin()),
        InputSource::Memory(bytes) => Box::new(Cursor::new(Arc::clone(bytes))),
    };
    let raw = HashingReader(Rc::new(RefCell::new(HashedInput {
        inner,
        hasher: Hasher::new(),
        bytes: 0,
    })));
    let mut reader = raw.clone();
    let prefix = read_prefix(&mut reader, 8)?;
    let compression = Compression::detect(&prefix);
    let chained = Cursor::new(prefix).chain(reader);
    let decompressor: Box<dyn Read> = match compression {
        Compression::None => Box::new(chained),
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(chained)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::new(chained)?),
        Compression::Xz => Box::new(xz2::read::XzDecoder::new_multi_decoder(chained)),
        Compression::Lz4 => Box::new(lz4_flex::frame::FrameDecoder::new(chained)),
    };
    let limit_reached = Rc::new(Cell::new(None));
    // A plain input yields exactly its own bytes: nothing to meter.
    let stream: Box<dyn Read> = match compression {
        Compression::None => decompressor,
        _ => Box::new(MeteredStream {
            inner: decompressor,
            raw: raw.clone(),
            limits: *limits,
            decompressed: 0,
            reached: Rc::clone(&limit_reached),
        }),
    };
    Ok(OpenedInput {
        compression,
        stream,
        raw,
        limit_reached,
    })
}

/// Reads up to `len` bytes, fewer only at end of input (pipes deliver in small pieces).
fn read_prefix(reader: &mut impl Read, len: usize) -> io::Result<Vec<u8>> {
    let mut prefix = Vec::with_capacity(len);
    reader.take(len as u64).read_to_end(&mut prefix)?;
    Ok(prefix)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};
    use std::io::Write;

    fn read_all(source: &InputSource) -> (Compression, Vec<u8>, RawDigest) {
        let mut opened = open_input(source, &ReadLimits::default()).unwrap();
        let mut out = Vec::new();
        opened.stream.read_to_end(&mut out).unwrap();
        let compression = opened.compression;
        (compression, out, opened.finish().unwrap())
    }

    fn temp_with(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(bytes).unwrap();
        file
    }

    #[test]
    fn detects_each_compression_by_magic_and_hashes_the_stored_bytes() {
        let plain = b"\xd4\xc3\xb2\xa1 some capture bytes".repeat(100);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&plain).unwrap();
        let gz = gz.finish().unwrap();
        let zst = zstd::encode_all(&plain[..], 1).unwrap();
        let mut xz = xz2::write::XzEncoder::new(Vec::new(), 1);
        xz.write_all(&plain).unwrap();
        let xz = xz.finish().unwrap();
        let mut lz = lz4_flex::frame::FrameEncoder::new(Vec::new());
        lz.write_all(&plain).unwrap();
        let lz = lz.finish().unwrap();

        for (stored, expected) in [
            (&plain, Compression::None),
            (&gz, Compression::Gzip),
            (&zst, Compression::Zstd),
            (&xz, Compression::Xz),
            (&lz, Compression::Lz4),
        ] {
            let file = temp_with(stored);
            let (compression, content, digest) =
                read_all(&InputSource::File(file.path().to_path_buf()));
            assert_eq!(compression, expected);
            assert_eq!(content, plain);
            assert_eq!(digest.bytes, stored.len() as u64);
            assert_eq!(digest.sha256, hex::encode(Sha256::digest(stored)));
        }
    }

    #[test]
    fn finish_hashes_bytes_the_parser_never_read() {
        let bytes = vec![7u8; 3 * 1024 * 1024];
        let file = temp_with(&bytes);
        let mut opened = open_input(
            &InputSource::File(file.path().to_path_buf()),
            &ReadLimits::default(),
        )
        .unwrap();
        let mut head = [0u8; 10];
        opened.stream.read_exact(&mut head).unwrap();
        let digest = opened.finish().unwrap();
        assert_eq!(digest.bytes, bytes.len() as u64);
        assert_eq!(digest.sha256, hex::encode(Sha256::digest(&bytes)));
    }

    #[test]
    fn a_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let error = open_input(
            &InputSource::File(dir.path().to_path_buf()),
            &ReadLimits::default(),
        )
        .err()
        .unwrap();
        assert_eq!(error.kind(), io::ErrorKind::IsADirectory);
    }

    #[test]
    fn memory_input_reads_like_the_same_bytes_in_a_file() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"\xd4\xc3\xb2\xa1 in memory").unwrap();
        let stored = gz.finish().unwrap();
        let file = temp_with(&stored);
        let from_file = read_all(&InputSource::File(file.path().to_path_buf()));
        let from_memory = read_all(&InputSource::Memory(Arc::from(stored)));
        assert_eq!(from_memory, from_file);
    }

    /// Reads `stored` to its end or its first error, as the capture reader does.
    fn read_limited(stored: &[u8], limits: ReadLimits) -> (u64, Option<LimitReached>, RawDigest) {
        let mut opened = open_input(&InputSource::Memory(Arc::from(stored)), &limits).unwrap();
        let mut total = 0u64;
        let mut chunk = vec![0u8; 1 << 16];
        loop {
            match opened.stream.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(read) => total += read as u64,
            }
        }
        let reached = opened.limit_reached();
        (total, reached, opened.finish().unwrap())
    }

    fn zstd_of_zeros(len: usize) -> Vec<u8> {
        let mut encoder = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..len / zeros.len() {
            encoder.write_all(&zeros).unwrap();
        }
        encoder.finish().unwrap()
    }

    #[test]
    fn the_allowance_is_the_floor_then_the_ratio_and_never_past_the_cap() {
        let limits = ReadLimits::default();
        assert_eq!(limits.allowance(0), DECOMPRESSION_RATIO_FLOOR);
        assert_eq!(limits.allowance(1 << 20), 2000 << 20);
        let capped = ReadLimits {
            max_decompressed: Some(5000),
            max_ratio: None,
        };
        assert_eq!(capped.allowance(u64::MAX), 5000);
        let unlimited = ReadLimits {
            max_decompressed: None,
            max_ratio: None,
        };
        assert_eq!(unlimited.allowance(0), u64::MAX);
        assert_eq!(
            ReadLimits {
                max_ratio: Some(u64::MAX),
                ..limits
            }
            .allowance(u64::MAX),
            u64::MAX
        );
    }

    #[test]
    fn a_zstd_bomb_stops_at_the_floor_and_says_how_far_it_got() {
        let bomb = zstd_of_zeros(256 << 20);
        assert!(bomb.len() * 2000 < DECOMPRESSION_RATIO_FLOOR as usize);
        let (read, reached, digest) = read_limited(&bomb, ReadLimits::default());
        assert_eq!(read, DECOMPRESSION_RATIO_FLOOR);
        let reached = reached.unwrap();
        assert_eq!(reached.decompressed, DECOMPRESSION_RATIO_FLOOR);
        let message = reached.to_string();
        assert!(message.contains("67108864 decompressed bytes"), "{message}");
        assert!(message.contains("--max-decompression-ratio"), "{message}");
        // The hash still covers the whole stored input.
        assert_eq!(digest.bytes, bomb.len() as u64);
        // Without the ratio limit it is read to its end.
        let unlimited = ReadLimits {
            max_decompressed: None,
            max_ratio: None,
        };
        assert_eq!(read_limited(&bomb, unlimited).0, 256 << 20);
    }

    #[test]
    fn the_absolute_limit_stops_a_stream_but_not_one_ending_exactly_there() {
        let plain = b"\xd4\xc3\xb2\xa1 capture".repeat(1000);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&plain).unwrap();
        let gz = gz.finish().unwrap();
        let limits = |max| ReadLimits {
            max_decompressed: Some(max),
            max_ratio: None,
        };
        let (read, reached, _) = read_limited(&gz, limits(1000));
        assert_eq!(read, 1000);
        let message = reached.unwrap().to_string();
        assert!(
            message.contains("--max-decompressed limit of 1000 bytes"),
            "{message}"
        );
        let exact = plain.len() as u64;
        assert_eq!(read_limited(&gz, limits(exact)), {
            let (read, reached, digest) = read_limited(&gz, limits(exact + 1));
            (read, reached, digest)
        });
        assert_eq!(read_limited(&gz, limits(exact)).1, None);
        // A plain input is never metered.
        assert_eq!(read_limited(&plain, limits(10)).0, exact);
    }

    #[test]
    fn sha256_of_empty_input_is_the_known_constant() {
        let file = temp_with(b"");
        let (_, content, digest) = read_all(&InputSource::File(file.path().to_path_buf()));
        assert!(content.is_empty());
        assert_eq!(
            digest.sha256,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
