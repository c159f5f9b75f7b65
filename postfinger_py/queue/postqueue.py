"""Parse `postqueue -j` output (Postfix 3.1+): one JSON object a line, one line a message."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

QUEUE_NAMES: tuple[str, ...] = ("maildrop", "incoming", "active", "deferred", "hold")


class Recipient(NamedTuple):
    address: str
    delay_reason: str  # "" when showq gave none (not yet tried, or not deferred)


class Message(NamedTuple):
    """One queued message as showq reports it. `sender` is "" for the null sender."""

    queue_name: str
    queue_id: str
    arrival_time: int
    size: int
    sender: str
    recipients: tuple[Recipient, ...]
    forced_expire: bool = False


@dataclass
class QueueListing:
    """All messages of a listing, and what could not be read (line numbers, why)."""

    messages: list[Message] = field(default_factory=list)
    bad_lines: list[tuple[int, str]] = field(default_factory=list)

    def problems(self, what: str = "postqueue -j") -> list[str]:
        """Notes for the user: how many lines were unreadable, with the first reason."""
        if not self.bad_lines:
            return []
        first_no, first_why = self.bad_lines[0]
        return [
            f"{len(self.bad_lines)} line(s) of `{what}` output could not be read and were "
            f"left out (first: line {first_no}: {first_why})"
        ]

    def in_queues(self, names: Collection[str]) -> list[Message]:
        return [m for m in self.messages if m.queue_name in names]


def _message(obj: Any, null_sender: str) -> Message:
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    rcpts = obj.get("recipients")
    if not isinstance(rcpts, list):
        raise ValueError("no recipients list")
    recipients = []
    for r in rcpts:
        if not isinstance(r, dict) or not isinstance(r.get("address"), str):
            raise ValueError("a recipient without an address")
        reason = r.get("delay_reason")
        recipients.append(Recipient(r["address"], reason if isinstance(reason, str) else ""))
    sender = obj.get("sender")
    arrival = obj.get("arrival_time")
    queue_name = obj.get("queue_name")
    if not isinstance(sender, str) or not isinstance(queue_name, str):
        raise ValueError("no sender or queue_name")
    if not isinstance(arrival, (int, float)) or isinstance(arrival, bool):
        raise ValueError("no arrival_time")
    size = obj.get("message_size")
    return Message(
        queue_name=queue_name,
        queue_id=str(obj.get("queue_id", "")),
        arrival_time=int(arrival),
        size=size if isinstance(size, int) else 0,
        # showq prints the null sender as empty_address_recipient; qshape wants it empty.
        sender="" if sender == null_sender else sender,
        recipients=tuple(recipients),
        forced_expire=obj.get("forced_expire") is True,
    )


_BATCH = 1000  # lines parsed by one json.loads: several times faster than one call a line


def _lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number, line) of `text`, split at newlines only (no list of all lines in memory;
    JSON from postqueue escapes control characters, so a newline always ends a message)."""
    pos, no, end_of_text = 0, 0, len(text)
    while pos < end_of_text:
        end = text.find("\n", pos)
        if end < 0:
            end = end_of_text
        no += 1
        yield no, text[pos:end]
        pos = end + 1


def _parse_batch(
    batch: list[tuple[int, str]], null_sender: str, bad_lines: list[tuple[int, str]]
) -> Iterator[Message]:
    objects: list[Any] | None
    try:
        objects = json.loads("[" + ",".join(line for _, line in batch) + "]")
    except ValueError:
        objects = None
    pairs: list[tuple[int, Any]]
    if isinstance(objects, list) and len(objects) == len(batch):
        pairs = [(no, obj) for (no, _), obj in zip(batch, objects)]
    else:  # some line is broken (or holds more than one value): find which, one by one
        pairs = []
        for no, line in batch:
            try:
                pairs.append((no, json.loads(line)))
            except ValueError as exc:
                bad_lines.append((no, str(exc).split(":")[0] or "not JSON"))
    for no, obj in pairs:
        try:
            yield _message(obj, null_sender)
        except ValueError as exc:
            bad_lines.append((no, str(exc)))


def iter_postqueue_json(
    text: str, bad_lines: list[tuple[int, str]], null_sender: str = "MAILER-DAEMON"
) -> Iterator[Message]:
    """Messages of `postqueue -j` output one by one, parsed in batches (memory stays small on a
    queue of 100,000 messages); unreadable lines go to `bad_lines` as (line number, why)."""
    batch: list[tuple[int, str]] = []
    for no, line in _lines(text):
        if not line.strip():
            continue
        batch.append((no, line))
        if len(batch) >= _BATCH:
            yield from _parse_batch(batch, null_sender, bad_lines)
            batch = []
    if batch:
        yield from _parse_batch(batch, null_sender, bad_lines)


def parse_postqueue_json(text: str, null_sender: str = "MAILER-DAEMON") -> QueueListing:
    """Messages of `postqueue -j` output; unreadable lines are counted, never fatal."""
    listing = QueueListing()
    listing.messages.extend(iter_postqueue_json(text, listing.bad_lines, null_sender))
    return listing
