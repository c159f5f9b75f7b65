"""Site names in forms the detectors missed: words, DNs, reverse DNS, VERP, service:address."""

from __future__ import annotations

import re
from pathlib import Path

from postfinger_py.anonymize.engine import Engine

from .leaks_helpers import command, filtered, site

KEY = bytes(range(32))
MAIN_CF = """\
myhostname = mx1.acme-robotics.com
mydomain = acme-robotics.com
smtpd_banner = $myhostname ESMTP Acme-Robotics mail
"""


def test_a_learned_label_as_a_word_in_any_case(tmp_path: Path) -> None:
    conf = site(tmp_path, MAIN_CF)
    text = (
        "smtpd_banner = $myhostname ESMTP Acme-Robotics mail\n"
        "Nov 21 00:00:03 mx1 postfix/smtpd[6]: NOQUEUE: reject: RCPT from x[198.51.100.7]: "
        "554 5.7.1 <a@acme-robotics.com>: ACME-ROBOTICS policy; see acme-robotics.com/policy\n"
    )
    for out in (filtered(tmp_path, conf, text), command(tmp_path, conf, text)[1]):
        assert "acme-robotics" not in out.lower()
        assert "smtpd_banner = $myhostname ESMTP " in out and " mail\n" in out
        assert "postfix/smtpd[6]: NOQUEUE: reject: RCPT from" in out
        word = out.split("ESMTP ")[1].split(" ")[0]
        dom = out.split("see ")[1].split("/")[0]
        # The same replacement as inside the domain, with the word's case pattern.
        assert dom == word.lower() + ".com" and word[0].isupper() and word[5].isupper()
        assert word[1:5].islower() and word.upper() in out and word[4] == "-"


def test_ldap_dn_components_are_the_domain(tmp_path: Path) -> None:
    conf = site(tmp_path, "myhostname = mx1.acme.co.uk\nmydomain = acme.co.uk\n")
    text = (
        "Nov 21 00:00:01 mx1 postfix/smtpd[3]: warning: dict_ldap_connect: Unable to bind to "
        "server ldap://ldap.acme.co.uk:389 with dn cn=admin,dc=acme,dc=co,dc=uk: 49 "
        "(Invalid credentials)\n"
        "search_base = dc=acme,dc=com\n"
        "bind_dn = uid=jsmith,ou=People,DC=Acme,DC=co,DC=uk\n"
        "ldapsource_search_base = ou=People, dc=acme, dc=co, dc=uk\n"
        "mail from postmaster@acme.co.uk\n"
    )
    for out in (filtered(tmp_path, conf, text), command(tmp_path, conf, text)[1]):
        assert "acme" not in out.lower() and "jsmith" not in out
        dom = out.split("mail from postmaster@")[1].split(".")[0]  # how acme.co.uk maps
        assert f"with dn cn=admin,dc={dom},dc=co,dc=uk: 49 (Invalid credentials)" in out
        assert f"DC={dom.capitalize()},DC=co,DC=uk" in out and "bind_dn = uid=" in out
        assert re.search(r"\nsearch_base = dc=[a-z]{4},dc=com\n", out)
        assert f"ou=People, dc={dom}, dc=co, dc=uk" in out
        assert "warning: dict_ldap_connect: Unable to bind to server ldap://" in out


