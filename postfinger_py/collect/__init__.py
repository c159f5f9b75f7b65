"""The collector registry (one explicit list) and the code that runs collectors concurrently."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Sequence
from typing import Callable

from postfinger_py.collect.base import Collector
from postfinger_py.collect.common import run_in_threads
from postfinger_py.collect.daemons import DaemonsCollector
from postfinger_py.collect.findings import FindingsCollector
from postfinger_py.collect.libraries import LibrariesCollector
from postfinger_py.collect.logs import LogsCollector, TraceCollector
from postfinger_py.collect.maincf import MainCfCollector
from postfinger_py.collect.mastercf import MasterCfCollector
from postfinger_py.collect.pcap import PcapCollector
from postfinger_py.collect.probe import ProbeCollector
from postfinger_py.collect.processes import ProcessesCollector
from postfinger_py.collect.queue import QueueCollector
from postfinger_py.collect.queue_perms import PermissionsCollector
from postfinger_py.collect.sasltls import SaslTlsCollector
from postfinger_py.collect.system import SystemCollector
from postfinger_py.collect.tables import LockingCollector, TablesCollector
from postfinger_py.errors import PostfingerError
from postfinger_py.model import Context, Options, Section, Status

log = logging.getLogger(__name__)

# The report's order is the order a helper reads: what looks wrong, what it is, how it is
# configured, what it logs, what is stuck, then the plumbing (versions, libraries, permissions).
REGISTRY: list[type[Collector]] = [
    FindingsCollector,
    SystemCollector,
    MainCfCollector,
    MasterCfCollector,
    SaslTlsCollector,
    ProbeCollector,
    LogsCollector,
    TraceCollector,
    QueueCollector,
    PcapCollector,
    ProcessesCollector,
    DaemonsCollector,
    LibrariesCollector,
    TablesCollector,
    LockingCollector,
    PermissionsCollector,
]


# Sections that only make sense when their option was given: section name -> Options field.
NEEDS_OPTION = {"trace": "trace", "pcap": "pcap_files", "probe": "probe"}


def all_collectors() -> list[Collector]:
    """Every collector, in the report's order (the order of REGISTRY)."""
    return [cls() for cls in REGISTRY]


def select(
    collectors: Sequence[Collector],
    only: Sequence[str] = (),
    skip: Sequence[str] = (),
    include_optional: bool = False,
    options: Options | None = None,
    add: Sequence[str] = (),
) -> list[Collector]:
    """Apply --only/--skip/--all; unknown names are a usage error listing the known ones.

    --trace and --pcap add their sections; without them those sections are left out (unless
    named in --only, where they say what they need). `add` names sections to show besides the
    default ones (the classic postfinger options --tables, --locking, ...).
    """
    known = {c.name for c in collectors}
    for name in [*only, *skip]:
        if name not in known:
            from postfinger_py.errors import UsageError

            raise UsageError(
                f"unknown section {name!r}; known sections: {', '.join(sorted(known))} (see --list-sections)"
            )
    both = [name for name in only if name in skip]
    if both:
        from postfinger_py.errors import UsageError

        raise UsageError(
            f"section(s) {', '.join(both)} named in both --only and --skip; name each section in one of them"
        )
    given = {name for name, field in NEEDS_OPTION.items() if options is not None and getattr(options, field)}
    if only:
        chosen = [c for c in collectors if c.name in only]
    else:
        chosen = [
            c
            for c in collectors
            if (c.name in given)
            or (c.name in add)
            or (c.name not in NEEDS_OPTION and (include_optional or not c.optional))
        ]
    chosen = [c for c in chosen if c.name not in skip]
    if not chosen:
        from postfinger_py.errors import UsageError

        raise UsageError("--only/--skip leave no section to report; see --list-sections")
    return chosen


def run_one(collector: Collector, ctx: Context, sections: Sequence[Section] | None = None) -> Section:
    """Run one collector (given the others' sections if it reads them); any failure becomes a
    failed section that says why."""
    try:
        section = collector.collect(ctx) if sections is None else collector.collect_from(ctx, sections)
    except PostfingerError as exc:
        return collector.section(Status.FAILED, notes=[exc.message])
    except (KeyboardInterrupt, SystemExit):
        raise
    # Deliberately blind: any bug in one collector (of whatever type) must become its failed
    # section, not cost the whole report; the expected failures are PostfingerError above.
    except Exception as exc:  # noqa: BLE001
        log.debug("collector %s crashed:\n%s", collector.name, traceback.format_exc())
        return collector.section(
            Status.FAILED,
            notes=[
                f"internal error in the {collector.name} collector: {type(exc).__name__}: {exc} "
                "(run with -v for the traceback, and please report it)"
            ],
        )
    return section


def run_collectors(
    collectors: Sequence[Collector],
    ctx: Context,
    on_done: Callable[[Section, int, int], None] = lambda s, n, total: None,
    max_workers: int = 8,
) -> list[Section]:
    """Run collectors concurrently (they mostly wait on subprocesses); keep the registry order.

    A collector that reads the others (findings) runs last, on every section, including the
    ones it needs that were not chosen: those are collected for it but not returned.
    """
    from postfinger_py.findings import NEEDS

    # The late ones run one after another: the probe (its connections must not show in the log
    # excerpts read before it), then the findings, which read every other section.
    late = sorted((c for c in collectors if c.runs_after_others), key=lambda c: c.name == "findings")
    early = [c for c in collectors if not c.runs_after_others]
    chosen = {c.name for c in collectors}
    wanted = set(NEEDS) | ({"probe"} if ctx.options.probe else set())
    has_findings = any(c.name == "findings" for c in late)
    hidden = [c for c in all_collectors() if has_findings and c.name in wanted and c.name not in chosen]
    late = sorted(late + [c for c in hidden if c.runs_after_others], key=lambda c: c.name == "findings")
    hidden = [c for c in hidden if not c.runs_after_others]
    total = len(early) + len(hidden) + len(late)
    if total == 0:
        return []
    done = [0]

    def finished(i: int, section: Section) -> None:
        done[0] += 1
        on_done(section, done[0], total)

    results = run_in_threads(lambda c: run_one(c, ctx), early + hidden, max_workers, finished)
    shown = {id(c): s for c, s in zip(early, results)}
    for c in late:
        section = run_one(c, ctx, results)
        finished(0, section)
        shown[id(c)] = section
        results.append(section)
    return [shown[id(c)] for c in collectors]
