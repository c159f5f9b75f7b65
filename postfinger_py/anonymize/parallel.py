"""Anonymizing megabytes of text on two CPUs, with exactly the result of doing it on one.

Lines are independent, so the second half of a text (cut at a line end) goes to a forked child
while this process does the first half. The only thing a replacement depends on beyond its own
value is which earlier values took which replacements: two labels under one parent (or two
user names) whose keyed replacements collide are told apart in first-seen order. The child
starts from the state before the first half, so its choices are checked against the parent's:
every label and user name the child replaced must have got the same replacement here, or one
nobody here took. If so, the child's new entries are merged in and its output is used; if not
(rare: a collision across the halves), or if the child fails, the second half is done here.
"""

from __future__ import annotations

import os
import pickle
import signal
import threading
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from postfinger_py.anonymize.maps import Delta, EngineState

# Below this, forking (page tables of a large process) and the transfer cost more than they save.
PARALLEL_MIN_CHARS = 2_000_000


def can_fork() -> bool:
    """Only where fork exists and no other thread runs (forking a threaded process is unsafe)."""
    return hasattr(os, "fork") and threading.active_count() == 1


def hold_ctrl_c() -> Any:
    """Block SIGINT over a fork; the mask to restore with let_ctrl_c().

    Blocked before anything is opened, since restoring may deliver a pending Ctrl-C: the
    child must not see it before it ignores it (child_ignores_ctrl_c), and the parent only
    once it knows the child, to end it.
    """
    return signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})


def let_ctrl_c(mask: Any) -> None:
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def child_ignores_ctrl_c(mask: Any) -> None:
    """In a forked child: the parent handles Ctrl-C (and ends the child)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    let_ctrl_c(mask)


def end_child(pid: int, kill: bool) -> None:
    """Wait for a child, killed first if its work is not wanted."""
    if kill:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def _cut(text: str) -> int:
    """Where to cut `text` in two at a line end near its middle; 0 if it cannot be cut."""
    cut = text.find("\n", len(text) // 2) + 1
    # Never right after a quoted-printable soft line break (a line ending in `=`): the engine
    # joins the word across it (`info@acme-rob=` NEWLINE `otics.com`).
    while 0 < cut < len(text) and text[max(0, cut - 3) : cut - 1].endswith(("=", "=\r")):
        cut = text.find("\n", cut) + 1
    return cut if 0 < cut < len(text) else 0


def _both(in_child: Callable[[], Any], here: Callable[[], Any]) -> tuple[Any, Any | None]:
    """(here(), in_child()) with in_child run in a forked child at the same time.

    The child's result comes back pickled through a pipe; None if the child failed (the caller
    then does that work itself). The child is always waited for; if its result is not read
    (an error or Ctrl-C here), it is killed first.
    """
    mask = hold_ctrl_c()
    try:
        read_fd, write_fd = os.pipe()
    except OSError:
        let_ctrl_c(mask)
        return here(), None
    try:
        pid = os.fork()
    except OSError:  # no process to spare (a ulimit): the caller does the child's share
        os.close(read_fd)
        os.close(write_fd)
        let_ctrl_c(mask)
        return here(), None
    if pid == 0:  # the child: never returns
        code = 0
        try:
            child_ignores_ctrl_c(mask)
            os.close(read_fd)
            data = pickle.dumps(in_child(), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write_fd, "wb") as fh:
                fh.write(data)
        except BaseException:  # noqa: BLE001 - the parent does the work; never run its code
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)
    payload = b""
    try:
        let_ctrl_c(mask)
        mine = here()
        with os.fdopen(read_fd, "rb") as fh:
            read_fd = -1
            payload = fh.read()
    finally:
        if read_fd >= 0:
            os.close(read_fd)
        end_child(pid, kill=not payload)
    try:
        return mine, (pickle.loads(payload) if payload else None)
    except Exception:  # noqa: BLE001 - cut short (the child was killed while writing)
        return mine, None


def apply_in_halves(state: EngineState, text: str, apply: Callable[[str], str]) -> str:
    """apply(text), the second half computed in a child; `apply` is the engine's one-CPU path
    and `state` the engine's choices, which the child records and this process merges."""
    cut = _cut(text)
    if not cut:
        return apply(text)
    first, second = text[:cut], text[cut:]

    def in_child() -> tuple[str, Delta]:
        # Every entry the child writes, new or rewritten (`replaced` holds the network form of
        # 10.1.2.0 after 10.1.2.0/24, the address form after 10.1.2.0), in first-write order.
        state.start_recording()
        out = apply(second)
        return out, state.recorded()

    out_first, theirs = _both(in_child, lambda: apply(first))
    if theirs is not None:
        out_second, delta = theirs
        if state.agrees_with(delta):
            state.merge(delta)
            return str(out_first) + str(out_second)
    return str(out_first) + apply(second)


def in_halves(fn: Callable[[str], list[Any]], text: str) -> tuple[list[Any], list[Any]]:
    """(fn(first half), fn(second half)), the second computed in a child at the same time.

    For functions of the lines of a text (the leak check's search): the text is cut at a line
    end. If the child fails, the second half is done here.
    """
    cut = _cut(text)
    if not cut:
        return fn(text), []
    mine, theirs = _both(lambda: fn(text[cut:]), lambda: fn(text[:cut]))
    return list(mine), list(theirs) if theirs is not None else fn(text[cut:])
