"""More forms from the sweep of real public configurations and logs that leaked: an LDAP table's
`sasl_authz_id`, a DN's country, the site's users where they stand alone, the first word of the
site's hyphenated name, host names written with `_` for their dots. Each through the whole
command, each as a class (several shapes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .leaks_helpers import command, command_bytes, report, site

MAIN_CF = (
    "myhostname = mx1.kestrel-logistics.co.uk\n"
    "mydomain = kestrel-logistics.co.uk\n"
    "mydestination = $myhostname, localhost, quillon-partners.fr\n"
)


@pytest.mark.parametrize(
    ("line", "originals"),
    [
        ("sasl_authz_id = u:hbauer", ("hbauer",)),
        ("sasl_authz_id = u:svc-mail@kestrel-logistics.co.uk", ("svc-mail", "kestrel")),
        (
            "sasl_authz_id = dn:uid=relaybot,ou=people,dc=kestrel-logistics,dc=co,dc=uk",
            ("relaybot", "kestrel"),
        ),
    ],
)
def test_an_ldap_tables_sasl_authz_id_is_replaced(line: str, originals: tuple, tmp_path: Path) -> None:
    """ldap_table(5)'s `sasl_authz_id = u:account` (or `dn:DN`) was printed in clear."""
    conf = site(tmp_path, MAIN_CF)
    account = line.split(":", 1)[1]
    text = f"{line}\nsasl_mech = PLAIN\nbound as {account}\n"
    status, out, err = command(tmp_path, conf, text)
    assert status == 0, err
    for original in originals:
        assert original not in out.lower()
    first = out.split("\n")[0]
    assert first.startswith("sasl_authz_id = " + line.split(" = ")[1][:2]), "the u:/dn: kind is kept"
    assert out.split("\n")[2] == "bound as " + first.split(":", 1)[1], "the same replacement"
    assert "sasl_mech = PLAIN" in out


@pytest.mark.parametrize("country", ["GB", "de", "FR"])
def test_a_dns_two_letter_country_is_kept(country: str, tmp_path: Path) -> None:
    """`c=GB` is a country code, as public as `.uk`: it was replaced (`c=QX`), which says
    nothing to hide and makes the helper doubt the DN."""
    conf = site(tmp_path, MAIN_CF)
    text = f"search_base = ou=people,o=kestrel-logistics,c={country}\n"
    status, out, err = command(tmp_path, conf, text)
    assert status == 0, err
    assert out.endswith(f",c={country}\n"), out
    assert "kestrel" not in out and "ou=people," in out


@pytest.mark.parametrize(
    "alone",
    [
        "Dec  1 10:00:02 mx1 dovecot: lda(hbauer): Error: open(/home/hbauer/Maildir/tmp) failed\n",
        "Dec  1 10:00:02 mx1 postfix/local[12]: warning: cannot read /home/hbauer/.forward\n",
        "Dec  1 10:00:02 mx1 cron[77]: (hbauer) CMD (fetchmail -s)\n",
    ],
)
def test_a_mailbox_at_the_sites_domain_is_its_users_name_alone_too(alone: str, tmp_path: Path) -> None:
    """`from=<hbauer@kestrel-logistics.co.uk>` was replaced, `/home/hbauer` beside it not."""
    conf = site(tmp_path, MAIN_CF)
    text = (
        "Dec  1 10:00:01 mx1 postfix/qmgr[9]: 4B2C1A: from=<hbauer@kestrel-logistics.co.uk>, nrcpt=1\n"
        + alone
    )
    status, out, err = command(tmp_path, conf, text)
    assert status == 0, err
    assert "hbauer" not in out
    user = out.split("from=<")[1].split("@")[0]
    assert user in out.split("\n")[1], "the same user, replaced the same"


def test_a_mailbox_elsewhere_does_not_teach_a_user(tmp_path: Path) -> None:
    """Only the site's own domains: a sender at gmail.com is no user of the site (its local
    part is replaced in the address, the same word elsewhere is prose)."""
    conf = site(tmp_path, MAIN_CF)
    text = (
        "Dec  1 10:00:01 mx1 postfix/qmgr[9]: 4B2C1A: from=<sales@gmail.com>, size=512, nrcpt=1\n"
        "Dec  1 10:00:02 mx1 postfix/cleanup[10]: 4B2C1A: the sales figures\n"
    )
    status, out, err = command(tmp_path, conf, text)
    assert status == 0, err
    assert "the sales figures" in out


