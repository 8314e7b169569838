#!/usr/bin/env python3
"""Makes `decode` seeds from the classic pcap files among the `capture` seeds: the first
frames of each, prefixed with the selector byte that picks the file's link type in
fuzz_targets/decode.rs (keep LINK_TYPES in step). Usage: split_frames.py CAPTURE_DIR OUT_DIR"""
import os
import struct
import sys

LINK_TYPES = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 105]
FRAMES_PER_FILE = 4
MAGICS = {
    b"\xd4\xc3\xb2\xa1": ("<", 16), b"\xa1\xb2\xc3\xd4": (">", 16),
    b"\x4d\x3c\xb2\xa1": ("<", 16), b"\xa1\xb2\x3c\x4d": (">", 16),
    b"\x34\xcd\xb2\xa1": ("<", 24), b"\xa1\xb2\xcd\x34": (">", 24),  # modified (Kuznetzov)
}

source, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
for name in sorted(os.listdir(source)):
    data = open(os.path.join(source, name), "rb").read()
    if data[:4] not in MAGICS or len(data) < 24:
        continue
    order, record_len = MAGICS[data[:4]]
    link_type = struct.unpack(order + "I", data[20:24])[0] & 0x0FFFFFFF
    if link_type not in LINK_TYPES:
        continue
    selector = bytes([LINK_TYPES.index(link_type)])
    offset = 24
    for index in range(FRAMES_PER_FILE):
        if offset + record_len > len(data):
            break
        captured = struct.unpack(order + "I", data[offset + 8:offset + 12])[0]
        frame = data[offset + record_len:offset + record_len + captured]
        offset += record_len + captured
        with open(os.path.join(out, f"{name}-{index}"), "wb") as seed:
            seed.write(selector + frame)
