"""Settings that are only right while testing: soft_bounce, debug_peer_*, -v and -D in master.cf."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from postfinger_py.findings.finding import Finding

if TYPE_CHECKING:
    from postfinger_py.findings.facts import Facts


def _where_set(facts: Facts, name: str) -> list[str]:
    """Evidence lines: main.cf and every -o override that sets `name`."""
    out = []
    if name in facts.main:
        out.append(f"main.cf: {name} = {facts.main[name]}")
    for o in facts.overrides:
        if o["name"] == name:
            out.append(f"master.cf: {o['service']}/{o['type']} -o {name}={o['value']}")
    return out


def soft_bounce(facts: Facts) -> Iterator[Finding]:
    where = [
        line
        for line in _where_set(facts, "soft_bounce")
        if line.rsplit("=", 1)[-1].strip().lower() in ("yes", "true", "1")
    ]
    if where:
        yield Finding(
            "warning",
            "soft-bounce",
            "soft_bounce = yes: mail that should bounce is deferred instead and stays in the "
            "queue (and senders are never told).",
            tuple(where),
            "turn it off once testing is done: postconf -e soft_bounce=no; postfix reload",
            "postconf(5) soft_bounce",
        )


def debug_peers(facts: Facts) -> Iterator[Finding]:
    where = [line for line in _where_set(facts, "debug_peer_list") if line.split("=", 1)[-1].strip()]
    if where:
        level = facts.main.get("debug_peer_level", "")
        yield Finding(
            "note",
            "debug-peer-list",
            "debug_peer_list is set: sessions with these peers are logged verbosely, which "
            "buries the lines that matter; fine only while a developer asked for it.",
            tuple(where + ([f"main.cf: debug_peer_level = {level}"] if level else [])),
            "remove debug_peer_list (postconf -X debug_peer_list; postfix reload) when done",
            "DEBUG_README debug_peer",
        )


def verbose_services(facts: Facts) -> Iterator[Finding]:
    for svc in facts.services:
        args = [str(a) for a in svc.get("args", [])]
        where = f"{svc['service']}/{svc['type']}"
        line = f"master.cf: {where} {svc['command']} {' '.join(args)}".rstrip()
        if any(a in ("-v", "-vv", "-vvv") for a in args):
            yield Finding(
                "warning",
                "verbose-service",
                f"{where}: verbose logging (-v) is on; it floods the log and hides the real error.",
                (line,),
                "remove -v from that master.cf line (postconf -Me or an editor), then postfix "
                "reload; turn it on only when a developer asks",
                "DEBUG_README debug_peer",
            )
        if "-D" in args:
            yield Finding(
                "warning",
                "debugger-service",
                f"{where}: -D runs the daemon under debugger_command; without a debugger "
                "attached the service does not work normally.",
                (line,),
                "remove -D from that master.cf line, then postfix reload",
                "DEBUG_README debugger_command",
            )


CHECKS = [soft_bounce, debug_peers, verbose_services]
