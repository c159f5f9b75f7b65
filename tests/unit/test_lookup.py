"""`postfinger lookup`: the key forms Postfix asks, masking of password tables, unaskable tables."""

from __future__ import annotations

import json
from collections.abc import Sequence

from postfinger_py.anonymize import AnonSettings, text_filter
from postfinger_py.commands.lookup import learned_text, lookup, render
from postfinger_py.model import Context, Options
from postfinger_py.parse.lookup_keys import (
    ACCESS,
    ADDRESS,
    ALIASES,
    DOMAINS,
    TRANSPORT,
    key_forms,
    split_key,
    style_of,
)
from postfinger_py.runner import CommandResult

from ..findings.fakes import NOW, DictFiles
from ..helpers import run_cli

POSTCONF_N = """\
alias_maps = hash:/etc/aliases
mydestination = $myhostname, localhost
myhostname = mx1.bluefinch-logistics.de
recipient_delimiter = +
relocated_maps = hash:/etc/postfix/private
smtp_sasl_password_maps = hash:/etc/postfix/sasl_passwd
smtpd_recipient_restrictions = permit_mynetworks, check_recipient_access hash:/etc/postfix/access\
, reject_unauth_destination
smtpd_sender_login_maps = mysql:/etc/postfix/mysql-senders.cf
transport_maps = hash:/etc/postfix/transport
virtual_alias_maps = hash:/etc/postfix/virtual, regexp:/etc/postfix/virtual.regexp
"""
POSTCONF_P = """\
submission/inet/smtpd_client_restrictions = check_client_access internal:/etc/postfix/x,reject
submission/inet/syslog_name = postfix/submission
"""
POSTCONF_X = """\
mydestination = mx1.bluefinch-logistics.de, localhost
myhostname = mx1.bluefinch-logistics.de
myorigin = mx1.bluefinch-logistics.de
parent_domain_matches_subdomains = debug_peer_list,fast_flush_domains,mynetworks,\
permit_mx_backup_networks,qmqpd_authorized_clients,relay_domains,smtpd_access_maps
recipient_delimiter = +
"""
# What each table holds (postmap -q answers); a table not here has no index built.
TABLES: dict[str, dict[str, str]] = {
    "hash:/etc/aliases": {"postmaster": "root"},
    "hash:/etc/postfix/virtual": {
        "info@kranich-hof.eu": "anna.schulz@kranich-hof.eu",
        "@kranich-hof.eu": "j.meier@bluefinch-logistics.de",
    },
    "regexp:/etc/postfix/virtual.regexp": {},
    "hash:/etc/postfix/access": {"kranich-hof.eu": "REJECT no mail for this domain"},
    "hash:/etc/postfix/sasl_passwd": {"info@kranich-hof.eu": "bluefinch-relay:S3cretPassw0rd!"},
}


class PostmapRunner:
    """postconf answers recorded from a real Postfix; postmap -q answered from TABLES with
    postmap's real exit statuses and messages. `missing` programs do not exist."""

    def __init__(self, missing: Sequence[str] = ()) -> None:
        self.missing = set(missing)
        self.calls: list[tuple[str, ...]] = []

    def run(self, argv: Sequence[str], *, timeout: float = 30.0, stdin: bytes | None = None) -> CommandResult:
        key = tuple(argv)
        self.calls.append(key)
        if key[0] in self.missing:
            return CommandResult(key, None, missing=True, error="command not found")
        postconf = {
            ("postconf", "-n"): POSTCONF_N,
            ("postconf", "-P"): POSTCONF_P,
            ("postconf", "-x"): POSTCONF_X,
        }
        plain = key[:1] + key[3:] if key[:2] == ("postconf", "-c") else key
        if plain in postconf:
            return CommandResult(key, 0, stdout=postconf[plain])
        start = key.index("postmap") if "postmap" in key else -1
        if start < 0:
            return CommandResult(key, None, missing=True, error="not recorded")
        q = key.index("-q")  # read-only: never anything but a query
        assert key[start + 1 : q] in ((), ("-c", "/etc/postfix-out")), key
        what, table = key[q + 1], key[q + 2]
        assert len(key) == q + 3, key
        kind, _, path = table.partition(":")
        if kind == "mysql":
            return CommandResult(key, 1, stderr="postmap: fatal: unsupported dictionary type: mysql\n")
        if path == "/etc/postfix/private":  # mode 0600 root: what postmap says as postfix
            return CommandResult(
                key, 1, stderr="postmap: fatal: open database /etc/postfix/private.db: Permission denied\n"
            )
        if table not in TABLES:
            return CommandResult(
                key, 1, stderr=f"postmap: fatal: open database {path}.db: No such file or directory\n"
            )
        if what in TABLES[table]:
            return CommandResult(key, 0, stdout=TABLES[table][what] + "\n")
        return CommandResult(key, 1)


