"""Findings checks on the queue: corrupt queue files, and why the deferred queue is stuck."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from postfinger_py.findings.finding import Finding

if TYPE_CHECKING:
    from postfinger_py.findings.facts import Facts

DEFERRED_NOTE = 10  # deferred messages from which the top reason is worth a note
DEFERRED_WARNING = 100  # ... and a warning


def corrupt_queue_files(facts: Facts) -> Iterator[Finding]:
    corrupt: dict[str, Any] = facts.data("queue").get("corrupt") or {}
    count = corrupt.get("count")
    if not count:
        return
    names: list[str] = list(corrupt.get("files", []))
    directory = str(corrupt.get("directory", "corrupt"))
    shown = ", ".join(names) + (f" and {count - len(names)} more" if count > len(names) else "")
    yield Finding(
        "warning",
        "queue-corrupt",
        f"{count} damaged queue file(s) were set aside in {directory}: that mail is not "
        "delivered, and its sender is not told.",
        (f"{directory}: {shown}",),
        f"look at each with postcat {directory}/NAME (the log line `damaged message` says "
        "when); delete what cannot be saved with postsuper -d (or remove the file)",
        "postsuper(1)",
    )


def deferred_reason(facts: Facts) -> Iterator[Finding]:
    data = facts.data("queue")
    deferred = data.get("deferred_messages") or 0
    top = (data.get("reasons") or {}).get("top") or []
    if deferred < DEFERRED_NOTE or not top:
        return
    first = top[0]
    recipients = sum(int(r.get("count", 0)) for r in top)
    severity = "warning" if deferred >= DEFERRED_WARNING else "note"
    yield Finding(
        severity,
        "queue-deferred-reason",
        f"{deferred} message(s) wait in the deferred queue; the most common reason "
        f"({first['count']} of {recipients} recipient(s) shown): {first['reason']}",
        (f"e.g. {first['example_id']}: {first['example']}",),
        "fix the cause the reason names, then postqueue -f retries them; "
        "`postfinger qshape deferred` shows which domains wait longest",
        "QSHAPE_README",
    )


CHECKS = [corrupt_queue_files, deferred_reason]
