"""Anonymizing a collected report: learn the site from every section, then replace every
string that reaches rendering, with one keyed mapping for the whole report."""

from __future__ import annotations

import dataclasses
import threading
from typing import Any, Callable

from postfinger_py.anonymize.settings import AnonResult, AnonSettings, _make_engine, _write_map
from postfinger_py.errors import PostfingerError
from postfinger_py.model import Report, Section


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


def _walk_words(words: list[Any], fn: Callable[[str], str]) -> list[Any]:
    """A command's arguments (a master.cf service's `args`), anonymized as the one line they are.

    One by one, `user=vmail` read as a table file's `user = name` line (and `argv=` after it
    went unseen); as a line, it is pipe(8)'s account, as in the master.cf text beside it. (Each
    word is also passed alone, so that fn's answers hold them where the line's would not split
    back into as many words.)
    """
    from postfinger_py.anonymize import learn  # (imported by _learn_report before this runs)

    if not learn.is_words(words):
        return [_walk(v, fn) for v in words]
    line = fn(" ".join(words))
    alone = [fn(w) for w in words]
    out = line.split(" ")
    return out if len(out) == len(words) else alone


def _walk(data: Any, fn: Callable[[str], str]) -> Any:
    if isinstance(data, str):
        return fn(data)
    if isinstance(data, dict):
        # Identifier-like keys are the data's structure (templates use them); others may be
        # values (a domain keying a table) and are anonymized like any string.
        return {
            (fn(k) if isinstance(k, str) and not k.isidentifier() else k): (
                _walk_words(v, fn) if k == "args" and isinstance(v, list) else _walk(v, fn)
            )
            for k, v in data.items()
        }
    if isinstance(data, list):
        return [_walk(v, fn) for v in data]
    if isinstance(data, tuple):
        return tuple(_walk(v, fn) for v in data)
    return data


def anonymize(report: Report, settings: AnonSettings) -> AnonResult:
    """A new report in which every string is anonymized consistently (secrets always masked)."""
    from postfinger_py.anonymize.leak import LeakChecker

    engine = _make_engine(settings)
    _learn_report(engine, report)
    engine.freeze()
    # First every string in the order the report holds them, then all of them at once (in
    # that order, so first-seen values map exactly as string by string), then the new report.
    strings: list[str] = []
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
    warnings: list[str] = []
    if settings.map_file:
        if settings.mode == "on":
            try:
                _write_map(settings.map_file, engine.mapping())
            except PostfingerError as exc:
                # Without the map the answers cannot be read back: fail before any output.
                raise PostfingerError(
                    f"the anonymization map was not written: {exc.message}; no report was written either"
                ) from None
        else:
            warnings.append("--anon-map is only written with --anonymize=on (the default)")
    checker = LeakChecker(engine, [s.title for s in report.sections])
    return AnonResult(report=new, find_leak=checker.describe, warnings=warnings)


def _collector(into: list[str]) -> Callable[[str], str]:
    def collect(text: str) -> str:
        into.append(text)
        return text

    return collect


def _anonymize_strings(strings: list[str], apply: Callable[[str], str]) -> dict[str, str]:
    """original -> anonymized for every string, each distinct string anonymized once.

    Runs of one-line strings (a section's log lines, parameter values) are joined with newlines
    and anonymized as one text: every pattern treats a line end exactly like a string end, so
    the result is the same as one call per string, minus thousands of calls' overhead.
    """
    done: dict[str, str] = {}
    batch: list[str] = []
    queued: set[str] = set()

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
    from postfinger_py.anonymize.suffix import public_suffix_of

    public_suffix_of(["mail", "example", "com"])  # loads the list and its index
    _preloaded.set()
