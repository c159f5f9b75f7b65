"""Reading queue files as qshape does (the root fast path of `postfinger qshape`).

Real queue files: tests/queue/data/queuefiles holds five deferred messages made by this machine's
Postfix 3.7.11 (a separate instance, benchmarks/queue/build_queue.py), with `postqueue -j`'s view
of them (postqueue.jsonl), and one maildrop file written by postdrop: several recipients, the
null sender, a message larger than one read, a recipient address over 127 bytes (a two-byte
record length) and a UTF-8 address. Edge cases are hand-built from qshape's rules; the Perl
qshape itself reads the same tree in the integration tests at the end.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tablecmp import same_table  # type: ignore[import-not-found]

from postfinger_py.commands.qshape import main
from postfinger_py.env import Env
from postfinger_py.files import LiveFiles, StatInfo
from postfinger_py.parse.elf import BinaryInfo
from postfinger_py.queue.queuefile import (
    INVALID,
    QueueScan,
    for_shape,
    iter_envelopes,
    read_envelope,
)

DATA = Path(__file__).resolve().parent / "data" / "queuefiles"
MAILDROP_ID = "7E8D31EA002"
MAILDROP_MTIME = 1795298765
T0 = 1795298735  # arrival time of the recorded deferred messages


def _spool(tmp_path: Path) -> Path:
    """The recorded queue files under tmp_path/spool, with Postfix's modes (git keeps only +x)."""
    spool = tmp_path / "spool"
    shutil.copytree(DATA, spool)
    for path in (spool / "deferred").rglob("*"):
        if path.is_file():
            path.chmod(0o700)
    drop = spool / "maildrop" / MAILDROP_ID
    drop.chmod(0o744)  # as postdrop leaves it: (mode & 0733) == 0700 still holds
    os.utime(drop, (MAILDROP_MTIME, MAILDROP_MTIME))
    return spool


def _expected() -> list[tuple[int, str, list[str]]]:
    out = []
    for line in (DATA / "postqueue.jsonl").read_text(encoding="utf-8").splitlines():
        m = json.loads(line)
        sender = "" if m["sender"] == "MAILER-DAEMON" else m["sender"]
        out.append((m["arrival_time"], sender, [r["address"] for r in m["recipients"]]))
    return sorted(out)


def _scan(files: Any, paths: Sequence[str]) -> tuple[list[Any], QueueScan]:
    scan = QueueScan()
    return sorted(iter_envelopes(files, paths, scan)), scan


def test_real_deferred_files_read_as_showq_reports_them(tmp_path: Path) -> None:
    spool = _spool(tmp_path)
    got, scan = _scan(LiveFiles(), [str(spool / "deferred")])
    assert got == _expected()
    assert scan.files == 5 and scan.problems() == []
    big = [e for e in got if e[2] == ["big@r3.qsh-helper.example"]]
    assert big and (DATA / "deferred" / "4" / "46FFB1E6003").stat().st_size > 4096
    assert any(len(e[2][0]) > 127 for e in got)  # a two-byte record length was read


def test_postfix3_maildrop_file_is_invalid_for_qshape(tmp_path: Path) -> None:
    """postdrop (3.7) starts a maildrop file with a T record; qshape's qenv() knows only C, S
    and F there, `return undef`s, and then counts the file with -s only, as MAILER-DAEMON in
    the oldest bucket (checked against the Perl qshape below)."""
    spool = _spool(tmp_path)
    got, _ = _scan(LiveFiles(), [str(spool / "maildrop")])
    assert got == [INVALID]
    assert list(for_shape(iter(got), senders=False)) == []
    assert list(for_shape(iter(got), senders=True)) == [(0, "", [""])]
    # A maildrop file as qshape expects it (S or F first) takes the file's mtime.
    drop = spool / "maildrop" / MAILDROP_ID
    drop.write_bytes(
        rec(b"F", b"root")
        + rec(b"S", b"a@b.example")
        + rec(b"R", b"c@d.example")
        + rec(b"M")
        + rec(b"N", b"hi")
        + rec(b"X")
        + rec(b"E")
    )
    os.utime(drop, (MAILDROP_MTIME, MAILDROP_MTIME))
    got, _ = _scan(LiveFiles(), [str(spool / "maildrop")])
    assert got == [(MAILDROP_MTIME, "a@b.example", ["c@d.example"])]


