"""Helpers for the mail log tests: a runner that answers from a table, a context on a fixture tree."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from postfinger_py.files import LiveFiles
from postfinger_py.model import Context, Options
from postfinger_py.runner import CommandResult

DATA = Path(__file__).resolve().parent / "data"
REAL_LOG = DATA / "postfix-3.7.11-debian12.log"
HAND_LOG = DATA / "handwritten-filter-bounce-rfc3339.log"
NOW = datetime(2026, 11, 21, 22, 0, 0, tzinfo=timezone.utc)


class TableRunner:
    """Answers commands from a dict; anything else is a missing program."""

    def __init__(self, table: dict[tuple[str, ...], CommandResult] | None = None) -> None:
        self.table = table or {}
        self.calls: list = []

    def run(self, argv: Sequence[str], *, timeout: float = 30.0,
            stdin: bytes | None = None) -> CommandResult:
        self.calls.append(tuple(argv))
        return self.table.get(tuple(argv), CommandResult(tuple(argv), None, missing=True,
                                                         error="command not found"))


def ok(argv: Sequence[str], out: str) -> tuple[tuple[str, ...], CommandResult]:
    return tuple(argv), CommandResult(tuple(argv), 0, out)


def make_ctx(root: Path, runner: TableRunner | None = None, now: datetime = NOW,
             **options: object) -> Context:
    return Context(runner=runner or TableRunner(dict([ok(["date", "+%z"], "+0000\n")])),
                   files=LiveFiles(str(root)), now=now, euid=0,
                   options=Options(**options))  # type: ignore[arg-type]
