"""The report from the real, deliberately troubled Postfix is complete and correct."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ..helpers import run_cli

pytestmark = pytest.mark.integration


def sh(*argv: str) -> str:
    return subprocess.run(
        list(argv),
        capture_output=True,
        text=True,
        check=True,
        env={"LC_ALL": "C", "PATH": os.environ["PATH"]},
    ).stdout


def report_json(*extra: str) -> dict[str, Any]:
    res = run_cli(["--all", "--format", "json", "--no-anonymize", *extra])
    assert res.status == 0, res.stderr
    data: dict[str, Any] = json.loads(res.stdout)
    return data


def section(data: dict[str, Any], name: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [s for s in data["sections"] if s["name"] == name]
    assert found, f"no {name} section"
    return found[0]


def test_maincf_holds_every_parameter_of_postconf_n(real_postfix: dict[str, Any]) -> None:
    data = report_json()
    maincf = section(data, "maincf")
    assert maincf["status"] == "ok"
    names = [line.split(" = ")[0] for line in sh("postconf", "-n").splitlines()]
    assert [p["name"] for p in maincf["data"]["parameters"]] == names
    assert maincf["data"]["text"] == sh("postconf", "-nf").rstrip("\n")
    assert any("unused parameter: smtpd_sasl_autenticated_header" in w for w in maincf["data"]["warnings"])
    assert any(w.startswith("postfinger: mydestination holds a '#'") for w in maincf["data"]["warnings"])
    defaults = {p["name"] for p in maincf["data"]["defaults_in_main"]}
    assert {"maximal_queue_lifetime", "message_size_limit"} <= defaults


def test_mastercf_holds_every_service_of_postconf_m(real_postfix: dict[str, Any]) -> None:
    mastercf = section(report_json(), "mastercf")
    expected = [tuple(line.split()[:2]) for line in sh("postconf", "-M").splitlines()]
    assert [(s["service"], s["type"]) for s in mastercf["data"]["services"]] == expected
    overrides = sh("postconf", "-P").splitlines()
    assert len(mastercf["data"]["overrides"]) == len(overrides)
    findings = section(report_json(), "findings")["data"]["findings"]
    assert any(f["code"] == "verbose-service" and "smtp/inet" in f["message"] for f in findings)


def test_daemon_versions_equal_mail_version(real_postfix: dict[str, Any]) -> None:
    daemons = section(report_json(), "daemons")
    mail_version = sh("postconf", "-h", "mail_version").strip()
    assert daemons["data"]["mail_version"] == mail_version
    programs = {p["path"]: p for p in daemons["data"]["programs"]}
    daemon_dir = sh("postconf", "-h", "daemon_directory").strip()
    for name in ("smtpd", "qmgr", "cleanup", "local", "smtp", "master"):
        assert programs[f"{daemon_dir}/{name}"]["version"] == mail_version
    assert programs["/usr/sbin/postconf"]["status"] == "ok"
    assert daemons["data"]["mismatches"] == []


def test_libraries_match_ldd(real_postfix: dict[str, Any]) -> None:
    libs = section(report_json(), "libraries")
    daemon_dir = sh("postconf", "-h", "daemon_directory").strip()
    smtpd_libs = [
        line.split()[0] for line in sh("ldd", f"{daemon_dir}/smtpd").splitlines() if "vdso" not in line
    ]
    known = {lib["soname"] for lib in libs["data"]["libraries"]}
    for soname in smtpd_libs:
        assert soname.rsplit("/", 1)[-1] in known
    families = {lib["family"] for lib in libs["data"]["notable"]}
    assert {"Berkeley DB", "SASL", "TLS (OpenSSL)"} <= families
    assert libs["data"]["unresolved"] == []


def test_running_state_and_listeners(real_postfix: dict[str, Any]) -> None:
    proc = section(report_json(), "processes")
    assert proc["data"]["master"]["state"] == "running"
    pid = int(Path("/var/spool/postfix/pid/master.pid").read_text().strip())
    assert proc["data"]["master"]["pid"] == pid
    ports = {(entry["address"], entry["port"]) for entry in proc["data"]["listening"]}
    assert {("127.0.0.1", 25), ("127.0.0.1", 587), ("127.0.0.1", 2525)} <= ports
    # The one planted: added to master.cf after the start, without postfix reload.
    assert proc["data"]["missing"] == [{"port": 2528, "service": "127.0.0.1:2528"}]


def test_tables_and_permissions(real_postfix: dict[str, Any]) -> None:
    data = report_json()
    assert section(data, "tables")["data"]["types"] == sh("postconf", "-m").split()
    assert section(data, "locking")["data"]["methods"] == sh("postconf", "-l").split()
    perms = section(data, "permissions")["data"]
    paths = {row["path"] for row in perms["checked"]}
    assert {"/var/spool/postfix/maildrop", "/usr/sbin/postdrop"} <= paths
    assert perms["wrong"] == []


def test_system_section(real_postfix: dict[str, Any]) -> None:
    system = section(report_json(), "system")["data"]
    assert system["mail_version"] == sh("postconf", "-h", "mail_version").strip()
    assert system["package"]["package"] == "postfix"
    assert system["package"]["version"] == sh("dpkg-query", "-W", "-f", "${Version}", "postfix")
    assert system["kernel"] == sh("uname", "-srvm").strip()


def test_capture_then_replay_gives_the_identical_report(real_postfix: dict[str, Any], tmp_path: Path) -> None:
    snap = tmp_path / "snap"
    key = ["--anon-key", str(tmp_path / "key")]  # one key: the two anonymized reports compare
    live = run_cli(["--all", "--capture", str(snap), "--nowarn", *key])
    assert live.status == 0, live.stderr
    assert stat.S_IMODE(snap.stat().st_mode) == 0o700
    replayed = run_cli(["--all", "--replay", str(snap), "--nowarn", *key])
    assert replayed.status == 0, replayed.stderr
    strip = lambda text: text.split("\n", 3)[3]  # noqa: E731 - the Generated line differs
    assert strip(replayed.stdout) == strip(live.stdout)


def test_the_tool_only_reads(real_postfix: dict[str, Any], tmp_path: Path) -> None:
    """The configuration is byte-for-byte unchanged, and no file in it was even opened for writing.

    (The queue cannot be compared the same way: the running Postfix itself moves mail.)
    """
    listing = "cd /etc/postfix && find . -type f | sort | xargs sha256sum && ls -la --time-style=+%s"
    before = sh("bash", "-c", listing)
    run_cli(["--all", "--bundle", str(tmp_path / "b.tar.gz")])
    after = sh("bash", "-c", listing)
    assert before == after


def test_mail_to_self_through_the_real_sendmail(real_postfix: dict[str, Any]) -> None:
    res = run_cli(["--only", "system", "--mail-to", "root", "--no-anonymize"])
    assert res.status == 0, res.stderr
    message_id = res.stderr.split("(Message-ID ")[1].split(")")[0]
    # Postfix's cleanup logs the Message-ID of every message it accepts.
    import time

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        log = Path("/var/log/postfix.log").read_text(errors="replace")
        if f"message-id={message_id}" in log:
            break
        time.sleep(0.2)
    assert f"message-id={message_id}" in log
    queue_id = next(line.split(": ")[1] for line in log.splitlines() if f"message-id={message_id}" in line)
    subprocess.run(["postsuper", "-d", queue_id], capture_output=True, check=False)
