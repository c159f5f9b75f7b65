"""Logs, captures and summaries that are not regular text files: a note or a one-line error,
never a hang, unbounded memory, or a "no problem lines" that hides an unread log."""

from __future__ import annotations

import hashlib
import os
import time
from datetime import timezone
from pathlib import Path

import pytest

from postfinger_py.collect.logs import LogsCollector, TraceCollector
from postfinger_py.collect.pcap import PcapCollector
from postfinger_py.errors import ExitStatus
from postfinger_py.model import Report, Status
from postfinger_py.render import render_text

from ..conftest import EXAMPLE_SNAPSHOT
from ..helpers import replay, run_cli
from .helpers import REAL_LOG, make_ctx

LOG = "/var/log/mail.log"


def random_bytes(n: int) -> bytes:
    out = b""
    seed = b"postfinger"
    while len(out) < n:
        seed = hashlib.sha256(seed).digest()
        out += seed
    return out[:n]


def collect(root: Path, *names: str):  # type: ignore[no-untyped-def]
    start = time.monotonic()
    sec = LogsCollector().collect(make_ctx(root, log_files=names or (LOG,)))
    assert time.monotonic() - start < 10, "reading the log took far too long"
    return sec


def rendered(sec) -> str:  # type: ignore[no-untyped-def]
    from datetime import datetime

    report = Report("0", datetime(2026, 11, 21, tzinfo=timezone.utc), [sec])
    return render_text(report)


def test_a_fifo_log_is_a_note_not_a_hang(root: Path) -> None:
    os.mkfifo(root / "var/log/mail.log")
    sec = collect(root)
    assert sec.status is Status.FAILED
    assert f"{LOG}: a FIFO (named pipe), not a regular file; not read" in sec.notes
    text = rendered(sec)
    assert "No Postfix warning/error/fatal/panic lines in the window" not in text
    assert "1 log(s) could not be read completely" in text


def test_a_link_to_a_fifo_or_a_device_is_refused_when_opened(root: Path) -> None:
    os.mkfifo(root / "fifo")
    (root / "var/log/mail.log").symlink_to(root / "fifo")  # lstat says link: the open decides
    sec = collect(root)
    assert sec.status is Status.FAILED
    assert any("a FIFO (named pipe), not a regular file" in n for n in sec.notes), sec.notes
    (root / "var/log/zero.log").symlink_to("/dev/zero")
    sec = collect(root, "/var/log/zero.log")
    assert sec.status is Status.FAILED
    assert "/var/log/zero.log: a device, not a regular file; not read" in sec.notes


def test_dev_zero_and_a_directory_named_as_logs() -> None:
    sec = LogsCollector().collect(make_ctx(Path("/"), log_files=("/dev/zero", "/var")))
    assert sec.status is Status.FAILED
    assert "/dev/zero: a device, not a regular file; not read" in sec.notes
    assert "/var: a directory, not a regular file; not read" in sec.notes


def test_one_unreadable_log_among_several_makes_the_section_partial(root: Path) -> None:
    (root / "var/log/mail.log").write_bytes(REAL_LOG.read_bytes())
    os.mkfifo(root / "var/log/other.log")
    sec = collect(root, "/var/log/other.log", LOG)
    assert sec.status is Status.PARTIAL
    assert sec.data["problem_total"] > 0 and sec.data["unread"] == 1
    assert any(n.startswith("/var/log/other.log: a FIFO") for n in sec.notes)


def test_a_fifo_among_the_discovered_logs(root: Path) -> None:
    from postfinger_py.logs.discover import file_family

    os.mkfifo(root / "var/log/mail.log")
    ctx = make_ctx(root)
    notes: list = []
    unread: list = []
    assert file_family(ctx, LOG, None, notes, unread) == []
    assert unread == [LOG] and notes == [f"{LOG}: a FIFO (named pipe), not a regular file; not read"]


@pytest.mark.parametrize(
    "data",
    [random_bytes(200_000), b"\0" * (1 << 20), b"\x7fELF\x02\x01\x01" + b"\0" * 9 + random_bytes(50_000)],
    ids=["random", "nul-filled", "elf"],
)
def test_binary_data_is_not_a_text_log(root: Path, data: bytes) -> None:
    (root / "var/log/mail.log").write_bytes(data)
    sec = collect(root)
    assert sec.status is Status.FAILED
    assert sec.notes == [f"{LOG} is not a text log (binary data); not read"]
    assert sec.data["problem_total"] == 0 and sec.data["unread"] == 1
    assert "No Postfix warning/error/fatal/panic lines in the window" not in rendered(sec)


