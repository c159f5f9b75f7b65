"""System section: Postfix version, host, kernel, OS release, and which package Postfix came from."""

from __future__ import annotations

import os

from postfinger_py.collect.base import Collector
from postfinger_py.collect.common import SYSTEM_PARAMS, postconf_values
from postfinger_py.files import FileProblem
from postfinger_py.model import Context, Section, Status


def parse_os_release(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            out[key.strip()] = value.strip().strip('"').strip("'")
    return out


class SystemCollector(Collector):
    name = "system"
    title = "System"
    description = "Postfix version, host name, kernel, OS release, Postfix package origin"
    order = 10

    def collect(self, ctx: Context) -> Section:
        notes: list[str] = []
        params = postconf_values(ctx, SYSTEM_PARAMS)
        data: dict[str, object] = {
            "mail_version": params.get("mail_version", ""),
            "myhostname": params.get("myhostname", ""),
        }
        uname_n = ctx.runner.run(["uname", "-n"])
        data["hostname"] = uname_n.stdout.strip() if uname_n.ok else ""
        uname = ctx.runner.run(["uname", "-srvm"])
        data["kernel"] = uname.stdout.strip() if uname.ok else ""
        if not uname.ok:
            notes.append(f"kernel unknown: {uname.describe_failure()}")
        data["os_release"] = ""
        for path in ("/etc/os-release", "/usr/lib/os-release"):
            try:
                info = parse_os_release(ctx.files.read_bytes(path).decode("utf-8", "replace"))
            except FileProblem:
                continue
            data["os_release"] = info.get("PRETTY_NAME") or info.get("NAME", "")
            break
        else:
            notes.append("OS release unknown: neither /etc/os-release nor /usr/lib/os-release")
        postconf_path = os.path.join(params.get("command_directory", "/usr/sbin"), "postconf")
        package = self._package(ctx, postconf_path)
        data["package"] = package
        if package is None:
            notes.append(
                f"no package manager claims {postconf_path} (dpkg, rpm, apk and pkg asked): "
                "Postfix was probably built from source"
            )
        data["euid"] = ctx.euid
        status = Status.OK
        return self.section(status, data=data, notes=notes)

    def _package(self, ctx: Context, path: str) -> dict[str, str] | None:
        """Ask each package manager that exists which package owns postconf."""
        res = ctx.runner.run(["dpkg-query", "-S", path])
        if res.ok and ":" in res.stdout:
            pkg = res.stdout.split(":", 1)[0].strip().split(",")[0].strip()
            ver = ctx.runner.run(["dpkg-query", "-W", "-f", "${Version}", pkg])
            return {"manager": "dpkg", "package": pkg, "version": ver.stdout.strip() if ver.ok else ""}
        res = ctx.runner.run(["rpm", "-qf", path])
        if res.ok and res.stdout.strip():
            return {"manager": "rpm", "package": res.stdout.strip().splitlines()[0], "version": ""}
        res = ctx.runner.run(["apk", "info", "--who-owns", path])
        if res.ok and "owned by" in res.stdout:
            return {"manager": "apk", "package": res.stdout.rsplit("owned by", 1)[1].strip(), "version": ""}
        res = ctx.runner.run(["pkg", "which", "-q", path])
        if res.ok and res.stdout.strip():
            return {"manager": "pkg", "package": res.stdout.strip(), "version": ""}
        return None
