"""Anonymizer benchmark: MB/s on Postfix log text, side by side with scrubadub's stock scrubber,
and the report stage's cost beyond importing scrubadub.

Run from the repository root:
    head -c 10000000 benchmarks/data/mail.log > /tmp/real10.log     # realistic (make_log.py)
    /work/venv/bin/python benchmarks/anonymize/bench.py /tmp/real10.log [ROUNDS]
    /work/venv/bin/python benchmarks/anonymize/gen_log.py 10         # synthetic worst case
    /work/venv/bin/python benchmarks/anonymize/bench.py benchmarks/data/anonymize-10mb.log

First `postfinger anonymize FILE > /dev/null` end to end (a fresh process: start, imports,
learning this site from postconf, reading, learning from the text, replacing, the leak check,
writing), ROUNDS times; then the same stages in this process, timed one by one, on one CPU and
as the command runs them (text of 2 MB or more on two CPUs); then the peer.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "anonymize"))


def end_to_end(path: Path, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        key = Path(tmp) / "key"
        key.write_text(os.urandom(32).hex() + "\n")
        key.chmod(0o600)
        walls, rss = [], []
        for _ in range(rounds):
            start = time.perf_counter()
            proc = subprocess.Popen(
                [sys.executable, "-m", "postfinger_py", "anonymize", "--anon-key", str(key), str(path)],
                stdout=subprocess.DEVNULL,
                cwd=REPO,
            )
            _, status, usage = os.wait4(proc.pid, 0)
            walls.append(time.perf_counter() - start)
            rss.append(usage.ru_maxrss / 1024)
            if status != 0:
                print(f"  ! postfinger anonymize exited with status {status >> 8}")
    mb = path.stat().st_size / 1e6
    med = statistics.median(walls)
    print(
        f"postfinger anonymize {path.name} ({mb:.1f} MB), end to end, {rounds} rounds: "
        f"median {med:.2f} s = {mb / med:.1f} MB/s (min {min(walls):.2f} s, max "
        f"{max(walls):.2f} s), peak RSS {max(rss):.0f} MiB"
    )


def main() -> None:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "benchmarks/data/anonymize-10mb.log")
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    print(f"machine: {os.cpu_count()} cores, shared with other work; load {os.getloadavg()}")
    end_to_end(path, rounds)
    text = path.read_text()
    mb = len(text.encode()) / 1e6

    t0 = time.perf_counter()
    import postfinger_py.anonymize as anon

    anon.preload()
    t_import = time.perf_counter() - t0
    print(f"preload (scrubadub import + public suffix list): {t_import:.2f} s")

    from postfinger_py.anonymize import learn
    from postfinger_py.anonymize.engine import Engine
    from postfinger_py.anonymize.leak import LeakChecker

    for label, parallel_min in (("one CPU", 10**12), ("as the command runs it", None)):
        engine = Engine(os.urandom(32))
        if parallel_min is not None:
            engine.parallel_min = parallel_min
        engine.learn_host("mx1.bluefinch-logistics.de", is_own_host=True)
        t0 = time.perf_counter()
        learn.learn_free_text(engine, text)
        engine.freeze()
        t_learn = time.perf_counter() - t0
        t0 = time.perf_counter()
        out = engine.apply(text)
        t_apply = time.perf_counter() - t0
        t0 = time.perf_counter()
        checker = LeakChecker(engine)
        leak = (
            checker.find(out) if parallel_min is None else checker._first(out, checker._found(out))
        )  # the one-CPU check
        t_leak = time.perf_counter() - t0
        total = t_learn + t_apply + t_leak
        print(
            f"in process, {label}: learning {t_learn:.2f} s, replacing {t_apply:.2f} s "
            f"(together {mb / (t_learn + t_apply):.1f} MB/s), leak check {t_leak:.2f} s; "
            f"all three {mb / total:.1f} MB/s; leak found: {leak is not None}"
        )
    t_ours = t_learn + t_apply

    import scrubadub

    sample = text[:1_000_000]
    smb = len(sample.encode()) / 1e6
    t0 = time.perf_counter()
    scrubadub.Scrubber().clean(sample)
    t_peer = time.perf_counter() - t0
    print(
        f"scrubadub 2.0.1 stock Scrubber().clean: {smb:.1f} MB in {t_peer:.2f} s = "
        f"{smb / t_peer:.2f} MB/s (and it damages Postfix text)"
    )
    print(f"ratio ours/scrubadub: {(mb / t_ours) / (smb / t_peer):.1f}x")

    from conftest import recorded_report

    log = Path("/var/log/postfix.log")
    real = log.read_text(errors="replace")[-512_000:] if log.exists() else ""
    report = recorded_report(real)
    t0 = time.perf_counter()
    result = anon.anonymize(report, anon.AnonSettings())
    t_stage = time.perf_counter() - t0
    import json

    rendered = json.dumps(result.report.to_plain()) + json.dumps([s.raw for s in result.report.sections])
    t0 = time.perf_counter()
    leak = result.find_leak(rendered)
    t_check = time.perf_counter() - t0
    print(
        f"anonymize stage of a report with {len(real) // 1000} kB of log (after preload): "
        f"{t_stage:.3f} s, leak check of all its text {t_check:.3f} s, leak: {leak}"
    )

    if real:
        rep = (real * (10_000_000 // max(len(real), 1) + 1))[:10_000_000]
        engine = Engine(os.urandom(32))
        engine.learn_host("mx1.bluefinch-logistics.de", is_own_host=True)
        engine.freeze()
        t0 = time.perf_counter()
        engine.apply(rep)
        t_real = time.perf_counter() - t0
        print(f"ours on the real (verbose) log of this Postfix repeated to 10 MB: {10 / t_real:.1f} MB/s")


if __name__ == "__main__":
    main()
