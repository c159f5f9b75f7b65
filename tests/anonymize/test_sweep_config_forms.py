"""Forms from a sweep of real public configurations (mailcow, iRedMail, Modoboa, docker-mailserver,
Mail-in-a-Box, ISPConfig, AD/LDAP and smarthost set-ups) that were damaged, refused or leaked:
each is a class, tested in a few shapes, through the whole command."""

from __future__ import annotations

from pathlib import Path

import pytest

from .leaks_helpers import command, report, site

MAIN_CF = "myhostname = mx1.kestrel-logistics.co.uk\nmydomain = kestrel-logistics.co.uk\n"

# master.cf pipe(8) entries as the stock configurations write them.
PIPES = [
    # mailcow / iRedMail / Modoboa style: flags, user:group, a command with ${...}
    "mlmmj   unix  -       n       n       -       -       pipe\n"
    "    flags=ORhu user=mlmmj:mlmmj argv=/usr/bin/mlmmj-amime-receive -L /var/spool/mlmmj/${nexthop}\n",
    # zeyple (a service named as its account), user= first on the continuation line
    "zeyple    unix  -       n       n       -       -       pipe\n"
    "  user=zeyple argv=/usr/local/bin/zeyple.py ${recipient}\n",
    # policyd-spf, one field per continuation line
    "policyd-spf  unix  -       n       n       -       0       spawn\n"
    "  user=policyd-spf\n"
    "  argv=/usr/bin/policyd-spf\n",
]


@pytest.mark.parametrize("entry", PIPES)
def test_a_pipe_entry_keeps_its_account_argv_and_command_in_the_report(entry: str, tmp_path: Path) -> None:
    """`user=` first on a master.cf line (raw, or as `postconf -Mf` folds it) was read as a
    table file's `user = name` line: `argv=` and the command were rewritten."""
    conf = site(tmp_path, MAIN_CF)
    (conf / "master.cf").write_text("smtp      inet  n       -       y       -       -       smtpd\n" + entry)
    status, out, err = report(tmp_path, conf, "mastercf")
    assert status == 0, err
    words = " ".join(entry.split()[8:])
    account = words.split("user=")[1].split()[0]
    command_path = words.split("argv=")[1].split()[0]
    assert f"user={account}" in out
    assert f"argv={command_path}" in out
    assert entry.split()[0] + " " in out  # the service's name


@pytest.mark.parametrize("entry", PIPES)
def test_a_pasted_pipe_entry_keeps_its_account_argv_and_command(entry: str, tmp_path: Path) -> None:
    conf = site(tmp_path, MAIN_CF)
    status, out, err = command(tmp_path, conf, entry)
    assert status == 0, err
    assert out == entry


def test_a_table_files_user_line_is_still_replaced(tmp_path: Path) -> None:
    """The `user = name` line of a mysql:/pgsql: table file names a database account."""
    conf = site(tmp_path, MAIN_CF)
    text = "user = pfxread\npassword = Kx7-secret\ndbname = maildb_north\nuser=pfxwrite\nhosts = 127.0.0.1\n"
    status, out, err = command(tmp_path, conf, text)
    assert status == 0, err
    for original in ("pfxread", "Kx7-secret", "maildb_north", "pfxwrite"):
        assert original not in out
    assert "password = ********" in out
    assert out.count("\n") == 5


def test_pam_unix_user_beside_a_pipe_word_is_still_a_person(tmp_path: Path) -> None:
    conf = site(tmp_path, MAIN_CF)
    text = (
        "Dec  1 10:00:00 mx1 dovecot: auth: pam_unix(dovecot:auth): authentication failure; logname= "
        "uid=0 euid=0 tty=dovecot ruser=hbauer rhost=192.0.2.7  user=hbauer\n"
        "Dec  1 10:00:01 mx1 cron: hbauer ran a pipe argv=/bin/true\n"
    )
    status, out, err = command(tmp_path, conf, text)
    assert status == 0, err
    assert "hbauer" not in out


