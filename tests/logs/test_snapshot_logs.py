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
