"""Parsers of postconf output, on outputs recorded from the real troubled Debian 12 Postfix."""

from __future__ import annotations

from pathlib import Path

from postfinger_py.parse.postconf import (
    comment_in_value,
    defaults_in_main,
    parse_list,
    parse_master,
    parse_overrides,
    parse_parameters,
    parse_warnings,
    unfold,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "debian12"


def read(name: str) -> str:
    return (DATA / name).read_text()


def test_folded_and_flat_output_give_the_same_parameters() -> None:
    folded = parse_parameters(read("postconf-nf.txt"))
    flat = parse_parameters(read("postconf-n.txt"))
    assert folded == flat
    assert len(flat) == len(read("postconf-n.txt").splitlines())
    assert dict(flat)["smtpd_recipient_restrictions"].endswith("reject_rhsbl_sender dbl.spamhaus.org")


def test_unfold_joins_continuations_only() -> None:
    assert unfold("a = b,\n    c\nd = e\n") == ["a = b, c", "d = e"]
    assert unfold("  leading continuation without a head\nx = 1\n") == [
        "leading continuation without a head",
        "x = 1",
    ]


def test_empty_value_is_kept() -> None:
    assert parse_parameters("relayhost =\nmydomain = x\n") == [("relayhost", ""), ("mydomain", "x")]


def test_warnings_keep_postconf_prefix_and_drop_path() -> None:
    warnings = parse_warnings(read("postconf-nf.stderr.txt"))
    assert warnings == [
        "postconf: warning: /etc/postfix/main.cf: unused parameter: smtpd_sasl_autenticated_header=yes"
    ]
    assert parse_warnings("something else\n") == []


def test_master_services_match_the_flat_listing() -> None:
    services = parse_master(read("postconf-M.txt"))
    assert len(services) == len(read("postconf-M.txt").splitlines())
    smtp = [s for s in services if s["service"] == "smtp" and s["type"] == "inet"]
    assert smtp and smtp[0]["args"] == ["-v"]
    folded = parse_master(read("postconf-Mf.txt"))
    assert [(s["service"], s["type"]) for s in folded] == [(s["service"], s["type"]) for s in services]
    relay_test = next(s for s in folded if s["service"] == "127.0.0.1:2525")
    assert relay_test["args"] == ["-o", "mynetworks=10.99.0.0/16", "-o", "syslog_name=postfix/relaytest"]


def test_overrides() -> None:
    overrides = parse_overrides(read("postconf-P.txt"))
    assert {
        "service": "127.0.0.1:2525",
        "type": "inet",
        "name": "mynetworks",
        "value": "10.99.0.0/16",
    } in overrides
    assert len(overrides) == len(read("postconf-P.txt").splitlines())


def test_lists() -> None:
    assert "hash" in parse_list(read("postconf-m.txt"))
    assert "mysql" not in parse_list(read("postconf-m.txt"))
    assert parse_list(read("postconf-l.txt")) == ["flock", "fcntl", "dotlock"]


def test_defaults_in_main_finds_exact_defaults_only() -> None:
    params = parse_parameters(read("postconf-n.txt"))
    same = dict(defaults_in_main(params, parse_parameters(read("postconf-d.txt"))))
    assert same == {"maximal_queue_lifetime": "5d", "message_size_limit": "10240000"}


def test_defaults_in_main_ignores_list_spacing() -> None:
    assert defaults_in_main([("a", "x,y  z")], [("a", "x, y z")]) == [("a", "x,y  z")]
    assert defaults_in_main([("a", "x")], [("a", "y")]) == []


def test_hash_in_value_is_found() -> None:
    params = parse_parameters(read("postconf-n.txt"))
    assert comment_in_value(params) == ["mydestination"]


def test_warnings_once_each_in_a_stable_order() -> None:
    # What postconf 3.7 printed for a main.cf with a parameter set twice and two typos, in one
    # run (it re-read main.cf, repeating the override warnings) and in the next (once each, the
    # unused parameters in another order). The same configuration must give the same report.
    first = (
        "postconf: warning: /tmp/site/main.cf, line 28: overriding earlier entry: "
        "virtual_alias_maps=hash:/etc/postfix/virtual\n"
        "postconf: warning: /tmp/site/main.cf, line 25: overriding earlier entry: "
        "virtual_alias_maps=hash:/tmp/site/nonexist\n"
        * 3
        + "postconf: warning: /tmp/site/main.cf, line 28: overriding earlier entry: "
        "virtual_alias_maps=hash:/etc/postfix/virtual\n"
        "/usr/sbin/postconf: warning: /tmp/site/main.cf: unused parameter: smtpd_tls_cert_fil=/x\n"
        "postconf: warning: /tmp/site/main.cf: unused parameter: foo_bar=1\n"
    )
    second = (
        "postconf: warning: /tmp/site/main.cf: unused parameter: foo_bar=1\n"
        "postconf: warning: /tmp/site/main.cf, line 28: overriding earlier entry: "
        "virtual_alias_maps=hash:/etc/postfix/virtual\n"
        "postconf: warning: /tmp/site/main.cf, line 25: overriding earlier entry: "
        "virtual_alias_maps=hash:/tmp/site/nonexist\n"
        "postconf: warning: /tmp/site/main.cf: unused parameter: smtpd_tls_cert_fil=/x\n"
    )
    expected = [
        "postconf: warning: /tmp/site/main.cf, line 25: overriding earlier entry: "
        "virtual_alias_maps=hash:/tmp/site/nonexist",
        "postconf: warning: /tmp/site/main.cf, line 28: overriding earlier entry: "
        "virtual_alias_maps=hash:/etc/postfix/virtual",
        "postconf: warning: /tmp/site/main.cf: unused parameter: foo_bar=1",
        "postconf: warning: /tmp/site/main.cf: unused parameter: smtpd_tls_cert_fil=/x",
    ]
    assert parse_warnings(first) == expected
    assert parse_warnings(second) == expected