PASTED_SASL = [
    # no brackets, a bare login (Strato's documented form)
    ("smtp.strato.de info:Pa55word-17", "Pa55word-17"),
    # a password with spaces after an address literal and a port
    ("[mail.gmx.net]:587 bob.jones:Secret1 two", "Secret1 two"),
    # a name with a port, a login that is an address
    ("smtp.gmail.com:587 hbauer@gmail.com:S3cret!x", "S3cret!x"),
]


@pytest.mark.parametrize(("line", "password"), PASTED_SASL)
def test_a_pasted_sasl_passwd_line_has_its_password_masked(line: str, password: str, tmp_path: Path) -> None:
    conf = site(tmp_path, MAIN_CF)
    status, out, err = command(tmp_path, conf, line + "\n")
    assert status == 0, err
    assert out.endswith(":********\n"), out
    assert password not in out and password.split()[0] not in out
    assert out.split()[0].count(".") == line.split()[0].count("."), "the next hop keeps its shape"


def test_the_sites_own_sasl_passwd_with_a_space_in_the_password(tmp_path: Path) -> None:
    conf = site(tmp_path, MAIN_CF + f"smtp_sasl_password_maps = hash:{tmp_path}/conf/sasl_passwd\n")
    (conf / "sasl_passwd").write_text("[smtp.kestrel-logistics.co.uk]:587 relayuser:correct horse battery\n")
    text = "relayuser logged in with correct horse battery\n"
    status, out, err = command(tmp_path, conf, text)
    assert status == 0, err
    assert "correct horse battery" not in out and "relayuser" not in out
    assert " logged in with ********" in out


def test_prose_after_a_host_name_is_not_taken_for_a_password(tmp_path: Path) -> None:
    conf = site(tmp_path, MAIN_CF)
    text = "mail.example.com said: 550 mailbox unavailable\nkestrel-logistics.co.uk smtp:[10.1.2.3]:25\n"
    status, out, err = command(tmp_path, conf, text)
    assert status == 0, err
    assert "said: 550 mailbox unavailable" in out
    assert " smtp:[" in out and "]:25" in out


@pytest.mark.parametrize(
    ("line", "originals"),
    [
        ("bind_dn = svc-postfix@nordlys-energi.no", ("svc-postfix", "nordlys")),  # a UPN
        ("bind_dn = NORDLYS\\svc-postfix", ("NORDLYS", "svc-postfix")),  # NT style
    ],
)
def test_active_directory_account_forms_of_bind_dn(line: str, originals: tuple, tmp_path: Path) -> None:
    """A UPN was refused (exit 4: its domain was learned, not replaced); NT style leaked."""
    conf = site(tmp_path, MAIN_CF)
    text = line + "\nsearch_base = dc=nordlys-energi,dc=no\nlogged in as " + line.split(" = ")[1] + "\n"
    status, out, err = command(tmp_path, conf, text)
    assert status == 0, err
    for original in originals:
        assert original.lower() not in out.lower()
    first, _, last = out.split("\n")[:3]
    assert first.startswith("bind_dn = ") and last == "logged in as " + first.split(" = ")[1]
    assert ("@" in first) == ("@" in line) and ("\\" in first) == ("\\" in line)


