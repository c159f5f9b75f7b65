"""The whole story of one message: its queue ID's lines, the smtpd session, and the IDs it leads to."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import tzinfo

from postfinger_py.logs.lines import LogLine, YearGuesser, parse_line
from postfinger_py.logs.scan import LOOK_BACK, ReadNotes, Window, decode, line_at

QUEUE_ID = re.compile(
    r"(?:[0-9A-F]{6,12}|[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{10,}z[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-y]+)"
)
# Where one message leads to another: re-injection after a content filter or a local relay
# (`queued as NEWID`), and the notifications bounce/defer/trace send.
_LINKS = re.compile(
    r"queued as (" + QUEUE_ID.pattern + r")\b|(?:non-delivery|delivery status|delay status|"
    r"postmaster non-delivery|delivery) notification: (" + QUEUE_ID.pattern + r")\b"
)
# What a non-verbose smtpd logs in a session; anything else there is -v / debug_peer_list noise.
_SESSION_KEEP = re.compile(
    r"(?:connect from |disconnect from |lost connection |timeout after |NOQUEUE: |"
    r"(?:warning|error|fatal|panic): |too many errors |improper command pipelining |"
    r"(?:Anonymous|Untrusted|Trusted|Verified) TLS connection |SSL_accept error |"
    r"(?:" + QUEUE_ID.pattern + r"): |hangup |Connection concurrency limit |Connection rate limit |"
    r"Message delivery request rate limit |non-SMTP command |discarding EHLO keywords |"
    r"reject: |proxy-reject: |filter: |hold: |discard: |redirect: |warning )"
)
_LOCAL_RELAY = re.compile(r"relay=(?:[^,\s]*\[(?:127\.[\d.]+|::1)\]|localhost\b|127\.)")
MAX_LINES = 2000  # a message's story beyond this is cut (a mail loop, a huge recipient list)

Key = tuple[int, int]  # (file index, stream offset): time order across files


def classify(query: str) -> str:
    """queue-id, message-id (in <>), or address."""
    q = query.strip()
    if q.startswith("<") and q.endswith(">"):
        return "message-id"
    if QUEUE_ID.fullmatch(q):
        return "queue-id"
    if "@" in q:
        return "address"
    return "message-id"


@dataclass
class _Session:
    anchor: Key  # the `ID: client=` line
    lines: dict[Key, LogLine] = field(default_factory=dict)
    closed: bool = False


@dataclass
class Tracer:
    """Follows one queue ID (and the IDs it links to) through windows of the log, in one pass."""

    queue_id: str
    lines: dict[Key, LogLine] = field(default_factory=dict)
    ids: list[str] = field(default_factory=list)
    sessions: dict[str, _Session] = field(default_factory=dict)
    cut: bool = False
    _targets: dict[bytes, str] = field(default_factory=dict)  # literal -> queue ID or process
    _fresh: set[bytes] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._add_id(self.queue_id)

    def _add_id(self, qid: str) -> None:
        if qid not in self.ids:
            self.ids.append(qid)
            # A queue ID's own lines hold `prog[pid]: ID: `; searching `: ID:` skips the other
            # mentions (queued as, notification:) and is found faster than the bare ID.
            lit = b": " + qid.encode() + b":"
            self._targets[lit] = qid
            self._fresh.add(lit)

    def feed(
        self, windows: Iterable[Window], years: YearGuesser, local: tzinfo, notes: ReadNotes, file_index: int
    ) -> None:
        prev: list[Window] = []  # the windows before, still intact (scan.LOOK_BACK of them)
        for w in windows:
            done: set[bytes] = set()
            while True:
                todo = [t for t in self._targets if t not in done]
                if not todo:
                    break
                for lit in todo:
                    done.add(lit)
                    look = [w]
                    if lit in self._fresh:
                        look = prev + look  # its first lines may precede the line naming it
                    self._fresh.discard(lit)
                    for ww in look:
                        self._search(ww, lit, years, local, notes, file_index)
            self._fresh.clear()
            prev = [*prev, w][-LOOK_BACK:]

    def _search(
        self, w: Window, lit: bytes, years: YearGuesser, local: tzinfo, notes: ReadNotes, file_index: int
    ) -> None:
        buf, end = w.buf, w.end
        i = w.find(lit, w.start, end)
        while i >= 0:
            s, e = line_at(w, i)
            key = (file_index, w.base + s)
            owner = self._targets.get(lit)
            if owner is not None and key not in self.lines:
                line = parse_line(decode(buf[s:e], notes), years, local)
                if line is not None:
                    self._take(key, line, owner)
            i = w.find(lit, e + 1, end) if e + 1 < end else -1

    def _take(self, key: Key, line: LogLine, owner: str) -> None:
        if owner.startswith(" "):  # a process token: a candidate line of an smtpd session
            sess = self.sessions.get(owner)
            if sess is None or sess.closed or line.process != owner[1:-2]:
                return
            sess.lines[key] = line
            if line.message.startswith("disconnect from ") and key > sess.anchor:
                sess.closed = True
                self._targets.pop(owner.encode(), None)
            return
        if not line.message.startswith(owner + ": "):
            return  # the ID appears in another message's line (or a remote reply)
        if len(self.lines) >= MAX_LINES:
            self.cut = True
            return
        self.lines[key] = line
        rest = line.message[len(owner) + 2 :]
        if rest.startswith("client=") and line.process not in self.sessions:
            token = f" {line.process}: "
            self.sessions[token] = _Session(anchor=key, lines={key: line})
            self._targets[token.encode()] = token
            self._fresh.add(token.encode())
        local_relay = _LOCAL_RELAY.search(rest) is not None
        for m in _LINKS.finditer(rest):
            new = m.group(1) or m.group(2)
            # `queued as` from a remote server names ITS queue, not ours: follow it only when
            # the mail went back into this host (a content filter on loopback).
            if new and new != owner and (m.group(2) or local_relay):
                self._add_id(new)

    def result(self) -> tuple[list[LogLine], int, list[str]]:
        """(lines in log order, verbose session lines left out, notes)."""
        merged: dict[Key, LogLine] = dict(self.lines)
        omitted = 0
        notes: list[str] = []
        for token, sess in self.sessions.items():
            keys = sorted(sess.lines)
            at = keys.index(sess.anchor)
            lo = at
            while lo > 0 and not sess.lines[keys[lo]].message.startswith("connect from "):
                lo -= 1
            if not sess.lines[keys[lo]].message.startswith("connect from "):
                notes.append(f"the start of the{token}session was not found near the message")
            hi = at
            while hi < len(keys) - 1 and not sess.lines[keys[hi]].message.startswith("disconnect from "):
                hi += 1
            for k in keys[lo : hi + 1]:
                if k in merged:
                    continue
                if _SESSION_KEEP.match(sess.lines[k].message):
                    merged[k] = sess.lines[k]
                else:
                    omitted += 1
        if self.cut:
            notes.append(f"only the first {MAX_LINES} lines of this message's story are kept")
        return [merged[k] for k in sorted(merged)], omitted, notes


@dataclass
class Finder:
    """For an address or Message-ID: which queue IDs mention it (to=, from=, orig_to=, message-id=)."""

    query: str
    kind: str
    found: list[tuple[Key, str]] = field(default_factory=list)  # (where, queue ID), log order
    noqueue: list[LogLine] = field(default_factory=list)

    def feed(
        self, windows: Iterable[Window], years: YearGuesser, local: tzinfo, notes: ReadNotes, file_index: int
    ) -> None:
        q = self.query.strip().strip("<>")
        lit = f"<{q}>".encode()
        if self.kind == "message-id":
            fields: tuple[str, ...] = (f"message-id=<{q}>",)
        else:
            fields = (f"to=<{q}>", f"from=<{q}>", f"orig_to=<{q}>")
        for w in windows:
            buf = w.buf
            i = w.find(lit, w.start, w.end)
            while i >= 0:
                s, e = line_at(w, i)
                line = parse_line(decode(buf[s:e], notes), years, local)
                if line is not None and any(f in line.message for f in fields):
                    head = line.message.split(": ", 1)[0]
                    if QUEUE_ID.fullmatch(head):
                        self.found.append(((file_index, w.base + s), head))
                    elif head == "NOQUEUE":
                        self.noqueue.append(line)
                        del self.noqueue[:-20]
                i = w.find(lit, e + 1, w.end) if e + 1 < w.end else -1

    def queue_ids(self) -> list[str]:
        """Distinct queue IDs, the most recent last."""
        order: dict[str, Key] = {}
        for key, qid in self.found:
            order.pop(qid, None)
            order[qid] = key
        return list(order)
