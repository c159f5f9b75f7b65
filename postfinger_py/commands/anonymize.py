"""`postfinger anonymize [--anon-key FILE] [FILE...]`: the report's anonymizer as a text filter."""

from __future__ import annotations

import argparse
from typing import List

from postfinger_py.anonymize import add_anon_arguments, settings_from_args, text_filter
from postfinger_py.env import Env
from postfinger_py.errors import PostfingerError, UsageError
from postfinger_py.model import Options


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="postfinger anonymize",
        description="Anonymize text you want to post (logs, mail headers, config snippets) the "
        "way postfinger anonymizes its report: it learns this site's names, addresses and "
        "secrets from the local Postfix, replaces them consistently (use the same --anon-key "
        "as for the report to get the same replacements), and refuses to print if any "
        "original it replaced survives.",
    )
    parser.add_argument("files", nargs="*", metavar="FILE",
                        help="files to anonymize (default: standard input); output goes to "
                        "standard output")
    parser.add_argument("-c", dest="config_dir", metavar="DIR",
                        help="Postfix configuration directory to learn the site from")
    add_anon_arguments(parser)
    return parser


def _read(path: str, env: Env) -> str:
    try:
        if path == "-":
            data = env.stdin.read()
        else:
            with open(path, "rb") as fh:
                data = fh.read()
    except OSError as exc:
        raise PostfingerError(f"cannot read {path}: {exc.strerror}; check the file name") from exc
    # Invalid UTF-8 is kept visible as U+FFFD rather than passed through as raw bytes.
    return data.decode("utf-8", errors="replace")


def main(argv: List[str], env: Env) -> int:
    args = _parser().parse_args(argv)
    settings = settings_from_args(args)
    if settings.map_file and settings.mode != "on":
        raise UsageError("--anon-map needs --anonymize=on (the default)")
    ctx = env.live_context(Options(config_dir=args.config_dir))
    filter_text = text_filter(ctx, settings)
    texts = [_read(p, env) for p in (args.files or ["-"])]
    # All input first, then output: nothing is printed if any part would leak.
    outputs = [filter_text(t) for t in texts]
    for out in outputs:
        env.stdout.write(out)
    env.stdout.flush()
    return 0
