//! The one refill loop of whence: a byte window over a stream that the format readers ask for
//! "at least N bytes at the current offset", consume from, and that tracks the stream offset
//! for error messages.
//!
//! Memory stays bounded: the window grows only as far as the largest record the readers accept
//! (they check a record's declared length before asking for it), never with the file size.

use std::io::{self, Read};

/// Bytes read from the stream per refill; large reads amortise system calls.
const READ_CHUNK: usize = 1 << 20;

pub struct StreamWindow<R> {
    reader: R,
    buffer: Vec<u8>,
    /// Start of unconsumed bytes in `buffer`.
    start: usize,
    /// End of valid bytes in `buffer`.
    end: usize,
    /// Stream offset of `buffer[start]`.
    offset: u64,
    at_eof: bool,
}

impl<R: Read> StreamWindow<R> {
    pub fn new(reader: R) -> Self {
        StreamWindow {
            reader,
            buffer: vec![0; READ_CHUNK],
            start: 0,
            end: 0,
            offset: 0,
            at_eof: false,
        }
    }

    /// Stream offset of the first unconsumed byte.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The unconsumed bytes currently buffered.
    pub fn available(&self) -> &[u8] {
        self.buffer.get(self.start..self.end).unwrap_or_default()
    }

    /// Makes at least `wanted` bytes available unless the stream ends first; returns whether
    /// they are. Callers bound `wanted` by the format's limits before calling.
    pub fn fill(&mut self, wanted: usize) -> io::Result<bool> {
        while self.end - self.start < wanted && !self.at_eof {
            if self.buffer.len() - self.start < wanted {
                // Move the partial record to the front, and grow only when one record is larger
                // than the whole buffer.
                self.buffer.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
                if self.buffer.len() < wanted {
                    self.buffer.resize(wanted.next_power_of_two(), 0);
                }
            }
            let free = self.buffer.get_mut(self.end..).unwrap_or_default();
            match self.reader.read(free) {
                Ok(0) => self.at_eof = true,
                Ok(read) => self.end += read,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
        Ok(self.end - self.start >= wanted)
    }

    /// Marks `count` available bytes as used.
    pub fn consume(&mut self, count: usize) {
        let count = count.min(self.end - self.start);
        self.start += count;
        self.offset += count as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out one byte per call, as a slow pipe may.
    struct Trickle(Vec<u8>, usize);
    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match (self.0.get(self.1), buf.first_mut()) {
                (Some(byte), Some(slot)) => {
                    *slot = *byte;
                    self.1 += 1;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    #[test]
    fn fills_across_short_reads_and_tracks_offsets() {
        let data: Vec<u8> = (0..=255).collect();
        let mut window = StreamWindow::new(Trickle(data, 0));
        assert!(window.fill(10).unwrap());
        assert_eq!(&window.available()[..10], &(0..10).collect::<Vec<u8>>()[..]);
        window.consume(10);
        assert_eq!(window.offset(), 10);
        assert!(window.fill(246).unwrap());
        assert!(!window.fill(247).unwrap());
        assert_eq!(window.available().first(), Some(&10));
    }

    #[test]
    fn grows_for_a_record_larger_than_the_buffer_then_reports_eof() {
        let data = vec![1u8; READ_CHUNK * 3 + 5];
        let mut window = StreamWindow::new(&data[..]);
        window.fill(1).unwrap();
        window.consume(3);
        assert!(window.fill(READ_CHUNK * 2).unwrap());
        assert_eq!(window.offset(), 3);
        window.consume(READ_CHUNK * 2);
        assert!(window.fill(READ_CHUNK + 2).unwrap());
        assert!(!window.fill(READ_CHUNK + 3).unwrap());
    }
}
