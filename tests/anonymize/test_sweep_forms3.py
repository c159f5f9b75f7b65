"""Forms from the sweep of real logs that still leaked: a client's network written as its first
octets outside any table (sqlgrey's class C, a reverse zone). Each through the whole command,
and the leak check, which must know the same form."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path

import pytest

from postfinger_py.anonymize import learn
from postfinger_py.anonymize.engine import Engine
from postfinger_py.anonymize.leak import LeakChecker

from .leaks_helpers import command, site

MAIN_CF = "myhostname = mx1.kestrel-logistics.co.uk\nmydomain = kestrel-logistics.co.uk\n"
CLIENT = "81.2.69.160"


def _mapped_prefix(out: str, octets: int = 3) -> str:
    """The first octets of the (first) address the output gives the client."""
    v4 = [a for a in re.findall(r"\d+\.\d+\.\d+\.\d+", out) if _is_v4(a)]
    assert v4, out
    return ".".join(v4[0].split(".")[:octets])


def _is_v4(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize(
    "line",
    [
        f"Dec  7 10:00:10 mx1 sqlgrey: grey: new: 81.2.69({CLIENT}), anna@orchard.de -> hb@kestrel.co.uk",
        f"Dec  7 10:00:11 mx1 sqlgrey: grey: domain awl match: updating 81.2.69({CLIENT}), orchard.de",
        # The network alone on its line: the address that shows it is a network is elsewhere.
        "Dec  7 10:00:12 mx1 sqlgrey: grey: from awl: 81.2.69, orchard.de added",
    ],
)
def test_a_clients_class_c_beside_its_address_maps_as_the_address(line: str, tmp_path: Path) -> None:
    """sqlgrey logs the client's /24 as `81.2.69`: it was printed in clear beside the replaced
    address, which tells the helper (and anyone) the client's network."""
    conf = site(tmp_path, MAIN_CF)
    text = f"Dec  7 10:00:01 mx1 postfix/smtpd[1]: connect from unknown[{CLIENT}]\n{line}\n"
    status, out, err = command(tmp_path, conf, text)
    assert status == 0, err
    assert "81.2.69" not in out
    prefix = _mapped_prefix(out.split("\n")[0])
    assert f" {prefix}" in out.split("\n")[1], "the network maps as its address does"


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        ("Dec  7 10:00:04 mx1 postfix/smtp[3]: 1A2B3C: to=<root>, dsn=5.7.1, status=bounced", "dsn=5.7.1,"),
        ("Dec  7 10:00:04 mx1 postfix/master[1]: daemon started -- version 3.7.11, configuration", "3.7.11,"),
    ],
)
def test_three_numbers_that_no_address_starts_with_are_kept(line: str, kept: str, tmp_path: Path) -> None:
    """A status code or a version is no network: kept (the status code even beside an address
    in 5.7.1.0/24: its form is never taken for one)."""
    conf = site(tmp_path, MAIN_CF)
    text = f"Dec  7 10:00:01 mx1 postfix/smtpd[1]: connect from unknown[5.7.1.9]\n{line}\n"
    status, out, err = command(tmp_path, conf, text)
    assert status == 0, err
    assert "5.7.1.9" not in out
    assert kept in out.split("\n")[1]


@pytest.mark.parametrize(
    ("zone", "octets"),
    [("69.2.81.in-addr.arpa", 3), ("2.81.in-addr.arpa", 2), ("69.2.81.IN-ADDR.ARPA.", 3)],
)
def test_a_reverse_zone_maps_as_its_network(zone: str, octets: int, tmp_path: Path) -> None:
    """`zone 69.2.81.in-addr.arpa/IN: loaded` names the site's /24, reversed: it was kept while
    the zone's addresses (and a four-octet reverse name) were replaced."""
    conf = site(tmp_path, MAIN_CF)
    text = (
        f"Dec  7 10:00:01 mx1 postfix/smtpd[1]: connect from unknown[{CLIENT}]\n"
        f"Dec  7 10:00:02 mx1 named[2]: zone {zone}/IN: loaded serial 2026120701\n"
    )
    status, out, err = command(tmp_path, conf, text)
    assert status == 0, err
    assert zone.split(".in")[0].split(".IN")[0] not in out
    prefix = _mapped_prefix(out.split("\n")[0], octets)
    reverse = ".".join(reversed(prefix.split(".")))
    assert f"zone {reverse}.{zone.split('.', octets)[-1]}/IN" in out


