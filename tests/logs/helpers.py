"""Helpers for the mail log tests: a runner that answers from a table, a context on a fixture tree."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from postfinger_py.files import LiveFiles
from postfinger_py.model import Context, Options
from postfinger_py.runner import CommandResult
from postfinger_py.since import Since

from ..helpers import FakeRunner

__all__ = ["FakeRunner", "make_ctx", "ok"]

DATA = Path(__file__).resolve().parent / "data"
REAL_LOG = DATA / "postfix-3.7.11-debian12.log"
HAND_LOG = DATA / "handwritten-filter-bounce-rfc3339.log"
NOW = datetime(2026, 11, 21, 22, 0, 0, tzinfo=timezone.utc)


def ok(argv: Sequence[str], out: str) -> tuple[tuple[str, ...], CommandResult]:
    return tuple(argv), CommandResult(tuple(argv), 0, out)


def make_ctx(root: Path, runner: FakeRunner | None = None, now: datetime = NOW, **options: object) -> Context:
    if isinstance(options.get("since"), str):  # as the command line parses it
        options["since"] = Since.parse(str(options["since"]))
    return Context(
        runner=runner or FakeRunner(dict([ok(["date", "+%z"], "+0000\n")])),
        files=LiveFiles(str(root)),
        now=now,
        euid=0,
        options=Options(**options),
    )  # type: ignore[arg-type]
