"""Side by side on one capture: our summary vs tshark's SMTP dissector; wall time and peak memory.

Usage: python benchmarks/pcap/bench.py [CAPTURE] [--port N]
Default capture: benchmarks/data/smtp-sessions.pcap (make it with make_capture.sh), port 2630.
Targets (issue 6): our time at most 0.5x tshark's, our peak RSS at most 400 MiB.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run(argv: list[str]) -> tuple[float, int, bytes]:
    """Wall seconds, peak RSS of that child (KiB), stdout."""
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, check=False)
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode != 0:
        sys.exit(f"{argv[0]} failed ({proc.returncode}): {proc.stderr.decode()[-500:]}")
    # the maximum over all children so far: ours runs first, tshark (bigger) second
    return wall, peak, proc.stdout


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("capture", nargs="?", default=str(REPO / "benchmarks/data/smtp-sessions.pcap"))
    parser.add_argument("--port", type=int, default=2630)
    args = parser.parse_args()
    if not os.path.exists(args.capture):
        sys.exit(f"{args.capture} is missing: run benchmarks/pcap/make_capture.sh first")
    size = os.path.getsize(args.capture) / 2**20
    ours_argv = [
        sys.executable,
        str(Path(__file__).with_name("bench_entry.py")),
        args.capture,
        str(args.port),
    ]
    ours_t, ours_rss, ours_out = run(ours_argv)
    print(f"capture: {args.capture} ({size:.0f} MiB), {os.cpu_count()} CPUs (shared)")
    print(f"ours:   {ours_t:6.2f} s, peak RSS {ours_rss / 1024:.0f} MiB ({ours_out.decode().strip()})")
    tshark = shutil.which("tshark")
    if tshark is None:
        print("tshark: not installed (apt-get install tshark); no ratio")
        return 0
    argv = [tshark, "-r", args.capture, "-Y", "smtp", "-T", "fields", "-e", "smtp.req.command"]
    if args.port not in (25, 587):
        argv[3:3] = ["-d", f"tcp.port=={args.port},smtp"]
    t_t, t_rss, t_out = run(argv)
    commands = sum(1 for line in t_out.splitlines() if line.strip())
    print(f"tshark: {t_t:6.2f} s, peak RSS {t_rss / 1024:.0f} MiB ({commands} commands)")
    print(
        f"ratio ours/tshark: {ours_t / t_t:.2f}x (target <= 0.5x); "
        f"our peak {ours_rss / 1024:.0f} MiB (target <= 400 MiB)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
