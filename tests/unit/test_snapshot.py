"""Capture what the live system answered, then replay it exactly, and fail loudly on the unknown."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from postfinger_py.errors import PostfingerError, ReplayMissing
from postfinger_py.files import FileProblem, LiveFiles
from postfinger_py.runner import SubprocessRunner
from postfinger_py.snapshot import (
    Recorder,
    RecordingFiles,
    RecordingRunner,
    ReplayFiles,
    ReplayRunner,
    Snapshot,
)


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "etc" / "postfix").mkdir(parents=True)
    (root / "etc" / "postfix" / "main.cf").write_bytes(b"myhostname = a.example\n\xff\x00binary")
    secret = root / "etc" / "postfix" / "secret"
    secret.write_text("x")
    secret.chmod(0)
    return root


def test_record_then_replay_gives_the_same_answers(tree: Path, tmp_path: Path) -> None:
    rec = Recorder()
    runner = RecordingRunner(SubprocessRunner(), rec)
    files = RecordingFiles(LiveFiles(str(tree)), rec)
    live_echo = runner.run(["echo", "hello", "wörld"])
    live_false = runner.run(["false"])
    live_missing = runner.run(["no-such-program-xyz"])
    live_data = files.read_bytes("/etc/postfix/main.cf")
    live_stat = files.stat("/etc/postfix/main.cf")
    live_list = files.listdir("/etc/postfix")
    with pytest.raises(FileProblem):
        files.read_bytes("/etc/postfix/nothere")
    snap_dir = tmp_path / "snap"
    rec.write(str(snap_dir), {"now": "2026-11-21T22:00:00+00:00", "euid": 0})

    assert stat.S_IMODE(os.stat(snap_dir).st_mode) == 0o700
    for path in snap_dir.rglob("*"):
        if path.is_file():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path

    snap = Snapshot(str(snap_dir))
    assert snap.facts["euid"] == 0
    replay_runner, replay_files = ReplayRunner(snap), ReplayFiles(snap)
    echo = replay_runner.run(["echo", "hello", "wörld"])
    assert (echo.status, echo.stdout) == (live_echo.status, live_echo.stdout) == (0, "hello wörld\n")
    assert replay_runner.run(["false"]).status == live_false.status == 1
    assert replay_runner.run(["no-such-program-xyz"]).missing and live_missing.missing
    assert replay_files.read_bytes("/etc/postfix/main.cf") == live_data
    assert replay_files.read_bytes("/etc/postfix/main.cf", limit=5) == live_data[:5]
    assert replay_files.stat("/etc/postfix/main.cf") == live_stat
    assert replay_files.listdir("/etc/postfix") == live_list
    with pytest.raises(FileProblem) as problem:
        replay_files.read_bytes("/etc/postfix/nothere")
    assert problem.value.kind == "missing"


def test_a_file_status_is_one_answer_per_run_and_restat_its_own(tree: Path, tmp_path: Path) -> None:
    # Replay keeps one status per path: a second stat() of the live run gets the first answer
    # too, or the live report and its replay could differ. restat() (after reading) is a
    # separate record; a snapshot without it (older tools) answers restat() with the stat.
    main_cf = tree / "etc/postfix/main.cf"
    rec = Recorder()
    files = RecordingFiles(LiveFiles(str(tree)), rec)
    first = files.stat("/etc/postfix/main.cf")
    main_cf.write_bytes(main_cf.read_bytes() + b"more = lines\n")
    assert files.stat("/etc/postfix/main.cf") == first
    later = files.restat("/etc/postfix/main.cf")
    assert later.size == first.size + len(b"more = lines\n")
    with pytest.raises(FileProblem):
        files.stat("/etc/postfix/nothere")
    (tree / "etc/postfix/nothere").write_text("now it is")
    with pytest.raises(FileProblem):  # the first answer holds for the run
        files.stat("/etc/postfix/nothere")
    older = RecordingFiles(LiveFiles(str(tree)), Recorder())
    older.stat("/etc/postfix/main.cf")
    rec.write(str(tmp_path / "snap"), {})
    older.recorder.write(str(tmp_path / "old"), {})

    replay = ReplayFiles(Snapshot(str(tmp_path / "snap")))
    assert replay.stat("/etc/postfix/main.cf") == first
    assert replay.restat("/etc/postfix/main.cf") == later
    with pytest.raises(FileProblem):
        replay.stat("/etc/postfix/nothere")
    assert ReplayFiles(Snapshot(str(tmp_path / "old"))).restat("/etc/postfix/main.cf").size == later.size


def test_replay_fails_loudly_on_unrecorded_calls(tmp_path: Path) -> None:
    rec = Recorder()
    rec.write(str(tmp_path / "s"), {"now": "2026-11-21T22:00:00+00:00", "euid": 0})
    snap = Snapshot(str(tmp_path / "s"))
    with pytest.raises(ReplayMissing, match="no recording of command postconf -n"):
        ReplayRunner(snap).run(["postconf", "-n"])
    with pytest.raises(ReplayMissing, match="no recording of file /etc/x"):
        ReplayFiles(snap).read_bytes("/etc/x")


def test_permission_denied_is_recorded_as_such(tree: Path, tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads mode-000 files, so permission denied cannot be provoked")
    rec = Recorder()
    files = RecordingFiles(LiveFiles(str(tree)), rec)
    with pytest.raises(FileProblem):
        files.read_bytes("/etc/postfix/secret")
    rec.write(str(tmp_path / "s"), {"now": "x", "euid": 1000})
    with pytest.raises(FileProblem) as problem:
        ReplayFiles(Snapshot(str(tmp_path / "s"))).read_bytes("/etc/postfix/secret")
    assert problem.value.kind == "denied"


def test_capture_refuses_a_non_empty_directory_and_leaves_no_debris(tmp_path: Path) -> None:
    target = tmp_path / "busy"
    target.mkdir()
    (target / "keep").write_text("mine")
    with pytest.raises(PostfingerError, match="not an empty directory"):
        Recorder().write(str(target), {})
    assert (target / "keep").read_text() == "mine"
    assert [p.name for p in tmp_path.iterdir()] == ["busy"]


def test_not_a_snapshot(tmp_path: Path) -> None:
    with pytest.raises(PostfingerError, match="is not a postfinger snapshot"):
        Snapshot(str(tmp_path))
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(PostfingerError, match=r"is damaged: its manifest\.json is not valid JSON"):
        Snapshot(str(tmp_path))


def test_runner_timeout_and_missing_are_results() -> None:
    runner = SubprocessRunner()
    slow = runner.run(["sleep", "5"], timeout=0.2)
    assert slow.timed_out and not slow.ok and slow.status is None
    assert "did not finish" in slow.describe_failure()
    missing = runner.run(["/nonexistent/prog"])
    assert missing.missing and "command not found" in missing.describe_failure()


def test_runner_uses_the_c_locale_and_stdin() -> None:
    runner = SubprocessRunner()
    env = runner.run(["env"])
    assert "LC_ALL=C" in env.stdout.splitlines()
    assert runner.run(["cat"], stdin=b"abc").stdout == "abc"


def test_streams_are_recorded_as_read_on_disk_not_in_memory(tree: Path, tmp_path: Path) -> None:
    big = tree / "var" / "log"
    big.mkdir(parents=True)
    payload = b"".join(b"Nov 21 22:00:00 mx postfix/smtpd[1]: line %d\n" % i for i in range(50000))
    (big / "mail.log").write_bytes(payload)
    rec = Recorder(str(tmp_path))
    files = RecordingFiles(LiveFiles(str(tree)), rec)
    with files.open_binary("/var/log/mail.log") as fh:
        first = fh.read(1000)
        rest = fh.read()
    assert first + rest == payload
    spools = [p for p in tmp_path.iterdir() if p.name.startswith(".postfinger-spool-")]
    assert len(spools) == 1 and sum(f.stat().st_size for f in spools[0].iterdir()) == len(payload)
    half = files.open_binary("/var/log/mail.log")  # left open and half read by a collector
    half.read(100)
    rec.write(str(tmp_path / "snap"), {"now": "x", "euid": 0})
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".postfinger-spool-")]
    with ReplayFiles(Snapshot(str(tmp_path / "snap"))).open_binary("/var/log/mail.log") as fh:
        assert fh.read() == payload  # the longest read wins


def test_capture_target_is_checked_before_any_work(tmp_path: Path) -> None:
    from postfinger_py.snapshot import check_target

    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "x").write_text("x")
    with pytest.raises(PostfingerError, match="not an empty directory"):
        check_target(str(busy))
    with pytest.raises(PostfingerError, match="cannot create it"):
        check_target(str(tmp_path / "no" / "such" / "dir"))
    check_target(str(tmp_path / "new"))