class _OtherFiles:
    """A Files that is not LiveFiles (like a snapshot replay): the generic reading path."""

    def __init__(self, root: str) -> None:
        self.live = LiveFiles(root)

    def read_bytes(self, path: str, limit: int | None = None) -> bytes:
        return self.live.read_bytes(path, limit)

    def stat(self, path: str) -> StatInfo:
        return self.live.stat(path)

    def listdir(self, path: str) -> list[str]:
        return self.live.listdir(path)

    def open_binary(self, path: str) -> BinaryIO:
        return io.BytesIO(self.live.read_bytes(path))  # no fileno(): like a replay

    def inspect_binary(self, path: str) -> BinaryInfo:
        return self.live.inspect_binary(path)


def test_files_below_a_root_and_through_any_files_object(tmp_path: Path) -> None:
    _spool(tmp_path)
    paths = ["/spool/deferred", "/spool/maildrop"]
    live, _ = _scan(LiveFiles(str(tmp_path)), paths)
    other, _ = _scan(_OtherFiles(str(tmp_path)), paths)
    assert live == other == sorted([*_expected(), INVALID])


# Hand-built queue files, from qshape's rules


def rec(rtype: bytes, data: bytes = b"") -> bytes:
    """One record: type byte, length in little-endian 7-bit groups, data."""
    n, length = len(data), b""
    while True:
        byte = n & 0x7F
        n >>= 7
        length += bytes([byte | (0x80 if n else 0)])
        if not n:
            return rtype + length + data


def qfile(
    sender: bytes, rcpts: Sequence[bytes], arrival: int = T0, content: bytes = b"hi\n", tail: bytes = b""
) -> bytes:
    body = rec(b"N", content.rstrip(b"\n"))
    head = rec(b"C", b"%15d %15d %15d %15d" % (len(body), 0, len(rcpts), 0))
    env = rec(b"T", b"%d 123456" % arrival) + rec(b"F", b"root") + rec(b"S", sender)
    env += b"".join(rec(b"R", r) for r in rcpts)
    return head + env + rec(b"M") + body + rec(b"X") + tail + rec(b"E")


def _envelope(data: bytes) -> Any:
    return read_envelope(data[:4096], lambda off, n: data[off : off + n], 0)


def test_record_rules() -> None:
    ok = qfile(b"a@b.example", [b"c@d.example"])
    assert _envelope(ok) == (T0, "a@b.example", ["c@d.example"])
    assert _envelope(ok[:-2]) is None  # no E record: not a finished envelope
    assert _envelope(qfile(b"a@b.example", [])) is None  # no pending recipient
    assert _envelope(b"Z" + ok[1:]) == INVALID  # neither C nor a maildrop start
    assert _envelope(b"") == INVALID  # an empty file, too
    # A record of type "0" ends reading (Perl's getc() gives "0", which is false).
    assert (
        _envelope(ok.replace(rec(b"S", b"a@b.example"), rec(b"0", b"") + rec(b"S", b"a@b.example"))) is None
    )
    # Recipients after the content (extracted segment) count; `D` (done) ones do not.
    late = qfile(b"", [b"c@d.example"], tail=rec(b"R", b"late@e.example") + rec(b"D", b"x@y"))
    assert _envelope(late) == (T0, "", ["c@d.example", "late@e.example"])
    # A T record whose first word is not a number counts as 0, as Perl numifies it.
    weird = ok.replace(rec(b"T", b"%d 123456" % T0), rec(b"T", b" 17 1"))
    assert _envelope(weird) == (0, "a@b.example", ["c@d.example"])


def test_pointer_records_are_followed_and_long_records_read() -> None:
    long_rcpt = b"x" * 300 + b"@long.example"
    start = qfile(b"a@b.example", [b"c@d.example"])
    # Replace the E record with a pointer to a further segment holding one more recipient.
    base = start[:-2]
    target = len(base) + len(rec(b"p", b"%15d" % 0)) + 7  # skip 7 bytes of junk
    data = base + rec(b"p", b"%15d" % target) + b"JUNK!!!" + rec(b"R", long_rcpt) + rec(b"E")
    assert _envelope(data) == (T0, "a@b.example", ["c@d.example", long_rcpt.decode()])


def test_content_beyond_the_first_read_is_skipped_by_its_length() -> None:
    content = b"".join(rec(b"N", b"line %d of a long message" % i) for i in range(400))
    head = rec(b"C", b"%15d %15d %15d %15d" % (len(content), 0, 1, 0))
    env = rec(b"T", b"%d 0" % T0) + rec(b"S", b"a@b.example") + rec(b"R", b"c@d.example")
    data = head + env + rec(b"M") + content + rec(b"X") + rec(b"R", b"e@f.example") + rec(b"E")
    assert len(data) > 2 * 4096
    assert _envelope(data) == (T0, "a@b.example", ["c@d.example", "e@f.example"])


