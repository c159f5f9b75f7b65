"""Progress on stderr: bytes and percent of each log on a real terminal (a pty), nothing on a pipe."""

from __future__ import annotations

import fcntl
import gzip
import io
import os
import re
import struct
import subprocess
import sys
import termios
import threading
from pathlib import Path

import pytest

from postfinger_py.cli import main
from postfinger_py.env import Env
from postfinger_py.progress import INTERVAL, ByteMeter, Progress, byte_meter, size_words

from ..conftest import REPO, FakeTty

REAL_LOG = REPO / "tests" / "logs" / "data" / "postfix-3.7.11-debian12.log"
COPIES = 200  # ~8.6 MB: several reads of scan.CHUNK, a few seconds at most for every command
QUEUE_ID = re.compile(rb"\b[0-9A-F]{10,12}\b")
METER = re.compile(
    r"postfinger: (reading|searching) (.+?): (\d+ B|\d+\.\d [kMG]B) of "
    r"(\d+\.\d [kMG]B) \((\d+)%\)"
)
COLUMNS = 200
CLEAR = re.compile(r"\r +\r")


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _tty_env() -> tuple[Env, FakeTty]:
    err = FakeTty()
    return Env(stdout=io.StringIO(), stderr=err, environ={}, stderr_isatty=True), err


