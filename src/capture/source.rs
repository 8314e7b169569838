//! Opening an input for reading: a file (read-only) or standard input, hashed as it is read,
//! and decompressed when its first bytes say it is gzip, zstd, xz or lz4.
//!
//! The SHA-256 is of the bytes as stored (before decompression), computed in the same pass that
//! feeds the parser, so every input is read exactly once.

use std::cell::RefCell;
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

/// An opened input: the decompressed byte stream, and the means to finish the hash.
pub struct OpenedInput {
    pub compression: Compression,
    pub stream: Box<dyn Read>,
    raw: HashingReader,
}

/// What was learnt about the raw input once it has been read to its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawDigest {
    pub sha256: String,
    pub bytes: u64,
}

impl OpenedInput {
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
/// wraps it in the decompressor its magic bytes call for.
pub fn open_input(source: &InputSource) -> io::Result<OpenedInput> {
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
    let stream: Box<dyn Read> = match compression {
        Compression::None => Box::new(chained),
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(chained)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::new(chained)?),
        Compression::Xz => Box::new(xz2::read::XzDecoder::new_multi_decoder(chained)),
        Compression::Lz4 => Box::new(lz4_flex::frame::FrameDecoder::new(chained)),
    };
    Ok(OpenedInput {
        compression,
        stream,
        raw,
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
        let mut opened = open_input(source).unwrap();
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
        let mut opened = open_input(&InputSource::File(file.path().to_path_buf())).unwrap();
        let mut head = [0u8; 10];
        opened.stream.read_exact(&mut head).unwrap();
        let digest = opened.finish().unwrap();
        assert_eq!(digest.bytes, bytes.len() as u64);
        assert_eq!(digest.sha256, hex::encode(Sha256::digest(&bytes)));
    }

    #[test]
    fn a_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let error = open_input(&InputSource::File(dir.path().to_path_buf()))
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
