//! The raw frame a capture reader hands to the decoder: link type, time, lengths and bytes.

/// One captured frame, borrowed from the reader's buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    /// LINKTYPE_* value of the interface that captured the frame, with the pcap header's
    /// upper flag bits already masked off.
    pub link_type: u32,
    /// Nanoseconds since the Unix epoch; `None` where the format stores no time for the frame.
    pub timestamp_ns: Option<i64>,
    /// Length of the frame on the wire.
    pub wire_len: u32,
    /// The captured bytes (at most the snaplen).
    pub data: &'a [u8],
}
