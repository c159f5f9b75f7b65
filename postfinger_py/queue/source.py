"""Where the queue is read from: `postqueue -j`, else the Perl qshape, else `mailq` text.

`postqueue -j` needs neither Perl nor root (but needs the showq service when not root); the Perl
qshape needs root (it reads the queue files); `postqueue -p` text is what Postfix before 3.1
offers. Every result says which source was used and why the better ones were not.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timezone

from postfinger_py.errors import PostfingerError
from postfinger_py.files import FileProblem
from postfinger_py.model import Context
from postfinger_py.queue.mailq import APPROXIMATION_NOTE, parse_mailq, parse_utc_offset
from postfinger_py.queue.postqueue import (
    QUEUE_NAMES,
    QueueListing,
    iter_postqueue_json,
    parse_postqueue_json,
)
from postfinger_py.queue.qshape import DEFAULT_QUEUES, QshapeOptions, shape
from postfinger_py.queue.queuefile import (
    QueueScan,
    check_readable,
    for_shape,
    iter_envelopes,
    queue_paths,
)
from postfinger_py.runner import CommandResult

SOURCE_JSON = "postqueue -j"
SOURCE_FILES = "queue files"
SOURCE_PERL = "qshape (Perl)"
SOURCE_MAILQ = "postqueue -p (mailq text)"
QUEUE_TIMEOUT = 600.0  # showq walks every queue file; 100,000 messages take seconds, not minutes


@dataclass
class Listing:
    """The messages of all queues, which source gave them, and notes on what went wrong."""

    listing: QueueListing | None
    source: str
    notes: list[str] = field(default_factory=list)
    raw: str = ""


def _postqueue(ctx: Context, *args: str) -> tuple[str, ...]:
    argv: tuple[str, ...] = ("postqueue",)
    if ctx.options.config_dir:
        argv += ("-c", ctx.options.config_dir)
    return argv + args


def explain_failure(result: CommandResult) -> str:
    """Why `postqueue` gave nothing, in words a user can act on."""
    text = result.stderr.lower()
    if "accessing queue directly" in text:
        return (
            f"{result.describe_failure()} (the showq service is not running and reading the "
            "queue directly failed too; start Postfix)"
        )
    if "mail system is down" in text:
        return (
            f"{result.describe_failure()} (the showq service is not running; start Postfix, or "
            "run as root, which lets postqueue read the queue directly)"
        )
    if "invalid option" in text or "illegal option" in text:
        return f"{result.describe_failure()} (Postfix older than 3.1 has no `postqueue -j`)"
    return result.describe_failure()


def postconf_values(ctx: Context, *names: str) -> list[str]:
    """`postconf -h` values in order, or [] when postconf fails."""
    res = ctx.runner.run(list(ctx.postconf("-h", *names)))
    lines = res.stdout.splitlines() if res.ok else []
    return lines if len(lines) == len(names) else []


def load_json(ctx: Context, null_sender: str = "MAILER-DAEMON") -> Listing:
    """All queued messages from `postqueue -j`; on failure, no listing and a note saying why."""
    res = ctx.runner.run(list(_postqueue(ctx, "-j")), timeout=QUEUE_TIMEOUT)
    if res.ok:
        listing = parse_postqueue_json(res.stdout, null_sender)
        return Listing(listing, SOURCE_JSON, listing.problems(), res.stdout)
    return Listing(None, "none", [f"`postqueue -j` unusable: {explain_failure(res)}"])


def load_text(ctx: Context) -> Listing:
    """All queued messages from `postqueue -p` text (approximate; see mailq.py)."""
    res = ctx.runner.run(list(_postqueue(ctx, "-p")), timeout=QUEUE_TIMEOUT)
    if not res.ok:
        return Listing(None, "none", [f"`postqueue -p` unusable: {explain_failure(res)}"])
    offset = ctx.runner.run(["date", "+%z"])
    tz = parse_utc_offset(offset.stdout) if offset.ok else None
    listing = parse_mailq(res.stdout, ctx.now, tz or timezone.utc)
    notes = [APPROXIMATION_NOTE, *listing.problems("postqueue -p")]
    return Listing(listing, SOURCE_MAILQ, notes, res.stdout)


def load_listing(ctx: Context, null_sender: str = "MAILER-DAEMON") -> Listing:
    """`postqueue -j`, else `postqueue -p` text; never raises. Notes say what failed."""
    first = load_json(ctx, null_sender)
    if first.listing is not None:
        return first
    second = load_text(ctx)
    second.notes[:0] = first.notes
    return second


def resolve_queues(names: Sequence[str], queue_directory: str) -> tuple[list[str], list[str]]:
    """Queue names that a listing can answer for, and the names it cannot (other directories)."""
    known: list[str] = []
    unknown: list[str] = []
    for name in names:
        path = name
        if path.startswith("/"):
            head, base = os.path.split(os.path.normpath(path))
            if queue_directory and os.path.normpath(queue_directory) == head:
                path = base
        path = os.path.normpath(path) if path else path
        (known if path in QUEUE_NAMES else unknown).append(path if path in QUEUE_NAMES else name)
    return known, unknown


def perl_qshape_argv(ctx: Context, options: QshapeOptions, queues: Sequence[str]) -> list[str]:
    """The qshape command line that asks the Perl qshape for the same table."""
    argv = ["qshape"]
    if options.senders:
        argv.append("-s")
    if options.parents:
        argv.append("-p")
    if options.linear:
        argv.append("-l")
    for flag, value in (
        ("-b", options.buckets),
        ("-t", options.tick),
        ("-m", options.min_subdomains),
        ("-w", options.width),
    ):
        argv += [flag, str(value)]
    if ctx.options.config_dir:
        argv += ["-c", ctx.options.config_dir]
    return [*argv, "--", *queues]


@dataclass
class ShapeResult:
    """A qshape table, which source made it, and notes (why better sources were not used)."""

    text: str
    source: str
    notes: list[str] = field(default_factory=list)


def run_perl_qshape(ctx: Context, options: QshapeOptions, queues: Sequence[str]) -> tuple[str | None, str]:
    """The Perl qshape's table, or None and why not."""
    res = ctx.runner.run(perl_qshape_argv(ctx, options, queues), timeout=QUEUE_TIMEOUT)
    if res.ok and "permission denied" not in res.stderr.lower():
        return res.stdout, ""
    if res.ok:
        return None, "the Perl qshape cannot read the queue files (it needs root)"
    return None, f"the Perl qshape is unusable: {res.describe_failure()}"


