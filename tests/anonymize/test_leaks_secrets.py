"""Secrets in forms the anonymizer must mask: static: maps, AUTH base64, pasted sasl_passwd lines."""

from __future__ import annotations

import base64
import re
from datetime import datetime, timezone
from pathlib import Path

from postfinger_py.anonymize import AnonSettings, anonymize
from postfinger_py.anonymize.patterns import SECRET_MASK
from postfinger_py.model import Report, Section, Status

from .leaks_helpers import command, filtered, site

MAIN_CF = """\
myhostname = mx1.acme-robotics.com
relayhost = [smtp.relaycorp.net]:587
smtp_sasl_auth_enable = yes
smtp_sasl_password_maps = static:relayuser:S3cret!
"""


def _report(main_cf: str) -> Report:
    params = [
        {"name": n.strip(), "value": v.strip()}
        for n, _, v in (ln.partition("=") for ln in main_cf.splitlines())
    ]
    return Report(
        tool_version="0.1",
        generated_at=datetime(2026, 11, 21, tzinfo=timezone.utc),
        sections=[Section("maincf", "main.cf", Status.OK, data={"parameters": params, "text": main_cf})],
        summary="",
        mail_version="3.7.11",
        hostname="mx1.acme-robotics.com",
    )


def test_static_password_map_is_masked_in_the_report_and_with_anonymizing_off() -> None:
    for mode in ("on", "off", "strict"):
        text = anonymize(_report(MAIN_CF), AnonSettings(mode=mode)).report.section("maincf").data["text"]  # type: ignore[union-attr]
        assert "S3cret" not in text, mode
        assert "smtp_sasl_password_maps = static:" in text and SECRET_MASK in text
        if mode != "off":
            assert "relayuser" not in text and "smtp_sasl_auth_enable = yes" in text


def test_static_password_map_in_braces_and_pasted_into_free_text(tmp_path: Path) -> None:
    conf = site(
        tmp_path,
        "myhostname = mx1.acme-robotics.com\n"
        "lmtp_sasl_password_maps = static:{frank@acme-robotics.com:pa55 w0rd}\n",
    )
    text = (
        "postconf -n says:\nlmtp_sasl_password_maps = static:{frank@acme-robotics.com:pa55 w0rd}"
        "\n> smtp_sasl_password_maps = static:relay-user:Z9x!yq7\n"
    )
    status, out, err = command(tmp_path, conf, text)
    assert status == 0, err
    assert "pa55 w0rd" not in out and "Z9x!yq7" not in out and "relay-user" not in out
    assert "acme-robotics" not in out and "frank" not in out
    assert "lmtp_sasl_password_maps = static:{" in out and "smtp_sasl_password_maps = static:" in out


def test_auth_plain_and_login_in_logs_and_dialogue(tmp_path: Path) -> None:
    conf = site(tmp_path, MAIN_CF)
    plain = base64.b64encode(b"\0frank@acme-robotics.com\0Tr0ub4dor&3").decode()
    user = base64.b64encode(b"relayuser").decode()
    password = base64.b64encode(b"S3cret!").decode()
    text = (
        f"Nov 21 00:00:01 mx1 postfix/smtpd[1]: < unknown[198.51.100.7]: AUTH PLAIN {plain}\n"
        "Nov 21 00:00:02 mx1 postfix/smtp[2]: > smtp.relaycorp.net[203.0.113.5]:587: AUTH LOGIN\n"
        "Nov 21 00:00:02 mx1 postfix/smtp[2]: < smtp.relaycorp.net[203.0.113.5]:587: "
        "334 VXNlcm5hbWU6\n"
        f"Nov 21 00:00:02 mx1 postfix/smtp[2]: > smtp.relaycorp.net[203.0.113.5]:587: {user}\n"
        "Nov 21 00:00:02 mx1 postfix/smtp[2]: < smtp.relaycorp.net[203.0.113.5]:587: "
        "334 UGFzc3dvcmQ6\n"
        f"Nov 21 00:00:02 mx1 postfix/smtp[2]: > smtp.relaycorp.net[203.0.113.5]:587: {password}\n"
        # pcap dialogue text
        "C: AUTH LOGIN\nS: 334 VXNlcm5hbWU6\n"
        f"C: {base64.b64encode(b'jdoe').decode()}\nS: 334 UGFzc3dvcmQ6\n"
        f"C: {base64.b64encode(b'hunter22').decode()}\nS: 235 2.7.0 Authentication successful\n"
        "the user frank@acme-robotics.com logged in with Tr0ub4dor&3 and jdoe with hunter22\n"
    )
    for out in (
        filtered(tmp_path, conf, text),
        command(tmp_path, conf, text)[1],
        filtered(tmp_path, conf, text, mode="off"),
    ):
        for secret in (
            plain,
            user,
            password,
            "Tr0ub4dor&3",
            "hunter22",
            base64.b64encode(b"hunter22").decode(),
        ):
            assert secret not in out
        assert out.count("AUTH PLAIN " + SECRET_MASK) == 1
        assert "AUTH LOGIN" in out and "334 VXNlcm5hbWU6" in out and "334 UGFzc3dvcmQ6" in out
        assert "235 2.7.0 Authentication successful" in out and "postfix/smtp[2]:" in out
    out = filtered(tmp_path, conf, text)
    assert "frank@acme-robotics.com" not in out and "jdoe" not in out


