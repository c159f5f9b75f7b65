"""The anonymize stage: every string that reaches rendering passes through here first.

Consistent (one keyed mapping for the whole report), shape-keeping (letters stay letters, digits
digits), keyword-safe (Postfix names are never replaced) and fail-closed (`find_leak` scans every
rendered output for every original value that was replaced). See docs in README ("Anonymization").
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

from postfinger_py.errors import PostfingerError, UsageError
from postfinger_py.model import Context, Report, Section


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


def _make_engine(settings: AnonSettings) -> Any:
    from postfinger_py.anonymize.engine import Engine
    from postfinger_py.anonymize.keys import load_or_create_key, random_key

    key = load_or_create_key(settings.key_file) if settings.key_file else random_key()
    try:
        return Engine(key, settings.mode, settings.keep)
    except re.error as exc:
        raise UsageError(f"--keep: not a valid regular expression ({exc}); "
                         "give a Python regular expression such as 'mail\\.example\\.org'") from exc


def _learn_report(engine: Any, report: Report) -> None:
    from postfinger_py.anonymize import learn

    if report.hostname:
        engine.learn_host(report.hostname, is_own_host=True)
    for section in report.sections:
        data = section.data if isinstance(section.data, dict) else {}
        if section.name == "system" and isinstance(data.get("hostname"), str):
            engine.learn_host(data["hostname"], is_own_host=True)
        for key in ("parameters", "defaults_in_main", "overrides"):
            if isinstance(data.get(key), list):
                learn.learn_parameter_list(engine, data[key])
        for name, text in section.raw.items():
            if isinstance(text, str):
                learn.learn_named_text(engine, f"{section.name}/{name}", text)
        for _path, text in learn.iter_strings(section.data, section.name):
            learn.learn_free_text(engine, text)
        for note in section.notes:
            learn.learn_free_text(engine, note)
    learn.learn_free_text(engine, report.summary)


def _walk(data: Any, fn: Callable[[str], str]) -> Any:
    if isinstance(data, str):
        return fn(data)
    if isinstance(data, dict):
        # Identifier-like keys are the data's structure (templates use them); others may be
        # values (a domain keying a table) and are anonymized like any string.
        return {(fn(k) if isinstance(k, str) and not k.isidentifier() else k): _walk(v, fn)
                for k, v in data.items()}
    if isinstance(data, list):
        return [_walk(v, fn) for v in data]
    if isinstance(data, tuple):
        return tuple(_walk(v, fn) for v in data)
    return data


def _write_map(path: str, rows: List[Tuple[str, str, str]]) -> None:
    """Atomically, mode 0600, never onto a device or through a link (PostfingerError says why)."""
    from postfinger_py.outputs import write_private

    lines = ["# postfinger anonymization map: original -> replacement. Keep it private.\n"]
    lines += [f"{kind}\t{original}\t{replacement}\n" for kind, original, replacement in rows]
    write_private(path, "".join(lines).encode("utf-8"))


def anonymize(report: Report, settings: AnonSettings) -> AnonResult:
    """A new report in which every string is anonymized consistently (secrets always masked)."""
    from postfinger_py.anonymize.leak import LeakChecker

    engine = _make_engine(settings)
    _learn_report(engine, report)
    engine.freeze()
    # First every string in the order the report holds them, then all of them at once (in
    # that order, so first-seen values map exactly as string by string), then the new report.
    strings: List[str] = []
    for s in report.sections:
        _walk(s.data, _collector(strings))
        strings.extend(s.notes)
        for k, v in s.raw.items():
            strings += [k, v]
    strings += [report.summary, report.hostname]
    done = _anonymize_strings(strings, _text_function(engine))
    apply = done.__getitem__
    sections = [
        Section(
            name=s.name,
            title=s.title,
            status=s.status,
            data=_walk(s.data, apply),
            notes=[apply(n) for n in s.notes],
            raw={apply(k): apply(v) for k, v in s.raw.items()},
        )
        for s in report.sections
    ]
    new = dataclasses.replace(
        report,
        sections=sections,
        summary=apply(report.summary),
        hostname=apply(report.hostname) if report.hostname else report.hostname,
        anonymized=settings.mode,
    )
    warnings: List[str] = []
    if settings.map_file:
        if settings.mode == "on":
            try:
                _write_map(settings.map_file, engine.mapping())
            except PostfingerError as exc:
                # Without the map the answers cannot be read back: fail before any output.
                raise PostfingerError(f"the anonymization map was not written: {exc.message}; "
                                      "no report was written either") from None
        else:
            warnings.append("--anon-map is only written with --anonymize=on (the default)")
    checker = LeakChecker(engine, [s.title for s in report.sections])
    return AnonResult(report=new, find_leak=checker.describe, warnings=warnings)


def _collector(into: List[str]) -> Callable[[str], str]:
    def collect(text: str) -> str:
        into.append(text)
        return text

    return collect


def _anonymize_strings(strings: List[str], apply: Callable[[str], str]) -> Dict[str, str]:
    """original -> anonymized for every string, each distinct string anonymized once.

    Runs of one-line strings (a section's log lines, parameter values) are joined with newlines
    and anonymized as one text: every pattern treats a line end exactly like a string end, so
    the result is the same as one call per string, minus thousands of calls' overhead.
    """
    done: Dict[str, str] = {}
    batch: List[str] = []
    queued: Set[str] = set()

    def flush() -> None:
        if not batch:
            return
        outs = apply("\n".join(batch)).split("\n")
        if len(outs) == len(batch):
            done.update(zip(batch, outs))
        else:  # cannot happen (no replacement holds a newline); stay correct regardless
            done.update((text, apply(text)) for text in batch)
        batch.clear()
        queued.clear()

    for text in strings:
        if text in done or text in queued:
            continue
        if not text:
            done[text] = text
        elif "\n" in text:
            flush()
            done[text] = apply(text)
        else:
            batch.append(text)
            queued.add(text)
    flush()
    return done


def _text_function(engine: Any) -> Callable[[str], str]:
    """Through scrubadub (our Detector and PostProcessor) for report-sized text, direct for bulk.

    Both paths use the same scanner and the same replacements (a test checks they agree); the
    direct one skips scrubadub's per-hit objects, which matters for megabytes of logs.
    """
    if engine.mode == "off":
        # Only secrets are masked: no detection to run, so no reason to pay scrubadub's import.
        return lambda text: engine.apply(text) if text else text
    from postfinger_py.anonymize.scrub import make_scrubber

    scrubber = make_scrubber(engine)

    def apply(text: str) -> str:
        if not text:
            return text
        if len(text) > BULK_THRESHOLD:
            return engine.apply(text)  # type: ignore[no-any-return]
        return scrubber.clean(engine.mask_secrets(text))  # type: ignore[no-any-return]

    return apply


BULK_THRESHOLD = 64 * 1024

_preloaded = threading.Event()


def preload() -> None:
    """Import the heavy libraries (scrubadub, the public suffix list) ahead of use.

    The CLI calls this in a background thread during collection, so the ~0.9 s scrubadub import
    overlaps the collectors' waiting on subprocesses instead of adding to it.
    """
    from postfinger_py.anonymize import scrub  # noqa: F401  (imports scrubadub)
    from postfinger_py.anonymize.engine import public_suffix_of

    public_suffix_of(["mail", "example", "com"])  # loads the list and its index
    _preloaded.set()


def learn_live(engine: Any, ctx: Context) -> List[str]:
    """Teach `engine` the site's values from the live system: postconf, master.cf, the maps."""
    from postfinger_py.anonymize import learn
    from postfinger_py.files import FileProblem

    notes: List[str] = []
    params: List[Tuple[str, str]] = []
    for args in (("-n",), ("-P",)):
        res = ctx.runner.run(list(ctx.postconf(*args)))
        if res.ok:
            for line in res.stdout.splitlines():
                name, sep, value = line.partition(" = ")
                if sep:
                    params.append((name.strip(), value.strip()))
        else:
            notes.append(res.describe_failure())
    res = ctx.runner.run(list(ctx.postconf("-h", "myhostname", "mydomain")))
    if res.ok:
        lines = res.stdout.splitlines()
        params += list(zip(("myhostname", "mydomain"), (ln.strip() for ln in lines)))
    res = ctx.runner.run(["uname", "-n"])
    if res.ok and res.stdout.strip():
        engine.learn_host(res.stdout.strip(), is_own_host=True)
    for name, value in params:
        learn.learn_parameter(engine, name, value)
    for name, kind, path in learn.map_paths(params):
        try:
            text = ctx.files.read_bytes(path, limit=4 * 1024 * 1024).decode("utf-8", "replace")
        except FileProblem as exc:
            notes.append(f"{path}: {exc.reason} (its values are found only by the detectors)")
            continue
        if kind in ("mysql", "pgsql", "ldap", "sqlite", "memcache"):
            learn.learn_free_text(engine, text)
        elif "sasl" in name or "passw" in name:
            learn.learn_sasl_passwd(engine, text)
        else:
            learn.learn_map_text(engine, text)
    return notes


def text_filter(ctx: Context, settings: AnonSettings, map_text: str = "") -> Callable[[str], str]:
    """A function that anonymizes free text (for subcommands: logs, trace, qshape, pcap).

    The engine learns the site's own values from the live system reachable through `ctx`
    (postconf -n/-P, the host name, the lookup tables main.cf names), so the same values get the
    same replacements as in the report (with the same --anon-key). The function fails closed:
    if an original value it replaced survives in its output, it raises a PostfingerError
    (exit status LEAK_REFUSED) instead of returning the text. `map_text`: lookup table lines
    seen by other means (`postfinger lookup`), learned like a table's source.
    """
    parts = PartFilter(ctx, settings, map_text)

    def apply(text: str) -> str:
        parts.learn(text)
        out = parts.replace(text)
        parts.write_map()
        return out

    return apply


class PartFilter:
    """text_filter in two passes over an input read in parts: learn() from every part, then
    replace() every part with the engine frozen in between, each part leak-checked.

    One part learned and replaced is exactly text_filter's result. Between replaced parts only
    the memos are dropped (trim_caches), never what was learned or which replacement each value
    got, so a value maps the same in every part. `relearned` counts how often a leak check
    taught the engine a domain while replacing (see replace()): parts replaced before such a
    lesson must be replaced again for the output to be consistent (and checked against it).
    """

    def __init__(self, ctx: Context, settings: AnonSettings, map_text: str = "") -> None:
        from postfinger_py.anonymize.leak import LeakChecker

        self.settings = settings
        self.engine = _make_engine(settings)
        learn_live(self.engine, ctx)
        if map_text:  # table lines the caller saw (postmap -q answers): their bare user names too
            from postfinger_py.anonymize import learn

            learn.learn_map_text(self.engine, map_text)
        self.engine.freeze()
        self._checker = LeakChecker(self.engine)
        self._unfrozen = False
        self.relearned = 0

    def learn(self, text: str) -> None:
        """Learn the site values this text shows by position (syslog hosts, table lines,
        credentials) and the domains of its addresses."""
        from postfinger_py.anonymize import learn

        engine = self.engine
        before = (len(engine.users), len(engine.short_hosts), len(engine.secrets))
        learn.learn_free_text(engine, text)
        domains = len(engine.learned_domains)
        # The domains of addresses are the site's (or its peers'): learned before replacing,
        # so `helo=<dom.tld>` is replaced like `<user@dom.tld>` (`tld` is no public suffix)
        # and no replacement label lands on another learned name (`b.com` -> `d.com`).
        for domain in set(_ADDRESS_DOMAIN.findall(text)):
            engine.learn_host(domain)
        if (len(engine.users), len(engine.short_hosts), len(engine.secrets),
                len(engine.learned_domains)) != before + (domains,):
            self._unfrozen = True

    def replace(self, text: str, first_line: int = 1, where: str = "") -> str:
        """The anonymized text; a PostfingerError (LEAK_REFUSED) if an original survives.

        `first_line`, `where`: the text's first line number and the input it is from, for the
        message. An original domain that survives bare (`helo=<dom.tld>` where `user@dom.tld`
        was replaced) is learned as a site value and the text replaced once more, whole.
        """
        from postfinger_py.errors import ExitStatus

        engine = self.engine
        if self._unfrozen:
            engine.freeze()
            self._unfrozen = False
        out = engine.apply(text)
        self._checker.refresh()
        problem = self._checker.describe(out, source=text, first_line=first_line)
        if problem and _learn_replaced_domains(engine):
            # A name first seen in an address (`user@dom.tld`, not a public suffix) is now a
            # site value: replaced everywhere, bare (`helo=<dom.tld>`) too. Once more, whole.
            self.relearned += 1
            out = engine.apply(text)
            self._checker.refresh()
            problem = self._checker.describe(out, source=text, first_line=first_line)
        if problem:
            place = f" of {where}" if where else ""
            raise PostfingerError(f"refusing to print: {problem}{place}; nothing was written "
                                  "(please report this as a postfinger bug)",
                                  ExitStatus.LEAK_REFUSED)
        return out  # type: ignore[no-any-return]

    def trim_caches(self) -> None:
        """Between parts: drop the engine's memos (memory bounded by a part, same output)."""
        self.engine.trim_caches()

    def write_map(self) -> None:
        """--anon-map FILE (mode "on" only): every original -> replacement so far."""
        if self.settings.map_file and self.settings.mode == "on":
            try:
                _write_map(self.settings.map_file, self.engine.mapping())
            except PostfingerError as exc:
                raise PostfingerError(f"the anonymization map was not written: {exc.message}"
                                      ) from None


_ADDRESS_DOMAIN = re.compile(r"(?<=[\w.+-]@)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


def _learn_replaced_domains(engine: Any) -> bool:
    """Learn every domain name the engine replaced somewhere; whether any was new."""
    before = len(engine.learned_domains)
    for kind, original in list(engine.replaced):
        if kind == "domain name" and original not in engine.learned_domains:
            engine.learn_host(original.replace("\\.", "."))
    if len(engine.learned_domains) == before:
        return False
    engine.freeze()
    return True


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
