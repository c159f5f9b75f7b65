"""Read queue files the way the Perl qshape does: walk the queue directories, read each envelope.

This needs read access to the queue (root, in practice). It is the fast path of
`postfinger qshape` as root: on a queue of 100,000 deferred messages showq (behind
`postqueue -j`) alone takes more than half of the Perl qshape's time, because it also opens every
deferred message's defer log and writes JSON through a socket. The rules are qshape's
(Postfix 3.7 qenv()):

- a file counts if its name is `[A-Za-z0-9]{6,}`, lstat() says it is a regular file (not a
  symbolic link) and `(mode & 0733) == 0700` (the owner execute bit marks a finished queue file);
- records are a type byte, a length in little-endian 7-bit groups (at most three bytes), data;
  a record of type "0" ends the file (Perl's getc() result "0" is false);
- a file written by cleanup starts with a `C` size record (its first number is the content length)
  and then a `T` record (arrival time, first word); a maildrop file starts with `F` or `S` and
  its arrival time is the file's mtime;
- `p` records with a positive value jump to that offset; `R` is a pending recipient; `S` the
  sender; at `M` the content is skipped (by its length, or record by record in maildrop files)
  and an `X` must follow; `E` ends the envelope, which counts only with a time, a sender and at
  least one recipient;
- a file whose first record is none of C, S, F (an empty file, or a maildrop file of Postfix 3.x,
  which starts with a `T` record) makes qshape's qenv() `return undef`, a one-element list, not
  an empty one: qshape then counts it in sender mode (-s) as MAILER-DAEMON in the oldest bucket
  (arrival time undef, 0), and not at all in recipient mode. We yield such files as
  (0, "", []) and `for_shape()` turns them into exactly that.

Speed: on the live file system each file costs open (O_NOFOLLOW, which refuses symbolic links as
qshape's lstat() test does, and O_NONBLOCK, so a FIFO cannot hang us), fstat, one read of 8 KiB
(a second pread only when the envelope continues after a larger message content) and close; the
records are parsed in one loop without a call per record.
"""

from __future__ import annotations

import errno
import os
import re
import stat as stat_mod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import BinaryIO, Callable, Optional, Union

from postfinger_py.files import FileProblem, Files, LiveFiles
from postfinger_py.queue.qshape import Number, perl_number

_NAME = re.compile(r"[A-Za-z0-9]{6,}\n?\Z")  # Perl's `$` allows one trailing newline
_WS = re.compile(rb"\s+")
_FIRST_NUMBER = re.compile(rb"\s*(\d+)\s+\d+\s+\d+")
_CHUNK = 8192  # the envelope and most messages: one read (as Perl's 8 KiB buffer)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | _CLOEXEC

Envelope = tuple[Number, str, list[str]]  # arrival time, sender, pending recipients
ReadAt = Callable[[int, int], bytes]  # (offset, size) -> at most size bytes from offset

# Record types (bytes of the queue file format)
_C, _T, _S, _F, _R, _M, _X, _E, _P = b"CTSFRMXEp"
_N, _L, _ZERO = b"NL0"


def _text(raw: bytes) -> str:
    """Addresses as qshape sees them: bytes; kept lossless through surrogateescape."""
    return raw.decode("utf-8", "surrogateescape")


_Slow = Optional[tuple[int, bytes, int, bytes, int]]


def _slow_record(pos: int, buf: bytes, base: int, read_at: ReadAt) -> _Slow:
    """qshape's rec_get() at file offset `pos` when the record is not simply inside `buf`
    (which holds the file from offset `base`): (type, data, next pos, buf, base) or None."""
    i = pos - base
    if i < 0 or i + 4 > len(buf):  # type + up to three length bytes
        buf, base, i = read_at(pos, _CHUNK), pos, 0
    if i >= len(buf):
        return None
    rtype = buf[i]
    if rtype == _ZERO:
        return None
    k = i + 1
    length = shift = 0
    while k < len(buf):  # at the end of the file the length is taken as read so far
        byte = buf[k]
        k += 1
        length |= (byte & 0x7F) << shift
        if not byte & 0x80:
            break
        shift += 7
        if shift > 14:
            return None
    if length == 0:
        return rtype, b"", base + k, buf, base
    if k + length <= len(buf):
        return rtype, buf[k : k + length], base + k + length, buf, base
    data = read_at(base + k, length)
    if len(data) < length:
        return None
    return rtype, data, base + k + length, buf, base


