"""The anonymize stage in a forked child gives exactly what it gives in-process, passes its
errors on, falls back when the child is gone, and never leaves a process behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from postfinger_py.anonymize import AnonSettings, anonymize
from postfinger_py.anonymize.worker import ForkedAnonymizer, can_fork

from ..conftest import EXAMPLE_KEY, EXAMPLE_SNAPSHOT, REPO
from ..helpers import replay
from .conftest import read, recorded_report

pytestmark = pytest.mark.skipif(not can_fork(), reason="needs os.fork and a single thread")


def _gone(pid: int) -> bool:
    return not Path(f"/proc/{pid}").exists()


@pytest.mark.parametrize("extra", [[], ["--format", "json"], ["--anonymize", "strict"]])
def test_forked_report_equals_in_process(extra: list) -> None:
    forked, local = replay(*extra, fork=True), replay(*extra, fork=False)
    assert forked.status == local.status == 0
    assert forked.stdout == local.stdout and forked.stderr == local.stderr
    assert "bluefinch" not in forked.stdout and "Postfix" in forked.stdout


def test_error_in_the_child_is_the_same_one_line_error() -> None:
    forked, local = replay("--keep", "(unclosed", fork=True), replay("--keep", "(unclosed", fork=False)
    assert forked.status == local.status == 2
    assert forked.stderr == local.stderr
    assert forked.stderr.startswith("postfinger: --keep: not a valid regular expression")
    assert forked.stdout == ""


def test_result_and_settings_travel_back(tmp_path: Path) -> None:
    report = recorded_report(read("postfix.log"))
    settings = AnonSettings(key_file=str(tmp_path / "k"), map_file=str(tmp_path / "map"))
    worker = ForkedAnonymizer(settings)
    pid = worker.pid
    try:
        result = worker.anonymize(report)
    finally:
        worker.close()
    assert worker.used_child  # the child's result, not the in-process fallback
    assert pid is not None and _gone(pid)
    local = anonymize(report, settings)  # the key file the child created: same replacements
    assert result.report == local.report
    assert (tmp_path / "map").stat().st_mode & 0o777 == 0o600
    # The leak check came back with the result and knows the originals: it refuses the raw
    # log text (which holds the site's names) and passes the anonymized report.
    raw_log = read("postfix.log")
    assert result.find_leak(raw_log) is not None and local.find_leak(raw_log) is not None
    assert result.find_leak(str(result.report.to_plain())) is None


def test_child_gone_means_the_work_is_done_here() -> None:
    report = recorded_report(read("postfix.log"))
    settings = AnonSettings(key_file=str(REPO / "examples" / "debian12-troubled" / "anon.key"))
    worker = ForkedAnonymizer(settings)
    assert worker.pid is not None
    os.kill(worker.pid, signal.SIGKILL)
    try:
        result = worker.anonymize(report)
    finally:
        worker.close()
    assert not worker.used_child
    assert result.report == anonymize(report, settings).report


def test_unused_child_is_ended_at_once() -> None:
    worker = ForkedAnonymizer(AnonSettings())
    pid = worker.pid
    worker.close()
    worker.close()  # a second close does nothing
    assert pid is not None and _gone(pid)


def test_command_prints_nothing_from_the_child() -> None:
    """As a real process: the same report as in-process, nothing on stderr."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "postfinger_py",
            "--replay",
            str(EXAMPLE_SNAPSHOT),
            "--anon-key",
            str(EXAMPLE_KEY),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""
    assert out.stdout == replay(fork=False).stdout


@pytest.mark.skipif(
    os.geteuid() != 0 or not os.path.exists("/usr/bin/python3"),
    reason="needs root to run the check as nobody (RLIMIT_NPROC does not bind "
    "root) and /usr/bin/python3 (nobody cannot reach the development venv)",
)
def test_no_process_to_spare_means_the_work_is_done_in_process() -> None:
    """With RLIMIT_NPROC at 0 neither fork nor a thread is possible: the same report anyway."""
    import importlib
    import resource
    import shutil
    import tempfile

    def as_nobody_without_processes() -> None:
        os.setgid(65534)
        os.setuid(65534)
        resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))

    work = Path(tempfile.mkdtemp(prefix="postfinger-nproc-", dir="/tmp"))
    try:
        lib = work / "lib"
        shutil.copytree(REPO / "postfinger_py", lib / "postfinger_py")
        shutil.copytree(REPO / "templates", lib / "postfinger_py" / "templates", dirs_exist_ok=True)
        for name in (
            "jinja2",
            "markupsafe",
            "scrubadub",
            "faker",
            "phonenumbers",
            "stdnum",
            "catalogue",
            "publicsuffixlist",
            "dateutil",
            "dpkt",
        ):
            src = Path(importlib.import_module(name).__file__).parent  # type: ignore[arg-type]
            shutil.copytree(src, lib / src.name)
        shutil.copytree(EXAMPLE_SNAPSHOT, work / "snap")
        shutil.copy(EXAMPLE_KEY, work / "key")
        for path in [work, *work.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
            os.chown(path, 65534, 65534)
        (work / "key").chmod(0o600)
        code = (
            "from postfinger_py.anonymize.parallel import _both\n"
            "print(_both(lambda: 'child', lambda: 'here'))\n"
            "from postfinger_py.anonymize.engine import Engine\n"
            "e = Engine(bytes(32)); e.parallel_min = 1\n"
            "e.learn_host('mx1.bluefinch-logistics.de'); e.freeze()\n"
            "t = 'from mx1.bluefinch-logistics.de[10.1.2.3]\\n' * 3\n"
            "print(e.apply(t) == e.apply_by_regex(t), 'bluefinch' in e.apply(t))\n"
        )
        probe = subprocess.run(
            ["/usr/bin/python3", "-c", code],
            capture_output=True,
            text=True,
            cwd="/",
            env={"PYTHONPATH": str(lib)},
            timeout=120,
            preexec_fn=as_nobody_without_processes,
        )
        report = subprocess.run(
            [
                "/usr/bin/python3",
                "-m",
                "postfinger_py",
                "--replay",
                str(work / "snap"),
                "--anon-key",
                str(work / "key"),
            ],
            capture_output=True,
            text=True,
            cwd="/",
            env={"PYTHONPATH": str(lib)},
            timeout=120,
            preexec_fn=as_nobody_without_processes,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.splitlines() == ["('here', None)", "True False"]
    assert report.returncode == 0, report.stderr + report.stdout[-3000:]
    assert report.stdout == replay(fork=False).stdout


def test_unpicklable_report_is_anonymized_here_without_waiting_for_the_child() -> None:
    report = recorded_report(read("postfix.log"))
    report.sections[0].data["unpicklable"] = lambda: None  # type: ignore[index]
    settings = AnonSettings(key_file=str(EXAMPLE_KEY))
    worker = ForkedAnonymizer(settings)
    pid = worker.pid
    try:
        result = worker.anonymize(report)  # would hang if it waited for the child
    finally:
        worker.close()
    assert not worker.used_child and pid is not None and _gone(pid)
    assert result.report == anonymize(report, settings).report