def test_pasted_sasl_passwd_lines_in_free_text(tmp_path: Path) -> None:
    conf = site(tmp_path, MAIN_CF)
    text = (
        "my sasl_passwd is:\n"
        "# cat /etc/postfix/sasl_passwd\n"
        "[smtp.acme.com]:587 user@acme.com:secretpw99\n"
        "  mail.partner-site.co.uk   relay_account:Xy7$!k\n"
        "and transport says\nacme.com smtp:[mx.acme.com]:25\n"
        "Nov 21 00:00:01 mx1 postfix/smtp[5]: to=<a@acme.com>, relay=smtp.acme.com[203.0.113.9]:587,"
        " status=deferred (SASL authentication failed)\n"
    )
    status, out, err = command(tmp_path, conf, text)
    assert status == 0, err
    for value in ("secretpw99", "Xy7$!k", "relay_account", "acme", "partner-site"):
        assert value not in out, value
    assert out.count(SECRET_MASK) == 2 and "]:587 " in out
    assert " smtp:[" in out and "]:25" in out  # the transport line is not a password
    assert "# cat /etc/postfix/sasl_passwd" in out and "status=deferred" in out


INLINE_CF = """\
myhostname = mx1.acme-robotics.com
virtual_alias_maps = inline:{ { sales@acme-robotics.com=frank@partner-corp.com }, \
{ info@acme-robotics.com = bob.smith@acme-robotics.com }, jdoe=jane.doe }
smtp_sasl_password_maps = inline:{ {[smtp.relaycorp.net]:587 = relayuser:S3cret!}, \
{ mail.other-relay.de = frank@acme-robotics.com:pw2secret } }
transport_maps = inline:{acme-robotics.com=smtp:[10.1.2.3]:25}
"""


def test_inline_maps_keys_values_and_password_results(tmp_path: Path) -> None:
    conf = site(tmp_path, INLINE_CF)
    text = INLINE_CF + "Nov 21 00:00:01 mx1 postfix/local[9]: jdoe delivered to jane.doe\n"
    report_text = anonymize(_report(INLINE_CF), AnonSettings()).report.section("maincf").data["text"]  # type: ignore[union-attr]
    status, out, err = command(tmp_path, conf, text)
    assert status == 0, err
    for result in (out, report_text):
        for value in (
            "acme-robotics",
            "partner-corp",
            "relaycorp",
            "other-relay",
            "frank",
            "bob.smith",
            "jane.doe",
            "jdoe",
            "relayuser",
            "S3cret!",
            "pw2secret",
            "10.1.2.3",
        ):
            assert value not in result, value
        assert result.count(SECRET_MASK) == 2
        assert "virtual_alias_maps = inline:{ { " in result and "=smtp:[" in result
        assert re.search(
            r"smtp_sasl_password_maps = inline:\{ \{\[[\w.-]+\.net\]:587 = \w+:\*+\}, "
            r"\{ [\w.-]+\.de = \w+@[\w-]+\.com:\*+ \} \}",
            result,
        ), result
    assert "postfix/local[9]: " in out and " delivered to " in out
    off = command(tmp_path, conf, text, ["--no-anonymize"])[1]
    assert "S3cret!" not in off and "pw2secret" not in off and "relayuser:" + SECRET_MASK in off


