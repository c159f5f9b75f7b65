"""Daemon versions: the mail_version stamp inside every Postfix program, compared with postconf's."""

from __future__ import annotations

import re

from postfinger_py.collect.base import Collector
from postfinger_py.collect.common import (
    postconf_values,
    postfix_programs,
    present_programs,
    run_in_threads,
)
from postfinger_py.model import Context, Section, Status
from postfinger_py.parse.elf import BinaryInfo


def classify(info: BinaryInfo, mail_version: str) -> str:
    if info.kind == "unreadable":
        return "unreadable"
    if info.kind == "script":
        return "script"
    if re.search(r"\.so(\.[0-9.]+)?$", info.path):
        return "library"  # Postfix's shared libraries carry no stamp of their own
    if not info.version_stamps:
        return "no stamp"
    if info.version_stamps == (mail_version,):
        return "ok"
    return "MISMATCH"


class DaemonsCollector(Collector):
    name = "daemons"
    title = "Daemon and tool versions (compared with mail_version)"
    description = "the version stamped into every Postfix program; mixed versions flagged"
    order = 50

    def collect(self, ctx: Context) -> Section:
        layout = postconf_values(ctx)
        mail_version = layout.get("mail_version", "")
        paths, notes = postfix_programs(ctx, layout)
        found, problems = present_programs(ctx, paths)
        notes += problems
        present = [st.path for st in found if st.kind in ("file", "link")]
        infos = run_in_threads(ctx.files.inspect_binary, present)
        programs: list[dict[str, str]] = []
        for info in infos:
            status = classify(info, mail_version)
            programs.append(
                {
                    "path": info.path,
                    "version": ", ".join(info.version_stamps) or "-",
                    "status": status,
                    "problem": info.problem,
                }
            )
            if status == "unreadable":
                notes.append(f"cannot read {info.path}: {info.problem}")
        mismatches = [p for p in programs if p["status"] == "MISMATCH"]
        order = {"MISMATCH": 0, "unreadable": 1, "no stamp": 2, "ok": 3, "script": 4, "library": 5}
        programs.sort(key=lambda p: (order.get(p["status"], 9), p["path"]))
        counts: dict[str, int] = {}
        for p in programs:
            counts[p["status"]] = counts.get(p["status"], 0) + 1
        data = {
            "mail_version": mail_version,
            "programs": programs,
            "mismatches": mismatches,
            "counts": [
                {"status": k, "count": counts[k]} for k in sorted(counts, key=lambda k: order.get(k, 9))
            ],
            "listed": [p for p in programs if p["status"] not in ("ok", "library")],
        }
        raw = {"versions.txt": "".join(f"{p['path']}\t{p['version']}\t{p['status']}\n" for p in programs)}
        unreadable = counts.get("unreadable", 0)
        status = Status.PARTIAL if unreadable else Status.OK
        if not programs:
            status = Status.FAILED
            notes.append("no Postfix program could be found or read")
        return self.section(status, data=data, notes=notes, raw=raw)
