"""`postfinger qshape deferred` vs `qshape deferred` on the benchmark instance, side by side.

Usage (root): python benchmarks/queue/build_queue.py 100000
              python benchmarks/queue/bench_qshape.py [CONFIG_DIR] [ROUNDS]
Prints each tool's best wall time, the ratio (target <= 0.5) and our peak RSS (target < 200 MiB).
Refuses to print a ratio unless our table came from `postqueue -j` and equals qshape's.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "queue"))

from tablecmp import same_table  # noqa: E402


def timed(argv: list[str]) -> tuple[float, subprocess.CompletedProcess[bytes], int]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    res = subprocess.run(argv, capture_output=True, env=env)
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, res, max(peak, before)


def main() -> int:
    conf = sys.argv[1] if len(sys.argv) > 1 else "/var/tmp/postfinger-qbench/etc"
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    ours_argv = [sys.executable, "-c", "import sys; from postfinger_py.commands.qshape import "
                 "main; from postfinger_py.env import Env; sys.exit(main(sys.argv[1:], Env()))",
                 "--no-anonymize", "-c", conf, "deferred"]
    theirs_argv = ["qshape", "-c", conf, "deferred"]
    best_ours = best_theirs = float("inf")
    peak_kib = 0
    for _ in range(rounds):
        t_ours, r_ours, peak_kib = timed(ours_argv)
        t_theirs, r_theirs, _ = timed(theirs_argv)
        best_ours, best_theirs = min(best_ours, t_ours), min(best_theirs, t_theirs)
    if b"source:" in r_ours.stderr:
        print("our table did not come from postqueue -j:", r_ours.stderr.decode().strip())
        return 1
    if not same_table(r_ours.stdout.decode(), r_theirs.stdout.decode()):
        print("tables differ")
        return 1
    msgs = r_theirs.stdout.decode().splitlines()[1].split()[1]
    print(f"{msgs} deferred messages, best of {rounds}; 2 shared cores")
    print(f"qshape deferred:            {best_theirs:.2f} s")
    print(f"postfinger qshape deferred: {best_ours:.2f} s (ratio {best_ours / best_theirs:.2f}x)")
    print(f"peak RSS of a child (ours is the larger): {peak_kib / 1024:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
