//! The generator's clock: takes flows (a flood, a set of reflectors, web visitors), each of
//! which knows when its next step is due, and gives their frames merged into one time-ordered
//! stream, however long each step's exchange lasts.
//!
//! A step (one SYN, one fragmented DNS answer, one whole TCP connection) may queue frames
//! reaching into the future; frames wait in a heap and are released once no flow can still
//! produce an earlier one. Ties are broken by queueing order, so the output is deterministic.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use anyhow::Result;

use super::link::{Direction, ETHERTYPE_IPV4, ETHERTYPE_IPV6};
use super::packet::{self, Ip, Transport};

/// Nanoseconds since 1970.
pub type Time = i64;

pub const MICROSECOND: Time = 1_000;
pub const MILLISECOND: Time = 1_000_000;
pub const SECOND: Time = 1_000_000_000;

/// What a frame is, for the truth file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Attack traffic toward a victim: of the scenario's vector `vector`, in wave `wave`.
    Attack { vector: u8, wave: u8 },
    /// A victim's own packets: SYN-ACKs, HTTP responses, ICMP errors.
    Reply,
    /// Everything else: visitors, the server's own DNS and NTP, ARP.
    Benign,
}

#[derive(Debug, Clone, Copy)]
pub struct Meta {
    pub role: Role,
    /// Index into the capture's interfaces.
    pub interface: u8,
    pub direction: Direction,
    /// This frame is the client's ACK that completes a TCP three-way handshake: its source
    /// address is proven (it received the SYN-ACK), so it cannot be spoofed.
    pub completes_handshake: bool,
}

impl Meta {
    pub fn new(role: Role, interface: u8, direction: Direction) -> Meta {
        Meta {
            role,
            interface,
            direction,
            completes_handshake: false,
        }
    }
}

/// A queued frame: the layer-3 payload (an IP packet, or ARP) and what the link layer needs.
#[derive(Debug)]
pub struct Frame {
    pub time: Time,
    order: u64,
    pub meta: Meta,
    pub ethertype: u16,
    pub bytes: Vec<u8>,
}

impl PartialEq for Frame {
    fn eq(&self, other: &Self) -> bool {
        (self.time, self.order) == (other.time, other.order)
    }
}

impl Eq for Frame {}

impl PartialOrd for Frame {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Frame {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.time, self.order).cmp(&(other.time, other.order))
    }
}

/// Where flows queue their frames.
#[derive(Default)]
pub struct Out {
    queue: BinaryHeap<Reverse<Frame>>,
    order: u64,
    /// Spent frame buffers, reused so that a flood of millions allocates a handful.
    spare: Vec<Vec<u8>>,
}

impl Out {
    fn buffer(&mut self) -> Vec<u8> {
        let mut buffer = self.spare.pop().unwrap_or_default();
        buffer.clear();
        buffer
    }

    fn push(&mut self, time: Time, meta: Meta, ethertype: u16, bytes: Vec<u8>) {
        self.order += 1;
        self.queue.push(Reverse(Frame {
            time,
            order: self.order,
            meta,
            ethertype,
            bytes,
        }));
    }

    /// Queues an IP packet.
    ///
    /// # Errors
    /// The packet cannot be built (too long, mixed address families).
    pub fn ip(&mut self, time: Time, meta: Meta, ip: &Ip, transport: &Transport<'_>) -> Result<()> {
        let mut bytes = self.buffer();
        packet::build(&mut bytes, ip, transport)?;
        let ethertype = if ip.src.is_ipv4() {
            ETHERTYPE_IPV4
        } else {
            ETHERTYPE_IPV6
        };
        self.push(time, meta, ethertype, bytes);
        Ok(())
    }

    /// Queues an IPv4 packet as the fragments a 1500-byte MTU makes of it, `gap` apart (the
    /// time each full frame takes on the sender's link). Gives the number of frames.
    ///
    /// # Errors
    /// The packet cannot be built.
    pub fn ip_fragmented(
        &mut self,
        time: Time,
        gap: Time,
        meta: Meta,
        ip: &Ip,
        transport: &Transport<'_>,
    ) -> Result<u32> {
        let mut whole = self.buffer();
        packet::build(&mut whole, ip, transport)?;
        let mut pieces = Vec::new();
        packet::fragment_ipv4(&whole, 1500, |fragment| pieces.push(fragment.to_vec()));
        self.spare.push(whole);
        let count = pieces.len() as u32;
        for (index, piece) in pieces.into_iter().enumerate() {
            self.push(time + gap * index as Time, meta, ETHERTYPE_IPV4, piece);
        }
        Ok(count)
    }