def test_the_leak_check_knows_a_short_network() -> None:
    """The fail-closed check finds a learned three-octet network that survives, whole (not
    inside a longer number, where the engine leaves it too)."""
    e = Engine(b"k" * 32)
    text = f"grey: new: 81.2.69({CLIENT}), a@b.de\nzone 69.2.81.in-addr.arpa loaded\n"
    learn.learn_free_text(e, text)
    e.freeze()
    out = e.apply(text)
    assert "81.2.69" not in out and "69.2.81" not in out
    checker = LeakChecker(e)
    assert checker.find(out) is None
    assert checker.find(out + "from awl: 81.2.69, b.de\n") is not None
    assert checker.find(out + "zone 69.2.81.in-addr.arpa\n") is not None
    assert checker.find(out + "version 1.81.2.69\n") is None


KEY_TABLE = (
    "# cat /etc/opendkim/KeyTable\n"
    "mail2026._domainkey.kestrel-logistics.co.uk "
    "kestrel-logistics.co.uk:mail2026:/etc/opendkim/keys/kestrel-logistics.co.uk/mail2026.private\n"
    "# cat /etc/opendkim/SigningTable\n"
    "*@kestrel-logistics.co.uk mail2026._domainkey.kestrel-logistics.co.uk\n"
)


def test_an_opendkim_key_table_is_no_password_map(tmp_path: Path) -> None:
    """`sel._domainkey.example.com example.com:sel:/path` was read as sasl_passwd's `host
    user:password`: the key file's path was masked, and the site's domain, learned as a user,
    got another replacement there and everywhere after (its `.co.uk` replaced too)."""
    conf = site(tmp_path, MAIN_CF)
    text = KEY_TABLE + "Dec  7 10:00:01 mx1 postfix/qmgr[9]: 1A2B3C: from=<hb@kestrel-logistics.co.uk>\n"
    status, out, err = command(tmp_path, conf, text)
    assert status == 0, err
    assert "kestrel" not in out and "********" not in out
    domain = out.split("from=<")[1].split("@")[1].split(">")[0]
    assert domain.endswith(".co.uk")
    lines = out.split("\n")
    assert (
        lines[1]
        == f"mail2026._domainkey.{domain} {domain}:mail2026:/etc/opendkim/keys/{domain}/"
        + (lines[1].rsplit("/", 1)[1])
    )
    assert lines[3] == f"*@{domain} mail2026._domainkey.{domain}"


def test_a_sasl_passwd_line_is_still_a_password_map(tmp_path: Path) -> None:
    """The KeyTable's exception does not reach sasl_passwd(5): its password is masked."""
    conf = site(tmp_path, MAIN_CF)
    text = "[smtp.kestrel-isp.net]:587 relay@kestrel-isp.net:Pa55w:rd/x\n"
    status, out, err = command(tmp_path, conf, text)
    assert status == 0, err
    assert "Pa55w" not in out and out.endswith(":********\n"), out


