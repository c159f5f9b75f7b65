"""`postfinger pcap FILE...`: the SMTP sessions of packet captures, readable and anonymized."""

from __future__ import annotations

import argparse
import json
import os

from postfinger_py.anonymize import add_anon_arguments, settings_from_args, text_filter
from postfinger_py.argparsing import Parser, add_config_dir
from postfinger_py.env import Env
from postfinger_py.errors import ExitStatus, PostfingerError, UsageError
from postfinger_py.model import Options
from postfinger_py.pcap.captures import summarize_files

EPILOG = """\
examples:
  tcpdump -s 0 -w /tmp/smtp.pcap port 25     record (as root; Ctrl-C to stop), then:
  postfinger pcap /tmp/smtp.pcap             the sessions, problem sessions first
  postfinger pcap --port 2525 --json a.pcap  also port 2525, as JSON

exit status: 0 every capture was read, 1 error (no capture could be read), 2 usage,
  3 some captures could not be read (their line says why), 4 refused: an original value
  survived anonymization
"""


def _parser(env: Env) -> argparse.ArgumentParser:
    parser = Parser(
        env=env,
        epilog=EPILOG,
        prog="postfinger pcap",
        description="Summarise the SMTP sessions in pcap/pcapng captures (record one with "
        "`tcpdump -s 0 -w FILE port 25`). Message content and AUTH credentials are never shown.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="capture file (pcap or pcapng)")
    parser.add_argument(
        "--port",
        dest="ports",
        type=int,
        action="append",
        default=[],
        metavar="N",
        help="also read SMTP on TCP port N (25, 465, 587 always)",
    )
    parser.add_argument(
        "--sessions",
        type=int,
        default=20,
        metavar="N",
        help="show at most N sessions in full, problem sessions first (default 20)",
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    add_config_dir(parser)
    add_anon_arguments(parser)
    return parser


def main(argv: list[str], env: Env) -> int:
    args = _parser(env).parse_args(argv)
    for port in args.ports:
        if not 0 < port < 65536:
            raise UsageError(f"--port {port}: a TCP port is a number from 1 to 65535")
    if args.sessions < 0:
        raise UsageError("--sessions N: N must be 0 or more")
    paths = tuple(os.path.abspath(p) if env.root in ("", "/") else p for p in args.files)
    options = Options(config_dir=args.config_dir, pcap_files=paths, pcap_ports=tuple(args.ports))
    ctx = env.live_context(options)
    data = summarize_files(ctx, args.sessions)
    errors = [f for f in data["files"] if f["error"]]
    if errors and len(errors) == len(data["files"]):
        first = errors[0]
        raise PostfingerError(f"cannot summarise {first['file']}: {first['error']}")
    clean = text_filter(ctx, settings_from_args(args))
    if args.json:
        for f in data["files"]:
            f.pop("lines", None)
        env.stdout.write(clean(json.dumps(data, indent=1, sort_keys=True)) + "\n")
    else:
        blocks = ["\n".join(f["lines"]) for f in data["files"]]
        env.stdout.write(clean("\n\n".join(blocks)) + "\n")
    return int(ExitStatus.PARTIAL if errors else ExitStatus.OK)
