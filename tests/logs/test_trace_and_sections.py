"""Tracing one message, log discovery, the report sections, their templates, and the commands."""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
from pathlib import Path

import pytest

from postfinger_py.collect.logs import LogsCollector, TraceCollector
from postfinger_py.commands import logs as logs_cmd
from postfinger_py.commands import trace as trace_cmd
from postfinger_py.env import Env
from postfinger_py.errors import UsageError
from postfinger_py.logs import run
from postfinger_py.model import Section
from postfinger_py.render import environment
from postfinger_py.since import Since

from .helpers import HAND_LOG, REAL_LOG, FakeRunner, make_ctx, ok


def put(root: Path, src: Path, name: str = "var/log/mail.log") -> str:
    shutil.copy(src, root / name)
    return "/" + name


def test_trace_follows_filter_reinjection_and_bounce(root: Path) -> None:
    ctx = make_ctx(root, log_files=(put(root, HAND_LOG),))
    data, _ = run.trace(ctx, "3F1A2B4C5D")
    assert data["queue_ids"] == ["3F1A2B4C5D", "7C8D9E0F1A", "9A8B7C6D5E"]
    want = [
        ln
        for ln in HAND_LOG.read_text().splitlines()
        if any(f"]: {q}: " in ln for q in data["queue_ids"]) or "smtpd[2001]" in ln or "smtpd[2010]" in ln
    ]
    assert data["lines"] == want


def test_trace_real_message_leaves_out_verbose_session_lines(root: Path) -> None:
    ctx = make_ctx(root, log_files=(put(root, REAL_LOG),))
    data, _ = run.trace(ctx, "D031E160026")
    lines = REAL_LOG.read_text().splitlines()
    own = [ln for ln in lines if "]: D031E160026: " in ln]
    assert [ln for ln in data["lines"] if "]: D031E160026: " in ln] == own
    assert data["lines"][0].endswith("smtpd[4889]: connect from unknown[127.0.0.1]")
    assert any("disconnect from unknown[127.0.0.1]" in ln for ln in data["lines"])
    assert data["omitted_verbose"] > 100
    assert not any("match_string" in ln for ln in data["lines"])


def test_trace_by_address_and_message_id(root: Path) -> None:
    ctx = make_ctx(root, log_files=(put(root, HAND_LOG),))
    data, _ = run.trace(ctx, "alice@sender.example")
    assert data["queue_ids"][0] == "9A8B7C6D5E"  # the most recent message naming her
    assert data["others"] == ["3F1A2B4C5D", "7C8D9E0F1A"]
    data, _ = run.trace(ctx, "<abc123@sender.example>")
    assert data["queue_ids"][0] == "7C8D9E0F1A"
    data, _ = run.trace(ctx, "someone@logs-remote.example")
    assert data["lines"] == []
    ctx = make_ctx(root, log_files=(put(root, REAL_LOG, "var/log/real.log"),))
    data, _ = run.trace(ctx, "someone@logs-remote.example")
    assert data["lines"] == [] and len(data["noqueue"]) == 1


def test_discovery_maillog_file_with_rotated_gzip_in_time_order(root: Path) -> None:
    log = root / "var/log/postfix.log"
    old = root / "var/log/postfix.log.20261120-101500.gz"
    old.write_bytes(gzip.compress(HAND_LOG.read_bytes()))
    shutil.copy(REAL_LOG, log)
    os.utime(old, (1795150000, 1795150000))  # 2026-11-20 04:46 UTC
    runner = FakeRunner(
        dict(
            [ok(["date", "+%z"], "+0000\n"), ok(["postconf", "-h", "maillog_file"], "/var/log/postfix.log\n")]
        )
    )
    ctx = make_ctx(root, runner, since="all")
    sec = LogsCollector().collect(ctx)
    assert [s["name"] for s in sec.data["sources"]] == [
        "/var/log/postfix.log.20261120-101500.gz",
        "/var/log/postfix.log",
    ]
    assert sec.data["problems"][0].startswith("2026-11-20T09:15:01")
    assert sec.status.value == "ok"
    ctx = make_ctx(root, runner)  # no --since: the default window, and the report says so
    assert "default" in LogsCollector().collect(ctx).data["window"]


