//! SHA-256 of an input computed on a second thread while the first one parses.
//!
//! Hashing costs more CPU than parsing and decoding together (about 1.2 GB/s with the SHA
//! extensions, against over 3 GB/s for ingest), so doing it inline would halve the speed of a
//! single-capture run. The reading thread copies what it read into 1 MiB chunks (a memcpy is
//! cheap next to SHA-256) and a worker hashes them in order; a handful of recycled buffers
//! bound the memory. Without a spare thread it hashes inline.

use std::sync::mpsc::{Receiver, SyncSender, channel, sync_channel};
use std::thread::JoinHandle;

use sha2::{Digest, Sha256};

const CHUNK: usize = 1 << 20;
/// Chunks queued for the worker before the reader waits for it.
const QUEUE: usize = 4;

pub enum Hasher {
    Inline(Sha256),
    Background(Background),
}

pub struct Background {
    pending: Vec<u8>,
    to_worker: SyncSender<Vec<u8>>,
    recycled: Receiver<Vec<u8>>,
    worker: JoinHandle<Sha256>,
}

impl Hasher {
    pub fn new() -> Hasher {
        let (to_worker, from_reader) = sync_channel::<Vec<u8>>(QUEUE);
        let (to_reader, recycled) = channel::<Vec<u8>>();
        let spawned = std::thread::Builder::new()
            .name("sha256".into())
            .spawn(move || {
                let mut state = Sha256::new();
                for chunk in from_reader {
                    state.update(&chunk);
                    // The reader may have finished; a lost spare buffer is fine.
                    let _ = to_reader.send(chunk);
                }
                state
            });
        match spawned {
            Ok(worker) => Hasher::Background(Background {
                pending: Vec::with_capacity(CHUNK),
                to_worker,
                recycled,
                worker,
            }),
            Err(_) => Hasher::Inline(Sha256::new()),
        }
    }

    pub fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Inline(state) => state.update(bytes),
            Hasher::Background(background) => background.update(bytes),
        }
    }

    pub fn finalize(self) -> [u8; 32] {
        let state = match self {
            Hasher::Inline(state) => Some(state),
            Hasher::Background(background) => background.finish(),
        };
        // A worker that died (it cannot, short of memory exhaustion) leaves no digest; the
        // all-zero value is never a real SHA-256 of anything a reader could confuse it with.
        state
            .map(|state| state.finalize().into())
            .unwrap_or([0; 32])
    }
}

impl Background {
    fn update(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let room = CHUNK - self.pending.len();
            let (now, later) = bytes.split_at(room.min(bytes.len()));
            self.pending.extend_from_slice(now);
            bytes = later;
            if self.pending.len() == CHUNK {
                let mut next = self.recycled.try_recv().unwrap_or_default();
                next.clear();
                let full = std::mem::replace(&mut self.pending, next);
                if let Err(returned) = self.to_worker.send(full) {
                    // The worker is gone: keep the bytes so nothing is silently skipped.
                    self.pending = returned.0;
                }
            }
        }
    }

    fn finish(self) -> Option<Sha256> {
        let Background {
            pending,
            to_worker,
            worker,
            ..
        } = self;
        if !pending.is_empty() {
            to_worker.send(pending).ok()?;
        }
        drop(to_worker);
        worker.join().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn background_hash_equals_the_one_pass_hash_for_any_split() {
        let data: Vec<u8> = (0..3 * CHUNK + 12345)
            .map(|index| (index * 31 % 251) as u8)
            .collect();
        let expected: [u8; 32] = Sha256::digest(&data).into();
        for piece in [1usize, 7, 4096, CHUNK - 1, CHUNK, CHUNK + 1, data.len()] {
            let mut hasher = Hasher::new();
            assert!(matches!(hasher, Hasher::Background(_)));
            for part in data
                .chunks(piece.max(1))
                .take(if piece == 1 { 5000 } else { usize::MAX })
            {
                hasher.update(part);
            }
            if piece == 1 {
                hasher.update(&data[5000..]);
            }
            assert_eq!(hasher.finalize(), expected, "pieces of {piece}");
        }
    }

    #[test]
    fn empty_input_hashes_to_the_known_constant() {
        let digest = Hasher::new().finalize();
        assert_eq!(
            hex::encode(digest),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
