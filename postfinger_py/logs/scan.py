"""Streaming a log file (plain or gzip) as windows of whole lines, in bounded memory."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO, Callable, Union

CHUNK = 4 << 20  # bytes read at a time; measured faster than 1 MiB, memory stays bounded
GZIP_IN = 256 << 10  # compressed bytes fed to zlib at a time
LONG_LINE = 4 << 20  # a "line" longer than this is cut: its head is kept, the rest skipped
KEEP = 8192  # characters of one line kept for display

Buffer = Union[bytes, bytearray]


@dataclass
class Window:
    """buf[start:end] holds whole lines; `base` is the stream offset of buf[0]."""

    buf: Buffer
    start: int
    end: int
    base: int


@dataclass
class ReadNotes:
    """What went wrong while reading one file; turned into section notes."""

    path: str
    bytes_read: int = 0
    nul_chunks: int = 0
    long_lines: int = 0
    invalid_utf8: int = 0
    gzip: bool = False
    truncated_gzip: bool = False
    corrupt: str = ""
    read_error: str = ""
    cut_lines: int = 0

    def messages(self) -> list[str]:
        out: list[str] = []
        p = self.path
        if self.read_error:
            out.append(f"{p}: reading stopped after {self.bytes_read} bytes: {self.read_error}")
        if self.truncated_gzip:
            out.append(f"{p}: the gzip file is truncated (incomplete copy or still being "
                       f"written?); read what was there ({self.bytes_read} bytes uncompressed)")
        if self.corrupt:
            out.append(f"{p}: the gzip data is damaged ({self.corrupt}); read "
                       f"{self.bytes_read} bytes before the damage")
        if self.nul_chunks:
            out.append(f"{p}: {self.nul_chunks} shown line(s) held NUL bytes (often left by "
                       "a crash or a full disk); the NULs are left out")
        if self.long_lines:
            out.append(f"{p}: {self.long_lines} line(s) longer than {LONG_LINE // (1 << 20)} MiB; "
                       "only their start was read")
        if self.invalid_utf8:
            out.append(f"{p}: {self.invalid_utf8} shown line(s) are not valid UTF-8; invalid "
                       "bytes are shown as U+FFFD")
        if self.cut_lines:
            out.append(f"{p}: {self.cut_lines} shown line(s) were cut at {KEEP} characters")
        return out


def is_gzip(head: bytes) -> bool:
    return head[:2] == b"\x1f\x8b"


def _plain_blocks(fh: BinaryIO, notes: ReadNotes) -> Iterator[Buffer]:
    # Two buffers in turn: reading into reused memory avoids page faults on fresh allocations,
    # and the previous window stays intact for a tracer's look-back.
    bufs = [bytearray(CHUNK), bytearray(CHUNK)]
    turn = 0
    readinto = getattr(fh, "readinto", None)
    while True:
        try:
            if readinto is None:
                block: Buffer = fh.read(CHUNK)
                n = len(block)
            else:
                buf = bufs[turn]
                n = readinto(buf)
                block = buf if n == CHUNK else buf[:n]
                turn ^= 1
        except OSError as exc:
            notes.read_error = exc.strerror or str(exc)
            return
        if not n:
            return
        yield block


def _gzip_blocks(fh: BinaryIO, notes: ReadNotes) -> Iterator[bytes]:
    notes.gzip = True
    d = zlib.decompressobj(zlib.MAX_WBITS | 32)
    while True:
        try:
            data = fh.read(GZIP_IN)
        except OSError as exc:
            notes.read_error = exc.strerror or str(exc)
            return
        if not data:
            if not d.eof:
                notes.truncated_gzip = True
            tail = d.flush()
            if tail:
                yield tail
            return
        while data:
            try:
                out = d.decompress(data, CHUNK)
            except zlib.error as exc:
                notes.corrupt = str(exc)
                return
            if out:
                yield out
            if d.eof:
                # Several gzip members concatenated (`cat a.gz b.gz`): start the next one.
                data = d.unused_data
                d = zlib.decompressobj(zlib.MAX_WBITS | 32)
                if data[:2] != b"\x1f\x8b":
                    return  # trailing garbage after the last member
            else:
                data = d.unconsumed_tail


def windows(fh: BinaryIO, notes: ReadNotes) -> Iterator[Window]:
    """Yield windows of whole lines from a plain or gzip stream; cut overlong lines."""
    head = fh.read(2)
    try:
        fh.seek(0)
        blocks = _gzip_blocks(fh, notes) if is_gzip(head) else _plain_blocks(fh, notes)
    except (OSError, ValueError):  # not seekable: put the two bytes back in front
        blocks = _prepend(head, _plain_blocks(fh, notes))
    carry = b""  # the start of a line that continues in the next block
    carry_pos = 0  # stream offset of carry[0]
    consumed = 0  # stream offset of the current block's first byte
    skipping = False
    for block in blocks:
        n = len(block)
        bstart = consumed
        consumed += n
        notes.bytes_read += n
        start = 0
        if skipping:
            nl = block.find(b"\n")
            if nl < 0:
                continue
            start = nl + 1
            skipping = False
        first = block.find(b"\n", start)
        if first < 0:
            if not carry:
                carry_pos = bstart + start
            carry += bytes(block[start:])
            if len(carry) > LONG_LINE:
                notes.long_lines += 1
                yield Window(carry[:KEEP * 4] + b"\n", 0, KEEP * 4 + 1, carry_pos)
                carry = b""
                skipping = True
            continue
        if carry:
            # Only the line that straddles two blocks is copied, never the whole block.
            if len(carry) > LONG_LINE:
                notes.long_lines += 1
                carry = carry[:KEEP * 4]
            joined = carry + bytes(block[start:first + 1])
            yield Window(joined, 0, len(joined), carry_pos)
            carry = b""
            start = first + 1
        last = block.rfind(b"\n")
        if last + 1 > start:
            yield Window(block, start, last + 1, bstart)
        carry = bytes(block[last + 1:])
        carry_pos = bstart + last + 1
    if carry:
        yield Window(carry, 0, len(carry), carry_pos)


def _prepend(head: bytes, rest: Iterator[Buffer]) -> Iterator[Buffer]:
    if head:
        yield head
    yield from rest


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
        text = raw.decode("utf-8", "replace")
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
