"""Learned names written encoded: URL %2E, HTML &#46;, quoted-printable =2E and soft breaks, JSON."""

from __future__ import annotations

import json
from pathlib import Path

from postfinger_py.anonymize import AnonSettings, anonymize

from .leaks_helpers import command, filtered, site
from .test_leaks_secrets import _report

MAIN_CF = "myhostname = mx1.acme-robotics.com\nmydomain = acme-robotics.com\n"


def test_encoded_forms_of_learned_names(tmp_path: Path) -> None:
    conf = site(tmp_path, MAIN_CF)
    text = (
        "Nov 21 00:00:01 mx1 postfix/cleanup[5]: 4F1A2B3C4D: warning: header Subject: "
        "see https://www.acme-robotics%2Ecom/x and mx1&#46;acme-robotics&#x2E;com\n"
        "Content-Transfer-Encoding: quoted-printable\n"
        "Contact info=40acme-robotics=2Ecom or mx1=2Eacme=2Drobotics.com today\n"
        "Reply to the sales team at sales@acme-rob=\notics.com, thank you=\n"
        '{"host": "mx1\\u002eacme\\u002drobotics.com", "size": "10%"}\n'
        "plain: mx1.acme-robotics.com\n"
    )
    for out in (filtered(tmp_path, conf, text), command(tmp_path, conf, text)[1]):
        low = out.lower()
        assert "acme" not in low and "robotics" not in low and "otics" not in low, out
        plain = out.split("plain: ")[1].strip()  # how the name maps when written plainly
        host, dom = plain.split(".", 1)
        dom_label = dom.split(".")[0]
        assert f"https://www.{dom_label}%2Ecom/x" not in out  # www is replaced too
        assert f"{dom_label}%2Ecom/x" in out
        assert f"{host}&#46;{dom_label}&#x2E;com" in out
        assert f"=40{dom_label}=2Ecom or {host}=2E" in out
        assert f"{host}=2E{dom_label.replace('-', '=2D')}.com today" in out
        assert f"@{dom}=\n, thank you=\n" in out  # the soft break moved after the name
        assert json.loads(out.splitlines()[-2])["host"] == plain
        assert '"size": "10%"' in out and "Content-Transfer-Encoding: quoted-printable" in out
        assert out.count("\n") == text.count("\n")


def test_encoded_names_in_the_report() -> None:
    cf = MAIN_CF + "smtpd_banner = $myhostname ESMTP acme-robotics%2Ecom\n"
    out = anonymize(_report(cf), AnonSettings()).report.section("maincf").data["text"]  # type: ignore[union-attr]
    assert "acme" not in out and "smtpd_banner = $myhostname ESMTP " in out and "%2Ecom" in out
