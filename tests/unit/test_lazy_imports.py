"""The default report must not pay for what it does not use: dpkt and the pcap reader load only
when a capture is asked for (--pcap), seen from the real entry point in a process of its own."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ..conftest import EXAMPLE_ARGS, EXAMPLE_KEY, EXAMPLE_SNAPSHOT, REPO

# What reading a capture needs; pcap.captures itself is light (the collector registry has it).
READER = {f"postfinger_py.pcap.{m}" for m in ("reader", "reassembly", "smtp", "summary", "tls")}
REPLAY = ["--replay", str(EXAMPLE_SNAPSHOT), "--anon-key", str(EXAMPLE_KEY)]


def _imported(argv: list[str]) -> set[str]:
    """The modules `python -m postfinger_py ARGV` imported (also in a forked anonymizer)."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "postfinger_py", *argv],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip(), "no output: the command did not run"
    # importtime lines: "import time:  self [us] | cumulative | module" (nested ones indented)
    return {
        line.rsplit("|", 1)[1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    }


@pytest.mark.parametrize(
    "argv", [["--version"], [*REPLAY, "--all"], REPLAY], ids=["version", "report-all", "report"]
)
def test_no_capture_asked_no_dpkt(argv: list[str]) -> None:
    modules = _imported(argv)
    assert "postfinger_py" in modules  # the list is read right
    assert not {m for m in modules if m.split(".")[0] == "dpkt" or m in READER}


def test_a_capture_asked_imports_dpkt() -> None:
    # The control: the same check sees dpkt when --pcap needs it.
    modules = _imported(REPLAY + EXAMPLE_ARGS)
    assert {"dpkt"} | READER <= modules
