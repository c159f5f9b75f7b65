"""What the user asks of the anonymizer (the options every command shares), what it returns,
and the two things both of its uses need: the engine made from the settings, the map file."""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from postfinger_py.errors import UsageError
from postfinger_py.model import Report


@dataclass(frozen=True)
class AnonSettings:
    """What the user asked of the anonymizer."""

    mode: str = "on"  # off | on | strict
    key_file: str | None = None  # --anon-key FILE
    map_file: str | None = None  # --anon-map FILE
    keep: tuple[str, ...] = ()  # --keep PATTERN


@dataclass
class AnonResult:
    """The anonymized report, and a check run on every rendered output before it is written.

    `find_leak(text)` returns None when the text holds no original value the anonymizer
    collected, else a one-line description of the first one found (never the value itself).
    """

    report: Report
    find_leak: Callable[[str], str | None] = lambda text: None
    warnings: list[str] = field(default_factory=list)


def _make_engine(settings: AnonSettings) -> Any:
    from postfinger_py.anonymize.engine import Engine
    from postfinger_py.anonymize.keys import load_or_create_key, random_key

    key = load_or_create_key(settings.key_file) if settings.key_file else random_key()
    try:
        return Engine(key, settings.mode, settings.keep)
    except re.error as exc:
        raise UsageError(
            f"--keep: not a valid regular expression ({exc}); "
            "give a Python regular expression such as 'mail\\.example\\.org'"
        ) from exc


def _write_map(path: str, rows: list[tuple[str, str, str]]) -> None:
    """Atomically, mode 0600, never onto a device or through a link (PostfingerError says why)."""
    from postfinger_py.outputs import write_private

    lines = ["# postfinger anonymization map: original -> replacement. Keep it private.\n"]
    lines += [f"{kind}\t{original}\t{replacement}\n" for kind, original, replacement in rows]
    write_private(path, "".join(lines).encode("utf-8"))


def add_anon_arguments(parser: argparse.ArgumentParser) -> None:
    """The anonymizer options every command that prints site data accepts."""
    group = parser.add_argument_group("anonymization")
    group.add_argument(
        "--no-anonymize",
        dest="anonymize",
        action="store_const",
        const="off",
        default="on",
        help="do not anonymize (secrets such as passwords stay masked)",
    )
    group.add_argument(
        "--anonymize",
        dest="anonymize",
        choices=["on", "strict"],
        help="on (default): consistent, shape-keeping replacements; strict: each letter A, each digit D",
    )
    group.add_argument(
        "--anon-key",
        metavar="FILE",
        help="use (or create, mode 0600) this key file, so reports of the same site stay comparable",
    )
    group.add_argument(
        "--anon-map",
        metavar="FILE",
        help="write original -> replacement to FILE (mode 0600), for your own eyes only",
    )
    group.add_argument(
        "--keep",
        metavar="PATTERN",
        action="append",
        default=[],
        help="never replace values matching this regular expression (repeatable)",
    )


def settings_from_args(args: argparse.Namespace) -> AnonSettings:
    return AnonSettings(
        mode=args.anonymize,
        key_file=args.anon_key,
        map_file=args.anon_map,
        keep=tuple(args.keep),
    )
