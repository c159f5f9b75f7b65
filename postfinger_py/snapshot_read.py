"""Reading a snapshot someone sent: a checked manifest, members only as regular files inside it."""

from __future__ import annotations

import json
import os
import stat
from dataclasses import fields
from datetime import datetime
from typing import Any, BinaryIO

from postfinger_py.errors import PostfingerError, os_error_words
from postfinger_py.files import StatInfo
from postfinger_py.parse.elf import BinaryInfo

MAX_MANIFEST = 64 * 1024 * 1024
# A member read into memory (command output, a file read whole); logs are streamed, not held.
MAX_MEMBER = 512 * 1024 * 1024

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# O_NONBLOCK: opening a FIFO put there must not wait for a writer (it is refused after fstat).
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC

AGAIN = "record it again with --capture"


def damaged(directory: str, what: str) -> PostfingerError:
    return PostfingerError(f"the snapshot {directory} is damaged: {what}; {AGAIN}")


def _kind(mode: int) -> str:
    for test, words in (
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return words
    return "not a regular file"


class Members:
    """Opens members of one snapshot directory, never anything outside it.

    Every path component is opened relative to the one before with O_NOFOLLOW, so neither a
    symbolic link nor '..' can lead out; the member must be a regular file (fstat after open)
    of bounded size.
    """

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self.root = os.path.realpath(directory)

    def refuse(self, rel: str, why: str) -> PostfingerError:
        return PostfingerError(
            f"refusing to read the snapshot {self.directory}: its member "
            f"{rel!r} {why} (a snapshot holds only regular files inside "
            f"itself); do not use it, or {AGAIN}"
        )

    def parts(self, rel: Any) -> list[str]:
        if not isinstance(rel, str) or not rel or "\0" in rel:
            raise damaged(self.directory, f"a member name is not a file name: {rel!r}")
        parts = rel.split("/")
        if rel.startswith("/") or ".." in parts:
            raise self.refuse(rel, "points outside the snapshot")
        if any(p in ("", ".") for p in parts):
            raise damaged(self.directory, f"a member name is not a plain path: {rel!r}")
        return parts

    def open_fd(self, rel: str) -> tuple[int, int]:
        """An fd of the member opened for reading, and its size."""
        parts = self.parts(rel)
        try:
            dfd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError as exc:
            raise PostfingerError(
                f"cannot read the snapshot {self.directory}: {os_error_words(exc)}"
            ) from None
        try:
            for n, part in enumerate(parts):
                last = n == len(parts) - 1
                st = os.stat(part, dir_fd=dfd, follow_symlinks=False)
                if not (stat.S_ISREG(st.st_mode) if last else stat.S_ISDIR(st.st_mode)):
                    where = "" if last else f" (its part {'/'.join(parts[: n + 1])!r})"
                    raise self.refuse(rel, f"is {_kind(st.st_mode)}{where}")
                fd = os.open(part, _FILE_FLAGS if last else _DIR_FLAGS, dir_fd=dfd)
                os.close(dfd)
                dfd = fd
            st = os.fstat(dfd)
            if not stat.S_ISREG(st.st_mode):  # swapped between the check and the open
                raise self.refuse(rel, f"is {_kind(st.st_mode)}")
            os.set_blocking(dfd, True)
            fd, dfd = dfd, -1
            return fd, st.st_size
        except FileNotFoundError:
            raise damaged(self.directory, f"its member {rel!r} is missing") from None
        except OSError as exc:
            raise PostfingerError(
                f"cannot read the snapshot {self.directory}: member {rel!r}: {os_error_words(exc)}"
            ) from None
        finally:
            if dfd >= 0:
                os.close(dfd)

    def check(self, rel: str) -> None:
        """Fail now (before any work) if the member could not be read later."""
        fd, size = self.open_fd(rel)
        os.close(fd)
        if size > MAX_MEMBER and not rel.startswith("files/"):
            raise self.refuse(rel, f"is {size} bytes, more than a command's output can be")

    def read(self, rel: str, limit: int | None = None, max_size: int = MAX_MEMBER) -> bytes:
        """The member's bytes (at most `limit`); more than `max_size` is refused, not read."""
        fd, size = self.open_fd(rel)
        with os.fdopen(fd, "rb") as fh:
            want = size if limit is None else min(limit, size)
            if want > max_size:
                raise self.refuse(
                    rel,
                    f"is {size} bytes, more than postfinger reads into memory "
                    f"({max_size // (1024 * 1024)} MiB)",
                )
            try:
                return fh.read(want)  # never beyond the size fstat gave, even if it grows
            except OSError as exc:
                raise PostfingerError(
                    f"cannot read the snapshot {self.directory}: member {rel!r}: {os_error_words(exc)}"
                ) from None

    def open(self, rel: str) -> BinaryIO:
        fd, _size = self.open_fd(rel)
        return os.fdopen(fd, "rb")


# The manifest: every record checked for the shape replay relies on, before any work.
_SLOTS = {"run": ("stdout", "stderr"), "read": ("data",)}


def _fields_ok(data: Any, cls: type, required: tuple[str, ...]) -> str | None:
    if not isinstance(data, dict):
        return "is not an object"
    known = {f.name: f for f in fields(cls)}
    for key, value in data.items():
        f = known.get(key)
        if f is None:
            return f"has an unknown field {key!r}"
        kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
        if kind.lower().startswith("tuple"):  # "tuple[str, ...]" (or typing's "Tuple[...]")
            if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                return f"field {key!r} is not a list of strings"
        elif kind in ("int", "float", "str"):
            expected = {"int": (int,), "float": (int, float), "str": (str,)}[kind]
            if isinstance(value, bool) or not isinstance(value, expected):
                return f"field {key!r} is not {'a string' if kind == 'str' else 'a number'}"
    missing = [k for k in required if k not in data]
    return f"lacks the field {missing[0]!r}" if missing else None


def _record_problem(record: Any) -> str | None:
    if not isinstance(record, dict):
        return "is not an object"
    op = record.get("op")
    if op not in ("run", "read", "stat", "restat", "listdir", "binary", "probe"):
        return f"has an unknown op {op!r}"
    if op == "run":
        argv = record.get("argv")
        if not (isinstance(argv, list) and argv and all(isinstance(a, str) for a in argv)):
            return "has no command (argv)"
        status = record.get("status")
        if status is not None and (isinstance(status, bool) or not isinstance(status, int)):
            return "has an exit status that is not a number"
        if not isinstance(record.get("error", ""), str):
            return "has an error that is not a string"
    elif not isinstance(record.get("path"), str):
        return "has no path"
    for slot in _SLOTS.get(op, ()):
        if slot in record and record[slot] is not None and not isinstance(record[slot], str):
            return f"has a {slot} that is not a member name"
    problem = record.get("problem")
    if problem is not None and op in ("read", "stat", "restat", "listdir"):
        if not (
            isinstance(problem, dict)
            and isinstance(problem.get("kind"), str)
            and isinstance(problem.get("reason"), str)
        ):
            return "has a problem without kind and reason"
        return None
    if op in ("stat", "restat"):
        why = _fields_ok(record.get("stat"), StatInfo, tuple(f.name for f in fields(StatInfo)))
        return f"'stat' {why}" if why else None
    if op == "listdir":
        names = record.get("names")
        if not (isinstance(names, list) and all(isinstance(n, str) for n in names)):
            return "has names that are not a list of strings"
    if op == "binary":
        why = _fields_ok(record.get("info"), BinaryInfo, ("path", "kind"))
        return f"'info' {why}" if why else None
    if op == "probe":
        from postfinger_py.smtpprobe import result_problem

        return result_problem(record.get("result"))
    return None


def parse_manifest(
    directory: str, data: bytes, fmt: str, version: int
) -> tuple[dict[str, Any], str, list[dict[str, Any]]]:
    """facts, tool_version and records of a manifest, or a one-line error saying what is wrong."""
    try:
        manifest = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise damaged(directory, "its manifest.json is not UTF-8 text") from None
    except RecursionError:
        raise damaged(directory, "its manifest.json is nested too deeply") from None
    except ValueError as exc:
        raise damaged(directory, f"its manifest.json is not valid JSON ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != fmt:
        raise PostfingerError(
            f"{directory} is not a postfinger snapshot (its manifest.json is "
            "not a snapshot manifest); make one with `postfinger --capture DIR`"
        )
    if manifest.get("version") != version:
        raise PostfingerError(
            f"the snapshot {directory} has format version "
            f"{manifest.get('version')!r}; this postfinger reads version "
            f"{version}: replay it with the postfinger that recorded it"
        )
    facts = manifest.get("facts", {})
    if not isinstance(facts, dict):
        raise damaged(directory, "its facts are not an object")
    euid = facts.get("euid", 0)
    if isinstance(euid, bool) or not isinstance(euid, int):
        raise damaged(directory, "its user id (facts.euid) is not a number")
    records = manifest.get("records", [])
    if not isinstance(records, list):
        raise damaged(directory, "its records are not a list")
    for n, record in enumerate(records, 1):
        why = _record_problem(record)
        if why:
            raise damaged(directory, f"record {n} of its manifest.json {why}")
    return facts, str(manifest.get("tool_version", "?")), records


def recorded_at(directory: str, facts: dict[str, Any]) -> datetime:
    """When the snapshot was recorded (the replayed report's time), timezone-aware."""
    try:
        when = datetime.fromisoformat(str(facts["now"]))
    except (KeyError, ValueError):
        raise damaged(directory, "it has no valid recording time (facts.now)") from None
    if when.tzinfo is None:
        raise damaged(directory, "its recording time (facts.now) has no time zone")
    return when


def member_names(record: dict[str, Any]) -> list[str]:
    """The member files a record refers to."""
    return [record[s] for s in _SLOTS.get(str(record.get("op")), ()) if record.get(s)]
