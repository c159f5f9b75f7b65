"""Logs explained, and the reject / failure summary, on real-shaped recorded lines."""

from __future__ import annotations

import re
from datetime import timezone
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from postfinger_py.findings import SEVERITIES, manual_url
from postfinger_py.findings.logs import explained, failures_one_reason, relay_denied_own
from postfinger_py.logs import kinds
from postfinger_py.logs.kinds import KINDS, normalize_reason, reject_class
from postfinger_py.logs.lines import YearGuesser
from postfinger_py.logs.problems import ProblemScan
from postfinger_py.logs.scan import ReadNotes, windows

from .fakes import NOW, facts, maincf, section

LOG = Path(__file__).resolve().parent / "data" / "logs-explained.log"


def scanned(path: Path = LOG, chunk: int = 1 << 20) -> dict[str, Any]:
    scan = ProblemScan(limit=100)
    with open(path, "rb") as fh:
        scan.feed(
            windows(fh, ReadNotes(str(path)), chunk=chunk, room=4096),
            YearGuesser(NOW),
            timezone.utc,
            ReadNotes(str(path)),
        )
    return scan.explain.data()


def counts(data: dict[str, Any]) -> dict[str, int]:
    return {e["code"]: e["count"] for e in data["explained"]}


def test_every_kind_is_well_formed() -> None:
    codes = [k.code for k in KINDS]
    assert len(codes) == len(set(codes))
    for k in KINDS:
        assert k.severity in SEVERITIES
        assert k.message and k.action
        assert manual_url(k.manual), k.code  # names a real manual page


def test_each_kind_once_with_its_count_and_first_line() -> None:
    data = scanned()
    assert counts(data) == {
        "log-comment-in-value": 1,
        "log-open-database": 2,
        "log-unknown-client": 2,
        "log-unsupported-dict": 1,
        "log-relay-restrictions": 1,
        "log-process-limit": 1,
        "log-delivery-refused": 2,
        "log-loops-back": 1,
        "log-damaged-message": 1,
        "log-unused-parameter": 1,
        "log-tls-library": 1,
        "log-tls-certificate": 1,
        "log-sasl-client-failed": 1,
        "log-sasl-relay-failed": 1,
        "log-address-not-listed": 2,
        "log-permission-denied": 1,
        "log-panic": 1,
        "log-start-stop-state": 1,
        "log-delivery-timeout": 1,
        "log-delivery-lost": 1,
        "log-table-missing": 1,
    }
    first = {e["code"]: e["first"] for e in data["explained"]}
    assert first["log-open-database"].endswith(
        "error: open database /etc/postfix/transport.db: No such file or directory"
    )
    assert first["log-unknown-client"].endswith("connect from unknown[127.0.0.1]")
    # The relay-restrictions fatal is its own kind, not also a generic fatal.
    assert "log-fatal" not in first


def test_the_result_does_not_depend_on_where_reads_split_the_log() -> None:
    small, big = scanned(chunk=4096), scanned()
    by_code = lambda d: {e["code"]: e for e in d.pop("explained")}  # noqa: E731
    assert by_code(small) == by_code(big)
    assert small == big


def test_findings_once_per_kind_loopback_unknown_escalates() -> None:
    f = facts([section("logs", scanned()), maincf({"relayhost": "[127.0.0.1]:2599"})])
    found = {x.code: x for x in explained(f)}
    assert len(found) == len(scanned()["explained"])
    unknown = found["log-unknown-client"]
    assert unknown.severity == "warning"  # a note, one step up: even 127.0.0.1 is unknown
    assert "loopback" in unknown.message
    assert unknown.evidence[0].endswith("connect from unknown[127.0.0.1]")
    assert unknown.evidence[1].startswith("2 such line(s)")
    refused = found["log-delivery-refused"]
    assert refused.evidence[-1] == "main.cf: relayhost = [127.0.0.1]:2599"
    assert found["log-unsupported-dict"].severity == "problem"
    assert found["log-start-stop-state"].severity == "note"


def test_unknown_clients_from_elsewhere_only_are_a_note() -> None:
    data = scanned()
    for e in data["explained"]:
        e["escalated"] = False
    [unknown] = [x for x in explained(facts([section("logs", data)])) if x.code == "log-unknown-client"]
    assert unknown.severity == "note"


def test_rejects_grouped_by_restriction_and_reply() -> None:
    data = scanned()
    rows = {(r["reason"], r["reply"]): r["count"] for r in data["rejects"]}
    assert rows == {
        ("Temporary lookup failure", "451 4.3.0"): 1,
        ("Relay access denied", "554 5.7.1"): 2,
        ("blocked using zen.spamhaus.org", "554 5.7.1"): 1,
        ("Recipient address rejected: User unknown in local recipient table", "550 5.1.1"): 1,
    }
    assert data["reject_total"] == 5
    relay = next(r for r in data["rejects"] if r["reason"] == "Relay access denied")
    assert {d["domain"] for d in relay["domains"]} == {"kranich-hof.eu", "elsewhere.example"}


def test_reject_class_strips_the_address_and_keeps_the_restriction() -> None:
    assert reject_class("<a@b.example>: Sender address rejected: Domain not found") == (
        "Sender address rejected: Domain not found"
    )
    assert (
        reject_class("unknown[192.0.2.1]: Client host rejected: cannot find your hostname, [192.0.2.1]")
        == "Client host rejected: cannot find your hostname, [IP]"
    )
    assert reject_class("<x>: Helo command rejected: need fully-qualified hostname") == (
        "Helo command rejected: need fully-qualified hostname"
    )


