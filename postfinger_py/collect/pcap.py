"""The pcap section: readable summaries of the SMTP sessions in the captures given with --pcap."""

from __future__ import annotations

from postfinger_py.collect.base import Collector
from postfinger_py.model import Context, Section, Status
from postfinger_py.pcap.captures import summarize_files


class PcapCollector(Collector):
    name = "pcap"
    title = "Packet captures (SMTP sessions)"
    description = "readable summaries of the SMTP sessions in the captures given with --pcap"
    order = 90

    def collect(self, ctx: Context) -> Section:
        if not ctx.options.pcap_files:
            return self.section(
                Status.SKIPPED,
                notes=[
                    "no capture given; record one with `tcpdump -s 0 -w FILE port 25` and pass --pcap FILE"
                ],
            )
        data = summarize_files(ctx)
        notes: list[str] = []
        failed = 0
        for f in data["files"]:
            if f["error"]:
                failed += 1
                notes.append(f"{f['file']}: {f['error']}")
            else:
                notes.extend(f"{f['file']}: {n}" for n in f["notes"])
        if failed == len(data["files"]):
            status = Status.FAILED
        elif failed or notes:
            status = Status.PARTIAL
        else:
            status = Status.OK
        raw = {"pcap-summary.txt": "\n".join(line for f in data["files"] for line in f["lines"]) + "\n"}
        return self.section(status, data=data, notes=notes, raw=raw)