def test_reverse_dns_names_embedding_the_address(tmp_path: Path) -> None:
    conf = site(tmp_path, MAIN_CF)
    text = "".join(
        f"Nov 21 00:00:02 mx1 postfix/smtpd[4]: connect from {name}[207.45.176.102]\n"
        for name in (
            "102.176.45.207.securenet-server.net",
            "host-207-45-176-102.example-isp.net",
            "207-45-176-102.dyn.isp.com",
            "static.102.176.45.207.clients.hoster.de",
        )
    )
    text += "Nov 21 00:00:03 mx1 postfix/smtp[5]: host-207-45-176-102.example-isp.net said hi\n"
    for out in (filtered(tmp_path, conf, text), command(tmp_path, conf, text)[1]):
        assert "207" not in out and "102" not in out, out
        for word in ("securenet-server", "example-isp", "dyn.isp", "hoster"):
            assert word not in out
        lines = out.splitlines()
        ip = lines[0].rsplit("[", 1)[1].rstrip("]")
        rev = ".".join(reversed(ip.split(".")))
        assert lines[0].split(" from ")[1].startswith(rev + ".") and lines[0].endswith(".net[" + ip + "]")
        assert f"from host-{ip.replace('.', '-')}." in lines[1]
        assert f"from {ip.replace('.', '-')}." in lines[2] and lines[2].endswith(".com[" + ip + "]")
        assert f"from static.{rev}." in lines[3] and ".de[" in lines[3]
        assert lines[1].split(" from ")[1].split("[")[0] in lines[4]  # same name, same output
        assert all("postfix/smtpd[4]: connect from " in line for line in lines[:4])


def test_embedded_addresses_without_brackets_and_what_is_not_one() -> None:
    engine = Engine(KEY)
    engine.freeze()
    ip = engine.apply("x[207.45.176.102]")[2:-1]
    out = engine.apply(
        "warning: hostname 207-45-176-102.dyn.isp.com does not resolve to address "
        "207.45.176.102: Name or service not known; static-207.45.176.102.isp.net; "
        "4.3.2.1.zen.spamhaus.org postfix-3.7.11.1.tar.gz libdb-5.3.28.1.so"
    )
    assert "207" not in out and "isp.com" not in out and "isp.net" not in out
    assert out.startswith(f"warning: hostname {ip.replace('.', '-')}.") and f"address {ip}:" in out
    # (No bracketed address to say the order: a dotted one is taken as reversed, the DNS way.)
    assert re.search(r"; static-\d+\.\d+\.\d+\.\d+\.[a-z]{3}\.net;", out)
    assert ".zen.spamhaus.org " in out and "4.3.2.1" not in out
    assert out.endswith(" postfix-3.7.11.1.tar.gz libdb-5.3.28.1.so")  # versions, not addresses


def test_verp_local_part_holds_the_recipient(tmp_path: Path) -> None:
    conf = site(tmp_path, MAIN_CF)
    text = (
        "Nov 21 00:00:03 mx1 postfix/smtp[5]: 4F1A2B3C4D: to=<frank.test@partner-corp.net>, "
        "relay=none\n"
        "Nov 21 00:00:03 mx1 postfix/qmgr[5]: 5F1A2B3C4D: from=<announce-bounces+123-frank.test"
        "=partner-corp.net@lists.acme-robotics.com>, size=1234, nrcpt=1 (queue active)\n"
        "Return-Path: <owner+frank.test=partner-corp.net@acme-robotics.com>\n"
        "kept: <bounces+info=example.net@lists.example.org>\n"
    )
    for out in (filtered(tmp_path, conf, text), command(tmp_path, conf, text)[1]):
        assert "frank" not in out and "partner-corp" not in out and "acme-robotics" not in out
        addr = out.split("to=<")[1].split(">")[0]
        embedded = addr.replace("@", "=")
        assert f"-bounces+123-{embedded}@" in out and f"<owner+{embedded}@" in out
        assert "size=1234, nrcpt=1 (queue active)" in out and "Return-Path: <" in out
        assert "kept: <bounces+info=example.net@lists.example.org>" in out


def test_ipv6_after_a_service_name(tmp_path: Path) -> None:
    conf = site(tmp_path, MAIN_CF)
    text = (
        "Nov 21 00:10:01 mx1 postfix/anvil[6]: statistics: max connection rate 3/60s for "
        "(smtpd:2604:8d00:0:1::3) at Nov 21 00:00:03\n"
        "Nov 21 00:10:01 mx1 postfix/anvil[6]: statistics: max connection count 2 for "
        "(smtp:2604:8d00:0:1::3) at Nov 21 00:00:03\n"
        "Nov 21 00:10:02 mx1 postfix/smtpd[7]: connect from unknown[2604:8d00:0:1::3]\n"
    )
    for out in (filtered(tmp_path, conf, text), command(tmp_path, conf, text)[1]):
        assert "2604:8d00" not in out
        addr = out.split("unknown[")[1].split("]")[0]
        assert f"rate 3/60s for (smtpd:{addr}) at Nov 21 00:00:03" in out
        assert f"count 2 for (smtp:{addr}) at" in out


