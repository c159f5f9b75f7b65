"""The log sections read through ctx.files.open_binary: a captured snapshot replays to the same
sections (plain and gzip logs, problems and trace)."""

from __future__ import annotations

import gzip
from pathlib import Path

from postfinger_py.collect.logs import LogsCollector, TraceCollector
from postfinger_py.snapshot import (
    Recorder,
    RecordingFiles,
    RecordingRunner,
    ReplayFiles,
    ReplayRunner,
    Snapshot,
)

from .helpers import HAND_LOG, REAL_LOG, make_ctx


def test_capture_then_replay_gives_the_same_log_sections(root: Path, tmp_path: Path) -> None:
    (root / "var/log/mail.log").write_bytes(REAL_LOG.read_bytes())
    (root / "var/log/hand.log.gz").write_bytes(gzip.compress(HAND_LOG.read_bytes()))
    files = ("/var/log/mail.log", "/var/log/hand.log.gz")
    live = make_ctx(root, log_files=files, since="all", trace="3F1A2B4C5D")
    rec = Recorder()
    live.runner = RecordingRunner(live.runner, rec)
    live.files = RecordingFiles(live.files, rec)
    first = [c.collect(live).to_plain() for c in (LogsCollector(), TraceCollector())]
    snap = tmp_path / "snap"
    rec.write(str(snap), {})

    (root / "var/log/mail.log").unlink()  # replay must not look at the live system
    (root / "var/log/hand.log.gz").unlink()
    replay = make_ctx(root, log_files=files, since="all", trace="3F1A2B4C5D")
    loaded = Snapshot(str(snap))
    replay.runner = ReplayRunner(loaded)
    replay.files = ReplayFiles(loaded)
    again = [c.collect(replay).to_plain() for c in (LogsCollector(), TraceCollector())]
    assert again == first
    assert first[0]["data"]["problem_total"] > 0 and first[1]["data"]["lines"]


class _Growing:
    """LiveFiles whose log gets a line each time it is opened: Postfix logging during the run."""

    def __init__(self, inner: object, root: Path) -> None:
        self.inner = inner
        self.root = root

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def open_binary(self, path: str) -> object:
        fh = self.inner.open_binary(path)  # type: ignore[attr-defined]
        with open(self.root / path.lstrip("/"), "ab") as log:
            log.write(b"Jan  5 10:00:00 mx postfix/anvil[1]: statistics: max connection rate 1/60s\n" * 50)
        return fh


def test_a_log_that_grows_during_the_capture_replays_to_the_same_report(root: Path, tmp_path: Path) -> None:
    # The log is stat()ed before it is read (the size the report prints) and again after (the
    # rotated-or-truncated check). The two answers differ on a live server; replay must give
    # each the answer the live run got, not the later size to both.
    log = root / "var/log/mail.log"
    log.write_bytes(REAL_LOG.read_bytes())
    size_before = log.stat().st_size
    files = ("/var/log/mail.log",)
    live = make_ctx(root, log_files=files, since="all")
    rec = Recorder()
    live.files = RecordingFiles(_Growing(live.files, root), rec)  # type: ignore[arg-type]
    live.runner = RecordingRunner(live.runner, rec)
    first = LogsCollector().collect(live).to_plain()
    assert log.stat().st_size > size_before, "the log did not grow: the test shows nothing"
    snap = tmp_path / "snap"
    rec.write(str(snap), {})

    log.unlink()
    replay = make_ctx(root, log_files=files, since="all")
    loaded = Snapshot(str(snap))
    replay.runner = ReplayRunner(loaded)
    replay.files = ReplayFiles(loaded)
    again = LogsCollector().collect(replay).to_plain()
    assert again == first
    assert str(size_before) in str(first), "the report does not show the size before reading"
    assert "rotated or truncated" not in str(again)
