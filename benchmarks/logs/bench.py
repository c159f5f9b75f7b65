"""Side by side, in one run: our log scans against grep, zcat | grep and grep -F, with peak memory.

Usage: python benchmarks/logs/bench.py [LOG]   (default benchmarks/data/mail.log; make it with
benchmarks/logs/make_log.py 1024 --gzip). Each of ours runs in a fresh Python process that
reports its own peak RSS; the peers write to a file (grep to /dev/null stops at the first match).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from make_log import TRACE_ID  # noqa: E402

OURS = r"""
import resource, sys
from datetime import datetime, timezone
from postfinger_py.files import LiveFiles
from postfinger_py.logs import run
from postfinger_py.model import Context, Options
from postfinger_py.runner import SubprocessRunner
what, path, out = sys.argv[1], sys.argv[2], sys.argv[3]
ctx = Context(SubprocessRunner(), LiveFiles("/"), datetime(2026, 11, 30, tzinfo=timezone.utc), 0,
              Options(log_files=(path,)))
with open(out, "w") as fh:
    if what == "problems":
        scan, _ = run.problems(ctx, 0, "all", on_problem=lambda ln: fh.write(ln.text + "\n"))
    else:
        data, _ = run.trace(ctx, what)
        fh.writelines(ln + "\n" for ln in data["lines"])
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def timed(argv: list, shell: bool = False) -> "tuple[float, str]":
    start = time.monotonic()
    res = subprocess.run(argv, shell=shell, capture_output=True, text=True, cwd=REPO,
                         env={**os.environ, "LC_ALL": "C", "PYTHONPATH": REPO})
    return time.monotonic() - start, res.stdout.strip()


def lines(path: str) -> int:
    with open(path, "rb") as fh:
        return sum(1 for _ in fh)


def main() -> None:
    log = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, "benchmarks", "data", "mail.log")
    gz = log + ".gz"
    tmp = tempfile.mkdtemp(prefix="pf-logbench-")
    py = sys.executable
    size = os.path.getsize(log)
    print(f"log: {log} ({size / (1 << 20):.0f} MiB); machine: {os.cpu_count()} cores, shared")
    subprocess.run(["cat", log], stdout=subprocess.DEVNULL)  # warm the page cache for both
    rows = []
    g_t, _ = timed(f"grep -E '(warning|error|fatal|panic):' {log} > {tmp}/grep.out", shell=True)
    o_t, rss = timed([py, "-c", OURS, "problems", log, f"{tmp}/ours.out"])
    rows.append(("problems", "grep -E '(warning|error|fatal|panic):' > file", g_t, o_t, rss,
                 lines(f"{tmp}/grep.out"), lines(f"{tmp}/ours.out")))
    if os.path.exists(gz):
        g_t, _ = timed(f"zcat {gz} | grep -E '(warning|error|fatal|panic):' > {tmp}/zgrep.out",
                       shell=True)
        o_t, rss = timed([py, "-c", OURS, "problems", gz, f"{tmp}/oursgz.out"])
        rows.append(("problems .gz", "zcat | grep -E ... > file", g_t, o_t, rss,
                     lines(f"{tmp}/zgrep.out"), lines(f"{tmp}/oursgz.out")))
    g_t, _ = timed(f"grep -F {TRACE_ID} {log} > {tmp}/grepF.out", shell=True)
    o_t, rss = timed([py, "-c", OURS, TRACE_ID, log, f"{tmp}/trace.out"])
    rows.append(("trace", f"grep -F {TRACE_ID} > file", g_t, o_t, rss,
                 lines(f"{tmp}/grepF.out"), lines(f"{tmp}/trace.out")))
    print(f"{'task':13} {'peer s':>7} {'ours s':>7} {'ratio':>6} {'our peak MiB':>12} "
          f"{'peer lines':>10} {'our lines':>9}  peer command")
    for task, peer, g, o, rss, gl, ol in rows:
        print(f"{task:13} {g:7.2f} {o:7.2f} {o / g:6.2f} {rss:>12} {gl:>10} {ol:>9}  {peer}")
    print("(peer lines differ by design: grep also matches remote replies and reject_warning; "
          "trace adds the smtpd session)")


if __name__ == "__main__":
    main()
