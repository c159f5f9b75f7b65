"""--probe: which listeners are probed where, and the checks on what they answered.

The probe results here are the ones recorded on the test site (tests/integration/setup-postfix.sh)
with `postfinger --probe --only probe --format json --no-anonymize`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from postfinger_py.collect.probe import ProbeCollector, plan, split_service
from postfinger_py.findings.probe import probe_answers, probe_auth, probe_auth_in_clear, probe_tls
from postfinger_py.model import Options, Status

from .fakes import facts, maincf, mastercf, section, service

SUBMISSION_OK = {
    "outcome": "ok",
    "detail": "",
    "banner": "220 mx1.bluefinch-logistics.de ESMTP Postfix (Debian/GNU)",
    "tls": "TLSv1.3 TLS_AES_256_GCM_SHA384",
    "features": [
        "PIPELINING",
        "SIZE 10240000",
        "VRFY",
        "ETRN",
        "STARTTLS",
        "ENHANCEDSTATUSCODES",
        "8BITMIME",
        "DSN",
        "SMTPUTF8",
        "CHUNKING",
    ],
    "features_tls": [
        "PIPELINING",
        "SIZE 10240000",
        "VRFY",
        "ETRN",
        "AUTH SCRAM-SHA-512 SCRAM-SHA-256 DIGEST-MD5 CRAM-MD5 NTLM PLAIN LOGIN",
        "ENHANCEDSTATUSCODES",
        "8BITMIME",
        "DSN",
        "SMTPUTF8",
        "CHUNKING",
    ],
}
NO_GREETING = {
    "outcome": "timeout",
    "detail": "no greeting within 10 s",
    "banner": "",
    "tls": "",
    "features": [],
    "features_tls": [],
}
REFUSED = {
    "outcome": "refused",
    "detail": "connection refused: nothing listens there",
    "banner": "",
    "tls": "",
    "features": [],
    "features_tls": [],
}


class DictProber:
    """Answers probes from recorded results; records what was asked."""

    def __init__(self, answers: dict[tuple[str, int, bool], dict[str, Any]]) -> None:
        self.answers = answers
        self.asked: list[tuple[str, int, bool]] = []

    def probe(self, host: str, port: int, wrapper: bool = False) -> dict[str, Any]:
        self.asked.append((host, port, wrapper))
        return self.answers[(host, port, wrapper)]


SERVICES = [
    service("smtp", "inet", "smtpd", args=["-v"]),
    service("127.0.0.1:2527", "inet", "smtpd"),
    service("127.0.0.1:2528", "inet", "smtpd"),
    service("submission", "inet", "smtpd"),
    service("smtps", "inet", "smtpd"),
    service("10.0.0.5:25", "inet", "smtpd"),
    service("pickup", "unix", "pickup"),
]
OVERRIDES = [
    {"service": "submission", "type": "inet", "name": "smtpd_tls_security_level", "value": "encrypt"},
    {"service": "submission", "type": "inet", "name": "smtpd_sasl_auth_enable", "value": "yes"},
    {"service": "smtps", "type": "inet", "name": "smtpd_tls_wrappermode", "value": "yes"},
]
EFFECTIVE = {"inet_interfaces": "loopback-only", "inet_protocols": "ipv4"}


def site(
    probe_rows: Any = None,
    effective: dict[str, str] = EFFECTIVE,
    overrides: list[dict[str, str]] = OVERRIDES,
    main: dict[str, str] | None = None,
) -> Any:
    sections = [maincf(main or {}), mastercf(SERVICES, overrides)]
    if probe_rows is not None:
        sections.append(section("probe", {"listeners": probe_rows}))
    return facts(sections, effective=dict(effective))


def test_the_plan_probes_loopback_only_and_says_why_not_elsewhere() -> None:
    rows = {r["service"]: r for r in plan(site())}
    assert set(rows) == {
        "smtp/inet",
        "127.0.0.1:2527/inet",
        "127.0.0.1:2528/inet",
        "submission/inet",
        "smtps/inet",
        "10.0.0.5:25/inet",
    }  # no pickup
    assert (rows["smtp/inet"]["host"], rows["smtp/inet"]["port"]) == ("127.0.0.1", 25)
    assert rows["submission/inet"]["port"] == 587
    assert rows["smtps/inet"]["port"] == 465 and rows["smtps/inet"]["wrapper"] is True
    assert rows["127.0.0.1:2527/inet"]["port"] == 2527
    assert rows["10.0.0.5:25/inet"]["host"] == ""
    assert "loopback only" in rows["10.0.0.5:25/inet"]["skipped"]


def test_ipv6_only_and_explicit_interfaces() -> None:
    rows = plan(site(effective={"inet_interfaces": "all", "inet_protocols": "ipv6"}))
    assert {r["host"] for r in rows if not r["skipped"]} == {"::1", "127.0.0.1"}  # 2527: its own
    rows = plan(site(effective={"inet_interfaces": "192.0.2.7", "inet_protocols": "all"}))
    smtp = next(r for r in rows if r["service"] == "smtp/inet")
    assert smtp["skipped"].startswith("inet_interfaces = 192.0.2.7 has no loopback")
    assert split_service("[::1]:25") == ("::1", "25")


def test_the_collector_asks_the_prober_and_describes_the_answers() -> None:
    f = site()
    prober = DictProber(
        {
            ("127.0.0.1", 25, False): SUBMISSION_OK,
            ("127.0.0.1", 2527, False): NO_GREETING,
            ("127.0.0.1", 2528, False): REFUSED,
            ("127.0.0.1", 587, False): SUBMISSION_OK,
            ("127.0.0.1", 465, True): REFUSED,
        }
    )
    ctx = replace(f.ctx, options=Options(probe=True), prober=prober)
    sec = ProbeCollector().collect_from(ctx, list(f.sections.values()))
    assert sec.status is Status.OK
    assert sorted(prober.asked) == sorted(prober.answers)  # 10.0.0.5 was not asked
    rows = {r["service"]: r for r in sec.data["listeners"]}
    sub = rows["submission/inet"]
    assert sub["auth"] == "" and sub["auth_tls"].endswith("PLAIN LOGIN")
    assert sub["starttls"] == "offered" and sub["address"] == "127.0.0.1:587"
    assert rows["smtps/inet"]["address"] == "127.0.0.1:465/tls"
    assert rows["10.0.0.5:25/inet"]["outcome"] == "skipped"


def test_without_the_option_nothing_is_probed() -> None:
    f = site()
    prober = DictProber({})
    ctx = replace(f.ctx, prober=prober)
    sec = ProbeCollector().collect_from(ctx, list(f.sections.values()))
    assert sec.status is Status.SKIPPED and prober.asked == []
    assert "--probe" in sec.notes[0]


def test_master_not_running_means_no_connection() -> None:
    f = site()
    prober = DictProber({})
    ctx = replace(f.ctx, options=Options(probe=True), prober=prober)
    sections = [*f.sections.values(), section("processes", {"master": {"state": "stopped"}})]
    sec = ProbeCollector().collect_from(ctx, sections)
    assert prober.asked == []
    assert all(r["skipped"] == "the master daemon is not running" for r in sec.data["listeners"] if r["host"])


def rows(*pairs: tuple[str, dict[str, Any]]) -> list[dict[str, Any]]:
    from postfinger_py.collect.probe import describe

    out = []
    for svc, res in pairs:
        host, port = ("127.0.0.1", {"submission": 587, "smtp": 25}.get(svc, 0))
        if ":" in svc:
            port = int(svc.rsplit(":", 1)[1])
        out.append(
            describe(
                {
                    "service": f"{svc}/inet",
                    "program": "smtpd",
                    "host": host,
                    "port": port,
                    "wrapper": False,
                    "skipped": "",
                },
                res,
            )
        )
    return out


def test_refused_and_silent_listeners_are_problems() -> None:
    f = site(
        rows(("127.0.0.1:2527", NO_GREETING), ("127.0.0.1:2528", REFUSED), ("submission", SUBMISSION_OK))
    )
    found = {x.code: x for x in probe_answers(f)}
    assert set(found) == {"probe-no-greeting", "probe-refused"}
    assert found["probe-refused"].severity == "problem"
    assert "postfix reload" in found["probe-refused"].action
    assert "master.cf: 127.0.0.1:2528 inet ... smtpd" in found["probe-refused"].evidence
    assert "no greeting within 10 s" in found["probe-no-greeting"].message


def test_a_421_greeting_is_a_warning() -> None:
    res = dict(
        NO_GREETING,
        outcome="greeting",
        banner="421 4.3.0 mx Server configuration error",
        detail="the greeting is 421, not 220",
    )
    found = list(probe_answers(site(rows(("smtp", res)))))
    assert [x.code for x in found] == ["probe-greeting-refused"]
    assert "421 4.3.0" in found[0].message


def test_encrypt_without_starttls_is_a_problem_and_may_a_warning() -> None:
    plain = dict(SUBMISSION_OK, tls="", features=["PIPELINING", "8BITMIME"], features_tls=[])
    found = list(probe_tls(site(rows(("submission", plain)))))
    assert [(x.code, x.severity) for x in found] == [("probe-starttls-missing", "problem")]
    assert "master.cf: submission/inet -o smtpd_tls_security_level=encrypt" in found[0].evidence
    found = list(
        probe_tls(
            site(
                rows(("smtp", plain)),
                main={"smtpd_tls_security_level": "may"},
                effective=dict(EFFECTIVE, smtpd_tls_security_level="may"),
            )
        )
    )
    assert [(x.code, x.severity) for x in found] == [("probe-starttls-missing", "warning")]
    # TLS offered as configured: nothing.
    assert list(probe_tls(site(rows(("submission", SUBMISSION_OK))))) == []


def test_sasl_enabled_but_no_auth_offered() -> None:
    no_auth = dict(SUBMISSION_OK, features_tls=["PIPELINING", "8BITMIME"])
    found = list(probe_auth(site(rows(("submission", no_auth)))))
    assert [x.code for x in found] == ["probe-auth-missing"]
    assert list(probe_auth(site(rows(("submission", SUBMISSION_OK))))) == []
    # SASL not enabled on smtp: no AUTH expected there.
    assert list(probe_auth(site(rows(("smtp", no_auth))))) == []


def test_auth_before_starttls_is_a_warning() -> None:
    early = dict(SUBMISSION_OK, features=[*SUBMISSION_OK["features"], "AUTH PLAIN LOGIN"])
    found = list(probe_auth_in_clear(site(rows(("submission", early)))))
    assert [x.code for x in found] == ["probe-auth-before-tls"]
    assert list(probe_auth_in_clear(site(rows(("submission", SUBMISSION_OK))))) == []


def test_no_probe_section_no_findings() -> None:
    f = site()
    for check in (probe_answers, probe_tls, probe_auth, probe_auth_in_clear):
        assert list(check(f)) == []


def test_a_refused_port_already_found_not_listening_is_not_reported_twice() -> None:
    f = site(rows(("127.0.0.1:2528", REFUSED)))
    f.sections["processes"] = section("processes", {"missing": [{"port": 2528, "service": "127.0.0.1:2528"}]})
    assert list(probe_answers(f)) == []
