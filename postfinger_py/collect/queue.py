"""Queue section: messages per queue, qshape of the deferred queue, why mail is stuck, oldest age."""

from __future__ import annotations

import re
from typing import Any

from postfinger_py.collect.base import Collector
from postfinger_py.collect.common import postconf_values as layout_values
from postfinger_py.errors import PostfingerError
from postfinger_py.files import FileProblem
from postfinger_py.model import Context, Section, Status
from postfinger_py.queue.postqueue import QUEUE_NAMES, Message
from postfinger_py.queue.qshape import QshapeOptions, Shape
from postfinger_py.queue.source import (
    SOURCE_JSON,
    SOURCE_PERL,
    load_json,
    load_text,
    postconf_values,
    run_perl_qshape,
)

REASON_LIMIT = 10  # distinct delay reasons shown
CORRUPT_NAMES = 5  # names of corrupt queue files shown

# Delay reasons differ per message only in the parts below; replacing them groups alike reasons.
_NORMALIZERS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"<[^<>\s]*@[^<>\s]*>"), "<ADDRESS>"),
    (re.compile(r"\b[\w.-]+\[(?:[0-9.]+|[0-9A-Fa-f:.]+|ipv6:[0-9A-Fa-f:.]+)\]"), "HOST[IP]"),
    (re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b"), "IP"),
    (re.compile(r"\b[0-9A-F]{6,}\b|\b[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{12,}\b"), "QUEUEID"),
    (re.compile(r"\s+"), " "),
)


def normalize_reason(reason: str) -> str:
    """A delay reason with addresses, hosts, IP addresses and queue IDs replaced by placeholders."""
    text = reason.strip()
    for pattern, replacement in _NORMALIZERS:
        text = pattern.sub(replacement, text)
    return text


