"""Bare names the logs show by position: client and relay names, HELO names, Dovecot's users."""

from __future__ import annotations

import re
from pathlib import Path

from .leaks_helpers import command, filtered, site

MAIN_CF = "myhostname = mx1.northwind-traders.com\nmydomain = northwind-traders.com\n"

# Real-shaped lines: Postfix 3.7 and Dovecot 2.3 as they write to mail.log.
LOG = """\
Nov 21 00:10:02 mx1 dovecot: auth: passwd-file(jdoe,198.51.100.4,<Xy12>): Password mismatch
Nov 21 00:10:04 mx1 dovecot: auth-worker(1234): pam(alice,203.0.113.9): pam_authenticate() \
failed: Authentication failure (password mismatch?)
Nov 21 00:10:05 mx1 dovecot: imap-login: Login: user=<carol>, method=PLAIN, rip=203.0.113.9, \
lip=10.1.2.3, mpid=1234, TLS, session=<abcd>
Nov 21 00:10:08 mx1 dovecot: imap(alice)<4321><AbCdEf>: Disconnected: Logged out in=120 out=800
Nov 21 00:10:09 mx1 postfix/smtpd[7]: connect from mailgw[10.1.2.3]
Nov 21 00:10:09 mx1 postfix/smtpd[7]: NOQUEUE: reject: RCPT from unknown[203.0.113.9]: 554 5.7.1 \
<bob@gmail.com>: Relay access denied; from=<s@gmail.com> to=<bob@gmail.com> proto=ESMTP \
helo=<NORTHWIND-PC7>
Nov 21 00:10:10 mx1 postfix/smtp[8]: 1234ABC: to=<x@gmail.com>, relay=exch01[10.1.2.4]:25, \
delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)
Nov 21 00:10:11 mx1 postfix/smtp[8]: 1234ABD: to=<y@gmail.com>, relay=mx[10.1.2.5]:25, \
delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)
Nov 21 00:10:12 mx1 postfix/smtpd[7]: connect from localhost[127.0.0.1]
Nov 21 00:10:13 mx1 postfix/smtpd[7]: disconnect from unknown[203.0.113.9] ehlo=1 mail=1 quit=1
Nov 21 00:10:14 mx1 postfix/pickup[107]: 6C1C2D3E4F6: uid=1001 from=<hbauer>
Nov 21 00:10:14 mx1 postfix/local[108]: 6C1C2D3E4F6: to=<hbauer@mx1.northwind-traders.com>, \
orig_to=<hbauer>, relay=local, delay=0.1, status=sent (delivered to mailbox)
Nov 21 00:10:15 mx1 postfix/pickup[107]: 6C1C2D3E4F7: uid=0 from=<root>
"""


def test_bare_client_helo_and_dovecot_names_are_replaced(tmp_path: Path) -> None:
    conf = site(tmp_path, MAIN_CF)
    for out in (filtered(tmp_path, conf, LOG), command(tmp_path, conf, LOG)[1]):
        for original in ("jdoe", "alice", "carol", "mailgw", "exch01", "NORTHWIND-PC7", "hbauer"):
            assert not re.search(rf"\b{original}\b", out, re.IGNORECASE), original
        # Each replacement keeps the shape and is the same wherever the name stands.
        pam = re.search(r"pam\((\w+),", out)
        assert pam and len(pam.group(1)) == 5 and f"imap({pam.group(1)})<4321>" in out
        assert re.search(r"helo=<[A-Z]{9}-[A-Z]{2}\d>", out)
        assert re.search(r"relay=[a-z]{4}\d\d\[10\.", out)
        # Postfix's words, the PID brackets and protocol names stay as they are.
        assert "connect from localhost[127.0.0.1]" in out
        assert "connect from unknown[" in out and "postfix/smtpd[7]: connect from" in out
        assert ", relay=mx[10." in out and "dovecot: imap-login: Login: user=<" in out
        assert "auth-worker(1234): pam(" in out and "method=PLAIN" in out
        # A local user without a domain is the same user as in the address.
        local = re.search(r"to=<(\w+)@", out.split("postfix/local[108]")[1])
        assert local and f"from=<{local.group(1)}>" in out and f"orig_to=<{local.group(1)}>" in out
        assert "uid=0 from=<root>" in out


