"""Lookup table checks: indexes missing or stale, sources missing, unsupported types, readable secrets."""

from __future__ import annotations

from pathlib import Path

from postfinger_py.errors import ReplayMissing
from postfinger_py.files import StatInfo
from postfinger_py.findings import Finding, run_checks
from postfinger_py.findings.facts import Facts
from postfinger_py.findings.tables import CHECKS, readable_secrets, table_files, table_uses, unsupported_types
from postfinger_py.parse.maps import map_refs, top_tables

from ..helpers import FakeRunner
from .fakes import DictFiles, facts, maincf, mastercf, section, service, stat_info

DATA = Path(__file__).resolve().parents[1] / "data" / "debian12"
# What Debian 12's postfix (no plug-ins installed) answers to postconf -m.
TYPES = (DATA / "postconf-m.txt").read_text().split()
OLD, NEW = 1_764_990_000.0, 1_764_993_600.0  # one hour apart

# Debian's stock main.cf (as postinst writes it), the table settings of it.
DEBIAN_STOCK = {
    "alias_maps": "hash:/etc/aliases",
    "alias_database": "hash:/etc/aliases",
    "smtpd_tls_session_cache_database": "btree:${data_directory}/smtpd_scache",
    "smtp_tls_session_cache_database": "btree:${data_directory}/smtp_scache",
    "mydestination": "$myhostname, debian, localhost",
    "smtpd_relay_restrictions": "permit_mynetworks permit_sasl_authenticated defer_unauth_destination",
}
EFFECTIVE = {"data_directory": "/var/lib/postfix", "myhostname": "mx1.example.org"}


def tables_section(types: list[str] = TYPES) -> object:
    return section("tables", {"types": list(types)})


def make(
    params: dict[str, str],
    files: DictFiles | None = None,
    overrides: list[dict[str, str]] | None = None,
    effective: dict[str, str] | None = None,
    types: list[str] = TYPES,
) -> Facts:
    return facts(
        [maincf(params), mastercf([service("smtp", "inet")], overrides or []), tables_section(types)],  # type: ignore[list-item]
        files=files or DictFiles(),
        effective=effective or EFFECTIVE,
    )


def st(path: str, mtime: float, mode: int = 0o644, user: str = "root", group: str = "root") -> StatInfo:
    return stat_info(path, mode=mode, mtime=mtime, user=user, group=group)


def files(*infos: StatInfo, contents: dict[str, bytes] | None = None) -> DictFiles:
    return DictFiles(contents=contents, stats={i.path: i for i in infos})


def codes(found: list[Finding]) -> list[str]:
    return [f.code for f in found]


# -- the parser ----------------------------------------------------------------------------
def test_nested_tables_are_found_inside_proxy_pipemap_and_unionmap() -> None:
    value = (
        "check_recipient_access pipemap:{proxy:hash:/etc/postfix/a, "
        "unionmap:{lmdb:/etc/postfix/b, inline:{x=y, z=w}}}, reject_unauth_destination"
    )
    assert [r.spec for r in map_refs(value)] == [
        "pipemap:{proxy:hash:/etc/postfix/a, unionmap:{lmdb:/etc/postfix/b, inline:{x=y, z=w}}}",
        "proxy:hash:/etc/postfix/a",
        "hash:/etc/postfix/a",
        "unionmap:{lmdb:/etc/postfix/b, inline:{x=y, z=w}}",
        "lmdb:/etc/postfix/b",
        "inline:{x=y, z=w}",
    ]
    assert map_refs(value)[2].within == ("pipemap", "proxy")
    assert top_tables(value) == [
        "pipemap:{proxy:hash:/etc/postfix/a, unionmap:{lmdb:/etc/postfix/b, inline:{x=y, z=w}}}"
    ]


def test_sockets_and_transports_are_not_tables() -> None:
    assert map_refs("unix:private/policy inet:127.0.0.1:8891 smtp:[10.0.0.1]:587 local:") == []
    assert [r.spec for r in map_refs("unix:passwd.byname $alias_maps")] == ["unix:passwd.byname"]
    assert [r.index_files() for r in map_refs("dbm:/etc/x cdb:/etc/y regexp:/etc/z")] == [
        ["/etc/x.dir", "/etc/x.pag"],
        ["/etc/y.cdb"],
        [],
    ]