@pytest.mark.parametrize(
    "subject",
    [
        "=?UTF-8?Q?Rechnung_f=C3=BCr_Kestrel_Logistics?=",
        "=?UTF-8?Q?Kestrel_Logistics_Rechnung?=",
        "Invoice_Kestrel_Logistics.pdf",
        "Kestrel Logistics",
    ],
)
def test_the_sites_name_after_an_underscore_is_replaced_as_words(subject: str, tmp_path: Path) -> None:
    """In an RFC 2047 word `_` is a space: `..._Kestrel_Logistics` was kept but for its first
    word (`Usrzgrs_Logistics`), which shows the name as plainly."""
    conf = site(tmp_path, MAIN_CF)
    text = (
        "Dec  7 10:00:01 mx1 postfix/cleanup[4]: 4E5F6A: warning: header Subject: Kestrel Logistics Ltd\n"
        f"Dec  7 10:00:02 mx1 postfix/cleanup[4]: 4E5F6B: warning: header Subject: {subject}\n"
    )
    status, out, err = command(tmp_path, conf, text)
    assert status == 0, err
    assert "kestrel" not in out.lower() and "logistics" not in out.lower(), out
    words = out.split("Subject: ")[1].split(" Ltd")[0].split(" ")
    assert any(sep.join(words) in out.split("\n")[1] for sep in "_ "), "replaced as the same words"


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        ("Thanks, Kestrel Logistics.", "."),
        ("see kestrellogistics.com", ".com"),
    ],
)
def test_the_sites_name_as_words_before_a_dot(line: str, kept: str, tmp_path: Path) -> None:
    """At a sentence's end the name was kept (a dot after it was read as a domain's); glued
    into one label of a domain it is that domain's, replaced as a domain."""
    conf = site(tmp_path, MAIN_CF)
    status, out, err = command(tmp_path, conf, line + "\n")
    assert status == 0, err
    assert "kestrel" not in out.lower() and "logistics" not in out.lower(), out
    assert out.endswith(kept + "\n")


def test_an_organizations_name_in_a_dn_is_hidden_wherever_it_stands(tmp_path: Path) -> None:
    """`o=Meridian Freight` of bind_dn was replaced there, but printed in clear in the
    query_filter's `memberOf=` DN and in the log; its words are now the site's, replaced
    word by word the same everywhere. The company's legal form (`Ltd`) is no name."""
    conf = site(tmp_path, MAIN_CF)
    text = (
        "bind_dn = cn=Manager,o=Meridian Freight Ltd,c=DE\n"
        "query_filter = (&(mail=%s)(memberOf=cn=mailusers,ou=Groups,o=Meridian Freight Ltd))\n"
        'Dec  7 10:00:01 mx1 slapd[5]: conn=1 op=1 BIND dn="uid=hbauer,ou=People,o=Meridian Freight Ltd"\n'
        "Dec  7 10:00:02 mx1 postfix/cleanup[4]: 4E5F6A: warning: header Subject: Meridian Freight invoice\n"
    )
    status, out, err = command(tmp_path, conf, text)
    assert status == 0, err
    assert "meridian" not in out.lower() and "freight" not in out.lower() and "hbauer" not in out, out
    org = out.split("o=")[1].split(",c=")[0]
    assert org.endswith(" Ltd") and len(org) == len("Meridian Freight Ltd")
    lines = out.split("\n")
    assert f"o={org})" in lines[1], "the same words in the filter's DN"
    assert f'o={org}"' in lines[2] and org[: -len(" Ltd")] + " invoice" in lines[3]


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ("dnpass = Ld4pP4ss!2026", "Ld4pP4ss!2026"),  # Dovecot's LDAP bind password
        ("db_password = DbPw-2026x", "DbPw-2026x"),
        ("DB_PASS=EnvPw2026y", "EnvPw2026y"),  # an .env file
        ("MYSQL_ROOT_PASSWORD: Compose2026z", "Compose2026z"),  # docker-compose
        ('  "password": "JsonPw 2026q",', "JsonPw 2026q"),  # JSON, a space inside
        ("$db_pass = 'PerlPw2026';", "PerlPw2026"),  # amavisd.conf, perl
        ('poll pop.kestrel-isp.net user "hb" password "Fm!pw2026" is hb here', "Fm!pw2026"),  # fetchmailrc
        ("poll pop.kestrel-isp.net user 'hb' pass 'Fm2pw2026' is hb here", "Fm2pw2026"),
        ("ssl_key_password = KeyPw2026", "KeyPw2026"),
        ("client_secret: Oauth2Secret", "Oauth2Secret"),
    ],
)
def test_a_secret_under_any_password_key_is_masked(line: str, secret: str, tmp_path: Path) -> None:
    """Only `password`, `passwd`, `pass`, `secret`... standing alone were keys: `dnpass`,
    `db_password`, an .env file's `DB_PASS`, JSON's quoted key and a quoted value after a space
    (fetchmailrc) were printed in clear. The secret is masked wherever it appears after."""
    conf = site(tmp_path, MAIN_CF)
    status, out, err = command(tmp_path, conf, f"{line}\nlogin with {secret} failed\n")
    assert status == 0, err
    assert secret not in out, out
    assert out.split("\n")[1] == "login with ******** failed"