@pytest.mark.parametrize(
    "text",
    [
        "milter_default_action = accept\nsmtpd_milters = unix:/run/kestrel-dkim/dkim.sock\n",
        "search_base = ou=people,o=Kestrel,c=GB\n",
        "smtpd_banner = $myhostname ESMTP KESTREL mail\n",
        "header_checks = pcre:/etc/postfix/quillon_headers.pcre\n",
    ],
)
def test_the_first_word_of_the_sites_hyphenated_name_is_replaced(text: str, tmp_path: Path) -> None:
    """`kestrel` of kestrel-logistics.co.uk (`/run/kestrel-dkim`, `o=Kestrel`) stayed: the
    site's name, told by its first word. Replaced as the whole name's first word is."""
    conf = site(tmp_path, MAIN_CF)
    status, out, err = command(tmp_path, conf, text + "relay = kestrel-logistics.co.uk\n")
    assert status == 0, err
    assert "kestrel" not in out.lower() and "quillon" not in out.lower()
    whole = out.split("relay = ")[-1].split(".")[0]
    first = whole.split("-")[0]
    assert first.lower() in out.split("relay = ")[0].lower() or "quillon" in text, out
    assert len(out) == len(text) + len("relay = kestrel-logistics.co.uk\n"), "the shape is kept"


def test_a_common_first_word_is_kept(tmp_path: Path) -> None:
    """`mail` of mail-online.de is no name (a keyword): `mail` elsewhere stays."""
    conf = site(tmp_path, "myhostname = mx1.mail-online.de\nmydomain = mail-online.de\n")
    text = "smtpd_banner = $myhostname ESMTP mail\nrelay = mx1.mail-online.de\n"
    status, out, err = command(tmp_path, conf, text)
    assert status == 0, err
    assert out.startswith("smtpd_banner = $myhostname ESMTP mail\n")
    assert "mail-online" not in out


def test_a_learned_user_keeps_its_own_replacement_beside_the_first_word(tmp_path: Path) -> None:
    """`kestrel-relay` (a SASL login) is replaced whole, the same in each line: not as
    `kestrel` plus `-relay` in one line and whole in another."""
    conf = site(tmp_path, MAIN_CF + f"smtp_sasl_password_maps = hash:{tmp_path}/conf/sasl_passwd\n")
    (conf / "sasl_passwd").write_text("[smtp.relay-provider.net]:587 kestrel-relay:S3cret-x\n")
    text = (
        "[smtp.relay-provider.net]:587 kestrel-relay:S3cret-x\nsasl_username=kestrel-relay\nkestrel-relay\n"
    )
    status, out, err = command(tmp_path, conf, text)
    assert status == 0, err
    assert "kestrel" not in out
    lines = out.split("\n")
    login = lines[2]
    assert lines[0].endswith(f" {login}:********") and lines[1] == f"sasl_username={login}"


@pytest.mark.parametrize(
    "name",
    [
        "/etc/ssl/certs/smtp01_corp_kestrel-logistics_co_uk.crt",
        "/etc/ssl/private/MX1_KESTREL-LOGISTICS_CO_UK.key",
        "smtpd_tls_cert_file = /etc/letsencrypt/mx1_kestrel-logistics_co_uk/fullchain.pem",
    ],
)
def test_a_host_name_written_with_underscores_is_replaced_as_the_name(name: str, tmp_path: Path) -> None:
    """A certificate named after its host with `_` for the dots kept the host and the site."""
    conf = site(tmp_path, MAIN_CF + "relayhost = [smtp01.corp.kestrel-logistics.co.uk]\n")
    text = name + "\nsmtp01.corp.kestrel-logistics.co.uk mx1.kestrel-logistics.co.uk\n"
    status, out, err = command(tmp_path, conf, text)
    assert status == 0, err
    assert "kestrel" not in out.lower()
    first, second = out.split("\n")[:2]
    assert len(first) == len(name) and first.count("_") == name.count("_")
    dotted = {h.replace(".", "_").lower() for h in second.split()}
    assert any(h in first.lower() for h in dotted), "the same replacement as the dotted name"
    assert first.endswith(name.rsplit(".", 1)[1]) or first.endswith("fullchain.pem")