# -- Debian's stock configuration: nothing above a note --------------------------------------
def test_debian_stock_aliases_give_no_finding() -> None:
    f = make(DEBIAN_STOCK, files(st("/etc/aliases", OLD), st("/etc/aliases.db", NEW)))
    out = run_checks(f, CHECKS)
    assert out.findings == [] and out.notes == [] and f.notes == []
    # the session caches Postfix writes itself are not tables to postmap
    assert [u.ref.spec for u in table_uses(f)] == ["hash:/etc/aliases"]
    assert table_uses(f)[0].params == ["alias_database", "alias_maps"]


# -- indexes and sources -------------------------------------------------------------------
def test_index_never_built_is_a_problem_with_postmap_advice() -> None:
    f = make({"transport_maps": "hash:/etc/postfix/transport"}, files(st("/etc/postfix/transport", OLD)))
    [found] = table_files(f)
    assert (found.severity, found.code) == ("problem", "table-index-missing")
    assert found.evidence == (
        "main.cf: transport_maps = hash:/etc/postfix/transport",
        "/etc/postfix/transport.db: no such file",
    )
    assert found.action.startswith("run postmap hash:/etc/postfix/transport")


def test_missing_aliases_index_says_postalias() -> None:
    f = make({"alias_maps": "hash:/etc/aliases"}, files(st("/etc/aliases", OLD)))
    [found] = table_files(f)
    assert found.code == "table-index-missing"
    assert "postalias hash:/etc/aliases" in found.action and "newaliases" in found.action
    assert found.manual == "postalias(1)"


def test_stale_index_is_a_warning_with_both_times() -> None:
    f = make(
        {"virtual_alias_maps": "hash:/etc/postfix/virtual"},
        files(st("/etc/postfix/virtual", NEW), st("/etc/postfix/virtual.db", OLD)),
    )
    [found] = table_files(f)
    assert (found.severity, found.code) == ("warning", "table-index-stale")
    assert found.evidence[1:] == (
        "/etc/postfix/virtual: modified 2025-12-06 04:00:00 UTC",
        "/etc/postfix/virtual.db: modified 2025-12-06 03:00:00 UTC",
    )


def test_dbm_needs_both_index_files_and_the_older_one_counts() -> None:
    f = make(
        {"canonical_maps": "dbm:/etc/postfix/canonical"},
        files(st("/etc/postfix/canonical", OLD), st("/etc/postfix/canonical.dir", NEW)),
    )
    [found] = table_files(f)
    assert found.code == "table-index-missing" and "/etc/postfix/canonical.pag" in found.message
    f = make(
        {"canonical_maps": "dbm:/etc/postfix/canonical"},
        files(
            st("/etc/postfix/canonical", OLD + 10),
            st("/etc/postfix/canonical.dir", NEW),
            st("/etc/postfix/canonical.pag", OLD),
        ),
    )
    assert codes(list(table_files(f))) == ["table-index-stale"]


def test_source_missing_with_and_without_index() -> None:
    f = make({"relocated_maps": "hash:/etc/postfix/relocated"}, files(st("/etc/postfix/relocated.db", NEW)))
    [found] = table_files(f)
    assert (found.severity, found.code) == ("warning", "table-source-missing")
    f = make({"relocated_maps": "hash:/etc/postfix/relocated"}, files())
    [found] = table_files(f)
    assert (found.severity, found.code) == ("problem", "table-missing")
    f = make({"header_checks": "regexp:/etc/postfix/header_checks"}, files())
    [found] = table_files(f)
    assert (found.severity, found.code) == ("problem", "table-source-missing")


def test_nested_table_in_an_override_with_a_name_reference() -> None:
    overrides = [
        {
            "service": "submission",
            "type": "inet",
            "name": "smtpd_sender_restrictions",
            "value": "check_sender_access pipemap:{proxy:$access_base, static:OK}",
        }
    ]
    f = make(
        {},
        files(st("/etc/postfix/access", OLD)),
        overrides,
        effective={**EFFECTIVE, "access_base": "btree:/etc/postfix/access"},
    )
    [found] = table_files(f)
    assert found.code == "table-index-missing"
    assert found.evidence[0] == (
        "master.cf: submission/inet -o smtpd_sender_restrictions="
        "check_sender_access pipemap:{proxy:$access_base, static:OK}"
    )


def test_a_replay_without_the_file_status_is_a_note_not_a_crash() -> None:
    class Unrecorded(DictFiles):
        def stat(self, path: str) -> StatInfo:
            raise ReplayMissing(f"the snapshot has no recording of file status of {path}")

    f = make(
        {
            "transport_maps": "hash:/etc/postfix/transport",
            "smtp_sasl_password_maps": "hash:/etc/postfix/sasl_passwd",
        },
        Unrecorded(),
    )
    out = run_checks(f, CHECKS)
    assert out.findings == [] and out.notes == []
    assert (
        "tables: the snapshot has no recording of file status of /etc/postfix/transport; "
        "that table was not checked"
    ) in f.notes