@pytest.mark.parametrize(
    "line",
    [
        "smtp_sasl_password_maps = hash:/etc/postfix/sasl_passwd",
        "Dec  7 10:00:01 mx1 postfix/smtp[1]: warning: hash:/etc/postfix/sasl_passwd: No such file",
        "Authentication-Results: mx1; dkim=pass header.d=orchard.de; spf=pass smtp.mailfrom=orchard.de",
        "default_pass_scheme = SHA512-CRYPT",
        "Dec  7 10:00:02 mx1 dovecot: auth: Error: passwd-file(hb,10.44.0.9): no passwd file",
    ],
)
def test_what_only_looks_like_a_password_is_kept(line: str, tmp_path: Path) -> None:
    """Parameter names, file names, `dkim=pass`, a password scheme: no secret,
    and nothing of them is masked (a learned secret is masked wherever it stands)."""
    conf = site(tmp_path, MAIN_CF)
    status, out, err = command(tmp_path, conf, line + "\nNo such file: yes\n")
    assert status == 0, err
    assert "********" not in out, out
    assert out.endswith("No such file: yes\n")


@pytest.mark.parametrize(
    "line",
    [
        "[mailhub]:587 relay:Secr3tAbc",  # a user named like a transport, after a relay's port
        "[mailhub] kuser:Secr3tAbc",
        "[smtp.kestrel-isp.net]:587 kuser@kestrel-isp.net:Secr3tAbc",
    ],
)
def test_a_pasted_sasl_passwd_line_is_masked(line: str, tmp_path: Path) -> None:
    """`[mailhub]:587 relay:pw` was read as a transport(5) line (`relay:` a transport)."""
    conf = site(tmp_path, MAIN_CF)
    status, out, err = command(tmp_path, conf, line + "\n")
    assert status == 0, err
    assert "Secr3tAbc" not in out and out.endswith(":********\n"), out


def test_a_reports_tags_and_endpoints_are_no_sasl_passwd(tmp_path: Path) -> None:
    """postfinger's own report given to `postfinger anonymize`: `[problem] 127.0.0.1:2526/inet:
    ...` and `127.0.0.1:2525  (127.0.0.1:2525)` were read as `host user:password`, and their
    words masked wherever they stood."""
    conf = site(tmp_path, MAIN_CF)
    text = (
        "[problem] 127.0.0.1:2526/inet: mynetworks includes 0.0.0.0/0: an open relay.\n"
        "  127.0.0.1:2525  (127.0.0.1:2525)\n"
        "an open relay.\n"
    )
    status, out, err = command(tmp_path, conf, text)
    assert status == 0, err
    assert out == text


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("/etc/postfix/ldap-aliases-kestrel.cf", ".cf"),
        ("/etc/postfix/sender-checks-kestrel-logistics.pcre", ".pcre"),
        ("/etc/ssl/private/mx1-kestrel.key", ".key"),
    ],
)
def test_the_sites_name_before_a_files_extension_is_replaced(name: str, kept: str, tmp_path: Path) -> None:
    """Joined by `-` before it and ending the file's name (`-kestrel.cf`), the site's name was
    kept: a dot after it was read as a domain's."""
    conf = site(tmp_path, MAIN_CF)
    status, out, err = command(tmp_path, conf, f"alias_maps = ldap:{name}\n")
    assert status == 0, err
    assert "kestrel" not in out and out.endswith(kept + "\n"), out
    assert out.count("/") == name.count("/") and len(out) == len(f"alias_maps = ldap:{name}\n")


