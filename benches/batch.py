#!/usr/bin/env python3
"""Batch benchmark: `whence batch` over an archive of rotated captures, one job against all.

Generates (once) a synthetic capture of about SIZE MB under bench-data/ with the tools crate,
splits it into FILES rotated captures with editcap (named as a dumpcap ring buffer names them,
`edge1_00012_20231114221320.pcap`), optionally compressing every other one, warms the page
cache, then runs `whence batch ARCHIVE -o OUT --jobs N` for N = 1 and N = all cores (REPEAT
times each, the best shown) and prints wall time, CPU time, files/s, MB/s (stored bytes), the
speed-up over one job and the peak RSS side by side, with the captures the run read a second time for
the merged reports (`counts.rescanned` of index.json). Run by hand, not in CI:

    python3 benches/batch.py [--size-mb 200] [--files 200] [--profile botnet] [--compress gzip]

Every report of the default run is written: one per capture in md, html and json, the combined
one and (with --group-by) one per group, so the figures are those of a whole run, not of
ingest alone (see benches/ingest.py for that). Peak RSS comes from GNU time when installed.
The binaries are taken from $CARGO_TARGET_DIR (default target/) after a release build.
"""

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GNU_TIME = Path("/usr/bin/time")


def run_measured(command):
    """Runs a command; returns (seconds, CPU seconds, peak RSS in MB)."""
    with tempfile.NamedTemporaryFile("r") as usage_file:
        wrapped = list(map(str, command))
        if GNU_TIME.exists():
            wrapped = [str(GNU_TIME), "-f", "%M %U %S", "-o", usage_file.name] + wrapped
        start = time.perf_counter()
        process = subprocess.Popen(wrapped, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, errors = process.communicate()
        seconds = time.perf_counter() - start
        reported = usage_file.read().strip().splitlines()
    if process.returncode not in (0, 3):
        sys.stderr.write(errors.decode(errors="replace"))
        raise RuntimeError(f"{command[0]} failed with status {process.returncode}")
    try:
        rss_kb, user, system = reported[-1].split()
        return seconds, float(user) + float(system), int(rss_kb) / 1024
    except (IndexError, ValueError):
        return seconds, float("nan"), float("nan")


def build_archive(args, tools, data):
    """The synthetic capture split into rotated files; returns (directory, files, bytes)."""
    capture = data / f"synthetic-{args.profile}-{args.size_mb}mb.pcap"
    if not capture.exists():
        print(f"generating {capture} ...", file=sys.stderr)
        subprocess.run([tools, "synth-capture", "-o", capture, "--size-mb", str(args.size_mb),
                        "--profile", args.profile], check=True)
    archive = data / f"archive-{args.profile}-{args.size_mb}mb-{args.files}-{args.compress}"
    if not archive.exists():
        print(f"splitting into {archive} ...", file=sys.stderr)
        packets = int(subprocess.run(["capinfos", "-M", "-c", "-T", "-r", capture], check=True,
                                     capture_output=True, text=True).stdout.split()[-1])
        per_file = max(1, -(-packets // args.files))
        staging = archive.with_suffix(".partial")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        subprocess.run(["editcap", "-c", str(per_file), capture, staging / "edge1.pcap"],
                       check=True, stdout=subprocess.DEVNULL)
        if args.compress != "none":
            for index, path in enumerate(sorted(staging.iterdir())):
                if index % 2:
                    continue
                if args.compress == "gzip":
                    with open(path, "rb") as plain, gzip.open(f"{path}.gz", "wb", 1) as packed:
                        shutil.copyfileobj(plain, packed, 1 << 20)
                else:
                    subprocess.run(["zstd", "-q", "-3", "--rm", path], check=True)
                    continue
                path.unlink()
        staging.rename(archive)
    files = sorted(archive.iterdir())
    return archive, len(files), sum(path.stat().st_size for path in files)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--profile", choices=["mixed", "syn", "botnet"], default="botnet")
    parser.add_argument("--compress", choices=["none", "gzip", "zstd"], default="none",
                        help="compress every other capture of the archive")
    parser.add_argument("--repeat", type=int, default=2, help="runs per job count; the best is shown")
    parser.add_argument("--group-by", choices=["dir", "sensor"], help="also write group reports")
    parser.add_argument("--format", default="md,html,json", help="report formats (as for whence)")
    args = parser.parse_args()

    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    subprocess.run(["cargo", "build", "--release", "--quiet", "--workspace"], cwd=ROOT, check=True)
    whence, tools = target / "release/whence", target / "release/whence-tools"
    data = ROOT / "bench-data"
    data.mkdir(exist_ok=True)
    archive, files, size = build_archive(args, tools, data)
    for path in archive.iterdir():  # warm the page cache
        with open(path, "rb") as handle:
            while handle.read(1 << 24):
                pass

    cores = os.cpu_count() or 1
    load = os.getloadavg()
    print(f"archive: {files} captures, {size / 1e6:.0f} MB stored ({args.profile}, "
          f"compression: {args.compress}), page cache warm, best of {args.repeat}; "
          f"{cores} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"{'jobs':>5} {'seconds':>9} {'CPU s':>7} {'files/s':>9} {'MB/s':>8} {'speed-up':>9} "
          f"{'peak RSS MB':>12} {'read again':>11}")
    baseline = None
    for jobs in sorted({1, cores}):
        runs = []
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory(dir=data) as out:
                command = [whence, "batch", archive, "-o", out, "--jobs", str(jobs),
                           "--no-system-db", "--quiet", "--format", args.format]
                if args.group_by:
                    command += ["--group-by", args.group_by]
                seconds, cpu, rss = run_measured(command)
                index = json.loads((Path(out) / "index.json").read_text())
                runs.append((seconds, cpu, rss, index["counts"]["rescanned"]))
        best = min(runs, key=lambda run: run[0])
        baseline = baseline or best[0]
        print(f"{jobs:>5} {best[0]:>9.2f} {best[1]:>7.2f} {files / best[0]:>9.1f} "
              f"{size / 1e6 / best[0]:>8.1f} {baseline / best[0]:>8.2f}x "
              f"{max(run[2] for run in runs):>12.1f} {best[3]:>11}")
    print("CPU s is user + system time of the run; a run that gets less than a core per job "
          "while others load the machine shows it as seconds well above CPU s / jobs.")


if __name__ == "__main__":
    main()
