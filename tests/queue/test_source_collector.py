"""Source choice (postqueue -j, Perl qshape, mailq text) and the queue section, on recorded output."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from postfinger_py.collect.queue import QueueCollector, normalize_reason
from postfinger_py.errors import PostfingerError
from postfinger_py.files import LiveFiles
from postfinger_py.model import Context, Options, Status
from postfinger_py.queue.mailq import parse_mailq
from postfinger_py.queue.postqueue import parse_postqueue_json
from postfinger_py.queue.qshape import QshapeOptions
from postfinger_py.queue.source import (
    SOURCE_JSON,
    SOURCE_MAILQ,
    SOURCE_PERL,
    qshape_table,
)
from postfinger_py.render import environment
from postfinger_py.runner import CommandResult

from ..helpers import FakeRunner

DATA = Path(__file__).resolve().parent / "data"
NOW = int((DATA / "now.txt").read_text())
HOLD_JSON = (DATA / "hold.jsonl").read_text()
DOWN = "postqueue: fatal: Queue report unavailable - mail system is down\n"


def ok(argv: tuple[str, ...], out: str) -> CommandResult:
    return CommandResult(argv, 0, out)


def fail(argv: tuple[str, ...], err: str, status: int = 69) -> CommandResult:
    return CommandResult(argv, status, "", err)


def ctx_for(answers: dict[tuple[str, ...], CommandResult], now: int = NOW, top: int = 15) -> Context:
    return Context(
        runner=FakeRunner(prefix=True, answers=answers),
        files=LiveFiles("/nonexistent"),
        now=datetime.fromtimestamp(now, timezone.utc),
        euid=1000,
        options=Options(qshape_top=top),
    )


POSTCONF = {("postconf", "-h"): ok(("postconf",), "MAILER-DAEMON\n/var/spool/postfix\n")}


def test_postqueue_json_is_preferred() -> None:
    ctx = ctx_for({**POSTCONF, ("postqueue", "-j"): ok(("postqueue", "-j"), HOLD_JSON)})
    res = qshape_table(ctx, QshapeOptions(), ["hold"])
    assert res.source == SOURCE_JSON and res.notes == []
    assert res.text.splitlines()[1].split()[:2] == ["TOTAL", "17"]


def test_mail_system_down_falls_back_to_perl_qshape_and_says_why() -> None:
    table = (DATA / "qshape-default.txt").read_text()
    ctx = ctx_for(
        {
            **POSTCONF,
            ("postqueue", "-j"): fail(("postqueue", "-j"), DOWN),
            ("qshape",): ok(("qshape",), table),
        }
    )
    res = qshape_table(ctx, QshapeOptions(), ["hold"])
    assert res.source == SOURCE_PERL and res.text == table
    assert "showq service is not running" in res.notes[0]
    assert ("qshape", "-b", "10", "-t", "5", "-m", "5", "-w", "80", "--", "hold") in ctx.runner.calls  # type: ignore[attr-defined]


def test_old_postfix_without_perl_uses_mailq_text() -> None:
    text = (DATA / "mailq.txt").read_text()
    ctx = ctx_for(
        {
            **POSTCONF,
            ("postqueue", "-j"): fail(("postqueue", "-j"), "postqueue: invalid option -- 'j'\n", 64),
            ("postqueue", "-p"): ok(("postqueue", "-p"), text),
            ("date",): ok(("date",), "+0000\n"),
        },
        now=int((DATA / "mailq-now.txt").read_text()),
    )
    res = qshape_table(ctx, QshapeOptions(), ["hold"])
    assert res.source == SOURCE_MAILQ
    assert any("older than 3.1" in n for n in res.notes)
    assert any("Perl qshape is unusable" in n for n in res.notes)
    assert res.text.splitlines()[1].split()[:2] == ["TOTAL", "9"]


def test_nothing_works_is_one_clear_error() -> None:
    ctx = ctx_for({})
    with pytest.raises(PostfingerError) as exc:
        qshape_table(ctx, QshapeOptions(), [])
    assert "cannot read the mail queue" in exc.value.message
    assert "command not found" in exc.value.message


def test_unknown_queue_directory_needs_perl_qshape() -> None:
    ctx = ctx_for({**POSTCONF, ("qshape",): ok(("qshape",), "T\n")})
    res = qshape_table(ctx, QshapeOptions(), ["/srv/other/deferred"])
    assert res.source == SOURCE_PERL
    assert "knows only the queues" in res.notes[0]


def test_mailq_text_matches_json_listing() -> None:
    now = datetime.fromtimestamp(int((DATA / "mailq-now.txt").read_text()), timezone.utc)
    text_listing = parse_mailq((DATA / "mailq.txt").read_text(), now)
    json_listing = parse_postqueue_json((DATA / "mailq-same.jsonl").read_text())
    by_id = {m.queue_id: m for m in json_listing.messages}
    assert text_listing.bad_lines == []
    assert len(text_listing.messages) == len(by_id) == 8
    for m in text_listing.messages:
        j = by_id[m.queue_id]
        assert (m.arrival_time, m.sender, m.recipients) == (j.arrival_time, j.sender, j.recipients)
        assert m.queue_name == j.queue_name


def test_collector_from_json() -> None:
    ctx = ctx_for(
        {
            ("postconf",): ok(("postconf",), "MAILER-DAEMON\n"),
            ("postqueue", "-j"): ok(("postqueue", "-j"), HOLD_JSON.replace('"hold"', '"deferred"')),
        },
        top=3,
    )
    section = QueueCollector().collect(ctx)
    d = section.data
    assert section.status is Status.OK and d["source"] == SOURCE_JSON
    assert d["deferred_messages"] == 13 and d["hold_messages"] == 0
    assert d["oldest"]["age"] == "11d 0h"
    assert d["by_recipient"]["cut"] == d["by_recipient"]["rows"] - 3 > 0
    assert len(d["by_recipient"]["lines"]) == 5  # heading, TOTAL, 3 rows
    assert d["reasons"]["top"][0]["count"] == 17
    text = environment().get_template("sections/queue.txt.j2").render(section=section.to_plain())
    assert "more domain row(s) not shown" in text and "address resolver failure" in text


def test_collector_empty_queue_and_failure() -> None:
    ctx = ctx_for({("postqueue", "-j"): ok(("postqueue", "-j"), "")})
    section = QueueCollector().collect(ctx)
    assert section.status is Status.OK and section.data["total_messages"] == 0
    assert section.data["oldest"] is None
    environment().get_template("sections/queue.txt.j2").render(section=section.to_plain())
    down = ctx_for({("postqueue",): fail(("postqueue",), DOWN)})
    failed = QueueCollector().collect(down)
    assert failed.status is Status.FAILED
    assert any("mail system is down" in n for n in failed.notes)
    text = environment().get_template("sections/queue.txt.j2").render(section=failed.to_plain())
    assert "could not be read" in text


def test_reason_normalization_groups_alike_reasons() -> None:
    a = (
        "host mx1.example.net[192.0.2.1] said: 450 4.2.0 <u1@example.net>: Recipient address "
        "rejected: Greylisted (in reply to RCPT TO command)"
    )
    b = a.replace("mx1", "mx2").replace("192.0.2.1", "192.0.2.9").replace("u1@", "u2@")
    assert normalize_reason(a) == normalize_reason(b)
    assert "HOST[IP]" in normalize_reason(a) and "<ADDRESS>" in normalize_reason(a)
    assert (
        normalize_reason("connect to 127.0.0.1[127.0.0.1]:2599: Connection refused")
        == "connect to HOST[IP]:2599: Connection refused"
    )
