"""Findings: read-only checks that say what is wrong, in plain words, with the evidence.

Each check is a function `check(facts) -> Iterable[Finding]`, listed in one registry
(`all_checks`). `analyze` runs them all on what the collectors gathered; a check that crashes
or lacks a recording becomes a note of the section, never a lost report.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from postfinger_py.errors import PostfingerError
from postfinger_py.findings.finding import MANUAL, SEVERITIES, Check, Finding, manual_url
from postfinger_py.model import Context, Section, Status

if TYPE_CHECKING:
    from postfinger_py.findings.facts import Facts

__all__ = [
    "MANUAL",
    "NEEDS",
    "SEVERITIES",
    "Check",
    "Finding",
    "all_checks",
    "analyze",
    "manual_url",
    "run_checks",
]

log = logging.getLogger(__name__)


def all_checks() -> list[Check]:
    """Every check, in the order they are reported within one severity."""
    from postfinger_py.findings import (
        chroot,
        logs,
        probe,
        queue,
        relay,
        settings,
        system,
        tables,
        tls,
    )

    checks: list[Check] = []
    for module in (settings, tables, chroot, relay, system, queue, logs, tls, probe):
        checks.extend(module.CHECKS)
    return checks


# The sections the checks read; collected (but not shown) when the user left them out.
NEEDS = ("system", "maincf", "mastercf", "logs", "queue", "processes", "daemons", "tables")


@dataclass
class Outcome:
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def run_checks(facts: Facts, checks: Sequence[Check]) -> Outcome:
    """Run every check; one that fails is reported as a note and the others go on."""
    out = Outcome()
    for check in checks:
        name = getattr(check, "__name__", "check")
        try:
            out.findings.extend(check(facts))
        except PostfingerError as exc:
            out.notes.append(f"check {name} could not run: {exc.message}")
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:  # noqa: BLE001 - one broken check must not cost the others
            log.debug("check %s crashed:\n%s", name, traceback.format_exc())
            out.notes.append(
                f"internal error in check {name}: {type(exc).__name__}: {exc} "
                "(run with -v for the traceback, and please report it)"
            )
    out.findings = fold_symptoms(out.findings)
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    out.findings.sort(key=lambda f: rank[f.severity])  # stable: check order within a severity
    return out


# A log kind that is the symptom of a cause a configuration check finds: when both are found, the
# log lines become evidence of the cause (one finding per problem, not two saying the same).
SYMPTOM_OF: dict[str, tuple[str, ...]] = {
    "log-open-database": ("table-index-missing",),
    "log-stale-database": ("table-index-stale",),
    "log-unsupported-dict": ("table-type-unsupported",),
    "log-relay-restrictions": ("relay-restrictions-refused",),
    "log-unknown-client": ("chroot-jail-missing",),
    "log-damaged-message": ("queue-corrupt",),
}


_PATH = re.compile(r"/[\w.+-]+(?:/[\w.+-]+)+")


def fold_symptoms(findings: list[Finding]) -> list[Finding]:
    """Log findings whose cause was found too are folded into the cause, as its log evidence.

    The cause keeps the higher of the two severities; the log's count and first line follow the
    cause's own evidence, marked "log:".
    """
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    out = list(findings)
    for symptom in [f for f in findings if f.code in SYMPTOM_OF]:
        causes = [i for i, f in enumerate(out) if f.code in SYMPTOM_OF[symptom.code]]
        if not causes:
            continue
        # The cause that names a file the log lines name (transport.db, not sasl_passwd.db),
        # then the one with the worst severity (the resolv.conf warning, not the note).
        logged = " ".join(symptom.evidence)

        def fit(k: int, logged: str = logged) -> tuple[int, int]:
            paths = _PATH.findall(" ".join((out[k].message, *out[k].evidence)))
            return (0 if any(p in logged for p in paths) else 1, rank[out[k].severity])

        i = min(causes, key=fit)
        cause = out[i]
        severity = min(cause.severity, symptom.severity, key=lambda s: rank[s])
        out[i] = replace(
            cause,
            severity=severity,
            evidence=cause.evidence + tuple(f"log: {line}" for line in symptom.evidence),
        )
        out.remove(symptom)
    return out


TITLE = "Findings: what looks wrong (read-only checks)"


def analyze(ctx: Context, sections: Sequence[Section], checks: Sequence[Check] = ()) -> Section:
    """The findings section, from the collected sections (and a few more read-only looks)."""
    from postfinger_py.findings.facts import Facts

    facts = Facts(ctx, sections)
    outcome = run_checks(facts, checks or all_checks())
    counts = {s: sum(1 for f in outcome.findings if f.severity == s) for s in SEVERITIES}
    data = {
        "findings": [f.to_plain() for f in outcome.findings],
        "counts": [{"severity": s, "count": counts[s]} for s in SEVERITIES],
        "total": len(outcome.findings),
    }
    status = Status.PARTIAL if outcome.notes else Status.OK
    if sections and all(s.status is Status.FAILED for s in sections) and not outcome.findings:
        status = Status.FAILED
        first = next((n for s in sections for n in s.notes), "")
        outcome.notes.insert(
            0, "nothing to check: every section the checks read failed" + (f" ({first})" if first else "")
        )
    return Section(name="findings", title=TITLE, status=status, data=data, notes=outcome.notes + facts.notes)