def test_verbose_smtpd_sasl_logging_and_pasted_master_cf(tmp_path: Path) -> None:
    """smtpd -v with Cyrus SASL logs the responses decoded, with debug lines in between."""
    conf = site(tmp_path, MAIN_CF)
    head = "Nov 21 00:00:01 mx1 postfix/submission/smtpd[1]: "
    text = (
        f"{head}< unknown[198.51.100.1]: AUTH LOGIN\n"
        f"{head}xsasl_cyrus_server_auth_response: uncoded server challenge: Username:\n"
        f"{head}> unknown[198.51.100.1]: 334 VXNlcm5hbWU6\n"
        f"{head}watchdog_pat: 0x55d1c0a0\n"
        f"{head}< unknown[198.51.100.1]: {base64.b64encode(b'kwalsh').decode()}\n"
        f"{head}xsasl_cyrus_server_next: decoded response: kwalsh\n"
        f"{head}> unknown[198.51.100.1]: 334 UGFzc3dvcmQ6\n"
        f"{head}< unknown[198.51.100.1]: {base64.b64encode(b'Summer2026!').decode()}\n"
        f"{head}xsasl_cyrus_server_next: decoded response: Summer2026!\n"
        "submission inet n - y - - smtpd -o smtp_sasl_password_maps=static:u5er:P4ssword\n"
        "smtp/unix/smtp_sasl_password_maps = static:relay9:Qwerty12\n"
        "[smtp.gmail.com]:587 kwalsh.acme@gmail.com:abcd efgh ijkl mnop\n"
    )
    status, out, err = command(tmp_path, conf, text)
    assert status == 0, err
    for value in (
        "kwalsh",
        "Summer2026!",
        "P4ssword",
        "Qwerty12",
        "u5er",
        "relay9",
        "abcd efgh",
        base64.b64encode(b"Summer2026!").decode(),
    ):
        assert value not in out, value
    assert "decoded response: " + SECRET_MASK in out and "watchdog_pat: 0x55d1c0a0" in out
    assert "smtpd -o smtp_sasl_password_maps=static:" in out and "@gmail.com:" + SECRET_MASK in out
    assert "uncoded server challenge: Username:" in out and out.count("\n") == text.count("\n")


def test_database_accounts_in_their_servers_errors(tmp_path: Path) -> None:
    """MySQL's and PostgreSQL's own words name the table's database user; MySQL's `(using
    password: YES)` says whether a password was sent and is no password: it stays, with its
    parenthesis, and YES is not masked elsewhere either."""
    conf = site(tmp_path, MAIN_CF)
    text = (
        "Dec  7 11:00:02 mx1 postfix/proxymap[502]: warning: connect to mysql server 10.44.0.9: "
        "Access denied for user 'mailsrv'@'10.44.0.5' (using password: YES)\n"
        "Dec  7 11:00:03 mx1 postfix/proxymap[502]: warning: connect to mysql server 10.44.0.9: "
        "Access denied for user 'mailro'@'localhost' (using password: NO)\n"
        "Dec  7 11:00:04 mx1 postfix/proxymap[503]: warning: pgsql query failed: FATAL:  password "
        'authentication failed for user "pgmailer"\n'
        "Dec  7 11:00:05 mx1 postfix/proxymap[503]: warning: connect to pgsql server 10.44.0.10: "
        'FATAL:  role "vmailadm" does not exist\n'
        "Dec  7 11:00:06 mx1 postfix/smtpd[504]: reply: 250 YES) ok\n"
    )
    for out in (filtered(tmp_path, conf, text), command(tmp_path, conf, text)[1]):
        for original in ("mailsrv", "mailro", "pgmailer", "vmailadm"):
            assert original not in out, original
        assert out.count("(using password: YES)\n") == 1 and "(using password: NO)\n" in out
        assert "250 YES) ok" in out
        assert re.search(r"Access denied for user '[a-z]{7}'@'[\d.]+' \(using", out)
