"""master.cf section: postconf -Mf, and per-service -o overrides (postconf -P)."""

from __future__ import annotations

from postfinger_py.collect.base import Collector
from postfinger_py.model import Context, Section, Status
from postfinger_py.parse.postconf import parse_master, parse_overrides, parse_warnings
from postfinger_py.runner import require


class MasterCfCollector(Collector):
    name = "mastercf"
    title = "master.cf: services (postconf -Mf)"
    description = "postconf -Mf and the per-service -o overrides (postconf -P)"
    order = 30

    def collect(self, ctx: Context) -> Section:
        folded = require(ctx.runner.run(ctx.postconf("-Mf")), "read master.cf (postconf -Mf)")
        flat = require(ctx.runner.run(ctx.postconf("-M")), "read master.cf (postconf -M)")
        notes: list[str] = []
        overrides_res = ctx.runner.run(ctx.postconf("-P"))
        overrides = parse_overrides(overrides_res.stdout) if overrides_res.ok else []
        if not overrides_res.ok:
            notes.append(f"-o overrides not listed: {overrides_res.describe_failure()}")
        services = parse_master(flat.stdout)
        data = {
            "text": folded.stdout.rstrip("\n"),
            "services": services,
            "overrides": overrides,
            "warnings": parse_warnings(folded.stderr),
        }
        raw = {"postconf-Mf.txt": folded.stdout, "postconf-P.txt": overrides_res.stdout}
        return self.section(
            Status.OK if overrides_res.ok else Status.PARTIAL, data=data, notes=notes, raw=raw
        )
