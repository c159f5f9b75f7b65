"""The lookup table checks on the real troubled Postfix find every planted table fault."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from ..helpers import run_cli

pytestmark = pytest.mark.integration


def findings(*argv: str) -> list[dict[str, Any]]:
    res = run_cli(["check", "--format", "json", *argv])
    assert res.status in (0, 3), res.stderr
    [section] = [s for s in json.loads(res.stdout)["sections"] if s["name"] == "findings"]
    found: list[dict[str, Any]] = section["data"]["findings"]
    return found


def table_findings(found: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """code + the first path in its message -> the finding."""
    out = {}
    for f in found:
        if f["code"].startswith("table-"):
            path = next(
                w for w in f["message"].replace(":", " ").split() if w.startswith("/") or w == "mysql"
            )
            out[f"{f['code']} {path}"] = f
    return out


def test_every_planted_table_fault_is_found(real_postfix: dict[str, Any]) -> None:
    found = table_findings(findings("--no-anonymize"))
    assert set(found) == {
        "table-index-stale /etc/postfix/virtual",
        "table-index-missing /etc/postfix/transport",
        "table-index-missing /etc/postfix/sasl_passwd",
        "table-type-unsupported mysql",
        "table-secret-readable /etc/postfix/mysql-senders.cf",
    }
    assert found["table-index-stale /etc/postfix/virtual"]["severity"] == "warning"
    assert found["table-index-missing /etc/postfix/transport"]["severity"] == "problem"
    assert found["table-type-unsupported mysql"]["action"].startswith("install the postfix-mysql package")
    secret = found["table-secret-readable /etc/postfix/mysql-senders.cf"]
    assert "/etc/postfix/mysql-senders.cf: -rw-r--r-- root:root (mode 0644)" in secret["evidence"]
    # Debian's stock aliases (hash:/etc/aliases with a fresh /etc/aliases.db) are fine
    assert not any("/etc/aliases" in key for key in found)
    text = json.dumps(list(found.values()))
    assert real_postfix["mysql_password"] not in text and real_postfix["sasl_password"] not in text


def test_the_findings_are_anonymized_like_the_report(real_postfix: dict[str, Any]) -> None:
    found = findings()
    text = json.dumps(found)
    assert "table-index-missing" in text and "/etc/postfix/transport.db" in text
    for value in (
        real_postfix["domain"],
        real_postfix["hostname"],
        real_postfix["client_ip"],
        real_postfix["mysql_password"],
        real_postfix["sasl_password"],
    ):
        assert value not in text


# What Debian's postinst writes into a new main.cf (Internet Site), the table settings with it.
STOCK_MAIN_CF = """\
smtpd_banner = $myhostname ESMTP $mail_name (Debian/GNU)
biff = no
append_dot_mydomain = no
readme_directory = no
compatibility_level = 3.6
smtpd_tls_cert_file=/etc/ssl/certs/ssl-cert-snakeoil.pem
smtpd_tls_key_file=/etc/ssl/private/ssl-cert-snakeoil.key
smtpd_tls_security_level=may
smtp_tls_CApath=/etc/ssl/certs
smtp_tls_security_level=may
smtp_tls_session_cache_database = btree:${data_directory}/smtp_scache
smtpd_relay_restrictions = permit_mynetworks permit_sasl_authenticated defer_unauth_destination
alias_maps = hash:/etc/aliases
alias_database = hash:/etc/aliases
mydestination = $myhostname, localhost
relayhost =
mynetworks = 127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128
mailbox_size_limit = 0
recipient_delimiter = +
inet_interfaces = all
inet_protocols = all
"""


def test_debian_stock_configuration_gives_no_table_finding(
    real_postfix: dict[str, Any], tmp_path: Path
) -> None:
    assert Path("/etc/aliases.db").stat().st_mtime >= Path("/etc/aliases").stat().st_mtime
    (tmp_path / "main.cf").write_text(STOCK_MAIN_CF)
    shutil.copy("/etc/postfix/master.cf.proto", tmp_path / "master.cf")
    found = findings("--no-anonymize", "-c", str(tmp_path))
    assert [f for f in found if f["code"].startswith("table-")] == []
