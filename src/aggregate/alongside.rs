//! Aggregation on a thread of its own, beside the thread that reads and decodes.
//!
//! Reading a capture (with its SHA-256 on a third thread) and aggregating its packets take
//! about the same time, and a single report would otherwise leave a core idle for most of
//! the run. The reading thread decodes each frame into a record that no longer borrows the
//! capture buffer (the payload prefix is copied into the batch), fills batches of
//! `BATCH_PACKETS` and sends them, in order, to the aggregating thread; emptied batches come
//! back to be filled again. At most `BATCHES_IN_FLIGHT` full batches wait, so memory stays a
//! few megabytes whatever the capture holds. Packets are observed in exactly the order they
//! were read: the aggregate is the same as on one thread.

use std::net::{IpAddr, Ipv4Addr};
use std::ops::Range;
use std::sync::mpsc;

use super::Aggregate;
use super::sources::WARM_GROUP;
use crate::capture::Frame;
use crate::decode::{self, Decoded};

/// Packets per batch: large enough that handing a batch over costs nothing per packet, small
/// enough (about 200 KB) to stay in cache between the two threads.
const BATCH_PACKETS: usize = 1024;

/// Full batches waiting for the aggregating thread at most.
const BATCHES_IN_FLIGHT: usize = 4;

/// A frame's fields the aggregate reads (`Totals::observe`), without its bytes.
#[derive(Debug, Clone, Copy)]
struct FrameFields {
    link_type: u32,
    timestamp_ns: Option<i64>,
    wire_len: u32,
}

/// Decoded packets, each with its frame's fields and where its payload prefix lies in
/// `payloads`.
#[derive(Default)]
struct Batch {
    packets: Vec<(FrameFields, Decoded<'static>, Range<usize>)>,
    payloads: Vec<u8>,
}

impl Batch {
    fn push(&mut self, frame: &Frame, decoded: Decoded) {
        let fields = FrameFields {
            link_type: frame.link_type,
            timestamp_ns: frame.timestamp_ns,
            wire_len: frame.wire_len,
        };
        let start = self.payloads.len();
        let detached = match decoded {
            Decoded::Ip(packet) => {
                self.payloads.extend_from_slice(packet.payload);
                Decoded::Ip(packet.without_payload())
            }
            Decoded::NonIp => Decoded::NonIp,
            Decoded::Undecodable(reason) => Decoded::Undecodable(reason),
        };
        self.packets
            .push((fields, detached, start..self.payloads.len()));
    }

    fn is_full(&self) -> bool {
        self.packets.len() >= BATCH_PACKETS
    }

    fn observe_into(&self, aggregate: &mut Aggregate) {
        for group in self.packets.chunks(WARM_GROUP) {
            let mut sources = [IpAddr::V4(Ipv4Addr::UNSPECIFIED); WARM_GROUP];
            let mut count = 0;
            for ((_, decoded, _), source) in group.iter().zip(sources.iter_mut()) {
                if let Decoded::Ip(packet) = decoded {
                    *source = packet.src;
                    count += 1;
                }
            }
            aggregate
                .sources
                .warm(sources.get(..count).unwrap_or_default());
            self.observe_group(group, aggregate);
        }
    }

