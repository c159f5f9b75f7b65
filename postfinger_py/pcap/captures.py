"""The captures named in the options (--pcap FILE), each summarised, read through ctx.files."""

from __future__ import annotations

from typing import Any, Dict, List

from postfinger_py.files import FileProblem
from postfinger_py.model import Context
from postfinger_py.pcap.summary import DETAIL_LIMIT, smtp_ports, summarize


def summarize_files(ctx: Context, limit: int = DETAIL_LIMIT) -> Dict[str, Any]:
    """Summaries of ctx.options.pcap_files, read through ctx.files (so snapshots replay them)."""
    ports = smtp_ports(ctx.options.pcap_ports)
    files: List[Dict[str, Any]] = []
    for path in ctx.options.pcap_files:
        ctx.progress(f"reading capture {path}")
        try:
            with ctx.files.open_binary(path) as fh:
                files.append(summarize(fh, path, ports, limit))
        except FileProblem as exc:
            reason = f"cannot open {path}: {exc.reason}"
            files.append({"file": path, "error": reason, "ports": sorted(ports),
                          "lines": [f"Capture {path}: {reason}"]})
    return {"ports": sorted(ports), "files": files}
