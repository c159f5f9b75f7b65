"""Command line: `postfinger [options]` builds the report; `postfinger SUBCOMMAND ...` runs a part."""

from __future__ import annotations

import dataclasses
import importlib
import logging
import os
import signal
import sys
import traceback
from typing import TYPE_CHECKING, Any, List, Optional, Sequence, TextIO, cast

from postfinger_py import __version__
from postfinger_py.argparsing import Parser, ParserExit, add_config_dir
from postfinger_py.env import Env
from postfinger_py.errors import ExitStatus, PostfingerError, UsageError, os_error_words
from postfinger_py.runner import kill_running

if TYPE_CHECKING:
    pass

# Subcommands: name -> module with main(argv, env) -> int. Imported only when used.
SUBCOMMANDS = {
    "anonymize": "postfinger_py.commands.anonymize",
    "check": "postfinger_py.commands.check",
    "logs": "postfinger_py.commands.logs",
    "trace": "postfinger_py.commands.trace",
    "qshape": "postfinger_py.commands.qshape",
    "pcap": "postfinger_py.commands.pcap",
    "lookup": "postfinger_py.commands.lookup",
}

DESCRIPTION = """\
Gather what the people on postfix-users need to diagnose a Postfix problem (postconf -nf and -Mf,
versions, libraries, logs, queue shape, ...) into one plain-text report that is anonymized by
default and safe to post. The tool only reads: it never changes the configuration, queue or logs.
"""

EPILOG = """\
subcommands (postfinger SUBCOMMAND --help for their options):
  check       only the Findings: what looks wrong, with the evidence (takes the report's options)
  logs        the first warning/error/fatal/panic lines of the mail log
  trace ID    the whole story of one message (queue ID, address or Message-ID)
  qshape      qshape's table from postqueue -j, without Perl or root
  pcap FILE   readable summaries of the SMTP sessions in a packet capture
  lookup KEY  what every lookup table answers for an address or domain (postmap -q)
  anonymize   anonymize any text (stdin or files) the same way as the report

exit status: 0 ok, 1 error, 2 usage, 3 partial report (a section failed or is partial),
  4 refused: an original value survived anonymization, 5 report kept but mailing it failed,
  130 interrupted (Ctrl-C)
"""


# postfinger 1.30's options and the sections that now show the same.
CLASSIC_OPTIONS = (
    ("tables", "tables", "the lookup table types (postconf -m)"),
    ("locking", "locking", "the mailbox locking methods (postconf -l)"),
    ("permissions", "permissions", "queue and program permissions"),
    ("libraries", "libraries", "the libraries linked by Postfix (ldd)"),
    ("defaultsinmain", "maincf", "main.cf with the settings equal to their default"),
)


