"""Record what collectors read into a snapshot directory (--capture), and answer from it (--replay)."""

from __future__ import annotations

import io
import json
import os
import shutil
import stat as stat_mod
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import (
    Any,
    BinaryIO,
    Callable,
    TypeVar,
    Union,
    cast,
)

from postfinger_py import __version__
from postfinger_py.errors import PostfingerError, ReplayMissing, os_error_words
from postfinger_py.files import FileProblem, Files, StatInfo
from postfinger_py.parse.elf import BinaryInfo
from postfinger_py.runner import DEFAULT_TIMEOUT, CommandResult, Runner
from postfinger_py.snapshot_read import (
    MAX_MANIFEST,
    Members,
    member_names,
    parse_manifest,
    recorded_at,
)

FORMAT = "postfinger-snapshot"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"

Key = tuple[str, ...]
T = TypeVar("T")


# A blob is either bytes held in memory, or a spool file on disk (streams: logs, captures).
Blob = Union[bytes, "SpoolFile"]


class SpoolFile(str):
    """The path of a file holding a recorded stream; kept on disk so memory stays bounded."""


def _blob_size(blob: Blob) -> int:
    return os.path.getsize(blob) if isinstance(blob, SpoolFile) else len(blob)


def check_target(directory: str) -> None:
    """Fail before any work when a snapshot cannot be written to `directory`."""
    directory = os.path.abspath(directory)
    parent = os.path.dirname(directory) or "."
    if os.path.islink(directory):
        # Written by renaming a private temporary directory: never through a link elsewhere.
        raise PostfingerError(f"cannot capture into {directory}: it is a symbolic link; name a new directory")
    if os.path.exists(directory) and (not os.path.isdir(directory) or os.listdir(directory)):
        raise PostfingerError(
            f"cannot capture into {directory}: it exists and is not an empty directory; name a new directory"
        )
    if not os.path.isdir(parent) or not os.access(parent, os.W_OK | os.X_OK):
        raise PostfingerError(
            f"cannot capture into {directory}: cannot create it in {parent}; "
            "name a directory in a place you can write to"
        )


# Private working directories of a capture, next to the target; the pid in the name tells
# whether the run that made one is still alive, so a later run can remove what a killed one left.
SPOOL_PREFIX = ".postfinger-spool-"
CAPTURE_PREFIX = ".postfinger-capture-"
STALE_UNNAMED = 24 * 3600  # seconds: a working directory of a version without the pid in its name


def _work_prefix(kind: str) -> str:
    return f"{kind}{os.getpid()}-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def remove_stale_spools(parent: str) -> list[str]:
    """Remove the un-anonymized spool and capture working directories that earlier runs, killed
    before they could clean up, left in `parent`; the names removed."""
    removed: list[str] = []
    try:
        names = os.listdir(parent or ".")
    except OSError:
        return removed
    for name in names:
        kind = next((k for k in (SPOOL_PREFIX, CAPTURE_PREFIX) if name.startswith(k)), None)
        if kind is None:
            continue
        path = os.path.join(parent, name)
        try:
            st = os.lstat(path)
        except OSError:
            continue
        if not stat_mod.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid():
            continue  # never follow a link, never touch another user's directory
        pid_text = name[len(kind) :].split("-", 1)[0]
        if pid_text.isdigit() and "-" in name[len(kind) :]:
            stale = int(pid_text) != os.getpid() and not _alive(int(pid_text))
        else:
            stale = time.time() - st.st_mtime > STALE_UNNAMED
        if stale:
            shutil.rmtree(path, ignore_errors=True)
            if not os.path.lexists(path):
                removed.append(name)
    return removed


