"""Forms from a sweep of public real-world logs (fail2ban's, docker-mailserver's, mailcow's and
postfix-users' pasted lines) that were refused or leaked: each is a class, tested in a few shapes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .leaks_helpers import command, filtered, site

MAIN_CF = "myhostname = mx1.northwind-traders.com\nmydomain = northwind-traders.com\n"

PREFIXED = [
    # docker logs -t: the container runtime's own time before syslog's
    "2024-07-03T17:18:06.123456789Z Jul  3 19:18:06 mxgate postfix/smtpd[7610]: connect from x[10.5.0.1]",
    # docker compose: the service name and a bar
    "mailserver  | Jul  3 19:18:06 mxgate postfix/smtpd[7610]: connect from unknown[10.5.0.1]",
    "postfix-mailcow_1  | Jul  3 19:18:06 mxgate postfix/smtpd[7610]: connect from unknown[10.5.0.1]",
    # RFC 5424
    "<22>1 2024-07-03T19:18:06.123+02:00 mxgate postfix/smtpd 7610 - - connect from unknown[10.5.0.1]",
    # rsyslog's high-precision and ISO forms with a space, syslog's with a year
    "2024-07-03 19:18:06,123 mxgate postfix/smtpd[7610]: connect from unknown[10.5.0.1]",
    "Jul  3 2024 19:18:06 mxgate postfix/smtpd[7610]: connect from unknown[10.5.0.1]",
]


@pytest.mark.parametrize("line", PREFIXED)
def test_the_syslog_host_behind_what_log_shippers_add(line: str, tmp_path: Path) -> None:
    conf = site(tmp_path, MAIN_CF)
    text = line + "\nJul  3 19:18:07 mx1 postfix/smtpd[7610]: disconnect from unknown[10.5.0.1]\n"
    status, out, err = command(tmp_path, conf, text)
    assert status == 0, err  # the month was learned as the host, and refused where it stood
    assert "mxgate" not in out
    prefix = line.split("mxgate")[0]
    assert out.startswith(prefix), "the shipper's prefix and the time stay as they were"
    assert "\nJul  3 19:18:07 " in out and " postfix/smtpd[7610]: disconnect from unknown[" in out


def test_a_name_whose_last_label_is_no_top_level_domain_is_not_refused(tmp_path: Path) -> None:
    conf = site(tmp_path, MAIN_CF)
    text = "to=<hbauer@mail.x>, relay=a.b.c[192.0.2.1]:25\nx@y.z\n"
    status, out, err = command(tmp_path, conf, text)
    assert status == 0, err
    assert out.count("\n") == 2


def test_a_learned_host_inside_a_kept_documentation_address_is_not_refused(tmp_path: Path) -> None:
    # fail2ban's test log: `RCPT from foo[...]` and, later, `foo.bar-admin@...example.com`.
    conf = site(tmp_path, MAIN_CF)
    text = (
        "Nov 21 00:10:09 mx1 postfix/smtpd[7]: NOQUEUE: reject: RCPT from foo[198.51.100.7]: 554 5.7.1 "
        "<x@gmail.com>: Relay access denied; from=<s@gmail.com> to=<x@gmail.com> proto=ESMTP helo=<foo>\n"
        "Nov 21 00:10:10 mx1 roundcube: Failed login for foo.bar-admin@some-thing.example.com from "
        "192.0.2.9\n"
    )
    status, out, err = command(tmp_path, conf, text)
    assert status == 0, err
    assert "foo.bar-admin@some-thing.example.com" in out  # documentation: kept whole, on purpose
    assert not re.search(r"RCPT from foo\[", out) and "helo=<foo>" not in out
    assert filtered(tmp_path, conf, text) == out


def test_users_named_by_position_in_other_daemons_logs(tmp_path: Path) -> None:
    conf = site(tmp_path, MAIN_CF)
    text = (
        "Jul  4 18:39:39 mx1 courieresmtpd: error,relay=::ffff:198.51.100.4,from=<a@gmail.com>,"
        "to=<u@northwind-traders.com>: 550 User <hbauer> unknown\n"
        "[10-May-2015 13:02:52 -0400]: Failed login for kmeier from 198.51.100.4 in session 1z5 (error: 0)\n"
        "Jul 11 03:06:37 mx1 roundcube: IMAP Error: Login failed for lwagner from 198.51.100.4. "
        "AUTHENTICATE PLAIN: A0002 NO Login failed.\n"
        "Jul 30 11:39:07 mx1 saslauthd[1771]: do_auth         : auth failure: [user=tvogel] "
        "[service=smtp] [realm=] [mech=pam] [reason=PAM auth error]\n"
        "Jun  2 03:44:12 mx1 saslauthd[8507]: pam_succeed_if(smtp:auth): error retrieving information "
        "about user pfranke\n"
        "Jan  4 21:51:05 mx1 cyrus/imap[5355]: badlogin: mx.gmail.com [198.51.100.4] plaintext rhahn "
        "SASL(-13): authentication failure: checkpass failed\n"
        "Feb  1 08:45:57 mx1 dovecot: lda(jschulz)<1640><8ntICTWUfmloBgAA8Bi3+g>: saved mail to INBOX\n"
        "Jun  2 23:17:22 mx1 dovecot: IMAP(mkoch): Disconnected: Logged out bytes=1152/16042\n"
        "Feb  1 08:45:57 mx1 dovecot: indexer-worker(akrause)<123><abc:def>: Info: x\n"
        "Feb  1 08:45:57 mx1 dovecot: sieve(bweber): Info: x; doveadm(bweber), deliver(bweber)\n"
        "Jun  2 23:17:22 mx1 dovecot: lmtp(x@northwind-traders.com): Error: quota: Quota exceeded "
        "(mailbox for user is full)\n"
        "Jun  2 23:17:23 mx1 postfix/smtpd[1]: the mail system is down\n"
    )
    for out in (filtered(tmp_path, conf, text), command(tmp_path, conf, text)[1]):
        for original in ("hbauer", "kmeier", "lwagner", "tvogel", "pfranke", "rhahn", "jschulz", "mkoch"):
            assert original not in out, original
        assert "akrause" not in out and "bweber" not in out
        # Prose is no name: `is` was learned from "for user is full" and replaced everywhere.
        assert "(mailbox for user is full)" in out and "the mail system is down" in out
        assert re.search(r"\[user=[a-z]{6}\] \[service=smtp\]", out)


def test_passwords_in_dovecot_debug_logs_and_pasted_command_lines(tmp_path: Path) -> None:
    conf = site(tmp_path, MAIN_CF)
    text = (
        "Jun 13 16:30:54 mx1 dovecot: auth: Debug: client in: AUTH\t1\tPLAIN\tservice=imap\tsecured"
        "\tlip=10.0.0.1\trip=10.1.2.3\tresp=AGhiYXVlcgBTb21tZXIyMDI0IQ==\n"
        "# testsaslauthd -u jdoe -p Winter2025 -s smtp\n"
        "# doveadm auth test jdoe@northwind-traders.com Fr0sty-Night\n"
        "# zmprov sp admin@northwind-traders.com q12e3r4\n"
        "# swaks --to u@gmail.com --auth LOGIN --auth-user u@northwind-traders.com "
        "--auth-password superCool@007 -tls\n"
        "# setup email add anna@northwind-traders.com 'Blue!Moon42'\n"
        "# mysql -u postfix -pDbS3cr3t postfix\n"
        "# printf '\\0jdoe@northwind-traders.com\\0Winter2025' | base64\n"
        "Jun 13 16:30:55 mx1 dovecot: auth: passwd-file(jdoe,10.1.2.3): Password mismatch "
        "(given password: Sommer2024!)\n"
    )
    for out in (filtered(tmp_path, conf, text), command(tmp_path, conf, text)[1]):
        for secret in (
            "AGhiYXVlcgBTb21tZXIyMDI0IQ==", "Sommer2024!", "Winter2025", "Fr0sty-Night", "q12e3r4",
            "superCool@007", "Blue!Moon42", "DbS3cr3t",
        ):  # fmt: skip
            assert secret not in out, secret
        assert "jdoe" not in out and "hbauer" not in out  # (the user inside the base64 too)
        assert "resp=********\n" in out and "(given password: ********)\n" in out
        assert "--auth-password ******** -tls" in out


@pytest.mark.parametrize("label", ["in", "out", "report", "system", "help", "anonymization"])
def test_a_host_named_like_a_word_of_the_report_is_reported_not_refused(label: str, tmp_path: Path) -> None:
    """The report refused itself (exit 4) when the host's first label is a word of its own
    text (`in.kestrel-logistics.co.uk`): the word was learned as the bare host name."""
    import io
    from datetime import datetime, timezone

    from postfinger_py.cli import main
    from postfinger_py.env import Env

    conf = site(
        tmp_path,
        f"myhostname = {label}.kestrel-logistics.co.uk\nsmtpd_banner = $myhostname ESMTP word {label} kept\n",
    )
    (conf / "master.cf").write_text("smtp      inet  n       -       y       -       -       smtpd\n")
    out, err = io.StringIO(), io.StringIO()
    env = Env(
        stdout=out, stderr=err, stdin=io.BytesIO(b""), environ={}, clock=lambda: datetime.now(timezone.utc)
    )
    status = main(["-c", str(conf), "--anon-key", str(tmp_path / "key"), "--only", "maincf,mastercf"], env)
    text = out.getvalue()
    assert status == 0, err.getvalue()
    assert "kestrel" not in text.lower()
    host = text.split("myhostname = ")[1].split("\n")[0]
    assert host.endswith(".co.uk") and not host.startswith(label + ".")
    assert f"ESMTP word {label} kept" in text  # the word is no name: not replaced
    assert "==== END OF POSTFINGER REPORT ====" in text


def test_the_report_words_list_is_current() -> None:
    from postfinger_py.anonymize import reportwords

    assert reportwords.OUT.read_text(encoding="utf-8") == reportwords.render(reportwords.report_words()), (
        "the report's wording changed: run `python -m postfinger_py.anonymize.reportwords`"
    )


def test_what_names_carry_that_is_not_the_site_stays(tmp_path: Path) -> None:
    """Damage from the log sweep: a reply code read as a label (`250-mail...` became `148-...`),
    an IDN's ACE prefix replaced (`xn--` became `ll--`), a redaction marker (`XXX.XXX.XXX.XXX`,
    .xxx being a real TLD) replaced, and the local part of Postfix's own Message-ID (the time and
    the queue ID the log names as it is) replaced."""
    conf = site(tmp_path, MAIN_CF)
    text = (
        "Jul 03 19:18:06 mx1 postfix/smtpd[7610]: > unknown[10.5.0.1]: 250-mail.acme-widgets.de\n"
        "Aug 19 07:50:59 mx1 postfix/smtp[1]: 4ABD: to=<info@xn--mller-kva.de>, "
        "relay=mx.xn--mller-kva.de[81.2.3.4]:25, status=sent (250 ok)\n"
        "Aug 20 18:15:41 mx1 postgrey[92981]: action=greylist, client_address=XXX.XXX.XXX.XXX, "
        "client_name=xxxx.xxx\n"
        "Jan 20 06:25:14 mx1 postfix/cleanup[15203]: 7B35136FA61: "
        "message-id=<20210119212514.7B35136FA61@mx1.northwind-traders.com>\n"
    )
    status, out, err = command(tmp_path, conf, text)
    assert status == 0, err
    lines = out.split("\n")
    assert ": 250-" in lines[0] and "acme-widgets" not in lines[0] and lines[0].endswith(".de")
    assert "mller" not in lines[1] and lines[1].count("@xn--") == 1 and "relay=mx.xn--" not in lines[1]
    assert "relay=" in lines[1] and ".xn--" in lines[1].split("relay=")[1]
    assert "client_address=XXX.XXX.XXX.XXX, client_name=xxxx.xxx" in lines[2]
    assert "message-id=<20210119212514.7B35136FA61@" in lines[3] and "northwind" not in lines[3]


def test_the_client_name_in_verbose_smtpd_dialogue_is_replaced(tmp_path: Path) -> None:
    conf = site(tmp_path, MAIN_CF)
    text = (
        "Jul 03 19:18:06 mx1 postfix/smtpd[7610]: < unknown[10.5.0.1]: EHLO WIN-PC7\n"
        "Jul 03 19:18:06 mx1 postfix/smtpd[7610]: > unknown[10.5.0.1]: 250-mx1.northwind-traders.com\n"
    )
    status, out, err = command(tmp_path, conf, text)
    assert status == 0, err
    assert "WIN-PC7" not in out
    helo = out.split("EHLO ")[1].split("\n")[0]
    assert len(helo) == 7 and helo[3] == "-", "shape kept"


def test_the_words_of_a_quoted_local_part_are_replaced(tmp_path: Path) -> None:
    conf = site(tmp_path, MAIN_CF)
    text = '"rob hendry"@northwind-traders.com OK\nask Rob Hendry or rob\n'
    status, out, err = command(tmp_path, conf, text)
    assert status == 0, err
    assert "rob" not in out.lower() and "hendry" not in out.lower()
    assert out.startswith('"') and '"@' in out and out.count(" ") == 6
