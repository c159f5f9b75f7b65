"""Anonymizer benchmark: MB/s on Postfix log text, side by side with scrubadub's stock scrubber,
and the report stage's cost beyond importing scrubadub.

Run from the repository root:
    /work/venv/bin/python benchmarks/anonymize/gen_log.py 10
    /work/venv/bin/python benchmarks/anonymize/bench.py benchmarks/data/anonymize-10mb.log
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "anonymize"))


def main() -> None:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "benchmarks/data/anonymize-10mb.log")
    text = path.read_text()
    mb = len(text.encode()) / 1e6
    print(f"machine: {os.cpu_count()} cores, shared with other helpers; load {os.getloadavg()}")

    t0 = time.perf_counter()
    import postfinger_py.anonymize as anon

    anon.preload()
    t_import = time.perf_counter() - t0
    print(f"preload (scrubadub import + public suffix list): {t_import:.2f} s")

    from postfinger_py.anonymize import learn
    from postfinger_py.anonymize.engine import Engine
    from postfinger_py.anonymize.leak import LeakChecker

    engine = Engine(os.urandom(32))
    engine.learn_host("mx1.bluefinch-logistics.de", is_own_host=True)
    # What `postfinger anonymize` does with a text: learn from it (syslog host field, user@host,
    # credentials), then replace. Both are timed: the user waits for both.
    t0 = time.perf_counter()
    learn.learn_free_text(engine, text)
    engine.freeze()
    out = engine.apply(text)
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    leak = LeakChecker(engine).find(out)
    t_leak = time.perf_counter() - t0
    print(f"ours (learning + replacing): {mb:.1f} MB in {t_ours:.2f} s = {mb / t_ours:.1f} MB/s; "
          f"leak check of the output {t_leak:.2f} s ({mb / (t_ours + t_leak):.1f} MB/s together); "
          f"leak found: {leak is not None}")

    import scrubadub

    sample = text[:1_000_000]
    smb = len(sample.encode()) / 1e6
    t0 = time.perf_counter()
    scrubadub.Scrubber().clean(sample)
    t_peer = time.perf_counter() - t0
    print(f"scrubadub 2.0.1 stock Scrubber().clean: {smb:.1f} MB in {t_peer:.2f} s = "
          f"{smb / t_peer:.2f} MB/s (and it damages Postfix text)")
    print(f"ratio ours/scrubadub: {(mb / t_ours) / (smb / t_peer):.1f}x")

    from conftest import recorded_report

    log = Path("/var/log/postfix.log")
    real = log.read_text(errors="replace")[-512_000:] if log.exists() else ""
    report = recorded_report(real)
    t0 = time.perf_counter()
    result = anon.anonymize(report, anon.AnonSettings())
    t_stage = time.perf_counter() - t0
    import json

    rendered = json.dumps(result.report.to_plain()) + json.dumps(
        [s.raw for s in result.report.sections])
    t0 = time.perf_counter()
    leak = result.find_leak(rendered)
    t_check = time.perf_counter() - t0
    print(f"anonymize stage of a report with {len(real) // 1000} kB of log (after preload): "
          f"{t_stage:.3f} s, leak check of all its text {t_check:.3f} s, leak: {leak}")

    if real:
        rep = (real * (10_000_000 // max(len(real), 1) + 1))[:10_000_000]
        engine = Engine(os.urandom(32))
        engine.learn_host("mx1.bluefinch-logistics.de", is_own_host=True)
        engine.freeze()
        t0 = time.perf_counter()
        engine.apply(rep)
        t_real = time.perf_counter() - t0
        print(f"ours on the real (verbose) log of this Postfix repeated to 10 MB: "
              f"{10 / t_real:.1f} MB/s")


if __name__ == "__main__":
    main()
