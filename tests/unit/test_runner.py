"""The live runner: a timeout or an interrupt kills the command's whole process group, so a
grandchild holding the pipes (a sendmail script's `sleep`) neither hangs us nor survives."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from postfinger_py import runner as runner_mod
from postfinger_py.runner import SubprocessRunner


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def _wait_gone(pid: int, seconds: float = 3.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.02)
    return False


def test_timeout_kills_the_grandchild_that_holds_the_pipes(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    start = time.monotonic()
    res = SubprocessRunner().run(
        ["sh", "-c", f"sleep 1000 & echo $! > {pidfile}; echo started; wait"], timeout=0.5
    )
    took = time.monotonic() - start
    assert res.timed_out and res.status is None
    assert took < 3, f"the runner waited {took:.1f} s for a grandchild"
    grandchild = int(pidfile.read_text())
    assert _wait_gone(grandchild), "the grandchild `sleep 1000` survived the timeout"
    assert "started" in res.stdout


def test_commands_run_in_their_own_process_group() -> None:
    res = SubprocessRunner().run(["sh", "-c", "ps -o pgid= -p $$"])
    assert res.ok
    assert int(res.stdout.strip()) != os.getpgrp()


def test_kill_running_ends_a_command_another_thread_waits_on(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    results = []
    worker = threading.Thread(
        target=lambda: results.append(
            SubprocessRunner().run(["sh", "-c", f"sleep 1000 & echo $! > {pidfile}; wait"], timeout=60)
        )
    )
    worker.start()
    deadline = time.monotonic() + 5
    # The child can write its pid file before Popen has returned in the worker
    # thread and the group is registered: wait for both, not just the file.
    while (
        not (pidfile.exists() and pidfile.read_text().strip() and runner_mod._LIVE_GROUPS)
        and time.monotonic() < deadline
    ):
        time.sleep(0.02)
    assert runner_mod._LIVE_GROUPS, "the running command is not registered"
    runner_mod.kill_running()
    worker.join(5)
    assert not worker.is_alive(), "the waiting thread did not come back after kill_running"
    assert _wait_gone(int(pidfile.read_text()))
    assert results and results[0].status is not None and results[0].status < 0
    assert not runner_mod._LIVE_GROUPS
