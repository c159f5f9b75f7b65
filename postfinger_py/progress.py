"""One self-overwriting status line on stderr (only on a terminal), and a byte meter for logs."""

from __future__ import annotations

import os
import threading
import time
from typing import Callable, Protocol, TextIO

INTERVAL = 0.2  # seconds between two redraws of a byte meter: a few a second, not thousands
DEFAULT_COLUMNS = 80


class _Terminal(Protocol):
    """What Progress needs of Env (the stream and whether it is a terminal)."""

    @property
    def stderr(self) -> TextIO: ...

    @property
    def progress_enabled(self) -> bool: ...


def _columns(stream: TextIO) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns or DEFAULT_COLUMNS
    except (AttributeError, OSError, ValueError):  # a test's stream, or not a terminal
        return DEFAULT_COLUMNS


def _fit(line: str, width: int) -> str:
    """The line cut to the width in its middle: the start says what is done, the end holds
    the figures; the middle of a long path matters least."""
    width = max(width, 40)
    if len(line) <= width:
        return line
    head = width // 3
    return line[:head] + "..." + line[len(line) - (width - head - 3) :]


class Progress:
    """One status line on stderr, redrawn with \\r, only when stderr is a terminal.

    Callable with a message (Context.progress); done() clears the line, and must be called
    before anything else is written to the terminal.
    """

    def __init__(
        self, env: _Terminal, *, enabled: bool | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.stream = env.stderr
        self.enabled = env.progress_enabled if enabled is None else enabled
        self.clock = clock
        self._lock = threading.Lock()
        self._width = 0
        # A line longer than the terminal wraps, and \r returns only to its last row.
        self._columns = _columns(self.stream) if self.enabled else DEFAULT_COLUMNS

    def __call__(self, message: str) -> None:
        if not self.enabled:
            return
        line = _fit(f"postfinger: {message}", self._columns - 1)
        with self._lock:
            self.stream.write("\r" + line.ljust(self._width))
            self._width = len(line)
            self.stream.flush()

    def done(self) -> None:
        if not self.enabled:
            return
        with self._lock:
            if self._width:
                self.stream.write("\r" + " " * self._width + "\r")
                self.stream.flush()
                self._width = 0


def size_words(n: int) -> str:
    """Bytes as the meter shows them: 120.4 MB (decimal units, as ls -h --si and df -H)."""
    value = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{n} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


class ByteMeter:
    """`reading NAME: 120.4 MB of 800.0 MB (15%)`: drawn at once, then at most every INTERVAL."""

    def __init__(self, progress: Progress, label: str, total: int) -> None:
        self.progress = progress
        self.label = label
        self.total = total
        self._last = 0.0
        self.shown = 0  # how many times a line was drawn (the tests count the throttling)
        self.update(0, force=True)

    def update(self, done: int, force: bool = False) -> None:
        now = self.progress.clock()
        if not force and now - self._last < INTERVAL:
            return
        self._last = now
        self.shown += 1
        self.progress(self.text(done))

    def finish(self, done: int) -> None:
        """The file's last state (100%), so a run over several files shows each one complete."""
        self.update(done, force=True)

    def text(self, done: int) -> str:
        if self.total <= 0:  # the size is not known beforehand
            return f"{self.label}: {size_words(done)}"
        done = min(done, self.total)  # a log that grew while being read
        percent = done * 100 // self.total
        return f"{self.label}: {size_words(done)} of {size_words(self.total)} ({percent}%)"


def byte_meter(progress: Callable[[str], None], label: str, total: int) -> ByteMeter | None:
    """A meter when `progress` draws on a terminal; None (nothing to do per read) otherwise."""
    if isinstance(progress, Progress) and progress.enabled:
        return ByteMeter(progress, label, total)
    return None
