"""Side by side: the anonymizer of two trees (e.g. before/after a change), alternating, N rounds.

    git archive <commit> postfinger_py | tar -x -C /tmp/pf-before
    /work/venv/bin/python benchmarks/anonymize/gen_log.py 10
    /work/venv/bin/python benchmarks/anonymize/compare.py /tmp/pf-before . 3

Each measurement runs in a fresh process with PYTHONPATH set to the tree: the generated
worst-case log (benchmarks/data/anonymize-10mb.log), the real log of this Postfix repeated to
10 MB, and the report stage on the recorded report with the last 512 kB of the real log.
Prints medians, min and max (wall seconds, MB/s) and the load average at each run.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

WORKER = r"""
import json, os, sys, time
sys.path.append(os.environ["PF_ROOT"] + "/tests/anonymize")
kind = sys.argv[1]
import postfinger_py.anonymize as anon
anon.preload()
from postfinger_py.anonymize.engine import Engine
from postfinger_py.anonymize.leak import LeakChecker
out = {"load": os.getloadavg()[0], "where": anon.__file__}
real = open("/var/log/postfix.log", errors="replace").read()[-512_000:]
if kind in ("generated", "real-repeated"):
    if kind == "generated":
        text = open(os.environ["PF_ROOT"] + "/benchmarks/data/anonymize-10mb.log").read()
    else:
        text = (real * (10_000_000 // len(real) + 1))[:10_000_000]
    e = Engine(os.urandom(32))
    e.learn_host("mx1.bluefinch-logistics.de", is_own_host=True)
    e.freeze()
    t0 = time.perf_counter(); res = e.apply(text); out["apply"] = time.perf_counter() - t0
    t0 = time.perf_counter(); leak = LeakChecker(e).find(res); out["leak"] = time.perf_counter() - t0
    out["mb"] = len(text.encode()) / 1e6
    out["leak_found"] = leak is not None
else:
    from conftest import recorded_report
    report = recorded_report(real)
    t0 = time.perf_counter(); result = anon.anonymize(report, anon.AnonSettings())
    out["apply"] = time.perf_counter() - t0
    rendered = json.dumps(result.report.to_plain()) + json.dumps([s.raw for s in result.report.sections])
    t0 = time.perf_counter(); leak = result.find_leak(rendered); out["leak"] = time.perf_counter() - t0
    out["leak_found"] = leak is not None
print(json.dumps(out))
"""


def run(tree: str, kind: str) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(Path(tree).resolve()), PF_ROOT=str(ROOT))
    # cwd is the tree too: `python -c` puts the current directory before PYTHONPATH.
    res = subprocess.run(
        [sys.executable, "-c", WORKER, kind],
        env=env,
        capture_output=True,
        cwd=str(Path(tree).resolve()),
        text=True,
        check=True,
    )
    return json.loads(res.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    before, after = sys.argv[1], sys.argv[2]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    kinds = ["generated", "real-repeated", "report-512k"]
    results: dict[str, dict[str, list[dict[str, float]]]] = {
        t: {k: [] for k in kinds} for t in (before, after)
    }
    print(f"{os.cpu_count()} cores shared with other helpers; {rounds} rounds, trees alternate")
    for r in range(rounds):
        for kind in kinds:
            for tree in (before, after) if r % 2 == 0 else (after, before):
                results[tree][kind].append(run(tree, kind))
    for kind in kinds:
        print(f"\n{kind}:")
        med: dict[str, float] = {}
        for tree in (before, after):
            rows = results[tree][kind]
            apply = [x["apply"] for x in rows]
            leak = [x["leak"] for x in rows]
            loads = ", ".join(f"{x['load']:.1f}" for x in rows)
            line = (
                f"  {tree:<18} apply median {statistics.median(apply):.3f} s "
                f"[{min(apply):.3f}-{max(apply):.3f}]  leak check median "
                f"{statistics.median(leak):.3f} s [{min(leak):.3f}-{max(leak):.3f}]"
            )
            if "mb" in rows[0]:
                mb = rows[0]["mb"]
                line += (
                    f"  = {mb / statistics.median(apply):.2f} MB/s "
                    f"({mb / statistics.median([a + b for a, b in zip(apply, leak)]):.2f}"
                    " MB/s with the leak check)"
                )
            line += (
                f"  leak found: {sorted({bool(x['leak_found']) for x in rows})}; load {loads}"
                f"  ({rows[0]['where']})"
            )
            print(line)
            med[tree] = statistics.median(apply) + statistics.median(leak)
        print(f"  ratio before/after (apply + leak check): {med[before] / med[after]:.2f}x")


if __name__ == "__main__":
    main()
