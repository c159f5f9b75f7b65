"""Lookup table types (postconf -m) and mailbox locking methods (postconf -l)."""

from __future__ import annotations

from postfinger_py.collect.base import Collector
from postfinger_py.model import Context, Section, Status
from postfinger_py.parse.postconf import parse_list
from postfinger_py.runner import require


class TablesCollector(Collector):
    name = "tables"
    title = "Supported lookup table types (postconf -m)"
    description = "lookup table types this Postfix supports, incl. dynamically loaded ones"
    order = 70

    def collect(self, ctx: Context) -> Section:
        res = require(ctx.runner.run(ctx.postconf("-m")), "list lookup table types")
        return self.section(
            Status.OK, data={"types": parse_list(res.stdout)}, raw={"postconf-m.txt": res.stdout}
        )


class LockingCollector(Collector):
    name = "locking"
    title = "Mailbox locking methods (postconf -l)"
    description = "mailbox file locking methods this Postfix supports"
    optional = True
    order = 75

    def collect(self, ctx: Context) -> Section:
        res = require(ctx.runner.run(ctx.postconf("-l")), "list locking methods")
        return self.section(
            Status.OK, data={"methods": parse_list(res.stdout)}, raw={"postconf-l.txt": res.stdout}
        )
