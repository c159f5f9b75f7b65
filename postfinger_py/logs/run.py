"""The log work shared by the report sections and the `logs` / `trace` subcommands."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any, Callable

from postfinger_py.logs.discover import Discovery, discover, local_zone, read_source
from postfinger_py.logs.lines import LogLine, YearGuesser
from postfinger_py.logs.problems import ProblemScan
from postfinger_py.logs.scan import ReadNotes, Window
from postfinger_py.logs.trace import Finder, Tracer, classify
from postfinger_py.model import Context
from postfinger_py.progress import byte_meter
from postfinger_py.since import Since, window

MAX_KIND_ROWS = 50


@dataclass
class LogRun:
    """What a pass over the logs found, with the notes a helper must see."""

    disc: Discovery
    window: str
    notes: list[str] = field(default_factory=list)
    read_failures: int = 0

    @property
    def sources(self) -> list[dict[str, Any]]:
        return [{"name": s.name, "size": s.size} for s in self.disc.sources]


def _read_all(
    ctx: Context,
    disc: Discovery,
    run: LogRun,
    feed: Callable[[Iterator[Window], YearGuesser, tzinfo, ReadNotes, int], None],
    verb: str = "reading",
) -> None:
    count = len(disc.sources)
    for index, src in enumerate(disc.sources):
        label = f"{verb} {src.name}" + (f" ({index + 1} of {count})" if count > 1 else "")
        meter = byte_meter(ctx.progress, label, src.size)
        if meter is None:
            ctx.progress(label)

        def consume(wins: Iterator[Window], years: YearGuesser, notes: ReadNotes, index: int = index) -> None:
            feed(wins, years, disc.local, notes, index)

        notes, complete = read_source(ctx, src, disc.local, consume, meter)
        if not complete:
            run.read_failures += 1
        run.notes.extend(notes)


def problems(
    ctx: Context, limit: int, since: Since | None, on_problem: Callable[[LogLine], None] | None = None
) -> tuple[ProblemScan, LogRun]:
    """Scan the window (the default one when `since` is None) for problem lines."""
    local, zone_note = local_zone(ctx)
    start, phrase = window(since, ctx.now, local)
    disc = discover(ctx, start, local)
    run = LogRun(disc, phrase, ([zone_note] if zone_note else []) + list(disc.notes), disc.unread)
    scan = ProblemScan(limit=limit, since=start, on_problem=on_problem)

    def feed(wins: Iterator[Window], years: YearGuesser, loc: tzinfo, notes: ReadNotes, index: int) -> None:
        scan.feed(wins, years, loc, notes)

    _read_all(ctx, disc, run, feed)
    if scan.undated:
        run.notes.append(
            f"{scan.undated} matching line(s) had no readable timestamp; "
            "they are included regardless of the window"
        )
    return scan, run


def problems_data(scan: ProblemScan, run: LogRun) -> dict[str, Any]:
    kinds = list(scan.kinds.values())
    return {
        "how": run.disc.how,
        "window": run.window,
        "sources": run.sources,
        "problems": [p.text for p in scan.problems],
        "problem_total": scan.total,
        "problem_limit": scan.limit,
        "kinds": [
            {"count": k.count, "first": k.first, "last": k.last, "kind": k.kind}
            for k in kinds[:MAX_KIND_ROWS]
        ],
        "kinds_total": len(kinds),
        "kinds_more": max(0, len(kinds) - MAX_KIND_ROWS),
        "kinds_other": scan.other_kinds,
        "lifecycle": [ln.text for ln in scan.lifecycle[-20:]],
        "lifecycle_total": scan.lifecycle_total,
        "unread": run.read_failures,  # logs not (completely) read: "none found" would mislead
        **scan.explain.data(),
    }


def trace(ctx: Context, query: str) -> tuple[dict[str, Any], LogRun]:
    """The story of one message; the whole log is read (a message may be days old)."""
    local, zone_note = local_zone(ctx)
    disc = discover(ctx, None, local)
    run = LogRun(disc, "the whole log", ([zone_note] if zone_note else []) + list(disc.notes), disc.unread)
    kind = classify(query)
    data: dict[str, Any] = {
        "query": query,
        "kind": kind,
        "how": disc.how,
        "sources": run.sources,
        "queue_ids": [],
        "lines": [],
        "omitted_verbose": 0,
        "others": [],
        "noqueue": [],
    }
    qid = query.strip()
    if kind != "queue-id":
        finder = Finder(query, kind)
        # The first of two passes: which queue IDs the address or Message-ID names.
        _read_all(ctx, disc, run, lambda w, y, lo, n, i: finder.feed(w, y, lo, n, i), verb="searching")
        ids = finder.queue_ids()
        data["noqueue"] = [ln.text for ln in finder.noqueue]
        if not ids:
            return data, run
        qid = ids[-1]
        data["others"] = ids[:-1]
        run.notes = _dedupe(run.notes)
    tracer = Tracer(qid)
    _read_all(ctx, disc, run, tracer.feed)
    lines, omitted, notes = tracer.result()
    run.notes = _dedupe(run.notes + notes)
    found = [i for i in tracer.ids if any(ln.message.startswith(i + ": ") for ln in lines)]
    data.update(queue_ids=found, lines=[ln.text for ln in lines], omitted_verbose=omitted)
    return data, run


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
