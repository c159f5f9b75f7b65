"""`postfinger qshape` against the real /usr/sbin/qshape on a queue we build in the real Postfix."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tablecmp import same_table

from postfinger_py.commands.qshape import main
from postfinger_py.env import Env

OPTION_SETS = [
    [],
    ["-s"],
    ["-p"],
    ["-p", "-m", "2"],
    ["-p", "-s", "-m", "1"],
    ["-l"],
    ["-l", "-b", "20", "-t", "60"],
    ["-b", "4", "-t", "1"],
    ["-w", "120"],
    ["-w", "60"],
    ["-t", "2.5", "-b", "12"],
    ["-p", "-m", "1", "-w", "40"],
]


class _Out(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.buffer = io.BytesIO()


def ours(args: list[str]) -> str:
    out = _Out()
    assert main(["--no-anonymize", *args], Env(stdout=out, stderr=io.StringIO())) == 0
    return out.buffer.getvalue().decode("utf-8", "surrogateescape") + out.getvalue()


def theirs(args: list[str]) -> str:
    res = subprocess.run(["/usr/sbin/qshape", *args], capture_output=True, check=True)
    return res.stdout.decode("utf-8", "surrogateescape")


def agree(args: list[str], tries: int = 5) -> None:
    """Other helpers' mail moves through this Postfix: retry until one pair of runs agrees."""
    a = b = ""
    for _ in range(tries):
        a, b = ours(args), theirs(args)
        if same_table(a, b):
            return
    assert same_table(a, b), f"\npostfinger qshape {args}:\n{a}\nqshape:\n{b}"


@pytest.mark.integration
@pytest.mark.parametrize("opts", OPTION_SETS, ids=lambda o: " ".join(o) or "defaults")
def test_hold_queue_equals_perl_qshape(hold_queue: list[str], opts: list[str]) -> None:
    table = ours([*opts, "hold"])
    assert int(table.splitlines()[1].split()[1]) >= 13  # our held messages are in it
    agree([*opts, "hold"])


@pytest.mark.integration
@pytest.mark.parametrize(
    "queues", [["deferred"], [], ["hold", "deferred"], ["/var/spool/postfix/hold"]], ids=str
)
def test_other_queue_sets_equal_perl_qshape(hold_queue: list[str], queues: list[str]) -> None:
    agree(queues)
    agree(["-s", *queues])