def test_an_unlearned_dovecot_user_is_not_refused(tmp_path: Path) -> None:
    conf = site(tmp_path, MAIN_CF)
    status, out, err = command(tmp_path, conf, LOG)
    assert status == 0, err
    assert out.count("\n") == LOG.count("\n")


LOCAL_AND_HEADERS = """\
Nov 21 00:10:16 mx1 postfix/local[7]: ABC129: to=<hbauer@mx1.northwind-traders.com>, \
orig_to=<root>, relay=local, delay=0.1, status=bounced (cannot update mailbox /var/mail/hbauer \
for user hbauer. destination /var/mail/hbauer is not owned by recipient)
Nov 21 00:10:17 mx1 postfix/local[7]: ABC130: to=<kmueller@mx1.northwind-traders.com>, \
relay=local, status=bounced (unknown user: "kmueller")
Nov 21 00:10:18 mx1 postfix/cleanup[5]: ABC131: reject: header From: "Hans Bauer" \
<hans.bauer@gmail.com> from unknown[203.0.113.9]; from=<x@gmail.com> to=<y@gmail.com> \
proto=ESMTP helo=<[203.0.113.9]>: 5.7.1 message content rejected
Nov 21 00:10:19 mx1 postfix/cleanup[5]: ABC132: warning: header To: Anna Schmidt \
<anna@gmail.com> from local; from=<> to=<y@gmail.com>
Nov 21 00:10:20 mx1 postfix/cleanup[5]: ABC133: warning: header From: Mail Delivery System \
<MAILER-DAEMON@mx1.northwind-traders.com> from local; from=<> to=<y@gmail.com>
"""


def test_local_users_and_display_names_are_replaced_role_names_kept(tmp_path: Path) -> None:
    conf = site(tmp_path, MAIN_CF)
    for out in (filtered(tmp_path, conf, LOCAL_AND_HEADERS), command(tmp_path, conf, LOCAL_AND_HEADERS)[1]):
        for original in ("hbauer", "kmueller", "Hans", "Bauer", "Anna", "Schmidt"):
            assert not re.search(rf"\b{original}\b", out, re.IGNORECASE), original
        user = re.search(r"to=<(\w+)@", out)
        assert user and f"/var/mail/{user.group(1)} for user {user.group(1)}. destination" in out
        assert re.search(r'\(unknown user: "(\w{8})"\)', out)
        assert re.search(r'header From: "[A-Z][a-z]{3} [A-Z][a-z]{4}" <', out)
        assert re.search(r"header To: [A-Z][a-z]{3} [A-Z][a-z]{6} <", out)
        assert "header From: Mail Delivery System <MAILER-DAEMON@" in out
        assert "reject: header From: " in out and "5.7.1 message content rejected" in out


PASTED_USER_DATABASES = """\
# /etc/dovecot/users (passwd-file)
hbauer@northwind-traders.com:{SHA512-CRYPT}$6$rounds=5000$abcdefgh$Zq0b1c2d3e4f5g6h7i8j9k0lmn\
opqrstuvwxyzABCDEFGHIJ./ab:5000:5000::/var/vmail/northwind-traders.com/hbauer::
# docker-mailserver postfix-accounts.cf
anna@northwind-traders.com|{PLAIN}Sommer2026!
carol@northwind-traders.com|$2y$10$abcdefghijklmnopqrstuuN0pQ9hX1dX5o5n5Z5Jc8f1mUe3lG6aW
/^(.*)-(.*)@northwind-traders\\.com$/ $1$2
amavis[500]: (00500-01) Passed CLEAN {RelayedInbound}, [203.0.113.9]:51234
"""


