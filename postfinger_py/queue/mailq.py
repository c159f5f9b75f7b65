"""Parse `mailq` (`postqueue -p`) text, the fallback for Postfix older than 3.1.

The text loses facts `postqueue -j` has: the arrival time is local time without a year, and the
queue is only marked for active (`*`) and hold (`!`) messages. We take a message with a delay
reason as deferred and one without as incoming, and say so.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from postfinger_py.queue.postqueue import Message, QueueListing, Recipient

_HEAD = re.compile(
    r"^(?P<id>[0-9A-Za-z]{6,})(?P<mark>[*!]?)\s+(?P<size>\d+)\s+"
    r"(?P<when>[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d)\s+(?P<sender>.*)$"
)
_REASON = re.compile(r"^\s+\((?P<reason>.*)\)\s*$")
_RCPT = re.compile(r"^\s+(?P<address>\S.*?)\s*$")
_OFFSET = re.compile(r"^([+-])(\d\d)(\d\d)$")

APPROXIMATION_NOTE = (
    "queue read from `mailq` text: ages assume the year of the report and the host's time "
    "zone, and deferred and incoming messages are told apart only by a delay reason"
)


def parse_utc_offset(text: str) -> timezone | None:
    """`date +%z` output (e.g. +0100) as a timezone, or None."""
    m = _OFFSET.match(text.strip())
    if not m:
        return None
    minutes = int(m.group(2)) * 60 + int(m.group(3))
    return timezone(timedelta(minutes=-minutes if m.group(1) == "-" else minutes))


def _arrival(when: str, now: datetime, tz: timezone) -> int:
    """The Unix time of `Sat Nov 21 21:24:13`: the latest such date not after now (plus a day)."""
    local_now = now.astimezone(tz)
    for year in (local_now.year, local_now.year - 1):
        try:
            stamp = datetime.strptime(f"{year} {when[4:]}", "%Y %b %d %H:%M:%S")
        except ValueError:  # Feb 29 in a year without one
            continue
        stamp = stamp.replace(tzinfo=tz)
        if stamp <= local_now + timedelta(days=1):
            return int(stamp.timestamp())
    return int(now.timestamp())


def parse_mailq(text: str, now: datetime, tz: timezone = timezone.utc) -> QueueListing:
    """Messages of `mailq` text; lines that fit no pattern are counted as unreadable."""
    listing = QueueListing()
    current: tuple[str, str, int, int, str] | None = None
    rcpts: list[Recipient] = []
    reason = ""
    has_reason = False

    def flush() -> None:
        if current is None:
            return
        qid, mark, arrival, size, sender = current
        queue = {"*": "active", "!": "hold"}.get(mark) or ("deferred" if has_reason else "incoming")
        listing.messages.append(
            Message(queue, qid, arrival, size, "" if sender == "MAILER-DAEMON" else sender, tuple(rcpts))
        )

    for no, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("-"):
            if not line.strip():
                flush()
                current, rcpts, reason, has_reason = None, [], "", False
            continue
        if line.startswith("Mail queue is empty"):
            continue
        head = _HEAD.match(line)
        if head:
            flush()
            rcpts, reason, has_reason = [], "", False
            current = (
                head["id"],
                head["mark"],
                _arrival(head["when"], now, tz),
                int(head["size"]),
                head["sender"].strip(),
            )
            continue
        if current is None:
            listing.bad_lines.append((no, "not a message line"))
            continue
        m = _REASON.match(line)
        if m:
            reason, has_reason = m["reason"], True
            continue
        m = _RCPT.match(line)
        if m:
            rcpts.append(Recipient(m["address"], reason))
            continue
        listing.bad_lines.append((no, "not a recipient line"))
    flush()
    return listing