def qshape_table(ctx: Context, options: QshapeOptions, queues: Sequence[str] = ()) -> ShapeResult:
    """qshape's table for these queues: computed from `postqueue -j` when it can be, else the
    Perl qshape's own output, else computed from `mailq` text. Raises when nothing works."""
    names = list(queues) or list(DEFAULT_QUEUES)
    values = postconf_values(ctx, "empty_address_recipient", "queue_directory")
    null_sender, queue_directory = values if values else ("MAILER-DAEMON", "")
    known, unknown = resolve_queues(names, queue_directory)
    notes: list[str] = []
    now = int(ctx.now.timestamp())
    if ctx.euid == 0 and queue_directory:
        # As root, read the queue files as qshape does: several times faster than showq, which
        # behind `postqueue -j` also opens every deferred message's defer log.
        direct = _table_from_files(ctx, options, names, queue_directory, now)
        if isinstance(direct, ShapeResult):
            return direct
        notes.append(direct)
    if not unknown:
        res = ctx.runner.run(list(_postqueue(ctx, "-j")), timeout=QUEUE_TIMEOUT)
        if res.ok:
            # Counted message by message: no list of 100,000 parsed messages in memory.
            bad: list[tuple[int, str]] = []
            wanted = set(known)
            messages = iter_postqueue_json(res.stdout, bad, null_sender)
            table = shape(
                (
                    (m.arrival_time, m.sender, [r.address for r in m.recipients])
                    for m in messages
                    if m.queue_name in wanted
                ),
                options,
                now,
            ).table()
            return ShapeResult(table, SOURCE_JSON, QueueListing(bad_lines=bad).problems())
        notes.append(f"`postqueue -j` unusable: {explain_failure(res)}")
    else:
        notes.append(
            "`postqueue -j` knows only the queues " + ", ".join(QUEUE_NAMES) + f"; not {', '.join(unknown)}"
        )
    text, why = run_perl_qshape(ctx, options, names)
    if text is not None:
        return ShapeResult(text, SOURCE_PERL, notes)
    notes.append(why)
    if not unknown:
        second = load_text(ctx)
        notes.extend(second.notes)
        if second.listing is not None:
            return ShapeResult(_table(second.listing, known, options, now), SOURCE_MAILQ, notes)
    raise PostfingerError("cannot read the mail queue: " + "; ".join(notes))


def _table_from_files(
    ctx: Context, options: QshapeOptions, names: Sequence[str], queue_directory: str, now: int
) -> ShapeResult | str:
    """The table read from the queue files, or why they could not be read."""
    paths = queue_paths(names, queue_directory)
    scan = QueueScan()
    try:
        check_readable(ctx.files, paths)
        envelopes = for_shape(iter_envelopes(ctx.files, paths, scan), options.senders)
        table = shape(envelopes, options, now).table()
    except FileProblem as exc:
        return f"reading the queue files failed ({exc}); asked showq instead"
    return ShapeResult(table, SOURCE_FILES, scan.problems())


def _table(listing: QueueListing, queues: Sequence[str], options: QshapeOptions, now: int) -> str:
    wanted = set(queues)
    return shape(
        (
            (m.arrival_time, m.sender, [r.address for r in m.recipients])
            for m in listing.messages
            if m.queue_name in wanted
        ),
        options,
        now,
    ).table()