@pytest.mark.parametrize(
    "number", ["+44 20 7946 0958", "+49 (0)89 1234567-0", "+1-202-555-0143", "+4420794609"]
)
def test_a_telephone_number_in_a_pasted_message_is_replaced(number: str, tmp_path: Path) -> None:
    """A signature in `postcat -q` output: the number was printed in clear. Its digits are
    replaced (the same number the same), its `+` and separators kept."""
    conf = site(tmp_path, MAIN_CF)
    text = f"Regards, Hans\nTel. {number} | Fax {number}.\n"
    status, out, err = command(tmp_path, conf, text)
    assert status == 0, err
    got = out.split("Tel. ")[1].split(" | ")[0]
    assert got != number and len(got) == len(number) and got[0] == "+"
    assert [c.isdigit() for c in got] == [c.isdigit() for c in number]
    assert f"Fax {got}." in out


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        ("Date: Mon,  7 Dec 2026 10:00:01 +0000 (GMT)", "+0000 (GMT)"),
        ("b=AbC+12345678901a; bh=47DEQpj8+123456789=;", "AbC+12345678901a; bh=47DEQpj8+123456789=;"),
        ("Dec  7 10:00:01 mx1 postfix/smtpd[1]: warning: +123456 is no number", "+123456 is no"),
    ],
)
def test_what_is_no_telephone_number_is_kept(line: str, kept: str, tmp_path: Path) -> None:
    """A time zone, base64 (a `+` after a letter), a number too short to be one: kept."""
    conf = site(tmp_path, MAIN_CF)
    status, out, err = command(tmp_path, conf, line + "\n")
    assert status == 0, err
    assert kept in out, out


def test_the_login_in_a_sender_login_mismatch_is_replaced(tmp_path: Path) -> None:
    """smtpd's `Sender address rejected: not owned by user j.meier` named the SASL login in
    clear; it is learned as a user, so it is replaced the same where it stands later."""
    conf = site(tmp_path, MAIN_CF)
    text = (
        "Dec  7 10:00:08 mx1 postfix/submission/smtpd[2]: NOQUEUE: reject: RCPT from unknown[192.0.2.9]: "
        "553 5.7.1 <ceo@kestrel-logistics.co.uk>: Sender address rejected: not owned by user j.meier; "
        "from=<ceo@kestrel-logistics.co.uk> to=<x@gmail.com> proto=ESMTP helo=<pc>\n"
        "Dec  7 10:00:09 mx1 cron[5]: (j.meier) CMD (fetchmail)\n"
    )
    status, out, err = command(tmp_path, conf, text)
    assert status == 0, err
    assert "meier" not in out
    login = out.split("not owned by user ")[1].split(";")[0]
    assert f"({login}) CMD" in out


@pytest.mark.parametrize(
    "line",
    [
        "Dec  7 10:00:01 mx1 postfix/sendmail[321]: fatal: dkoch(1001): No recipient addresses found",
        "Dec  7 10:00:02 mx1 postfix/sendmail[322]: fatal: User dkoch(1002) is not allowed to submit mail",
        "Dec  7 10:00:03 mx1 postfix/postqueue[323]: fatal: User dkoch(1003) is not allowed to view it",
        "Dec  7 10:00:07 mx1 sudo:   dkoch : TTY=pts/0 ; PWD=/tmp ; USER=root ; COMMAND=/usr/sbin/postsuper",
        "Dec  7 10:00:08 mx1 su[90]: (to root) dkoch on pts/1",
        "Dec  7 10:00:09 mx1 sshd[91]: Accepted publickey for dkoch from 192.0.2.7 port 51514 ssh2: ED25519",
    ],
)
def test_a_local_user_named_by_the_system_is_replaced(line: str, tmp_path: Path) -> None:
    """sendmail(1)'s and postqueue(1)'s `user(uid)`, and sudo, su and sshd in a combined log,
    named the local user in clear; learned, the name is replaced where it stands later."""
    conf = site(tmp_path, MAIN_CF)
    status, out, err = command(tmp_path, conf, f"{line}\nDec  7 10:00:10 mx1 cron[5]: (dkoch) CMD (true)\n")
    assert status == 0, err
    assert "dkoch" not in out
    user = out.split("(")[-2].split(")")[0]
    assert user in out.split("\n")[0]


