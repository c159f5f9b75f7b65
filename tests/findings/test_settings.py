"""Testing-only settings: soft_bounce, debug_peer_list, -v and -D in master.cf."""

from __future__ import annotations

from postfinger_py.findings import Finding, manual_url, run_checks
from postfinger_py.findings.settings import debug_peers, soft_bounce, verbose_services

from ..conftest import EXAMPLE_KEY, EXAMPLE_SNAPSHOT
from ..helpers import run_cli
from .fakes import facts, maincf, mastercf, service


def codes(found: list[Finding]) -> list[str]:
    return [f.code for f in found]


def test_soft_bounce_in_main_cf_and_in_an_override() -> None:
    f = facts(
        [
            maincf({"soft_bounce": "yes"}),
            mastercf(
                [service("smtp", "inet")],
                [{"service": "relay", "type": "unix", "name": "soft_bounce", "value": "yes"}],
            ),
        ]
    )
    [found] = soft_bounce(f)
    assert found.severity == "warning"
    assert found.evidence == ("main.cf: soft_bounce = yes", "master.cf: relay/unix -o soft_bounce=yes")


def test_soft_bounce_no_is_not_a_finding() -> None:
    assert list(soft_bounce(facts([maincf({"soft_bounce": "no"}), mastercf([])]))) == []


def test_debug_peer_list_empty_is_not_a_finding() -> None:
    assert list(debug_peers(facts([maincf({"debug_peer_list": ""}), mastercf([])]))) == []
    [found] = debug_peers(
        facts([maincf({"debug_peer_list": "10.1.2.3", "debug_peer_level": "3"}), mastercf([])])
    )
    assert found.evidence == ("main.cf: debug_peer_list = 10.1.2.3", "main.cf: debug_peer_level = 3")


def test_verbose_and_debugger_services() -> None:
    f = facts(
        [
            maincf({}),
            mastercf(
                [
                    service("smtp", "inet", args=["-v"]),
                    service("cleanup", command="cleanup", args=["-D"]),
                    service("pickup", command="pickup"),
                ]
            ),
        ]
    )
    found = list(verbose_services(f))
    assert codes(found) == ["verbose-service", "debugger-service"]
    assert found[0].evidence == ("master.cf: smtp/inet smtpd -v",)
    assert "cleanup/unix" in found[1].message


def test_a_crashing_check_is_a_note_and_the_others_still_run() -> None:
    def broken(_facts: object) -> list[Finding]:
        raise KeyError("boom")

    out = run_checks(facts([maincf({"soft_bounce": "yes"}), mastercf([])]), [broken, soft_bounce])
    assert codes(out.findings) == ["soft-bounce"]
    assert out.notes and "internal error in check broken: KeyError" in out.notes[0]


def test_findings_are_ordered_by_severity_then_check_order() -> None:
    f = facts(
        [
            maincf({"soft_bounce": "yes", "debug_peer_list": "x"}),
            mastercf([service("smtp", "inet", args=["-v"])]),
        ]
    )
    out = run_checks(f, [debug_peers, soft_bounce, verbose_services])
    assert [x.severity for x in out.findings] == ["warning", "warning", "note"]
    assert codes(out.findings) == ["soft-bounce", "verbose-service", "debug-peer-list"]


def test_manual_urls() -> None:
    assert manual_url("postconf(5) soft_bounce") == "https://www.postfix.org/postconf.5.html#soft_bounce"
    assert manual_url("DEBUG_README") == "https://www.postfix.org/DEBUG_README.html"
    assert manual_url("postmap(1)") == "https://www.postfix.org/postmap.1.html"
    assert manual_url("") == ""


def test_check_command_shows_the_findings_alone() -> None:
    check = run_cli(["check", "--replay", str(EXAMPLE_SNAPSHOT), "--anon-key", str(EXAMPLE_KEY)])
    assert check.status == 0, check.stderr
    assert "==== 1. Findings" in check.stdout and "==== 2." not in check.stdout
    assert "[warning] soft_bounce = yes" in check.stdout
    assert "Privacy" not in check.stdout
    assert run_cli(["check", "--all"]).status == 2


def test_a_log_symptom_is_folded_into_the_cause_the_config_shows() -> None:
    from postfinger_py.findings import Finding, fold_symptoms

    cause = Finding(
        "problem",
        "table-index-missing",
        "hash:/etc/postfix/transport: no index",
        ("main.cf: transport_maps = hash:/etc/postfix/transport",),
        "postmap",
    )
    symptom = Finding(
        "problem",
        "log-open-database",
        "an index does not exist",
        (
            "Dec 06 04:47:52 mx postfix/trivial-rewrite[1]: error: open database /etc/postfix/transport.db",
            "5 such line(s) in the window",
        ),
    )
    jail = Finding("note", "chroot-jail-missing", "the jail lacks hosts")
    jail_dns = Finding("warning", "chroot-jail-missing", "the jail lacks resolv.conf")
    unknown = Finding("warning", "log-unknown-client", "clients are unknown", ("connect from unknown",))
    other = Finding("warning", "log-comment-in-value", "a '#' in a value")
    sasl = Finding(
        "problem",
        "table-index-missing",
        "hash:/etc/postfix/sasl_passwd: no index",
        ("/etc/postfix/sasl_passwd.db: no such file",),
    )
    out = fold_symptoms([sasl, cause, symptom, jail, jail_dns, unknown, other])
    assert out[0] is sasl  # the log line names transport.db: it is the transport finding's
    out = out[1:]
    assert [f.code for f in out] == [
        "table-index-missing",
        "chroot-jail-missing",
        "chroot-jail-missing",
        "log-comment-in-value",
    ]
    assert out[0].evidence == (
        "main.cf: transport_maps = hash:/etc/postfix/transport",
        "log: Dec 06 04:47:52 mx postfix/trivial-rewrite[1]: error: open database /etc/postfix/transport.db",
        "log: 5 such line(s) in the window",
    )
    assert out[1] is jail  # the note is untouched; the warning about resolv.conf gets the log
    assert out[2].evidence == ("log: connect from unknown",)
    # A symptom without its cause stays a finding of its own.
    assert fold_symptoms([symptom]) == [symptom]
