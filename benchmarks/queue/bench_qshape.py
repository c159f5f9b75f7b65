"""`postfinger qshape deferred` vs `qshape deferred` on the benchmark instance, side by side.

Usage (root):
  python benchmarks/queue/build_queue.py build          # 100,000 deferred messages, instance up
  python benchmarks/queue/bench_qshape.py [--rounds N] [--dir DIR] [--showq]
  python benchmarks/queue/build_queue.py remove         # stop the instance, delete DIR

Each round runs both commands back to back, alternating which goes first (the page cache is warm
for whichever follows the other), each as a child measured with wait4(): wall time, CPU time,
peak RSS. Prints every round, the median and best of each, the ratios (target <= 0.5) and our
peak RSS (GNU time, target < 200 MiB), and the load average before and after (the machine is shared).

ours:   python -m postfinger_py qshape -c DIR/etc --no-anonymize deferred   (the `postfinger`
        console script's entry point; as root it reads the queue files)
theirs: qshape -c DIR/etc deferred
--showq also times our non-root path (`postqueue -j` through showq) in the same rounds: the same
command with the Env told euid 1000 (postqueue itself still runs as root; with showq up that
makes no difference to what it does).

The tables must agree: qshape's clock is time() when it starts (whole seconds), so after the
rounds our command runs once more in this process with its clock pinned to each second around a
fresh qshape run's start until one matches (modulo qshape's random order of tied rows, see
tests/queue/tablecmp.py). Without pinning, messages crossing a bucket boundary between the two
runs would make the tables differ by a few counts.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "queue"))
sys.path.insert(0, str(REPO))

from tablecmp import same_table  # type: ignore[import-not-found]  # noqa: E402

from postfinger_py.commands.qshape import main as qshape_main  # noqa: E402
from postfinger_py.env import Env  # noqa: E402

Measure = tuple[float, float, int, bytes, bytes]  # wall s, cpu s, peak RSS KiB, stdout, stderr


def measure(argv: Sequence[str]) -> Measure:
    """Run argv as a child: wall time, user+system CPU (wait4(), with its children), peak RSS
    in KiB (GNU time's %M: the largest process), stdout, stderr."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with (
        tempfile.TemporaryFile() as fout,
        tempfile.TemporaryFile() as ferr,
        tempfile.NamedTemporaryFile("r") as frss,
    ):
        # The peak RSS from GNU time: a child forked from this (bigger) Python process would
        # report at least this process's RSS in its own ru_maxrss.
        start = time.perf_counter()
        proc = subprocess.Popen(
            ["/usr/bin/time", "-f", "%M", "-o", frss.name, *argv], stdout=fout, stderr=ferr, env=env
        )
        _, status, ru = os.wait4(proc.pid, 0)  # reaped here, not by Popen: we want its rusage
        wall = time.perf_counter() - start
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        fout.seek(0)
        ferr.seek(0)
        out, err = fout.read(), ferr.read()
        peak_kib = int(frss.read().split()[-1])
    if code:
        sys.exit(f"{' '.join(argv)} failed ({code}): {err.decode().strip()}")
    return wall, ru.ru_utime + ru.ru_stime, peak_kib, out, err


def ours_pinned(conf: str, now: int) -> str:
    """Our table from this process, with the clock pinned to `now`."""
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="utf-8", errors="surrogateescape")
    clock = datetime.fromtimestamp(now, timezone.utc)
    env = Env(stdout=out, stderr=io.StringIO(), clock=lambda: clock)
    if qshape_main(["--no-anonymize", "-c", conf, "deferred"], env) != 0:
        sys.exit("postfinger qshape failed in process")
    out.flush()
    return raw.getvalue().decode("utf-8", "surrogateescape")


def check_tables(conf: str) -> str:
    """Run qshape once more and find the second it used; our table for that second must match."""
    started = time.time()
    theirs = subprocess.run(["qshape", "-c", conf, "deferred"], capture_output=True, check=True)
    text = theirs.stdout.decode("utf-8", "surrogateescape")
    for now in range(int(started), int(started) + 4):
        if same_table(ours_pinned(conf, now), text):
            return f"tables agree with our clock pinned to qshape's ({now}, launched at {started:.2f})"
    sys.exit(
        "tables differ for every clock second around qshape's start: see "
        "`postfinger qshape --no-anonymize -c CONF deferred` vs `qshape -c CONF deferred`"
    )


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dir", default="/var/tmp/postfinger-qbench")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--showq", action="store_true", help="also time the postqueue -j path")
    a = p.parse_args()
    conf = f"{a.dir}/etc"
    py = [sys.executable]
    runs: dict[str, list[str]] = {
        "postfinger qshape deferred": [
            *py,
            "-m",
            "postfinger_py",
            "qshape",
            "-c",
            conf,
            "--no-anonymize",
            "deferred",
        ],
        "qshape deferred": ["qshape", "-c", conf, "deferred"],
    }
    if a.showq:
        runs["postfinger qshape deferred (postqueue -j)"] = [
            *py,
            "-c",
            "import sys; from postfinger_py.commands.qshape import main; "
            "from postfinger_py.env import Env; sys.exit(main(sys.argv[1:], Env(euid=1000)))",
            "-c",
            conf,
            "--no-anonymize",
            "deferred",
        ]
    names = list(runs)
    results: dict[str, list[Measure]] = {n: [] for n in names}
    print(f"load average before: {load()} (2 cores shared with other sessions)")
    for r in range(a.rounds):
        order = names if r % 2 == 0 else names[::-1]
        line = []
        for name in order:
            m = measure(runs[name])
            if name.startswith("postfinger") and m[4]:
                sys.exit(f"{name}: unexpected notes on stderr: {m[4].decode().strip()}")
            results[name].append(m)
            line.append(
                f"{name.split(' deferred')[0]}{' (showq)' if 'postqueue' in name else ''} {m[0]:.2f} s"
            )
        print(f"round {r + 1}: " + ", ".join(line), flush=True)
    print(f"load average after:  {load()}")
    msgs = results["qshape deferred"][-1][3].decode().splitlines()[1].split()[1]
    print(f"queue: {msgs} pending recipients in the deferred queue of {conf}")
    print(check_tables(conf))
    base_med = statistics.median(m[0] for m in results["qshape deferred"])
    base_best = min(m[0] for m in results["qshape deferred"])
    base_cpu = statistics.median(m[1] for m in results["qshape deferred"])
    for name in names:
        ms = results[name]
        med, best = statistics.median(m[0] for m in ms), min(m[0] for m in ms)
        cpu = statistics.median(m[1] for m in ms)
        peak = max(m[2] for m in ms) / 1024
        print(
            f"{name:44} wall median {med:6.2f} s, best {best:6.2f} s; CPU median "
            f"{cpu:5.2f} s; peak RSS {peak:6.1f} MiB"
        )
        if name != "qshape deferred":
            print(
                f"{'':44} ratio to qshape: median {med / base_med:.2f}x, best "
                f"{best / base_best:.2f}x, CPU {cpu / base_cpu:.2f}x"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
