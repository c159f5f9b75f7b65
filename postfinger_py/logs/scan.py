"""Streaming a log file (plain or gzip) as windows of whole lines, in bounded memory."""

from __future__ import annotations

import io
import mmap
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO, Callable, Union

from postfinger_py.logs.blocks import Block, find
from postfinger_py.textbytes import ERRORS

# Bytes read at a time, a multiple of the page size so reads stay page aligned. 1 MiB used less
# CPU than 4 MiB (trace 0.30 vs 0.34 s, problems 1.22 vs 1.33 s on 1 GiB, medians of 5-8 runs):
# fewer fresh pages to fault in, and the data is still in cache when searched.
CHUNK = 1 << 20
ROOM = 64 << 10  # room before each read for the start of a line that continues in the next read
LOOK_BACK = 3  # windows before the current one that stay intact (a tracer's look-back, ~3 MiB)
BUFFERS = LOOK_BACK + 2  # the current window, the ones kept before it, and one being filled
GZIP_IN = 256 << 10  # compressed bytes fed to zlib at a time
GZIP_OUT = 1 << 20  # decompressed bytes asked of zlib at a time
LONG_LINE = 4 << 20  # a "line" longer than this is cut: its head is kept, the rest skipped
KEEP = 8192  # characters of one line kept for display

Buffer = Union[bytes, bytearray, mmap.mmap]


@dataclass
class Window:
    """buf[start:end] holds whole lines; `base` is the stream offset of buf[0].

    The bytes stay valid while the next LOOK_BACK windows are processed (a tracer looks back),
    never longer: the buffers are reused. Copy what you keep.
    """

    buf: Buffer
    start: int
    end: int
    base: int
    addr: int = 0  # address of buf[0] when buf is a read buffer (memmem searches it)

    def find(self, lit: bytes, start: int, end: int) -> int:
        """buf.find(lit, start, end), faster on read buffers."""
        return find(self.buf, self.addr, lit, start, end)


@dataclass
class ReadNotes:
    """What went wrong while reading one file; turned into section notes."""

    path: str
    bytes_read: int = 0  # of the text (decompressed)
    file_bytes: int = 0  # of the file as stored (compressed for gzip): the progress meter's count
    nul_chunks: int = 0
    long_lines: int = 0
    invalid_utf8: int = 0
    gzip: bool = False
    truncated_gzip: bool = False
    corrupt: str = ""
    read_error: str = ""
    cut_lines: int = 0
    binary: bool = False  # not a text log: nothing of it was read

    def messages(self) -> list[str]:
        out: list[str] = []
        p = self.path
        if self.binary:
            return [f"{p} is not a text log (binary data); not read"]
        if self.read_error:
            out.append(f"{p}: reading stopped after {self.bytes_read} bytes: {self.read_error}")
        if self.truncated_gzip:
            out.append(
                f"{p}: the gzip file is truncated (incomplete copy or still being "
                f"written?); read what was there ({self.bytes_read} bytes uncompressed)"
            )
        if self.corrupt:
            out.append(
                f"{p}: the gzip data is damaged ({self.corrupt}); read "
                f"{self.bytes_read} bytes before the damage"
            )
        if self.nul_chunks:
            out.append(
                f"{p}: {self.nul_chunks} shown line(s) held NUL bytes (often left by "
                "a crash or a full disk); the NULs are left out"
            )
        if self.long_lines:
            out.append(
                f"{p}: {self.long_lines} line(s) longer than {LONG_LINE // (1 << 20)} MiB; "
                "only their start was read"
            )
        if self.invalid_utf8:
            out.append(
                f"{p}: {self.invalid_utf8} shown line(s) are not valid UTF-8; invalid "
                "bytes are shown as the Latin-1 characters they are (a control byte as U+FFFD)"
            )
        if self.cut_lines:
            out.append(f"{p}: {self.cut_lines} shown line(s) were cut at {KEEP} characters")
        return out


def is_gzip(head: bytes) -> bool:
    return head[:2] == b"\x1f\x8b"


