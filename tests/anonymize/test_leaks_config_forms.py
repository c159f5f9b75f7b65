"""Site values in configuration forms of real deployments (mailcow, docker-mailserver, iRedMail):
TCP endpoints of milters and policy services, bare hosts in domain lists, a company name written
without its hyphen, addresses escaped in regexp tables, and next hops that look like passwords."""

from __future__ import annotations

import re
from pathlib import Path

from .leaks_helpers import command, filtered, site

MAIN_CF = """\
myhostname = mail.acme-co.com
mydomain = acme-co.com
mydestination = $myhostname, localhost.$mydomain, localhost, acmeserver01
mynetworks = 127.0.0.0/8 [::1]/128 172.22.1.0/24
smtpd_milters = inet:rspamd:11332, inet:opendkim-acme:8891
smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination,
    check_policy_service inet:policy01:10023
smtpd_banner = $myhostname ESMTP AcmeCo Mailgateway
"""

TABLES = """\
/^Received: from mail\\.acme-co\\.com/ IGNORE
/^X-Originating-IP: 172\\.22\\.1\\.15/ IGNORE
/^(.*)@acmeserver01\\.acme-co\\.com$/ ${1}@acme-co.com
@acme-co.com [smtp.office365.com]:587
billing@acme-co.com smtp.acme-billing.de:25
[smtp.sendgrid.net]:587 apikey:SG.aBcDeFgHiJkLmNoP
"""


def test_config_forms_of_real_deployments(tmp_path: Path) -> None:
    conf = site(tmp_path, MAIN_CF)
    text = MAIN_CF + TABLES
    for out in (filtered(tmp_path, conf, text), command(tmp_path, conf, text)[1]):
        for original in (
            "acme",
            "acmeserver01",
            "opendkim-acme",
            "policy01",
            "172.22.1",
            "172\\.22\\.1\\.15",
            "aBcDeFgHiJkLmNoP",
        ):
            assert original not in out.lower(), original
        # The endpoints keep their form; mail software names stay (they name no site).
        assert re.search(r"smtpd_milters = inet:rspamd:11332, inet:[a-z]{8}-[a-z]{4}:8891\n", out)
        assert re.search(r"check_policy_service inet:[a-z]{6}\d\d:10023\n", out)
        assert re.search(r"localhost, [a-z]{10}\d\d\n", out)
        # `AcmeCo` is the domain's label without its hyphen: replaced as the label is.
        label = re.search(r"mydomain = ([a-z]{4})-([a-z]{2})\.com", out)
        assert label and f"ESMTP {label.group(1).title()}{label.group(2).title()} Mailgateway" in out
        # An address escaped for a regular expression stays escaped, in the same network.
        net = re.search(r"mynetworks = 127\.0\.0\.0/8 \[::1\]/128 (\d+)\.(\d+)\.(\d+)\.0/24", out)
        assert net and re.search(rf"X-Originating-IP: {net[1]}\\.{net[2]}\\.{net[3]}\\.\d+/ IGNORE", out)
        assert re.search(r"^/\^Received: from [a-z]{4}\\\.[a-z]{4}-[a-z]{2}\\\.com/ IGNORE$", out, re.M)
        # A next hop with its port is no user:password: the ports stay, nothing is masked there.
        assert re.search(r"^@[a-z]{4}-[a-z]{2}\.com \[[\w.]+\]:587$", out, re.M)
        assert re.search(r"^\w+@[a-z]{4}-[a-z]{2}\.com [\w.-]+:25$", out, re.M)
        assert re.search(r"^\[[\w.]+\]:587 \w+:\*+$", out, re.M)
