"""Fail closed: find any original value the anonymizer replaced that still survives in an output."""

from __future__ import annotations

import bisect
import ipaddress
import itertools
import re
from collections.abc import Sequence
from typing import Any, Callable

from postfinger_py.anonymize import partnet
from postfinger_py.anonymize.compound import compound_spans
from postfinger_py.anonymize.engine import Engine
from postfinger_py.anonymize.keeplist import (
    FILE_EXTENSIONS,
    blank_kept,
    domain_is_documentation,
    is_postfix_file_name,
)
from postfinger_py.anonymize.parallel import PARALLEL_MIN_CHARS
from postfinger_py.anonymize.shape import strict_shape
from postfinger_py.anonymize.spill import SpillStore, added_since, lookup_many, spilling
from postfinger_py.anonymize.suffix import _tld_is_public, public_suffix_of

_TOKENS = re.compile(r"[\w.%+-]+")
_LOCALS = re.compile(r"([\w.%+-]+)@([\w.-]*)")
_V6 = re.compile(r"[0-9a-f]*:[0-9a-f:.]*:[0-9a-f:.]*")
# Every ASCII character _TOKENS does not take, mapped to a space.
_NOT_TOKEN_ASCII = {c: " " for c in range(128) if not _TOKENS.fullmatch(chr(c))}


def _runs(token: str) -> list[str]:
    """The token and every run of its dot-separated parts (`a.b.c` -> a, b, c, a.b, b.c, ...)."""
    parts = [p for p in token.strip(".").split(".") if p]
    if len(parts) <= 1:
        return parts
    parts = parts[-12:]
    return [".".join(parts[i:j]) for i in range(len(parts)) for j in range(i + 1, len(parts) + 1)]


def _kept_in(token: str, run: str) -> bool:
    """Whether the anonymizer keeps this learned word here on purpose: Postfix's own file names
    (`main.cf` of a host named `main`), a file name's extension (`transport.db` of a host `db`),
    and a name's public suffix (`x.mx` of a host `mx`; a listed suffix, not any last label)."""
    if is_postfix_file_name(token):
        return True
    if not token.endswith("." + run):
        return False
    if "." not in run and run in FILE_EXTENSIONS:
        return True
    labels = token.strip(".").split(".")
    return public_suffix_of(labels) == run and _tld_is_public(run)


def _spelt_by_strict(value: str) -> bool:
    """Whether strict mode writes this value as itself (`aaaa` -> AAAA, `aaaa.de` -> AAAA.de):
    its output is the replacement, and shows no more than strict mode shows of any value."""
    labels = value.lower().split(".")
    kept = public_suffix_of(labels).count(".") + 1 if len(labels) > 1 else 0  # (the suffix stays)
    replaced = ".".join(labels[: len(labels) - kept])
    return strict_shape(replaced).lower() == replaced


