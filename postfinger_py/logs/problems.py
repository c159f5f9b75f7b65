"""Finding Postfix's own warning/error/fatal/panic lines and master start/stop lines, and their kinds."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Callable

from postfinger_py.logs.kinds import CONNECT, Explainer
from postfinger_py.logs.lines import LogLine, YearGuesser, parse_line
from postfinger_py.logs.scan import ReadNotes, Window, decode, line_at

# Starts with a literal, so Python's re scans fast; the severity word must follow `prog[pid]: `
# directly, which parse_line then confirms (a remote reply or reject_warning never matches).
SCAN = re.compile(
    rb"\]: (?:(?:warning|error|fatal|panic): |daemon started|terminating on signal|reload -- |"
    rb"starting the Postfix|stopping the Postfix|refreshing the Postfix|"
    rb"connect from unknown\[|NOQUEUE: reject: )"
)
# The same words split as first letter + rest: one character class turns away the lines that
# start with a queue ID or `connect` before any alternative is tried. 20% less CPU than SCAN over
# the benchmark log (0.63 vs 0.78 s/GiB); it lets through a few nonsense mixes (`]: wrror: `),
# so each hit is checked with SCAN.
PREFILTER = re.compile(
    rb"\]: [wefpdtrscN](?:arning: |rror: |atal: |anic: |aemon started|erminating on signal|"
    rb"eload -- |tarting the Postfix|topping the Postfix|efreshing the Postfix|"
    rb"onnect from unknown\[|OQUEUE: reject: )"
)
# Delivery failures, for the summary by reason (kinds.py). A separate search: in one pattern with
# the above it would lose the literal prefix and scan 4x slower. The window is already in memory.
STATUS = re.compile(rb", status=(?:deferred|bounced) \(")
SENT = b", status=sent "
_LIFECYCLE = (
    "daemon started",
    "terminating on signal",
    "reload -- ",
    "starting the Postfix",
    "stopping the Postfix",
    "refreshing the Postfix",
)

MAX_KINDS = 500  # distinct kinds tracked; beyond that they are counted as "other"

# (a character the pattern needs, pattern, placeholder): the check skips a pattern that cannot
# match, cheaper than letting it try every position (on the benchmark log's 6,453 problem lines:
# 285 ms before, 120-150 ms with the checks).
_NORMALIZE = [
    # host[address] and [address]:port
    (
        "[",
        re.compile(
            r"[\w.-]*\[(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-fA-F:]*:[0-9a-fA-F:.]*)\]"
            r"(?::\d+)?"
        ),
        "HOST[ADDR]",
    ),
    (".", re.compile(r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?![\w.])"), "ADDR"),
    ("@", re.compile(r"[^\s<>\"'@,;()\[\]]+@[\w.-]+"), "USER@DOMAIN"),
    # long queue IDs (enable_long_queue_ids) and classic hex ones
    (
        "z",
        re.compile(r"\b[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{10,}z[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-y]+\b"),
        "QUEUEID",
    ),
    ("", re.compile(r"\b[0-9A-F]{6,12}\b"), "QUEUEID"),
    ("", re.compile(r"\d+"), "N"),
]


def normalize(message: str) -> str:
    """The kind of a message: IDs, numbers, addresses and host[ip] replaced by placeholders."""
    for needs, rx, repl in _NORMALIZE:
        if needs in message:
            message = rx.sub(repl, message)
    return message


def is_lifecycle(line: LogLine) -> bool:
    return line.message.startswith(_LIFECYCLE) and (
        line.prog.endswith("/master") or line.prog.endswith("master") or line.prog.endswith("postfix-script")
    )


@dataclass
class Kind:
    kind: str
    count: int
    first: str  # timestamp as written in the log
    last: str


@dataclass
class ProblemScan:
    """Accumulates what a scan of one or more files found, in time (file) order."""

    limit: int  # first N problem lines kept; 0 keeps none (they go to on_problem instead)
    since: datetime | None = None
    on_problem: Callable[[LogLine], None] | None = None  # e.g. print as found (--limit 0)
    problems: list[LogLine] = field(default_factory=list)
    total: int = 0
    kinds: dict[str, Kind] = field(default_factory=dict)
    other_kinds: int = 0
    lifecycle: list[LogLine] = field(default_factory=list)
    lifecycle_total: int = 0
    undated: int = 0
    first_time: datetime | None = None
    last_time: datetime | None = None
    explain: Explainer = field(default_factory=Explainer)

    def feed(self, windows: Iterable[Window], years: YearGuesser, local: tzinfo, notes: ReadNotes) -> None:
        for w in windows:
            buf = w.buf
            for m in PREFILTER.finditer(buf, w.start, w.end):
                if not SCAN.match(buf, m.start()):
                    continue
                s, e = line_at(w, m.start())
                line = parse_line(decode(buf[s:e], notes), years, local)
                # The match must be the line's first `]: `: Postfix's own severity word.
                if line is None or buf.find(b"]: ", s, m.start() + 3) != m.start():
                    continue
                self._take(line)
            self._deliveries(w, years, local, notes)

    def _deliveries(self, w: Window, years: YearGuesser, local: tzinfo, notes: ReadNotes) -> None:
        """Deferred and bounced deliveries, and a count of sent ones (for the failure summary)."""
        buf = w.buf
        for m in STATUS.finditer(buf, w.start, w.end):
            s, e = line_at(w, m.start())
            line = parse_line(decode(buf[s:e], notes), years, local)
            if (
                line is None
                or line.severity
                or (line.when is not None and self.since is not None and line.when < self.since)
            ):
                continue
            self.explain.take_delivery(line)
        sent = buf[w.start : w.end].count(SENT)  # a copy: mmap has no count(), memcpy is cheap
        if sent and self.since is not None:  # counted per window: its last line's time decides
            s, e = line_at(w, w.end - 1)
            last = parse_line(decode(buf[s:e]), years, local)
            if last is not None and last.when is not None and last.when < self.since:
                sent = 0
        self.explain.sent += sent

    def _take(self, line: LogLine) -> None:
        if line.when is not None and self.since is not None and line.when < self.since:
            return
        if line.when is None:
            self.undated += 1
        elif self.first_time is None:
            self.first_time = line.when
        if line.when is not None:
            self.last_time = line.when
        if line.severity:
            self.total += 1
            if len(self.problems) < self.limit:
                self.problems.append(line)
            if self.on_problem is not None:
                self.on_problem(line)
            self._count(line)
            self.explain.take(line)
        elif line.message.startswith("NOQUEUE: reject: "):
            self.explain.take_reject(line)
        elif line.message.startswith("connect from unknown["):
            self.explain.take(line, CONNECT)
        elif is_lifecycle(line):
            self.lifecycle_total += 1
            self.lifecycle.append(line)
            if len(self.lifecycle) > 40:
                del self.lifecycle[:20]

    def _count(self, line: LogLine) -> None:
        key = f"{line.prog} {normalize(line.message)}"
        kind = self.kinds.get(key)
        if kind is None:
            if len(self.kinds) >= MAX_KINDS:
                self.other_kinds += 1
                return
            self.kinds[key] = Kind(key, 1, line.stamp, line.stamp)
        else:
            kind.count += 1
            kind.last = line.stamp