def test_a_regexp_escaped_local_part_is_replaced_as_the_address(tmp_path: Path) -> None:
    """`/^helene\\.marchetti@/` beside the address was refused (exit 4); alone it leaked."""
    conf = site(tmp_path, MAIN_CF)
    text = (
        "helene.marchetti@kestrel-logistics.co.uk OK\n"
        "/^helene\\.marchetti@/ HOLD\n"
        "/^margaret\\.oyelaran@orchardpeak\\.org$/ HOLD\n"
        "/^h\\+tag@kestrel-logistics\\.co\\.uk$/ DISCARD\n"
    )
    status, out, err = command(tmp_path, conf, text)
    assert status == 0, err
    for original in ("helene", "marchetti", "margaret", "oyelaran", "orchardpeak"):
        assert original not in out
    plain = out.split("@")[0]
    escaped = out.split("\n")[1][2:].split("@")[0]
    assert escaped == plain.replace(".", "\\."), "the same replacement, escaped as it was"
    assert out.split("\n")[3].startswith("/^") and "\\+" in out.split("\n")[3]


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("luser_relay = catchall+$user@kestrel-logistics.co.uk\n", "+$user@"),
        (
            "recipient_bcc_maps = inline:{ x=${recipient}@archive.kestrel-logistics.co.uk }\n",
            "=${recipient}@",
        ),
        ("/^From:(.*)h\\.marchetti@/ REPLACE From:$1h.marchetti@kestrel-logistics.co.uk\n", "From:$1"),
        ("query_filter = (mail=%u@kestrel-logistics.co.uk)\n", "(mail=%u@"),
        ("result_format = %s@relay.kestrel-logistics.co.uk\n", "= %s@"),
        ("result_format = %D/%U@mda.kestrel-logistics.co.uk\n", "%D/%U@"),
    ],
)
def test_expansions_in_a_local_part_are_kept(text: str, kept: str, tmp_path: Path) -> None:
    """Postfix's `$user`, a regexp's `$1`, a table's `%u` were replaced as if names (`$1` became
    `$8`: another back-reference); the rest of the local part is still replaced."""
    conf = site(tmp_path, MAIN_CF)
    status, out, err = command(tmp_path, conf, text)
    assert status == 0, err
    assert kept in out, out
    assert "kestrel" not in out and "marchetti" not in out


def test_an_lmtp_next_hop_over_a_socket_is_no_password(tmp_path: Path) -> None:
    conf = site(tmp_path, MAIN_CF)
    text = (
        "lyon.kestrel-logistics.co.uk     smtp:[10.12.8.20]\n"
        "archive.kestrel-logistics.co.uk  lmtp:unix:/var/run/archiver/lmtp.sock\n"
        "lists.kestrel-logistics.co.uk lmtp:inet:127.0.0.1:24\n"
    )
    status, out, err = command(tmp_path, conf, text)
    assert status == 0, err
    assert "  lmtp:unix:/var/run/archiver/lmtp.sock\n" in out
    assert " lmtp:inet:127.0.0.1:24\n" in out
    assert "kestrel" not in out


def test_addresses_and_networks_written_as_regexps_map_as_the_networks_do(tmp_path: Path) -> None:
    """`10\\.44\\.\\d+` (a network's first octets in a header_checks or pcre: table) leaked."""
    conf = site(tmp_path, MAIN_CF)
    text = (
        "mynetworks = 10.44.0.0/16 85.214.3.0/24\n"
        "/^Received: from.*10\\.44\\.\\d+\\.\\d+/ IGNORE\n"
        "/^Received: .*\\[85\\.214\\./ OK\n"
        "/\\[85\\.214\\.3\\.7\\]/ REJECT and 85.214.3.7\n"
        "/postfix 3\\.6\\.4/ PREPEND X-Version: 3\\.6\n"
    )
    status, out, err = command(tmp_path, conf, text)
    assert status == 0, err
    lines = out.split("\n")
    net10 = lines[0].split()[2].split(".")
    net85 = lines[0].split()[3].split(".")
    assert "10\\.44\\." not in out and "85\\.214\\." not in out
    assert f"from.*{net10[0]}\\.{net10[1]}\\.\\d+\\.\\d+/" in lines[1], "the same /16 as in mynetworks"
    assert f"\\[{net85[0]}\\.{net85[1]}\\./" in lines[2]
    escaped, plain = lines[3].split("\\[")[1].split("\\]")[0], lines[3].split(" and ")[1]
    assert escaped.replace("\\.", ".") == plain and plain.startswith(".".join(net85[:3]) + ".")
    assert lines[4] == "/postfix 3\\.6\\.4/ PREPEND X-Version: 3\\.6", "a version is no network"


