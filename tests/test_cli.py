"""The command line through main(argv, env): options, outputs, errors and exit statuses."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from postfinger_py import __version__
from postfinger_py.deliver.bundle import read_members
from postfinger_py.errors import ExitStatus

from .conftest import EXAMPLE_SNAPSHOT, REPO
from .helpers import replay, run_cli


def test_version_and_help_are_quick_to_answer() -> None:
    res = run_cli(["--version"])
    assert (res.status, res.stdout) == (0, f"postfinger-py {__version__}\n")
    # --help exits 0 and names the exit statuses
    res = run_cli(["--help"])
    assert res.status == 0 and "exit status" in res.stdout and "--mail-to" in res.stdout


def test_help_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys; from postfinger_py.cli import main; from postfinger_py.env import Env; "
        "import io; main(['--help'], Env(stdout=io.StringIO(), stderr=io.StringIO())); "
        "print(','.join(m for m in ('jinja2', 'scrubadub', 'dpkt', 'nltk') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


def test_usage_errors_are_one_line_with_status_2() -> None:
    res = run_cli(["--no-such-option"])
    assert res.status == ExitStatus.USAGE
    assert res.stderr.count("\n") == 1 and res.stderr.startswith("postfinger: ")
    res = replay("--only", "nosuchsection")
    assert res.status == ExitStatus.USAGE and "known sections:" in res.stderr
    assert "Traceback" not in res.stderr
    res = run_cli(["--capture", "/tmp/x", "--replay", "/tmp/y"])
    assert res.status == ExitStatus.USAGE and "exclude each other" in res.stderr


def test_list_sections() -> None:
    res = run_cli(["--list-sections"])
    assert res.status == 0
    names = [
        line.split()[0] for line in res.stdout.splitlines()[1:] if line.strip() and not line.startswith("--")
    ]
    assert {"system", "maincf", "mastercf", "daemons", "libraries", "permissions"} <= set(names)


def test_report_from_example_snapshot_has_every_part_in_order() -> None:
    res = replay("--all")
    assert res.status == 0, res.stderr
    text = res.stdout
    order = [
        text.index(h)
        for h in (
            "postfinger-py",
            "Privacy",
            "Problem summary",
            "Contents:",
            "==== 1. Findings",
            "==== 2. System",
            "==== 3. main.cf",
            "==== 4. master.cf",
            "END OF POSTFINGER REPORT",
        )
    ]
    assert order == sorted(order)
    assert "replayed from a snapshot" in text


def test_only_skip_and_all_select_sections() -> None:
    only = replay("--only", "system,tables").stdout
    assert "==== 1. System" in only and "==== 2. Supported lookup table types" in only
    assert "==== 3." not in only
    skipped = replay("--skip", "libraries").stdout
    assert "Libraries linked" not in skipped and "main.cf" in skipped
    default = replay().stdout
    assert "Queue and program permissions" not in default
    assert "Queue and program permissions" in replay("--all").stdout


def test_summary_and_nowarn() -> None:
    res = replay(
        "--summary", "Mail to kunde-nord.de stays deferred", "--nowarn", "--only", "system", "--no-anonymize"
    )
    assert "Mail to kunde-nord.de stays deferred" in res.stdout
    assert "Privacy" not in res.stdout
    # Anonymized, the summary names the domain exactly as the rest of the report does.
    res = replay("--summary", "Mail to kunde-nord.de stays deferred", "--only", "system,queue")
    assert "kunde-nord.de" not in res.stdout
    replaced = res.stdout.split("Mail to ")[1].split(" stays deferred")[0]
    assert replaced in res.stdout.split("==== 2. Mail queue")[1]
    res = replay("--summary-file", "/nonexistent/summary.txt")
    assert res.status == ExitStatus.ERROR and "cannot read --summary-file" in res.stderr


def test_json_has_the_same_sections_with_stable_keys() -> None:
    res = replay("--all", "--format", "json")
    data = json.loads(res.stdout)
    names = [s["name"] for s in data["sections"]]
    assert names[:4] == ["findings", "system", "maincf", "mastercf"]
    text = replay("--all").stdout
    for section in data["sections"]:
        assert section["title"] in text
    assert res.stdout == replay("--all", "--format", "json").stdout  # deterministic
    assert list(data) == sorted(data)


def test_output_is_atomic_and_private(tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    res = replay("--output", str(target))
    assert res.status == 0 and res.stdout == ""
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert target.read_text().endswith("==== END OF POSTFINGER REPORT ====\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.txt"]
    res = replay("--output", str(tmp_path / "missing-dir" / "r.txt"))
    assert res.status == ExitStatus.ERROR and "does not exist" in res.stderr
    res = replay("--output", str(tmp_path))
    assert res.status == ExitStatus.ERROR and "is a directory" in res.stderr


def test_bundle_members_and_manifest(tmp_path: Path) -> None:
    target = tmp_path / "b.tar.gz"
    res = replay("--all", "--bundle", str(target))
    assert res.status == 0, res.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    members = read_members(target.read_bytes())
    assert {
        "report.txt",
        "report.json",
        "manifest.json",
        "sections/maincf/postconf-nf.txt",
        "sections/mastercf/postconf-Mf.txt",
        "sections/libraries/ldd.txt",
    } <= set(members)
    manifest = json.loads(members["manifest.json"])
    listed = {m["name"]: m for m in manifest["members"]}
    assert set(listed) == set(members) - {"manifest.json"}
    for name, meta in listed.items():
        assert hashlib.sha256(members[name]).hexdigest() == meta["sha256"]
    assert members["report.txt"].decode() == replay("--all").stdout


def _fake_sendmail(tmp_path: Path, exit_status: int) -> Path:
    """A stand-in sendmail that keeps what it was given (for the message format test)."""
    script = tmp_path / "sendmail"
    script.write_text(
        f'#!/bin/sh\necho "$@" > {tmp_path}/args\ncat > {tmp_path}/message\nexit {exit_status}\n'
    )
    script.chmod(0o755)
    return script


def test_mail_to_builds_a_mime_message(tmp_path: Path) -> None:
    sendmail = _fake_sendmail(tmp_path, 0)
    res = replay("--mail-to", "admin@example.org", "--sendmail", str(sendmail))
    assert res.status == 0, res.stderr
    assert (tmp_path / "args").read_text().split() == ["-i", "--", "admin@example.org"]
    message = (tmp_path / "message").read_text()
    assert "Subject: postfinger report:" in message and "(Postfix 3.7.11)" in message
    assert 'filename="postfinger-bundle.tar.gz"' in message
    assert "END OF POSTFINGER REPORT" in message
    headers = message.split("\n\n", 1)[0]
    assert "\nFrom: postfinger <admin@example.org>\n" in headers
    date = next(line for line in headers.splitlines() if line.startswith("Date: "))
    assert date.endswith(" +0000"), date


def test_mail_failure_keeps_the_report_and_says_where(tmp_path: Path) -> None:
    sendmail = _fake_sendmail(tmp_path, 75)
    keep = tmp_path / "kept.txt"
    res = replay("--mail-to", "admin@example.org", "--sendmail", str(sendmail), "--output", str(keep))
    assert res.status == ExitStatus.DELIVERY_FAILED
    assert f"kept in {keep}" in res.stderr and keep.exists()
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        res = replay("--mail-to", "admin@example.org", "--sendmail", "/nonexistent/sendmail")
    finally:
        os.chdir(cwd)
    assert res.status == ExitStatus.DELIVERY_FAILED
    kept = [p for p in tmp_path.iterdir() if p.name.startswith("postfinger-report-")]
    assert len(kept) == 1 and str(kept[0].name) in res.stderr


def test_mail_to_rejects_option_like_addresses() -> None:
    res = replay("--mail-to", "-oi")
    assert res.status == ExitStatus.USAGE


def test_failed_sections_give_partial_status_and_say_why(tmp_path: Path) -> None:
    snap = tmp_path / "snap"
    shutil.copytree(EXAMPLE_SNAPSHOT, snap)
    manifest = json.loads((snap / "manifest.json").read_text())
    manifest["records"] = [r for r in manifest["records"] if r.get("argv") != ["postconf", "-nf"]]
    (snap / "manifest.json").write_text(json.dumps(manifest))
    res = run_cli(["--replay", str(snap)])
    assert res.status == ExitStatus.PARTIAL
    assert "! the snapshot has no recording of command postconf -nf" in res.stdout
    assert "report is incomplete: section(s) maincf failed" in res.stderr
    assert "==== 4. master.cf" in res.stdout and "END OF POSTFINGER REPORT" in res.stdout


def test_all_sections_failing_is_an_error_not_a_report() -> None:
    res = replay("-c", "/elsewhere")  # nothing was recorded for postconf -c /elsewhere
    assert res.status == ExitStatus.ERROR and res.stdout == ""
    assert res.stderr.count("\n") == 1
    assert "every section failed" in res.stderr and "postconf -c /elsewhere" in res.stderr


def test_progress_only_on_a_terminal() -> None:
    assert replay("--only", "system").stderr == ""
    res = replay("--only", "system,maincf", tty=True)
    assert "collected 2/2 sections" in res.stderr and "\r" in res.stderr


def test_replay_of_a_missing_snapshot_is_one_clear_line(tmp_path: Path) -> None:
    res = run_cli(["--replay", str(tmp_path / "none")])
    assert res.status == ExitStatus.ERROR
    assert res.stderr.strip().endswith("make one with `postfinger --capture DIR`")


def test_example_snapshot_exists() -> None:
    assert (EXAMPLE_SNAPSHOT / "manifest.json").is_file()


def test_interrupt_writes_nothing_and_exits_130(tmp_path: Path) -> None:
    """Ctrl-C while the report is being mailed: no file appears, the status is 130."""
    import signal
    import time

    started = tmp_path / "started"
    sendmail = tmp_path / "sendmail"
    sendmail.write_text(f"#!/bin/sh\ntouch {started}\nexec sleep 30\n")
    sendmail.chmod(0o755)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "postfinger_py",
            "--replay",
            str(EXAMPLE_SNAPSHOT),
            "--mail-to",
            "admin@example.org",
            "--sendmail",
            str(sendmail),
            "--no-anonymize",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    deadline = time.monotonic() + 30
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert started.exists(), "the stand-in sendmail never ran"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == ExitStatus.INTERRUPTED
    assert err.strip().endswith("interrupted; nothing was written")
    assert "Traceback" not in err and out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sendmail", "started"]


def test_bad_since_is_a_usage_error() -> None:
    res = replay("--since", "yesterday-ish")
    assert res.status == ExitStatus.USAGE
    assert "--since" in res.stderr and "2h" in res.stderr and res.stderr.count("\n") == 1


def test_classic_postfinger_options_add_their_sections() -> None:
    plain = [ln for ln in replay().stdout.splitlines() if ln.startswith("====")]
    classic = replay("--locking", "--permissions", "--tables", "--libraries", "--defaultsinmain").stdout
    heads = [ln for ln in classic.splitlines() if ln.startswith("====")]
    assert not any("locking" in h for h in plain)
    assert any("Mailbox locking methods" in h for h in heads)
    assert any("permissions" in h for h in heads)
    assert len(heads) == len(plain) + 2
    assert "Set in main.cf to their built-in default" in classic


@pytest.mark.parametrize("command", ["check", "logs", "trace", "qshape"])
def test_every_subcommand_that_reads_the_config_names_it_config_dir(command: str) -> None:
    res = run_cli([command, "--help"])
    assert res.status == 0
    assert "-c DIR, --config-dir DIR" in res.stdout


@pytest.mark.parametrize("argv", [["pcap"], ["trace"], ["logs", "--limit", "x"], ["qshape", "--bogus"]])
def test_a_subcommand_usage_error_is_one_line_and_exit_2(argv: list[str]) -> None:
    res = run_cli(argv)
    assert res.status == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and f"postfinger {argv[0]} --help" in lines[0], res.stderr
    assert res.stdout == ""


def test_a_partial_section_gives_status_3_and_names_it(tmp_path: Path) -> None:
    snap = tmp_path / "snap"
    shutil.copytree(EXAMPLE_SNAPSHOT, snap)
    manifest = json.loads((snap / "manifest.json").read_text())
    for record in manifest["records"]:
        if record.get("argv") == ["postconf", "-P"]:
            record["status"] = 1  # postconf -P failed: master.cf without its -o overrides
    (snap / "manifest.json").write_text(json.dumps(manifest))
    res = run_cli(["--replay", str(snap), "--only", "mastercf"])
    assert res.status == ExitStatus.PARTIAL, res.stderr
    assert "[partial]" in res.stdout and "-o overrides not listed" in res.stdout
    assert res.stderr.strip() == (
        "postfinger: report is incomplete: section(s) mastercf partial (see the notes in those sections)"
    )


def test_only_and_skip_that_leave_nothing_are_usage_errors() -> None:
    for argv in (["--only", "maincf", "--skip", "maincf"], ["--only", "maincf,system", "--skip", "system"]):
        res = replay(*argv)
        assert res.status == ExitStatus.USAGE and res.stdout == ""
        assert res.stderr.count("\n") == 1 and "both --only and --skip" in res.stderr
    names = [
        line.split()[0]
        for line in run_cli(["--list-sections"]).stdout.splitlines()[1:]
        if line.strip() and not line.startswith("--")
    ]
    res = replay("--skip", ",".join(names))
    assert res.status == ExitStatus.USAGE and res.stdout == ""
    assert res.stderr == ("postfinger: --only/--skip leave no section to report; see --list-sections\n")


def test_an_anon_map_that_cannot_be_written_fails_before_any_output(tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    for fork in (False, True):
        res = replay(
            "--only", "system", "--anon-map", str(tmp_path / "no" / "map"), "-o", str(target), fork=fork
        )
        assert res.status == ExitStatus.ERROR, res.stderr
        assert res.stderr.count("\n") == 1 and "anonymization map was not written" in res.stderr
        assert "no report was written either" in res.stderr
        assert not target.exists() and res.stdout == ""


def test_a_second_mail_failure_keeps_a_second_copy(tmp_path: Path) -> None:
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        first = replay("--mail-to", "admin@example.org", "--sendmail", "/nonexistent/sendmail")
        second = replay("--mail-to", "admin@example.org", "--sendmail", "/nonexistent/sendmail")
    finally:
        os.chdir(cwd)
    assert first.status == second.status == ExitStatus.DELIVERY_FAILED
    kept = sorted(p for p in tmp_path.iterdir() if p.name.startswith("postfinger-report-"))
    assert len(kept) == 2, "the second failure replaced the first kept copy"
    assert all(oct(p.stat().st_mode & 0o777) == "0o600" for p in kept)


@pytest.mark.parametrize("command", ["", "qshape", "pcap", "lookup", "logs", "trace", "anonymize"])
def test_every_command_help_has_examples_exit_statuses_and_config_dir(command: str) -> None:
    res = run_cli([*([command] if command else []), "--help"])
    assert res.status == 0, res.stderr
    assert "exit status: 0" in res.stdout and "4 refused" in res.stdout
    assert "-c DIR, --config-dir DIR" in res.stdout or "-c C, --config-dir C" in res.stdout
    if command:
        assert "examples:" in res.stdout and f"postfinger {command} " in res.stdout


@pytest.mark.parametrize("argv", [["trace"], ["logs", "--since", "never"], ["qshape", "-b", "100000"]])
def test_a_subcommand_error_has_one_prefix(argv: list[str]) -> None:
    res = run_cli(argv)
    assert res.status == ExitStatus.USAGE
    assert res.stderr.startswith(f"postfinger {argv[0]}: ") or res.stderr.startswith("postfinger: ")
    assert "postfinger: postfinger" not in res.stderr and res.stderr.count("\n") == 1
