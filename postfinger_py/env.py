"""The process environment handed to main(): streams, clock, environment, and how to reach the system."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import BinaryIO, Callable, TextIO

from postfinger_py.files import LiveFiles
from postfinger_py.model import Context, Options
from postfinger_py.runner import Runner, SubprocessRunner


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Env:
    """What main(argv, env) may touch; tests pass their own streams, clock and root."""

    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    stdin: BinaryIO = field(default_factory=lambda: sys.stdin.buffer)
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    clock: Callable[[], datetime] = _utcnow
    root: str = "/"  # where the inspected system's files are (a fixture tree in tests)
    euid: int | None = None  # None: the real effective uid
    stderr_isatty: bool | None = None  # None: ask the stream
    fork_anonymizer: bool | None = None  # None: fork the anonymizer where that is safe
    runner: Runner | None = None  # None: run the real programs (tests pass a fake)

    def system_runner(self) -> Runner:
        """How every command reaches the system's programs (one Runner for all of them)."""
        return self.runner if self.runner is not None else SubprocessRunner()

    @property
    def progress_enabled(self) -> bool:
        if self.stderr_isatty is not None:
            return self.stderr_isatty
        try:
            return self.stderr.isatty()
        except (AttributeError, ValueError):
            return False

    def live_context(self, options: Options, progress: Callable[[str], None] | None = None) -> Context:
        """A Context on the live system (for subcommands that do not take --replay)."""
        ctx = Context(
            runner=self.system_runner(),
            files=LiveFiles(self.root),
            now=self.clock(),
            euid=os.geteuid() if self.euid is None else self.euid,
            options=options,
        )
        if progress is not None:
            ctx.progress = progress
        return ctx
