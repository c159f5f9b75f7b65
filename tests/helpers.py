"""Running the CLI in-process with captured streams."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timezone

from postfinger_py.cli import main
from postfinger_py.env import Env

from .conftest import EXAMPLE_KEY, EXAMPLE_SNAPSHOT, FIXED_NOW


@dataclass
class Result:
    status: int
    stdout: str
    stderr: str


def run_cli(argv: list[str], *, tty: bool = False, stdin: bytes = b"",
            euid: int | None = None, fork: bool | None = None,
            live_clock: bool = False) -> Result:
    """The command in process; the clock is fixed unless `live_clock` (checks of a live system
    compare dates the system made today, such as a certificate's)."""
    out, err = io.StringIO(), io.StringIO()
    env = Env(stdout=out, stderr=err, stdin=io.BytesIO(stdin), environ={},
              clock=(lambda: datetime.now(timezone.utc)) if live_clock else (lambda: FIXED_NOW),
              stderr_isatty=tty, euid=euid, fork_anonymizer=fork)
    status = main(argv, env)
    return Result(status, out.getvalue(), err.getvalue())


def replay(*extra: str, tty: bool = False, fork: bool | None = None) -> Result:
    """The example snapshot, anonymized with the example's fixed key (so outputs are stable)."""
    return run_cli(["--replay", str(EXAMPLE_SNAPSHOT), "--anon-key", str(EXAMPLE_KEY), *extra],
                   tty=tty, fork=fork)
