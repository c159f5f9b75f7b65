"""The anonymize stage: every string that reaches rendering passes through here first.

Until the anonymizer (issue "Anonymizer") lands this stage is a pass-through, but the interface
is the one the rest of the pipeline uses: settings in, an anonymized Report and a leak check out.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import Callable, List, Optional, Tuple

from postfinger_py.model import Context, Report


@dataclass(frozen=True)
class AnonSettings:
    """What the user asked of the anonymizer."""

    mode: str = "on"  # off | on | strict
    key_file: Optional[str] = None  # --anon-key FILE
    map_file: Optional[str] = None  # --anon-map FILE
    keep: Tuple[str, ...] = ()  # --keep PATTERN


@dataclass
class AnonResult:
    """The anonymized report, and a check run on every rendered output before it is written.

    `find_leak(text)` returns None when the text holds no original value the anonymizer
    collected, else a one-line description of the first one found (never the value itself).
    """

    report: Report
    find_leak: Callable[[str], Optional[str]] = lambda text: None
    warnings: List[str] = field(default_factory=list)


def anonymize(report: Report, settings: AnonSettings) -> AnonResult:
    """Pass-through until the anonymizer lands: the report is marked as not anonymized."""
    report.anonymized = "off"
    return AnonResult(report=report)


def preload() -> None:
    """Import the heavy anonymizer libraries; the CLI calls this in a thread during collection."""


def text_filter(ctx: Context, settings: AnonSettings) -> Callable[[str], str]:
    """A function that anonymizes free text (for subcommands: logs, trace, qshape, pcap).

    The engine learns the site's own values from the live system reachable through `ctx`
    (postconf, master.cf, ...), so the same values get the same replacements as in the report.
    Pass-through until the anonymizer lands.
    """
    return lambda text: text


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
        help="on (default): consistent, shape-keeping replacements; strict: each letter A, "
        "each digit D",
    )
    group.add_argument("--anon-key", metavar="FILE", help="use (or create, mode 0600) this key "
                       "file, so reports of the same site stay comparable")
    group.add_argument("--anon-map", metavar="FILE", help="write original -> replacement to FILE "
                       "(mode 0600), for your own eyes only")
    group.add_argument("--keep", metavar="PATTERN", action="append", default=[],
                       help="never replace values matching this regular expression (repeatable)")


def settings_from_args(args: argparse.Namespace) -> AnonSettings:
    return AnonSettings(
        mode=args.anonymize,
        key_file=args.anon_key,
        map_file=args.anon_map,
        keep=tuple(args.keep),
    )