def test_discovery_syslog_then_journald(root: Path) -> None:
    (root / "var/log/syslog").write_text("Nov 21 10:00:00 h kernel: nothing\n")
    shutil.copy(REAL_LOG, root / "var/log/maillog")
    runner = FakeRunner(dict([ok(["date", "+%z"], "+0000\n")]))
    sec = LogsCollector().collect(make_ctx(root, runner))
    assert [s["name"] for s in sec.data["sources"]] == ["/var/log/maillog"]
    (root / "var/log/maillog").unlink()
    rec = {
        "__REALTIME_TIMESTAMP": "1795300000000000",
        "SYSLOG_IDENTIFIER": "postfix/smtpd",
        "_PID": "5",
        "_HOSTNAME": "mx",
        "MESSAGE": "error: journald problem",
    }
    argv = ["journalctl", "--no-pager", "--quiet", "-o", "json", "SYSLOG_FACILITY=2"]
    runner = FakeRunner(dict([ok(["date", "+%z"], "+0000\n"), ok(argv, json.dumps(rec) + "\n")]))
    sec = LogsCollector().collect(make_ctx(root, runner, since="all"))
    assert sec.data["problems"] == [
        "2026-11-21T22:26:40.000000+00:00 mx postfix/smtpd[5]: error: journald problem"
    ]
    sec = LogsCollector().collect(make_ctx(root, FakeRunner()))
    assert sec.status.value == "skipped" and any("no mail log found" in n for n in sec.notes)


def render(section: Section) -> str:
    return str(
        environment().get_template(f"sections/{section.name}.txt.j2").render(section=section.to_plain())
    )


def test_sections_render(root: Path) -> None:
    ctx = make_ctx(root, log_files=(put(root, REAL_LOG),), since="all", trace="D031E160026")
    text = render(LogsCollector().collect(ctx))
    assert "error: unsupported dictionary type: mysql" in text
    assert "Problem kinds" in text and "daemon started -- version 3.7.11" in text
    assert "--limit 0" in text
    text = render(TraceCollector().collect(ctx))
    assert "D031E160026: to=<j.meier@bluefinch-logistics.de>" in text
    assert "verbose smtpd line(s)" in text
    skipped = TraceCollector().collect(make_ctx(root))
    assert skipped.status.value == "skipped" and "--trace" in skipped.notes[0]


def test_a_bad_since_stops_at_the_parser(root: Path) -> None:
    """--since is parsed once, on the command line: no collector ever sees a bad one."""
    with pytest.raises(ValueError, match=r"not a duration .* or `all`"):
        Since.parse("next tuesday")
    out, err = io.StringIO(), io.StringIO()
    env = Env(stdout=out, stderr=err, root=str(root))
    with pytest.raises(UsageError) as exc:
        logs_cmd.main(["--since", "next tuesday"], env)
    assert exc.value.status == 2 and "argument --since: not a duration" in exc.value.message


def test_commands(root: Path) -> None:
    put(root, REAL_LOG)
    out, err = io.StringIO(), io.StringIO()
    env = Env(stdout=out, stderr=err, root=str(root))
    assert (
        logs_cmd.main(
            ["--log-file", "/var/log/mail.log", "--since", "all", "--limit", "0", "--no-anonymize"], env
        )
        == 0
    )
    assert out.getvalue().count("\n") == sum(
        1
        for ln in REAL_LOG.read_text().splitlines()
        if any(f"]: {s}: " in ln for s in ("warning", "error", "fatal", "panic"))
    )
    out.truncate(0), out.seek(0)
    assert trace_cmd.main(["D031E160026", "--log-file", "/var/log/mail.log"], env) == 0
    assert "D031E160026: message-id=" in out.getvalue()
