"""Exit statuses and the one project exception that the CLI turns into a one-line message."""

from __future__ import annotations

import enum
import errno


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


# Words for the errors a write or a read can meet; strerror is used for the rest.
_ERRNO_WORDS = {
    errno.ENOSPC: "no space left on device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EIO: "input/output error (the disk or the device failed)",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ENOENT: "no such file or directory",
    errno.ENOTDIR: "a part of the path is not a directory",
    errno.EISDIR: "it is a directory",
    errno.EFBIG: "the file is too large",
    errno.ENAMETOOLONG: "the name is too long",
    errno.ELOOP: "too many symbolic links",
    errno.EPIPE: "the reading end was closed",
    errno.EXDEV: "it is on another file system",
    errno.EMFILE: "too many open files",
    errno.ENFILE: "too many open files in the system",
    errno.ENOMEM: "out of memory",
}


def os_error_words(exc: OSError) -> str:
    """What an OSError means, in words (never '[Errno 28]')."""
    if exc.errno in _ERRNO_WORDS:
        return _ERRNO_WORDS[exc.errno]
    if exc.strerror:
        return exc.strerror[:1].lower() + exc.strerror[1:]
    return str(exc) or type(exc).__name__