class Recorder:
    """Collects every answer the live system gave, then writes them as one snapshot directory."""

    def __init__(self, spool_parent: str | None = None) -> None:
        self._lock = threading.Lock()
        self._records: dict[Key, dict[str, Any]] = {}
        self._blobs: dict[Key, dict[str, Blob]] = {}
        self._spool_parent = spool_parent
        self._spool_dir: str | None = None
        self._open: list[_TeeReader] = []
        self._closed = False  # discarded: a thread still reading must not start a new spool

    def add(self, key: Key, record: dict[str, Any], blobs: dict[str, Blob]) -> None:
        with self._lock:
            old = self._records.get(key)
            # Keep the longest read of a file: shorter limited reads are replayed by truncation.
            if old is not None and key[0] == "read" and blobs and self._blobs.get(key):
                if _blob_size(self._blobs[key].get("data", b"")) >= _blob_size(blobs.get("data", b"")):
                    if isinstance(blobs.get("data"), SpoolFile):
                        os.unlink(blobs["data"])
                    return
            self._records[key] = record
            self._blobs[key] = blobs

    def spool(self) -> tuple[SpoolFile, BinaryIO]:
        """A new private spool file for a stream being recorded."""
        with self._lock:
            if self._closed:
                raise PostfingerError("the capture was abandoned")
            if self._spool_dir is None:
                self._spool_dir = tempfile.mkdtemp(prefix=_work_prefix(SPOOL_PREFIX), dir=self._spool_parent)
            fd, path = tempfile.mkstemp(dir=self._spool_dir)
        return SpoolFile(path), os.fdopen(fd, "wb")

    def track(self, tee: _TeeReader) -> None:
        with self._lock:
            self._open.append(tee)

    def discard(self) -> None:
        """Remove spooled data (after writing, or when the capture is abandoned)."""
        with self._lock:
            self._closed = True
            spool_dir, self._spool_dir = self._spool_dir, None
        for tee in list(self._open):
            try:
                tee.close()
            except Exception:  # noqa: BLE001 - a stream in use by a thread: removed below anyway
                pass
        if spool_dir is not None:
            shutil.rmtree(spool_dir, ignore_errors=True)

    def write(self, directory: str, facts: dict[str, Any]) -> None:
        """Write atomically: a temporary sibling directory renamed into place, mode 0700."""
        directory = os.path.abspath(directory)
        parent = os.path.dirname(directory) or "."
        for tee in list(self._open):  # streams a collector left open are recorded as read
            tee.close()
        check_target(directory)
        try:
            tmp = tempfile.mkdtemp(prefix=_work_prefix(CAPTURE_PREFIX), dir=parent)
        except OSError as exc:
            raise PostfingerError(f"cannot create a snapshot in {parent}: {os_error_words(exc)}") from None
        try:
            os.chmod(tmp, 0o700)
            records: list[dict[str, Any]] = []
            with self._lock:
                items = sorted(self._records.items())
            for n, (key, record) in enumerate(items, 1):
                record = dict(record)
                for slot, data in sorted(self._blobs[key].items()):
                    sub = "commands" if key[0] == "run" else "files"
                    ext = {"stdout": ".out", "stderr": ".err"}.get(slot, ".data")
                    rel = f"{sub}/{n:04d}{ext}"
                    os.makedirs(os.path.join(tmp, sub), mode=0o700, exist_ok=True)
                    if isinstance(data, SpoolFile):
                        shutil.move(data, os.path.join(tmp, rel))
                        os.chmod(os.path.join(tmp, rel), 0o600)
                    else:
                        _write_private(os.path.join(tmp, rel), data)
                    record[slot] = rel
                records.append(record)
            manifest = {
                "format": FORMAT,
                "version": FORMAT_VERSION,
                "tool_version": __version__,
                "facts": facts,
                "records": records,
            }
            text = json.dumps(manifest, indent=1, sort_keys=True) + "\n"
            _write_private(os.path.join(tmp, MANIFEST), text.encode())
            if os.path.isdir(directory):
                os.rmdir(directory)
            os.rename(tmp, directory)
        except OSError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            raise PostfingerError(
                f"could not write the snapshot {directory}: "
                f"{os_error_words(exc)}; nothing of it was left behind"
            ) from None
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        finally:
            self.discard()


