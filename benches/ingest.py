#!/usr/bin/env python3
"""Ingest benchmark: whence against tcpdump, capinfos and tshark on one synthetic capture.

Generates (once) a synthetic pcap of about SIZE MB under bench-data/, warms the page cache,
then runs each tool REPEAT times and prints wall time, MB/s, Mpackets/s and peak RSS side by
side. Run by hand, not in CI:  python3 benches/ingest.py [--size-mb 1000] [--profile mixed|syn|botnet]

Profiles: `mixed` (a multi-vector mix, every packet from a new random source: the worst case
for per-source state), `syn` (minimum-size SYNs, likewise all-distinct sources), `botnet` (the
mixed traffic from a fixed population of 50,000 sources, the usual shape of a real attack).

"whence ingest+decode" is the capture and decode stages alone (examples/ingest.rs: reading,
SHA-256, framing, header decoding, packet totals); "whence report" is the whole report
(per-source statistics, GeoIP enrichment of every unique source, JSON). Ingest alone reads and
decodes on one thread and hashes on a second; the report also aggregates on a third, beside the
reading (src/aggregate/alongside.rs), and enriches on two. Peer tools that are not installed are listed as
missing (apt-get install tcpdump tshark).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


GNU_TIME = shutil.which("time") and Path("/usr/bin/time")


def run_measured(command, keep_output=False):
    """Runs a command with stdout sent to /dev/null (or kept, for whence's own report);
    returns (seconds, CPU seconds, peak RSS in MB, stdout).

    Peak RSS comes from GNU time when installed: the rusage of a child forked from Python
    counts Python's own pages, copied at fork, as the child's.
    """
    with tempfile.NamedTemporaryFile("r") as rss_file:
        wrapped = list(command)
        if GNU_TIME and GNU_TIME.exists():
            wrapped = [str(GNU_TIME), "-f", "%M", "-o", rss_file.name] + wrapped
        start = time.perf_counter()
        stdout = subprocess.PIPE if keep_output else subprocess.DEVNULL
        process = subprocess.Popen(wrapped, stdout=stdout, stderr=subprocess.DEVNULL)
        output = process.stdout.read() if keep_output else b""
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) not in (0, 1):
            raise RuntimeError(f"{command[0]} failed with status {status}")
        reported = rss_file.read().strip().splitlines()
        rss_mb = int(reported[-1]) / 1024 if reported else usage.ru_maxrss / 1024
    return seconds, usage.ru_utime + usage.ru_stime, rss_mb, output


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=1000)
    parser.add_argument("--profile", choices=["mixed", "syn", "botnet"], default="mixed")
    parser.add_argument("--repeat", type=int, default=3, help="runs per tool; the best is shown")
    parser.add_argument("--skip-peers", action="store_true", help="only measure whence")
    args = parser.parse_args()

    # `--examples` alone would build only the examples and leave a stale `whence` binary.
    subprocess.run(["cargo", "build", "--release", "--quiet", "--workspace", "--bins", "--examples"],
                   cwd=ROOT, check=True)
    whence = ROOT / "target/release/whence"
    data = ROOT / "bench-data"
    data.mkdir(exist_ok=True)
    capture = data / f"synthetic-{args.profile}-{args.size_mb}mb.pcap"
    if not capture.exists():
        print(f"generating {capture} ...", file=sys.stderr)
        subprocess.run([ROOT / "target/release/whence-tools", "synth-capture", "-o", capture,
                        "--size-mb", str(args.size_mb), "--profile", args.profile], check=True)
    size = capture.stat().st_size
    with open(capture, "rb") as handle:  # warm the page cache
        while handle.read(1 << 24):
            pass

    _, _, _, report = run_measured([whence, "report", capture], keep_output=True)
    packets = json.loads(report)["totals"]["packets"]

    tools = [
        ("whence ingest+decode", [ROOT / "target/release/examples/ingest", capture]),
        ("whence report", [whence, "report", "--no-system-db", capture]),
    ]
    if not args.skip_peers:
        tools += [
            ("tcpdump -nn -r", ["tcpdump", "-nn", "-r", capture]),
            ("capinfos", ["capinfos", capture]),
            ("tshark -z endpoints,ip", ["tshark", "-r", capture, "-q", "-z", "endpoints,ip"]),
        ]
    print(f"capture: {capture.name}, {size / 1e6:.0f} MB, {packets} packets "
          f"(mean {size / max(packets, 1):.0f} B/record), page cache warm, best of {args.repeat}")
    print(f"{'tool':<24} {'seconds':>9} {'CPU s':>7} {'MB/s':>9} {'Mpkt/s':>8} {'peak RSS MB':>12}")
    best_seconds = {}
    for name, command in tools:
        if shutil.which(str(command[0])) is None:
            print(f"{name:<24} {'(not installed)':>9}")
            continue
        runs = [run_measured(command) for _ in range(args.repeat)]
        best = min(runs, key=lambda run: run[0])
        best_seconds[name] = best[0]
        rss = max(run[2] for run in runs)
        print(f"{name:<24} {best[0]:>9.2f} {best[1]:>7.2f} {size / 1e6 / best[0]:>9.0f} "
              f"{packets / 1e6 / best[0]:>8.2f} {rss:>12.1f}")
    # The whole analysis against reading alone (docs/METHOD.md, "Sources", has the measured table).
    print(f"whence report throughput: {100 * best_seconds['whence ingest+decode'] / best_seconds['whence report']:.0f} % "
          f"of ingest+decode")


if __name__ == "__main__":
    main()
