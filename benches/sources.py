#!/usr/bin/env python3
"""Many distinct sources: streams a pcap of N packets, each from a new source address, into
`whence report -` with `--max-sources CAP`, then prints the distinct-source estimate, the wall
time and whence's peak RSS (from wait4). Nothing is written to disk.

Run by hand, not in CI (100 million packets take minutes):
    cargo build --release
    python3 benches/sources.py [--packets 100000000] [--cap 10000] [--binary target/release/whence]

Memory past the cap is the table at the cap plus fixed-size sketches, so peak RSS should not
grow with --packets (compare --packets 2000000 with the default); docs/METHOD.md explains.
"""

import argparse
import json
import os
import struct
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def records(count, batch=100_000):
    """Raw-IPv4 (LINKTYPE 101) UDP packets to 192.0.2.1:53, source i * 2654435761 | 1.0.0.0."""
    head = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101)
    yield head
    record = struct.Struct("<IIII12s4s20s")
    ip_head = bytes([0x45, 0, 0, 36, 0, 1, 0, 0, 64, 17, 0, 0])
    tail = bytes([192, 0, 2, 1, 0x9C, 0x40, 0, 53, 0, 16, 0, 0]) + b"payload!"
    for start in range(0, count, batch):
        yield b"".join(
            record.pack(
                1_700_000_000 + index // 1_000_000, index % 1_000_000, 36, 36,
                ip_head, (((index * 2654435761) & 0xFFFFFFFF) | 0x01000000).to_bytes(4, "big"), tail,
            )
            for index in range(start, min(count, start + batch))
        )

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packets", type=int, default=100_000_000)
    parser.add_argument("--cap", type=int, default=10_000)
    parser.add_argument("--binary", default=str(ROOT / "target/release/whence"))
    args = parser.parse_args()
    if not Path(args.binary).exists():
        sys.exit(f"{args.binary} not found: cargo build --release (or pass --binary)")
    started = time.monotonic()
    child = subprocess.Popen(
        [args.binary, "report", "--no-system-db", "--format", "json",
         "--max-sources", str(args.cap), "-"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
    )
    # The report arrives at the end; read it on the side so the pipe never fills.
    import threading
    report = {}
    reader = threading.Thread(target=lambda: report.update(out=child.stdout.read()))
    reader.start()
    for chunk in records(args.packets):
        child.stdin.write(chunk)
    child.stdin.close()
    reader.join()
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.monotonic() - started
    if status != 0:
        sys.exit(f"whence exited with status {status >> 8}")
    sources = json.loads(report["out"])["sources"]
    error = abs(sources["unique"] - args.packets) / args.packets
    print(f"packets          {args.packets:,}")
    print(f"--max-sources    {args.cap:,}")
    print(f"exact            {sources['exact']}")
    print(f"unique (est.)    {sources['unique']:,}  ({error:.2%} off)")
    print(f"wall time        {elapsed:.1f} s (generation included)")
    print(f"peak RSS         {usage.ru_maxrss / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
