"""The --since window: a duration (2h, 7d, 1d12h), today, yesterday, a timestamp, or `all`."""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

DEFAULT_SINCE = "7d"
# Why 7 days: a problem posted to the list usually started with a change in the last days
# (an upgrade, a new map, a weekend outage); a week covers that and one weekly rotation, while
# the kinds table still shows whether an old problem is still happening (its last time).

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"(?:(\d+)\s*([smhdw]))+")
_PART = re.compile(r"(\d+)\s*([smhdw])")
_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d")


@dataclass(frozen=True)
class Since:
    """A parsed --since: what was asked for, parsed once (at the command line), resolved
    against a clock only when a window is needed (a snapshot is replayed at its own time).

    kind: "all", "today", "yesterday", "duration" (seconds), or "time" (when; naive: the
    log's own time zone).
    """

    raw: str
    kind: str
    seconds: int = 0
    when: datetime | None = None

    @classmethod
    def parse(cls, text: str) -> Since:
        """ValueError, saying what is accepted, when the text is none of them."""
        raw = text.strip()
        low = raw.lower()
        if low in ("all", "today", "yesterday"):
            return cls(raw, low)
        if _DURATION.fullmatch(low.replace(" ", "")):
            secs = sum(int(n) * _UNITS[u] for n, u in _PART.findall(low))
            if secs <= 0:
                raise ValueError(f"--since {raw}: the duration must be more than zero")
            return cls(raw, "duration", seconds=secs)
        try:
            when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            when = None
            for fmt in _FORMATS:
                try:
                    when = datetime.strptime(raw, fmt)
                    break
                except ValueError:
                    continue
        if when is None:
            raise ValueError(
                f"--since {raw}: not a duration (2h, 7d, 1d12h), today, yesterday, "
                "a timestamp (2026-11-20 08:00, ISO 8601) or `all`"
            )
        return cls(raw, "time", when=when)

    def window(self, now: datetime, local: tzinfo) -> tuple[datetime | None, str]:
        """(start of the window or None for all, a phrase for the report)."""
        if self.kind == "all":
            return None, "the whole log (--since all)"
        if self.kind in ("today", "yesterday"):
            # Midnight of the log's own time zone: that is the day the admin reads in the log.
            midnight = now.astimezone(local).replace(hour=0, minute=0, second=0, microsecond=0)
            if self.kind == "yesterday":
                midnight = (midnight - timedelta(hours=12)).replace(hour=0)
            return midnight, f"{self.kind} (since {midnight.isoformat(timespec='seconds')})"
        if self.kind == "duration":
            start = now - timedelta(seconds=self.seconds)
            return start, f"the last {self.raw} (since {start.isoformat(timespec='seconds')})"
        assert self.when is not None
        when = self.when if self.when.tzinfo is not None else self.when.replace(tzinfo=local)
        return when, f"since {when.isoformat(timespec='seconds')}"


def parse_since(text: str, now: datetime, local: tzinfo) -> tuple[datetime | None, str]:
    """(start of the window or None for all, a phrase for the report). ValueError when bad."""
    return Since.parse(text).window(now, local)


def since_argument(text: str) -> Since:
    """argparse's type for --since: a bad value is a usage error that says what is accepted."""
    try:
        return Since.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc).split(": ", 1)[1]) from None


def window(since: Since | None, now: datetime, local: tzinfo) -> tuple[datetime | None, str]:
    """The window for Options.since (None: the default, said so)."""
    if since is None:
        start, phrase = Since.parse(DEFAULT_SINCE).window(now, local)
        return start, phrase + " (the default window; --since changes it, --since all reads all)"
    return since.window(now, local)
