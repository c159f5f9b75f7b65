"""Atomic, private file writes: a temporary file in the same directory, fsync, rename."""

from __future__ import annotations

import os
import tempfile

from postfinger_py.errors import PostfingerError


def write_private(path: str, data: bytes) -> None:
    """Write `data` to `path` with mode 0600, all or nothing; an error says what to do."""
    path = os.path.abspath(path)
    directory = os.path.dirname(path)
    if os.path.isdir(path):
        raise PostfingerError(f"cannot write {path}: it is a directory; name a file")
    if not os.path.isdir(directory):
        raise PostfingerError(f"cannot write {path}: directory {directory} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=".postfinger-", dir=directory)
    except OSError as exc:
        raise PostfingerError(
            f"cannot write {path}: {exc.strerror} (choose a directory you can write to)"
        ) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), 0o600)
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.rename(tmp, path)
    except OSError as exc:
        _unlink(tmp)
        raise PostfingerError(f"cannot write {path}: {exc.strerror}") from None
    except BaseException:
        _unlink(tmp)
        raise


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