def test_failures_by_reason_normalize_hosts_and_addresses() -> None:
    data = scanned()
    rows = {(f["status"], f["reason"]): f["count"] for f in data["failures"]}
    assert rows[("deferred", "connect to HOST[IP]:2599: Connection refused")] == 2
    assert rows[("bounced", "mail for kranich-hof.eu loops back to myself")] == 1
    assert (data["deferred_total"], data["bounced_total"], data["sent_total"]) == (6, 1, 1)
    assert normalize_reason("host mx.a.example[192.0.2.1] said: 550 5.1.1 <u@a.example>: no") == (
        "host HOST[IP] said: 550 5.1.1 <ADDRESS>: no"
    )


def whole_text_reference(reason: str) -> str:
    """normalize_reason as it was first written: each regex over the whole text, then spaces."""
    text = reason.strip()
    for _, pattern, replacement in kinds._NORMALIZERS:
        text = pattern.sub(replacement, text)
    return re.sub(r"\s+", " ", text)


# Pieces that the regexes match, nearly match, or that change what \b sees next to them.
_PIECES = st.sampled_from(
    [
        *"mx.a-b.example[192.0.2.1] [192.0.2.1]:25 h_1[ipv6:2001:db8::1] x[::1] a.b[ <u@a.example> <@>"
        " <a u@d 192.0.2.77 1.2.3 1.2.3.4.5 4.2.0 9D3A1B2C abcdef ABCDEF0123456789 bcdfghjklmnpq"
        " BCDFGHJKLMNPQz é _ . - : ; < > [ ] @ ( ) a Z 0".split(),
        *(" ", "  ", "\t", "\n", "\xa0", "\u3000", "\x1c"),  # \s: what str.split() splits at too
    ]
)


@settings(max_examples=3000, deadline=None)
@given(st.lists(_PIECES, max_size=14).map("".join))
def test_normalize_reason_word_by_word_equals_the_whole_text(reason: str) -> None:
    assert normalize_reason(reason) == whole_text_reference(reason)
    assert normalize_reason(reason) == whole_text_reference(reason)  # again, from the word cache


def test_normalize_reason_is_the_same_after_the_word_cache_is_emptied() -> None:
    reason = "host mx.a.example[192.0.2.1] said: 450 4.2.0 <u@a.example>: Greylisted"
    first = normalize_reason(reason)
    for n in range(kinds.MAX_WORDS + 1):
        normalize_reason(f"filler{n}")
    assert len(kinds._WORDS) <= kinds.MAX_WORDS
    assert normalize_reason(reason) == first == whole_text_reference(reason)


def test_relay_denied_for_an_own_domain_is_a_note() -> None:
    f = facts(
        [section("logs", scanned())],
        effective={
            "mydestination": "mx1.bluefinch-logistics.de, localhost",
            "virtual_alias_domains": "kranich-hof.eu",
            "relay_domains": "",
            "virtual_mailbox_domains": "",
        },
    )
    [found] = relay_denied_own(f)
    assert found.severity == "note"
    assert "kranich-hof.eu (1)" in found.evidence[1]
    assert "elsewhere.example" not in found.evidence[1]
    f2 = facts(
        [section("logs", scanned())],
        effective={
            "mydestination": "localhost",
            "virtual_alias_domains": "",
            "relay_domains": "",
            "virtual_mailbox_domains": "",
        },
    )
    assert list(relay_denied_own(f2)) == []


def _failures(deferred: int, sent: int, top: int) -> dict[str, Any]:
    return {
        "deferred_total": deferred,
        "bounced_total": 0,
        "sent_total": sent,
        "failures": [
            {
                "status": "deferred",
                "reason": "address resolver failure",
                "count": top,
                "dsn": "4.3.0",
                "example": "a line",
            },
            {
                "status": "deferred",
                "reason": "other",
                "count": deferred - top,
                "dsn": "4.4.1",
                "example": "b line",
            },
        ],
    }


def test_most_deliveries_deferred_for_one_reason_is_a_warning() -> None:
    [found] = failures_one_reason(facts([section("logs", _failures(50, 3, 40))]))
    assert found.severity == "warning" and found.code == "log-most-deferred"
    assert "address resolver failure" in found.message and "(50, against 3 sent)" in found.message
    # more sent than deferred, several reasons, or too few: nothing to say
    assert list(failures_one_reason(facts([section("logs", _failures(50, 60, 40))]))) == []
    assert list(failures_one_reason(facts([section("logs", _failures(50, 3, 20))]))) == []
    assert list(failures_one_reason(facts([section("logs", _failures(5, 0, 5))]))) == []


def test_problem_lines_are_unchanged_by_the_classification() -> None:
    scan = ProblemScan(limit=100)
    with open(LOG, "rb") as fh:
        scan.feed(windows(fh, ReadNotes("x")), YearGuesser(NOW), timezone.utc, ReadNotes("x"))
    oracle = [
        ln for ln in LOG.read_text().splitlines() if re.search(r"\]: (warning|error|fatal|panic): ", ln)
    ]
    assert [p.text for p in scan.problems] == oracle
    assert scan.lifecycle_total == 1
