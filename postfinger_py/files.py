"""Read-only access to the files collectors look at, through a root that tests can move."""

from __future__ import annotations

import errno
import grp
import os
import pwd
import stat as stat_mod
import threading
from dataclasses import dataclass
from typing import BinaryIO, Protocol

from postfinger_py.parse.elf import BinaryInfo, parse_elf


class FileProblem(Exception):
    """A file could not be read; `kind` is missing, denied or error."""

    def __init__(self, path: str, kind: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.kind = kind
        self.reason = reason


@dataclass(frozen=True)
class StatInfo:
    """What lstat says of a path, with owner and group names resolved where possible."""

    path: str
    kind: str  # file, dir, link, socket, fifo, other
    mode: int  # permission bits only (mode & 0o7777)
    uid: int
    gid: int
    user: str
    group: str
    size: int
    mtime: float

    @property
    def mode_string(self) -> str:
        return stat_mod.filemode(self.mode | _KIND_BITS.get(self.kind, 0))


_KIND_BITS = {
    "file": stat_mod.S_IFREG,
    "dir": stat_mod.S_IFDIR,
    "link": stat_mod.S_IFLNK,
    "socket": stat_mod.S_IFSOCK,
    "fifo": stat_mod.S_IFIFO,
}


class Files(Protocol):
    """The file operations collectors may use. Paths are absolute paths of the inspected system."""

    def read_bytes(self, path: str, limit: int | None = None) -> bytes: ...

    def stat(self, path: str) -> StatInfo: ...

    def restat(self, path: str) -> StatInfo:
        """The status again, later in the run (a log after it was read): never a remembered one.

        Kept apart from stat() so that a capture records both answers and its replay gives
        each caller the answer the live run gave it.
        """
        ...

    def listdir(self, path: str) -> list[str]: ...

    def open_binary(self, path: str) -> BinaryIO: ...

    def inspect_binary(self, path: str) -> BinaryInfo:
        """ELF facts of a program file (read, never executed); snapshots keep only these facts."""
        ...


def _problem(path: str, exc: OSError) -> FileProblem:
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return FileProblem(path, "missing", "no such file or directory")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return FileProblem(path, "denied", "permission denied")
    return FileProblem(path, "error", exc.strerror or str(exc))


def _kind(mode: int) -> str:
    if stat_mod.S_ISREG(mode):
        return "file"
    if stat_mod.S_ISDIR(mode):
        return "dir"
    if stat_mod.S_ISLNK(mode):
        return "link"
    if stat_mod.S_ISSOCK(mode):
        return "socket"
    if stat_mod.S_ISFIFO(mode):
        return "fifo"
    return "other"


def _user(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _group(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


_KIND_WORDS = {
    "dir": "a directory",
    "fifo": "a FIFO (named pipe)",
    "socket": "a socket",
    "link": "a symbolic link",
    "other": "a device",
}


def open_regular(path: str, shown: str | None = None) -> BinaryIO:
    """Open a regular file for reading; FileProblem for anything else (a FIFO, a device, a dir).

    O_NONBLOCK so that opening a FIFO does not wait for a writer; it is cleared once the file
    is known to be regular. Reading a FIFO or /dev/zero would hang or never end.
    """
    shown = path if shown is None else shown
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise _problem(shown, exc) from None
    try:
        st = os.fstat(fd)
        if not stat_mod.S_ISREG(st.st_mode):
            kind = _KIND_WORDS.get(_kind(st.st_mode), "a device")
            raise FileProblem(shown, "error", f"{kind}, not a regular file; not read")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


class LiveFiles:
    """Reads the real file system, optionally below `root` (a fixture tree in tests)."""

    def __init__(self, root: str = "/") -> None:
        self.root = root
        # The daemons and libraries collectors both inspect every Postfix program (~5 MB of
        # ELF files); the answer is the same, so each file is read and parsed once.
        self._binaries: dict[str, BinaryInfo] = {}
        self._binaries_lock = threading.Lock()

    def _real(self, path: str) -> str:
        if self.root in ("", "/"):
            return path
        return os.path.join(self.root, path.lstrip("/"))

    def read_bytes(self, path: str, limit: int | None = None) -> bytes:
        try:
            with open_regular(self._real(path), path) as fh:
                return fh.read() if limit is None else fh.read(limit)
        except OSError as exc:
            raise _problem(path, exc) from None

    def restat(self, path: str) -> StatInfo:
        return self.stat(path)

    def stat(self, path: str) -> StatInfo:
        try:
            st = os.lstat(self._real(path))
        except OSError as exc:
            raise _problem(path, exc) from None
        return StatInfo(
            path=path,
            kind=_kind(st.st_mode),
            mode=stat_mod.S_IMODE(st.st_mode),
            uid=st.st_uid,
            gid=st.st_gid,
            user=_user(st.st_uid),
            group=_group(st.st_gid),
            size=st.st_size,
            mtime=st.st_mtime,
        )

    def listdir(self, path: str) -> list[str]:
        try:
            return sorted(os.listdir(self._real(path)))
        except OSError as exc:
            raise _problem(path, exc) from None

    def open_binary(self, path: str) -> BinaryIO:
        return open_regular(self._real(path), path)

    def inspect_binary(self, path: str) -> BinaryInfo:
        with self._binaries_lock:
            cached = self._binaries.get(path)
        if cached is not None:
            return cached
        try:
            info = parse_elf(path, self.read_bytes(path, limit=64 * 1024 * 1024))
        except FileProblem as exc:
            info = BinaryInfo(path, "unreadable", problem=exc.reason)
        with self._binaries_lock:
            self._binaries[path] = info
        return info