def test_a_user_a_client_tried_is_no_local_user(tmp_path: Path) -> None:
    """sshd's `Failed password for invalid user admin`: a name an attacker tried, not the site's."""
    conf = site(tmp_path, MAIN_CF)
    line = "Dec  7 10:00:09 mx1 sshd[91]: Failed password for invalid user oracle from 192.0.2.7 port 1 ssh2"
    status, out, err = command(tmp_path, conf, f"{line}\nthe oracle database\n")
    assert status == 0, err
    assert out.endswith("the oracle database\n")


def test_an_ipv6_reverse_name_maps_as_its_network_or_address(tmp_path: Path) -> None:
    """ip6.arpa names (nibbles, the last first) were kept: a zone tells the site's /64, a
    PTR query the client's address. They map as the network and the address do."""
    conf = site(tmp_path, MAIN_CF)
    text = (
        "Dec  7 10:00:01 mx1 postfix/smtpd[1]: connect from unknown[2a01:4f8:c0c:1234::25]\n"
        "Dec  7 10:00:01 mx1 named[2]: zone 4.3.2.1.c.0.c.0.8.f.4.0.1.0.a.2.ip6.arpa/IN: loaded serial 1\n"
        "Dec  7 10:00:01 mx1 named[2]: query: 5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.4.3.2.1.c.0.c.0.8.f.4.0.1.0.a.2"
        ".ip6.arpa IN PTR\n"
        "zone 8.b.d.0.1.0.0.2.ip6.arpa\n"  # documentation's 2001:db8::/32: kept
    )
    status, out, err = command(tmp_path, conf, text)
    assert status == 0, err
    assert "4.3.2.1.c.0.c.0.8.f.4.0.1.0.a.2" not in out
    address = ipaddress.IPv6Address(out.split("unknown[")[1].split("]")[0])
    nibbles = ".".join(reversed(address.exploded.replace(":", "")))
    assert f"query: {nibbles}.ip6.arpa IN PTR" in out
    assert f"zone {nibbles[-31:]}.ip6.arpa/IN" in out, "the /64 of the same address"
    assert out.endswith("zone 8.b.d.0.1.0.0.2.ip6.arpa\n")


def test_the_leak_check_knows_an_ipv6_reverse_zone() -> None:
    e = Engine(b"k" * 32)
    e.freeze()
    zone = "4.3.2.1.c.0.c.0.8.f.4.0.1.0.a.2.ip6.arpa"
    out = e.apply(f"zone {zone} loaded\n")
    assert zone not in out
    checker = LeakChecker(e)
    assert checker.find(out) is None
    assert checker.find(out + f"again {zone.upper()}\n") is not None


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("smtpd_banner = $myhostname ESMTP KestrelMail", "Mail"),
        ("service MyKestrel restarted", "My"),
        ("KestrelMailGateway: ready", "MailGateway: ready"),
    ],
)
def test_the_sites_name_in_a_camel_case_word_is_replaced(text: str, kept: str, tmp_path: Path) -> None:
    """`ESMTP KestrelMail` (smtpd_banner, in every report) printed the site's name; the name
    is replaced in its case, the word's other parts kept."""
    conf = site(tmp_path, MAIN_CF)
    status, out, err = command(tmp_path, conf, text + "\nKestrel alone\n")
    assert status == 0, err
    assert "kestrel" not in out.lower() and kept in out, out
    name = out.split("\n")[1].split(" ")[0]
    assert name in out.split("\n")[0], "replaced as the name alone is"


@pytest.mark.parametrize(
    "text", ["see kestrelstaff", "mail for KestrelMail.org", "to x@KestrelMail.de", "KESTRELMail"]
)
def test_the_sites_name_glued_to_lower_case_letters_or_in_a_domain_is_left_to_the_rest(
    text: str, tmp_path: Path
) -> None:
    """Glued to lower-case letters it is no CamelCase part (a common first word begins too many
    words); in a domain name the domain logic replaces the whole label."""
    conf = site(tmp_path, MAIN_CF)
    status, out, err = command(tmp_path, conf, text + "\n")
    assert status == 0, err
    if "." not in text:
        assert out == text + "\n"
    else:
        assert "KestrelMail" not in out and "Usrzgrs" not in out and "usrzgrs" not in out.lower(), out