def test_password_hashes_and_scheme_tagged_passwords_are_masked(tmp_path: Path) -> None:
    conf = site(tmp_path, MAIN_CF)
    text = PASTED_USER_DATABASES
    for out in (filtered(tmp_path, conf, text), command(tmp_path, conf, text)[1]):
        for original in ("Zq0b1c2d", "{SHA512-CRYPT}", "Sommer2026", "$2y$10$", "hbauer"):
            assert original not in out, original
        assert re.search(r"^\w+@[\w-]+\.com:\*+:5000:5000::/var/vmail/[\w-]+\.com/\w+::$", out, re.M)
        assert re.search(r"^\w+@[\w-]+\.com\|\*+$", out, re.M)
        # A regexp table's `$1$2` and amavis' policy bank are no hashes.
        assert "$/ $1$2\n" in out and "Passed CLEAN {RelayedInbound}, [" in out


def test_a_multi_instance_syslog_name_hides_the_host_it_names(tmp_path: Path) -> None:
    conf = site(tmp_path, MAIN_CF)
    text = (
        "Nov 21 00:10:05 mx1 postfix-mx1/smtpd[3]: connect from unknown[203.0.113.9]\n"
        "mx1 postfix-out/smtp[4]: connect to gmail-smtp-in.l.google.com[192.0.2.7]:25\n"
        "  -o syslog_name=postfix-mx1\n"
    )
    for out in (filtered(tmp_path, conf, text), command(tmp_path, conf, text)[1]):
        host = re.search(r"^Nov 21 00:10:05 (\w+) ", out)
        assert host and host.group(1) != "mx1"
        assert f"{host.group(1)} postfix-{host.group(1)}/smtpd[3]: connect from unknown[" in out
        assert f"syslog_name=postfix-{host.group(1)}\n" in out and "postfix-out/smtp[4]" in out
        assert "mx1" not in out


def test_the_leak_check_sees_a_host_inside_an_instance_name() -> None:
    from postfinger_py.anonymize.engine import Engine
    from postfinger_py.anonymize.leak import LeakChecker

    engine = Engine(bytes(range(32)))
    engine.learn_host("mx1.northwind-traders.com", is_own_host=True)
    engine.freeze()
    engine.apply("mx1 and mx1.northwind-traders.com\n")  # records what it replaced
    checker = LeakChecker(engine)
    assert checker.find("Nov 21 00:10:05 nx8 postfix-mx1/smtpd[3]: connect\n") is not None
    assert checker.find("Nov 21 00:10:05 nx8 postfix-out/smtpd[3]: connect\n") is None


def test_strict_mode_does_not_refuse_a_name_it_spells_as_itself(tmp_path: Path) -> None:
    """`--anonymize=strict` writes `aaaa` as AAAA: that is its replacement, not a leak."""
    conf = site(tmp_path, "myhostname = aaaa.bluefinch.de\nmydomain = bluefinch.de\n")
    text = (
        "Nov 21 00:10:05 aaaa postfix/smtpd[3]: connect from aaaa.bluefinch.de[10.1.2.3] "
        "for user aaa and x@aaaa.de\n"
    )
    expected = (
        "Nov 21 00:10:05 AAAA postfix/smtpd[3]: connect from AAAA.AAAAAAAAA.de[DD.D.D.D] "
        "for user AAA and A@AAAA.de\n"
    )
    assert filtered(tmp_path, conf, text, mode="strict") == expected
    status, out, err = command(tmp_path, conf, text, ["--anonymize", "strict"])
    assert (status, out) == (0, expected), err
    # Any other letter is still hidden and still checked: `aaab` is no `a`-only name.
    other = text.replace("aaaa", "aaab")
    assert (
        "aaab"
        not in filtered(
            tmp_path, site(tmp_path, "myhostname = aaab.bluefinch.de\n"), other, mode="strict"
        ).lower()
    )