INVALID: Envelope = (0, "", [])  # see the module docstring: qenv()'s `return undef`


def read_envelope(first: bytes, read_at: ReadAt, mtime: float) -> Envelope | None:
    """qshape's qenv() of one queue file whose first bytes are `first`; `read_at` reads more.

    Returns (arrival time, sender, pending recipients), None when qshape would skip the file,
    or INVALID when its first record is none of C, S, F.
    """
    buf, base, pos = first, 0, 0
    n = len(buf)
    arrival: Number | None = None
    sender: str | None = None
    dlen: int | None = None
    recipients: list[str] = []
    # 0: first record; 1: after C (T must follow); 2: after F (S must follow); 3: envelope;
    # 4: after the skipped content (X must follow)
    state = 0
    while True:
        # One record: the common case (one length byte, data inside buf) without a call.
        i = pos - base
        if 0 <= i and i + 2 <= n and buf[i + 1] < 0x80 and i + 2 + buf[i + 1] <= n:
            rtype = buf[i]
            j = i + 2 + buf[i + 1]
            pos = base + j
            if state == 3 and rtype not in _ACTIVE:
                continue  # A, O, F, D, N, L, X, ...: nothing qshape looks at
            if rtype == _ZERO:
                return INVALID if state == 0 else None
            data = buf[i + 2 : j]
        else:
            rec = _slow_record(pos, buf, base, read_at)
            if rec is None:
                return INVALID if state == 0 else None
            rtype, data, pos, buf, base = rec
            n = len(buf)
        if state == 3:
            if rtype == _R:
                recipients.append(data.decode("utf-8", "surrogateescape"))
            elif rtype == _S:
                sender = _text(data)
            elif rtype == _P:
                target = perl_number(_text(data))
                if target > 0:
                    pos = int(target)
            elif rtype == _M:
                if sender is None:
                    return None
                if dlen is not None:
                    pos += dlen
                    state = 4
                    continue
                while True:  # no content length (maildrop): skip N, L, p records one by one
                    rec = _slow_record(pos, buf, base, read_at)
                    if rec is None or rec[0] not in (_N, _L, _P):
                        break
                    pos, buf, base = rec[2], rec[3], rec[4]
                    if rec[0] == _P:
                        target = perl_number(_text(rec[1]))
                        if target > 0:
                            pos = int(target)
                n = len(buf)
                if rec is None or rec[0] != _X:
                    return None
                pos, buf, base = rec[2], rec[3], rec[4]
                n = len(buf)
            elif rtype == _E:
                if arrival is None or sender is None or not recipients:
                    return None
                return arrival, sender, recipients
        elif state == 4:
            if rtype != _X:
                return None
            state = 3
        elif state == 0:
            if rtype == _C:
                m = _FIRST_NUMBER.match(data)
                if m:
                    dlen = int(m.group(1))
                state = 1
            elif rtype == _S:
                arrival, sender, state = int(mtime), _text(data), 3
            elif rtype == _F:
                arrival, state = int(mtime), 2
            else:
                return INVALID
        elif state == 1:
            if rtype != _T:
                return None
            # Perl's split(/\s+/): a leading empty field is kept; nothing when only blanks
            if data.strip():
                word = _WS.split(data, 1)[0]
                arrival = int(word) if word.isdigit() else perl_number(_text(word))
            state = 3
        else:
            if rtype != _S:
                return None
            sender, state = _text(data), 3


_ACTIVE = frozenset((_R, _S, _P, _M, _E, _ZERO))  # record types that matter in the envelope


@dataclass
class QueueScan:
    """What could not be read while iterating over queue files (filled in as iteration goes)."""

    notes: list[str] = field(default_factory=list)
    unreadable: int = 0  # files or subdirectories that could not be opened (not: vanished)
    files: int = 0  # queue files whose envelope counted

    def problems(self) -> list[str]:
        out = list(self.notes)
        if self.unreadable:
            out.append(f"{self.unreadable} queue file(s) or directories could not be read")
        return out


def queue_paths(names: Sequence[str], queue_directory: str) -> list[str]:
    """qshape's queue arguments as absolute paths: relative names are below queue_directory."""
    return [n if n.startswith("/") else os.path.join(queue_directory, n) for n in names]


_DIR = "dir"  # a directory named like a queue file: qshape's find() descends into it
_BAD = "bad"  # could not be read
Result = Union[Envelope, str, None]  # None: does not count (or vanished since listed)


