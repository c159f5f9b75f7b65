"""Record tests/queue/data from the real Postfix (run as root with the hold_queue plan held).

Usage: python tests/queue/record_fixture.py   (builds the plan, records, deletes our messages)
Writes the `postqueue -j` lines of the hold queue, the time, and the Perl qshape's tables.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import conftest  # noqa: E402
import qbuild  # noqa: E402

OPTION_SETS = {
    "default": [],
    "s": ["-s"],
    "p": ["-p"],
    "p-m2": ["-p", "-m", "2"],
    "l-b20-t60": ["-l", "-b", "20", "-t", "60"],
    "b4-t1": ["-b", "4", "-t", "1"],
    "w120": ["-w", "120"],
    "t2.5-b12": ["-t", "2.5", "-b", "12"],
}


def main() -> None:
    data = HERE / "data"
    ids = qbuild.build_hold_queue(conftest.PLAN)
    try:
        for _ in range(5):
            start = int(time.time())
            out = subprocess.run(["postqueue", "-j"], capture_output=True, text=True).stdout
            tables = {
                name: subprocess.run(["qshape", *opts, "hold"], capture_output=True).stdout
                for name, opts in OPTION_SETS.items()
            }
            if int(time.time()) == start:
                break
        hold = [ln for ln in out.splitlines() if json.loads(ln)["queue_name"] == "hold"]
        (data / "hold.jsonl").write_text("\n".join(hold) + "\n")
        (data / "now.txt").write_text(f"{start}\n")
        for name, text in tables.items():
            (data / f"qshape-{name}.txt").write_bytes(text)
    finally:
        qbuild.delete(ids)


if __name__ == "__main__":
    main()
