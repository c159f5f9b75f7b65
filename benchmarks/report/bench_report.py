#!/usr/bin/env python3
"""Full report on the real Postfix vs a plain shell script running the same commands in sequence.

The peer script is generated from a capture of the same run: every command postfinger ran (in
the recorded order), `cat` of every file it read, and a grep of each program file it inspected
for its version stamp. Both run alternately, N rounds; medians and the ratio are printed.
Also times `postfinger --version` and `--help` (target: under 0.2 s).

Run as root on a machine with the test Postfix running:
    python benchmarks/report/bench_report.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def postfinger(*args: str) -> list[str]:
    return [sys.executable, "-m", "postfinger_py", *args]


def timed(argv: list[str]) -> float:
    """Wall time of one run; a run that fails counts as NaN and is reported, not hidden."""
    start = time.perf_counter()
    res = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO)
    elapsed = time.perf_counter() - start
    if res.returncode not in (0, 3):
        last = res.stderr.decode(errors="replace").strip().splitlines()[-1:] or [""]
        print(f"  ! {' '.join(argv[-2:])} failed with status {res.returncode}: {last[0]}")
        return float("nan")
    return elapsed


def peer_script(snapshot: Path) -> str:
    manifest = json.loads((snapshot / "manifest.json").read_text())
    lines = ["#!/bin/sh", "export LC_ALL=C", "{"]
    for record in manifest["records"]:
        op = record["op"]
        if op == "run":
            lines.append(" ".join(shlex.quote(a) for a in record["argv"]) + " 2>&1")
        elif op == "read" and not record.get("problem"):
            lines.append(f"cat {shlex.quote(record['path'])}")
        elif op == "binary":
            lines.append(f"grep -a -o 'mail_version=[0-9.]*' {shlex.quote(record['path'])}")
        elif op in ("stat", "listdir") and not record.get("problem"):
            lines.append(f"ls -ld {shlex.quote(record['path'])}")
    lines.append("} > /dev/null 2>&1")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        snap = Path(tmp) / "snap"
        subprocess.run(
            postfinger("--all", "--no-anonymize", "--capture", str(snap)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=REPO,
            check=False,
        )
        script = Path(tmp) / "peer.sh"
        script.write_text(peer_script(snap))
        n_cmds = sum(1 for line in script.read_text().splitlines()[3:-1])
        timed(["sh", str(script)])  # warm the page cache for both
        timed(postfinger("--all", "--no-anonymize"))
        rows = {
            "shell script (same commands, one after another)": ["sh", str(script)],
            "postfinger --all --no-anonymize": postfinger("--all", "--no-anonymize"),
            "postfinger --all (anonymized, the default)": postfinger("--all"),
        }
        times = {name: [] for name in rows}  # type: dict[str, list[float]]
        for _ in range(args.rounds):
            for name, argv in rows.items():
                times[name].append(timed(argv))
    print(
        f"full report, {args.rounds} rounds alternating, {os.cpu_count()} CPUs; the peer runs "
        f"{n_cmds} commands/reads"
    )
    base = statistics.median(times["shell script (same commands, one after another)"])
    for name, values in times.items():
        med = statistics.median(values)
        print(f"  {name:<52} median {med:6.3f} s  ratio {med / base:4.2f}x")
    for flag in ("--version", "--help"):
        values = [timed(postfinger(flag)) for _ in range(10)]
        print(f"  postfinger {flag:<41} median {statistics.median(values):6.3f} s  (target < 0.2 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