    fn observe_group(
        &self,
        group: &[(FrameFields, Decoded<'static>, Range<usize>)],
        aggregate: &mut Aggregate,
    ) {
        for (fields, decoded, payload) in group {
            let frame = Frame {
                link_type: fields.link_type,
                timestamp_ns: fields.timestamp_ns,
                wire_len: fields.wire_len,
                data: &[],
            };
            let payload = self.payloads.get(payload.clone()).unwrap_or_default();
            match decoded {
                Decoded::Ip(packet) => {
                    let packet = decode::Packet {
                        payload,
                        ..packet.clone()
                    };
                    aggregate.observe(&frame, &Decoded::Ip(packet));
                }
                other => aggregate.observe(&frame, other),
            }
        }
    }

    fn clear(&mut self) {
        self.packets.clear();
        self.payloads.clear();
    }
}

/// Runs `read`, which reads captures and calls the function it is given with every frame,
/// while `aggregate` observes the frames, decoded, on a second thread. On a machine with a
/// single core everything runs on the calling thread.
pub fn observe_alongside<R>(
    aggregate: &mut Aggregate,
    read: impl FnOnce(&mut dyn FnMut(&Frame)) -> R,
) -> R {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    if cores < 2 {
        return read_here(aggregate, read);
    }
    std::thread::scope(|scope| {
        let (full_sender, full_batches) = mpsc::sync_channel::<Batch>(BATCHES_IN_FLIGHT);
        let (empty_sender, empty_batches) = mpsc::channel::<Batch>();
        // The aggregate goes to the thread once it exists, so that without one it stays here.
        let (handing_over, handed_over) = mpsc::channel::<&mut Aggregate>();
        let spawned = std::thread::Builder::new()
            .name("aggregate".into())
            .spawn_scoped(scope, move || {
                let Ok(aggregate) = handed_over.recv() else {
                    return;
                };
                for mut batch in full_batches {
                    batch.observe_into(aggregate);
                    batch.clear();
                    // The reading thread may have finished already.
                    let _ = empty_sender.send(batch);
                }
            });
        let aggregating = match spawned {
            Ok(handle) => match handing_over.send(aggregate) {
                Ok(()) => handle,
                Err(mpsc::SendError(aggregate)) => return read_here(aggregate, read),
            },
            Err(_) => return read_here(aggregate, read),
        };
        let mut batch = Batch::default();
        let mut aggregator_gone = false;
        let result = read(&mut |frame: &Frame| {
            batch.push(frame, decode::decode(frame));
            if batch.is_full() && !aggregator_gone {
                let empty = empty_batches.try_recv().unwrap_or_default();
                let full = std::mem::replace(&mut batch, empty);
                // Fails only if the aggregating thread panicked: its panic is raised below.
                aggregator_gone = full_sender.send(full).is_err();
            }
            if aggregator_gone {
                batch.clear();
            }
        });
        if !aggregator_gone {
            let _ = full_sender.send(batch);
        }
        drop(full_sender);
        if let Err(panic) = aggregating.join() {
            std::panic::resume_unwind(panic);
        }
        result
    })
}

/// Reads and aggregates on the calling thread.
fn read_here<R>(aggregate: &mut Aggregate, read: impl FnOnce(&mut dyn FnMut(&Frame)) -> R) -> R {
    read(&mut |frame: &Frame| {
        let decoded = decode::decode(frame);
        aggregate.observe(frame, &decoded);
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::{self, InputSource};

    fn aggregate_of(files: &[&str], alongside: bool) -> Aggregate {
        let sources: Vec<InputSource> = files
            .iter()
            .map(|file| {
                InputSource::File(
                    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                        .join("samples")
                        .join(file),
                )
            })
            .collect();
        let mut aggregate = Aggregate::default();
        let read = |observe: &mut dyn FnMut(&Frame)| -> u64 {
            sources
                .iter()
                .map(|source| {
                    let summary = capture::read_capture(source, &mut *observe);
                    assert!(summary.error.is_none(), "{:?}", summary.error);
                    summary.packets
                })
                .sum()
        };
        let packets = if alongside {
            observe_alongside(&mut aggregate, read)
        } else {
            read_here(&mut aggregate, read)
        };
        aggregate.finish();
        assert_eq!(aggregate.totals.packets, packets);
        aggregate
    }

    #[test]
    fn aggregating_on_a_second_thread_gives_the_same_aggregate() {
        // Payload-dependent vectors (HTTP requests, DNS and NTP/memcached responses),
        // handshakes, fragments and several inputs, over many batches.
        let files = [
            "http-get-flood.pcapng",
            "dns-response-fragments-src53.pcap",
            "ntp-memcached-reflection.pcap",
            "iot-botnet-syn-flood.pcapng",
        ];
        let alongside = aggregate_of(&files, true);
        let here = aggregate_of(&files, false);
        assert!(alongside.totals.packets > 10 * BATCH_PACKETS as u64);
        assert!(alongside.totals.packets % BATCH_PACKETS as u64 != 0);
        assert_eq!(alongside.totals, here.totals);
        assert_eq!(alongside.sources, here.sources);
        assert_eq!(alongside.vectors, here.vectors);
        assert_eq!(alongside.timeline, here.timeline);
        assert_eq!(alongside.handshakes, here.handshakes);
        assert!(alongside.sources.validated_count() > 0);
    }
}