def human_age(seconds: float) -> str:
    """4d 3h, 2h 5m, 7m 3s, 12s: the two largest units."""
    s = max(int(seconds), 0)
    parts: list[tuple[int, str]] = [
        (s // 86400, "d"),
        (s % 86400 // 3600, "h"),
        (s % 3600 // 60, "m"),
        (s % 60, "s"),
    ]
    while len(parts) > 1 and parts[0][0] == 0:
        parts.pop(0)
    return " ".join(f"{n}{unit}" for n, unit in parts[:2])


def delay_reasons(messages: list[Message], limit: int = REASON_LIMIT) -> dict[str, Any]:
    """The most common normalized delay reasons, with counts of recipients and an example."""
    groups: dict[str, list[Any]] = {}  # normalized -> [count, example id, example text]
    for m in messages:
        for r in m.recipients:
            if not r.delay_reason:
                continue
            key = normalize_reason(r.delay_reason)
            entry = groups.get(key)
            if entry is None:
                groups[key] = [1, m.queue_id, r.delay_reason]
            else:
                entry[0] += 1
    ranked = sorted(groups.items(), key=lambda kv: (-kv[1][0], kv[0]))
    return {
        "top": [{"reason": k, "count": v[0], "example_id": v[1], "example": v[2]} for k, v in ranked[:limit]],
        "cut": max(len(ranked) - limit, 0),
        "distinct": len(ranked),
    }


def shape_table(messages: list[Message], options: QshapeOptions, now: int, top: int) -> dict[str, Any]:
    """qshape's table of these messages: heading, TOTAL and the top rows; how many were cut."""
    counted = Shape(options, now)
    for m in messages:
        counted.add(m.arrival_time, m.sender, [r.address for r in m.recipients])
    rows = len(counted.rows(0))
    text = counted.table(top + 1)
    return {"lines": text.splitlines(), "rows": max(rows - 1, 0), "cut": max(rows - top - 1, 0)}


def _perl_table(ctx: Context, senders: bool, top: int) -> tuple[dict[str, Any], str]:
    text, why = run_perl_qshape(ctx, QshapeOptions(senders=senders), ["deferred"])
    if text is None:
        return {}, why
    lines = text.splitlines()
    rows = max(len(lines) - 2, 0)  # heading and TOTAL are not domains
    return {"lines": lines[: top + 2], "rows": rows, "cut": max(rows - top, 0)}, ""


class QueueCollector(Collector):
    name = "queue"
    title = "Mail queue"
    description = "messages per queue, qshape of the deferred queue, delay reasons, oldest message"
    order = 60

    def collect(self, ctx: Context) -> Section:
        top = max(ctx.options.qshape_top, 1)
        now = int(ctx.now.timestamp())
        values = postconf_values(ctx, "empty_address_recipient")
        null_sender = values[0] if values else "MAILER-DAEMON"
        listing = load_json(ctx, null_sender)
        notes = list(listing.notes)
        if listing.listing is None:
            section = self._without_json(ctx, notes, top, now)
        else:
            section = self._from_listing(
                listing.listing.messages, SOURCE_JSON, notes, top, now, {"postqueue-j.json": listing.raw}
            )
        section.data["corrupt"] = corrupt_files(ctx)
        return section

    def _from_listing(
        self,
        messages: list[Message],
        source: str,
        notes: list[str],
        top: int,
        now: int,
        raw: dict[str, str],
    ) -> Section:
        by_queue: dict[str, list[Message]] = {q: [] for q in QUEUE_NAMES}
        for m in messages:
            by_queue.setdefault(m.queue_name, []).append(m)
        counts = [
            {"queue": q, "messages": len(ms), "recipients": sum(len(m.recipients) for m in ms)}
            for q, ms in by_queue.items()
        ]
        deferred = by_queue["deferred"]
        oldest = min(messages, key=lambda m: (m.arrival_time, m.queue_id), default=None)
        data: dict[str, Any] = {
            "source": source,
            "total_messages": len(messages),
            "counts": counts,
            "hold_messages": len(by_queue["hold"]),
            "deferred_messages": len(deferred),
            "oldest": None
            if oldest is None
            else {
                "queue_id": oldest.queue_id,
                "queue": oldest.queue_name,
                "age": human_age(now - oldest.arrival_time),
                "age_seconds": now - oldest.arrival_time,
            },
            "by_recipient": shape_table(deferred, QshapeOptions(), now, top),
            "by_sender": shape_table(deferred, QshapeOptions(senders=True), now, top),
            "reasons": delay_reasons(messages),
        }
        status = Status.OK if source == SOURCE_JSON and not notes else Status.PARTIAL
        return self.section(status, data=data, notes=notes, raw=raw)

    def _without_json(self, ctx: Context, notes: list[str], top: int, now: int) -> Section:
        """Perl qshape for the tables (needs root), else `postqueue -p` text for everything."""
        by_rcpt, why = _perl_table(ctx, False, top)
        if by_rcpt:
            by_sender, why2 = _perl_table(ctx, True, top)
            hold, _ = run_perl_qshape(ctx, QshapeOptions(senders=True, buckets=1), ["hold"])
            hold_count = _total_of(hold or "")
            notes.append(
                "message counts per queue, delay reasons and the oldest message need "
                "`postqueue -j` (Postfix 3.1+, showq running or root)"
            )
            if why2:
                notes.append(why2)
            data: dict[str, Any] = {
                "source": SOURCE_PERL,
                "total_messages": None,
                "counts": [],
                "hold_messages": hold_count,
                "deferred_messages": _total_of("\n".join(by_sender.get("lines", []))),
                "oldest": None,
                "by_recipient": by_rcpt,
                "by_sender": by_sender or {"lines": [], "rows": 0, "cut": 0},
                "reasons": {"top": [], "cut": 0, "distinct": 0},
            }
            return self.section(Status.PARTIAL, data=data, notes=notes)
        notes.append(why)
        text = load_text(ctx)
        notes.extend(text.notes)
        if text.listing is None:
            return self.section(Status.FAILED, data={"source": "none"}, notes=notes)
        return self._from_listing(
            text.listing.messages, text.source, notes, top, now, {"postqueue-p.txt": text.raw}
        )


def corrupt_files(ctx: Context) -> dict[str, Any]:
    """Queue files qmgr set aside as damaged ($queue_directory/corrupt): count, first names."""
    try:
        queue_dir = layout_values(ctx).get("queue_directory", "")
    except PostfingerError as exc:
        return {"directory": "", "count": None, "files": [], "problem": exc.message}
    directory = f"{queue_dir.rstrip('/')}/corrupt"
    try:
        names = sorted(ctx.files.listdir(directory))
    except FileProblem as exc:
        if exc.kind == "missing":  # Postfix creates it only when a file is set aside
            return {"directory": directory, "count": 0, "files": [], "problem": ""}
        return {"directory": directory, "count": None, "files": [], "problem": str(exc)}
    except PostfingerError as exc:  # a replayed snapshot made before this was looked at
        return {"directory": directory, "count": None, "files": [], "problem": exc.message}
    return {"directory": directory, "count": len(names), "files": names[:CORRUPT_NAMES], "problem": ""}


def _total_of(table: str) -> Any:
    """The TOTAL count of a qshape table, or None."""
    for line in table.splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[0] == "TOTAL" and fields[1].isdigit():
            return int(fields[1])
    return None
