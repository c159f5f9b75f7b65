"""The captures named in the options (--pcap FILE), each summarised, read through ctx.files."""

from __future__ import annotations

from typing import Any

from postfinger_py.files import FileProblem
from postfinger_py.model import Context


def summarize_files(ctx: Context, limit: int | None = None) -> dict[str, Any]:
    """Summaries of ctx.options.pcap_files, read through ctx.files (so snapshots replay them);
    at most `limit` sessions of each in full (None: the summary's default)."""
    # Imported here, not above: the collector registry imports this module, and a report
    # without --pcap must not load dpkt and the SMTP reader (tests/unit/test_lazy_imports.py).
    from postfinger_py.pcap.summary import DETAIL_LIMIT, smtp_ports, summarize

    ports = smtp_ports(ctx.options.pcap_ports)
    files: list[dict[str, Any]] = []
    for path in ctx.options.pcap_files:
        ctx.progress(f"reading capture {path}")
        try:
            with ctx.files.open_binary(path) as fh:
                files.append(summarize(fh, path, ports, DETAIL_LIMIT if limit is None else limit))
        except FileProblem as exc:
            reason = f"cannot open {path}: {exc.reason}"
            files.append(
                {
                    "file": path,
                    "error": reason,
                    "ports": sorted(ports),
                    "lines": [f"Capture {path}: {reason}"],
                }
            )
    return {"ports": sorted(ports), "files": files}
