"""The anonymize stage: every string that reaches rendering passes through here first.

Until the anonymizer (issue "Anonymizer") lands this stage is a pass-through, but the interface
is the one the rest of the pipeline uses: settings in, an anonymized Report and a leak check out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, List, Optional, Tuple

from postfinger_py.model import Report


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
