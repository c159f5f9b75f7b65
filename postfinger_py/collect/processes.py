"""Is the master daemon running (pid file + /proc), and what listens on the SMTP ports."""

from __future__ import annotations

from postfinger_py.collect.base import Collector
from postfinger_py.collect.common import postconf_values
from postfinger_py.files import FileProblem
from postfinger_py.model import Context, Section, Status
from postfinger_py.parse.postconf import parse_master
from postfinger_py.parse.proc import parse_listeners, parse_services

SMTP_PORTS = {25: "smtp", 465: "submissions", 587: "submission"}


def inet_ports(services: list[dict[str, object]], names: dict[str, int]) -> dict[int, str]:
    """Ports the enabled inet services of master.cf should listen on: port -> service name."""
    out: dict[int, str] = {}
    for svc in services:
        if svc.get("type") != "inet":
            continue
        name = str(svc["service"])
        port_part = name.rsplit(":", 1)[-1]
        port = int(port_part) if port_part.isdigit() else names.get(port_part)
        if port is not None:
            out[port] = name
    return out


def endpoint(address: str, port: int) -> str:
    """127.0.0.1:25, and [::1]:25 for IPv6 (as Postfix writes host:port, RFC 3986 style)."""
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


class ProcessesCollector(Collector):
    name = "processes"
    title = "Running state: master daemon and listening ports"
    description = "whether the master daemon runs (pid file + /proc), what listens on SMTP ports"
    order = 40

    def collect(self, ctx: Context) -> Section:
        notes: list[str] = []
        layout = postconf_values(ctx, ("queue_directory",))
        status = Status.OK
        master = self._master(ctx, layout.get("queue_directory", "/var/spool/postfix"), notes)
        if master["state"] == "unknown":
            status = Status.PARTIAL
        listeners: list[tuple[str, int, int]] = []
        seen_any = False
        for path in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                listeners += parse_listeners(ctx.files.read_bytes(path).decode("ascii", "replace"))
                seen_any = True
            except FileProblem as exc:
                if exc.kind != "missing":
                    notes.append(f"cannot read {path}: {exc.reason}")
        if not seen_any:
            notes.append("listening sockets unknown: /proc/net/tcp is not readable")
            status = Status.PARTIAL
        try:
            names = parse_services(ctx.files.read_bytes("/etc/services").decode("utf-8", "replace"))
        except FileProblem:
            names = {"smtp": 25, "submission": 587, "submissions": 465, "smtps": 465}
        master_cf = ctx.runner.run(ctx.postconf("-M"))
        expected = inet_ports(parse_master(master_cf.stdout), names) if master_cf.ok else {}
        interesting: set[int] = set(SMTP_PORTS) | set(expected)
        listening = sorted(
            {(a, p) for a, p, _inode in listeners if p in interesting}, key=lambda ap: (ap[1], ap[0])
        )
        ports_listening = {p for _a, p in listening}
        missing = []
        if master["state"] == "running":
            missing = [
                {"port": p, "service": s} for p, s in sorted(expected.items()) if p not in ports_listening
            ]
        unexpected = sorted(p for p in ports_listening if p not in expected)
        data = {
            "master": master,
            "listening": [
                {
                    "address": a,
                    "port": p,
                    "endpoint": endpoint(a, p),
                    "service": expected.get(p) or SMTP_PORTS.get(p, ""),
                }
                for a, p in listening
            ],
            "expected": [{"port": p, "service": s} for p, s in sorted(expected.items())],
            "missing": missing,
            "unexpected_ports": unexpected,
        }
        return self.section(status, data=data, notes=notes)

    def _master(self, ctx: Context, queue_dir: str, notes: list[str]) -> dict[str, object]:
        pid_path = f"{queue_dir}/pid/master.pid"
        try:
            text = ctx.files.read_bytes(pid_path, limit=64).decode("ascii", "replace").strip()
        except FileProblem as exc:
            if exc.kind == "missing":
                return {"state": "stopped", "pid": None, "detail": f"no {pid_path}"}
            notes.append(
                f"cannot tell whether the master daemon runs: {pid_path}: {exc.reason} "
                f"(postfinger ran as uid {ctx.euid}; run it as root to include this)"
            )
            return {"state": "unknown", "pid": None, "detail": exc.reason}
        if not text.isdigit():
            return {"state": "stopped", "pid": None, "detail": f"{pid_path} holds no pid"}
        pid = int(text)
        try:
            comm = ctx.files.read_bytes(f"/proc/{pid}/comm").decode("utf-8", "replace").strip()
        except FileProblem:
            return {"state": "stopped", "pid": pid, "detail": f"stale pid file: process {pid} does not exist"}
        if comm != "master":
            return {
                "state": "stopped",
                "pid": pid,
                "detail": f"stale pid file: process {pid} is {comm!r}, not master",
            }
        return {"state": "running", "pid": pid, "detail": ""}
