"""`postfinger logs`: Postfix's own first problem lines (warning/error/fatal/panic), anonymized."""

from __future__ import annotations

import argparse
import json
from typing import Any

from postfinger_py.anonymize import add_anon_arguments, settings_from_args, text_filter
from postfinger_py.argparsing import Parser, add_config_dir, add_log_files
from postfinger_py.env import Env
from postfinger_py.errors import ExitStatus, PostfingerError
from postfinger_py.logs import run
from postfinger_py.logs.lines import LogLine
from postfinger_py.model import Options
from postfinger_py.progress import Progress
from postfinger_py.since import DEFAULT_SINCE, since_argument

DESCRIPTION = (
    "Print the first warning/error/fatal/panic lines Postfix itself logged (not remote replies, "
    "not reject_warning), exact and unwrapped, in log order. The log is found as the report "
    "finds it (maillog_file, syslog files, journald) unless --log-file names it."
)
EPILOG = """\
examples:
  postfinger logs                         the first 20 problem lines of the last 7 days
  postfinger logs --since 2h --limit 0    every problem line of the last two hours
  postfinger logs --log-file /var/log/mail.log.1 --log-file /var/log/mail.log --json
  postfinger logs -c /etc/postfix-out     the log of another Postfix instance

On a terminal, stderr shows how much of each log has been read (bytes and percent).

exit status: 0 the logs were read (with or without problem lines), 1 error (no mail log found,
  or none could be read: the message says why), 2 usage, 3 some logs could not be read
  (completely; their note says why), 4 refused: an original value survived anonymization
"""


def _limit(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 (all) or more")
    return value


def build_parser(env: Env) -> argparse.ArgumentParser:
    p = Parser(prog="postfinger logs", description=DESCRIPTION, epilog=EPILOG, env=env)
    add_log_files(p)
    p.add_argument(
        "--since",
        metavar="WHEN",
        type=since_argument,
        help=f"a duration (2h, 7d), a timestamp (2026-11-20 08:00) or all (default {DEFAULT_SINCE})",
    )
    p.add_argument(
        "--limit", metavar="N", type=_limit, default=20, help="how many lines (default 20; 0: all of them)"
    )
    add_config_dir(p, dest="c")
    p.add_argument(
        "--json",
        action="store_true",
        help="print one JSON document: the window, the logs read, the count and the "
        "lines (each with its time, program and severity), and the notes",
    )
    add_anon_arguments(p)
    return p


def main(argv: list[str], env: Env) -> int:
    args = build_parser(env).parse_args(argv)
    options = Options(
        config_dir=args.c, log_files=tuple(args.log_file), since=args.since, problem_limit=args.limit
    )
    # With --limit 0 the lines stream out while the log is read: on a terminal they are the
    # progress, and a status line drawn between them would garble the one being written.
    progress = Progress(env, enabled=env.progress_enabled and not (args.limit == 0 and _isatty(env.stdout)))
    ctx = env.live_context(options, progress)
    clean = text_filter(ctx, settings_from_args(args))
    try:
        if args.json:
            return _json(ctx, args, clean, env, progress)
        return _text(ctx, args, clean, env, progress)
    finally:
        progress.done()  # an error or Ctrl-C too: the message is not written after the status


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _text(ctx: Any, args: argparse.Namespace, clean: Any, env: Env, progress: Progress) -> int:
    def show(line: LogLine) -> None:
        # --limit 0 streams every problem line as it is found, so that memory stays bounded
        # on any log; each line is checked for leaks before it is printed.
        env.stdout.write(clean(line.text) + "\n")

    scan, result = run.problems(ctx, args.limit, args.since, on_problem=show if args.limit == 0 else None)
    progress.done()
    if scan.problems:
        # A bounded list: one pass, so the leak check refuses it whole, before any is printed.
        env.stdout.write(clean("".join(line.text + "\n" for line in scan.problems)))
    for note in result.notes:
        env.stderr.write(f"postfinger logs: {clean(note)}\n")
    if not result.disc.sources:
        if result.read_failures:
            raise PostfingerError("postfinger logs: no log could be read (the reason is above)")
        raise PostfingerError("postfinger logs: no mail log to read; name one with --log-file")
    if scan.total > len(scan.problems) and args.limit:
        env.stderr.write(
            f"postfinger logs: {scan.total - len(scan.problems)} more problem "
            "line(s) in the window; --limit 0 shows all\n"
        )
    if not scan.total:
        part = "what could be read of " if result.read_failures else ""
        env.stderr.write(f"postfinger logs: no problem lines in {part}{result.window}\n")
    if result.read_failures:
        return int(ExitStatus.PARTIAL)
    return int(ExitStatus.OK)


def _line(line: LogLine, clean: Any) -> dict[str, Any]:
    return {
        "text": clean(line.text),
        "time": line.when.isoformat() if line.when else None,
        "program": line.prog,
        "severity": line.severity,
    }


def _json(ctx: Any, args: argparse.Namespace, clean: Any, env: Env, progress: Progress) -> int:
    """The same scan as the text output, as one JSON document.

    With --limit 0 the lines are streamed into the "lines" array as they are found (bounded
    memory on any log); the counts and notes follow the array, so the document is complete
    only when the scan is.
    """
    out = env.stdout
    out.write('{"lines": [')
    first = [True]

    def emit(line: LogLine) -> None:
        out.write(("\n  " if first[0] else ",\n  ") + json.dumps(_line(line, clean)))
        first[0] = False

    scan, result = run.problems(ctx, args.limit, args.since, on_problem=emit if args.limit == 0 else None)
    progress.done()
    for line in scan.problems:
        emit(line)
    tail = {
        "window": result.window,
        "logs": [{"name": clean(str(s["name"])), "size": s["size"]} for s in result.sources],
        "total": scan.total,
        "shown": scan.total if args.limit == 0 else len(scan.problems),
        "notes": [clean(n) for n in result.notes],
        "complete": not result.read_failures and bool(result.disc.sources),
    }
    out.write("\n]," + json.dumps(tail, indent=1)[1:] + "\n")
    if not result.disc.sources:
        raise PostfingerError("postfinger logs: no mail log to read; name one with --log-file")
    return int(ExitStatus.PARTIAL if result.read_failures else ExitStatus.OK)