def test_a_denied_look_is_a_note() -> None:
    f = make({"transport_maps": "hash:/etc/postfix/transport"}, DictFiles(denied=["/etc/postfix/transport"]))
    assert list(table_files(f)) == []
    assert any("cannot look at /etc/postfix/transport: permission denied" in n for n in f.notes)


# -- table types ---------------------------------------------------------------------------
def test_mysql_without_postfix_mysql_is_a_problem() -> None:
    f = make(
        {
            "smtpd_sender_login_maps": "proxy:mysql:/etc/postfix/mysql-senders.cf",
            "virtual_alias_maps": "hash:/etc/postfix/virtual",
        }
    )
    [found] = unsupported_types(f)
    assert (found.severity, found.code) == ("problem", "table-type-unsupported")
    assert found.message.startswith("mysql:")
    assert "apt install postfix-mysql" in found.action
    assert found.evidence[0] == (
        "main.cf: smtpd_sender_login_maps = proxy:mysql:/etc/postfix/mysql-senders.cf"
    )


def test_a_type_debian_does_not_package_gets_other_advice() -> None:
    [found] = unsupported_types(make({"canonical_maps": "sdbm:/etc/postfix/canonical"}))
    assert "no sdbm support" in found.action
    assert (
        list(
            unsupported_types(make({"canonical_maps": "lmdb:/etc/postfix/canonical"}, types=[*TYPES, "lmdb"]))
        )
        == []
    )


def test_table_types_from_postconf_m_when_the_section_is_missing() -> None:
    runner = FakeRunner({("postconf", "-m"): "hash\nbtree\n"})
    f = facts(
        [maincf({"transport_maps": "pcre:/etc/postfix/transport.pcre"}), mastercf([])],
        runner=runner,
        effective=EFFECTIVE,
    )
    [found] = unsupported_types(f)
    assert "postfix-pcre" in found.action
    f = facts(
        [maincf({"transport_maps": "pcre:/etc/postfix/t"}), mastercf([])],
        runner=FakeRunner({}),
        effective=EFFECTIVE,
    )
    assert list(unsupported_types(f)) == []
    assert any(n.startswith("tables: table types not checked") for n in f.notes)


# -- readable secrets ----------------------------------------------------------------------
CF = b"user = pfx_reader\npassword = Db-Pa55word\nhosts = db7.example.org\ndbname = mail\n"


def test_world_readable_mysql_cf_with_a_password() -> None:
    path = "/etc/postfix/mysql-senders.cf"
    f = make({"smtpd_sender_login_maps": f"mysql:{path}"}, files(st(path, OLD, 0o644), contents={path: CF}))
    [found] = readable_secrets(f)
    assert (found.severity, found.code) == ("warning", "table-secret-readable")
    assert found.evidence[1] == f"{path}: -rw-r--r-- root:root (mode 0644)"
    assert "chmod 640" in found.action and "chown root:postfix" in found.action
    assert not any("Pa55" in text for text in (found.message, found.action, *found.evidence))


def test_mysql_cf_that_is_private_or_has_no_password_is_fine() -> None:
    path = "/etc/postfix/mysql-senders.cf"
    f = make(
        {"smtpd_sender_login_maps": f"mysql:{path}"},
        files(st(path, OLD, 0o640, group="postfix"), contents={path: CF}),
    )
    assert list(readable_secrets(f)) == []
    f = make(
        {"smtpd_sender_login_maps": f"mysql:{path}"},
        files(st(path, OLD, 0o644), contents={path: b"hosts = unix:/run/mysqld.sock\n"}),
    )
    assert list(readable_secrets(f)) == []


def test_readable_sasl_passwd_and_its_index() -> None:
    f = make(
        {"smtp_sasl_password_maps": "hash:/etc/postfix/sasl/relay_passwords"},
        files(
            st("/etc/postfix/sasl/relay_passwords", OLD, 0o600),
            st("/etc/postfix/sasl/relay_passwords.db", NEW, 0o644),
        ),
    )
    [found] = readable_secrets(f)
    assert found.message.startswith("/etc/postfix/sasl/relay_passwords.db holds SASL passwords")
    # a never built index is the index check's business, not a readable secret
    f = make(
        {"smtp_sasl_password_maps": "hash:/etc/postfix/sasl_passwd"},
        files(st("/etc/postfix/sasl_passwd", OLD, 0o600)),
    )
    assert list(readable_secrets(f)) == []
