"""`postfinger qshape`: qshape's table, without Perl and without root, anonymized by default."""

from __future__ import annotations

import argparse

from postfinger_py.anonymize import add_anon_arguments, settings_from_args, text_filter
from postfinger_py.argparsing import Parser, add_config_dir
from postfinger_py.env import Env
from postfinger_py.errors import UsageError
from postfinger_py.model import Options
from postfinger_py.queue.qshape import QshapeOptions
from postfinger_py.queue.source import SOURCE_FILES, SOURCE_JSON, qshape_table

DESCRIPTION = (
    "Print the Postfix queue's domain and age distribution exactly as qshape(1) does, computed "
    "from the queue files when run as root (like qshape, but faster), else from `postqueue -j` "
    "(no Perl, no root needed); falls back to the Perl qshape, then to "
    "`postqueue -p` text. Default queues: incoming active."
)
EPILOG = """\
examples:
  postfinger qshape deferred          where the deferred mail goes, by age (minutes)
  postfinger qshape -s hold           the senders of the mail on hold
  postfinger qshape -c /etc/postfix-out deferred   another Postfix instance

exit status: 0 the table was printed, 1 error (no queue could be read: the message says why),
  2 usage, 4 refused: an original value survived anonymization
"""


def build_parser(env: Env) -> argparse.ArgumentParser:
    p = Parser(prog="postfinger qshape", description=DESCRIPTION, epilog=EPILOG, env=env)
    p.add_argument("-s", action="store_true", help="sender domains instead of recipient domains")
    p.add_argument("-p", action="store_true", help="also count parent domains (.example.com)")
    p.add_argument(
        "-m", metavar="MIN_SUBDOMAINS", help="show a parent with at least this many subdomains (default 5)"
    )
    p.add_argument("-b", metavar="BUCKET_COUNT", help="number of age buckets (default 10)")
    p.add_argument("-t", metavar="BUCKET_TIME", help="first bucket's age limit in minutes (default 5)")
    p.add_argument("-l", action="store_true", help="linear instead of doubling bucket ages")
    p.add_argument("-w", metavar="TERMINAL_WIDTH", help="output width (only above 80)")
    p.add_argument(
        "-N", metavar="BATCH_MSG_COUNT", help="accepted for qshape compatibility; there is no interim output"
    )
    p.add_argument(
        "-n",
        metavar="BATCH_TOP_DOMAINS",
        help="on a terminal, show only this many rows (default 20, 0: all), as qshape does",
    )
    add_config_dir(p, dest="c")
    p.add_argument(
        "queues",
        nargs="*",
        metavar="queue_name",
        help="maildrop, incoming, active, deferred, hold (default: incoming active)",
    )
    add_anon_arguments(p)
    return p


def _isatty(env: Env) -> bool:
    try:
        return bool(env.stdout.isatty())
    except (AttributeError, ValueError):
        return False


def _write(env: Env, text: str) -> None:
    """Write the table as qshape does: bytes (a cut UTF-8 name may end mid-character)."""
    data = text.encode("utf-8", "surrogateescape")
    buffer = getattr(env.stdout, "buffer", None)
    if buffer is not None:
        env.stdout.flush()
        buffer.write(data)
        buffer.flush()
    else:
        env.stdout.write(data.decode("utf-8", "replace"))


def main(argv: list[str], env: Env) -> int:
    args = build_parser(env).parse_args(argv)
    top = 0
    if _isatty(env):
        top = int(args.n) if args.n is not None and args.n.strip().isdigit() else 20
    options = QshapeOptions.from_strings(
        senders=args.s,
        parents=args.p,
        linear=args.l,
        buckets=args.b,
        tick=args.t,
        min_subdomains=args.m,
        width=args.w,
        top=top,
    )
    for value in (options.buckets, options.tick, options.min_subdomains, options.width):
        if value != value or value in (float("inf"), float("-inf")):
            raise UsageError("postfinger qshape: option values must be finite numbers")
    if options.buckets > 10000:
        raise UsageError("postfinger qshape: -b: at most 10000 buckets")
    ctx = env.live_context(Options(config_dir=args.c))
    result = qshape_table(ctx, options, args.queues)
    if result.source not in (SOURCE_JSON, SOURCE_FILES) or result.notes:
        env.stderr.write(f"postfinger qshape: source: {result.source}\n")
        for note in result.notes:
            env.stderr.write(f"postfinger qshape: {note}\n")
    settings = settings_from_args(args)
    text = result.text
    if settings.mode != "off":
        text = text_filter(ctx, settings)(text)
    _write(env, text)
    return 0