def test_a_learned_word_under_a_kept_domain_is_replaced_not_refused(tmp_path: Path) -> None:
    """`mx1.example.com` in a pasted how-to, where mx1 is this host: the check refused it."""
    conf = site(tmp_path, MAIN_CF)
    text = (
        "relayhost = [mx1.example.com] ; postmaster@mx1.example.com; "
        "acme-robotics.example.org; user@example.net; mail.example.com\n"
    )
    status, out, err = command(tmp_path, conf, text)
    assert status == 0, err
    assert "mx1" not in out and "acme" not in out
    assert "user@example.net; mail.example.com\n" in out and out.count(".example.com") == 3
    assert re.search(
        r"\[[a-z]{2}\d\.example\.com\] ; postmaster@[a-z]{2}\d\.example\.com; "
        r"[a-z]{4}-[a-z]{8}\.example\.org;",
        out,
    )


def test_a_hyphenated_site_name_written_as_words(tmp_path: Path) -> None:
    conf = site(
        tmp_path,
        "myhostname = mail.northwind-traders.co.uk\n"
        "smtpd_banner = $myhostname ESMTP Northwind Traders Mailserver\n",
    )
    text = (
        "smtpd_banner = $myhostname ESMTP Northwind Traders Mailserver\n"
        "Dec  6 10:01:02 mail postfix/smtpd[2211]: 3F2A81C0E4: client=unknown[198.51.100.9], "
        "sasl_method=LOGIN, sasl_username=j.doe@northwind-traders.co.uk\n"
        "Dec  6 10:01:09 mail postfix/cleanup[2240]: 5C6D7E8F9A: warning: header Subject: "
        "=?UTF-8?Q?Northwind=2DTraders_invoice?= from unknown[198.51.100.9]; "
        "from=<j.doe@northwind-traders.co.uk>\n"
        "NorthwindTraders, NORTHWIND_TRADERS and the domain mail.northwind-traders.co.uk\n"
    )
    status, out, err = command(tmp_path, conf, text)
    assert status == 0, err
    assert "northwind" not in out.lower() and "traders" not in out.lower() and "j.doe" not in out
    label = out.split("the domain ")[1].split(".")[1]  # how northwind-traders maps
    first, second = label.split("-")
    assert f"ESMTP {first.capitalize()} {second.capitalize()} Mailserver" in out
    assert f"=?UTF-8?Q?{first.capitalize()}=2D{second.capitalize()}_invoice?=" in out
    assert f"{first.capitalize()}{second.capitalize()}, {first.upper()}_{second.upper()} and" in out
    # The SASL login is the address written elsewhere: one replacement for both.
    login = out.split("sasl_username=")[1].split("\n")[0]
    assert f"from=<{login}>" in out and login.endswith(f"@{label}.co.uk")


