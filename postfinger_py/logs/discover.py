"""Finding the mail logs (maillog_file, syslog files, journald) and reading them in time order."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from typing import BinaryIO, Callable

from postfinger_py.files import FileProblem
from postfinger_py.logs.lines import YearGuesser, journal_record_to_line
from postfinger_py.logs.scan import ReadNotes, Source, Window, windows
from postfinger_py.model import Context
from postfinger_py.progress import ByteMeter

SYSLOG_CANDIDATES = (
    "/var/log/mail.log",
    "/var/log/maillog",
    "/var/log/mail",
    "/var/log/syslog",
    "/var/log/messages",
    "/var/log/mail.err",
)
SNIFF = 1 << 20  # bytes of a syslog file read to see whether Postfix logs there
JOURNAL_TIMEOUT = 120.0
UNREADABLE_SUFFIXES = (".bz2", ".xz", ".zst", ".lz4", ".Z")

_KIND_WORDS = {"dir": "a directory", "fifo": "a FIFO (named pipe)", "socket": "a socket", "other": "a device"}

Consumer = Callable[[Iterator[Window], YearGuesser, ReadNotes], None]


@dataclass
class Discovery:
    """Where the logs are, in the order to read them, and what was seen on the way."""

    how: str  # one line for the report: which logs were read and why
    sources: list[Source] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    local: tzinfo = timezone.utc
    unread: int = 0  # logs that were found (or named) but cannot be read: see the notes


def local_zone(ctx: Context) -> tuple[tzinfo, str]:
    """The inspected system's UTC offset (classic stamps carry none), through the runner."""
    res = ctx.runner.run(["date", "+%z"], timeout=10)
    text = res.stdout.strip()
    if res.ok and re.fullmatch(r"[+-]\d{4}", text):
        sign = -1 if text[0] == "-" else 1
        return timezone(sign * timedelta(hours=int(text[1:3]), minutes=int(text[3:5]))), ""
    return timezone.utc, (
        "could not learn the system's time zone (`date +%z`); classic log "
        "timestamps are taken as UTC, so the window edge may be off by hours"
    )


def _rotated_pattern(base: str) -> re.Pattern[str]:
    # mail.log.1, mail.log.2.gz, maillog-20261115(.gz), postfix.log.20261121-101500(.gz)
    return re.compile(
        re.escape(base) + r"(?:[.-]\d{1,3}|[.-]\d{8}(?:-\d{6,10})?)"
        r"(?:\.gz|\.bz2|\.xz|\.zst|\.lz4|\.Z)?$"
    )


def file_family(
    ctx: Context, path: str, since: datetime | None, notes: list[str], unread: list[str] | None = None
) -> list[Source]:
    """The file and its rotated siblings, oldest first, skipping those older than `since`."""
    directory, _, base = path.rpartition("/")
    directory = directory or "/"
    names = [base]
    try:
        rx = _rotated_pattern(base)
        names += [n for n in ctx.files.listdir(directory) if rx.match(n)]
    except FileProblem as exc:
        notes.append(f"cannot list {directory} for rotated logs: {exc.reason}")
    found: list[Source] = []
    old = 0
    for name in names:
        full = f"{directory.rstrip('/')}/{name}"
        try:
            st = ctx.files.stat(full)
        except FileProblem as exc:
            if name == base:
                notes.append(f"{full}: {exc.reason}")
                if unread is not None and exc.kind != "missing":
                    unread.append(full)
            continue
        if st.kind != "file":
            if name == base and st.kind != "link":
                notes.append(f"{full}: {_KIND_WORDS.get(st.kind, st.kind)}, not a regular file; not read")
                if unread is not None:
                    unread.append(full)
            if st.kind != "link":
                continue
        if name.endswith(UNREADABLE_SUFFIXES):
            notes.append(f"{full}: compressed in a format postfinger does not read (only gzip); skipped")
            continue
        if since is not None and name != base and st.mtime < since.timestamp():
            old += 1
            continue
        found.append(_file_source(ctx, full, st.size, st.mtime))
    if old:
        notes.append(f"{old} rotated file(s) of {path} end before the window; not read")
    found.sort(key=lambda s: (s.mtime or 0.0, s.name))
    return found


def _file_source(ctx: Context, path: str, size: int, mtime: float) -> Source:
    return Source(name=path, open=lambda: ctx.files.open_binary(path), size=size, mtime=mtime)


def _holds_postfix(ctx: Context, path: str) -> bool | None:
    try:
        return b"postfix" in ctx.files.read_bytes(path, SNIFF)
    except FileProblem:
        return None


