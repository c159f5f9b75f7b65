"""-v, which every error message offers for the traceback, works with every subcommand, before
the subcommand's name or after it (the subcommands' parsers refused it: "unrecognized
arguments: -v", so the advice in the message could not be followed)."""

from __future__ import annotations

import io
from datetime import datetime, timezone
from pathlib import Path

import pytest

from postfinger_py.cli import main
from postfinger_py.env import Env


def _run(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    env = Env(
        stdout=io.StringIO(),
        stderr=err,
        stdin=io.BytesIO(b""),
        environ={},
        clock=lambda: datetime(2026, 11, 21, tzinfo=timezone.utc),
    )
    return main(argv, env), err.getvalue()


@pytest.mark.parametrize("where", ["before", "after"])
@pytest.mark.parametrize("command", ["anonymize", "logs", "pcap"])
def test_verbose_gives_the_traceback_with_a_subcommand(command: str, where: str, tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such-file")
    args = {"anonymize": [missing], "logs": ["--log-file", missing], "pcap": [missing]}[command]
    argv = ["-v", command, *args] if where == "before" else [command, "-v", *args]
    status, err = _run(argv)
    quiet_status, quiet_err = _run([command, *args])
    assert "unrecognized arguments" not in err, err
    assert status == quiet_status != 0
    assert "Traceback (most recent call last)" in err and "Traceback" not in quiet_err
    assert quiet_err.strip().splitlines()[0] in err, "the same one-line message first"
