"""Reports built from REAL output of the troubled Postfix here, recorded into data/."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import pytest

from postfinger_py.anonymize.engine import Engine
from postfinger_py.model import Report, Section, Status

DATA = Path(__file__).resolve().parent / "data"
SITE: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parents[1] / "integration" / "site.json").read_text()
)


def engine_pair(key: bytes, learn: Callable[[Engine], None]) -> tuple[Engine, Engine]:
    """Two engines that learned the same, frozen: one for the fast path, one for the reference."""
    engines = []
    for _ in range(2):
        e = Engine(key)
        learn(e)
        e.freeze()
        engines.append(e)
    return engines[0], engines[1]


def read(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8", errors="replace")


def params(text: str) -> list[dict[str, str]]:
    out = []
    for line in text.splitlines():
        name, sep, value = line.partition(" = ")
        if sep:
            out.append({"name": name, "value": value})
    return out


def site_values() -> list[str]:
    """Every made-up site value the anonymizer must hide (from tests/integration/site.json)."""
    values: list[str] = []
    for key, value in SITE.items():
        if key == "comment":
            continue
        values.extend(value if isinstance(value, list) else [value])
    return values


def recorded_report(log: str = "") -> Report:
    nf = read("postconf-nf.txt")
    sections = [
        Section(
            "system",
            "System",
            Status.OK,
            data={
                "mail_version": "3.7.11",
                "hostname": "mx1.bluefinch-logistics.de",
                "kernel": "Linux 6.1.0",
                "os_release": "Debian GNU/Linux 12 (bookworm)",
                "package": {"name": "postfix", "version": "3.7.11-0+deb12u1"},
            },
        ),
        Section(
            "maincf",
            "main.cf (postconf -nf)",
            Status.OK,
            data={
                "parameters": params(read("postconf-n.txt")),
                "text": nf,
                "warnings": read("postconf-nf.stderr").splitlines(),
                "defaults_in_main": [],
            },
            raw={"postconf-nf.txt": nf, "postconf-n.txt": read("postconf-n.txt")},
        ),
        Section(
            "mastercf",
            "master.cf (postconf -Mf)",
            Status.OK,
            data={
                "services": [
                    {
                        "service": "127.0.0.1:2525",
                        "type": "inet",
                        "private": "n",
                        "unpriv": "-",
                        "chroot": "y",
                        "wakeup": "-",
                        "maxproc": "-",
                        "command": "smtpd",
                        "args": ["-o", "mynetworks=10.99.0.0/16"],
                    }
                ],
                "text": read("postconf-Mf.txt"),
                "overrides": [
                    {
                        "service": "127.0.0.1:2525",
                        "type": "inet",
                        "name": "mynetworks",
                        "value": "10.99.0.0/16",
                    }
                ],
            },
        ),
        Section(
            "maps",
            "Lookup tables",
            Status.OK,
            data={"files": ["/etc/postfix/virtual"]},
            raw={
                "/etc/postfix/virtual": read("virtual"),
                "/etc/postfix/sasl_passwd": read("sasl_passwd"),
                "/etc/postfix/mysql-senders.cf": read("mysql-senders.cf"),
                "/etc/postfix/transport": read("transport"),
            },
        ),
        Section(
            "logs",
            "Log",
            Status.OK,
            data={"lines": (log or read("postfix.log")).splitlines()},
            notes=["debug_peer_list names 10.20.30.40"],
            raw={"postfix.log": log or read("postfix.log")},
        ),
    ]
    return Report(
        tool_version="0.1",
        generated_at=datetime(2026, 11, 21, tzinfo=timezone.utc),
        sections=sections,
        summary="Mail from 10.20.30.40 to j.meier@bluefinch-logistics.de"
        " is deferred; our relay smtp.relay-provider.net says auth failed",
        mail_version="3.7.11",
        hostname="mx1.bluefinch-logistics.de",
    )


@pytest.fixture
def report() -> Report:
    return recorded_report()