    /// Queues a frame that is not IP (ARP).
    pub fn non_ip(&mut self, time: Time, meta: Meta, ethertype: u16, bytes: &[u8]) {
        let mut buffer = self.buffer();
        buffer.extend_from_slice(bytes);
        self.push(time, meta, ethertype, buffer);
    }

    fn pop_before(&mut self, horizon: Option<Time>) -> Option<Frame> {
        let Reverse(first) = self.queue.peek()?;
        if horizon.is_some_and(|limit| first.time >= limit) {
            return None;
        }
        self.queue.pop().map(|Reverse(frame)| frame)
    }

    fn recycle(&mut self, frame: Frame) {
        if self.spare.len() < 64 {
            self.spare.push(frame.bytes);
        }
    }
}

/// A source of traffic that unfolds over time.
pub trait Flow {
    /// When the first step is due; `None` if the flow has nothing to send.
    fn first(&self) -> Option<Time>;

    /// Queues the frames of the step due at `now` (none earlier than `now`) and gives when the
    /// next step is due, or `None` when the flow is done.
    ///
    /// # Errors
    /// A packet cannot be built.
    fn step(&mut self, now: Time, out: &mut Out) -> Result<Option<Time>>;
}

/// Runs `flows` to the end, handing every frame to `sink` in time order.
///
/// # Errors
/// A flow or the sink fails.
pub fn run(
    flows: &mut [Box<dyn Flow + '_>],
    mut sink: impl FnMut(&Frame) -> Result<()>,
) -> Result<()> {
    let mut due: BinaryHeap<Reverse<(Time, usize)>> = flows
        .iter()
        .enumerate()
        .filter_map(|(index, flow)| Some(Reverse((flow.first()?, index))))
        .collect();
    let mut out = Out::default();
    loop {
        let horizon = due.peek().map(|Reverse((time, _))| *time);
        while let Some(frame) = out.pop_before(horizon) {
            sink(&frame)?;
            out.recycle(frame);
        }
        let Some(Reverse((now, index))) = due.pop() else {
            return Ok(());
        };
        if let Some(flow) = flows.get_mut(index)
            && let Some(next) = flow.step(now, &mut out)?
        {
            due.push(Reverse((next.max(now), index)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::link::Direction;

    /// Emits `count` frames, each step queueing one frame now and one `lag` later.
    struct Ticker {
        start: Time,
        every: Time,
        lag: Time,
        count: u32,
        tag: u8,
    }

    impl Flow for Ticker {
        fn first(&self) -> Option<Time> {
            (self.count > 0).then_some(self.start)
        }

        fn step(&mut self, now: Time, out: &mut Out) -> Result<Option<Time>> {
            let meta = Meta::new(Role::Benign, self.tag, Direction::In);
            out.non_ip(now, meta, 0x0806, &[self.tag]);
            out.non_ip(now + self.lag, meta, 0x0806, &[self.tag + 10]);
            self.count -= 1;
            Ok((self.count > 0).then_some(now + self.every))
        }
    }

    #[test]
    fn frames_of_all_flows_come_out_in_time_order() {
        let mut flows: Vec<Box<dyn Flow>> = vec![
            Box::new(Ticker {
                start: 0,
                every: 10,
                lag: 25,
                count: 5,
                tag: 1,
            }),
            Box::new(Ticker {
                start: 3,
                every: 7,
                lag: 1,
                count: 6,
                tag: 2,
            }),
        ];
        let mut times = Vec::new();
        run(&mut flows, |frame| {
            times.push(frame.time);
            Ok(())
        })
        .unwrap();
        assert_eq!(times.len(), 22);
        assert!(times.windows(2).all(|pair| pair[0] <= pair[1]), "{times:?}");
    }
}
