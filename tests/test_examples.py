"""examples/ holds a real snapshot and the report rendered from it; they must never drift apart."""

from __future__ import annotations

import os

from syrupy.assertion import SnapshotAssertion

from .conftest import EXAMPLE_ARGS, EXAMPLE_SNAPSHOT
from .helpers import replay

REPORT = EXAMPLE_SNAPSHOT.parent / "report.txt"


def test_example_report_is_the_one_rendered_from_the_example_snapshot() -> None:
    res = replay(*EXAMPLE_ARGS)
    assert res.status == 0, res.stderr
    if os.environ.get("UPDATE_EXAMPLES"):
        REPORT.write_text(res.stdout)
    assert REPORT.read_text() == res.stdout, (
        "examples report is stale: run UPDATE_EXAMPLES=1 python -m pytest tests/test_examples.py "
        "and review the diff as a reader of the report would"
    )


def test_full_report_snapshot(snapshot: SnapshotAssertion) -> None:
    assert replay(*EXAMPLE_ARGS).stdout == snapshot


def test_no_trailing_white_space() -> None:
    for line in replay(*EXAMPLE_ARGS).stdout.splitlines():
        assert line == line.rstrip(), repr(line)