class LeakChecker:
    """Looks for every original value the engine replaced, by tokens and sets (fast on MBs).

    Independent of the scanner: the output is cut into tokens (runs of word characters, dots,
    `%+-`), every dot-separated run of each distinct token is looked up among the originals
    (case-insensitive); local parts are looked up where an `@` follows, IPv6 addresses by their
    colon tokens, secrets by substring search.
    """

    def __init__(self, engine: Engine, section_titles: Sequence[str] = ()) -> None:
        self._titles = [t for t in section_titles if t]
        self._engine: Engine | None = engine
        self._kinds: dict[str, str] = {}
        self._locals: dict[str, str] = {}
        self._v6: dict[str, str] = {}
        self._nets: dict[str, str] = {}  # networks written as their first octets
        # What --keep matches is kept on purpose: so are the labels inside it (the
        # kestrel-logistics of kestrel-logistics.co.uk), however they were learned.
        self._keep_patterns = engine.keep_patterns
        self._taken = 0  # how many of engine.replaced (in insertion order) are in the dicts
        self._learned_sizes = (-1, -1, -1)
        self._secret_count = -1
        self._secrets: list[str] = []
        self._compounds: tuple[str, ...] = ()  # the engine's compound_labels
        self.spill_hook: Callable[[], object] | None = None  # see Engine.spill_hook
        self.spill_every = 10_000
        self.refresh()

    def refresh(self) -> None:
        """Take in what the engine replaced or learned since: one checker serves every part of
        a stream, at the cost of the new entries only (engine.replaced only ever grows, in
        insertion order, so the new keys are its last ones)."""
        engine = self._engine
        if engine is None:  # (unpickled: what it took in is all it knows)
            return
        self._compounds = engine.compound_labels
        if engine.mode != "off":
            new = len(engine.replaced) - self._taken
            if new > 0:
                keys = list(itertools.islice(reversed(engine.replaced), new))
                for kind, original in reversed(keys):
                    self._add(kind, original)
                self._taken = len(engine.replaced)
            sizes = (len(engine.users), len(engine.short_hosts), len(engine.learned_domains))
            if sizes != self._learned_sizes:
                # Only what was learned since (a stream's parts learn more each time), where
                # the containers keep their order; a plain set is walked whole again.
                seen = [max(0, n) for n in self._learned_sizes]
                self._learned_sizes = sizes
                strict = engine.mode == "strict"
                names = itertools.chain(
                    added_since(engine.users, seen[0]), added_since(engine.short_hosts, seen[1])
                )
                for value in spilling(names, self.spill_hook, self.spill_every):
                    if len(value) >= 2 and not (strict and _spelt_by_strict(value)):
                        self._kinds.setdefault(value, "user name" if value in engine.users else "host name")
                domains = added_since(engine.learned_domains, seen[2])
                for domain in spilling(domains, self.spill_hook, self.spill_every):
                    if not (strict and _spelt_by_strict(domain)):
                        self._kinds.setdefault(domain, "domain name")
        if len(engine.secrets) != self._secret_count:
            self._secret_count = len(engine.secrets)
            self._secrets = sorted((s for s in engine.secrets if len(s) >= 4), key=len, reverse=True)

    def spill_to(self, store: SpillStore) -> None:
        """Keep what it looks for in `store` from now on (on disk between parts)."""
        for name in ("_kinds", "_locals", "_v6", "_nets"):
            new = store.new_dict("checker" + name)
            new.update(getattr(self, name))
            setattr(self, name, new)

    def __getstate__(self) -> dict[str, Any]:
        # The report's anonymizer worker sends its checker back pickled; the engine stays
        # (its keyed hash states cannot be pickled, and the report's values are all in).
        state = dict(self.__dict__)
        state["_engine"] = None
        state["spill_hook"] = None
        return state

    def _add(self, kind: str, original: str) -> None:
        original = original.replace("\\.", ".")
        if len(original) < 2:
            return
        if kind == "ip network":  # (`81.2.69`, `69.2.81.in-addr.arpa`: see partnet.py)
            self._nets[original] = kind
        elif original.endswith("@"):
            self._locals[original[:-1]] = kind
        elif ":" in original:
            self._v6[original] = kind
        elif "." in original or len(original) >= 3 or kind == "host name":
            self._kinds.setdefault(original, kind)

    def find(self, text: str, source: str | None = None) -> tuple[str, int] | None:
        """(kind, offset) of the first surviving original found, or None.

        With `source` (the input `text` was made from, line for line), an original is reported
        only where the input holds it, on that line or next to it: elsewhere it can only be
        some other value's replacement that happens to equal it (an address mapping onto an
        original of another line or another part). Secrets are reported wherever they are.
        """
        text = blank_kept(text, self._keep_patterns)
        found: list[tuple[str, str]] | None = None
        if len(text) >= PARALLEL_MIN_CHARS:
            from postfinger_py.anonymize import parallel

            if parallel.can_fork():
                # Which values survive, found in the two halves at once (every value lies
                # within a line; the cut is at a line end); where, found in the whole text.
                mine, theirs = parallel.in_halves(self._found, text)
                found = mine + theirs
        if found is None:
            found = self._found(text)
        if source is not None and found:
            found = _in_source(found, source, text)
        return self._first(text, found)

    def _first(self, text: str, found: list[tuple[str, str]]) -> tuple[str, int] | None:
        hits: list[tuple[int, str]] = []
        for secret in self._secrets:
            pos = text.find(secret)
            if pos >= 0:
                hits.append((pos, "password or other secret"))
        if found:
            low = text.lower().replace("\\.", ".")
            for value, kind in found:
                hits.append((max(low.find(value), 0), kind))
        return (min(hits)[1], min(hits)[0]) if hits else None

    def _found(self, text: str) -> list[tuple[str, str]]:
        """(value, kind) of every original value (but secrets) that survives in `text`."""
        found: list[tuple[str, str]] = []
        if self._kinds or self._locals or self._v6 or self._compounds or self._nets:
            low = text.lower().replace("\\.", ".")
            # Every pattern below stops at whitespace, so it finds the same values in the
            # distinct whitespace-separated words, each once, as in the whole text: on logs,
            # where most words repeat, that is a fraction of the text.
            wordset = set(low.split())
            words = "\n".join(_without_documentation_locals(w) if "@" in w else w for w in wordset)
            if self._compounds:
                # The site's name joined to other words: a file or table name (compound.py).
                found += [(lab, "domain name") for _, _, lab in compound_spans(words, self._compounds)]
            tokens: set[str] = set()
            if self._kinds or self._nets:
                if words.isascii():  # the same runs as _TOKENS, by translate and split
                    tokens = set(words.translate(_NOT_TOKEN_ASCII).split())
                else:
                    tokens = set(_TOKENS.findall(words))
            if self._nets:
                # Only a whole token: the engine replaces such a network where it stands alone.
                nets = {t for t in tokens if partnet.TOKEN.fullmatch(t)}
                found += lookup_many(self._nets, nets).items()
            if self._kinds:
                pairs = []
                for token in tokens:
                    runs = _runs(token) if "." in token else [token]
                    if token.startswith("postfix-"):  # `postfix-mx1/smtpd`: an instance name
                        runs = [*runs, *_runs(token[8:])]
                    pairs += [(run, token) for run in runs]
                kinds = lookup_many(self._kinds, {run for run, _ in pairs})
                if kinds:
                    for run, token in pairs:
                        kind = kinds.get(run)
                        if kind is not None and not _kept_in(token, run):
                            found.append((run, kind))
            if self._locals and "@" in low:
                # Only words holding `@` can match (and the pattern is slow on long runs).
                at_words = "\n".join(w for w in wordset if "@" in w)
                at_pairs = set(_LOCALS.findall(at_words))
                locals_ = lookup_many(self._locals, {local for local, _ in at_pairs})
                for local, domain in at_pairs:
                    if local in locals_ and not domain_is_documentation(domain):
                        found.append((local + "@", locals_[local]))
            if self._v6 and ":" in low:
                colon_words = "\n".join(w for w in wordset if ":" in w)
                # `IPv6:addr` (HELO literals): the address alone; `addr:` (Postfix's colon after
                # an address in warnings): the address without the colon.
                tokens = set(_V6.findall(colon_words.replace("ipv6:", "ipv6 ")))
                tokens.update([t[:-1] for t in tokens if t.endswith(":") and t[-2:] != "::"])
                found += lookup_many(self._v6, tokens).items()
        return found

    def describe(self, text: str, source: str | None = None, first_line: int = 1) -> str | None:
        """One line naming the kind of value and the section it is in; never the value.

        `source`: as for find(); `first_line`: the number of the text's first line (a part
        of a longer input)."""
        hit = self.find(text, source)
        if hit is None:
            return None
        kind, pos = hit
        line = text.count("\n", 0, pos) + first_line
        where = ""
        best = -1
        for title in self._titles:
            idx = text.rfind(title, 0, pos)
            if idx > best:
                best, where = idx, title
        place = f'in section "{where}"' if where else "outside any section"
        return f"an original {kind} survived anonymization {place} (line {line})"