def test_the_site_name_as_words_among_thousands_of_hyphenated_senders(tmp_path: Path) -> None:
    # A spam run teaches a hyphenated label per sender (`bold-yarn.com`): they are not all
    # looked for as words (each costs a search over every text: minutes per part), but the
    # configuration's own name, learned first, still is.
    from postfinger_py.anonymize.engine import PHRASE_LABELS

    conf = site(
        tmp_path,
        "myhostname = mail.northwind-traders.co.uk\n"
        "smtpd_banner = $myhostname ESMTP Northwind Traders Mailserver\n",
    )

    def letters(i: int) -> str:  # 0 -> "aa", 1 -> "ab", ...: labels of letters only
        return chr(97 + i // 26 % 26) + chr(97 + i % 26)

    senders = [f"bold{letters(i)}-yarn{letters(i * 7)}.com" for i in range(PHRASE_LABELS * 4)]
    text = (
        "".join(
            f"Dec  6 10:01:02 mail postfix/qmgr[812]: 3F2A81C{i:03X}: from=<news@{d}>, size=1, nrcpt=1\n"
            for i, d in enumerate(senders)
        )
        + "Dec  6 10:01:03 mail postfix/smtpd[9]: warning: Northwind Traders Mailserver NorthwindTraders\n"
    )
    status, out, err = command(tmp_path, conf, text)
    assert status == 0, err
    assert "northwind" not in out.lower() and "traders" not in out.lower()
    engine = Engine(KEY)
    engine.learn_host("mail.northwind-traders.co.uk", is_own_host=True)
    engine.freeze()  # (the configuration is learned and frozen before any text: PartFilter)
    for d in senders:
        engine.learn_host(d)
    engine.freeze()
    assert len(engine._phrase_labels) == PHRASE_LABELS
    assert engine._phrase_labels["northwindtraders"] == "northwind-traders"


def test_the_site_name_inside_file_table_and_certificate_names(tmp_path: Path) -> None:
    """`acme-robotics_senders.db`, `ACME-ROBOTICS_CA.crt`, `sasl_acme-robotics`: the label
    joined to other words by `_` or `-` is replaced as the label is in the domain, in its
    case; another company's domain that starts with the same words is the domain logic's."""
    conf = site(tmp_path, MAIN_CF)
    text = (
        "Dec  7 10:00:14 mx1 postfix/smtpd[510]: fatal: open database "
        "/etc/postfix/acme-robotics_senders.db: No such file or directory\n"
        "Dec  7 10:00:15 mx1 postfix/smtpd[510]: warning: cannot load /etc/ssl/ACME-ROBOTICS_CA.crt "
        "and /etc/postfix/sasl_acme-robotics, hash:/etc/postfix/acme-robotics-access is unavailable\n"
        "Dec  7 10:00:16 mx1 postfix/smtpd[510]: open database /etc/postfix/acme-robotics-access.db: "
        "No such file or directory\n"
        "Dec  7 10:00:17 mx1 postfix/smtp[511]: to=<x@acme-robotics-eu.com>, relay=mx.acme-robotics-eu.com"
        "[192.0.2.5]:25, status=sent\n"
        "header_checks = pcre:/^acme-robotics-eu\\.com$/\n"
        "the domain acme-robotics.com\n"
    )
    for out in (filtered(tmp_path, conf, text), command(tmp_path, conf, text)[1]):
        assert "acme" not in out.lower(), out
        label = out.rsplit("the domain ", 1)[1].split(".")[0]
        assert f"/etc/postfix/{label}_senders.db: No such" in out
        assert f"/etc/ssl/{label.upper()}_CA.crt and /etc/postfix/sasl_{label}, hash:" in out
        assert f"hash:/etc/postfix/{label}-access is unavailable" in out
        assert f"/etc/postfix/{label}-access.db: No such" in out
        # The other company's domain is replaced whole, the same in every line.
        other = out.split("status=sent")[0].rsplit("to=<", 1)[1].split("@")[1].split(">")[0]
        assert other.endswith(".com") and not other.startswith(label)
        assert f".{other}[192.0.2.5]:25" in out and f"pcre:/^{other.replace('.', chr(92) + '.')}$/" in out


def test_the_leak_check_finds_the_site_name_inside_a_compound() -> None:
    from postfinger_py.anonymize.leak import LeakChecker

    engine = Engine(KEY)
    engine.learn_host("mx1.acme-robotics.com")
    engine.freeze()
    checker = LeakChecker(engine)
    assert engine.compound_labels == ("acme-robotics",)
    assert checker.find("open /etc/postfix/ACME-ROBOTICS_senders.db failed\n") is not None
    assert checker.find("see sasl_acme-robotics here\n") is not None
    assert checker.find("relay=mx.acme-robotics-eu.com\n") is None  # another domain's label
    replaced = engine.apply("open /etc/postfix/ACME-ROBOTICS_senders.db failed\n")
    assert "ACME" not in replaced and checker.find(replaced) is None
