"""Chroot: the jail's copies of /etc files, daemons that cannot work chrooted, the jail's log socket."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from postfinger_py.findings.finding import Check, Finding

if TYPE_CHECKING:
    from postfinger_py.findings.facts import Facts

# What Debian's configure-instance.sh (and postfix-script's chroot setup) copies into the jail.
JAIL_FILES = ("resolv.conf", "hosts", "services", "nsswitch.conf", "localtime")
# Daemons that resolve names: a jail without resolv.conf breaks them.
DNS_COMMANDS = ("smtpd", "smtp", "lmtp", "postscreen", "dnsblog")
# Daemons that need the whole file system; why each cannot work chrooted.
UNJAILABLE = {
    "local": (
        "problem",
        "local(8) must reach home directories, .forward files, /var/mail, the "
        "aliases and the commands it runs; chrooted, deliveries fail or go to the wrong "
        "place",
    ),
    "virtual": (
        "problem",
        "virtual(8) writes below virtual_mailbox_base, outside the jail; chrooted, deliveries fail",
    ),
    "pipe": (
        "warning",
        "pipe(8) runs a command that normally lives outside the jail; chrooted, it "
        "works only if the command and everything it needs were copied into the jail",
    ),
}


def chrooted(svc: dict[str, Any], mail_version: str) -> bool:
    """The chroot column: y/n, '-' is n since Postfix 3.0 and y before."""
    flag = str(svc.get("chroot", "-"))
    if flag == "-":
        m = re.match(r"(\d+)", mail_version)
        return m is not None and int(m.group(1)) < 3
    return flag == "y"


def jailed_services(facts: Facts) -> list[dict[str, Any]]:
    version = facts.param("mail_version")
    return [s for s in facts.services if chrooted(s, version)]


def _name(svc: dict[str, Any]) -> str:
    return f"{svc['service']}/{svc['type']}"


def _digest(facts: Facts, path: str) -> tuple[str | None, str]:
    """(sha256 of the file, '') or (None, 'missing' | the reason it could not be read)."""
    data, problem = facts.read(path)
    if data is not None:
        return hashlib.sha256(data).hexdigest(), ""
    assert problem is not None
    return None, "missing" if problem.kind == "missing" else problem.reason


def jail_copies(facts: Facts) -> Iterator[Finding]:
    jailed = jailed_services(facts)
    if not jailed:
        return
    queue = facts.param("queue_directory", "/var/spool/postfix").rstrip("/")
    # the standard services (smtp/inet, relay/unix) first, then extra listeners
    dns = sorted((_name(s) for s in jailed if s.get("command") in DNS_COMMANDS), key=lambda n: (":" in n, n))
    missing: list[str] = []
    differs: list[str] = []
    for name in JAIL_FILES:
        host_sum, host_problem = _digest(facts, f"/etc/{name}")
        if host_sum is None:
            if host_problem != "missing":  # the host has none: nothing to copy, nothing wrong
                facts.notes.append(f"chroot check: cannot read /etc/{name}: {host_problem}")
            continue
        jail = f"{queue}/etc/{name}"
        jail_sum, jail_problem = _digest(facts, jail)
        if jail_sum is None and jail_problem == "missing":
            missing.append(name)
        elif jail_sum is None:
            facts.notes.append(f"chroot check: cannot read {jail}: {jail_problem}")
        elif jail_sum != host_sum:
            differs.append(name)
    who = ", ".join(dns[:4]) + (f" and {len(dns) - 4} more" if len(dns) > 4 else "")
    services = f"the chrooted {who}" if dns else "the chrooted services"
    refresh = (
        "copy them from /etc: on Debian start Postfix through its service "
        "(systemctl restart postfix runs /usr/lib/postfix/configure-instance.sh, which "
        f"copies them); elsewhere cp -pL /etc/FILE {queue}/etc/ and postfix reload"
    )
    for group, label in ((missing, "missing"), (differs, "differ")):
        serious = [n for n in group if n == "resolv.conf" and dns]
        rest = [n for n in group if n not in serious]
        for names, severity in ((serious, "warning"), (rest, "note")):
            if not names:
                continue
            yield _jail_finding(facts, queue, names, label, severity, services, refresh)


def _jail_finding(
    facts: Facts, queue: str, names: list[str], label: str, severity: str, services: str, refresh: str
) -> Finding:
    listed = ", ".join(f"{queue}/etc/{n}" for n in names)
    if label == "missing":
        evidence = tuple(f"{queue}/etc/{n}: missing (/etc/{n} exists)" for n in names)
        code = "chroot-jail-missing"
        what = f"the chroot jail lacks {listed}"
    else:
        evidence = tuple(f"{queue}/etc/{n}: sha256 differs from /etc/{n}" for n in names)
        code = "chroot-jail-stale"
        what = f"the chroot jail's {listed} differ from the host's /etc"
    if "resolv.conf" in names and severity != "note":
        why = (
            f"{services} cannot use the host's resolver: clients show up as unknown[...] "
            "and DNS lookups fail or use stale servers"
        )
    else:
        why = f"{services} see other name, service or time-zone data than the rest of the host"
    return Finding(
        severity,
        code,
        f"{what[0].upper()}{what[1:]}: {why}.",
        evidence,
        refresh,
        "BASIC_CONFIGURATION_README chroot_setup",
    )


def unjailable(facts: Facts) -> Iterator[Finding]:
    for svc in jailed_services(facts):
        command = str(svc.get("command", ""))
        if command not in UNJAILABLE:
            continue
        severity, why = UNJAILABLE[command]
        where = _name(svc)
        yield Finding(
            severity,
            f"chrooted-{command}",
            f"{where} ({command}) runs chrooted: {why}.",
            (f"master.cf: {where} chroot=y ({command})",),
            f"set its chroot column to n: postconf -F {where}/chroot=n; postfix reload",
            "master(5)",
        )


def log_socket(facts: Facts) -> Iterator[Finding]:
    if facts.param("maillog_file").strip():
        return  # postlogd writes the log (Postfix >= 3.4): no /dev/log needed in the jail
    jailed = jailed_services(facts)
    if not jailed:
        return
    queue = facts.param("queue_directory", "/var/spool/postfix").rstrip("/")
    path = f"{queue}/dev/log"
    info, problem = facts.stat(path)
    if info is not None or (problem is not None and problem.kind != "missing"):
        return
    yield Finding(
        "note",
        "chroot-no-log-socket",
        f"There is no {path}: the chrooted daemons log through a connection opened before "
        "chroot, and lose their messages once the syslog daemon restarts.",
        (
            f"{path}: missing",
            "main.cf: maillog_file is empty (logging goes through syslog)",
            f"chrooted: {', '.join(sorted(_name(s) for s in jailed)[:6])}",
        ),
        "let syslog make the socket (rsyslog: $AddUnixListenSocket " + path + ", as Debian's "
        "/etc/rsyslog.d/postfix.conf does), or log through postlogd: postconf -e "
        "maillog_file=/var/log/postfix.log",
        "MAILLOG_README",
    )


CHECKS: list[Check] = [jail_copies, unjailable, log_socket]
