"""Delivery through Env's one Runner: the sendmail lookup asks the Postfix named with -c."""

from __future__ import annotations

import io
from datetime import datetime, timezone

import pytest

from postfinger_py.anonymize import AnonSettings, anonymize
from postfinger_py.commands.report import make_report
from postfinger_py.deliver.dispatch import deliver
from postfinger_py.deliver.request import Delivery
from postfinger_py.env import Env
from postfinger_py.errors import ExitStatus, PostfingerError
from postfinger_py.runner import CommandResult

from ..conftest import EXAMPLE_KEY, EXAMPLE_SNAPSHOT
from ..helpers import FakeRunner, run_cli

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=timezone.utc)


def _result():  # type: ignore[no-untyped-def]
    report = make_report([], NOW, "deferred mail since Monday", True, "live")
    return anonymize(report, AnonSettings(mode="off"))


def test_the_mail_goes_through_the_sendmail_of_the_postfix_named_with_c(tmp_path) -> None:  # type: ignore[no-untyped-def]
    runner = FakeRunner(
        {
            ("postconf", "-c", "/etc/postfix-out", "-h", "sendmail_path"): "/opt/out/sendmail\n",
            ("postconf", "-h", "sendmail_path"): "/usr/sbin/sendmail\n",
            ("/opt/out/sendmail", "-i", "--", "admin@example.org"): "",
        }
    )
    env = Env(stdout=io.StringIO(), stderr=io.StringIO(), runner=runner)
    deliver(
        Delivery(mail_to="admin@example.org", output=str(tmp_path / "r.txt"), config_dir="/etc/postfix-out"),
        env,
        _result(),
    )
    assert runner.calls == [
        ("postconf", "-c", "/etc/postfix-out", "-h", "sendmail_path"),
        ("/opt/out/sendmail", "-i", "--", "admin@example.org"),
    ]
    assert "report mailed to admin@example.org via /opt/out/sendmail" in env.stderr.getvalue()


def test_a_failing_sendmail_keeps_the_report_and_says_where(tmp_path) -> None:  # type: ignore[no-untyped-def]
    argv = ("/usr/sbin/sendmail", "-i", "--", "admin@example.org")
    runner = FakeRunner(
        {
            ("postconf", "-h", "sendmail_path"): "/usr/sbin/sendmail\n",
            argv: CommandResult(argv, 75, "", "sendmail: fatal: queue file write error"),
        }
    )
    env = Env(stdout=io.StringIO(), stderr=io.StringIO(), runner=runner)
    out = tmp_path / "r.txt"
    with pytest.raises(PostfingerError) as exc:
        deliver(Delivery(mail_to="admin@example.org", output=str(out)), env, _result())
    assert exc.value.status == ExitStatus.DELIVERY_FAILED
    assert f"kept in {out}" in exc.value.message and out.stat().st_mode & 0o777 == 0o600


def test_summary_file_dash_reads_standard_input() -> None:
    res = run_cli(
        [
            "--replay",
            str(EXAMPLE_SNAPSHOT),
            "--anon-key",
            str(EXAMPLE_KEY),
            "--only",
            "maincf",
            "--summary-file",
            "-",
        ],
        stdin=b"Mail to outside is deferred since Monday\n",
    )
    assert res.status == 0, res.stderr
    assert "Mail to outside is deferred since Monday" in res.stdout