def _csv(value: str) -> List[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def build_parser(env: Env) -> Parser:
    from postfinger_py.anonymize import add_anon_arguments

    p = Parser(prog="postfinger", description=DESCRIPTION, epilog=EPILOG, env=env)
    p.add_argument("--version", action="store_true", help="print the version and exit")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="show debugging detail and tracebacks")
    add_config_dir(p)
    sel = p.add_argument_group("sections")
    sel.add_argument("--only", type=_csv, default=[], metavar="A,B",
                     help="only these sections (see --list-sections)")
    sel.add_argument("--skip", type=_csv, default=[], metavar="A,B", help="leave these out")
    sel.add_argument("--all", action="store_true", help="include the optional sections")
    sel.add_argument("--list-sections", action="store_true", help="list sections and exit")
    # The classic postfinger 1.30 options: each adds its section to the default ones.
    sel.set_defaults(add_sections=[])
    for option, name, what in CLASSIC_OPTIONS:
        sel.add_argument(f"--{option}", dest="add_sections", action="append_const", const=name,
                         help=f"also show {what} (the {name} section; classic postfinger)")
    rep = p.add_argument_group("report")
    rep.add_argument("--summary", metavar="TEXT", help="your own short problem summary")
    rep.add_argument("--summary-file", metavar="FILE", help="read the problem summary from FILE")
    rep.add_argument("--nowarn", action="store_true", help="leave out the privacy warning")
    rep.add_argument("--format", choices=["text", "json"], default="text")
    out = p.add_argument_group("output (the report goes to stdout unless one is named)")
    out.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE (mode 0600)")
    out.add_argument("--bundle", metavar="FILE.tar.gz",
                     help="write a tar.gz with report.txt, report.json, raw parts and a manifest")
    out.add_argument("--mail-to", metavar="ADDRESS",
                     help="mail the report (bundle attached) through the local sendmail")
    out.add_argument("--sendmail", metavar="PATH",
                     help="the sendmail program for --mail-to (default: postconf sendmail_path)")
    snap = p.add_argument_group("snapshots")
    snap.add_argument("--capture", metavar="DIR",
                      help="also record everything read into DIR (mode 0700; NOT anonymized)")
    snap.add_argument("--replay", metavar="DIR",
                      help="build the report from a snapshot DIR instead of this machine")
    logs = p.add_argument_group("logs, trace, queue, captures")
    logs.add_argument("--log-file", action="append", default=[], metavar="PATH",
                      help="read this mail log instead of finding one (repeatable)")
    logs.add_argument("--since", metavar="WHEN",
                      help="log window: a duration (2h, 3d), today, yesterday, a timestamp, or 'all'")
    logs.add_argument("--problems", type=int, default=20, metavar="N",
                      help="how many first problem lines to show (default 20)")
    logs.add_argument("--trace", metavar="ID",
                      help="add the whole story of one message: queue ID, address or Message-ID")
    logs.add_argument("--pcap", action="append", default=[], metavar="FILE",
                      help="summarize the SMTP sessions in this capture (repeatable)")
    logs.add_argument("--port", action="append", default=[], type=int, metavar="N",
                      help="also treat this TCP port as SMTP in captures (repeatable)")
    logs.add_argument("--probe", action="store_true",
                      help="also connect to this server's own SMTP listeners on loopback: read "
                           "the greeting and EHLO, try STARTTLS, QUIT (no mail, no AUTH; each "
                           "connection shows in the mail log)")
    add_anon_arguments(p)
    return p


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
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                        stream=env.stderr, format="postfinger: %(message)s")
    out = _WatchedStream(env.stdout)
    env = dataclasses.replace(env, stdout=cast(TextIO, out))
    try:
        if argv and argv[0] in SUBCOMMANDS:
            module = importlib.import_module(SUBCOMMANDS[argv[0]])
            return int(module.main(argv[1:], env))
        return report_command(argv, env)
    except ParserExit as exc:
        return exc.status
    except PostfingerError as exc:
        env.stderr.write(f"postfinger: {exc.message}\n")
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
    except Exception as exc:  # the last line of defence: one line, a traceback only with -v
        env.stderr.write(f"postfinger: internal error: {type(exc).__name__}: {exc}"
                         f"{'' if verbose else ' (run with -v for the traceback, and report it)'}\n")
        if verbose:
            traceback.print_exc(file=env.stderr)
        return int(ExitStatus.ERROR)


class _WatchedStream:
    """Passes everything to a text stream, remembering a failed write (to name it in the error)."""

    def __init__(self, inner: TextIO) -> None:
        self._inner = inner
        self.failure: Optional[OSError] = None
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


def report_command(argv: List[str], env: Env, prog: str = "postfinger") -> int:
    parser = build_parser(env)
    parser.prog = prog
    args = parser.parse_args(argv)
    if args.version:
        env.stdout.write(f"postfinger-py {__version__}\n")
        return int(ExitStatus.OK)
    from postfinger_py import pipeline

    if args.list_sections:
        env.stdout.write(pipeline.list_sections())
        return int(ExitStatus.OK)
    if args.capture and args.replay:
        raise UsageError("--capture and --replay exclude each other")
    if args.summary and args.summary_file:
        raise UsageError("give the summary either with --summary or with --summary-file")
    if args.problems < 0:
        raise UsageError("--problems takes a number of lines, 0 or more")
    if args.since:
        from datetime import timezone

        from postfinger_py.logs.since import parse_since

        try:
            parse_since(args.since, env.clock(), timezone.utc)
        except ValueError as exc:
            raise UsageError(f"{exc} (use a duration like 2h or 3d, a timestamp like "
                             "2026-11-20T08:00, or 'all')") from None
    if args.mail_to:
        from postfinger_py.deliver.mail import valid_address

        if not valid_address(args.mail_to):
            raise UsageError(f"--mail-to {args.mail_to!r} is not a mail address (user@domain)")
    return pipeline.run_report(args, env)
