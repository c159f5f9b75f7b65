"""Summarise one capture and print one line of totals (the benchmark's child process)."""

from __future__ import annotations

import sys

from postfinger_py.pcap.summary import smtp_ports, summarize


def main(argv: list[str]) -> int:
    path, port = argv[0], int(argv[1])
    with open(path, "rb") as fh:
        result = summarize(fh, path, smtp_ports([port]))
    totals = result.get("totals", {})
    print(f"{totals.get('sessions', 0)} sessions, codes {totals.get('codes', {})}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