def test_the_report_hides_the_sites_first_word_and_certificate_names(tmp_path: Path) -> None:
    """The same through the report (the real postconf prints main.cf)."""
    main_cf = (
        MAIN_CF
        + "smtpd_tls_cert_file = /etc/ssl/certs/mx1_kestrel-logistics_co_uk.crt\n"
        + "smtpd_milters = unix:/run/kestrel-dkim/dkim.sock\n"
    )
    conf = site(tmp_path, main_cf)
    status, out, err = report(tmp_path, conf, "maincf")
    assert status == 0, err
    assert "kestrel" not in out.lower()
    assert "smtpd_tls_cert_file = /etc/ssl/certs/" in out and "_co_uk.crt" in out
    assert "unix:/run/" in out and "-dkim/dkim.sock" in out


ACCESS_KEYS = [
    ("10.44", "OK", "10.44.12.9"),
    ("192.168.7", "REJECT", "192.168.7.20"),
    ("85.214.3", "554 5.7.1 go away", "85.214.3.9"),
    ("  172.16.5", "permit_sasl_authenticated", "172.16.5.77"),
    ("2a01:4f8:c0c", "defer_if_permit", "2a01:4f8:c0c:1234::5"),
    ("10.44.7", "from_partners", "10.44.7.1"),  # a restriction class of the site's
]


@pytest.mark.parametrize(("key", "action", "address"), ACCESS_KEYS)
def test_an_access_tables_network_prefix_maps_as_its_addresses(
    key: str, action: str, address: str, tmp_path: Path
) -> None:
    """access(5) keys `10.44` and `192.168.7` (a network by its first octets) were printed in
    clear, though the same network's addresses were replaced: the prefix maps as they do."""
    conf = site(
        tmp_path,
        MAIN_CF
        + "mynetworks = 127.0.0.0/8 10.44.0.0/16 [2a01:4f8:c0c::]/48\n"
        + "smtpd_restriction_classes = from_partners\nfrom_partners = permit_mynetworks, reject\n",
    )
    text = f"{key}   {action}\n{address} connected\n"
    status, out, err = command(tmp_path, conf, text)
    assert status == 0, err
    first, second = out.split("\n")[:2]
    assert first.endswith(f"   {action}") and first.startswith(key[: len(key) - len(key.lstrip())])
    prefix = first[: -len(action) - 3].strip()
    sep = ":" if ":" in key else "."
    assert prefix.count(sep) == key.count(sep) and prefix != key.strip(), out
    assert second.startswith(prefix + sep), "the prefix of the same network's address"


@pytest.mark.parametrize(
    "line", ["Postfix 3.7.11 OK", "3.7.11 REJECTED by nobody", "1.2 OKAY", "3.7.11 released"]
)
def test_a_version_before_a_word_is_no_network(line: str, tmp_path: Path) -> None:
    conf = site(tmp_path, MAIN_CF)
    status, out, err = command(tmp_path, conf, line + "\n")
    assert status == 0, err
    assert out == line + "\n"


ALIASES = (
    "# /etc/aliases\n"
    "postmaster: root\n"
    "root: hbauer, ops@kestrel-logistics.co.uk\n"
    "hbauer: hans.bauer@gmail.com\n"
    "webmaster:\tmkowalski\n"
    "abuse: root\n"
)


@pytest.mark.parametrize(
    "later",
    [
        "Dec  1 10:00:02 mx1 postfix/local[12]: 4B2C1A: to=<root@mx1>, orig_to=<webmaster>, status=sent\n",
        "Dec  1 10:00:02 mx1 dovecot: lda(mkowalski): msgid=<x@y>: saved mail to INBOX\n",
        "/home/hbauer/.forward is empty\n",
    ],
)
def test_a_pasted_aliases_file_hides_its_local_users(later: str, tmp_path: Path) -> None:
    """`cat /etc/aliases` kept `hbauer` and `mkowalski` (the site's users) wherever they stood."""
    conf = site(tmp_path, MAIN_CF)
    status, out, err = command(tmp_path, conf, ALIASES + later)
    assert status == 0, err
    assert "hbauer" not in out and "mkowalski" not in out
    lines = out.split("\n")
    assert lines[1] == "postmaster: root" and lines[5] == "abuse: root", "role names and root stay"
    assert lines[2].split(": ")[1].split(",")[0] == lines[3].split(":")[0], "one user, one replacement"


def test_pasted_mail_headers_beside_aliases_are_not_aliases(tmp_path: Path) -> None:
    conf = site(tmp_path, MAIN_CF)
    text = ALIASES + "Subject: hello\nhello is a greeting\n"
    status, out, err = command(tmp_path, conf, text)
    assert status == 0, err
    assert out.endswith("Subject: hello\nhello is a greeting\n")


