"""The windowed reader: every line once, at its true offset, whatever the read size, source or
compression; the window before the current one stays intact; memmem agrees with bytes.find."""

from __future__ import annotations

import gzip
import io
import random
from collections.abc import Iterator
from datetime import timezone
from pathlib import Path

import pytest

from postfinger_py.logs import blocks
from postfinger_py.logs.lines import YearGuesser
from postfinger_py.logs.problems import ProblemScan
from postfinger_py.logs.scan import LONG_LINE, LOOK_BACK, ReadNotes, Window, windows
from postfinger_py.logs.trace import Tracer

from .helpers import HAND_LOG, NOW, REAL_LOG

CHUNK, ROOM = 4096, 512  # small, so lines cross reads, outgrow the room and span several reads


def random_log(seed: int, n: int = 3000) -> bytes:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        r = rng.random()
        size = (
            rng.randint(0, 40)
            if r < 0.6
            else rng.randint(40, 400)
            if r < 0.95
            else rng.randint(ROOM - 5, 3 * CHUNK)
        )
        out.append(b"%06d " % i + bytes(rng.choice(b"abcXYZ :[]") for _ in range(size)) + b"\n")
    return b"".join(out)


class ShortReads(io.RawIOBase):
    """A pipe-like stream: readinto() gives at most `step` bytes at a time."""

    def __init__(self, data: bytes, step: int) -> None:
        self.data, self.pos, self.step = data, 0, step

    def readable(self) -> bool:
        return True

    def readinto(self, b: memoryview) -> int:  # type: ignore[override]
        piece = self.data[self.pos : self.pos + min(self.step, len(b))]
        b[: len(piece)] = piece
        self.pos += len(piece)
        return len(piece)


class ReadOnly:
    """A stream with read() only (no readinto)."""

    def __init__(self, data: bytes) -> None:
        self.fh = io.BytesIO(data)

    def read(self, n: int = -1) -> bytes:
        return self.fh.read(n)


def collect(fh: object, chunk: int = CHUNK, room: int = ROOM) -> tuple[list[tuple[int, bytes]], ReadNotes]:
    """(stream offset, line) for every line, checking each window holds whole lines."""
    notes = ReadNotes("x")
    got: list[tuple[int, bytes]] = []
    for w in windows(fh, notes, chunk, room):  # type: ignore[arg-type]
        assert 0 <= w.start <= w.end <= len(w.buf)
        part = bytes(w.buf[w.start : w.end])
        off = w.base + w.start
        for line in part.splitlines(keepends=True):
            got.append((off, line))
            off += len(line)
    return got, notes


def expected(data: bytes) -> list[tuple[int, bytes]]:
    out, off = [], 0
    for line in data.splitlines(keepends=True):
        out.append((off, line))
        off += len(line)
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_line_once_at_its_offset(seed: int) -> None:
    data = random_log(seed)
    want = expected(data)
    for fh in (io.BytesIO(data), ShortReads(data, 1000), ReadOnly(data)):
        got, notes = collect(fh)
        assert got == want
        assert notes.bytes_read == len(data) and not notes.long_lines


def test_default_sizes_and_a_last_line_without_newline() -> None:
    data = random_log(4) + b"no newline at the end"
    got, notes = collect(io.BytesIO(data), *_defaults())
    assert got == expected(data) and notes.bytes_read == len(data)
    got, _ = collect(io.BytesIO(data))
    assert got == expected(data)


def _defaults() -> tuple[int, int]:
    from postfinger_py.logs import scan

    return scan.CHUNK, scan.ROOM


