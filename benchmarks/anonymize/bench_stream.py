"""Streaming benchmark: `postfinger anonymize` on synthetic logs of the sizes given (in MB), side
by side in the same run with the peer, `perl -pe` replacing each letter by A and each digit by
D on the same file: time, MB/s, peak RSS of each, and the ratio.

Run from the repository root:
    .venv/bin/python benchmarks/anonymize/bench_stream.py 10 50
    .venv/bin/python benchmarks/anonymize/bench_stream.py --relay 10 200
    .venv/bin/python benchmarks/anonymize/bench_stream.py --senders 10 100
    .venv/bin/python benchmarks/anonymize/bench_stream.py --part-size 5000 --state 10

Targets (issue 11): peak RSS below 200 MiB at any size, at least 10 MB/s. The logs are
gen_log.py's (many distinct clients, addresses, domains, users and queue IDs: a worst case for
what the anonymizer must remember), or with --relay make_log.py's busy relay (a new queue ID and
Message-ID per message, the rest from pools, as on a real server). The replacement chosen for
every distinct value, and every name learned (domains, user and host names), is moved to disk
between parts (--memory-entries). --senders: gen_log.py's log of ever new sender domains (a spam
run), where what is learned grows with every message. --state measures what stays in memory,
in process, after the command's timings.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(REPO))

import gen_log  # noqa: E402  (this directory's synthetic log generator)

PERL_AD = r"s/[A-Za-z]/A/g; s/[0-9]/D/g"
TIME = Path("/usr/bin/time")


def write_log(path: Path, size_mb: float, source: Path | None = None, senders: bool = False) -> int:
    """gen_log's lines (seed 42; with `senders` its ever new sender domains), or the lines of
    `source` over and over, until `size_mb` MB, written as they come (not held in memory)."""
    target = int(size_mb * 1_000_000)
    total = 0
    if source is not None:
        lines: Iterator[str] = _cycle_lines(source)
    elif senders:
        lines = gen_log.sender_lines(random.Random(42))
    else:
        lines = gen_log.lines(random.Random(42))
    with path.open("w", buffering=1 << 20) as fh:
        for line in lines:
            fh.write(line + "\n")
            total += len(line.encode()) + 1
            if total >= target:
                break
    return total


def _cycle_lines(source: Path) -> Iterator[str]:
    """The lines of `source` over and over, read as they are needed (it may be large)."""
    while True:
        with source.open("rb") as fh:
            for raw in fh:
                yield raw.decode("utf-8", "replace").rstrip("\n")


def timed(argv: list[str], out: Path) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MiB, exit status) of a command, its output to `out`.

    The peak is /usr/bin/time's (%M: the largest resident set of the command and the children
    it waited for, such as the anonymizer's forked half): measured from a small process,
    because a child's ru_maxrss counts the memory of the process that forked it (this one).
    """
    stats = out.with_suffix(".time")
    wrap = ["/usr/bin/time", "-f", "%e %M", "-o", str(stats)] if TIME.exists() else []
    with out.open("wb") as fh:
        start = time.perf_counter()
        proc = subprocess.Popen(wrap + argv, stdout=fh, cwd=REPO)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    rss = usage.ru_maxrss / 1024
    if wrap:
        rss = int(stats.read_text().split()[-1]) / 1024
    return wall, rss, os.waitstatus_to_exitcode(status)


def state_sizes(path: Path, key: Path, part_lines: int) -> dict[str, tuple[int, float]]:
    """Name -> (entries, MiB) of what the engine keeps after streaming `path` in process."""
    from postfinger_py.anonymize import AnonSettings, PartFilter
    from postfinger_py.commands.anonymize import _Input, _learn, _replace_all
    from postfinger_py.env import Env
    from postfinger_py.model import Options

    with tempfile.TemporaryDirectory(prefix="bench-state-") as spill_dir:
        filt = PartFilter(Env().live_context(Options()), AnonSettings(key_file=str(key)), spill_dir=spill_dir)
        item = _learn(filt, _Input(path.name, str(path), -1), part_lines)
        with tempfile.TemporaryFile() as out:
            _replace_all(filt, [item], part_lines, out)
        engine = filt.engine
        state = engine.state
        kept: dict[str, object] = {
            "replaced": state.replaced,
            "labels": state.labels.forward,
            "labels taken": state.labels.taken,
            "users": state.users.forward,
            "users taken": state.users.taken,
            "learned domains": engine.learned_domains,
            "learned hosts": engine.short_hosts,
            "learned users": engine.users,
            "checker": filt._checker._kinds,
            "checker locals": filt._checker._locals,
        }
        out_sizes = {}
        for name, obj in kept.items():
            # A spilled dict or set: its entries in memory (the rest are on disk), as a dict.
            mem = getattr(getattr(obj, "d", obj), "mem", obj)
            out_sizes[name] = (len(obj), deep_size(mem) / 2**20)  # type: ignore[arg-type]
        patterns = (engine.scanner(), engine.outer(), engine._token_outer)
        out_sizes["scanner patterns (chars)"] = (sum(len(p.pattern) for p in patterns if p), 0.0)
        filt.close()
    return out_sizes


