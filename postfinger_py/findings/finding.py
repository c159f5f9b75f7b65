"""One finding: what looks wrong, on what evidence, what to do, and where the manual says so.

(Its own module, so that the checks import it without importing the package that runs them.)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from postfinger_py.findings.facts import Facts

SEVERITIES = ("problem", "warning", "note")  # most important first
MANUAL = "https://www.postfix.org/"


@dataclass(frozen=True)
class Finding:
    """One thing that looks wrong.

    `message` is one plain sentence; `evidence` the setting, file or log lines it rests on;
    `action` what to do; `manual` the Postfix manual page (and anchor) that explains it.
    """

    severity: str  # problem | warning | note
    code: str  # stable identifier, e.g. "soft-bounce"
    message: str
    evidence: tuple[str, ...] = ()
    action: str = ""
    manual: str = ""

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}")

    def to_plain(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "evidence": list(self.evidence),
            "action": self.action,
            "manual": self.manual,
            "url": manual_url(self.manual),
        }


def manual_url(manual: str) -> str:
    """postconf(5) soft_bounce -> https://www.postfix.org/postconf.5.html#soft_bounce."""
    if not manual:
        return ""
    page, _, anchor = manual.partition(" ")
    if page.endswith("_README"):
        url = f"{MANUAL}{page}.html"
    elif "(" in page and page.endswith(")"):
        name, _, num = page[:-1].partition("(")
        url = f"{MANUAL}{name}.{num}.html"
    else:
        return ""
    return f"{url}#{anchor}" if anchor else url


Check = Callable[["Facts"], Iterable[Finding]]
