"""More forms from the sweep of real public configurations and logs that leaked: an LDAP table's
`sasl_authz_id`, a DN's country, the site's users where they stand alone, the first word of the
site's hyphenated name, host names written with `_` for their dots. Each through the whole
command, each as a class (several shapes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .leaks_helpers import command, report, site

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
