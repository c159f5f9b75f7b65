"""Damaged, odd and moving logs give notes, never a crash."""

from __future__ import annotations

import gzip
import io
import os
from pathlib import Path
from typing import BinaryIO

from postfinger_py.collect.logs import LogsCollector
from postfinger_py.files import FileProblem, LiveFiles
from postfinger_py.logs.scan import ReadNotes, decode, windows

from .helpers import REAL_LOG, make_ctx

WARN = b"Nov 21 21:30:00 mx1 postfix/smtpd[9]: warning: after the damage\n"


def collect(root: Path, name: str = "/var/log/mail.log"):  # type: ignore[no-untyped-def]
    ctx = make_ctx(root, log_files=(name,))
    return LogsCollector().collect(ctx)


def write(root: Path, data: bytes, name: str = "var/log/mail.log") -> None:
    (root / name).write_bytes(data)


def test_missing_file_is_a_note(root: Path) -> None:
    sec = collect(root)
    assert sec.status.value == "failed"  # named with --log-file: not a silent "nothing found"
    assert any("no such file" in n for n in sec.notes)


def test_nul_bytes_and_invalid_utf8(root: Path) -> None:
    write(
        root,
        REAL_LOG.read_bytes()
        + b"\0" * 4096
        + b"Nov 21 21:29:00 mx1 postfix/smtpd[9]: warning: caf\xe9 \xff\n"
        + WARN,
    )
    sec = collect(root)
    assert sec.status.value == "ok"
    assert any("NUL bytes" in n for n in sec.notes)
    assert any("not valid UTF-8" in n for n in sec.notes)
    assert sec.data["problem_total"] == collect_plain_total(root) + 2
    assert "\0" not in "".join(sec.data["problems"])
    # The Latin-1 bytes as their letters (U+FFFD cut a name in two, which the anonymizer then
    # replaced as two words); a C1 control byte (0x9B starts a terminal escape) as U+FFFD.
    notes = ReadNotes("/var/log/mail.log")
    assert decode(b"warning: caf\xe9 \xff \x9b[2J", notes) == "warning: caf\xe9 \xff \ufffd[2J"
    assert notes.invalid_utf8 == 1


def test_ten_megabyte_line(root: Path) -> None:
    big = b"Nov 21 21:29:00 mx1 postfix/smtpd[9]: warning: " + b"x" * (10 << 20) + b"\n"
    write(root, big + WARN)
    sec = collect(root)
    assert sec.data["problem_total"] == 2
    assert sec.data["problems"][1] == WARN.decode().rstrip("\n")
    assert len(sec.data["problems"][0]) < 10000
    assert any("longer than" in n for n in sec.notes)


def test_truncated_and_damaged_gzip(root: Path) -> None:
    data = gzip.compress(REAL_LOG.read_bytes())
    write(root, data[: len(data) // 2], "var/log/mail.log.1.gz")
    sec = collect(root, "/var/log/mail.log.1.gz")
    assert any("truncated" in n for n in sec.notes)
    assert sec.data["problem_total"] > 0
    write(root, data[:200] + b"\xff" * 500, "var/log/mail.log.2.gz")
    sec = collect(root, "/var/log/mail.log.2.gz")
    assert any("damaged" in n or "truncated" in n for n in sec.notes)


def test_multi_member_gzip_reads_all_members(root: Path) -> None:
    write(root, gzip.compress(REAL_LOG.read_bytes()) + gzip.compress(WARN), "var/log/m.gz")
    sec = collect(root, "/var/log/m.gz")
    plain = collect_plain_total(root)
    assert sec.data["problem_total"] == plain + 1


def collect_plain_total(root: Path) -> int:
    write(root, REAL_LOG.read_bytes(), "var/log/plain.log")
    return int(collect(root, "/var/log/plain.log").data["problem_total"])


def test_lines_across_chunk_boundaries() -> None:
    line = b"Nov 21 21:29:00 mx1 postfix/smtpd[9]: warning: boundary %07d\n"
    data = b"".join(line % i for i in range(200000))  # ~12 MiB: three 4 MiB chunks
    texts = []
    for w in windows(io.BytesIO(data), ReadNotes("x")):
        texts += bytes(w.buf[w.start : w.end]).splitlines()
    assert len(texts) == 200000 and texts[-1].endswith(b"0199999")


class RotatingFiles(LiveFiles):
    """Rotates (rename + new small file) the log right after it is opened."""

    def open_binary(self, path: str) -> BinaryIO:
        fh = super().open_binary(path)
        real = self._real(path)
        os.rename(real, real + ".1")
        with open(real, "wb") as new:
            new.write(WARN)
        return fh


def test_rotation_while_reading(root: Path) -> None:
    write(root, REAL_LOG.read_bytes())
    ctx = make_ctx(root, log_files=("/var/log/mail.log",))
    ctx.files = RotatingFiles(str(root))
    sec = LogsCollector().collect(ctx)
    assert any("rotated or truncated while being read" in n for n in sec.notes)
    assert sec.data["problem_total"] > 0


class DeniedFiles(LiveFiles):
    def open_binary(self, path: str) -> BinaryIO:
        raise FileProblem(path, "denied", "permission denied")


def test_permission_denied(root: Path) -> None:
    write(root, REAL_LOG.read_bytes())
    ctx = make_ctx(root, log_files=("/var/log/mail.log",))
    ctx.files = DeniedFiles(str(root))
    sec = LogsCollector().collect(ctx)
    assert sec.status.value == "failed"
    assert any("permission denied" in n for n in sec.notes)
