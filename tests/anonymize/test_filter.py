"""text_filter (subcommands) with recorded postconf answers and a fixture tree of the real maps."""

from __future__ import annotations

import io
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from postfinger_py.anonymize import AnonSettings, PartFilter, anonymize, text_filter
from postfinger_py.anonymize.engine import Engine
from postfinger_py.anonymize.scrub import make_scrubber
from postfinger_py.errors import PostfingerError
from postfinger_py.files import LiveFiles
from postfinger_py.model import Context

from ..helpers import FakeRunner
from .conftest import DATA, SITE, read, site_values

NOW = datetime(2026, 11, 21, tzinfo=timezone.utc)


def recorded_runner() -> FakeRunner:
    """The commands the filter runs, answered from recorded real output."""
    return FakeRunner(
        {
            ("postconf", "-n"): read("postconf-n.txt"),
            ("postconf", "-P"): read("postconf-P.txt"),
            ("postconf", "-h", "myhostname", "mydomain"): f"{SITE['hostname']}\n{SITE['domain']}\n",
            ("uname", "-n"): "vm\n",
        }
    )


def site_tree(root: Path) -> Path:
    """A fixture tree under `root` with the real maps in etc/postfix; returns `root`."""
    etc = root / "etc" / "postfix"
    etc.mkdir(parents=True)
    for name in ("virtual", "sasl_passwd", "mysql-senders.cf", "transport"):
        shutil.copy(DATA / name, etc / name)
    return root


@pytest.fixture
def ctx(tmp_path: Path) -> Context:
    return Context(runner=recorded_runner(), files=LiveFiles(str(site_tree(tmp_path))), now=NOW, euid=0)


def test_filter_learns_maps_and_hides_everything(ctx: Context) -> None:
    f = text_filter(ctx, AnonSettings())
    text = (
        read("postfix.log")
        + read("sasl_passwd")
        + read("mysql-senders.cf")
        + "bare user j.meier and relay user bluefinch-relay, host mx1\n"
    )
    out = f(text)
    for value in site_values():
        assert value.lower() not in out.lower(), value
    assert "postfix/smtpd[" in out and "status=deferred" in out


def test_filter_and_report_agree_with_same_key(ctx: Context, tmp_path: Path) -> None:
    key = str(tmp_path / "k")
    f = text_filter(ctx, AnonSettings(key_file=key))
    line = f"to=<j.meier@{SITE['domain']}> relay={SITE['relay_host']}\n"
    from .conftest import recorded_report

    report = anonymize(recorded_report(), AnonSettings(key_file=key)).report
    log = report.section("logs").raw["postfix.log"]  # type: ignore[union-attr]
    out = f(line)
    dom = out.split("@")[1].split(">")[0]
    assert dom in report.section("maincf").data["text"]  # type: ignore[union-attr]
    assert dom in log


def test_filter_secrets_masked_when_off(ctx: Context) -> None:
    f = text_filter(ctx, AnonSettings(mode="off"))
    out = f(read("sasl_passwd") + "auth with password=hunter2x\n" + SITE["hostname"])
    assert SITE["sasl_password"] not in out and "hunter2x" not in out
    assert SITE["hostname"] in out


class _BrokenEngine(Engine):
    """An engine that learns like the real one but replaces nothing."""

    def apply(self, text: str) -> str:
        return text


def test_filter_fails_closed(ctx: Context) -> None:
    text = f"mail for {SITE['addresses'][0]}\n"
    parts = PartFilter(ctx, AnonSettings(), engine=_BrokenEngine(b"k" * 32))
    parts.learn(text)
    with pytest.raises(PostfingerError) as exc:
        parts.replace(text)
    assert exc.value.status == 4 and "bluefinch" not in str(exc.value)
    # The same text through a working engine passes the same check.
    good = PartFilter(ctx, AnonSettings(), engine=Engine(b"k" * 32))
    good.learn(text)
    assert "bluefinch" not in good.replace(text)


def test_scrubadub_path_equals_direct_path() -> None:
    text = read("postfix.log") + read("postconf-nf.txt") + read("sasl_passwd")
    a, b = Engine(b"k" * 32), Engine(b"k" * 32)
    for e in (a, b):
        e.learn_host(SITE["hostname"], is_own_host=True)
        e.learn_user("j.meier")
        e.learn_secret(SITE["sasl_password"])
        e.freeze()
    assert make_scrubber(a).clean(a.mask_secrets(text)) == b.apply(text)


def test_command_reads_files_and_stdin(tmp_path: Path) -> None:
    from postfinger_py.commands import anonymize as cmd
    from postfinger_py.env import Env

    runner = recorded_runner()
    src = tmp_path / "in.txt"
    src.write_text(f"relay {SITE['relay_host']} for 10.20.30.40\n")
    out = io.StringIO()
    env = Env(
        stdout=out,
        stderr=io.StringIO(),
        stdin=io.BytesIO(b"mx1 says hi\xff\n"),
        environ={},
        clock=lambda: NOW,
        root=str(site_tree(tmp_path / "root")),
        euid=0,
        runner=runner,
    )
    assert cmd.main([str(src), "-"], env) == 0
    assert ("postconf", "-n") in runner.calls  # the site was learned through Env's runner
    text = out.getvalue()
    assert SITE["relay_host"] not in text and "10.20.30.40" not in text
    assert "mx1" not in text and " hi\xff\n" in text and text.count("\n") == 2  # (Latin-1 ÿ)
