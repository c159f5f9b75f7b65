"""qshape's table from recorded `postqueue -j` output, against the Perl qshape's recorded tables."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tablecmp import canonical, same_table

from postfinger_py.queue.postqueue import parse_postqueue_json
from postfinger_py.queue.qshape import (
    QshapeOptions,
    Shape,
    normalize_domain,
    parent_chain,
    perl_number,
    perl_str,
    shape,
)

DATA = Path(__file__).resolve().parent / "data"
NOW = int((DATA / "now.txt").read_text())
RECORDED = {
    "default": {},
    "s": {"senders": True},
    "p": {"parents": True},
    "p-m2": {"parents": True, "min_subdomains": "2"},
    "l-b20-t60": {"linear": True, "buckets": "20", "tick": "60"},
    "b4-t1": {"buckets": "4", "tick": "1"},
    "w120": {"width": "120"},
    "t2.5-b12": {"tick": "2.5", "buckets": "12"},
}


def _table(text: str, opts: QshapeOptions, now: int = NOW) -> str:
    listing = parse_postqueue_json(text)
    return shape(
        ((m.arrival_time, m.sender, [r.address for r in m.recipients]) for m in listing.messages),
        opts,
        now,
    ).table()


@pytest.mark.parametrize("name", sorted(RECORDED))
def test_matches_recorded_perl_qshape(name: str) -> None:
    kwargs = dict(RECORDED[name])
    flags = {k: kwargs.pop(k) for k in ("senders", "parents", "linear") if k in kwargs}
    opts = QshapeOptions.from_strings(**flags, **kwargs)  # type: ignore[arg-type]
    ours = _table((DATA / "hold.jsonl").read_text(), opts)
    theirs = (DATA / f"qshape-{name}.txt").read_bytes().decode("utf-8", "surrogateescape")
    assert same_table(ours, theirs), f"\nours:\n{ours}\nqshape:\n{theirs}"


def test_tie_order_is_deterministic_and_only_ties_differ() -> None:
    text = (DATA / "hold.jsonl").read_text()
    first = _table(text, QshapeOptions())
    assert first == _table(text, QshapeOptions())
    lines = first.splitlines()
    assert lines[1].split()[0] == "TOTAL"
    # the count-1 rows of equal width are sorted by name in our output
    ones = [ln.split()[0] for ln in lines if ln.split()[1] == "1" and len(ln.split()[0]) == 23]
    assert ones == sorted(ones) and len(ones) >= 4
    assert canonical(first) == canonical((DATA / "qshape-default.txt").read_text())


def test_empty_queue_prints_heading_and_zero_total() -> None:
    assert _table("", QshapeOptions()) == (
        "                                         T  5 10 20 40 80 160 320 640 1280 1280+\n"
        "                                  TOTAL  0  0  0  0  0  0   0   0   0    0     0\n"
    )


def _msg(sender: str, rcpts: list[str], arrival: int = NOW, queue: str = "deferred") -> str:
    return json.dumps(
        {
            "queue_name": queue,
            "queue_id": "ABC123DEF",
            "arrival_time": arrival,
            "message_size": 100,
            "forced_expire": False,
            "sender": sender,
            "recipients": [{"address": a, "delay_reason": "x"} for a in rcpts],
        },
        ensure_ascii=False,
    )


def test_null_sender_recipient_without_at_and_odd_dots() -> None:
    text = "\n".join(
        [
            _msg("MAILER-DAEMON", ["postmaster"]),
            _msg("MAILER-DAEMON", ["a@..Example.COM."]),
            _msg("Someone@Example.com", ["b@x@y.example.com"]),
        ]
    )
    senders = _table(text, QshapeOptions(senders=True))
    names = [ln.split()[0] for ln in senders.splitlines()[2:]]
    assert names[0] == "MAILER-DAEMON" and "example.com" in names
    rcpts = _table(text, QshapeOptions())
    rnames = [ln.split()[0] for ln in rcpts.splitlines()[2:]]
    assert set(rnames) == {"postmaster", "example.com", "y.example.com"}
    assert normalize_domain("..a.b.") == "a.b"
    assert normalize_domain("...a") == ".a"


def test_non_ascii_domains_are_as_wide_as_their_bytes_and_keep_their_case() -> None:
    text = _msg("x@S.example", ["jörg@MÜLLER.Example"])
    line = _table(text, QshapeOptions()).splitlines()[2]
    raw = line.encode()
    assert line.split()[0] == "mÜller.example"  # Perl's lc() on bytes lowers only A-Z
    name = "mÜller.example".encode()
    assert raw.index(name) + len(name) == 39  # the column is 39 bytes, not 39 characters


def test_malformed_line_is_counted_not_fatal() -> None:
    text = "\n".join(
        [_msg("a@b.example", ["c@d.example"]), "{not json", '["list"]', _msg("a@b.example", ["c@d.example"])]
    )
    listing = parse_postqueue_json(text)
    assert len(listing.messages) == 2
    assert [n for n, _ in listing.bad_lines] == [2, 3]
    assert "2 line(s)" in listing.problems()[0]


def test_message_without_recipients_is_not_counted() -> None:
    s = Shape(QshapeOptions(senders=True), NOW)
    s.add(NOW, "a@b.example", [])
    assert s.counts["TOTAL"][0] == 0 and s.messages == 0


@pytest.mark.parametrize(
    ("age", "column"),
    [
        (0, 1),
        (299, 1),
        (300, 2),
        (599, 2),
        (600, 3),
        (1280 * 60 - 1, 9),
        (1280 * 60, 10),
        (10**7, 10),
        (-50, 1),
    ],
)
def test_bucket_boundaries(age: int, column: int) -> None:
    assert Shape(QshapeOptions(), NOW).bucket(NOW - age) == column


def test_linear_buckets_and_heads() -> None:
    s = Shape(QshapeOptions.from_strings(linear=True, buckets="4", tick="2"), NOW)
    assert s.heads() == ["T", "2", "4", "6", "6+"]
    assert s.bucket(NOW - 2 * 60 * 2.5) == 3
    assert Shape(QshapeOptions.from_strings(buckets="1"), NOW).heads() == ["T", "0+"]
    assert Shape(QshapeOptions.from_strings(tick="0.1", buckets="4"), NOW).heads() == [
        "T",
        "0.1",
        "0.2",
        "0.4",
        "0.4+",
    ]


def test_option_rules_follow_qshape() -> None:
    assert QshapeOptions.from_strings(width="60").width == 80  # only > 80 counts
    assert QshapeOptions.from_strings(buckets="0", tick="-3").buckets == 10
    assert perl_number("12abc") == 12 and perl_number("abc") == 0 and perl_number("2.5") == 2.5
    assert perl_str(0.1 + 0.2) == "0.3" and perl_str(5.0) == "5"


def test_parent_chain() -> None:
    assert parent_chain("mx.mail.example.com") == ["mx.mail.example.com", ".mail.example.com", ".example.com"]
    assert parent_chain("example.com") == ["example.com"]


def test_long_names_are_cut_like_qshape() -> None:
    opts = QshapeOptions(parents=True, min_subdomains=1)
    s = Shape(opts, NOW)
    long = "a" * 40 + ".example.com"
    s.add(NOW, "x@y.z", [f"u@b.{long}", f"u@c.{long}"])
    lines = s.table().splitlines()  # the name column is 80 - 41 = 39 wide
    assert any(ln.startswith("+" + ("b." + long)[-38:] + "  1") for ln in lines)
    assert any(ln.startswith(".+" + long[-37:] + "  2") for ln in lines)


def test_hundred_thousand_messages_shape_quickly_enough_to_matter() -> None:
    lines = "\n".join(
        _msg(f"s{i % 7}@x{i % 13}.example", [f"r@d{i % 97}.example"], NOW - i) for i in range(20000)
    )
    table = _table(lines, QshapeOptions())
    assert table.splitlines()[1].split()[1] == "20000"
