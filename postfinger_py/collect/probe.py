"""--probe: what this server's own SMTP listeners answer on loopback (greeting, EHLO, STARTTLS,
AUTH offered), as a client sees them. Opt-in: each connection shows in the mail log.

It runs after the other sections (so the log excerpts do not catch the probe's own lines), and
the Findings read it.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from typing import Any

from postfinger_py.collect.base import Collector
from postfinger_py.errors import PostfingerError
from postfinger_py.model import Context, Section, Status
from postfinger_py.smtpprobe import HELO_NAME, LiveProber, Result, target

# The service names Postfix's own master.cf uses; others are looked up in /etc/services.
KNOWN_PORTS = {"smtp": 25, "submission": 587, "smtps": 465, "submissions": 465, "urd": 465, "lmtp": 24}
LISTENERS = ("smtpd", "postscreen")  # the programs that greet SMTP clients on an inet service


def _yes(value: str) -> bool:
    return value.strip().lower() in ("yes", "true", "1")


def split_service(name: str) -> tuple[str, str]:
    """master.cf's service field: smtp -> ("", "smtp"); 127.0.0.1:2525; [::1]:25."""
    m = re.match(r"^\[([^\]]*)\]:(.+)$", name)
    if m:
        return m.group(1), m.group(2)
    if ":" in name:
        host, _, port = name.rpartition(":")
        return host, port
    return "", name


def _services_port(facts: Any, name: str) -> int | None:
    data, _problem = facts.read("/etc/services")
    if data is None:
        return None
    for line in data.decode("utf-8", "replace").splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) >= 2 and words[1].endswith("/tcp") and name in (words[0], *words[2:]):
            number = words[1].split("/", 1)[0]
            if number.isdigit():
                return int(number)
    return None


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _families(facts: Any) -> tuple[bool, bool]:
    protocols = facts.param("inet_protocols", "all").lower()
    words = set(re.split(r"[\s,]+", protocols.strip()))
    v4 = "all" in words or "ipv4" in words or not words - {""}
    v6 = "all" in words or "ipv6" in words
    return v4, v6


def _where(facts: Any, host: str) -> tuple[str, str]:
    """(loopback address to connect to, "") or ("", why the probe cannot reach it)."""
    v4, _v6 = _families(facts)
    if host:
        if host.lower() == "localhost":
            return ("127.0.0.1" if v4 else "::1"), ""
        if _loopback(host):
            return host, ""
        return "", f"it listens on {host} only, and the probe connects to loopback only"
    interfaces = facts.param("inet_interfaces", "all")
    words = {w.lower() for w in re.split(r"[\s,]+", interfaces.strip()) if w}
    if words & {"all", "loopback-only", "localhost"} or not words:
        return ("127.0.0.1" if v4 else "::1"), ""
    loop = sorted(w.strip("[]") for w in words if _loopback(w.strip("[]")))
    if loop:
        return loop[0], ""
    return "", (
        f"inet_interfaces = {interfaces} has no loopback address, and the probe connects to loopback only"
    )


def mechanisms(features: Sequence[str]) -> str:
    """The AUTH mechanisms of an EHLO reply ("" when none: AUTH=... is the old form)."""
    for f in features:
        m = re.match(r"^AUTH[ =](.*)$", f, re.I)
        if m and m.group(1).strip():
            return " ".join(m.group(1).split())
    return ""


def plan(facts: Any) -> list[dict[str, Any]]:
    """One row per master.cf SMTP listener: where to connect, or why not."""
    rows = []
    for svc in facts.services:
        if svc.get("type") != "inet" or str(svc.get("command", "")) not in LISTENERS:
            continue
        name = str(svc["service"])
        host, port_name = split_service(name)
        row: dict[str, Any] = {
            "service": f"{name}/inet",
            "program": str(svc["command"]),
            "host": "",
            "port": 0,
            "wrapper": False,
            "skipped": "",
        }
        port = (
            int(port_name)
            if port_name.isdigit()
            else (KNOWN_PORTS.get(port_name) or _services_port(facts, port_name))
        )
        if not port:
            row["skipped"] = f"the service name {port_name!r} is not in /etc/services"
            rows.append(row)
            continue
        addr, why = _where(facts, host)
        row.update(host=addr, port=port, skipped=why)
        if svc["command"] == "smtpd":
            row["wrapper"] = _yes(facts.service_param(name, "inet", "smtpd_tls_wrappermode"))
        rows.append(row)
    return rows


def describe(row: dict[str, Any], res: Result) -> dict[str, Any]:
    """A plan row with its probe result, in the words the report shows."""
    features = [str(f) for f in res.get("features", [])]
    after = [str(f) for f in res.get("features_tls", [])]
    starttls = any(f.upper() == "STARTTLS" for f in features)
    out = dict(row)
    out.update(
        address=target(row["host"], row["port"], row["wrapper"]),
        outcome=str(res.get("outcome", "error")),
        detail=str(res.get("detail", "")),
        banner=str(res.get("banner", "")),
        features=" ".join(f for f in features if not f.upper().startswith("AUTH")),
        starttls="TLS wrapper" if row["wrapper"] else ("offered" if starttls else "not offered"),
        tls=str(res.get("tls", "")),
        auth=mechanisms(features),
        auth_tls=mechanisms(after),
        greeted=bool(features) or bool(res.get("banner")),
    )
    return out


class ProbeCollector(Collector):
    name = "probe"
    title = "SMTP probe (this server's listeners, on loopback)"
    description = (
        "--probe: connect to each master.cf SMTP listener on loopback; greeting, "
        "EHLO, STARTTLS, AUTH offered (no mail)"
    )
    optional = True
    order = 34
    runs_after_others = True

    def collect(self, ctx: Context) -> Section:
        return self.collect_from(ctx, ())

    def collect_from(self, ctx: Context, sections: Sequence[Section]) -> Section:
        from postfinger_py.collect.common import run_in_threads
        from postfinger_py.findings.facts import Facts

        if not ctx.options.probe:
            return self.section(
                Status.SKIPPED,
                notes=[
                    "no --probe given: add --probe to connect to this server's own SMTP listeners "
                    "on loopback (each connection shows in the mail log)"
                ],
            )
        facts = Facts(ctx, sections)
        notes: list[str] = []
        rows = plan(facts)
        master = facts.data("processes").get("master") or {}
        if master.get("state") not in (None, "running"):
            for row in rows:
                if not row["skipped"]:
                    row["skipped"] = "the master daemon is not running"
        prober = ctx.prober if ctx.prober is not None else LiveProber()

        def one(row: dict[str, Any]) -> dict[str, Any]:
            if row["skipped"]:
                return dict(row, address="", outcome="skipped")
            ctx.progress(f"probing {target(row['host'], row['port'], row['wrapper'])} ...")
            try:
                return describe(row, prober.probe(row["host"], row["port"], row["wrapper"]))
            except PostfingerError as exc:  # a replayed snapshot taken without --probe
                notes.append(exc.message)
                return dict(row, address="", outcome="skipped", skipped=exc.message)

        results = run_in_threads(one, rows, max_workers=8)
        data = {"listeners": results, "helo": HELO_NAME}
        status = Status.PARTIAL if notes or facts.notes else Status.OK
        if not rows:
            notes.append("master.cf has no inet service run by smtpd or postscreen")
        return self.section(status, data=data, notes=list(dict.fromkeys(notes + facts.notes)))
