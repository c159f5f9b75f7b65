"""System: mixed daemon versions, inet_interfaces against the domains served, who holds port 25."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from postfinger_py.files import FileProblem
from postfinger_py.findings.finding import Check, Finding
from postfinger_py.parse.proc import parse_listeners

if TYPE_CHECKING:
    from postfinger_py.findings.facts import Facts

_SPLIT = re.compile(r"[\s,]+")
# Postfix programs that hold an SMTP listening socket (master passes it to its children).
POSTFIX_LISTENERS = ("master", "smtpd", "postscreen")
LOCAL_NAMES = ("localhost", "localhost.localdomain")


def _tokens(value: str) -> list[str]:
    return [t for t in _SPLIT.split(value) if t]


# -- daemon versions ----------------------------------------------------------------------------
def mixed_versions(facts: Facts) -> Iterator[Finding]:
    data = facts.data("daemons")
    mismatches = [m for m in data.get("mismatches", []) if isinstance(m, dict)]
    if not mismatches:
        return
    want = str(data.get("mail_version", "")) or "?"
    evidence = [f"{m.get('path')}: {m.get('version')}" for m in mismatches[:8]]
    if len(mismatches) > 8:
        evidence.append(f"... and {len(mismatches) - 8} more")
    yield Finding(
        "problem",
        "mixed-daemon-versions",
        f"{len(mismatches)} Postfix program(s) carry another version than postconf's "
        f"mail_version {want}: a half-done upgrade or a second installation; mixed daemons "
        "misread each other's queue files and protocols.",
        (f"postconf: mail_version = {want}", *evidence),
        "reinstall one Postfix version completely (the package manager's, or make upgrade), "
        "then postfix stop; postfix start",
        "postconf(5) mail_version",
    )


# -- inet_interfaces ----------------------------------------------------------------------------
def _loopback_only(value: str) -> bool:
    items = _tokens(value)
    if not items:
        return False
    for item in items:
        if item in ("loopback-only", "localhost"):
            continue
        try:
            if not ipaddress.ip_address(item.strip("[]")).is_loopback:
                return False
        except ValueError:
            return False
    return True


def _served_domains(facts: Facts) -> list[str]:
    """Domains main.cf says this host receives mail for, beyond its own host names."""
    own = {facts.param("myhostname").lower(), *LOCAL_NAMES, f"localhost.{facts.param('mydomain').lower()}"}
    out: list[str] = []
    for name in ("mydestination", "virtual_alias_domains", "virtual_mailbox_domains", "relay_domains"):
        for item in _tokens(facts.param(name)):
            item = item.lower()
            if ":" in item or item.startswith("/"):
                item = f"{name} from {item}"  # a table: domains, though we do not read them
            elif "." not in item or item in own:
                continue
            if item not in out:
                out.append(item)
    return out


def inet_interfaces(facts: Facts) -> Iterator[Finding]:
    value = facts.param("inet_interfaces")
    if not _loopback_only(value):
        return
    # Only the services without an address of their own follow inet_interfaces; a master.cf
    # listener such as 127.0.0.1:2525 binds where it says, and is not affected.
    smtp = [
        f"{s['service']}/inet"
        for s in facts.services
        if s.get("type") == "inet" and s["service"] in ("smtp", "25")
    ]
    domains = _served_domains(facts)
    if not smtp or not domains:
        return
    shown = ", ".join(domains[:5]) + (" ..." if len(domains) > 5 else "")
    yield Finding(
        "note",
        "inet-interfaces-loopback",
        f"inet_interfaces = {value}: {smtp[0]} accepts connections only from this host, yet "
        f"main.cf names domains it receives mail for ({shown}). If that mail should arrive "
        "from other hosts, they cannot deliver it here; if it arrives another way (a proxy or "
        "content filter in front, fetchmail) or this is a test, all is well.",
        (
            _main_line(facts, "inet_interfaces"),
            *(
                f"main.cf: {n} = {facts.main[n]}"
                for n in (
                    "mydestination",
                    "virtual_alias_domains",
                    "virtual_mailbox_domains",
                    "relay_domains",
                )
                if facts.main.get(n)
            ),
        ),
        "to receive from the network: postconf -e inet_interfaces=all; postfix stop; postfix "
        "start (a change of inet_interfaces needs a restart, not a reload)",
        "postconf(5) inet_interfaces",
    )


def _main_line(facts: Facts, name: str) -> str:
    if name in facts.main:
        return f"main.cf: {name} = {facts.main[name]}"
    return f"{name} = {facts.param(name)} (the default)"


# -- port 25 ------------------------------------------------------------------------------------
def _port25(facts: Facts) -> tuple[list[tuple[str, int]] | None, list[str]]:
    """Listening sockets on port 25 as (address, inode), or None when /proc/net/tcp is unreadable."""
    found: list[tuple[str, int]] = []
    seen = False
    problems = []
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        data, problem = facts.read(path, limit=64 * 1024 * 1024)
        if data is None:
            if problem is not None and problem.kind != "missing":
                problems.append(f"{path}: {problem.reason}")
            continue
        seen = True
        found += [(a, inode) for a, p, inode in parse_listeners(data.decode("ascii", "replace")) if p == 25]
    return (found if seen else None), problems


def socket_holders(facts: Facts, pids: list[int]) -> tuple[dict[int, set[int]], list[int]]:
    """inode -> pids holding that socket, and the pids whose /proc/PID/fd could not be read."""
    if not pids:
        return {}, []
    argv = [
        "find",
        *(f"/proc/{p}/fd" for p in pids),
        "-maxdepth",
        "1",
        "-lname",
        "socket:*",
        "-printf",
        "%h %l\\n",
    ]
    res = facts.ctx.runner.run(argv)
    if res.missing:
        raise LookupError(f"find is not available ({res.error})")
    holders: dict[int, set[int]] = {}
    for line in res.stdout.splitlines():
        m = re.match(r"/proc/(\d+)/fd socket:\[(\d+)\]$", line.strip())
        if m:
            holders.setdefault(int(m.group(2)), set()).add(int(m.group(1)))
    denied = sorted(
        {int(m.group(1)) for m in re.finditer(r"/proc/(\d+)/fd\W*: Permission denied", res.stderr)}
    )
    return holders, denied


def _comm(facts: Facts, pid: int) -> str | None:
    data, _problem = facts.read(f"/proc/{pid}/comm", limit=256)
    return data.decode("utf-8", "replace").strip() if data is not None else None


def _all_pids(facts: Facts) -> list[int]:
    try:
        return sorted(int(n) for n in facts.ctx.files.listdir("/proc") if n.isdigit())
    except FileProblem:
        return []


def port25(facts: Facts) -> Iterator[Finding]:
    listeners, problems = _port25(facts)
    if listeners is None:
        facts.notes.append(
            "port 25 check: cannot read /proc/net/tcp" + (f" ({'; '.join(problems)})" if problems else "")
        )
        return
    master: dict[str, Any] = facts.data("processes").get("master") or {}
    smtp = [
        s
        for s in facts.services
        if s.get("type") == "inet" and s["service"].rsplit(":", 1)[-1] in ("smtp", "25")
    ]
    if not listeners:
        if smtp and master.get("state") == "running":
            yield Finding(
                "warning",
                "port25-nothing-listens",
                f"The master daemon runs and master.cf has {smtp[0]['service']}/inet, but "
                "nothing listens on port 25: the SMTP server cannot receive mail.",
                (
                    f"master.cf: {smtp[0]['service']}/inet {smtp[0]['command']}",
                    "/proc/net/tcp, /proc/net/tcp6: no LISTEN socket on port 25",
                    _main_line(facts, "inet_interfaces"),
                ),
                "look in the log for 'bind' or 'fatal' lines from master; after changing "
                "inet_interfaces Postfix needs postfix stop; postfix start",
                "postconf(5) inet_interfaces",
            )
        return
    wanted = {inode for _a, inode in listeners}
    holders: dict[int, set[int]] = {}
    denied: list[int] = []
    master_pid = master.get("pid") if master.get("state") == "running" else None
    try:
        if isinstance(master_pid, int):
            holders, denied = socket_holders(facts, [master_pid])
        if not wanted <= set(holders):
            holders, denied = socket_holders(facts, _all_pids(facts))
    except LookupError as exc:
        facts.notes.append(f"port 25 check: cannot tell which process listens: {exc}")
        return
    unseen = sorted(wanted - set(holders))
    if unseen:
        who = (
            f"/proc/PID/fd of {len(denied)} process(es) is not readable (postfinger ran as "
            f"uid {facts.ctx.euid}; run it as root to see them)"
            if denied
            else "no process was found holding the socket"
        )
        facts.notes.append(
            f"port 25 check: cannot tell which process listens on "
            f"{', '.join(a for a, i in listeners if i in unseen)} port 25: {who}"
        )
    strangers: dict[int, str] = {}
    for inode in sorted(wanted & set(holders)):
        comms: dict[int, str] = {}
        for pid in sorted(holders[inode]):
            comm = _comm(facts, pid)
            if comm is not None:  # None: the process ended meanwhile, it holds nothing now
                comms[pid] = comm
        if any(c in POSTFIX_LISTENERS for c in comms.values()):
            continue
        strangers.update(comms)
    if strangers:
        addrs = ", ".join(
            sorted({a for a, i in listeners if i in holders and set(holders[i]) & set(strangers)})
        )
        yield Finding(
            "problem",
            "port25-not-postfix",
            f"Something other than Postfix's master listens on port 25 ({addrs}): "
            f"{', '.join(f'{c} (pid {p})' for p, c in sorted(strangers.items()))}; mail "
            "for this host goes to that program, and Postfix's smtpd cannot bind there.",
            tuple(
                f"port 25 {a}: held by "
                + ", ".join(
                    f"pid {p} {strangers[p]}" for p in sorted(holders.get(i, set())) if p in strangers
                )
                for a, i in listeners
                if set(holders.get(i, set())) & set(strangers)
            ),
            "stop and disable the other mail server (e.g. exim4, sendmail), then postfix stop; postfix start",
            "postconf(5) inet_interfaces",
        )


def listeners_missing(facts: Facts) -> Iterator[Finding]:
    """A master.cf inet service whose port nothing listens on while master runs (port 25 is the
    port25 check's)."""
    data = facts.data("processes")
    if (data.get("master") or {}).get("state") != "running":
        return
    for m in data.get("missing") or []:
        if not isinstance(m, dict) or m.get("port") == 25:
            continue
        svc = str(m.get("service", ""))
        yield Finding(
            "problem",
            "listener-missing",
            f"master.cf defines {svc}/inet (port {m.get('port')}), but nothing listens on that "
            "port although the master daemon runs: clients cannot connect there.",
            (
                f"master.cf: {svc} inet",
                f"/proc/net/tcp, /proc/net/tcp6: no LISTEN socket on port {m.get('port')}",
            ),
            "if master.cf was edited, run postfix reload (a new listener starts only then); "
            "otherwise look in the log for 'bind' or 'fatal' lines from postfix/master",
            "master(5)",
        )


CHECKS: list[Check] = [mixed_versions, inet_interfaces, port25, listeners_missing]