def context(runner: PostmapRunner, euid: int = 1000) -> Context:
    return Context(runner, DictFiles(), NOW, euid, Options())


def asked(runner: PostmapRunner, table: str) -> list[str]:
    return [c[c.index("-q") + 1] for c in runner.calls if "postmap" in c and c[-1] == table]


def test_access_order_with_extension_and_parent_style() -> None:
    addr = split_key("j.meier+lists@Mail.Bluefinch-Logistics.de", "+")
    forms, _ = key_forms(addr, ACCESS, "hash:/etc/postfix/access", True, None)
    assert [f.key for f in forms] == [
        "j.meier+lists@mail.bluefinch-logistics.de",
        "j.meier@mail.bluefinch-logistics.de",
        "mail.bluefinch-logistics.de",
        "bluefinch-logistics.de",
        "de",
        "j.meier+lists@",
        "j.meier@",
    ]
    # without smtpd_access_maps in parent_domain_matches_subdomains: .parent forms
    forms, _ = key_forms(addr, ACCESS, "hash:/etc/postfix/access", False, None)
    assert [f.key for f in forms][3:5] == [".bluefinch-logistics.de", ".de"]


def test_virtual_order_and_local_part_only_for_local_domains() -> None:
    addr = split_key("lager+x@bluefinch-logistics.de", "+")
    forms, _ = key_forms(addr, ADDRESS, "hash:/etc/postfix/virtual", False, True)
    assert [f.key for f in forms] == [
        "lager+x@bluefinch-logistics.de",
        "lager@bluefinch-logistics.de",
        "lager+x",
        "lager",
        "@bluefinch-logistics.de",
    ]
    forms, _ = key_forms(addr, ADDRESS, "hash:/etc/postfix/virtual", False, False)
    assert [f.key for f in forms] == [
        "lager+x@bluefinch-logistics.de",
        "lager@bluefinch-logistics.de",
        "@bluefinch-logistics.de",
    ]


def test_pattern_tables_get_the_full_key_only() -> None:
    addr = split_key("info@kranich-hof.eu")
    for spec in ("regexp:/etc/postfix/virtual.regexp", "proxy:pcre:/etc/postfix/v.pcre"):
        forms, _ = key_forms(addr, ACCESS, spec, True, True)
        assert [f.key for f in forms] == ["info@kranich-hof.eu"]


def test_transport_domain_lists_and_aliases() -> None:
    addr = split_key("info@mail.kranich-hof.eu")
    forms, _ = key_forms(addr, TRANSPORT, "hash:/etc/postfix/transport", False, False)
    assert [f.key for f in forms] == [
        "info@mail.kranich-hof.eu",
        "mail.kranich-hof.eu",
        ".kranich-hof.eu",
        ".eu",
        "*",
    ]
    forms, _ = key_forms(addr, DOMAINS, "hash:/etc/postfix/relay", True, False)
    assert [f.key for f in forms] == ["mail.kranich-hof.eu", "kranich-hof.eu", "eu"]
    forms, why = key_forms(split_key("kranich-hof.eu"), ALIASES, "hash:/etc/aliases", False, None)
    assert forms == [] and "local part" in why
    forms, why = key_forms(addr, ALIASES, "hash:/etc/aliases", False, False)
    assert forms == [] and "not" in why


def test_style_follows_the_restriction_and_parameter() -> None:
    items = ["permit_mynetworks", "check_sender_access", "hash:/a", "hash:/b"]
    assert style_of("smtpd_sender_restrictions", items, "hash:/a") == ACCESS
    assert style_of("smtpd_sender_restrictions", items, "hash:/b") == ADDRESS
    assert style_of("relay_domains", ["hash:/r"], "hash:/r") == DOMAINS
    assert style_of("sender_dependent_default_transport_maps", [], "hash:/t") == TRANSPORT


