"""Running the CLI in-process with captured streams, and the one fake Runner of the unit tests."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Union

from postfinger_py.cli import main
from postfinger_py.env import Env
from postfinger_py.runner import CommandResult

from .conftest import EXAMPLE_KEY, EXAMPLE_SNAPSHOT, FIXED_NOW


@dataclass
class Result:
    status: int
    stdout: str
    stderr: str


def run_cli(
    argv: list[str],
    *,
    tty: bool = False,
    stdin: bytes = b"",
    euid: int | None = None,
    fork: bool | None = None,
    live_clock: bool = False,
) -> Result:
    """The command in process; the clock is fixed unless `live_clock` (checks of a live system
    compare dates the system made today, such as a certificate's)."""
    out, err = io.StringIO(), io.StringIO()
    env = Env(
        stdout=out,
        stderr=err,
        stdin=io.BytesIO(stdin),
        environ={},
        clock=(lambda: datetime.now(timezone.utc)) if live_clock else (lambda: FIXED_NOW),
        stderr_isatty=tty,
        euid=euid,
        fork_anonymizer=fork,
    )
    status = main(argv, env)
    return Result(status, out.getvalue(), err.getvalue())


def replay(*extra: str, tty: bool = False, fork: bool | None = None) -> Result:
    """The example snapshot, anonymized with the example's fixed key (so outputs are stable)."""
    return run_cli(
        ["--replay", str(EXAMPLE_SNAPSHOT), "--anon-key", str(EXAMPLE_KEY), *extra], tty=tty, fork=fork
    )


Answer = Union[str, CommandResult]


class FakeRunner:
    """A Runner answering from a table of argv -> stdout text (status 0) or a CommandResult;
    anything else is a missing program, as the real runner reports one. With `prefix`, the
    longest recorded leading part of the argv answers (`("postqueue",)` for any postqueue).
    Every argv asked is kept in `calls`, in order."""

    def __init__(
        self, answers: Mapping[tuple[str, ...], Answer] | None = None, *, prefix: bool = False
    ) -> None:
        self.answers: dict[tuple[str, ...], Answer] = dict(answers or {})
        self.prefix = prefix
        self.calls: list[tuple[str, ...]] = []

    def run(
        self,
        argv: Sequence[str],
        *,
        timeout: float = 30.0,
        stdin: bytes | None = None,
        env: Any = None,
        max_output: int = 0,
    ) -> CommandResult:
        key = tuple(argv)
        self.calls.append(key)
        lengths = range(len(key), 0, -1) if self.prefix else (len(key),)
        for n in lengths:
            answer = self.answers.get(key[:n])
            if answer is not None:
                return answer if isinstance(answer, CommandResult) else CommandResult(key, 0, stdout=answer)
        return CommandResult(key, None, missing=True, error="command not found")