def _write_private(path: str, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _problem_record(exc: FileProblem) -> dict[str, str]:
    return {"kind": exc.kind, "reason": exc.reason}


class RecordingRunner:
    """Runs commands through another runner and records each result."""

    def __init__(self, inner: Runner, recorder: Recorder) -> None:
        self.inner = inner
        self.recorder = recorder

    def run(
        self,
        argv: Sequence[str],
        *,
        timeout: float = DEFAULT_TIMEOUT,
        stdin: bytes | None = None,
    ) -> CommandResult:
        result = self.inner.run(argv, timeout=timeout, stdin=stdin)
        record = {
            "op": "run",
            "argv": list(result.argv),
            "status": result.status,
            "timed_out": result.timed_out,
            "missing": result.missing,
            "error": result.error,
        }
        blobs: dict[str, Blob] = {"stdout": result.stdout.encode(), "stderr": result.stderr.encode()}
        self.recorder.add(("run", *result.argv), record, blobs)
        return result


class RecordingFiles:
    """Reads files through another Files and records what was read (or why it could not be)."""

    def __init__(self, inner: Files, recorder: Recorder) -> None:
        self.inner = inner
        self.recorder = recorder
        # The first status of a path is the one recorded and the one every later stat() of
        # the run gets: replay has one answer per path, so the live report must not see another.
        self._stats: dict[str, StatInfo | FileProblem] = {}
        self._stats_lock = threading.Lock()

    def _ask(self, op: str, path: str, fetch: Callable[[], T]) -> T:
        """fetch(); a FileProblem is recorded under (op, path), so replay raises it too."""
        try:
            return fetch()
        except FileProblem as exc:
            self.recorder.add((op, path), {"op": op, "path": path, "problem": _problem_record(exc)}, {})
            raise

    def read_bytes(self, path: str, limit: int | None = None) -> bytes:
        data = self._ask("read", path, lambda: self.inner.read_bytes(path, limit))
        self.recorder.add(("read", path), {"op": "read", "path": path}, {"data": data})
        return data

    def stat(self, path: str) -> StatInfo:
        with self._stats_lock:
            known = self._stats.get(path)
            if known is None:
                try:
                    known = self._status("stat", path, self.inner.stat)
                except FileProblem as exc:
                    known = exc
                self._stats[path] = known
        if isinstance(known, FileProblem):
            raise known
        return known

    def restat(self, path: str) -> StatInfo:
        return self._status("restat", path, self.inner.restat)

    def _status(self, op: str, path: str, fetch: Callable[[str], StatInfo]) -> StatInfo:
        st = self._ask(op, path, lambda: fetch(path))
        self.recorder.add((op, path), {"op": op, "path": path, "stat": asdict(st)}, {})
        return st

    def listdir(self, path: str) -> list[str]:
        names = self._ask("listdir", path, lambda: self.inner.listdir(path))
        self.recorder.add(("listdir", path), {"op": "listdir", "path": path, "names": names}, {})
        return names

    def inspect_binary(self, path: str) -> BinaryInfo:
        info = self.inner.inspect_binary(path)
        self.recorder.add(("binary", path), {"op": "binary", "path": path, "info": asdict(info)}, {})
        return info

    def open_binary(self, path: str) -> BinaryIO:
        # Streams are copied to a spool file as the collector reads them: replay then reads
        # exactly the bytes the collector read, and memory stays bounded whatever the size.
        inner = self._ask("read", path, lambda: self.inner.open_binary(path))
        spool_path, spool = self.recorder.spool()

        def done() -> None:
            self.recorder.add(("read", path), {"op": "read", "path": path}, {"data": spool_path})

        tee = _TeeReader(inner, spool, done)
        self.recorder.track(tee)
        return cast(BinaryIO, io.BufferedReader(tee, buffer_size=1024 * 1024))


class _TeeReader(io.RawIOBase):
    """A read-only stream that copies everything read from `inner` into `spool`."""

    def __init__(self, inner: BinaryIO, spool: BinaryIO, on_close: Callable[[], None]) -> None:
        super().__init__()
        self._inner = inner
        self._spool = spool
        self._on_close = on_close
        self._lock = threading.Lock()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self._inner.read(len(view))
        n = len(data)
        view[:n] = data
        self._spool.write(data)
        return n

    def close(self) -> None:
        with self._lock:
            if not self.closed:
                self._inner.close()
                self._spool.close()
                self._on_close()
        super().close()


class Snapshot:
    """A snapshot directory loaded for replay: checked whole before any work, read only inside."""

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self.members = Members(directory)
        if not os.path.isdir(directory):
            raise PostfingerError(
                f"{directory} is not a postfinger snapshot (not a directory); "
                "make one with `postfinger --capture DIR`"
            )
        if not os.path.lexists(os.path.join(directory, MANIFEST)):
            raise PostfingerError(
                f"{directory} is not a postfinger snapshot (no {MANIFEST}); "
                "make one with `postfinger --capture DIR`"
            )
        data = self.members.read(MANIFEST, max_size=MAX_MANIFEST)
        facts, self.tool_version, records = parse_manifest(directory, data, FORMAT, FORMAT_VERSION)
        self.facts: dict[str, Any] = dict(facts)
        self._records: dict[Key, dict[str, Any]] = {}
        for record in records:
            for rel in member_names(record):
                self.members.check(rel)
            if record["op"] == "run":
                key: Key = ("run", *record["argv"])
            else:
                key = (record["op"], record["path"])
            self._records[key] = record

    def recorded_at(self) -> datetime:
        return recorded_at(self.directory, self.facts)

    def has(self, key: Key) -> bool:
        return key in self._records

    def blob(self, record: dict[str, Any], slot: str, limit: int | None = None) -> bytes:
        rel = record.get(slot)
        return self.members.read(rel, limit) if rel else b""

    def open_blob(self, record: dict[str, Any], slot: str) -> BinaryIO:
        rel = record.get(slot)
        return self.members.open(rel) if rel else io.BytesIO(b"")

    def lookup(self, key: Key) -> dict[str, Any]:
        try:
            return self._records[key]
        except KeyError:
            what = " ".join(key[1:])
            verb = {
                "run": "command",
                "read": "file",
                "stat": "file status of",
                "restat": "file status of",
                "listdir": "directory listing of",
                "binary": "program file",
            }.get(key[0], key[0])
            raise ReplayMissing(f"the snapshot has no recording of {verb} {what}") from None


class ReplayRunner:
    """Answers commands from a snapshot; fails loudly on a command it has no recording for."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot

    def run(
        self,
        argv: Sequence[str],
        *,
        timeout: float = DEFAULT_TIMEOUT,
        stdin: bytes | None = None,
    ) -> CommandResult:
        record = self.snapshot.lookup(("run", *argv))
        return CommandResult(
            argv=tuple(argv),
            status=record.get("status"),
            stdout=self.snapshot.blob(record, "stdout").decode("utf-8", "replace"),
            stderr=self.snapshot.blob(record, "stderr").decode("utf-8", "replace"),
            timed_out=bool(record.get("timed_out")),
            missing=bool(record.get("missing")),
            error=str(record.get("error", "")),
        )


class ReplayFiles:
    """Answers file reads from a snapshot."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot

    def _get(self, op: str, path: str) -> dict[str, Any]:
        record = self.snapshot.lookup((op, path))
        problem = record.get("problem")
        if problem:
            raise FileProblem(path, problem["kind"], problem["reason"])
        return record

    def read_bytes(self, path: str, limit: int | None = None) -> bytes:
        return self.snapshot.blob(self._get("read", path), "data", limit)

    def stat(self, path: str) -> StatInfo:
        return StatInfo(**self._get("stat", path)["stat"])

    def restat(self, path: str) -> StatInfo:
        # Snapshots written before restat existed hold only the first status.
        op = "restat" if self.snapshot.has(("restat", path)) else "stat"
        return StatInfo(**self._get(op, path)["stat"])

    def listdir(self, path: str) -> list[str]:
        return list(self._get("listdir", path)["names"])

    def open_binary(self, path: str) -> BinaryIO:
        return self.snapshot.open_blob(self._get("read", path), "data")

    def inspect_binary(self, path: str) -> BinaryInfo:
        info = dict(self.snapshot.lookup(("binary", path))["info"])
        for key in ("version_stamps", "needed"):
            info[key] = tuple(info.get(key, ()))
        return BinaryInfo(**info)