def test_lookup_asks_each_table_the_forms_of_its_use() -> None:
    runner = PostmapRunner()
    results = {r.spec: r for r in lookup(context(runner), "info@kranich-hof.eu")}
    assert asked(runner, "hash:/etc/postfix/virtual") == [
        "info@kranich-hof.eu",
        "@kranich-hof.eu",
    ]  # kranich-hof.eu is not local: no bare "info"
    assert asked(runner, "regexp:/etc/postfix/virtual.regexp") == ["info@kranich-hof.eu"]
    assert asked(runner, "hash:/etc/postfix/access") == [
        "info@kranich-hof.eu",
        "kranich-hof.eu",
        "eu",
        "info@",
    ]
    virtual = results["hash:/etc/postfix/virtual"]
    assert [(a.key, a.found, a.value) for a in virtual.answers] == [
        ("info@kranich-hof.eu", True, "anna.schulz@kranich-hof.eu"),
        ("@kranich-hof.eu", True, "j.meier@bluefinch-logistics.de"),
    ]
    assert virtual.params == ["virtual_alias_maps"]
    access = results["hash:/etc/postfix/access"]
    assert access.style == ACCESS and access.params == ["smtpd_recipient_restrictions"]
    assert access.winner is not None and access.winner.key == "kranich-hof.eu"
    # Postfix opens the alias table only for local domains, so it is not asked
    assert asked(runner, "hash:/etc/aliases") == []
    assert "not asked" in results["hash:/etc/aliases"].problem


def test_unaskable_tables_say_why_in_one_line() -> None:
    results = {r.spec: r for r in lookup(context(PostmapRunner()), "info@kranich-hof.eu")}
    assert results["mysql:/etc/postfix/mysql-senders.cf"].problem == (
        "unsupported dictionary type: mysql (install postfix-mysql)"
    )
    assert results["hash:/etc/postfix/transport"].problem == (
        "open database /etc/postfix/transport.db: No such file or directory"
    )
    assert results["hash:/etc/postfix/transport"].answers == []
    assert results["hash:/etc/postfix/private"].problem == (
        "open database /etc/postfix/private.db: Permission denied (this user cannot read it; "
        "Postfix opens hash: tables as root)"
    )
    internal = results["internal:/etc/postfix/x"]  # named by a master.cf -o override
    assert internal.params == ["smtpd_client_restrictions"] and "postmap cannot" in internal.problem
    text = render("info@kranich-hof.eu", list(results.values()), False, lambda t: t)
    line = next(ln for ln in text.splitlines() if "mysql" in ln and "cannot ask" in ln)
    assert line == "  cannot ask: unsupported dictionary type: mysql (install postfix-mysql)"


def test_password_tables_are_masked_even_without_anonymization() -> None:
    runner = PostmapRunner()
    ctx = context(runner)
    results = lookup(ctx, "info@kranich-hof.eu")
    sasl = next(r for r in results if r.spec == "hash:/etc/postfix/sasl_passwd")
    assert sasl.secret and sasl.answers[0].found and sasl.answers[0].value == ""
    assert "S3cret" not in learned_text("info@kranich-hof.eu", results)
    clean = text_filter(ctx, AnonSettings(mode="off"), learned_text("info@kranich-hof.eu", results))
    for as_json in (False, True):
        out = render("info@kranich-hof.eu", results, as_json, clean)
        assert "S3cretPassw0rd" not in out and "bluefinch-relay" not in out
        assert "info@kranich-hof.eu" in out  # --no-anonymize: the rest is shown as it is
    text = render("info@kranich-hof.eu", results, False, clean)
    assert "  info@kranich-hof.eu  [full address]  found (secret, masked)" in text
    doc = json.loads(render("info@kranich-hof.eu", results, True, clean))
    [entry] = [t for t in doc["tables"] if t["table"] == "hash:/etc/postfix/sasl_passwd"]
    assert entry["asked"][0]["answer"] == "(secret, masked)" and entry["secret"] is True


def test_output_is_anonymized_including_the_bare_local_part() -> None:
    runner = PostmapRunner()
    ctx = context(runner)
    key = "zq.walther+news@mx1.bluefinch-logistics.de"  # $myorigin: a local domain
    results = lookup(ctx, key)
    clean = text_filter(ctx, AnonSettings(), learned_text(key, results))
    out = render(key, results, False, clean)
    virtual = next(r for r in results if r.spec == "hash:/etc/postfix/virtual")
    assert "zq.walther+news" in [a.key for a in virtual.answers]  # asked bare: a local domain
    for value in ("zq.walther", "news", "bluefinch", "kranich-hof", "anna.schulz"):
        assert value not in out, value
    assert "[local part (a local domain)]  not found" in out
    assert "[local part and @ without its extension]  not found" in out