class _Gunzip:
    """Decompresses a gzip stream (several members too) into the buffers it is given."""

    def __init__(self, fh: BinaryIO, data: bytes, notes: ReadNotes) -> None:
        notes.gzip = True
        self.fh = fh
        self.notes = notes
        self.d = zlib.decompressobj(zlib.MAX_WBITS | 32)
        self.data = data  # compressed bytes not yet given to zlib
        self.spill = b""  # decompressed bytes that did not fit
        self.between = False  # a member ended: what follows must start another one
        self.done = False

    def fill(self, mv: memoryview) -> int:
        want = len(mv)
        got = len(self.spill[:want])
        mv[:got] = self.spill[:got]
        self.spill = self.spill[got:]
        while got < want and not self.done:
            if not self.data or (self.between and len(self.data) < 2):
                more = self._read()
                if more:
                    self.data += more
                    continue
                self.done = True
                if not self.between:
                    if not self.d.eof and not self.notes.read_error:
                        self.notes.truncated_gzip = True
                    self.spill = self.d.flush()
                    got += self.fill(mv[got:])
                break
            if self.between:
                if self.data[:2] != b"\x1f\x8b":
                    self.done = True  # trailing garbage after the last member
                    break
                self.d = zlib.decompressobj(zlib.MAX_WBITS | 32)
                self.between = False
            try:
                # At most GZIP_OUT at a time: zlib allocates the output before we copy it.
                out = self.d.decompress(self.data, min(want - got, GZIP_OUT))
            except zlib.error as exc:
                self.notes.corrupt = str(exc)
                self.done = True
                break
            mv[got : got + len(out)] = out
            got += len(out)
            if self.d.eof:
                self.data, self.between = self.d.unused_data, True
            else:
                self.data = self.d.unconsumed_tail
        return got

    def _read(self) -> bytes:
        try:
            data = self.fh.read(GZIP_IN)
        except OSError as exc:
            self.notes.read_error = exc.strerror or str(exc)
            return b""
        self.notes.file_bytes += len(data)
        return data


_TEXT = bytes(range(32, 127)) + b"\t\n\r\f\v\x1b" + bytes(range(128, 256))


class TextCheck:
    """Tells a text log from binary data by its first bytes that are not NUL.

    A real log may hold a few stray bytes or runs of NULs (a crash, a copytruncate rotation
    leaves a hole at the start): NULs are skipped, up to NUL_LIMIT, and the first SAMPLE bytes
    after them must be mostly text (printable ASCII or valid UTF-8).
    """

    SAMPLE = 64 << 10
    NUL_LIMIT = 16 << 20  # a file that is only NULs this far is not a log
    MAX_NONTEXT = 0.3

    def __init__(self) -> None:
        self.decided = False
        self.nuls = 0

    def binary(self, data: memoryview) -> bool:
        sample = bytes(data[: self.SAMPLE]).translate(None, b"\0")
        if not sample:
            self.nuls += len(data)
            if not data or self.nuls >= self.NUL_LIMIT:
                self.decided = True
                return bool(self.nuls)
            return False
        self.decided = True
        control = len(sample.translate(None, _TEXT))
        invalid = len(sample) - len(sample.decode("utf-8", "ignore").encode("utf-8"))
        return control + max(0, invalid - 3) > self.MAX_NONTEXT * len(sample)


class _Reader:
    """fill(view) -> bytes put into view, 0 at the end; plain or gzip, told by the first bytes."""

    def __init__(self, fh: BinaryIO, notes: ReadNotes) -> None:
        self.fh = fh
        self.notes = notes
        self.readinto = getattr(fh, "readinto", None)
        try:  # a cold log is read ahead further (no effect once it is in the page cache)
            os.posix_fadvise(fh.fileno(), 0, 0, os.POSIX_FADV_SEQUENTIAL)
        except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
            pass  # not a real file (a snapshot, journald text), or no posix_fadvise here
        self.gz: _Gunzip | None = None
        self.first = True
        self.ended = False
        self.text = TextCheck()

    def __call__(self, mv: memoryview) -> int:
        if self.gz is not None:
            n = self.gz.fill(mv)
        else:
            n = self._raw(mv)
            if self.first:
                self.first = False
                if n >= 2 and is_gzip(bytes(mv[:2])):
                    self.gz = _Gunzip(self.fh, bytes(mv[:n]), self.notes)
                    n = self.gz.fill(mv)
        if not self.text.decided and self.text.binary(mv[:n]):
            self.notes.binary = True
            return 0
        return n

    def _raw(self, mv: memoryview) -> int:
        # Fill the whole view (a pipe gives short reads): fewer, larger windows.
        got = 0
        while got < len(mv) and not self.ended:
            try:
                if self.readinto is not None:
                    n = self.readinto(mv[got:]) or 0
                else:
                    data = self.fh.read(len(mv) - got)
                    n = len(data)
                    mv[got : got + n] = data
            except OSError as exc:
                self.notes.read_error = exc.strerror or str(exc)
                n = 0
            if not n:
                self.ended = True
            got += n
        self.notes.file_bytes += got
        return got


