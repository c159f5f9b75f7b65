"""The anonymize stage of a real report: collect live once, then time anonymize() and the leak
checks of the rendered text and JSON, each separately, N times (medians and spread).

Run from the repository root (the real Postfix must be running; collection is not timed):
    /work/venv/bin/python benchmarks/anonymize/bench_report.py [REPEATS] [-- postfinger options]
e.g. `... bench_report.py 7 -- --all`. With PYTHONPATH pointing at another tree, the same
script times that tree's anonymizer on a report it collects itself (compare.py does this).
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import time
from pathlib import Path

if "PYTHONPATH" not in os.environ:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def _collect(argv: list[str]):  # type: ignore[no-untyped-def]
    from postfinger_py.commands import report as pipeline
    from postfinger_py.commands.report import build_parser
    from postfinger_py.env import Env

    env = Env(stdout=io.StringIO(), stderr=io.StringIO(), stderr_isatty=False)
    args = pipeline.request_from_args(build_parser(env).parse_args(argv))
    progress = pipeline.Progress(env)
    ctx, _finish, source, _cleanup = pipeline.build_context(args, env, progress)
    sections = pipeline.collect(args, ctx, progress)
    report = pipeline.make_report(sections, env.clock(), "", True, source)
    if not report.mail_version:
        report.mail_version, report.hostname = pipeline.header_facts(ctx)
    return report


def main() -> None:
    argv = sys.argv[1:]
    extra: list[str] = []
    if "--" in argv:
        extra = argv[argv.index("--") + 1 :]
        argv = argv[: argv.index("--")]
    repeats = int(argv[0]) if argv else 5
    t0 = time.perf_counter()
    import postfinger_py.anonymize as anon

    anon.preload()
    t_preload = time.perf_counter() - t0
    report = _collect(extra)
    from postfinger_py.render import render_json, render_text

    size = sum(len(v) for s in report.sections for v in s.raw.values())
    times: dict[str, list[float]] = {"anonymize": [], "leak text": [], "leak json": []}
    leaks: set[str | None] = set()
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = anon.anonymize(report, anon.AnonSettings())
        times["anonymize"].append(time.perf_counter() - t0)
        text = render_text(result.report)
        json_text = render_json(result.report)
        for name, rendered in (("leak text", text), ("leak json", json_text)):
            t0 = time.perf_counter()
            leaks.add(result.find_leak(rendered))
            times[name].append(time.perf_counter() - t0)
    total = [sum(t) for t in zip(*times.values())]
    print(
        f"tree {os.environ.get('PYTHONPATH', 'this one')}; preload {t_preload:.2f} s; "
        f"report: {len(report.sections)} sections, {size // 1000} kB raw, "
        f"text {len(text) // 1000} kB, json {len(json_text) // 1000} kB; "
        f"load {os.getloadavg()[0]:.2f}"
    )
    for name, values in [*list(times.items()), ("stage total", total)]:
        print(
            f"  {name:<12} median {statistics.median(values):.3f} s  "
            f"min {min(values):.3f}  max {max(values):.3f}  (n={len(values)})"
        )
    print(f"  leak verdicts: {sorted(str(v) for v in leaks)}")


if __name__ == "__main__":
    main()
