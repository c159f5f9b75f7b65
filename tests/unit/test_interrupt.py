"""Ctrl-C ends every long path (a log scan, a trace, a capture summary, the collector threads)
within a second: exit 130, one line, no traceback, nothing left behind."""

from __future__ import annotations

import os
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

from postfinger_py.errors import ExitStatus

from ..conftest import REPO

LOG_HEAD = (REPO / "tests/logs/data/postfix-3.7.11-debian12.log").read_bytes()
HUGE = 64 << 30  # sparse: no disk is used, but reading it takes minutes


def huge_log(tmp_path: Path) -> Path:
    path = tmp_path / "huge.log"
    with open(path, "wb") as fh:
        fh.write(LOG_HEAD)
        fh.truncate(HUGE)
    return path


def huge_pcap(tmp_path: Path) -> Path:
    path = tmp_path / "huge.pcap"
    with open(path, "wb") as fh:  # a pcap header, then empty packet records for ever
        fh.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        fh.truncate(HUGE)
    return path


def start(argv: list[str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "postfinger_py", *argv, "--no-anonymize"],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


def wait_until_reading(proc: subprocess.Popen[str], path: Path, past: int = 1 << 20) -> None:
    """Until the process has read `past` bytes into `path` (so the interrupt hits the scan)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        try:
            for fd in os.listdir(f"/proc/{proc.pid}/fd"):
                try:
                    if os.readlink(f"/proc/{proc.pid}/fd/{fd}") != str(path):
                        continue
                    with open(f"/proc/{proc.pid}/fdinfo/{fd}") as fh:
                        pos = int(fh.readline().split()[1])
                except (OSError, ValueError, IndexError):
                    continue
                if pos > past:
                    return
        except FileNotFoundError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"the process never read {path}")


def interrupt(proc: subprocess.Popen[str]) -> tuple:
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    return proc.returncode, time.monotonic() - sent, out, err


@pytest.mark.parametrize(
    "argv",
    [
        ["logs", "--log-file", "{log}"],
        ["trace", "4BdXyz1kLmz", "--log-file", "{log}"],
        ["--only", "logs", "--log-file", "{log}"],
        ["--only", "logs,trace,system", "--trace", "x@example.org", "--log-file", "{log}"],
        ["pcap", "{pcap}"],
        ["--only", "pcap", "--pcap", "{pcap}"],
    ],
    ids=["logs", "trace", "report-logs", "report-threads", "pcap", "report-pcap"],
)
def test_ctrl_c_ends_a_long_scan_within_a_second(tmp_path: Path, argv: list[str]) -> None:
    target = huge_pcap(tmp_path) if "{pcap}" in argv else huge_log(tmp_path)
    args = [a.format(log=target, pcap=target) for a in argv]
    proc = start(args, tmp_path)
    wait_until_reading(proc, target)
    status, took, out, err = interrupt(proc)
    assert status == ExitStatus.INTERRUPTED, err
    assert took < 2.0, f"took {took:.2f} s to end after Ctrl-C"
    assert err.strip() == "postfinger: interrupted; nothing was written"
    assert "Traceback" not in err and out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_capture_leaves_no_spool_behind(tmp_path: Path, signum: int) -> None:
    log = huge_log(tmp_path)
    proc = start(["--capture", "snap", "--only", "logs", "--log-file", str(log)], tmp_path)
    wait_until_reading(proc, log)
    assert any(p.name.startswith(".postfinger-spool-") for p in tmp_path.iterdir())
    sent = time.monotonic()
    proc.send_signal(signum)
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == ExitStatus.INTERRUPTED and time.monotonic() - sent < 2.0, err
    assert "Traceback" not in err and err.strip().endswith("interrupted; nothing was written")
    assert sorted(p.name for p in tmp_path.iterdir()) == [log.name]


def test_a_capture_that_fails_leaves_no_spool_behind(tmp_path: Path) -> None:
    from ..helpers import run_cli

    binary = tmp_path / "binary.log"
    binary.write_bytes(bytes(range(256)) * 1000)
    res = run_cli(
        ["--capture", str(tmp_path / "snap"), "--only", "logs", "--log-file", str(binary), "--no-anonymize"]
    )
    assert res.status == ExitStatus.ERROR and "every section failed" in res.stderr
    assert "is not a text log (binary data)" in res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["binary.log"]


def test_stale_spools_of_killed_runs_are_removed_and_nothing_else(tmp_path: Path) -> None:
    from postfinger_py.snapshot import remove_stale_spools

    dead = tmp_path / ".postfinger-spool-999999999-abc"  # above any pid_max: nobody's
    dead.mkdir()
    (dead / "tmp1").write_bytes(b"Nov 21 mx1 postfix/smtpd[1]: connect from secret.example\n")
    dead_capture = tmp_path / ".postfinger-capture-999999999-xyz"
    (dead_capture / "files").mkdir(parents=True)
    alive = tmp_path / f".postfinger-spool-{os.getppid()}-def"  # a run still going
    alive.mkdir()
    old_style = tmp_path / ".postfinger-spool-q1w2e3"  # no pid: removed only when old
    old_style.mkdir()
    os.utime(old_style, (time.time() - 2 * 86400,) * 2)
    new_style = tmp_path / ".postfinger-spool-r4t5y6"
    new_style.mkdir()
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / "keep").write_text("x")
    (tmp_path / ".postfinger-spool-999999998-lnk").symlink_to(target)  # never followed
    removed = remove_stale_spools(str(tmp_path))
    assert sorted(removed) == sorted([dead.name, dead_capture.name, old_style.name])
    assert not dead.exists() and not dead_capture.exists() and not old_style.exists()
    assert alive.is_dir() and new_style.is_dir() and (target / "keep").exists()


def test_a_capture_run_removes_stale_spools_first(tmp_path: Path) -> None:
    from ..helpers import run_cli

    dead = tmp_path / ".postfinger-spool-999999999-abc"
    dead.mkdir()
    log = tmp_path / "mail.log"
    log.write_bytes(LOG_HEAD)
    res = run_cli(
        ["--capture", str(tmp_path / "snap"), "--only", "logs", "--log-file", str(log), "--no-anonymize"]
    )
    assert res.status == ExitStatus.OK, res.stderr
    assert f"removed 1 working copy(ies) that an earlier, killed capture left in {tmp_path}" in res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mail.log", "snap"]


def test_ctrl_c_after_streamed_lines_says_the_output_is_incomplete(tmp_path: Path) -> None:
    log = huge_log(tmp_path)
    proc = start(["logs", "--limit", "0", "--since", "all", "--log-file", str(log)], tmp_path)
    wait_until_reading(proc, log)
    status, took, out, err = interrupt(proc)
    assert status == ExitStatus.INTERRUPTED and took < 2.0
    assert "warning:" in out  # the problem lines found before the interrupt were printed
    assert err.strip().endswith("postfinger: interrupted; the output above is incomplete")
    assert "Traceback" not in err
