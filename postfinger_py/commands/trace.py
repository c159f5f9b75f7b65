"""`postfinger trace ID`: every log line of one message, and the messages it led to, anonymized."""

from __future__ import annotations

import argparse

from postfinger_py.anonymize import add_anon_arguments, settings_from_args, text_filter
from postfinger_py.argparsing import Parser, add_config_dir, add_log_files
from postfinger_py.env import Env
from postfinger_py.errors import ExitStatus, PostfingerError, UsageError
from postfinger_py.logs import run
from postfinger_py.model import Options
from postfinger_py.progress import Progress

DESCRIPTION = (
    "Print the whole handling of one message from the mail log: the smtpd session that received "
    "it, cleanup, qmgr, every delivery attempt, and the messages it led to (re-injection after a "
    "content filter, bounces). ID is a queue ID, an address (the most recent message to or from "
    "it) or a Message-ID."
)
EPILOG = """\
examples:
  postfinger trace 4BdXyz1kLmz            the story of the message with this queue ID
  postfinger trace user@example.org       the most recent message to or from this address
  postfinger trace '<20261121.abc@example.org>' --log-file /var/log/mail.log.1
  postfinger trace -c /etc/postfix-out 4BdXyz1kLmz   the log of another Postfix instance

The whole log is read (a message may be days old); on a terminal, stderr shows how much of
each log has been read (bytes and percent).

exit status: 0 the story was printed, 1 error (nothing in the log names ID, or no mail log
  found or readable: the message says why), 2 usage, 3 some logs could not be read
  (completely; their note says why), 4 refused: an original value survived anonymization
"""


def build_parser(env: Env) -> argparse.ArgumentParser:
    p = Parser(prog="postfinger trace", description=DESCRIPTION, epilog=EPILOG, env=env)
    p.add_argument("id", metavar="ID", help="queue ID, address, or Message-ID")
    add_log_files(p)
    add_config_dir(p, dest="c")
    add_anon_arguments(p)
    return p


def main(argv: list[str], env: Env) -> int:
    args = build_parser(env).parse_args(argv)
    if not args.id.strip():
        raise UsageError("postfinger trace: ID is empty; give a queue ID, address or Message-ID")
    options = Options(config_dir=args.c, log_files=tuple(args.log_file), trace=args.id)
    progress = Progress(env)
    ctx = env.live_context(options, progress)
    clean = text_filter(ctx, settings_from_args(args))
    try:
        data, result = run.trace(ctx, args.id)
    finally:
        progress.done()  # before any message, an error's or Ctrl-C's too
    for note in result.notes:
        env.stderr.write(f"postfinger trace: {clean(note)}\n")
    if not result.disc.sources:
        if result.read_failures:
            raise PostfingerError("postfinger trace: no log could be read (the reason is above)")
        raise PostfingerError("postfinger trace: no mail log to read; name one with --log-file")
    shown = data["lines"] or data["noqueue"]
    # One pass over the whole story: the anonymizer learns from all of it first, and its
    # fail-closed check refuses the output as a whole, before any of it is printed.
    text = clean("\n".join(shown) + "\n") if shown else ""
    if data["lines"]:
        env.stdout.write(text)
    if data["omitted_verbose"]:
        env.stderr.write(
            f"postfinger trace: {data['omitted_verbose']} verbose smtpd line(s) of the session left out\n"
        )
    if data["others"]:
        env.stderr.write(
            f"postfinger trace: {len(data['others'])} earlier message(s) also "
            "name it; shown: the most recent\n"
        )
    if data["noqueue"] and not data["lines"]:
        env.stderr.write("postfinger trace: only rejected (NOQUEUE) attempts name it:\n")
        env.stdout.write(text)
    if not data["lines"] and not data["noqueue"]:
        part = "what could be read of " if result.read_failures else ""
        raise PostfingerError(
            f"postfinger trace: nothing in {part}the log names "
            f"{clean(args.id)}; check the ID, or name older logs with "
            "--log-file",
            ExitStatus.PARTIAL if result.read_failures else ExitStatus.ERROR,
        )
    return int(ExitStatus.PARTIAL if result.read_failures else ExitStatus.OK)
