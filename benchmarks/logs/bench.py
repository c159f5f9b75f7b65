"""Side by side, in one run: our log scans against grep, zcat | grep and grep -F, with peak memory.

Usage: python benchmarks/logs/bench.py [LOG] [--repeat N] [--only problems,gz,trace]
(default benchmarks/data/mail.log; make it with benchmarks/logs/make_log.py 1024 --gzip).
Each round runs the peer, then ours, right after each other; the ratio of each round is
ours / peer, and the median and spread over the rounds are printed, with the load average (the
machine is shared). Each of ours runs in a fresh Python process (startup and imports included:
about 0.12 s, which outweighs grep -F on a small log: use 1 GiB) that reports its own peak RSS;
the peers write to a file (grep to /dev/null stops at the first match). Our modules are
byte-compiled first, as an installed package is (this environment sets PYTHONDONTWRITEBYTECODE,
which would make every run compile them from source: ~40 ms).
Ours does more than the peer: `problems` also counts deferred and bounced deliveries by reason
(the logs section's failure summary), so it parses each of them, 384,193 of the 8.6 million lines
of the 1 GiB log; most of its time goes there, not into finding the problem lines.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
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
from postfinger_py.since import Since
what, path, out = sys.argv[1], sys.argv[2], sys.argv[3]
ctx = Context(SubprocessRunner(), LiveFiles("/"), datetime(2026, 11, 30, tzinfo=timezone.utc), 0,
              Options(log_files=(path,)))
with open(out, "w") as fh:
    if what == "problems":
        scan, _ = run.problems(ctx, 0, Since.parse("all"), on_problem=lambda ln: fh.write(ln.text + "\n"))
    else:
        data, _ = run.trace(ctx, what)
        fh.writelines(ln + "\n" for ln in data["lines"])
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""
PATTERN = "'(warning|error|fatal|panic):'"


ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENV.update(LC_ALL="C", PYTHONPATH=REPO)


def timed(argv: list[str] | str, shell: bool = False) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds user + system of the command and its children, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    res = subprocess.run(argv, shell=shell, capture_output=True, text=True, cwd=REPO, env=ENV)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if res.returncode not in (0, 1):
        raise SystemExit(f"failed: {argv}: {res.stderr.strip()}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu, res.stdout.strip()


def count_lines(path: str) -> int:
    with open(path, "rb") as fh:
        return sum(1 for _ in fh)


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("log", nargs="?", default=os.path.join(REPO, "benchmarks", "data", "mail.log"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", default="problems,gz,trace")
    args = ap.parse_args()
    log, gz, only = args.log, args.log + ".gz", args.only.split(",")
    tmp = tempfile.mkdtemp(prefix="pf-logbench-")
    py = sys.executable
    print(
        f"log: {log} ({os.path.getsize(log) / (1 << 20):.0f} MiB); {os.cpu_count()} cores, "
        f"shared with other work; load average at start {load()}"
    )
    subprocess.run(["cat", log], stdout=subprocess.DEVNULL)  # warm the page cache for both
    subprocess.run([py, "-m", "compileall", "-q", os.path.join(REPO, "postfinger_py")], env=ENV, check=True)
    tasks = []
    if "problems" in only:
        tasks.append(("problems", f"grep -E {PATTERN} {log} > {tmp}/peer.out", "problems", log))
    if "gz" in only and os.path.exists(gz):
        tasks.append(("problems .gz", f"zcat {gz} | grep -E {PATTERN} > {tmp}/peer.out", "problems", gz))
    if "trace" in only:
        tasks.append(("trace", f"grep -F {TRACE_ID} {log} > {tmp}/peer.out", TRACE_ID, log))
    print(
        f"{'task':13} {'peer s':>7} {'ours s':>7} {'ratio':>6} {'peer cpu':>8} {'our cpu':>8} "
        f"{'peak MiB':>8} {'peer lines':>10} {'our lines':>9}  (one row per round; cpu = "
        "user + system seconds)"
    )
    summary = []
    for task, peer, what, path in tasks:
        ratios, peers, ours, rss_all, cpu_ratios = [], [], [], [], []
        for _ in range(args.repeat):
            g, gc, _ = timed(peer, shell=True)
            o, oc, rss = timed([py, "-c", OURS, what, path, f"{tmp}/ours.out"])
            ratios.append(o / g)
            cpu_ratios.append(oc / gc)
            peers.append(g)
            ours.append(o)
            rss_all.append(int(rss))
            print(
                f"{task:13} {g:7.2f} {o:7.2f} {o / g:6.2f} {gc:8.2f} {oc:8.2f} {rss:>8} "
                f"{count_lines(tmp + '/peer.out'):>10} {count_lines(tmp + '/ours.out'):>9}",
                flush=True,
            )
        summary.append((task, peer.replace(tmp, "TMP"), peers, ours, ratios, max(rss_all), cpu_ratios))
    print(f"\nload average at end {load()}")
    print(
        f"{'task':13} {'peer median':>11} {'ours median':>11} {'ratio median':>12} "
        f"{'ratio min-max':>13} {'cpu ratio':>9} {'peak MiB':>8}  peer command"
    )
    for task, peer, peers, ours, ratios, peak, cpu_ratios in summary:
        print(
            f"{task:13} {statistics.median(peers):11.2f} {statistics.median(ours):11.2f} "
            f"{statistics.median(ratios):12.2f} {min(ratios):6.2f}-{max(ratios):<6.2f} "
            f"{statistics.median(cpu_ratios):9.2f} {peak:>8}  {peer}"
        )
    print(
        "(peer lines differ by design: grep also matches remote replies and reject_warning; "
        "trace adds the smtpd session)"
    )


if __name__ == "__main__":
    main()
