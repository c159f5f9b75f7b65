"""Relay safety: mynetworks wider than the host's networks, relay restrictions that are open or refused."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Union

from postfinger_py.findings.finding import Check, Finding

if TYPE_CHECKING:
    from postfinger_py.findings.facts import Facts

Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]

# What Postfix accepts as "a working instance" that stops relaying (smtpd_check.c); without one
# in either list, smtpd refuses to run.
GUARDS = (
    "reject_unauth_destination",
    "defer_unauth_destination",
    "reject",
    "defer",
    "defer_if_permit",
    "check_relay_domains",
)
LISTS = ("smtpd_relay_restrictions", "smtpd_recipient_restrictions")
NOT_PUBLIC = tuple(
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "100.64.0.0/10",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
    )
)
_SPLIT = re.compile(r"[\s,]+")


def tokens(value: str) -> list[str]:
    return [t for t in _SPLIT.split(value) if t]


def smtpd_services(facts: Facts) -> list[dict[str, Any]]:
    return [s for s in facts.services if s.get("command") == "smtpd"]


def _where(svc: dict[str, Any]) -> str:
    return f"{svc['service']}/{svc['type']}"


def _main_line(facts: Facts, name: str) -> str:
    if name in facts.main:
        return f"main.cf: {name} = {facts.main[name]}"
    return f"{name} = {facts.param(name)} (the default)"


# -- mynetworks -------------------------------------------------------------------------------
def _network(entry: str) -> Network | None:
    text = entry.lstrip("!").replace("[", "").replace("]", "")
    try:  # a table (hash:/etc/postfix/networks) or a file name is not a network
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def too_wide(value: str) -> list[str]:
    """The entries of a mynetworks value that take in (part of) the public Internet."""
    out = []
    for entry in tokens(value):
        if entry.startswith("!"):
            continue
        net = _network(entry)
        if net is None:
            continue
        limit = 16 if net.version == 4 else 32
        if net.prefixlen == 0 or (
            net.prefixlen <= limit
            and not any(
                net.version == p.version and net.subnet_of(p)  # type: ignore[arg-type]
                for p in NOT_PUBLIC
            )
        ):
            out.append(entry)
    return out


def _trusts_mynetworks(facts: Facts, svc: dict[str, Any]) -> bool:
    return any(
        "permit_mynetworks" in tokens(facts.service_param(svc["service"], svc["type"], n)) for n in LISTS
    )


def mynetworks(facts: Facts) -> Iterator[Finding]:
    inherit: list[dict[str, Any]] = []
    for svc in smtpd_services(facts):
        own = facts.service_overrides(svc["service"], svc["type"])
        if "mynetworks" in own:
            wide = too_wide(facts.expand(own["mynetworks"]))
            if wide:
                yield _wide_finding(
                    facts,
                    [svc],
                    wide,
                    f"master.cf: {_where(svc)} -o mynetworks={own['mynetworks']}",
                    f"{_where(svc)}: mynetworks",
                )
        elif (
            "mynetworks" not in facts.main
            and facts.service_param(svc["service"], svc["type"], "mynetworks_style") == "class"
        ):
            yield Finding(
                "problem" if _trusts_mynetworks(facts, svc) else "warning",
                "mynetworks-class",
                f"{_where(svc)}: mynetworks_style = class without an explicit mynetworks trusts "
                "every host in the whole class A/B/C network of this host's addresses, far more "
                "than the host's own network.",
                (
                    "main.cf: mynetworks_style = class (mynetworks is not set)",
                    f"mynetworks = {facts.param('mynetworks')} (computed)",
                ),
                "list the networks you trust: postconf -e 'mynetworks = 127.0.0.0/8 [::1]/128 "
                "YOUR/LAN'; postfix reload",
                "postconf(5) mynetworks_style",
            )
        else:
            inherit.append(svc)
    if inherit and "mynetworks" in facts.main:
        wide = too_wide(facts.param("mynetworks"))
        if wide:
            yield _wide_finding(
                facts,
                inherit,
                wide,
                f"main.cf: mynetworks = {facts.main['mynetworks']}",
                "main.cf: mynetworks",
            )


def _wide_finding(
    facts: Facts, services: list[dict[str, Any]], wide: list[str], line: str, subject: str
) -> Finding:
    trusted = any(_trusts_mynetworks(facts, s) for s in services)
    used = (
        "permit_mynetworks lets them relay: an open relay"
        if trusted
        else "permit_mynetworks is not used for relaying here, but other checks trust these clients"
    )
    names = ", ".join(_where(s) for s in services[:5])
    return Finding(
        "problem" if trusted else "warning",
        "mynetworks-too-wide",
        f"{subject} includes {', '.join(wide)}, far wider than this host's own networks; {used}.",
        (line,)
        + (
            (f"used by: {names}" + (" ..." if len(services) > 5 else ""),)
            if line.startswith("main.cf")
            else ()
        ),
        "list only the networks you trust (e.g. 127.0.0.0/8 [::1]/128 and your LAN), then "
        "postfix reload; let remote users relay with SASL instead",
        "postconf(5) mynetworks",
    )


# -- smtpd_relay_restrictions / smtpd_recipient_restrictions ---------------------------------
def working(items: list[str]) -> list[str]:
    """The list without warn_if_reject and the restriction it defuses (as Postfix counts it)."""
    out: list[str] = []
    skip = False
    for item in items:
        if skip:
            skip = False
        elif item == "warn_if_reject":
            skip = True
        else:
            out.append(item)
    return out


def opens(items: list[str]) -> bool:
    """Whether a client that is nothing special gets past this list for a foreign destination."""
    for item in working(items):
        if item in GUARDS:
            return False
        if item == "permit":
            return True
    return True  # the end of a list permits


def expanded(facts: Facts, value: str, depth: int = 0) -> list[str]:
    """A restriction list with its smtpd_restriction_classes names replaced by their lists."""
    classes = set(tokens(facts.param("smtpd_restriction_classes")))
    out: list[str] = []
    for item in tokens(value):
        if item in classes and depth < 5:
            out += expanded(facts, facts.param(item), depth + 1)
        else:
            out.append(item)
    return out


def _judge(lists: dict[str, list[str]]) -> str | None:
    if not any(item in GUARDS for items in lists.values() for item in working(items)):
        return "refused"
    if all(opens(items) for items in lists.values()):
        return "open"
    return None


def restrictions(facts: Facts) -> Iterator[Finding]:
    inherit: list[dict[str, Any]] = []
    for svc in smtpd_services(facts):
        own = facts.service_overrides(svc["service"], svc["type"])
        if not any(n in own for n in LISTS):
            inherit.append(svc)
            continue
        lists = {n: expanded(facts, facts.service_param(svc["service"], svc["type"], n)) for n in LISTS}
        evidence = tuple(
            f"master.cf: {_where(svc)} -o {n}={own[n]}" if n in own else _main_line(facts, n) for n in LISTS
        )
        verdict = _judge(lists)
        if verdict:
            yield _restriction_finding(verdict, _where(svc), evidence)
    if inherit:
        lists = {n: expanded(facts, facts.param(n)) for n in LISTS}
        verdict = _judge(lists)
        if verdict:
            names = ", ".join(_where(s) for s in inherit[:5])
            yield _restriction_finding(
                verdict, "main.cf", (*tuple(_main_line(facts, n) for n in LISTS), f"used by: {names}")
            )


def _restriction_finding(verdict: str, subject: str, evidence: tuple[str, ...]) -> Finding:
    if verdict == "refused":
        return Finding(
            "problem",
            "relay-restrictions-refused",
            f"{subject}: neither smtpd_relay_restrictions nor smtpd_recipient_restrictions "
            "contains reject_unauth_destination (or defer_unauth_destination), so smtpd refuses "
            'to receive any mail ("specify at least one working instance of: '
            'reject_unauth_destination ..." in the log).',
            evidence,
            "add reject_unauth_destination after the permit_* entries of "
            "smtpd_relay_restrictions, then postfix reload",
            "postconf(5) smtpd_relay_restrictions",
        )
    return Finding(
        "problem",
        "relay-permit-before-unauth",
        f"{subject}: an unconditional permit comes before reject_unauth_destination in both "
        "smtpd_relay_restrictions and smtpd_recipient_restrictions: anyone can relay (open "
        "relay).",
        evidence,
        "remove the bare permit, or move it after reject_unauth_destination, then postfix reload",
        "postconf(5) smtpd_relay_restrictions",
    )


CHECKS: list[Check] = [mynetworks, restrictions]