def test_which_files_count(tmp_path: Path) -> None:
    q = tmp_path / "deferred"
    (q / "A").mkdir(parents=True)
    good = qfile(b"a@b.example", [b"c@d.example"])

    def put(rel: str, data: bytes, mode: int = 0o700) -> Path:
        path = q / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        path.chmod(mode)
        return path

    put("A/ABCDEF1", good)  # counts
    put("A/ABCDEF2", good, 0o600)  # no execute bit: cleanup has not finished it
    put("A/ABCDEF3", good, 0o744)  # (mode & 0733) == 0700: counts
    put("A/ABCDEF4", good, 0o710)  # group execute: not a queue file
    put("A/ABCDE", good)  # name too short
    put("A/ABC-DEF", good)  # not alphanumeric
    put("ABCDEF5/ABCDEF6", good)  # a directory named like a queue file is walked
    (q / "A" / "ABCDEF7").symlink_to(q / "A" / "ABCDEF1")  # lstat(): a link is not a file
    os.mkfifo(q / "A" / "ABCDEF8")  # must not hang
    got, scan = _scan(LiveFiles(), [str(q), str(tmp_path / "missing")])
    assert len(got) == 3 and scan.files == 3
    assert scan.problems() == [f"queue directory {tmp_path}/missing does not exist (counted as empty)"]


# Against the real Perl qshape, on the same files


def _ours(args: list[str], **env: Any) -> str:
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="utf-8", errors="surrogateescape")
    assert main(["--no-anonymize", *args], Env(stdout=out, stderr=io.StringIO(), **env)) == 0
    out.flush()
    return raw.getvalue().decode("utf-8", "surrogateescape")


def _theirs(args: list[str]) -> str:
    res = subprocess.run(["/usr/sbin/qshape", *args], capture_output=True, check=True)
    return res.stdout.decode("utf-8", "surrogateescape")


def _agree(args: list[str], tries: int = 3, **env: Any) -> None:
    """Retry: a message may cross a bucket boundary between the two runs."""
    a = b = ""
    for _ in range(tries):
        a, b = _ours(args, **env), _theirs(args)
        if same_table(a, b):
            return
    assert same_table(a, b), f"\npostfinger qshape {args}:\n{a}\nqshape:\n{b}"


@pytest.mark.integration
@pytest.mark.parametrize(
    "opts", [[], ["-s"], ["-p", "-m", "1"], ["-b", "4", "-t", "1"]], ids=lambda o: " ".join(o) or "defaults"
)
def test_recorded_and_edge_files_equal_perl_qshape(
    real_postfix: dict[str, Any], tmp_path: Path, opts: list[str]
) -> None:
    spool = _spool(tmp_path)
    q = spool / "deferred" / "F"
    q.mkdir()
    now = int(time.time())
    for i, age in enumerate((30, 7 * 60, 3 * 3600 + 100, 3 * 86400)):
        path = q / f"FEDCBA{i}"
        path.write_bytes(qfile(b"Z@S%d.Example" % i, [b"r@x.example", b"s@Y.r1.example"], arrival=now - age))
        path.chmod(0o700)
    (q / "FEDCBA9").write_bytes(qfile(b"a@b.example", [b"c@d.example"]))
    (q / "FEDCBA9").chmod(0o600)  # not finished: neither counts it
    queues = [str(spool / "deferred"), str(spool / "maildrop")]
    table = _ours([*opts, *queues], euid=0)
    assert int(table.splitlines()[1].split()[1]) >= 10
    _agree([*opts, *queues], euid=0)


@pytest.mark.integration
@pytest.mark.parametrize("opts", [[], ["-s", "-p", "-m", "1"]], ids=lambda o: " ".join(o) or "defaults")
def test_non_root_path_still_equals_perl_qshape(hold_queue: list[str], opts: list[str]) -> None:
    """As another user, the table comes from `postqueue -j` (showq); it must be the same."""
    err = io.StringIO()
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    assert main(["--no-anonymize", *opts, "hold"], Env(stdout=out, stderr=err, euid=1000)) == 0
    assert err.getvalue() == ""  # no fallback note: postqueue -j was used
    _agree([*opts, "hold"], euid=1000)
