"""Pure parsing: both timestamp formats, the year of classic stamps, journald records, --since."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from postfinger_py.logs.lines import YearGuesser, journal_record_to_line, parse_line
from postfinger_py.since import parse_since, window

from .helpers import HAND_LOG, NOW, REAL_LOG

UTC = timezone.utc


def test_classic_line_recorded_from_real_postfix() -> None:
    text = REAL_LOG.read_text().splitlines()[1]
    line = parse_line(text, YearGuesser(NOW), UTC)
    assert line is not None
    assert line.stamp == "Nov 21 21:21:53"
    assert line.when == datetime(2026, 11, 21, 21, 21, 53, tzinfo=UTC)
    assert (line.host, line.prog, line.pid) == ("mx1", "postfix/master", "2881")
    assert line.message.startswith("daemon started -- version 3.7.11")
    assert line.severity == ""


def test_rfc3339_and_short_iso_stamps() -> None:
    lines = [parse_line(t) for t in HAND_LOG.read_text().splitlines()]
    assert all(ln is not None for ln in lines)
    first, last = lines[0], lines[-1]
    assert first is not None and last is not None
    assert first.when == datetime(2026, 11, 20, 8, 0, 1, 100000, tzinfo=UTC)
    assert last.when == datetime(2026, 11, 20, 8, 30, 0, tzinfo=UTC)  # +0100, no colon
    fatal = next(ln for ln in lines if ln is not None and ln.severity == "fatal")
    assert fatal.process == "postfix/smtpd[2021]"


def test_space_padded_day_and_not_a_log_line() -> None:
    line = parse_line("Nov  1 01:02:03 mx postfix/qmgr[1]: warning: x", YearGuesser(NOW), UTC)
    assert line is not None and line.when == datetime(2026, 11, 1, 1, 2, 3, tzinfo=UTC)
    assert line.severity == "warning"
    assert parse_line("garbage without a stamp") is None
    assert parse_line("") is None


def test_year_boundary_december_lines_read_in_january() -> None:
    years = YearGuesser(datetime(2027, 1, 2, 0, 10, tzinfo=UTC))
    dec = parse_line("Dec 31 23:59:59 mx postfix/qmgr[1]: a", years, UTC)
    jan = parse_line("Jan  1 00:00:01 mx postfix/qmgr[1]: b", years, UTC)
    assert dec is not None and dec.when is not None and dec.when.year == 2026
    assert jan is not None and jan.when is not None and jan.when.year == 2027
    assert dec.when < jan.when


def test_feb_29_goes_to_the_last_leap_year() -> None:
    years = YearGuesser(datetime(2027, 3, 1, tzinfo=UTC))
    line = parse_line("Feb 29 10:00:00 mx postfix/qmgr[1]: a", years, UTC)
    assert line is not None and line.when is not None and line.when.year == 2024


def test_classic_stamps_take_the_local_zone() -> None:
    tz = timezone(timedelta(hours=1))
    line = parse_line("Nov 21 10:00:00 mx postfix/qmgr[1]: a", YearGuesser(NOW), tz)
    assert line is not None and line.when == datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


def test_journal_records() -> None:
    rec = {
        "__REALTIME_TIMESTAMP": "1795209680114797",
        "SYSLOG_IDENTIFIER": "postfix/smtpd",
        "_PID": "77",
        "_HOSTNAME": "mx1",
        "MESSAGE": "warning: x",
    }
    text = journal_record_to_line(json.dumps(rec))
    assert text is not None
    line = parse_line(text)
    assert line is not None and line.severity == "warning" and line.process == "postfix/smtpd[77]"
    assert line.when == datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=1795209680114797)
    rec["MESSAGE"] = list(b"error: caf\xe9")  # journald gives non-UTF-8 messages as byte arrays
    text = journal_record_to_line(json.dumps(rec))
    assert text is not None and text.endswith("error: caf\xe9")  # the Latin-1 byte as its letter
    rec["MESSAGE"] = None
    assert journal_record_to_line(json.dumps(rec)) is None
    assert journal_record_to_line("{not json") is None


def test_since() -> None:
    start, phrase = parse_since("2h", NOW, UTC)
    assert start == NOW - timedelta(hours=2) and "2h" in phrase
    assert parse_since("1d12h", NOW, UTC)[0] == NOW - timedelta(hours=36)
    assert parse_since("all", NOW, UTC)[0] is None
    tz = timezone(timedelta(hours=2))
    assert parse_since("2026-11-20 08:00", NOW, tz)[0] == datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
    assert parse_since("2026-11-20T08:00:00Z", NOW, tz)[0] == datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_since("yesterday-ish", NOW, UTC)
    start, phrase = window(None, NOW, UTC)
    assert start == NOW - timedelta(days=7) and "default" in phrase


def _year_by_search(
    ref: datetime, mon: int, day: int, h: int, m: int, s: int, tz: timezone
) -> datetime | None:
    """The rule without the per-day cache: the latest year within 5 that is not after ref + 1 day."""
    for year in range(ref.year, ref.year - 5, -1):
        try:
            when = datetime(year, mon, day, h, m, s, tzinfo=tz)
        except ValueError:
            continue
        if when <= ref + timedelta(days=1):
            return when
    return None


def test_year_cache_per_day_agrees_with_the_rule_stamp_by_stamp() -> None:
    import random

    rng = random.Random(11)
    zones = [UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=13, minutes=45))]
    refs = [
        datetime(2027, 1, 1, 0, 0, 30, tzinfo=UTC),
        datetime(2028, 2, 28, 23, 0, tzinfo=UTC),
        datetime(2026, 11, 21, 12, 0, tzinfo=UTC),
        datetime(2027, 3, 1, tzinfo=UTC),
    ]
    for ref in refs:
        years = YearGuesser(ref)
        near = (ref + timedelta(days=1)).astimezone(UTC)
        for _ in range(3000):
            tz = rng.choice(zones)
            if rng.random() < 0.5:  # stamps around the limit, where a day straddles it
                t = near + timedelta(seconds=rng.randint(-2 * 86400, 2 * 86400))
                t = t.astimezone(tz)
                mon, day, h, m, s = t.month, t.day, t.hour, t.minute, t.second
            else:
                mon, day = rng.randint(1, 12), rng.choice([1, 15, 28, 29, 30, 31])
                h, m, s = rng.randint(0, 23), rng.randint(0, 59), rng.choice([0, 30, 59, 60])
            want = _year_by_search(ref, mon, day, h, m, s, tz)
            assert years.resolve(mon, day, h, m, s, tz) == want, (ref, mon, day, h, m, s, tz)
