"""Small helpers several collectors share: reading postconf parameters, privilege notes."""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Iterable, Sequence
from typing import Any, Callable, TypeVar

from postfinger_py.files import FileProblem, StatInfo
from postfinger_py.model import Context
from postfinger_py.parse.postconf import parse_parameters
from postfinger_py.parse.postfix_files import Entry, parse_postfix_files, program_paths
from postfinger_py.runner import require

T = TypeVar("T")
R = TypeVar("R")


def no_thread_to_spare(exc: RuntimeError) -> bool:
    """Whether starting a thread failed (a process limit, RLIMIT_NPROC, counts threads too)."""
    return "can't start new thread" in str(exc)


WAKE_UP = 0.2  # seconds between checks for Ctrl-C while waiting for threads


def run_in_threads(
    fn: Callable[[T], R],
    items: Iterable[T],
    max_workers: int = 4,
    on_done: Callable[[int, R], None] = lambda i, result: None,
) -> list[R]:
    """[fn(x) for x in items], several at a time, each exactly once, in the order given.

    on_done(index, result) is called in this thread as each one finishes. Where no thread can
    be started (a process limit: RLIMIT_NPROC counts threads too), the rest run here, one
    after another. An item whose thread could not be started may already be queued, and a
    running thread may still take it: each item is claimed under a lock, so it runs once.
    """
    items = list(items)
    missing = object()
    results: list[Any] = [missing] * len(items)
    claimed: set[int] = set()
    reported: set[int] = set()
    lock = threading.Lock()

    def run(i: int) -> None:
        with lock:
            if i in claimed:
                return
            claimed.add(i)
        results[i] = fn(items[i])

    def report(i: int) -> None:
        if i not in reported and results[i] is not missing:
            reported.add(i)
            on_done(i, results[i])

    pool = concurrent.futures.ThreadPoolExecutor(max_workers=max_workers)
    futures: dict[Any, int] = {}
    try:
        for i in range(len(items)):
            try:
                futures[pool.submit(run, i)] = i
            except RuntimeError as exc:
                if not no_thread_to_spare(exc):
                    raise
                for j in range(i, len(items)):
                    run(j)
                    report(j)
                break
        pending = set(futures)
        while pending:
            # Never an endless wait: a signal may be delivered to a worker thread, and only
            # the main thread raises KeyboardInterrupt, when it next runs Python code.
            done, pending = concurrent.futures.wait(
                pending, timeout=WAKE_UP, return_when=concurrent.futures.FIRST_COMPLETED
            )
            for fut in sorted(done, key=futures.__getitem__):
                fut.result()  # an exception of fn is raised here
                report(futures[fut])
    except BaseException:
        # Ctrl-C (or a failure): do not wait for the running ones (a long log scan); the
        # caller ends the process, and the threads with it.
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    for i in range(len(items)):
        if results[i] is missing:  # taken by a thread without a future, and it failed
            results[i] = fn(items[i])
        report(i)
    return results


# The system section's parameters; the report header asks for the same when that section is
# left out, so a snapshot's recording answers both.
SYSTEM_PARAMS = ("mail_version", "myhostname", "command_directory")

# Parameters several collectors need; asked for in one call so a replay needs one recording.
LAYOUT = (
    "mail_version",
    "config_directory",
    "command_directory",
    "daemon_directory",
    "queue_directory",
    "data_directory",
    "meta_directory",
    "shlib_directory",
    "sendmail_path",
    "mailq_path",
    "newaliases_path",
    "mail_owner",
    "setgid_group",
)


def postconf_values(ctx: Context, names: Sequence[str] = LAYOUT) -> dict[str, str]:
    """Current values (unexpanded, as postconf prints them) of the named parameters."""
    result = require(ctx.runner.run(ctx.postconf(*names)), "read Postfix parameters")
    return dict(parse_parameters(result.stdout))


def not_root_note(ctx: Context, what: str) -> str:
    return f"{what} (postfinger ran as uid {ctx.euid}; run it as root to include this)"


# When postfix-files cannot be read: Postfix's command-line tools (postfix-files lists them).
FALLBACK_COMMANDS = (
    "postalias",
    "postcat",
    "postconf",
    "postdrop",
    "postfix",
    "postkick",
    "postlock",
    "postlog",
    "postmap",
    "postmulti",
    "postqueue",
    "postsuper",
)


def postfix_files_entries(ctx: Context, layout: dict[str, str]) -> tuple[list[Entry], list[str]]:
    """postfix-files entries (plus postfix-files.d/*), and notes on what could not be read."""
    meta = layout.get("meta_directory") or layout.get("config_directory", "/etc/postfix")
    notes: list[str] = []
    texts: list[str] = []
    try:
        texts.append(ctx.files.read_bytes(f"{meta}/postfix-files").decode("utf-8", "replace"))
    except FileProblem as exc:
        notes.append(f"cannot read {exc.path}: {exc.reason}; using the standard program list")
        return [], notes
    try:
        extra = [n for n in ctx.files.listdir(f"{meta}/postfix-files.d") if n.endswith(".files")]
    except FileProblem:
        extra = []
    for name in extra:
        try:
            texts.append(ctx.files.read_bytes(f"{meta}/postfix-files.d/{name}").decode("utf-8", "replace"))
        except FileProblem as exc:
            notes.append(f"cannot read {exc.path}: {exc.reason}")
    return parse_postfix_files("\n".join(texts), layout), notes


def postfix_programs(ctx: Context, layout: dict[str, str]) -> tuple[list[str], list[str]]:
    """Paths of Postfix's programs and libraries, and notes on how they were found."""
    entries, notes = postfix_files_entries(ctx, layout)
    if entries:
        return program_paths(entries, layout), notes
    paths: list[str] = []
    daemon_dir = layout.get("daemon_directory", "")
    try:
        paths += [f"{daemon_dir}/{n}" for n in ctx.files.listdir(daemon_dir)]
    except FileProblem as exc:
        notes.append(f"cannot list {exc.path}: {exc.reason}")
    cmd_dir = layout.get("command_directory", "/usr/sbin")
    paths += [f"{cmd_dir}/{n}" for n in FALLBACK_COMMANDS]
    if layout.get("sendmail_path"):
        paths.append(layout["sendmail_path"])
    return paths, notes


def present_programs(ctx: Context, paths: Sequence[str]) -> tuple[list[StatInfo], list[str]]:
    """lstat of each path that exists, and a note for each that could not be checked."""
    found: list[StatInfo] = []
    notes: list[str] = []
    for path in paths:
        try:
            found.append(ctx.files.stat(path))
        except FileProblem as exc:
            if exc.kind != "missing":
                notes.append(f"cannot check {path}: {exc.reason}")
    return found, notes
