"""Shared by the test_leaks_* files: a site configuration directory, and the two ways to run it."""

from __future__ import annotations

import io
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from postfinger_py.anonymize import AnonSettings, text_filter
from postfinger_py.cli import main
from postfinger_py.env import Env
from postfinger_py.files import LiveFiles
from postfinger_py.model import Context, Options
from postfinger_py.runner import SubprocessRunner

KEY_HEX = "00" * 16 + "ff" * 16


def site(tmp_path: Path, main_cf: str) -> Path:
    """A Postfix configuration directory holding this main.cf (and an empty master.cf)."""
    conf = tmp_path / "conf"
    conf.mkdir(exist_ok=True)
    (conf / "main.cf").write_text(main_cf)
    (conf / "master.cf").write_text("")
    key = tmp_path / "key"
    key.write_text(KEY_HEX + "\n")
    key.chmod(0o600)
    return conf


def live_context(conf: Path) -> Context:
    """The live system's context (the real postconf), for the configuration directory `conf`."""
    return Context(
        runner=SubprocessRunner(),
        files=LiveFiles("/"),
        now=datetime(2026, 11, 21, tzinfo=timezone.utc),
        euid=0,
        options=Options(config_dir=str(conf)),
    )


def filtered(tmp_path: Path, conf: Path, text: str, mode: str = "on") -> str:
    """`text` through the public text filter, which learns the site with the real postconf."""
    ctx = live_context(conf)
    settings = AnonSettings(mode=mode, key_file=str(tmp_path / "key"))
    return text_filter(ctx, settings)(text)


def command(tmp_path: Path, conf: Path, text: str, extra: list[str] | None = None) -> tuple[int, str, str]:
    """The whole `postfinger anonymize -c CONF FILE` command, in process."""
    src = tmp_path / "input.txt"
    src.write_text(text)
    out, err = io.StringIO(), io.StringIO()
    env = _env(out, err, lambda: datetime(2026, 11, 21, tzinfo=timezone.utc))
    status = main(
        ["anonymize", "-c", str(conf), "--anon-key", str(tmp_path / "key"), *(extra or []), str(src)], env
    )
    return status, out.getvalue(), err.getvalue()


def command_bytes(tmp_path: Path, conf: Path, data: bytes) -> tuple[int, str, str]:
    """`command` for an input given as bytes (invalid UTF-8, Latin-1)."""
    src = tmp_path / "input.bin"
    src.write_bytes(data)
    out, err = io.StringIO(), io.StringIO()
    env = _env(out, err, lambda: datetime(2026, 11, 21, tzinfo=timezone.utc))
    status = main(["anonymize", "-c", str(conf), "--anon-key", str(tmp_path / "key"), str(src)], env)
    return status, out.getvalue(), err.getvalue()


def report(tmp_path: Path, conf: Path, only: str = "maincf,mastercf") -> tuple[int, str, str]:
    """The whole `postfinger -c CONF --only ONLY` command (the real postconf), in process."""
    out, err = io.StringIO(), io.StringIO()
    env = _env(out, err, lambda: datetime.now(timezone.utc))
    status = main(["-c", str(conf), "--anon-key", str(tmp_path / "key"), "--nowarn", "--only", only], env)
    return status, out.getvalue(), err.getvalue()


def _env(out: io.StringIO, err: io.StringIO, clock: Callable[[], datetime]) -> Env:
    """An environment writing to `out` and `err`, with no input and no environment variables."""
    return Env(stdout=out, stderr=err, stdin=io.BytesIO(b""), environ={}, clock=clock)
