"""Findings checks on the mail log: known kinds of lines explained, rejects and failures summarized."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from postfinger_py.findings.finding import SEVERITIES, Finding
from postfinger_py.logs.kinds import BY_CODE, DELIVERY

if TYPE_CHECKING:
    from postfinger_py.findings.facts import Facts

MOST_DEFERRED = 10  # deliveries from which "most are deferred for one reason" is a warning
ONE_REASON = 0.5  # the share of one reason among them


def _escalate(severity: str) -> str:
    return SEVERITIES[max(0, SEVERITIES.index(severity) - 1)]


def explained(facts: Facts) -> Iterator[Finding]:
    """Each known kind of log line once: its count, the first line, what it means, what to do."""
    for seen in facts.data("logs").get("explained", []):
        kind = BY_CODE.get(str(seen.get("code")))
        if kind is None:
            continue
        count = int(seen["count"])
        evidence = [
            str(seen["first"]),
            f"{count} such line(s) in the window, the first at {seen['first_stamp']}, "
            f"the last at {seen['last_stamp']}",
        ]
        relayhost = _main_value(facts, "relayhost")
        if kind.source == DELIVERY and relayhost:
            evidence.append(f"main.cf: relayhost = {relayhost}")
        severity = _escalate(kind.severity) if seen.get("escalated") else kind.severity
        message = kind.message
        if kind.code == "log-unknown-client" and seen.get("escalated"):
            message += " Here even loopback clients are unknown."
        yield Finding(severity, kind.code, message, tuple(evidence), kind.action, kind.manual)


def _main_value(facts: Facts, name: str) -> str:
    """A main.cf setting from the collected section (no extra command for the log checks)."""
    for p in facts.data("maincf").get("parameters", []) or []:
        if p.get("name") == name:
            return str(p.get("value", ""))
    return ""


_SPLIT = re.compile(r"[\s,]+")


def _own_domains(facts: Facts) -> set[str]:
    out: set[str] = set()
    for name in ("mydestination", "virtual_alias_domains", "virtual_mailbox_domains", "relay_domains"):
        for item in _SPLIT.split(facts.param(name)):
            if item and ":" not in item and "/" not in item and not item.startswith("#"):
                out.add(item.lower().rstrip("."))
    return out


def relay_denied_own(facts: Facts) -> Iterator[Finding]:
    """Relay access denied for mail to the site's own domains: a domain missing from the config."""
    rows = [r for r in facts.data("logs").get("rejects", []) if r.get("reason") == "Relay access denied"]
    if not rows:
        return
    own = _own_domains(facts)
    hits: dict[str, int] = {}
    example = ""
    for r in rows:
        for d in r.get("domains", []):
            if str(d["domain"]) in own:
                hits[d["domain"]] = hits.get(d["domain"], 0) + int(d["count"])
                example = example or str(r["example"])
    if not hits:
        return
    listed = ", ".join(f"{d} ({n})" for d, n in sorted(hits.items(), key=lambda kv: -kv[1]))
    yield Finding(
        "note",
        "log-relay-denied-own",
        'Mail to this server\'s own domains was refused with "Relay access denied": such a '
        "domain must be in mydestination, virtual_*_domains or relay_domains of the smtpd "
        "that received it (an -o override of mynetworks or the restrictions may differ).",
        (example, f"refused recipient domains (count): {listed}"),
        "compare the domain with `postconf mydestination virtual_alias_domains "
        "virtual_mailbox_domains relay_domains` and the service's -o overrides (postconf -P)",
        "postconf(5) smtpd_relay_restrictions",
    )


def failures_one_reason(facts: Facts) -> Iterator[Finding]:
    """Most deliveries deferred (or bounced), mostly for one reason."""
    data = facts.data("logs")
    sent = int(data.get("sent_total", 0) or 0)
    failures: list[dict[str, Any]] = list(data.get("failures", []))
    for status in ("deferred", "bounced"):
        total = int(data.get(f"{status}_total", 0) or 0)
        rows = [f for f in failures if f.get("status") == status]
        if total < MOST_DEFERRED or total <= sent or not rows:
            continue
        top = rows[0]
        if top["count"] < ONE_REASON * total:
            continue
        yield Finding(
            "warning",
            f"log-most-{status}",
            f"Most deliveries in the log were {status} ({total}, against {sent} sent), "
            f"{top['count']} of them for one reason: {top['reason']}",
            (str(top["example"]),),
            "fix what the reason names; deferred mail is retried (postqueue -f to retry now), "
            "bounced mail is returned to its sender",
            "DEBUG_README",
        )


CHECKS = [explained, relay_denied_own, failures_one_reason]