def journal_source(ctx: Context, since: datetime | None, notes: list[str]) -> Source | None:
    """Mail-facility records from journald, as RFC 3339 lines (the runner holds them whole)."""
    argv = ["journalctl", "--no-pager", "--quiet", "-o", "json", "SYSLOG_FACILITY=2"]
    if since is not None:
        argv.append(f"--since=@{int(since.timestamp())}")
    res = ctx.runner.run(argv, timeout=JOURNAL_TIMEOUT)
    if not res.ok:
        notes.append(f"journald: {res.describe_failure()}")
        return None
    lines = [journal_record_to_line(r) for r in res.stdout.splitlines() if r.strip()]
    text = "".join(ln + "\n" for ln in lines if ln is not None)
    if not text:
        notes.append(f"journald (`{' '.join(argv)}`) has no mail log records in the window")
        return None
    data = text.encode("utf-8", "replace")
    return Source(name="journald (" + " ".join(argv) + ")", open=lambda: io.BytesIO(data), size=len(data))


def discover(ctx: Context, since: datetime | None, local: tzinfo) -> Discovery:
    """--log-file if given; else maillog_file; else the first syslog file with Postfix lines;
    else journald."""
    notes: list[str] = []
    unread: list[str] = []
    given = ctx.options.log_files
    if given:
        sources: list[Source] = []
        for path in given:
            try:
                st = ctx.files.stat(path)
            except FileProblem as exc:
                notes.append(f"{path}: {exc.reason}; not read")
                unread.append(path)
                continue
            if st.kind not in ("file", "link"):  # a link is checked when it is opened
                notes.append(f"{path}: {_KIND_WORDS.get(st.kind, st.kind)}, not a regular file; not read")
                unread.append(path)
                continue
            sources.append(_file_source(ctx, path, st.size, st.mtime))
        return Discovery(
            "the files named with --log-file, in the order given", sources, notes, local, len(unread)
        )
    res = ctx.runner.run(list(ctx.postconf("-h", "maillog_file")))
    maillog = res.stdout.strip() if res.ok else ""
    if maillog and not maillog.startswith("/dev/"):
        fam = file_family(ctx, maillog, since, notes, unread)
        return Discovery(
            f"Postfix's own log (maillog_file = {maillog}) and its rotated files",
            fam,
            notes,
            local,
            len(unread),
        )
    for path in SYSLOG_CANDIDATES:
        holds = _holds_postfix(ctx, path)
        if holds:
            fam = file_family(ctx, path, since, notes, unread)
            return Discovery(f"the syslog file {path} and its rotated files", fam, notes, local, len(unread))
        if holds is None:
            continue
    src = journal_source(ctx, since, notes)
    if src is not None:
        return Discovery(
            "journald, mail facility (no log file with Postfix lines found)", [src], notes, local
        )
    notes.append(
        "no mail log found: maillog_file is not set, no syslog file under /var/log "
        "holds Postfix lines, and journald gave none; name one with --log-file"
    )
    return Discovery("none found", [], notes, local)


def _metered(wins: Iterator[Window], notes: ReadNotes, meter: ByteMeter) -> Iterator[Window]:
    for w in wins:  # a window is ~1 MiB: one clock reading per MiB, a redraw a few times a second
        meter.update(notes.file_bytes)
        yield w


def read_source(
    ctx: Context, src: Source, local: tzinfo, consume: Consumer, meter: ByteMeter | None = None
) -> tuple[list[str], bool]:
    """Stream one source into `consume`; (notes, read completely). Never raises for file trouble.

    `meter` shows the bytes of the file read so far (the stored bytes: compressed for gzip, so
    that the percent is of the size on disk).
    """
    notes = ReadNotes(src.name)
    ref = ctx.now
    if src.mtime is not None:
        ref = min(ctx.now, datetime.fromtimestamp(src.mtime, timezone.utc))
    years = YearGuesser(ref.astimezone(local))
    try:
        fh: BinaryIO = src.open()
    except FileProblem as exc:
        return [f"{src.name}: {exc.reason}"], False
    try:
        wins = windows(fh, notes)
        consume(wins if meter is None else _metered(wins, notes, meter), years, notes)
        if meter is not None:
            meter.finish(notes.file_bytes)
    except OSError as exc:
        notes.read_error = exc.strerror or str(exc)
    finally:
        fh.close()
    out = notes.messages()
    if src.mtime is not None and not notes.gzip:
        try:
            after = ctx.files.restat(src.name)
        except FileProblem:
            after = None
        if after is None or after.size < notes.bytes_read:
            out.append(
                f"{src.name}: rotated or truncated while being read; lines written since "
                "then are in the new file and not in this report"
            )
    return out, not (notes.read_error or notes.corrupt or notes.binary)
