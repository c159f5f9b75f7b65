"""run_in_threads: each item exactly once, in order, also when threads run out midway."""

from __future__ import annotations

import subprocess
import sys
import threading

from postfinger_py.collect.common import run_in_threads

from ..conftest import REPO


def test_results_in_order_each_reported_once() -> None:
    seen = []
    out = run_in_threads(lambda x: x * 10, range(20), 4, lambda i, r: seen.append((i, r)))
    assert out == [x * 10 for x in range(20)]
    assert sorted(seen) == [(i, i * 10) for i in range(20)]
    assert threading.active_count() == 1  # the pool's threads are gone


# Threads run out after the first one has started (a process limit reached midway): the item
# whose thread could not start is already queued, and the running thread may take it too.
# Run in a fresh interpreter, since it makes Thread.start fail for that whole process.
_PARTIAL = """
import collections, threading, time
from postfinger_py.collect.common import run_in_threads
start, started = threading.Thread.start, []
def limited(self):
    started.append(1)
    if len(started) > 1:
        raise RuntimeError("can't start new thread")
    return start(self)
threading.Thread.start = limited
calls, reported = collections.Counter(), []
def work(x):
    calls[x] += 1
    time.sleep(0.05)
    return x * 10
print(run_in_threads(work, [1, 2, 3, 4], 4, lambda i, r: reported.append(i)),
      sorted(calls.items()), sorted(reported))
"""


def test_threads_running_out_midway_still_run_each_item_once() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _PARTIAL], capture_output=True, text=True, cwd=REPO, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[10, 20, 30, 40] [(1, 1), (2, 1), (3, 1), (4, 1)] [0, 1, 2, 3]"
