"""The mail log sections: the first problems (with their kinds), and one message's whole story."""

from __future__ import annotations

from postfinger_py.collect.base import Collector
from postfinger_py.logs import run
from postfinger_py.model import Context, Section, Status


class LogsCollector(Collector):
    name = "logs"
    title = "Mail log: first problems"
    description = (
        "the first warning/error/fatal/panic lines in the window, a table of problem "
        "kinds, and master start/stop lines"
    )
    order = 35

    def collect(self, ctx: Context) -> Section:
        notes: list[str] = []
        scan, result = run.problems(ctx, max(0, ctx.options.problem_limit), ctx.options.since)
        notes += result.notes
        data = run.problems_data(scan, result)
        if not result.disc.sources and not result.read_failures:
            return self.section(Status.SKIPPED, data=data, notes=notes)
        status = Status.OK
        if result.read_failures:
            failed_all = result.read_failures >= len(result.disc.sources) + result.disc.unread
            status = Status.FAILED if failed_all else Status.PARTIAL
        raw = {"logs-problems.txt": "".join(p + "\n" for p in data["problems"])}
        return self.section(status, data=data, notes=notes, raw=raw)


class TraceCollector(Collector):
    name = "trace"
    title = "Mail log: the whole story of one message (--trace)"
    description = (
        "every log line of one message (queue ID, address or Message-ID): its smtpd "
        "session, cleanup, qmgr, each delivery attempt, and the messages it led to"
    )
    order = 36

    def collect(self, ctx: Context) -> Section:
        query = ctx.options.trace
        if not query:
            return self.section(
                Status.SKIPPED,
                notes=[
                    (
                        "no --trace given: add --trace QUEUEID (or an address, or a Message-ID) to show "
                        "the complete handling of one message"
                    )
                ],
            )
        data, result = run.trace(ctx, query)
        notes = list(result.notes)
        if not result.disc.sources and not result.read_failures:
            return self.section(Status.SKIPPED, data=data, notes=notes)
        if not data["lines"]:
            part = "what could be read of " if result.read_failures else ""
            notes.append(f"nothing in {part}the log names {query} ({data['kind']})")
        status = Status.PARTIAL if result.read_failures else Status.OK
        raw = {"trace.txt": "".join(ln + "\n" for ln in data["lines"])}
        return self.section(status, data=data, notes=notes, raw=raw)