@pytest.mark.parametrize(
    ("raw", "pieces"),
    [
        (
            b"to=<j\xfcrgen.m\xfcller@kestrel-logistics.co.uk>, status=sent\nlda(j\xfcrgen): saved\n",
            ("rgen", "ller"),
        ),
        (b"from=<ren\xe9e@kestrel-logistics.co.uk>\n/home/ren\xe9e/Maildir\n", ("ren",)),
        (b"helo=<b\xe4ckerei-m\xfcller> rejected\nb\xe4ckerei-m\xfcller again\n", ("ckerei", "ller")),
    ],
)
def test_a_latin1_name_is_replaced_whole(raw: bytes, pieces: tuple, tmp_path: Path) -> None:
    """A Latin-1 name in a UTF-8 log (`j\\xfcrgen`) reads `j\\ufffdrgen`: the pieces between
    the bad bytes (`rgen`, `ller`) stayed, and the name was plain to read."""
    conf = site(tmp_path, MAIN_CF)
    status, out, err = command_bytes(tmp_path, conf, raw)
    assert status == 0, err
    for piece in pieces:
        assert piece not in out, out
    assert out.count("\n") == raw.count(b"\n") and "kestrel" not in out
    assert [len(w) for w in out.split()] == [len(w) for w in raw.split()], "the shape is kept"


def test_an_access_tables_network_prefix_in_strict_mode(tmp_path: Path) -> None:
    conf = site(tmp_path, MAIN_CF)
    text = "10.44   OK\n2a01:4f8:c0c REJECT\n"
    status, out, err = command(tmp_path, conf, text, ["--anonymize", "strict"])
    assert status == 0, err
    assert out == "DD.DD   OK\nDADD:DAD:ADA REJECT\n", out


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        (
            "opendkim[812]: 4B2C1A: DKIM-Signature field added (s=kestrel2024, d=kestrel-logistics.co.uk)\n",
            "2024,",
        ),
        ("smtpd_tls_cert_file = /etc/ssl/KESTREL01.pem\n", "01.pem"),
        ("relay user kestrel-logistics2_smtp\n", "2_smtp"),
    ],
)
def test_the_sites_name_glued_to_a_number_is_replaced(text: str, kept: str, tmp_path: Path) -> None:
    """A DKIM selector or a file named after the site with a number (`kestrel2024`) kept the name."""
    conf = site(tmp_path, MAIN_CF)
    status, out, err = command(tmp_path, conf, text)
    assert status == 0, err
    assert "kestrel" not in out.lower() and kept in out, out
    assert len(out) == len(text)


def test_the_sites_name_and_a_number_as_a_domain_or_local_part_is_replaced_as_such(tmp_path: Path) -> None:
    """Where the glued word is a domain's label or a local part, it is replaced as one (whole)."""
    conf = site(tmp_path, MAIN_CF)
    text = "to=<kestrel01@gmail.com> via kestrel2.com, token kestrel2024x\n"
    status, out, err = command(tmp_path, conf, text)
    assert status == 0, err
    assert "kestrel" not in out and out.count("@gmail.com") == 1 and ".com, token " in out
    local = out.split("<")[1].split("@")[0]
    assert len(local) == len("kestrel01") and local[-2:] == "01"


@pytest.mark.parametrize(
    "line",
    [
        "postfix/smtpd[1]: lost connection after AUTH from unknown[10.44.3.2]: user=KESTREL\\hbauer\n",
        "postfix/smtpd[1]: 4B2C1A: client=unknown[10.44.3.2], sasl_username=KESTREL\\hbauer\n",
        "dovecot: imap-login: Login: user=<KESTREL\\hbauer>, method=PLAIN, rip=10.44.3.2\n",
    ],
)
def test_a_windows_domain_account_in_a_log_is_replaced(line: str, tmp_path: Path) -> None:
    """`user=DOMAIN\\\\alice` (Active Directory's NT form) made the anonymizer recurse without
    end (an internal error, exit 1: the user got nothing); its user was not learned either."""
    conf = site(tmp_path, MAIN_CF)
    text = "Dec  1 10:00:00 mx1 " + line + "later: hbauer logged out\n"
    status, out, err = command(tmp_path, conf, text)
    assert status == 0, err
    assert "hbauer" not in out and "kestrel" not in out.lower()
    account = out.split("\n")[0].rsplit("\\", 1)[1].split(">")[0].strip()
    assert f"later: {account} logged out" in out, "the same user, replaced the same"