def test_dovecot_log_file_and_pam_unix_users(tmp_path: Path) -> None:
    """Dovecot's own log file (its lines do not say "dovecot") and pam_unix's ruser=/user=,
    in the forms of fail2ban's collected real logs."""
    conf = site(tmp_path, MAIN_CF)
    text = (
        "2013-08-11 03:56:40 auth-worker(default): Info: pam(jbrenner,203.0.113.4): "
        "pam_authenticate() failed: Authentication failure (password mismatch?)\n"
        "Dec 12 11:19:11 auth-worker(1234): Info: passwd-file(lwagner,10.1.2.3,<AbC>): unknown user\n"
        "Apr 19 05:22:20 vm5 auth: pam_unix(dovecot:auth): authentication failure; logname= uid=0 "
        "euid=0 tty=dovecot ruser=hmueller rhost=203.0.113.5  user=kschmidt\n"
    )
    for out in (filtered(tmp_path, conf, text), command(tmp_path, conf, text)[1]):
        for original in ("jbrenner", "lwagner", "hmueller", "kschmidt"):
            assert original not in out, original
        assert "pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0" in out
        assert re.search(r"Info: pam\([a-z]{8},[\d.]+\): pam_authenticate\(\) failed", out)
        assert re.search(r"tty=dovecot ruser=[a-z]{8} rhost=[\d.]+  user=[a-z]{8}\n", out)


def test_the_owner_of_a_mailbox_here_is_replaced_where_the_name_stands_alone(tmp_path: Path) -> None:
    """The local part of an address this server delivers to or authenticates (local, virtual,
    lmtp and pipe deliveries, sasl_username, Dovecot's user=<...>) is that user's name, and
    appears alone in other lines: procmail's argument, a home directory, spamd's user=."""
    conf = site(tmp_path, MAIN_CF)
    text = (
        "Nov 21 00:10:05 mx1 postfix/local[1236]: 8A1B2C3D4E: to=<jsmith@northwind-traders.com>, "
        "orig_to=<info@northwind-traders.com>, relay=local, delay=0.1, delays=0.05/0/0/0.05, "
        "dsn=2.0.0, status=sent (delivered to command: /usr/bin/procmail -a jsmith)\n"
        "Nov 21 00:10:06 mx1 postfix/virtual[1237]: 8A1B2C3D4F: to=<mkeller+lists@northwind-traders.com>, "
        "relay=virtual, delay=0.1, status=sent (delivered to maildir)\n"
        "Nov 21 00:10:07 mx1 postfix/smtpd[1238]: 2D3E4F5A6B: client=unknown[203.0.113.9], "
        "sasl_method=LOGIN, sasl_username=tvogel@northwind-traders.com\n"
        "Nov 21 00:10:08 mx1 dovecot: imap-login: Login: user=<pfranke@northwind-traders.com>, "
        "method=PLAIN, rip=203.0.113.9, lip=10.1.2.3, mpid=1234, TLS, session=<abcd>\n"
        "Nov 21 00:10:09 mx1 spamd[2001]: spamd: result: Y 15 - BAYES_99 scantime=2.1,size=4567,"
        "user=rhahn,uid=1001,required_score=5.0,rhost=127.0.0.1,autolearn=spam\n"
        "Nov 21 00:10:10 mx1 dovecot: lda(mkeller): sieve: msgid=<x@gmail.com>: stored mail into "
        "mailbox 'INBOX'\n"
        "Nov 21 00:10:11 mx1 cron[99]: (jsmith) CMD (/home/jsmith/bin/fetch; tvogel pfranke; echo info)\n"
        "Nov 21 00:10:12 mx1 postfix/smtp[1239]: 8A1B2C3D50: to=<info@gmail.com>, relay=none, "
        "delay=1, status=deferred (connect to gmail.com[192.0.2.7]:25: Connection timed out)\n"
    )
    for out in (filtered(tmp_path, conf, text), command(tmp_path, conf, text)[1]):
        for original in ("jsmith", "mkeller", "tvogel", "pfranke", "rhahn"):
            assert original not in out.lower(), original
        # Role names stay words: `info` is not learned as anyone's name.
        assert "; echo info)" in out
        assert "(delivered to command: /usr/bin/procmail -a " in out
        assert re.search(r",user=[a-z]{5},uid=1001,", out)
