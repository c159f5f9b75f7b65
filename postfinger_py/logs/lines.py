"""Pure parsing of mail log lines: classic syslog and RFC 3339 timestamps, and journald JSON records."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Any

from postfinger_py.textbytes import decode_text

MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}

# `Nov 21 21:11:20 host prog[pid]: message` (the day is space-padded: `Nov  1`).
_CLASSIC = re.compile(
    r"(?P<mon>[A-Z][a-z]{2}) (?P<day>[ \d]?\d) (?P<h>\d\d):(?P<m>\d\d):(?P<s>\d\d)"
    r"(?:\.\d+)? (?P<host>\S+) (?P<prog>[^\s\[\]:]+)(?:\[(?P<pid>\d+)\])?: "
)
# `2026-11-21T21:11:20.114797+00:00 host prog[pid]: message`; journalctl's short-iso writes
# the offset without a colon (+0000).
_ISO = re.compile(
    r"(?P<Y>\d{4})-(?P<M>\d\d)-(?P<D>\d\d)[T ](?P<h>\d\d):(?P<m>\d\d):(?P<s>\d\d)"
    r"(?P<frac>\.\d+)?(?P<tz>Z|[+-]\d\d:?\d\d) (?P<host>\S+) (?P<prog>[^\s\[\]:]+)"
    r"(?:\[(?P<pid>\d+)\])?: "
)

SEVERITIES = ("warning", "error", "fatal", "panic")


@dataclass(frozen=True)
class LogLine:
    """One parsed log line. `stamp` is the timestamp as written; `when` is None if unknown."""

    text: str
    stamp: str
    when: datetime | None  # timezone-aware
    host: str
    prog: str  # e.g. postfix/smtpd, postfix/submission/smtpd
    pid: str
    message: str  # what follows `prog[pid]: `
    message_start: int  # index of message in text

    @property
    def severity(self) -> str:
        """warning/error/fatal/panic when Postfix itself says so, else ''."""
        head, sep, _ = self.message.partition(": ")
        return head if sep and head in SEVERITIES else ""

    @property
    def process(self) -> str:
        """`prog[pid]`, the token that identifies one process in the log."""
        return f"{self.prog}[{self.pid}]" if self.pid else self.prog


class YearGuesser:
    """Classic syslog stamps have no year: take the year that puts the stamp at or before `ref`.

    `ref` is the newest time the file can hold (its mtime, or now); a stamp more than a day after
    it belongs to the year before (a December line read in January).
    """

    def __init__(self, ref: datetime) -> None:
        self.ref = ref
        self._limit = ref + timedelta(days=1)
        # (month, day, zone) -> the year of every stamp of that day; 0 when the day straddles the
        # limit (decided stamp by stamp), -1 when no year has that day (30 Feb, damaged).
        self._days: dict[tuple[int, int, tzinfo], int] = {}

    def resolve(self, mon: int, day: int, h: int, m: int, s: int, tz: tzinfo) -> datetime | None:
        year = self._days.get((mon, day, tz))
        if year is None:
            year = self._days[(mon, day, tz)] = self._year_of_day(mon, day, tz)
        if year < 0:
            return None
        if year == 0:
            return self._search(mon, day, h, m, s, tz)
        try:
            return datetime(year, mon, day, h, m, s, tzinfo=tz)
        except ValueError:  # a damaged time of day: no year helps
            return None

    def _year_of_day(self, mon: int, day: int, tz: tzinfo) -> int:
        for year in range(self.ref.year, self.ref.year - 5, -1):
            try:
                first = datetime(year, mon, day, tzinfo=tz)
                last = datetime(year, mon, day, 23, 59, 59, tzinfo=tz)
            except ValueError:  # 29 Feb in a common year, or a damaged stamp
                continue
            if last <= self._limit:
                return year
            if first <= self._limit:
                return 0
        return -1

    def _search(self, mon: int, day: int, h: int, m: int, s: int, tz: tzinfo) -> datetime | None:
        for year in range(self.ref.year, self.ref.year - 5, -1):
            try:
                when = datetime(year, mon, day, h, m, s, tzinfo=tz)
            except ValueError:
                continue
            if when <= self._limit:
                return when
        return None


@lru_cache(maxsize=64)
def _offset(text: str) -> tzinfo:
    if text == "Z":
        return timezone.utc
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4])))


def parse_line(text: str, years: YearGuesser | None = None, local: tzinfo = timezone.utc) -> LogLine | None:
    """Parse one line (without its newline); None when it is not a syslog-style line.

    `local` is the zone of classic stamps (they carry none); `years` resolves their year
    (without it, `when` is None for classic stamps).
    """
    m = _ISO.match(text)
    if m:
        when: datetime | None
        try:
            frac = m.group("frac") or ""
            micro = int((frac[1:] + "000000")[:6]) if frac else 0
            when = datetime(
                int(m.group("Y")),
                int(m.group("M")),
                int(m.group("D")),
                int(m.group("h")),
                int(m.group("m")),
                int(m.group("s")),
                micro,
                tzinfo=_offset(m.group("tz")),
            )
        except ValueError:
            when = None
        stamp_end = m.start("host") - 1
    else:
        m = _CLASSIC.match(text)
        if not m:
            return None
        when = None
        mname, day, hh, mm, ss = m.group("mon", "day", "h", "m", "s")
        mon = MONTHS.get(mname)
        if years is not None and mon is not None:
            when = years.resolve(mon, int(day), int(hh), int(mm), int(ss), local)
        stamp_end = m.start("host") - 1
    host, prog, pid = m.group("host", "prog", "pid")
    end = m.end()
    return LogLine(text, text[:stamp_end], when, host, prog, pid or "", text[end:], end)


def journal_record_to_line(record_json: str) -> str | None:
    """Turn one `journalctl -o json` record into an RFC 3339 (UTC) syslog-style line.

    MESSAGE may be a string, a list of byte values (not valid UTF-8), or null.
    """
    try:
        rec: Any = json.loads(record_json)
    except ValueError:
        return None
    if not isinstance(rec, dict):
        return None
    msg = rec.get("MESSAGE")
    if isinstance(msg, list):
        try:
            msg = decode_text(bytes(int(b) & 0xFF for b in msg))
        except (TypeError, ValueError):
            return None
    if not isinstance(msg, str):
        return None
    try:
        usec = int(rec.get("__REALTIME_TIMESTAMP", ""))
    except ValueError:
        return None
    when = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(microseconds=usec)
    ident = str(rec.get("SYSLOG_IDENTIFIER") or rec.get("_COMM") or "unknown")
    pid = str(rec.get("SYSLOG_PID") or rec.get("_PID") or "")
    host = str(rec.get("_HOSTNAME") or "localhost")
    proc = f"{ident}[{pid}]" if pid else ident
    msg = msg.replace("\n", " ")
    return f"{when.isoformat(timespec='microseconds')} {host} {proc}: {msg}"
