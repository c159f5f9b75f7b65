"""Every file the tool writes: atomic, mode 0600, and only onto a regular file or a new name."""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from typing import BinaryIO, Callable

from postfinger_py.errors import PostfingerError, os_error_words

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISLNK, "a symbolic link"),
)


def _not_regular(mode: int) -> str | None:
    for test, words in _KINDS:
        if test(mode):
            return words
    return None if stat.S_ISREG(mode) else "not a regular file"


def check_output(path: str) -> str:
    """The absolute path, when `path` may be written: a regular file or a new name in a directory.

    A device, FIFO, socket, directory or symbolic link is refused, so writing never replaces a
    device node (`-o /dev/full` as root) or follows a link somewhere else.
    """
    path = os.path.abspath(path)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise PostfingerError(f"cannot write {path}: {os_error_words(exc)}") from None
    if st is not None:
        kind = _not_regular(st.st_mode)
        if kind:
            raise PostfingerError(
                f"refusing to write {path}: it is {kind}, not a regular file; "
                "name a regular file or a new file name"
            )
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        raise PostfingerError(f"cannot write {path}: directory {directory} does not exist")
    return path


def write_private(path: str, data: bytes) -> None:
    """Write `data` to `path` with mode 0600, all or nothing; an existing file is kept on failure."""
    path = check_output(path)
    _write_then(path, data, lambda tmp: _replace(tmp, path))


def write_private_from(path: str, fill: Callable[[BinaryIO], None]) -> None:
    """write_private, the data written by `fill` into the open temporary file (so it need not
    be in memory); if `fill` raises, nothing is written and an existing file is kept."""
    path = check_output(path)
    _write_then(path, fill, lambda tmp: _replace(tmp, path))


def write_private_new(directory: str, stem: str, suffix: str, data: bytes) -> str:
    """Write `data` under a name in `directory` no file has yet (stem, stem-2, ...); its path."""
    directory = os.path.abspath(directory)
    if not os.path.isdir(directory):
        raise PostfingerError(f"cannot write in {directory}: it is not a directory")
    chosen: list[str] = []

    def place(tmp: str) -> None:
        for n in range(1, 1000):
            name = os.path.join(directory, f"{stem}{'' if n == 1 else f'-{n}'}{suffix}")
            if _link_new(tmp, name):
                chosen.append(name)
                return
        raise OSError(errno.EEXIST, "too many earlier copies with that name")

    _write_then(os.path.join(directory, stem + suffix), data, place)
    return chosen[0]


def write_private_exclusive(path: str, data: bytes) -> bool:
    """Write `data` to `path` only if nothing has that name (False then); all or nothing, 0600."""
    path = os.path.abspath(path)
    placed: list[bool] = []
    _write_then(path, data, lambda tmp: placed.append(_link_new(tmp, path)))
    return placed[0]


def _link_new(tmp: str, name: str) -> bool:
    """Give the finished temporary file `name`, unless the name exists (a link never replaces)."""
    try:
        os.link(tmp, name)
    except FileExistsError:
        return False
    os.unlink(tmp)
    return True


def _replace(tmp: str, path: str) -> None:
    # Checked again just before the rename: a device or link put there meanwhile is not replaced.
    check_output(path)
    os.rename(tmp, path)


def _write_then(path: str, data: bytes | Callable[[BinaryIO], None], place: Callable[[str], None]) -> None:
    directory = os.path.dirname(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=".postfinger-", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise PostfingerError(
            f"cannot write {path}: {os_error_words(exc)} (choose a directory you can write to)"
        ) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), 0o600)
            if callable(data):
                data(fh)
            else:
                fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        place(tmp)
        _unlink(tmp)  # still there when `place` declined (the name was taken)
    except OSError as exc:
        _unlink(tmp)
        raise PostfingerError(
            f"could not write {path}: {os_error_words(exc)}; an existing file of that name is unchanged"
        ) from None
    except BaseException:
        _unlink(tmp)
        raise
    _sync_dir(directory)


def _sync_dir(directory: str) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a directory; the data itself is synced
    finally:
        os.close(fd)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
