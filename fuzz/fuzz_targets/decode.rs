//! Fuzz target: one frame -> `decode::decode`. The first byte picks the link type among those
//! the decoder reads (`src/decode/link.rs`) plus one it does not; the rest is the frame.

#![no_main]

use libfuzzer_sys::fuzz_target;
use whence::aggregate::Aggregate;
use whence::capture::Frame;
use whence::decode;

/// NULL, ETHERNET, RAW (BSD 12 and OpenBSD 14), RAW, LOOP, LINUX_SLL, IPV4, IPV6, LINUX_SLL2,
/// and IEEE802_11 (not decoded: must come out as non-IP).
const LINK_TYPES: [u32; 11] = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 105];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let link_type = LINK_TYPES[usize::from(selector) % LINK_TYPES.len()];
    let frame = Frame {
        link_type,
        timestamp_ns: Some(1_767_225_600_000_000_000),
        wire_len: u32::try_from(bytes.len()).unwrap_or(u32::MAX),
        data: bytes,
    };
    let decoded = decode::decode(&frame);
    // The aggregate is the decoder's only consumer: feed it the result too.
    let mut aggregate = Aggregate::default();
    aggregate.observe(&frame, &decoded);
    aggregate.finish();
});