def windows(fh: BinaryIO, notes: ReadNotes, chunk: int = CHUNK, room: int = ROOM) -> Iterator[Window]:
    """Yield windows of whole lines from a plain or gzip stream; cut overlong lines.

    Reads go into reused, page-aligned buffers at offset `room`; the unfinished last line is
    copied in front of the next read, so a window is one buffer and lines are never split. The
    buffers of the last LOOK_BACK + 1 windows are kept, so the windows before the current one
    are intact (a tracer's look-back). Reading ahead in a thread was tried: slower on 2 busy
    cores (the GIL changes hands at every read).
    """
    blocks = [Block(room + chunk) for _ in range(BUFFERS)]
    fill = _Reader(fh, notes)
    free = list(range(BUFFERS))
    carry = b""  # the unfinished last line of the previous read
    pos = 0  # stream offset of the next read's first byte
    long = _Long(notes)  # an unfinished line longer than `room`
    kept: list[int] = []  # buffers of the last LOOK_BACK + 1 windows
    while True:
        i = free.pop(0)
        blk = blocks[i]
        n = fill(blk.view[room:])
        if not n:
            break
        buf = blk.mem
        base = pos - room  # stream offset of buf[0]
        pos += n
        notes.bytes_read += n
        end = room + n
        start = room - len(carry)
        buf[start:room] = carry
        carry = b""
        if long.active:
            nl = buf.find(b"\n", room, end)
            if nl < 0:
                yield from long.add(blk.view[room:end])
                free.append(i)
                continue
            yield from long.finish(blk.view[room : nl + 1])
            start = nl + 1
        last = buf.rfind(b"\n", start, end)
        if last < 0:  # no line ends in this read: it goes on in the next one
            if end - start <= room:
                carry = buf[start:end]
            else:
                yield from long.begin(blk.view[start:end], base + start)
            free.append(i)
            continue
        kept.append(i)
        if len(kept) > LOOK_BACK + 1:
            free.append(kept.pop(0))
        yield Window(buf, start, last + 1, base, blk.addr)
        if end - last - 1 <= room:
            carry = buf[last + 1 : end]
        else:
            yield from long.begin(blk.view[last + 1 : end], base + last + 1)
    if long.active:
        yield from long.finish(b"")
    elif carry:
        yield Window(carry, 0, len(carry), pos - len(carry))


class _Long:
    """A line longer than the room in front of a read: gathered apart, cut beyond LONG_LINE."""

    def __init__(self, notes: ReadNotes) -> None:
        self.notes = notes
        self.active = False
        self.skipping = False  # beyond LONG_LINE: its head was shown, drop the rest
        self.data = bytearray()
        self.pos = 0

    def begin(self, data: memoryview, pos: int) -> Iterator[Window]:
        self.active, self.skipping, self.pos = True, False, pos
        self.data = bytearray()
        yield from self.add(data)

    def add(self, data: memoryview | bytes) -> Iterator[Window]:
        # A view of the read buffer: nothing is copied beyond what is kept.
        if self.skipping:
            return
        if len(self.data) + len(data) > LONG_LINE:
            self.notes.long_lines += 1
            self.skipping = True
            self.data += data[: max(0, KEEP * 4 - len(self.data))]
            head = bytes(self.data[: KEEP * 4]) + b"\n"
            self.data = bytearray()
            yield Window(head, 0, len(head), self.pos)
        else:
            self.data += data

    def finish(self, data: memoryview | bytes) -> Iterator[Window]:
        yield from self.add(data)
        if not self.skipping:
            line = bytes(self.data)
            yield Window(line, 0, len(line), self.pos)
        self.active, self.skipping, self.data = False, False, bytearray()


def line_at(w: Window, i: int) -> tuple[int, int]:
    """Bounds [s, e) of the line holding buf[i] (e excludes the newline)."""
    s = w.buf.rfind(b"\n", w.start, i) + 1
    if s == 0:
        s = w.start
    e = w.buf.find(b"\n", i, w.end)
    if e < 0:
        e = w.end
    return s, e


def decode(raw: Buffer, notes: ReadNotes | None = None) -> str:
    """A line as text: NULs dropped, cut at KEEP characters, invalid UTF-8 replaced (and counted)."""
    raw = bytes(raw).rstrip(b"\r")
    if b"\0" in raw:
        raw = raw.replace(b"\0", b"")
        if notes is not None:
            notes.nul_chunks += 1
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("utf-8", ERRORS)  # (Latin-1 names stay one word: see textbytes.py)
        if notes is not None:
            notes.invalid_utf8 += 1
    if len(text) > KEEP:
        if notes is not None:
            notes.cut_lines += 1
        text = text[:KEEP] + f" [... {len(text) - KEEP} more characters cut by postfinger]"
    return text


@dataclass
class Source:
    """One log to read: a file path, or text produced by a command (journald)."""

    name: str  # the path, or e.g. `journalctl SYSLOG_FACILITY=2`
    open: Callable[[], BinaryIO]
    size: int = -1
    mtime: float | None = None
    notes: list[str] = field(default_factory=list)
