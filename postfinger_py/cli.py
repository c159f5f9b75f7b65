"""Command line: `postfinger [options]` builds the report; `postfinger SUBCOMMAND ...` runs a part."""

from __future__ import annotations

import dataclasses
import importlib
import logging
import os
import signal
import sys
import traceback
from collections.abc import Sequence
from typing import Any, TextIO, cast

from postfinger_py.argparsing import ParserExit
from postfinger_py.env import Env
from postfinger_py.errors import ExitStatus, PostfingerError, os_error_words
from postfinger_py.runner import kill_running

# The report (`postfinger [options]`) and the subcommands: modules with main(argv, env) -> int,
# imported only when used.
REPORT = "postfinger_py.commands.report"
SUBCOMMANDS = {
    "anonymize": "postfinger_py.commands.anonymize",
    "check": "postfinger_py.commands.check",
    "logs": "postfinger_py.commands.logs",
    "trace": "postfinger_py.commands.trace",
    "qshape": "postfinger_py.commands.qshape",
    "pcap": "postfinger_py.commands.pcap",
    "lookup": "postfinger_py.commands.lookup",
}


_VERBOSE = ("-v", "--verbose")
_OWN_VERBOSE = frozenset({"lookup"})


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run() -> int:
    """Console-script entry point."""
    for signum in (signal.SIGTERM, signal.SIGHUP):
        # Ended from outside: the same clean way out as Ctrl-C (children killed, the capture
        # spool removed), unless the signal was ignored when we started (nohup).
        if signal.getsignal(signum) == signal.SIG_DFL:
            signal.signal(signum, _interrupt)
    try:
        status = main(sys.argv[1:], Env())
    except KeyboardInterrupt:  # a second Ctrl-C, while the first one was being handled
        sys.stderr.write("\npostfinger: interrupted\n")
        status = int(ExitStatus.INTERRUPTED)
    if status == ExitStatus.INTERRUPTED:
        # Collector threads may still be scanning a large log, and Python waits for every
        # thread at exit: end the process now (the cleanup ran in main's finally blocks).
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        kill_running()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(status)
    try:
        sys.stdout.flush()
    except OSError:
        # stdout failed (a full disk, a closed pipe) and was reported: the text still buffered
        # must not fail again at exit with a traceback ("Exception ignored ...").
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return status or int(ExitStatus.ERROR)
    return status


def main(argv: Sequence[str], env: Env) -> int:
    argv = list(argv)
    verbose = "-v" in argv or "--verbose" in argv
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        stream=env.stderr,
        format="postfinger: %(message)s",
    )
    out = _WatchedStream(env.stdout)
    env = dataclasses.replace(env, stdout=cast(TextIO, out))
    try:
        words = [a for a in argv if a not in _VERBOSE]
        if words and words[0] in SUBCOMMANDS:
            # -v (tracebacks, which every error message offers) before or after a subcommand;
            # only `lookup` has a -v of its own, which it is passed on to.
            rest = words[1:]
            if verbose and words[0] in _OWN_VERBOSE:
                rest = ["-v", *rest]
            module = importlib.import_module(SUBCOMMANDS[words[0]])
            return int(module.main(rest, env))
        return int(importlib.import_module(REPORT).main(argv, env))
    except ParserExit as exc:
        return exc.status
    except PostfingerError as exc:
        # A subcommand's message names it already (`postfinger logs: ...`): one prefix only.
        prefix = "" if exc.message.startswith("postfinger ") else "postfinger: "
        env.stderr.write(f"{prefix}{exc.message}\n")
        if verbose:
            traceback.print_exc(file=env.stderr)
        return int(exc.status)
    except KeyboardInterrupt:
        done = "the output above is incomplete" if out.written else "nothing was written"
        env.stderr.write(f"\npostfinger: interrupted; {done}\n")
        return int(ExitStatus.INTERRUPTED)
    except BrokenPipeError:
        return int(ExitStatus.ERROR)
    except OSError as exc:  # an input/output failure nobody closer explained: say it in words
        env.stderr.write(f"postfinger: {_os_failure(exc, out)}\n")
        if verbose:
            traceback.print_exc(file=env.stderr)
        return int(ExitStatus.ERROR)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, a traceback only with -v
        env.stderr.write(
            f"postfinger: internal error: {type(exc).__name__}: {exc}"
            f"{'' if verbose else ' (run with -v for the traceback, and report it)'}\n"
        )
        if verbose:
            traceback.print_exc(file=env.stderr)
        return int(ExitStatus.ERROR)


class _WatchedStream:
    """Passes everything to a text stream, remembering a failed write (to name it in the error)."""

    def __init__(self, inner: TextIO) -> None:
        self._inner = inner
        self.failure: OSError | None = None
        self.written = False  # whether anything reached the stream (Ctrl-C says so)

    def write(self, text: str) -> int:
        self.written = self.written or bool(text)
        try:
            return self._inner.write(text)
        except OSError as exc:
            self.failure = exc
            raise

    def flush(self) -> None:
        try:
            self._inner.flush()
        except OSError as exc:
            self.failure = exc
            raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _os_failure(exc: OSError, out: _WatchedStream) -> str:
    words = os_error_words(exc)
    if out.failure is exc:
        return f"could not write to standard output: {words}"
    if exc.filename:
        return f"could not use {exc.filename}: {words}"
    return f"an input/output operation failed: {words}"
