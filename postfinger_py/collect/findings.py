"""The Findings section: declared here like every section, computed after the others (it reads them)."""

from __future__ import annotations

from collections.abc import Sequence

from postfinger_py.collect.base import Collector
from postfinger_py.model import Context, Section


class FindingsCollector(Collector):
    name = "findings"
    title = "Findings: what looks wrong (read-only checks)"
    description = (
        "what looks wrong, in plain words, with the evidence and the manual page "
        "(configuration, tables, chroot, relay safety, versions, logs, queue)"
    )
    order = 5
    runs_after_others = True

    def collect(self, ctx: Context) -> Section:
        return self.collect_from(ctx, ())

    def collect_from(self, ctx: Context, sections: Sequence[Section]) -> Section:
        from postfinger_py.findings import analyze

        return analyze(ctx, sections)