def _read_live(name: str, dir_fd: int | None) -> Result:
    """One candidate on the live file system, with as few system calls as it takes (opened
    relative to its directory: the kernel looks up one name, not the whole path)."""
    try:
        fd = os.open(name, _OPEN_FLAGS, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ELOOP, errno.ENXIO):  # gone, symlink, socket
            return None
        return _BAD
    try:
        st = os.fstat(fd)
        if not stat_mod.S_ISREG(st.st_mode):
            return _DIR if stat_mod.S_ISDIR(st.st_mode) else None
        if (st.st_mode & 0o733) != 0o700:
            return None
        return read_envelope(os.read(fd, _CHUNK), lambda off, size: os.pread(fd, size, off), st.st_mtime)
    except OSError:
        return _BAD
    finally:
        os.close(fd)


def _read_files(files: Files, path: str) -> Result:
    """One candidate through the Files interface (any Files, e.g. a snapshot replay)."""
    try:
        info = files.stat(path)
    except FileProblem as exc:
        return None if exc.kind == "missing" else _BAD
    if info.kind != "file":
        return _DIR if info.kind == "dir" else None
    if (info.mode & 0o733) != 0o700:
        return None
    try:
        with files.open_binary(path) as fh:
            return read_envelope(fh.read(_CHUNK), _seek_reader(fh), info.mtime)
    except FileProblem as exc:
        return None if exc.kind == "missing" else _BAD
    except OSError:
        return _BAD


def _seek_reader(fh: BinaryIO) -> ReadAt:
    def read_at(offset: int, size: int) -> bytes:
        fh.seek(offset)
        return fh.read(size)

    return read_at


@contextmanager
def _directory(files: Files, d: str) -> Iterator[Callable[[str], Result]]:
    """A reader of the candidates (by name) in directory `d`."""
    dir_fd: int | None = None
    if type(files) is LiveFiles and os.open in os.supports_dir_fd:
        root = files.root
        real = d if root in ("", "/") else os.path.join(root, d.lstrip("/"))
        try:
            dir_fd = os.open(real, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _CLOEXEC)
        except OSError:
            dir_fd = None
    if dir_fd is None:
        yield lambda name: _read_files(files, d + "/" + name)
        return
    try:
        fd = dir_fd
        yield lambda name: _read_live(name, fd)
    finally:
        os.close(dir_fd)


def _is_dir(files: Files, path: str) -> bool:
    try:
        return files.stat(path).kind == "dir"
    except FileProblem:
        return False


def iter_envelopes(files: Files, paths: Sequence[str], scan: QueueScan) -> Iterator[Envelope]:
    """Envelopes of all queue files below these directories, one at a time (constant memory).

    Raises FileProblem if a queue directory itself cannot be listed for a reason other than
    not existing; a missing queue directory becomes a note in `scan`, as qshape only warns.
    """
    for top in paths:
        stack = [top]
        while stack:
            d = stack.pop()
            try:
                names = files.listdir(d)
            except FileProblem as exc:
                if d != top:
                    scan.unreadable += exc.kind != "missing"
                    continue
                if exc.kind != "missing":
                    raise
                scan.notes.append(f"queue directory {top} does not exist (counted as empty)")
                continue
            with _directory(files, d) as read:
                for name in names:
                    if not _NAME.match(name):
                        if _is_dir(files, d + "/" + name):
                            stack.append(d + "/" + name)
                        continue
                    env = read(name)
                    if env is None:
                        continue
                    if isinstance(env, str):
                        if env == _DIR:
                            stack.append(d + "/" + name)
                        else:
                            scan.unreadable += 1
                        continue
                    scan.files += 1
                    yield env


def for_shape(envelopes: Iterator[Envelope], senders: bool) -> Iterator[Envelope]:
    """What qshape counts of these envelopes: INVALID ones only in sender mode, as a message
    from the null sender (MAILER-DAEMON) that arrived at time 0."""
    for env in envelopes:
        if env[2]:
            yield env
        elif senders:
            yield env[0], env[1], [""]  # one placeholder recipient: Shape.add counts the sender


def check_readable(files: Files, paths: Sequence[str]) -> None:
    """Raise FileProblem unless every existing queue directory can be listed."""
    for top in paths:
        try:
            files.listdir(top)
        except FileProblem as exc:
            if exc.kind != "missing":
                raise