def test_gzip_single_multi_member_and_through_short_reads() -> None:
    data = random_log(5)
    half = data.index(b"\n", len(data) // 2) + 1
    for packed in (gzip.compress(data), gzip.compress(data[:half]) + gzip.compress(data[half:])):
        for fh in (io.BytesIO(packed), ShortReads(packed, 777)):
            got, notes = collect(fh)
            assert got == expected(data)
            assert notes.gzip and not notes.truncated_gzip and not notes.corrupt
        big = data * 4  # more than zlib is asked for at a time (1 MiB)
        got, notes = collect(io.BytesIO(gzip.compress(big)), *_defaults())
        assert got == expected(big) and notes.bytes_read == len(big) > (1 << 20)


def test_gzip_member_ending_exactly_at_a_read_edge() -> None:
    # A stored (level 0) member is its data plus 23 bytes: make the first one exactly one read.
    first = b"".join(b"line %05d\n" % i for i in range(CHUNK))[: CHUNK - 23 - 1] + b"\n"
    member = gzip.compress(first, compresslevel=0, mtime=0)
    assert len(member) == CHUNK
    second = b"after the edge\n"
    got, notes = collect(io.BytesIO(member + gzip.compress(second)))
    assert [ln for _, ln in got][-1] == second
    assert got == expected(first + second) and not notes.truncated_gzip


def test_line_longer_than_the_cut_is_cut_once_and_reading_goes_on() -> None:
    data = b"a" * 100 + b"\n" + b"x" * (LONG_LINE + 10000) + b"\nafter\n"
    got, notes = collect(io.BytesIO(data))
    lines = [ln for _, ln in got]
    assert lines[0] == b"a" * 100 + b"\n" and lines[-1] == b"after\n"
    assert len(lines) == 3 and len(lines[1]) < 40000 and lines[1].startswith(b"xxx")
    assert notes.long_lines == 1
    assert got[-1][0] == len(data) - len(b"after\n")


def test_windows_before_the_current_one_stay_intact() -> None:
    data = random_log(6)
    prev: list[tuple[Window, bytes]] = []
    for w in windows(io.BytesIO(data), ReadNotes("x"), CHUNK, ROOM):
        for p, snap in prev:
            assert bytes(p.buf[p.start : p.end]) == snap
        prev = [*prev, (w, bytes(w.buf[w.start : w.end]))][-LOOK_BACK:]


def test_memmem_find_agrees_with_bytes_find() -> None:
    rng = random.Random(7)
    blk = blocks.Block(1 << 16)
    hay = bytes(rng.choice(b"ab:] \n") for _ in range(1 << 16))
    blk.mem[:] = hay
    for _ in range(2000):
        lit = bytes(rng.choice(b"ab:] \n") for _ in range(rng.randint(1, 6)))
        start = rng.randint(0, len(hay))
        end = rng.randint(start, len(hay))
        want = hay.find(lit, start, end)
        assert blocks.find(blk.mem, blk.addr, lit, start, end) == want
        assert blocks.find(blk.mem, 0, lit, start, end) == want  # the bytes.find fallback
    # out of range bounds never reach memmem
    assert blocks.find(blk.mem, blk.addr, b"ab", -5, 10) == blk.mem.find(b"ab", -5, 10)
    assert blocks.find(blk.mem, blk.addr, b"ab", 0, 10**9) == blk.mem.find(b"ab", 0)


def test_memmem_is_used_on_linux() -> None:
    import sys

    if not sys.platform.startswith("linux"):
        pytest.skip("memmem through ctypes is checked on Linux only")
    assert blocks.MEMMEM is not None and blocks.Block(4096).addr != 0


def _windows(path: Path, chunk: int, room: int) -> Iterator[Window]:
    return windows(io.BytesIO(path.read_bytes()), ReadNotes(str(path)), chunk, room)


# The look-back (the window before) must reach the session's `connect from`: 12 KB before the
# real message's `client=` line, with 151 verbose smtpd lines between.
@pytest.mark.parametrize(
    "path,qid,sizes",
    [
        (HAND_LOG, "3F1A2B4C5D", ((1024, 256), (CHUNK, ROOM))),
        (REAL_LOG, "D031E160026", ((16384, 512), (20000, 300))),
    ],
)
def test_trace_and_problems_do_not_depend_on_the_read_size(
    path: Path, qid: str, sizes: tuple[tuple[int, int], ...]
) -> None:
    results = []
    for chunk, room in ((1 << 20, 1 << 16), *sizes):
        tracer = Tracer(qid)
        tracer.feed(_windows(path, chunk, room), YearGuesser(NOW), timezone.utc, ReadNotes("x"), 0)
        lines, omitted, notes = tracer.result()
        scan = ProblemScan(limit=1000)
        scan.feed(_windows(path, chunk, room), YearGuesser(NOW), timezone.utc, ReadNotes("x"))
        results.append(
            ([ln.text for ln in lines], omitted, tracer.ids, notes, [p.text for p in scan.problems])
        )
    assert results[0][0] and results[0][4]
    assert all(r == results[0] for r in results)


def test_since_today_and_yesterday_start_at_local_midnight() -> None:
    from datetime import datetime, timedelta, timezone

    from postfinger_py.since import parse_since

    cet = timezone(timedelta(hours=1))
    now = datetime(2026, 3, 2, 0, 30, tzinfo=timezone.utc)  # 01:30 on 2 March in CET
    start, phrase = parse_since("today", now, cet)
    assert start == datetime(2026, 3, 2, 0, 0, tzinfo=cet)
    assert phrase.startswith("today (since 2026-03-02T00:00:00+01:00")
    start, _ = parse_since("Yesterday", now, cet)
    assert start == datetime(2026, 3, 1, 0, 0, tzinfo=cet)
