"""A snapshot someone sends must never make --replay read outside it, nor crash on damage."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any, Callable

import pytest

from postfinger_py.errors import PostfingerError
from postfinger_py.files import LiveFiles
from postfinger_py.runner import SubprocessRunner
from postfinger_py.snapshot import (
    Recorder,
    RecordingFiles,
    RecordingRunner,
    ReplayFiles,
    ReplayRunner,
    Snapshot,
    check_target,
)
from postfinger_py.snapshot_read import MAX_MANIFEST

from ..conftest import EXAMPLE_SNAPSHOT
from ..helpers import run_cli

SECRET = "root:$6$the-shadow-line-that-must-never-appear:19000:0:99999:7:::\n"


@pytest.fixture()
def snap(tmp_path: Path) -> Path:
    """A real recording: one command, one file read whole, one file streamed."""
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "main.cf").write_text("myhostname = a.example\n")
    (root / "var.log").write_text("Nov 21 mail postfix/smtpd[1]: connect\n")
    rec = Recorder()
    RecordingRunner(SubprocessRunner(), rec).run(["echo", "recorded"])
    files = RecordingFiles(LiveFiles(str(root)), rec)
    files.read_bytes("/etc/main.cf")
    with files.open_binary("/var.log") as fh:
        fh.read()
    out = tmp_path / "snap"
    rec.write(str(out), {"now": "2026-11-21T22:00:00+00:00", "euid": 0})
    return out


def _manifest(snap: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((snap / "manifest.json").read_text())
    return data


def _member(snap: Path, op: str, slot: str) -> Path:
    record = next(r for r in _manifest(snap)["records"] if r["op"] == op and r.get(slot))
    return snap / record[slot]


def _edit(snap: Path, change: Callable[[dict[str, Any]], None]) -> None:
    manifest = _manifest(snap)
    change(manifest)
    (snap / "manifest.json").write_text(json.dumps(manifest))


def test_the_recording_replays(snap: Path) -> None:
    s = Snapshot(str(snap))
    assert ReplayRunner(s).run(["echo", "recorded"]).stdout == "recorded\n"
    assert ReplayFiles(s).read_bytes("/etc/main.cf", limit=10) == b"myhostname"
    with ReplayFiles(s).open_binary("/var.log") as fh:
        assert b"connect" in fh.read()


@pytest.mark.parametrize("op,slot", [("run", "stdout"), ("read", "data")])
def test_a_member_replaced_by_a_symlink_is_refused_before_any_work(
    snap: Path, tmp_path: Path, op: str, slot: str
) -> None:
    shadow = tmp_path / "shadow"
    shadow.write_text(SECRET)
    member = _member(snap, op, slot)
    rel = member.relative_to(snap).as_posix()
    member.unlink()
    member.symlink_to(shadow)
    with pytest.raises(PostfingerError) as exc:
        Snapshot(str(snap))
    assert f"its member '{rel}' is a symbolic link" in exc.value.message
    assert "record it again with --capture" in exc.value.message
    assert "\n" not in exc.value.message and "shadow-line" not in exc.value.message


def test_a_symlinked_member_directory_is_refused(snap: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    shutil.move(str(snap / "files"), str(elsewhere))
    (snap / "files").symlink_to(elsewhere)
    with pytest.raises(PostfingerError, match=r"is a symbolic link \(its part 'files'\)"):
        Snapshot(str(snap))


def test_a_symlinked_manifest_is_refused(snap: Path, tmp_path: Path) -> None:
    real = tmp_path / "m.json"
    shutil.move(str(snap / "manifest.json"), str(real))
    (snap / "manifest.json").symlink_to(real)
    with pytest.raises(PostfingerError, match=r"'manifest\.json' is a symbolic link"):
        Snapshot(str(snap))


@pytest.mark.parametrize("rel", ["../shadow", "files/../../shadow", "/etc/shadow"])
def test_a_member_name_leading_outside_is_refused(snap: Path, tmp_path: Path, rel: str) -> None:
    (tmp_path / "shadow").write_text(SECRET)

    def point_out(m: dict[str, Any]) -> None:
        next(r for r in m["records"] if r["op"] == "read" and r.get("data"))["data"] = rel

    _edit(snap, point_out)
    with pytest.raises(PostfingerError) as exc:
        Snapshot(str(snap))
    assert f"its member {rel!r} points outside the snapshot" in exc.value.message


def test_a_fifo_member_is_refused_without_waiting_for_a_writer(snap: Path) -> None:
    member = _member(snap, "read", "data")
    member.unlink()
    os.mkfifo(member)
    with pytest.raises(PostfingerError, match=r"is a named pipe \(FIFO\)"):
        Snapshot(str(snap))


def test_a_directory_member_is_refused(snap: Path) -> None:
    member = _member(snap, "run", "stdout")
    member.unlink()
    member.mkdir()
    with pytest.raises(PostfingerError, match="is a directory"):
        Snapshot(str(snap))


def test_a_device_member_is_refused(snap: Path) -> None:
    member = _member(snap, "run", "stdout")
    member.unlink()
    try:
        os.mknod(member, 0o600 | 0o020000, os.makedev(1, 5))  # a copy of /dev/zero
    except PermissionError:
        pytest.skip("creating a device node needs root (CAP_MKNOD)")
    with pytest.raises(PostfingerError, match="is a character device"):
        Snapshot(str(snap))


def test_a_member_swapped_for_a_symlink_after_loading_is_still_refused(snap: Path, tmp_path: Path) -> None:
    s = Snapshot(str(snap))
    (tmp_path / "shadow").write_text(SECRET)
    member = _member(snap, "read", "data")
    member.unlink()
    member.symlink_to(tmp_path / "shadow")
    with pytest.raises(PostfingerError, match="is a symbolic link"):
        ReplayFiles(s).read_bytes("/etc/main.cf")
    with pytest.raises(PostfingerError, match="is a symbolic link"):
        ReplayFiles(s).open_binary("/etc/main.cf")


def test_a_missing_member_is_damage(snap: Path) -> None:
    _member(snap, "run", "stdout").unlink()
    with pytest.raises(
        PostfingerError,
        match=r"is damaged: its member 'commands/\d+\.out' is "
        "missing; record it again with --capture",
    ):
        Snapshot(str(snap))


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(m: dict[str, Any]) -> None:
        keys = path.split(".")
        target: Any = m
        run = next(n for n, r in enumerate(m["records"]) if r["op"] == "run")
        keys = [str(run) if k == "RUN" else k for k in keys]
        for k in keys[:-1]:
            target = target[int(k)] if isinstance(target, list) else target[k]
        if value is KeyError:
            del target[keys[-1]]
        elif isinstance(target, list):
            target[int(keys[-1])] = value
        else:
            target[keys[-1]] = value

    return change


@pytest.mark.parametrize(
    "change,words",
    [
        (_set("records", {"not": "a list"}), "its records are not a list"),
        (_set("records.0", "text"), "record 1 of its manifest.json is not an object"),
        (_set("records.0.op", "delete"), "has an unknown op 'delete'"),
        (_set("records.RUN.argv", KeyError), "has no command"),
        (_set("records.RUN.argv", [1, 2]), "has no command"),
        (_set("records.RUN.status", "zero"), "exit status that is not a number"),
        (_set("records.RUN.stdout", 7), "has a stdout that is not a member name"),
        (_set("records.0.path", None), "has no path"),
        (_set("facts", []), "its facts are not an object"),
        (_set("facts.euid", "root"), "(facts.euid) is not a number"),
    ],
)
def test_wrong_types_in_the_manifest_are_damage(snap: Path, change: Any, words: str) -> None:
    _edit(snap, change)
    with pytest.raises(PostfingerError) as exc:
        Snapshot(str(snap))
    assert exc.value.message.startswith(f"the snapshot {snap} is damaged: ")
    assert words in exc.value.message
    assert exc.value.message.endswith("; record it again with --capture")


def _add_record(record: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    return lambda m: m["records"].append(record)


@pytest.mark.parametrize(
    "record,words",
    [
        ({"op": "stat", "path": "/x", "stat": {"path": "/x"}}, "lacks the field"),
        ({"op": "stat", "path": "/x", "stat": {"path": "/x", "evil": 1}}, "unknown field 'evil'"),
        ({"op": "listdir", "path": "/x", "names": "abc"}, "names that are not a list"),
        (
            {"op": "binary", "path": "/x", "info": {"path": "/x", "kind": "elf", "needed": "c"}},
            "'needed' is not a list of strings",
        ),
        (
            {"op": "binary", "path": "/x", "problem": {"kind": "missing", "reason": "x"}},
            "'info' is not an object",
        ),
        ({"op": "read", "path": "/x", "problem": "gone"}, "problem without kind and reason"),
        ({"op": "probe", "path": "127.0.0.1:25", "result": "ok"}, "probe result that is not an"),
        (
            {"op": "probe", "path": "127.0.0.1:25", "result": {"features": ["A", 2]}},
            "probe field 'features' that is not a list of strings",
        ),
        ({"op": "probe", "result": {}}, "has no path"),
    ],
)
def test_records_of_the_wrong_shape_are_damage(snap: Path, record: dict[str, Any], words: str) -> None:
    _edit(snap, _add_record(record))
    with pytest.raises(
        PostfingerError, match="is damaged: record 4 .*" + words.replace("(", r"\(").replace(")", r"\)")
    ):
        Snapshot(str(snap))


@pytest.mark.parametrize(
    "content,words",
    [
        (b"{not json", "is not valid JSON"),
        (b"\xff\xfe{}", "is not UTF-8 text"),
        (b"[" * 200000, "is nested too deeply"),
    ],
)
def test_a_malformed_manifest_is_damage(snap: Path, content: bytes, words: str) -> None:
    (snap / "manifest.json").write_bytes(content)
    with pytest.raises(PostfingerError, match=f"is damaged: its manifest.json {words}"):
        Snapshot(str(snap))


def test_a_huge_manifest_is_refused_without_reading_it(snap: Path) -> None:
    with open(snap / "manifest.json", "r+b") as fh:
        fh.truncate(MAX_MANIFEST + 1)  # sparse: no disk used, and never read
    with pytest.raises(PostfingerError, match="more than postfinger reads into memory"):
        Snapshot(str(snap))


@pytest.mark.parametrize(
    "change,words",
    [
        (_set("records.RUN.argv", 5), "record 3 of its manifest.json has no command (argv)"),
        (_set("facts.now", KeyError), "it has no valid recording time (facts.now)"),
        (_set("facts.now", "yesterday"), "it has no valid recording time (facts.now)"),
        (_set("facts.now", "2026-11-21T22:00:00"), "its recording time (facts.now) has no time zone"),
    ],
)
def test_the_cli_says_damaged_in_one_line_not_internal_error(snap: Path, change: Any, words: str) -> None:
    _edit(snap, change)
    res = run_cli(["--replay", str(snap)])
    assert res.status == 1
    assert res.stderr == (
        f"postfinger: the snapshot {snap} is damaged: {words}; record it again with --capture\n"
    )
    assert res.stderr.count("\n") == 1 and "internal error" not in res.stderr
    assert res.stdout == ""


def test_the_cli_refuses_the_example_with_a_planted_shadow_link(tmp_path: Path) -> None:
    copy = tmp_path / "snapshot"
    shutil.copytree(EXAMPLE_SNAPSHOT, copy)
    (tmp_path / "shadow").write_text(SECRET)
    victim = sorted((copy / "files").iterdir())[0]
    victim.unlink()
    victim.symlink_to(tmp_path / "shadow")
    res = run_cli(["--replay", str(copy)])
    assert res.status == 1
    assert "shadow-line" not in res.stdout + res.stderr
    assert f"its member 'files/{victim.name}' is a symbolic link" in res.stderr
    assert res.stderr.count("\n") == 1


def test_capture_never_writes_through_a_symlinked_target(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "snap").symlink_to(elsewhere)
    with pytest.raises(PostfingerError, match="it is a symbolic link; name a new directory"):
        check_target(str(tmp_path / "snap"))
    with pytest.raises(PostfingerError, match="it is a symbolic link"):
        Recorder().write(str(tmp_path / "snap"), {"now": "2026-11-21T22:00:00+00:00"})
    assert list(elsewhere.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["elsewhere", "snap"]