def test_as_root_it_asks_as_postfix_with_setpriv_or_runuser() -> None:
    runner = PostmapRunner()
    lookup(context(runner, euid=0), "info@kranich-hof.eu")
    results = lookup(context(runner, euid=0), "info@kranich-hof.eu")
    private = next(r for r in results if r.spec == "hash:/etc/postfix/private")
    assert "(the user postfix cannot read it; Postfix opens hash: tables as root)" in private.problem
    postmaps = [c for c in runner.calls if "postmap" in c]
    assert postmaps and all(
        c[:4] == ("setpriv", "--reuid=postfix", "--regid=postfix", "--clear-groups") for c in postmaps
    )
    runner = PostmapRunner(missing=["setpriv"])
    lookup(context(runner, euid=0), "info@kranich-hof.eu")
    postmaps = [c for c in runner.calls if "postmap" in c and c[0] != "setpriv"]
    assert postmaps and all(c[:4] == ("runuser", "-u", "postfix", "--") for c in postmaps)
    runner = PostmapRunner()
    lookup(context(runner, euid=1000), "info@kranich-hof.eu")
    assert all(c[0] == "postmap" for c in runner.calls if "postmap" in c)


def test_config_dir_is_passed_to_postmap() -> None:
    runner = PostmapRunner()
    ctx = Context(runner, DictFiles(), NOW, 1000, Options(config_dir="/etc/postfix-out"))
    lookup(ctx, "info@kranich-hof.eu")
    assert ("postconf", "-c", "/etc/postfix-out", "-n") in runner.calls
    postmaps = [c for c in runner.calls if c[0] == "postmap"]
    assert postmaps and all(c[:3] == ("postmap", "-c", "/etc/postfix-out") for c in postmaps)


def test_usage_errors_are_one_line_with_status_2() -> None:
    for argv in (["lookup"], ["lookup", " "], ["lookup", "two words"], ["lookup", "user@"]):
        res = run_cli(argv)
        assert res.status == 2, argv
        assert res.stderr.count("\n") == 1 and "lookup" in res.stderr, res.stderr


def test_help_has_examples_and_exit_statuses() -> None:
    res = run_cli(["lookup", "--help"])
    assert res.status == 0
    assert "postfinger lookup info@example.com" in res.stdout
    assert "exit status: 0" in res.stdout and "--no-anonymize" in res.stdout
    assert "--config-dir" in res.stdout and "--json" in res.stdout


def test_an_override_of_a_main_cf_restriction_list_keeps_its_access_style() -> None:
    class Override(PostmapRunner):
        def run(
            self, argv: Sequence[str], *, timeout: float = 30.0, stdin: bytes | None = None
        ) -> CommandResult:
            if tuple(argv) == ("postconf", "-P"):
                self.calls.append(tuple(argv))
                return CommandResult(
                    tuple(argv),
                    0,
                    stdout=(
                        "submission/inet/smtpd_recipient_restrictions = "
                        "check_recipient_access hash:/etc/postfix/sub_access,permit\n"
                    ),
                )
            return super().run(argv, timeout=timeout, stdin=stdin)

    TABLES["hash:/etc/postfix/sub_access"] = {}
    try:
        runner = Override()
        results = {r.spec: r for r in lookup(context(runner), "info@kranich-hof.eu")}
    finally:
        del TABLES["hash:/etc/postfix/sub_access"]
    assert results["hash:/etc/postfix/sub_access"].style == ACCESS
    assert results["hash:/etc/postfix/access"].style == ACCESS  # main.cf's, same parameter
    assert asked(runner, "hash:/etc/postfix/sub_access") == [
        "info@kranich-hof.eu",
        "kranich-hof.eu",
        "eu",
        "info@",
    ]


def test_an_ipv4_key_gets_the_network_forms_not_parent_domains() -> None:
    forms, _ = key_forms(split_key("10.20.30.40"), ACCESS, "hash:/etc/postfix/client_access", True, None)
    assert [f.key for f in forms] == ["10.20.30.40", "10.20.30", "10.20", "10"]
    forms, _ = key_forms(split_key("10.20.30.40"), ACCESS, "cidr:/etc/postfix/clients.cidr", True, None)
    assert [f.key for f in forms] == ["10.20.30.40"]
