"""TLS and SASL checks against the real Postfix and real openssl: the test site's certificate
that expires in 20 days, its Cyrus SASL without smtpd.conf; and, on a copy of Debian's stock
configuration, a key of another certificate and a Dovecot socket that is not there."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ..helpers import run_cli

pytestmark = pytest.mark.integration


def findings(*argv: str) -> list[dict[str, Any]]:
    res = run_cli(["check", "--format", "json", "--no-anonymize", *argv], live_clock=True)
    assert res.status in (0, 3), res.stderr
    [section] = [s for s in json.loads(res.stdout)["sections"] if s["name"] == "findings"]
    return [f for f in section["data"]["findings"] if f["code"].startswith(("tls-", "sasl-"))]


def test_the_test_sites_expiring_certificate_and_cyrus_without_config(real_postfix: dict[str, Any]) -> None:
    found = findings()
    codes = sorted(f["code"] for f in found)
    assert codes == ["sasl-cyrus-no-config", "tls-cert-expiring", "tls-port25-off"], found
    [expiring] = [f for f in found if f["code"] == "tls-cert-expiring"]
    days = int(expiring["message"].split("expires in ")[1].split()[0])
    assert 0 <= days <= 20 and "/etc/ssl/certs/mx1.pem" in expiring["message"]
    [sasl] = [f for f in found if f["code"] == "sasl-cyrus-no-config"]
    assert sasl["evidence"][0] == "master.cf: submission/inet -o smtpd_sasl_auth_enable=yes"


def test_a_foreign_key_and_a_missing_dovecot_socket(stock_postfix: Path, tmp_path: Path) -> None:
    conf = tmp_path / "postfix"
    shutil.copytree(stock_postfix, conf)
    key = tmp_path / "other.key"
    subprocess.run(
        ["openssl", "genpkey", "-algorithm", "RSA", "-out", str(key)], check=True, capture_output=True
    )
    key.chmod(0o600)
    subprocess.run(
        [
            "postconf",
            "-c",
            str(conf),
            "-e",
            f"smtpd_tls_key_file = {key}",
            "smtpd_sasl_auth_enable = yes",
            "smtpd_sasl_type = dovecot",
            "smtpd_sasl_path = private/auth",
        ],
        check=True,
    )
    found = findings("-c", str(conf))
    assert sorted(f["code"] for f in found) == ["sasl-dovecot-socket", "tls-key-mismatch"], found
    [sock] = [f for f in found if f["code"] == "sasl-dovecot-socket"]
    assert "/var/spool/postfix-stock/private/auth" in sock["message"]