def test_the_words_a_regexp_table_looks_for_are_not_names(tmp_path: Path) -> None:
    """body_checks' `/Orchard Peak internal use only/` taught `Orchard` and `Peak` as user names,
    replaced then in all text; the addresses in a pattern and after REDIRECT are still names."""
    conf = site(tmp_path, MAIN_CF + f"body_checks = pcre:{tmp_path}/conf/body_checks\n")
    (conf / "body_checks").write_text(
        "/Orchard Peak internal use only/ REJECT\n"
        "if /^Subject:/\n/Quarterly Figures/ HOLD\nendif\n"
        "/^From:.*margaret\\.oyelaran@orchardpeak\\.org/ REDIRECT jsmith@kestrel-logistics.co.uk\n"
    )
    text = "please use the Peak server for the Quarterly Figures; margaret.oyelaran and jsmith\n"
    status, out, err = command(tmp_path, conf, text)
    assert status == 0, err
    assert out.startswith("please use the Peak server for the Quarterly Figures; ")
    assert "margaret" not in out and "oyelaran" not in out and "jsmith" not in out


def test_a_transport_tables_single_label_next_hop_is_the_sites_host(tmp_path: Path) -> None:
    """`relay:[gw03]` inside inline: or a transport file leaked gw03 (relayhost's [gw04] did not)."""
    conf = site(
        tmp_path,
        MAIN_CF
        + "relayhost = [gw04]\n"
        + f"transport_maps = inline:{{ kestrel-freight.com=relay:[gw03] }}, hash:{tmp_path}/conf/transport\n",
    )
    (conf / "transport").write_text(
        ".kestrel-freight.com  smtp:mailhub7:2525\nexample.org  error:User unknown here\n"
    )
    text = "ping gw03 and mailhub7 failed, said: User unknown here\n"
    status, out, err = command(tmp_path, conf, text)
    assert status == 0, err
    assert "gw03" not in out and "mailhub7" not in out
    assert out.endswith(", said: User unknown here\n"), "an error: result's text is no host"


def test_a_restriction_class_an_access_table_names_is_no_user(tmp_path: Path) -> None:
    """`allstaff@... internal_only` taught the class `internal_only` as a user name: the
    parameter that defines it was renamed in the pasted postconf output."""
    conf = site(
        tmp_path,
        MAIN_CF
        + "smtpd_restriction_classes = internal_only\n"
        + f"internal_only = check_sender_access hash:{tmp_path}/conf/internal, reject\n"
        + f"smtpd_recipient_restrictions = check_recipient_access hash:{tmp_path}/conf/protected,"
        + " reject_unauth_destination\n",
    )
    (conf / "protected").write_text("allstaff@kestrel-logistics.co.uk internal_only\n")
    (conf / "internal").write_text("kestrel-logistics.co.uk OK\n")
    text = "smtpd_restriction_classes = internal_only\ninternal_only = check_sender_access hash:x, reject\n"
    status, out, err = command(tmp_path, conf, text)
    assert status == 0, err
    assert out == text


def test_the_password_in_a_database_uri_is_masked_and_its_user_hidden(tmp_path: Path) -> None:
    """pgsql:'s `hosts = postgresql://user:pw@db/...`: the password was replaced, not masked (the
    rule for every secret), and the user stood as it was elsewhere."""
    conf = site(tmp_path, MAIN_CF)
    text = (
        "hosts = postgresql://pfxread:UriSecret-55@pgsql01.kestrel.internal:5432/maildb?sslmode=require\n"
        "Dec  1 10:00:00 mx1 postgres[9]: FATAL:  password authentication failed for user pfxread\n"
        "see https://www.postfix.org/SASL_README.html\n"
    )
    status, out, err = command(tmp_path, conf, text)
    assert status == 0, err
    assert "pfxread" not in out and "UriSecret" not in out
    assert "postgresql://" in out and ":********@" in out and ":5432/maildb?sslmode=require" in out
    assert out.endswith("see https://www.postfix.org/SASL_README.html\n")