def test_binary_trace_input_is_partial_not_nothing_found(root: Path) -> None:
    (root / "var/log/mail.log").write_bytes(random_bytes(100_000))
    os.symlink(REAL_LOG, root / "var/log/real.log")
    ctx = make_ctx(root, log_files=(LOG, "/var/log/real.log"), trace="4BdXyz1kLmz")
    sec = TraceCollector().collect(ctx)
    assert sec.status is Status.PARTIAL
    assert f"{LOG} is not a text log (binary data); not read" in sec.notes


@pytest.mark.parametrize(
    "damage",
    [
        b"\0" * (2 << 20),  # a copytruncate rotation leaves a hole at the start
        b"\x00\x01\xfe garbage from a crash\n",
        "Nov 21 21:00:00 mx1 postfix/smtpd[1]: warning: Ümläut in Latin-1\n".encode("latin-1"),
    ],
    ids=["leading-nul-hole", "stray-bytes", "latin-1"],
)
def test_a_real_log_with_stray_bytes_is_still_read(root: Path, damage: bytes) -> None:
    (root / "var/log/mail.log").write_bytes(damage + REAL_LOG.read_bytes())
    plain = collect_total(root, REAL_LOG.read_bytes())
    (root / "var/log/mail.log").write_bytes(damage + REAL_LOG.read_bytes())
    sec = collect(root)
    assert sec.status is Status.OK, sec.notes
    assert sec.data["problem_total"] >= plain > 0
    assert not any("binary" in n for n in sec.notes)


def collect_total(root: Path, data: bytes) -> int:
    (root / "var/log/mail.log").write_bytes(data)
    return int(collect(root).data["problem_total"])


def test_a_fifo_or_device_capture_is_a_note(root: Path) -> None:
    os.mkfifo(root / "cap.pcap")
    ctx = make_ctx(root, pcap_files=("/cap.pcap",))
    sec = PcapCollector().collect(ctx)
    assert "cannot open /cap.pcap: a FIFO (named pipe), not a regular file; not read" in " ".join(
        sec.notes + [str(f.get("error")) for f in sec.data["files"]]
    )


def test_summary_file_must_be_a_small_regular_text_file(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    big = tmp_path / "big"
    big.write_bytes(b"x" * (65 * 1024))
    nul = tmp_path / "nul"
    nul.write_bytes(b"problem\0\0\0")
    cases = [
        (fifo, "a FIFO (named pipe), not a regular file"),
        ("/dev/zero", "a device"),
        (tmp_path, "a directory"),
        (big, "larger than 64 KiB"),
        (nul, "is not text (binary data)"),
    ]
    for path, words in cases:
        start = time.monotonic()
        res = replay("--only", "system", "--summary-file", str(path))
        assert time.monotonic() - start < 10
        assert res.status == ExitStatus.ERROR and res.stdout == ""
        assert res.stderr.count("\n") == 1 and words in res.stderr, res.stderr
        assert res.stderr.startswith(
            f"postfinger: cannot read --summary-file {path}"
        ) or res.stderr.startswith(f"postfinger: --summary-file {path}")


def test_logs_command_on_a_fifo_says_why_and_not_no_problems(root: Path) -> None:
    os.mkfifo(root / "fifo")
    res = run_cli(["logs", "--log-file", str(root / "fifo"), "--no-anonymize"])
    assert res.status == ExitStatus.ERROR
    assert "a FIFO (named pipe), not a regular file" in res.stderr
    assert "no problem lines" not in res.stderr
    assert "no log could be read" in res.stderr


def test_an_anon_key_that_is_a_fifo_is_one_line_not_a_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "key"
    os.mkfifo(fifo)
    res = run_cli(["--replay", str(EXAMPLE_SNAPSHOT), "--only", "system", "--anon-key", str(fifo)])
    assert res.status == ExitStatus.ERROR and res.stdout == ""
    assert res.stderr == (
        f"postfinger: cannot read the anonymization key file {fifo}: a FIFO "
        "(named pipe), not a regular file; not read; check the path given to "
        "--anon-key\n"
    )


def test_trace_of_an_unreadable_log_does_not_say_nothing_names_it(root: Path) -> None:
    (root / "var/log/mail.log").write_bytes(random_bytes(100_000))
    (root / "var/log/real.log").write_bytes(REAL_LOG.read_bytes())
    ctx = make_ctx(root, log_files=(LOG, "/var/log/real.log"), trace="NOSUCHID1")
    sec = TraceCollector().collect(ctx)
    assert sec.status is Status.PARTIAL
    assert any(n.startswith("nothing in what could be read of the log names NOSUCHID1") for n in sec.notes)
    os.mkfifo(root / "fifo")
    res = run_cli(["trace", "NOSUCHID1", "--log-file", str(root / "fifo"), "--no-anonymize"])
    assert res.status == ExitStatus.ERROR and "no log could be read" in res.stderr
    assert "nothing in the log names" not in res.stderr
