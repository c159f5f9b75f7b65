"""Recorded-input doubles for the checks: files from a dict (the runner is tests.helpers.FakeRunner).

They implement the Runner and Files protocols (no monkeypatching): a test states what the
system showed, and the check under test sees exactly that.
"""

from __future__ import annotations

import io
import stat as stat_mod
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any, BinaryIO

from postfinger_py.files import FileProblem, StatInfo
from postfinger_py.findings.facts import Facts
from postfinger_py.model import Context, Options, Section, Status
from postfinger_py.parse.elf import BinaryInfo
from postfinger_py.runner import CommandResult

from ..helpers import FakeRunner

NOW = datetime(2026, 11, 21, 22, 0, 0, tzinfo=timezone.utc)


def stat_info(
    path: str,
    kind: str = "file",
    mode: int = 0o644,
    uid: int = 0,
    size: int = 10,
    mtime: float = 1_000_000.0,
    user: str = "root",
    group: str = "root",
) -> StatInfo:
    return StatInfo(path, kind, mode, uid, 0, user, group, size, mtime)


class DictFiles:
    """Files from a dict: path -> bytes (a regular file) or StatInfo (stat only) or both."""

    def __init__(
        self,
        contents: dict[str, bytes] | None = None,
        stats: dict[str, StatInfo] | None = None,
        denied: Sequence[str] = (),
    ) -> None:
        self.contents = dict(contents or {})
        self.stats = dict(stats or {})
        self.denied = set(denied)

    def _check(self, path: str) -> None:
        if path in self.denied:
            raise FileProblem(path, "denied", "permission denied")

    def read_bytes(self, path: str, limit: int | None = None) -> bytes:
        self._check(path)
        if path not in self.contents:
            raise FileProblem(path, "missing", "no such file or directory")
        data = self.contents[path]
        return data if limit is None else data[:limit]

    def stat(self, path: str) -> StatInfo:
        self._check(path)
        if path in self.stats:
            return self.stats[path]
        if path in self.contents:
            return stat_info(path, size=len(self.contents[path]))
        if any(p.startswith(path.rstrip("/") + "/") for p in [*self.contents, *self.stats]):
            return stat_info(path, kind="dir", mode=0o755)
        raise FileProblem(path, "missing", "no such file or directory")

    def listdir(self, path: str) -> list[str]:
        self._check(path)
        prefix = path.rstrip("/") + "/"
        names = {
            p[len(prefix) :].split("/")[0] for p in [*self.contents, *self.stats] if p.startswith(prefix)
        }
        if not names:
            raise FileProblem(path, "missing", "no such file or directory")
        return sorted(names)

    def open_binary(self, path: str) -> BinaryIO:
        return io.BytesIO(self.read_bytes(path))

    def inspect_binary(self, path: str) -> BinaryInfo:
        return BinaryInfo(path, "unreadable", problem="not in the test")


def section(name: str, data: dict[str, Any], status: Status = Status.OK) -> Section:
    return Section(name=name, title=name, status=status, data=data)


def maincf(params: dict[str, str]) -> Section:
    return section("maincf", {"parameters": [{"name": k, "value": v} for k, v in params.items()]})


def mastercf(services: list[dict[str, Any]], overrides: Sequence[dict[str, str]] = ()) -> Section:
    return section("mastercf", {"services": services, "overrides": list(overrides)})


def service(
    name: str,
    kind: str = "unix",
    command: str = "smtpd",
    chroot: str = "y",
    args: Sequence[str] = (),
    private: str = "-",
    unpriv: str = "-",
    maxproc: str = "-",
) -> dict[str, Any]:
    return {
        "service": name,
        "type": kind,
        "private": private,
        "unpriv": unpriv,
        "chroot": chroot,
        "wakeup": "-",
        "maxproc": maxproc,
        "command": command,
        "args": list(args),
    }


def facts(
    sections: Sequence[Section] = (),
    runner: FakeRunner | None = None,
    files: DictFiles | None = None,
    euid: int = 0,
    effective: dict[str, str] | None = None,
) -> Facts:
    """Facts over these sections; `effective` answers `postconf -x` (parameters in effect)."""
    answers: dict[tuple[str, ...], str | CommandResult] = {}
    if effective is not None:
        answers[("postconf", "-x")] = "".join(f"{k} = {v}\n" for k, v in effective.items())
    run = runner or FakeRunner(answers)
    if runner is not None and effective is not None:
        runner.answers.update(answers)
    ctx = Context(run, files or DictFiles(), NOW, euid, Options())
    return Facts(ctx, list(sections))


def mode_bits(kind: str) -> int:
    return {"file": stat_mod.S_IFREG, "dir": stat_mod.S_IFDIR}.get(kind, 0)
