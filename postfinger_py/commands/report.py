"""`postfinger [options]`, the report: its options, then collect -> anonymize -> render -> deliver."""

from __future__ import annotations

import argparse
import os
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

from postfinger_py import __version__
from postfinger_py.argparsing import Parser, add_config_dir
from postfinger_py.deliver.request import Delivery
from postfinger_py.env import Env
from postfinger_py.errors import ExitStatus, PostfingerError, UsageError, os_error_words
from postfinger_py.files import FileProblem, LiveFiles, open_regular
from postfinger_py.model import Context, Options, Report, Section, Status
from postfinger_py.progress import Progress
from postfinger_py.since import since_argument

MAX_SUMMARY = 64 * 1024  # bytes of --summary-file: a problem description, not a log

DESCRIPTION = """\
Gather what the people on postfix-users need to diagnose a Postfix problem (postconf -nf and -Mf,
versions, libraries, logs, queue shape, ...) into one plain-text report that is anonymized by
default and safe to post. The tool only reads: it never changes the configuration, queue or logs.
"""

EPILOG = """\
subcommands (postfinger SUBCOMMAND --help for their options):
  check       only the Findings: what looks wrong, with the evidence (takes the report's options)
  logs        the first warning/error/fatal/panic lines of the mail log
  trace ID    the whole story of one message (queue ID, address or Message-ID)
  qshape      qshape's table from postqueue -j, without Perl or root
  pcap FILE   readable summaries of the SMTP sessions in a packet capture
  lookup KEY  what every lookup table answers for an address or domain (postmap -q)
  anonymize   anonymize any text (stdin or files) the same way as the report

exit status: 0 ok, 1 error, 2 usage, 3 partial report (a section failed or is partial),
  4 refused: an original value survived anonymization, 5 report kept but mailing it failed,
  130 interrupted (Ctrl-C)
"""


# postfinger 1.30's options and the sections that now show the same.
CLASSIC_OPTIONS = (
    ("tables", "tables", "the lookup table types (postconf -m)"),
    ("locking", "locking", "the mailbox locking methods (postconf -l)"),
    ("permissions", "permissions", "queue and program permissions"),
    ("libraries", "libraries", "the libraries linked by Postfix (ldd)"),
    ("defaultsinmain", "maincf", "main.cf with the settings equal to their default"),
)


