"""Exit statuses and the one project exception that the CLI turns into a one-line message."""

from __future__ import annotations

import enum


class ExitStatus(enum.IntEnum):
    """Process exit codes; each value means something different to a calling script."""

    OK = 0
    ERROR = 1  # nothing useful was produced (bad input, unwritable output, ...)
    USAGE = 2  # the command line itself is wrong (argparse uses 2 as well)
    PARTIAL = 3  # the report was produced, but some sections failed
    LEAK_REFUSED = 4  # the anonymizer found an original value in the output; nothing written
    DELIVERY_FAILED = 5  # the report is on disk, but mailing it failed
    INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT


class PostfingerError(Exception):
    """An error the user can act on: `message` says what failed, why, and what to do."""

    def __init__(self, message: str, status: ExitStatus = ExitStatus.ERROR) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class UsageError(PostfingerError):
    """The command line is wrong."""

    def __init__(self, message: str) -> None:
        super().__init__(message, ExitStatus.USAGE)


class ReplayMissing(PostfingerError):
    """A replay snapshot has no recording for something a collector asked for."""
