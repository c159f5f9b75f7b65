"""On the real, troubled Postfix: provoke errors, send mail, compare with what grep finds."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from postfinger_py.files import LiveFiles
from postfinger_py.logs import run
from postfinger_py.model import Context, Options
from postfinger_py.runner import SubprocessRunner
from postfinger_py.since import Since

LOG = "/var/log/postfix.log"


def live(**options: Any) -> Context:
    return Context(SubprocessRunner(), LiveFiles("/"), datetime.now(timezone.utc), 0, Options(**options))


def send(to: str, tag: str) -> str:
    """Send one message (the transport map without .db makes trivial-rewrite complain)."""
    res = subprocess.run(
        [
            "swaks",
            "--server",
            "127.0.0.1",
            "--from",
            f"{tag}@logs-itest.example",
            "--to",
            to,
            "--header",
            f"Subject: postfinger logs integration {tag}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    m = re.search(r"queued as ([0-9A-F]+)", res.stdout)
    assert m, res.stdout[-2000:]
    return m.group(1)


def wait_for(pattern: str, timeout: float = 20.0) -> None:
    end = time.time() + timeout
    while time.time() < end:
        if pattern in Path(LOG).read_text(errors="replace"):
            return
        time.sleep(0.3)
    pytest.fail(f"{pattern!r} did not appear in {LOG}")


@pytest.mark.integration
def test_problems_and_trace_match_grep(real_postfix: dict[str, Any], tmp_path: Path) -> None:
    tag = "t" + uuid.uuid4().hex[:10]
    qid = send(f"{tag}@{real_postfix['virtual_domain']}", tag)
    wait_for(f"{qid}: to=<")
    copy = tmp_path / "postfix.log"
    shutil.copy(LOG, copy)  # other helpers log concurrently: compare on one fixed copy

    scan, result = run.problems(live(log_files=(str(copy),)), 100000, Since.parse("all"))
    grep = subprocess.run(
        ["grep", "-E", r"\]: (warning|error|fatal|panic): ", str(copy)], capture_output=True, text=True
    ).stdout.splitlines()
    assert [p.text for p in scan.problems] == grep
    assert any("error: unsupported dictionary type: mysql" in p.text for p in scan.problems)
    assert any("transport.db: No such file or directory" in p.text for p in scan.problems)
    assert result.notes == []

    data, _ = run.trace(live(log_files=(str(copy),)), qid)
    own = subprocess.run(
        ["grep", "-F", f"]: {qid}: ", str(copy)], capture_output=True, text=True
    ).stdout.splitlines()
    assert [ln for ln in data["lines"] if f"]: {qid}: " in ln] == own
    assert any(f"{qid}: client=" in ln for ln in data["lines"])
    assert any(re.search(r"smtpd\[\d+\]: connect from ", ln) for ln in data["lines"])

    by_address, _ = run.trace(live(log_files=(str(copy),)), f"{tag}@logs-itest.example")
    assert by_address["queue_ids"][0] == qid


@pytest.mark.integration
def test_discovery_finds_maillog_file(real_postfix: dict[str, Any]) -> None:
    _scan, result = run.problems(live(), 20, Since.parse("1h"))
    assert result.disc.sources and result.disc.sources[-1].name == LOG
    assert "maillog_file" in result.disc.how
