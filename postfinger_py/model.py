"""The data that flows through the pipeline: options, the collector context, sections, the report."""

from __future__ import annotations

import dataclasses
import enum
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, TypeVar

from postfinger_py.files import Files
from postfinger_py.runner import Runner
from postfinger_py.since import Since

T = TypeVar("T")


class Status(str, enum.Enum):
    """How completely a section could be collected."""

    OK = "ok"
    PARTIAL = "partial"  # something could not be seen (usually privileges); the rest is there
    FAILED = "failed"  # nothing useful could be collected
    SKIPPED = "skipped"  # not applicable here (e.g. no log found, no pcap given)


@dataclass(frozen=True)
class Options:
    """What the user asked for that collectors need to know. One place, typed, with defaults."""

    config_dir: str | None = None  # postconf -c DIR
    log_files: tuple[str, ...] = ()  # --log-file, overrides discovery
    since: Since | None = None  # --since, parsed: a duration (2h), a timestamp, today, "all"
    problem_limit: int = 20  # how many first problem lines to show
    trace: str | None = None  # --trace QUEUEID|ADDRESS|MESSAGE-ID
    pcap_files: tuple[str, ...] = ()  # --pcap
    pcap_ports: tuple[int, ...] = ()  # --port, in addition to 25, 465, 587
    qshape_top: int = 15  # rows of each qshape table in the report
    probe: bool = False  # --probe: talk to this server's own SMTP listeners on loopback


@dataclass
class Context:
    """Everything a collector may use. Collectors touch the system only through runner and files."""

    runner: Runner
    files: Files
    now: datetime  # timezone-aware; the capture time when replaying
    euid: int  # who we ran as (recorded in snapshots, so replay says the same)
    options: Options = field(default_factory=Options)
    progress: Callable[[str], None] = lambda message: None
    prober: Any = None  # smtpprobe.Prober for --probe; None: the live one
    # Answers shared by every collector and check of one run (an openssl read of a certificate
    # serves both the SASL and TLS section and the findings); see once().
    _shared: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    _shared_lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    def once(self, key: str, compute: Callable[[], T]) -> T:
        """compute(), once per key for this run, whichever collector or check asks first."""
        with self._shared_lock:
            if key not in self._shared:
                self._shared[key] = compute()
            value: T = self._shared[key]
            return value

    def postconf(self, *args: str) -> tuple[str, ...]:
        """argv for postconf, honouring -c."""
        argv: tuple[str, ...] = ("postconf",)
        if self.options.config_dir:
            argv += ("-c", self.options.config_dir)
        return argv + args


@dataclass
class Section:
    """One part of the report, as a collector returns it.

    `data` is plain JSON-able data (dicts, lists, str, int, float, bool, None) that the section's
    template renders; `raw` maps a file name to the raw material it was made from (for the bundle);
    `notes` say what could not be seen and why, in words a user can act on.
    """

    name: str
    title: str
    status: Status
    data: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    raw: dict[str, str] = field(default_factory=dict)

    def to_plain(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "status": self.status.value,
            "notes": list(self.notes),
            "data": self.data,
        }


@dataclass
class Report:
    """The whole report before rendering."""

    tool_version: str
    generated_at: datetime
    sections: list[Section]
    summary: str = ""  # the user's own problem summary
    warn: bool = True  # show the privacy warning
    anonymized: str = "off"  # off | on | strict, as the anonymize stage did it
    mail_version: str = ""
    hostname: str = ""
    source: str = "live"  # live | replay of <capture time>

    def section(self, name: str) -> Section | None:
        return next((s for s in self.sections if s.name == name), None)

    @property
    def failed(self) -> list[Section]:
        return [s for s in self.sections if s.status is Status.FAILED]

    def to_plain(self) -> dict[str, Any]:
        return {
            "tool": "postfinger-py",
            "tool_version": self.tool_version,
            "generated_at": self.generated_at.isoformat(timespec="seconds"),
            "mail_version": self.mail_version,
            "hostname": self.hostname,
            "source": self.source,
            "anonymized": self.anonymized,
            "summary": self.summary,
            "sections": [s.to_plain() for s in self.sections],
        }

    def replace_sections(self, sections: list[Section]) -> Report:
        return dataclasses.replace(self, sections=sections)