def _without_documentation_locals(word: str) -> str:
    """`word` without the local parts of its addresses at documentation domains: the
    anonymizer keeps such an address whole (`foo.bar@example.com` of a how-to), so a learned
    name inside it (`foo`, a host of this site) is no survivor."""
    out = word
    for local, domain in _LOCALS.findall(word):
        if domain_is_documentation(domain):
            out = out.replace(local + "@", " @", 1)
    return out


def _in_source(found: list[tuple[str, str]], source: str, text: str) -> list[tuple[str, str]]:
    """The found values that survive from the input: each is kept if the input lines around
    one of the output lines holding it (the line before, the same line and the line after)
    hold it too, in the forms the search sees (lower case, `\\.` as a dot, also cut by a
    quoted-printable soft line break, which the engine joins; an IPv6 address in any form).

    Elsewhere it can only be some other value's replacement that happens to equal it. Lines
    match one to one (no replacement holds a newline); if they did not, the whole input is
    the window. A value the output holds nowhere literally is kept, to be safe.
    """
    src_lines = source.lower().replace("\\.", ".").split("\n")
    low = text.lower().replace("\\.", ".")
    starts = [0]
    if len(src_lines) == low.count("\n") + 1:
        pos = low.find("\n")
        while pos >= 0:
            starts.append(pos + 1)
            pos = low.find("\n", pos + 1)
    else:
        src_lines = ["\n".join(src_lines)]
    windows: dict[int, tuple[str, str]] = {}
    v6_forms: dict[int, set[str]] = {}

    def holds(i: int, value: str) -> bool:
        if i not in windows:
            window = "\n".join(src_lines[max(i - 1, 0) : i + 2])
            windows[i] = (window, window.replace("=\n", ""))
        window, joined = windows[i]
        if value in window or value in joined:
            return True
        if ":" not in value:
            return False
        try:
            canonical = str(ipaddress.IPv6Address(value))
        except ValueError:
            return True  # not an address after all: kept, to be safe
        if i not in v6_forms:
            v6_forms[i] = _v6_forms(window)
        return canonical in v6_forms[i]

    out = []
    for value, kind in found:
        pos = low.find(value)
        if pos < 0:
            out.append((value, kind))
            continue
        while pos >= 0:
            line = bisect.bisect_right(starts, pos) - 1 if len(src_lines) > 1 else 0
            if holds(line, value):
                out.append((value, kind))
                break
            pos = low.find(value, pos + 1)
    return out


def _v6_forms(text: str) -> set[str]:
    """The canonical form of every IPv6 address written in the (lower-case) text."""
    forms: set[str] = set()
    for token in _V6.findall(text.replace("ipv6:", "ipv6 ")):
        for form in (token, token[:-1]) if token.endswith(":") else (token,):
            try:
                forms.add(str(ipaddress.IPv6Address(form)))
            except ValueError:
                pass
    return forms