def deep_size(obj: object) -> int:
    """Bytes of a container and everything in it (shared strings counted once)."""
    seen: set[int] = set()
    todo = [obj]
    total = 0
    while todo:
        o = todo.pop()
        if id(o) in seen:
            continue
        seen.add(id(o))
        total += sys.getsizeof(o)
        if isinstance(o, dict):
            todo.extend(o.keys())
            todo.extend(o.values())
        elif isinstance(o, (list, tuple, set, frozenset)):
            todo.extend(o)
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sizes", nargs="*", type=float, default=[10.0], metavar="MB")
    ap.add_argument(
        "--part-size",
        type=int,
        default=None,
        metavar="LINES",
        help="passed to postfinger anonymize (default: its default)",
    )
    ap.add_argument(
        "--relay",
        action="store_true",
        help="use benchmarks/logs/make_log.py's busy-relay log (a new queue ID and Message-ID "
        "per message, as a real server's log has) instead of gen_log.py's",
    )
    ap.add_argument(
        "--senders",
        action="store_true",
        help="use gen_log.py's log of ever new sender domains (a spam run: a domain and a bare "
        "label learned per message, what grows without bound on a big server)",
    )
    ap.add_argument(
        "--memory-entries",
        type=int,
        default=None,
        metavar="N",
        help="passed to postfinger anonymize (default: its default)",
    )
    ap.add_argument(
        "--from",
        dest="source",
        type=Path,
        metavar="LOG",
        help="repeat this (real) log to each size instead of generating one",
    )
    ap.add_argument(
        "--state",
        action="store_true",
        help="also measure the engine's learned state in process (for each size)",
    )
    args = ap.parse_args()
    what = (
        "make_log.py relay"
        if args.relay
        else args.source or "gen_log.py " + ("senders" if args.senders else "synthetic")
    )
    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()} (shared with other work); input: {what}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-stream-") as tmp:
        if args.relay:
            args.source = Path(tmp) / "relay.log"
            size_mib = int(max(args.sizes) * 1e6 / 2**20) + 1
            subprocess.run(
                [sys.executable, str(REPO / "benchmarks/logs/make_log.py"), str(size_mib), str(args.source)],
                check=True,
                stdout=subprocess.DEVNULL,
            )
        key = Path(tmp) / "key"
        key.write_text(os.urandom(32).hex() + "\n")
        key.chmod(0o600)
        sink = Path(tmp) / "out"
        for size in args.sizes:
            log = Path(tmp) / f"synthetic-{size:g}mb.log"
            nbytes = write_log(log, size, args.source, args.senders)
            mb = nbytes / 1e6
            part = ["--part-size", str(args.part_size)] if args.part_size else []
            if args.memory_entries:
                part += ["--memory-entries", str(args.memory_entries)]
            ours = timed(
                [sys.executable, "-m", "postfinger_py", "anonymize", "--anon-key", str(key), *part, str(log)],
                sink,
            )
            ours_bytes = sink.stat().st_size
            peer = timed(["perl", "-pe", PERL_AD, str(log)], sink)
            rows.append((mb, ours, peer))
            status = "ok" if ours[2] == 0 else f"EXIT STATUS {ours[2]}"
            print(
                f"{mb:7.1f} MB  postfinger anonymize: {ours[0]:7.2f} s {mb / ours[0]:6.2f} MB/s "
                f"peak RSS {ours[1]:6.1f} MiB ({status}, {ours_bytes} bytes out) | perl A/D: "
                f"{peer[0]:6.2f} s {mb / peer[0]:6.1f} MB/s peak RSS {peer[1]:5.1f} MiB | "
                f"ratio (time ours / perl) {ours[0] / peer[0]:5.1f}x"
            )
            if args.state:
                for name, (count, mib) in state_sizes(log, key, args.part_size or 20000).items():
                    print(f"    kept after the run: {name:30} {count:9} entries {mib:7.1f} MiB in memory")
            log.unlink()
    if len(rows) > 1:
        (mb0, o0, _), (mb1, o1, _) = rows[0], rows[-1]
        print(
            f"peak RSS growth from {mb0:.0f} to {mb1:.0f} MB: "
            f"{(o1[1] - o0[1]) / (mb1 - mb0):.2f} MiB per MB of input"
        )
    worst = max(r[1][1] for r in rows)
    slowest = min(r[0] / r[1][0] for r in rows)
    print(
        f"targets: peak RSS < 200 MiB: {'met' if worst < 200 else 'NOT met'} "
        f"(worst {worst:.0f} MiB); >= 10 MB/s: {'met' if slowest >= 10 else 'NOT met'} "
        f"(slowest {slowest:.2f} MB/s)"
    )


if __name__ == "__main__":
    main()
