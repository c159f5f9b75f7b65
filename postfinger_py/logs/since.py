"""The --since window: a duration (2h, 7d, 1d12h), today, yesterday, a timestamp, or `all`."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, tzinfo

DEFAULT_SINCE = "7d"
# Why 7 days: a problem posted to the list usually started with a change in the last days
# (an upgrade, a new map, a weekend outage); a week covers that and one weekly rotation, while
# the kinds table still shows whether an old problem is still happening (its last time).

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"(?:(\d+)\s*([smhdw]))+")
_PART = re.compile(r"(\d+)\s*([smhdw])")
_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M",
            "%Y-%m-%d")


def parse_since(text: str, now: datetime, local: tzinfo) -> tuple[datetime | None, str]:
    """(start of the window or None for all, a phrase for the report). ValueError when bad."""
    raw = text.strip()
    low = raw.lower()
    if low == "all":
        return None, "the whole log (--since all)"
    if low in ("today", "yesterday"):
        # Midnight of the log's own time zone: that is the day the admin reads in the log.
        midnight = now.astimezone(local).replace(hour=0, minute=0, second=0, microsecond=0)
        if low == "yesterday":
            midnight = (midnight - timedelta(hours=12)).replace(hour=0)
        return midnight, f"{low} (since {midnight.isoformat(timespec='seconds')})"
    if _DURATION.fullmatch(low.replace(" ", "")):
        secs = sum(int(n) * _UNITS[u] for n, u in _PART.findall(low))
        if secs <= 0:
            raise ValueError(f"--since {raw}: the duration must be more than zero")
        start = now - timedelta(seconds=secs)
        return start, f"the last {raw} (since {start.isoformat(timespec='seconds')})"
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
        raise ValueError(f"--since {raw}: not a duration (2h, 7d, 1d12h), today, yesterday, "
                         "a timestamp (2026-11-20 08:00, ISO 8601) or `all`")
    if when.tzinfo is None:
        when = when.replace(tzinfo=local)
    return when, f"since {when.isoformat(timespec='seconds')}"


def window(text: str | None, now: datetime, local: tzinfo) -> tuple[datetime | None, str]:
    """The window for Options.since (None: the default, said so)."""
    if text is None:
        start, phrase = parse_since(DEFAULT_SINCE, now, local)
        return start, phrase + " (the default window; --since changes it, --since all reads all)"
    return parse_since(text, now, local)
