"""main.cf section: postconf -nf, postconf's own warnings, and settings equal to their default."""

from __future__ import annotations

from postfinger_py.collect.base import Collector
from postfinger_py.model import Context, Section, Status
from postfinger_py.parse.postconf import (
    comment_in_value,
    defaults_in_main,
    parse_parameters,
    parse_warnings,
)
from postfinger_py.runner import require


class MainCfCollector(Collector):
    name = "maincf"
    title = "main.cf: settings that differ from the defaults (postconf -nf)"
    description = "postconf -nf, postconf's warnings, settings explicitly set to their default"
    order = 20

    def collect(self, ctx: Context) -> Section:
        notes: list[str] = []
        folded = require(ctx.runner.run(ctx.postconf("-nf")), "read main.cf (postconf -nf)")
        flat = require(ctx.runner.run(ctx.postconf("-n")), "read main.cf (postconf -n)")
        params = parse_parameters(flat.stdout)
        warnings = parse_warnings(folded.stderr)
        for name in comment_in_value(params):
            warnings.append(
                f"postfinger: {name} holds a '#': in main.cf a comment must start a line, "
                "so the rest of that line is part of the value"
            )
        defaults = ctx.runner.run(ctx.postconf("-d"))
        same: list[tuple[str, str]] = []
        if defaults.ok:
            same = defaults_in_main(params, parse_parameters(defaults.stdout))
        else:
            notes.append(f"settings equal to their default not checked: {defaults.describe_failure()}")
        data = {
            "text": folded.stdout.rstrip("\n"),
            "parameters": [{"name": n, "value": v} for n, v in params],
            "warnings": warnings,
            "defaults_in_main": [{"name": n, "value": v} for n, v in same],
        }
        raw = {"postconf-nf.txt": folded.stdout, "postconf-n.txt": flat.stdout}
        if folded.stderr:
            raw["postconf-nf.stderr.txt"] = folded.stderr
        status = Status.OK if defaults.ok else Status.PARTIAL
        return self.section(status, data=data, notes=notes, raw=raw)
