"""On the real, deliberately troubled Postfix: nothing of the site survives, relations hold."""

from __future__ import annotations

import io
import ipaddress
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from postfinger_py.anonymize import AnonSettings, text_filter
from postfinger_py.env import Env
from postfinger_py.model import Options

from .conftest import site_values

pytestmark = pytest.mark.integration


def test_live_postconf_d_keyword_safe(real_postfix: dict[str, Any]) -> None:
    from .test_keywords import check_postconf_d

    text = subprocess.run(["postconf", "-d"], capture_output=True, text=True, check=True).stdout
    check_postconf_d(text)


def test_live_filter_hides_site_and_keeps_relations(real_postfix: dict[str, Any]) -> None:
    ctx = Env().live_context(Options())
    f = text_filter(ctx, AnonSettings())
    main = subprocess.run(["postconf", "-n"], capture_output=True, text=True).stdout
    maps = "".join(
        Path(p).read_text()
        for p in ("/etc/postfix/sasl_passwd", "/etc/postfix/mysql-senders.cf", "/etc/postfix/virtual")
    )
    log = Path("/var/log/postfix.log").read_text(errors="replace")[-200_000:]
    out = f(main + maps + log)
    for value in site_values():
        assert value.lower() not in out.lower(), value
    values = dict(ln.split(" = ", 1) for ln in out.splitlines()[: main.count("\n")])
    assert values["myhostname"].endswith("." + values["mydomain"])
    nets = [ipaddress.ip_network(n) for n in values["mynetworks"].split() if "[" not in n]
    assert any(ipaddress.ip_address(values["debug_peer_list"]) in n for n in nets)


def test_end_to_end_report(real_postfix: dict[str, Any], tmp_path: Path) -> None:
    from postfinger_py.cli import main

    out, err = io.StringIO(), io.StringIO()
    status = main(["--anon-map", str(tmp_path / "map")], Env(stdout=out, stderr=err))
    assert status in (0, 3), err.getvalue()  # 3: a partial report is still a report
    report = out.getvalue()
    for value in site_values():
        assert value.lower() not in report.lower(), value
    host = re.search(r"^myhostname = (\S+)$", report, re.M)
    domain = re.search(r"^mydomain = (\S+)$", report, re.M)
    assert host and domain and host.group(1).endswith("." + domain.group(1))
    # A certificate named after the host: the name replaced, the file name's shape kept.
    assert re.search(r"^smtpd_tls_cert_file = /etc/ssl/certs/[a-z]{2}\d\.pem$", report, re.M)
    mapped = (tmp_path / "map").read_text()
    assert real_postfix["domain"] in mapped and domain.group(1) in mapped
