"""Problem lines and kinds on recorded real lines and hand-written documented formats."""

from __future__ import annotations

import re
from datetime import timezone
from pathlib import Path

from postfinger_py.logs.lines import YearGuesser
from postfinger_py.logs.problems import ProblemScan, normalize
from postfinger_py.logs.scan import ReadNotes, windows

from .helpers import HAND_LOG, NOW, REAL_LOG

# The oracle: a plain line-by-line check, independent of the fast scanner.
ORACLE = re.compile(
    r"^(?:[A-Z][a-z]{2} +\d+ \S+|\d{4}-\S+) \S+ "
    r"[^\s\[]+\[\d+\]: (warning|error|fatal|panic): "
)


def scan(path: Path, limit: int = 1000) -> ProblemScan:
    result = ProblemScan(limit=limit)
    with open(path, "rb") as fh:
        result.feed(windows(fh, ReadNotes(str(path))), YearGuesser(NOW), timezone.utc, ReadNotes(str(path)))
    return result


def oracle(path: Path) -> list[str]:
    return [ln for ln in path.read_text().splitlines() if ORACLE.match(ln)]


def test_real_log_problem_lines_equal_the_oracle() -> None:
    got = [p.text for p in scan(REAL_LOG).problems]
    assert got == oracle(REAL_LOG)
    assert any("error: unsupported dictionary type: mysql" in g for g in got)
    assert any("transport.db: No such file or directory" in g for g in got)


def test_hand_log_skips_remote_replies_and_reject_warning() -> None:
    got = [p.text for p in scan(HAND_LOG).problems]
    assert got == oracle(HAND_LOG)
    assert len(got) == 4
    assert not any("reject_warning" in g or "said: 550" in g for g in got)
    assert [p.split(": ")[1] for p in got] == ["warning", "fatal", "warning", "warning"]


def test_limit_keeps_the_first_and_counts_all() -> None:
    result = scan(REAL_LOG, limit=3)
    assert [p.text for p in result.problems] == oracle(REAL_LOG)[:3]
    assert result.total == len(oracle(REAL_LOG))


def test_kinds_are_normalized_and_counted() -> None:
    result = scan(REAL_LOG)
    kinds = {k.kind: k for k in result.kinds.values()}
    key = 'postfix/trivial-rewrite warning: hash:/etc/postfix/transport lookup error for "USER@DOMAIN"'
    assert key in kinds
    expected = [ln for ln in oracle(REAL_LOG) if "lookup error for" in ln and "@" in ln]
    assert kinds[key].count == len(expected)
    assert kinds[key].first == expected[0][:15] and kinds[key].last == expected[-1][:15]
    assert sum(k.count for k in result.kinds.values()) == result.total


def test_normalize() -> None:
    assert (
        normalize("hostname x.example does not resolve to address 192.0.2.1")
        == "hostname x.example does not resolve to address ADDR"
    )
    assert normalize("mail.example[192.0.2.1]:25: Connection timed out") == "HOST[ADDR]: Connection timed out"
    assert normalize("3F1A2B4C5D: to=<bob@example.org>") == "QUEUEID: to=<USER@DOMAIN>"
    assert normalize("pid 2021 exit status 1") == "pid N exit status N"


def test_master_lifecycle_lines() -> None:
    real = scan(REAL_LOG)
    texts = [ln.text for ln in real.lifecycle]
    assert texts[0].endswith("starting the Postfix mail system")
    assert texts[1].endswith("daemon started -- version 3.7.11, configuration /etc/postfix")
    assert sum("reload -- version 3.7.11" in t for t in texts) == 2
    assert sum("refreshing the Postfix mail system" in t for t in texts) == 2
    hand = [ln.message for ln in scan(HAND_LOG).lifecycle]
    assert hand == [
        "daemon started -- version 3.5.18, configuration /etc/postfix",
        "terminating on signal 15",
    ]


def test_since_drops_older_lines() -> None:
    from datetime import datetime

    result = ProblemScan(limit=100, since=datetime(2026, 11, 21, 21, 27, tzinfo=timezone.utc))
    with open(REAL_LOG, "rb") as fh:
        result.feed(windows(fh, ReadNotes("x")), YearGuesser(NOW), timezone.utc, ReadNotes("x"))
    assert result.problems and all(p.stamp >= "Nov 21 21:27" for p in result.problems)


def test_prefilter_lets_through_every_scan_word_and_nonsense_mixes_are_dropped() -> None:
    import io

    from postfinger_py.logs.problems import _LIFECYCLE, PREFILTER, SCAN

    words = [w + ": " for w in ("warning", "error", "fatal", "panic")] + list(_LIFECYCLE)
    for word in words:
        text = b"]: " + word.encode() + b"x"
        assert SCAN.match(text) and PREFILTER.match(text), word
    mix = b"Nov 21 21:00:00 mx postfix/smtpd[1]: wrror: not a severity\n"
    assert PREFILTER.search(mix) and not SCAN.search(mix)
    real = b"Nov 21 21:00:01 mx postfix/smtpd[1]: error: a real one\n"
    result = ProblemScan(limit=10)
    result.feed(
        windows(io.BytesIO(mix * 3 + real), ReadNotes("x")), YearGuesser(NOW), timezone.utc, ReadNotes("x")
    )
    assert [p.text for p in result.problems] == [real.decode().rstrip("\n")]
    assert result.first_time is not None and result.first_time.second == 1