@pytest.fixture(scope="module")
def big_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real Debian 12 log, COPIES times, each copy with its own queue IDs (a busy server's
    log, not one message repeated: trace finds one story, as on a real log)."""
    data = REAL_LOG.read_bytes()
    path = tmp_path_factory.mktemp("progress") / "mail.log"
    with path.open("wb") as fh:
        for n in range(COPIES):
            fh.write(QUEUE_ID.sub(lambda m, n=n: b"%04X" % n + m.group()[4:], data))
    return path


def _run(argv: list[str], *, pty_stderr: bool) -> tuple[int, str, str]:
    """`python -m postfinger_py ARGV` with stderr on a pty's slave (or a pipe); (status, stdout,
    what reached the terminal or the pipe)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "postfinger_py", *argv]
    if not pty_stderr:
        res = subprocess.run(
            cmd, capture_output=True, text=True, env=env, timeout=120, stdin=subprocess.DEVNULL
        )
        return res.returncode, res.stdout, res.stderr
    master, slave = os.openpty()
    # A terminal of 200 columns (a new pty has 0: the fallback of 80 would cut the long path).
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, COLUMNS, 0, 0))
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL, env=env)
    finally:
        os.close(slave)  # the child holds it now: its exit ends the master's reads (EIO)
    chunks: list[bytes] = []

    def drain() -> None:  # concurrently, so that a full pty buffer never blocks the child
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                return
            if not chunk:
                return
            chunks.append(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        out, _ = proc.communicate(timeout=120)
        reader.join(timeout=30)
    finally:
        os.close(master)
    # The terminal turns \n into \r\n (onlcr); the redraws are bare \r.
    return proc.returncode, out.decode(), b"".join(chunks).decode().replace("\r\n", "\n")


@pytest.mark.parametrize(
    "argv, verbs",
    [
        (["logs", "--since", "all"], ["reading"]),
        (["logs", "--since", "all", "--json"], ["reading"]),
        (["trace", "00C7E160026"], ["reading"]),
        # An address: a first pass finds its queue IDs, the second reads their story.
        (["trace", "logsbot@logs-helper.example"], ["searching", "reading"]),
    ],
)
def test_a_terminal_shows_bytes_and_percent_and_the_line_is_cleared(
    big_log: Path, argv: list[str], verbs: list[str]
) -> None:
    status, out, tty = _run([*argv, "--log-file", str(big_log)], pty_stderr=True)
    assert status == 0, tty
    assert out.strip(), "the command's output still goes to stdout"
    meters = [m.groups() for m in METER.finditer(tty)]
    assert meters, tty[:2000]
    size = size_words(big_log.stat().st_size)
    assert {m[3] for m in meters} == {size} == {"8.6 MB"}
    assert [v for v in dict.fromkeys(m[0] for m in meters)] == verbs
    for verb in verbs:
        percents = [int(m[4]) for m in meters if m[0] == verb]
        assert percents[0] == 0 and percents[-1] == 100 and percents == sorted(percents)
    assert {m[1] for m in meters} == {str(big_log)}
    assert max(len(line) for line in tty.split("\r")) < COLUMNS
    # The status line is cleared before any message: nothing is left behind on the terminal.
    last = tty.rindex("%)")
    clear = CLEAR.search(tty, last)
    assert clear is not None, tty[-500:]
    assert "\r" not in tty[clear.end() :]
    assert "postfinger" not in tty[last : clear.start()]


def test_a_gzip_log_counts_its_stored_bytes_and_each_file_is_numbered(big_log: Path, tmp_path: Path) -> None:
    rotated = tmp_path / "mail.log.1.gz"
    rotated.write_bytes(gzip.compress(big_log.read_bytes()))
    status, _out, tty = _run(
        ["logs", "--since", "all", "--log-file", str(rotated), "--log-file", str(big_log)], pty_stderr=True
    )
    assert status == 0, tty
    meters = [m.groups() for m in METER.finditer(tty)]
    assert {(m[1], m[3]) for m in meters} == {
        (f"{rotated} (1 of 2)", size_words(rotated.stat().st_size)),  # the percent is of this
        (f"{big_log} (2 of 2)", "8.6 MB"),
    }
    assert [m[4] for m in meters if m[1].endswith("(1 of 2)")][-1] == "100"
    assert tty.index("(1 of 2)") < tty.index("(2 of 2)")


@pytest.mark.parametrize("argv", [["logs", "--since", "all"], ["trace", "00C7E160026"]])
def test_a_pipe_gets_only_the_messages(big_log: Path, argv: list[str]) -> None:
    status, out, err = _run([*argv, "--log-file", str(big_log)], pty_stderr=False)
    assert status == 0 and out.strip()
    assert "\r" not in err and "reading" not in err and "%" not in err
    assert all(line.startswith(f"postfinger {argv[0]}: ") for line in err.splitlines()), err


def test_a_pipe_gets_the_error_alone(tmp_path: Path) -> None:
    status, out, err = _run(["logs", "--log-file", str(tmp_path / "none.log")], pty_stderr=False)
    assert status == 1 and out == ""
    assert "\r" not in err and "%" not in err
    lines = err.splitlines()
    assert len(lines) == 2 and all(line.startswith("postfinger") for line in lines), err
    assert lines[0].endswith("none.log: no such file or directory; not read")
    assert lines[1].endswith("no log could be read (the reason is above)")


def test_an_error_after_reading_clears_the_line_first(tmp_path: Path) -> None:
    status, _out, tty = _run(["trace", "NOSUCHID1234", "--log-file", str(REAL_LOG)], pty_stderr=True)
    assert status == 1
    assert re.search(r"\(100%\)\r +\rpostfinger trace: nothing in the log names", tty), tty


@pytest.mark.parametrize("stdout_tty, shown", [(False, True), (True, False)])
def test_streamed_lines_on_the_terminal_are_the_progress(stdout_tty: bool, shown: bool) -> None:
    """logs --limit 0 prints each line as it is found: with stdout on the terminal too, a
    status line would be drawn over the line being written."""
    err = FakeTty()
    env = Env(stdout=FakeTty() if stdout_tty else io.StringIO(), stderr=err, environ={}, stderr_isatty=True)
    status = main(["logs", "--log-file", str(REAL_LOG), "--since", "all", "--limit", "0"], env)
    assert status == 0 and "error: unsupported dictionary type: mysql" in env.stdout.getvalue()
    assert ("42.9 kB of 42.9 kB (100%)" in err.getvalue()) is shown, err.getvalue()
    assert (err.getvalue() == "") is not shown


def test_the_meter_redraws_a_few_times_a_second_not_on_every_read() -> None:
    env, err = _tty_env()
    clock = FakeClock()
    progress = Progress(env, clock=clock)
    meter = ByteMeter(progress, "reading /var/log/mail.log", 800_000_000)
    for done in range(0, 120_400_000, 1 << 20):  # one call per window, all in one instant
        meter.update(done)
    assert meter.shown == 1 and err.getvalue().count("\r") == 1
    clock.now += INTERVAL
    meter.update(120_400_000)
    assert meter.shown == 2
    assert err.getvalue().endswith("\rpostfinger: reading /var/log/mail.log: 120.4 MB of 800.0 MB (15%)")
    meter.finish(800_000_000)  # the file's end is shown at once
    assert err.getvalue().endswith("800.0 MB of 800.0 MB (100%)")
    progress.done()
    assert err.getvalue().endswith(
        "\r" + " " * len("postfinger: reading /var/log/mail.log: 800.0 MB of 800.0 MB (100%)") + "\r"
    )


def test_a_shorter_line_blanks_the_rest_of_the_longer_one() -> None:
    env, err = _tty_env()
    progress = Progress(env)
    progress("reading a-long-name.log")
    progress("done")
    assert err.getvalue().endswith(
        "\r" + "postfinger: done".ljust(len("postfinger: reading a-long-name.log"))
    )


def test_a_long_path_is_cut_in_the_middle_so_the_figures_stay() -> None:
    env, err = _tty_env()
    meter = ByteMeter(Progress(env), "reading /" + "x" * 200 + "/mail.log", 2_000_000_000)
    meter.finish(1_000_000_000)
    line = err.getvalue().rsplit("\r", 1)[1]
    assert len(line) == 79 and line.startswith("postfinger: reading /xxx")
    assert "xxx...xxx" in line and line.endswith("x/mail.log: 1.0 GB of 2.0 GB (50%)")


def test_no_terminal_no_meter_and_nothing_written() -> None:
    err = io.StringIO()
    env = Env(stdout=io.StringIO(), stderr=err, environ={})
    progress = Progress(env)
    assert not progress.enabled and byte_meter(progress, "reading x", 10) is None
    progress("collecting")
    progress.done()
    assert err.getvalue() == ""
    assert byte_meter(lambda message: None, "reading x", 10) is None  # a plain callable


@pytest.mark.parametrize(
    "n, words",
    [
        (0, "0 B"),
        (999, "999 B"),
        (1000, "1.0 kB"),
        (120_400_000, "120.4 MB"),
        (800_000_000, "800.0 MB"),
        (3_500_000_000, "3.5 GB"),
        (12_000_000_000_000, "12000.0 GB"),
    ],
)
def test_sizes_in_decimal_units(n: int, words: str) -> None:
    assert size_words(n) == words


def test_an_unknown_size_shows_bytes_alone() -> None:
    env, _err = _tty_env()
    assert ByteMeter(Progress(env), "reading journald", -1).text(5_000_000) == "reading journald: 5.0 MB"
