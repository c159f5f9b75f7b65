"""The chroot, relay and system checks on the real, deliberately troubled Postfix: every planted
fault is found, attributed to its master.cf service, and nothing is said of the healthy services."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

from ..helpers import run_cli
from .test_unprivileged import SYSTEM_PYTHON, _world_readable_copy

pytestmark = pytest.mark.integration

QUEUE = "/var/spool/postfix"
MINE = ("chroot", "chrooted-", "mynetworks", "relay-", "mixed-daemon", "inet-interfaces", "port25")


def findings(*argv: str) -> tuple[list[dict[str, Any]], list[str]]:
    res = run_cli(["check", "--format", "json", "--no-anonymize", *argv])
    assert res.status == 0, res.stderr
    [section] = json.loads(res.stdout)["sections"]
    found = [f for f in section["data"]["findings"] if f["code"].startswith(MINE)]
    return found, section["notes"]


def subjects(found: list[dict[str, Any]], code: str) -> list[str]:
    return [f["message"].split(": ")[0] for f in found if f["code"] == code]


def test_relay_faults_are_found_on_their_own_services(real_postfix: dict[str, Any]) -> None:
    found, _notes = findings()
    relay = [f for f in found if f["code"].startswith(("mynetworks", "relay-"))]
    assert {(f["code"], f["message"].split(": ")[0]) for f in relay} == {
        ("mynetworks-too-wide", "127.0.0.1:2526/inet"),
        ("relay-restrictions-refused", "127.0.0.1:2527/inet"),
    }
    assert all(f["severity"] == "problem" for f in relay)
    [wide] = [f for f in relay if f["code"] == "mynetworks-too-wide"]
    assert wide["evidence"] == ["master.cf: 127.0.0.1:2526/inet -o mynetworks=0.0.0.0/0"]
    [refused] = [f for f in relay if f["code"] == "relay-restrictions-refused"]
    assert "master.cf: 127.0.0.1:2527/inet -o smtpd_recipient_restrictions=permit" in refused["evidence"]
    # What Postfix itself logged when that smtpd was started: the finding explains it.
    assert "specify at least one working instance of: reject_unauth_destination" in Path(
        "/var/log/postfix.log"
    ).read_text(errors="replace")


def test_chrooted_local_and_the_empty_jail_are_found(real_postfix: dict[str, Any]) -> None:
    found, _notes = findings()
    [local] = [f for f in found if f["code"] == "chrooted-local"]
    assert local["severity"] == "problem"
    assert local["evidence"] == ["master.cf: local/unix chroot=y (local)"]
    assert subjects(found, "chrooted-virtual") == subjects(found, "chrooted-pipe") == []
    jail = [f for f in found if f["code"] == "chroot-jail-missing"]
    missing = {
        name
        for name in ("resolv.conf", "hosts", "services", "nsswitch.conf", "localtime")
        if os.path.exists(f"/etc/{name}") and not os.path.exists(f"{QUEUE}/etc/{name}")
    }
    assert "resolv.conf" in missing, "the test site's jail was meant to be empty"
    listed: set[str] = {e.split(":")[0].rsplit("/", 1)[-1] for f in jail for e in f["evidence"]}
    assert listed == missing
    [dns] = [f for f in jail if f["severity"] == "warning"]
    assert dns["evidence"] == [f"{QUEUE}/etc/resolv.conf: missing (/etc/resolv.conf exists)"]
    # maillog_file is set: postlogd writes the log, the jail needs no /dev/log.
    assert subjects(found, "chroot-no-log-socket") == []


def test_system_checks_see_master_on_port_25_and_one_version(real_postfix: dict[str, Any]) -> None:
    found, notes = findings()
    assert [f["code"] for f in found if f["code"].startswith(("port25", "mixed-daemon"))] == []
    assert not [n for n in notes if n.startswith("port 25 check")]
    # inet_interfaces = loopback-only while mydestination names the site's domain: a note only.
    [iface] = [f for f in found if f["code"] == "inet-interfaces-loopback"]
    assert iface["severity"] == "note"
    assert real_postfix["domain"] in iface["message"]


def test_as_nobody_port_25_is_a_note_of_what_could_not_be_seen(real_postfix: dict[str, Any]) -> None:
    if not os.path.exists(SYSTEM_PYTHON) or shutil.which("runuser") is None:
        pytest.fail("needs /usr/bin/python3 and runuser (both are in Debian's base system)")
    work = Path(tempfile.mkdtemp(prefix="postfinger-nobody-", dir="/tmp"))
    try:
        lib = _world_readable_copy(work)
        res = subprocess.run(
            [
                "runuser",
                "-u",
                "nobody",
                "--",
                SYSTEM_PYTHON,
                "-m",
                "postfinger_py",
                "check",
                "--format",
                "json",
                "--no-anonymize",
            ],
            capture_output=True,
            text=True,
            cwd="/",
            timeout=120,
            env={"PYTHONPATH": str(lib), "PATH": os.environ["PATH"]},
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    assert res.returncode in (0, 4), res.stderr
    [section] = json.loads(res.stdout)["sections"]
    codes = [f["code"] for f in section["data"]["findings"]]
    assert "port25-not-postfix" not in codes and "port25-nothing-listens" not in codes
    [note] = [n for n in section["notes"] if n.startswith("port 25 check")]
    assert "127.0.0.1 port 25" in note and "run it as root" in note
    # The planted faults that need no privilege are still found.
    assert {"chrooted-local", "mynetworks-too-wide", "relay-restrictions-refused"} <= set(codes)