def _csv(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def build_parser(env: Env) -> Parser:
    from postfinger_py.anonymize import add_anon_arguments

    p = Parser(prog="postfinger", description=DESCRIPTION, epilog=EPILOG, env=env)
    p.add_argument("--version", action="store_true", help="print the version and exit")
    p.add_argument("-v", "--verbose", action="store_true", help="show debugging detail and tracebacks")
    add_config_dir(p)
    sel = p.add_argument_group("sections")
    sel.add_argument(
        "--only", type=_csv, default=[], metavar="A,B", help="only these sections (see --list-sections)"
    )
    sel.add_argument("--skip", type=_csv, default=[], metavar="A,B", help="leave these out")
    sel.add_argument("--all", action="store_true", help="include the optional sections")
    sel.add_argument("--list-sections", action="store_true", help="list sections and exit")
    # The classic postfinger 1.30 options: each adds its section to the default ones.
    sel.set_defaults(add_sections=[])
    for option, name, what in CLASSIC_OPTIONS:
        sel.add_argument(
            f"--{option}",
            dest="add_sections",
            action="append_const",
            const=name,
            help=f"also show {what} (the {name} section; classic postfinger)",
        )
    rep = p.add_argument_group("report")
    rep.add_argument("--summary", metavar="TEXT", help="your own short problem summary")
    rep.add_argument(
        "--summary-file", metavar="FILE", help="read the problem summary from FILE (- for standard input)"
    )
    rep.add_argument("--nowarn", action="store_true", help="leave out the privacy warning")
    rep.add_argument("--format", choices=["text", "json"], default="text")
    out = p.add_argument_group("output (the report goes to stdout unless one is named)")
    out.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE (mode 0600)")
    out.add_argument(
        "--bundle",
        metavar="FILE.tar.gz",
        help="write a tar.gz with report.txt, report.json, raw parts and a manifest",
    )
    out.add_argument(
        "--mail-to", metavar="ADDRESS", help="mail the report (bundle attached) through the local sendmail"
    )
    out.add_argument(
        "--sendmail",
        metavar="PATH",
        help="the sendmail program for --mail-to (default: postconf sendmail_path)",
    )
    snap = p.add_argument_group("snapshots")
    snap.add_argument(
        "--capture", metavar="DIR", help="also record everything read into DIR (mode 0700; NOT anonymized)"
    )
    snap.add_argument(
        "--replay", metavar="DIR", help="build the report from a snapshot DIR instead of this machine"
    )
    logs = p.add_argument_group("logs, trace, queue, captures")
    logs.add_argument(
        "--log-file",
        action="append",
        default=[],
        metavar="PATH",
        help="read this mail log instead of finding one (repeatable)",
    )
    logs.add_argument(
        "--since",
        metavar="WHEN",
        type=since_argument,
        help="log window: a duration (2h, 3d), today, yesterday, a timestamp, or 'all'",
    )
    logs.add_argument(
        "--problems",
        type=int,
        default=20,
        metavar="N",
        help="how many first problem lines to show (default 20)",
    )
    logs.add_argument(
        "--trace", metavar="ID", help="add the whole story of one message: queue ID, address or Message-ID"
    )
    logs.add_argument(
        "--pcap",
        action="append",
        default=[],
        metavar="FILE",
        help="summarize the SMTP sessions in this capture (repeatable)",
    )
    logs.add_argument(
        "--port",
        action="append",
        default=[],
        type=int,
        metavar="N",
        help="also treat this TCP port as SMTP in captures (repeatable)",
    )
    logs.add_argument(
        "--probe",
        action="store_true",
        help="also connect to this server's own SMTP listeners on loopback: read "
        "the greeting and EHLO, try STARTTLS, QUIT (no mail, no AUTH; each "
        "connection shows in the mail log)",
    )
    add_anon_arguments(p)
    return p


def main(argv: list[str], env: Env, prog: str = "postfinger") -> int:
    """`postfinger [options]`: check the options, then collect, anonymize, render, deliver."""
    parser = build_parser(env)
    parser.prog = prog
    args = parser.parse_args(argv)
    if args.version:
        env.stdout.write(f"postfinger-py {__version__}\n")
        return int(ExitStatus.OK)
    if args.list_sections:
        env.stdout.write(list_sections())
        return int(ExitStatus.OK)
    if args.capture and args.replay:
        raise UsageError("--capture and --replay exclude each other")
    if args.summary and args.summary_file:
        raise UsageError("give the summary either with --summary or with --summary-file")
    if args.problems < 0:
        raise UsageError("--problems takes a number of lines, 0 or more")
    if args.mail_to:
        from postfinger_py.deliver.mail import valid_address

        if not valid_address(args.mail_to):
            raise UsageError(f"--mail-to {args.mail_to!r} is not a mail address (user@domain)")
    return run_report(request_from_args(args), env)


def list_sections() -> str:
    from postfinger_py.collect import NEEDS_OPTION, all_collectors

    lines = ["name         default  what it shows\n"]
    for c in all_collectors():
        default = "no" if c.optional else "yes"
        if c.name in NEEDS_OPTION:
            default = f"--{NEEDS_OPTION[c.name].split('_')[0]}"
        lines.append(f"{c.name:<12} {default:<8} {c.description}\n")
    lines.append("\n--all adds the sections that are not shown by default; --only/--skip choose.\n")
    return "".join(lines)


@dataclass(frozen=True)
class ReportRequest:
    """What the user asked of one report, typed; argparse's Namespace stops at the parser."""

    options: Options
    anon: Any  # anonymize.AnonSettings (its module is imported only when the report is made)
    delivery: Delivery
    replay: str | None = None
    capture: str | None = None
    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    all: bool = False
    add_sections: tuple[str, ...] = ()
    warn: bool = True
    summary: str = ""
    summary_file: str | None = None


def request_from_args(args: argparse.Namespace) -> ReportRequest:
    from postfinger_py.anonymize import settings_from_args

    return ReportRequest(
        options=options_from_args(args),
        anon=settings_from_args(args),
        delivery=Delivery(
            format=args.format,
            output=args.output,
            bundle=args.bundle,
            mail_to=args.mail_to,
            sendmail=args.sendmail,
            config_dir=args.config_dir,
        ),
        replay=args.replay,
        capture=args.capture,
        only=tuple(args.only or ()),
        skip=tuple(args.skip or ()),
        all=bool(args.all),
        add_sections=tuple(args.add_sections or ()),
        warn=not args.nowarn,
        summary=args.summary or "",
        summary_file=args.summary_file,
    )


def options_from_args(args: argparse.Namespace) -> Options:
    return Options(
        config_dir=args.config_dir,
        log_files=tuple(args.log_file),
        since=args.since,
        problem_limit=args.problems,
        trace=args.trace,
        pcap_files=tuple(args.pcap),
        pcap_ports=tuple(args.port),
        probe=bool(getattr(args, "probe", False)),
    )


def _nothing() -> None:
    pass


def build_context(
    req: ReportRequest, env: Env, progress: Callable[[str], None]
) -> tuple[Context, Callable[[], None] | None, str, Callable[[], None]]:
    """The Context to collect from (live, recording, or replaying), a finisher, the source, and
    what to call on every way out (it removes a capture's un-anonymized spool)."""
    options = req.options
    euid = os.geteuid() if env.euid is None else env.euid
    if req.replay:
        from postfinger_py.smtpprobe import ReplayProber
        from postfinger_py.snapshot import ReplayFiles, ReplayRunner, Snapshot

        snap = Snapshot(req.replay)
        now = snap.recorded_at()
        ctx = Context(
            ReplayRunner(snap),
            ReplayFiles(snap),
            now,
            int(snap.facts.get("euid", 0)),
            options,
            progress,
            ReplayProber(snap),
        )
        return ctx, None, "replayed from a snapshot", _nothing
    now = env.clock()
    runner = env.system_runner()
    files = LiveFiles(env.root)
    if req.capture:
        from postfinger_py.snapshot import (
            Recorder,
            RecordingFiles,
            RecordingRunner,
            check_target,
            remove_stale_spools,
        )

        check_target(req.capture)  # before any work, not after it
        parent = os.path.dirname(os.path.abspath(req.capture))
        stale = remove_stale_spools(parent)
        if stale:
            env.stderr.write(
                f"postfinger: removed {len(stale)} working copy(ies) that an "
                f"earlier, killed capture left in {parent}\n"
            )
        from postfinger_py.smtpprobe import LiveProber, RecordingProber

        recorder = Recorder(parent)
        ctx = Context(
            RecordingRunner(runner, recorder),
            RecordingFiles(files, recorder),
            now,
            euid,
            options,
            progress,
            RecordingProber(LiveProber(), recorder),
        )
        capture = req.capture
        facts = {"now": now.isoformat(), "euid": euid, "tool_version": __version__}

        def finish() -> None:
            recorder.write(capture, facts)
            env.stderr.write(
                f"postfinger: snapshot written to {capture} (it is NOT anonymized: keep it private)\n"
            )

        return ctx, finish, "live", recorder.discard
    return Context(runner, files, now, euid, options, progress), None, "live", _nothing


def collect(req: ReportRequest, ctx: Context, progress: Progress) -> list[Section]:
    from postfinger_py.collect import all_collectors, run_collectors, select

    chosen = select(
        all_collectors(), list(req.only), list(req.skip), req.all, ctx.options, add=list(req.add_sections)
    )

    def on_done(section: Section, n: int, total: int) -> None:
        progress(f"collected {n}/{total} sections ({section.name})")

    progress(f"collecting {len(chosen)} sections ...")
    return run_collectors(chosen, ctx, on_done)


def read_summary(req: ReportRequest, env: Env) -> str:
    if req.summary_file:
        try:
            if req.summary_file == "-":
                data = env.stdin.read(MAX_SUMMARY + 1)
            else:
                with open_regular(req.summary_file) as fh:
                    data = fh.read(MAX_SUMMARY + 1)
        except FileProblem as exc:
            raise PostfingerError(f"cannot read --summary-file {req.summary_file}: {exc.reason}") from None
        except OSError as exc:
            raise PostfingerError(
                f"cannot read --summary-file {req.summary_file}: {os_error_words(exc)}"
            ) from None
        if len(data) > MAX_SUMMARY:
            raise PostfingerError(
                f"--summary-file {req.summary_file} is larger than "
                f"{MAX_SUMMARY // 1024} KiB; a summary is a few lines (put "
                "logs in --log-file)"
            )
        if b"\0" in data:
            raise PostfingerError(f"--summary-file {req.summary_file} is not text (binary data)")
        return data.decode("utf-8", "replace").strip()
    return req.summary.strip()


def run_report(req: ReportRequest, env: Env) -> int:
    from postfinger_py import anonymize as anon

    summary = read_summary(req, env)  # before any work: a typo in the file name fails at once
    settings = req.anon
    progress = Progress(env)
    worker = None
    if settings.mode != "off":
        # The anonymizer's import is slow: a child process does it (and then the anonymizing)
        # on another CPU while this one collects; where forking is not possible, a thread.
        from postfinger_py.anonymize import worker as anon_worker

        use_fork = anon_worker.can_fork() if env.fork_anonymizer is None else env.fork_anonymizer
        if use_fork:
            try:
                worker = anon_worker.ForkedAnonymizer(settings)
            except OSError:  # no process to spare (a ulimit): the same work, in this process
                worker = None
        if worker is None:
            try:
                threading.Thread(target=_quiet(anon.preload), daemon=True).start()
            except RuntimeError:  # no thread either: the import happens when it is needed
                pass
    try:
        return _run_report(req, env, summary, settings, progress, worker)
    finally:
        if worker is not None:
            worker.close()


def _run_report(
    req: ReportRequest, env: Env, summary: str, settings: Any, progress: Progress, worker: Any
) -> int:
    from postfinger_py import anonymize as anon

    ctx, finish_capture, source, abandon = build_context(req, env, progress)
    try:
        sections = collect(req, ctx, progress)
        if sections and all(s.status is Status.FAILED for s in sections):
            progress.done()
            first = next((n for s in sections for n in s.notes), "no section could be collected")
            raise PostfingerError(f"no report: every section failed; the first reason: {first}")
        # The header's facts are asked before the capture is written, so a replay has them.
        header = (
            ("", "")
            if any(s.name == "system" and s.data.get("mail_version") for s in sections)
            else header_facts(ctx)
        )
        if finish_capture is not None:
            progress.done()
            finish_capture()
    finally:
        abandon()  # Ctrl-C, an error, or done: no un-anonymized spool copy stays behind
    generated = ctx.now if req.replay else env.clock()
    report = make_report(sections, generated, summary, req.warn, source)
    if not report.mail_version:
        report.mail_version, report.hostname = header
    progress("anonymizing ...")
    result = worker.anonymize(report) if worker is not None else anon.anonymize(report, settings)
    progress.done()
    from postfinger_py.deliver.dispatch import deliver

    deliver(req.delivery, env, result)
    failed = [s.name for s in result.report.sections if s.status is Status.FAILED]
    partial = [s.name for s in result.report.sections if s.status is Status.PARTIAL]
    if failed or partial:
        what = [
            f"section(s) {', '.join(names)} {how}"
            for names, how in ((failed, "failed"), (partial, "partial"))
            if names
        ]
        env.stderr.write(
            f"postfinger: report is incomplete: {'; '.join(what)} (see the notes in those sections)\n"
        )
        return int(ExitStatus.PARTIAL)
    return int(ExitStatus.OK)


def header_facts(ctx: Context) -> tuple[str, str]:
    """mail_version and myhostname for the header when the system section was left out."""
    from postfinger_py.collect.common import SYSTEM_PARAMS
    from postfinger_py.errors import ReplayMissing
    from postfinger_py.parse.postconf import parse_parameters

    try:
        res = ctx.runner.run(ctx.postconf(*SYSTEM_PARAMS))
    except ReplayMissing:
        return "", ""
    values = dict(parse_parameters(res.stdout)) if res.ok else {}
    return values.get("mail_version", ""), values.get("myhostname", "")


def _quiet(fn: Callable[[], None]) -> Callable[[], None]:
    """A background warm-up must never print: if it fails, the real use fails with a clear error."""

    def run() -> None:
        try:
            fn()
        except Exception:  # noqa: BLE001 - reported where the anonymizer is really used
            pass

    return run


def make_report(
    sections: list[Section], generated: datetime, summary: str, warn: bool, source: str
) -> Report:
    system = next((s for s in sections if s.name == "system"), None)
    data = system.data if system is not None else {}
    return Report(
        tool_version=__version__,
        generated_at=generated.astimezone(timezone.utc),
        sections=sections,
        summary=summary,
        warn=warn,
        mail_version=str(data.get("mail_version", "")),
        hostname=str(data.get("myhostname") or data.get("hostname") or ""),
        source=source,
    )
