"""Fail closed: find any original value the anonymizer replaced that still survives in an output."""

from __future__ import annotations

import re
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from postfinger_py.anonymize.engine import Engine, _tld_is_public, public_suffix_of
from postfinger_py.anonymize.keeplist import (
    FILE_EXTENSIONS,
    blank_kept,
    domain_is_documentation,
    is_postfix_file_name,
)
from postfinger_py.anonymize.parallel import PARALLEL_MIN_CHARS
from postfinger_py.anonymize.patterns import DOT


def trie_regex(words: Iterable[str]) -> str:
    """A compact alternation of literal words (a trie), so thousands of values scan quickly."""
    trie: Dict[str, Any] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def render(node: Dict[str, Any]) -> str:
        branches = []
        optional = "" in node
        for ch in sorted(k for k in node if k):
            piece = DOT if ch == "." else re.escape(ch)
            branches.append(piece + render(node[ch]))
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if optional else body

    return render(trie)


_TOKENS = re.compile(r"[\w.%+-]+")
_LOCALS = re.compile(r"([\w.%+-]+)@([\w.-]*)")
_V6 = re.compile(r"[0-9a-f]*:[0-9a-f:.]*:[0-9a-f:.]*")
# Every ASCII character _TOKENS does not take, mapped to a space.
_NOT_TOKEN_ASCII = {c: " " for c in range(128) if not _TOKENS.fullmatch(chr(c))}


def _runs(token: str) -> List[str]:
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


class LeakChecker:
    """Looks for every original value the engine replaced, by tokens and sets (fast on MBs).

    Independent of the scanner: the output is cut into tokens (runs of word characters, dots,
    `%+-`), every dot-separated run of each distinct token is looked up among the originals
    (case-insensitive); local parts are looked up where an `@` follows, IPv6 addresses by their
    colon tokens, secrets by substring search.
    """

    def __init__(self, engine: Engine, section_titles: Sequence[str] = ()) -> None:
        self._titles = [t for t in section_titles if t]
        self._kinds: Dict[str, str] = {}
        self._locals: Dict[str, str] = {}
        self._v6: Dict[str, str] = {}
        # What --keep matches is kept on purpose: so are the labels inside it (the
        # kestrel-logistics of kestrel-logistics.co.uk), however they were learned.
        self._keep_patterns = engine.keep_patterns
        if engine.mode != "off":
            for (kind, original), _ in engine.replaced.items():
                original = original.replace("\\.", ".")
                if len(original) < 2:
                    continue
                if original.endswith("@"):
                    self._locals[original[:-1]] = kind
                elif ":" in original:
                    self._v6[original] = kind
                elif "." in original or len(original) >= 3 or kind == "host name":
                    self._kinds.setdefault(original, kind)
            for value in engine.users | set(engine.short_hosts):
                if len(value) >= 2:
                    self._kinds.setdefault(value, "user name" if value in engine.users
                                           else "host name")
            for domain in engine.learned_domains:
                self._kinds.setdefault(domain, "domain name")
        self._secrets = sorted((s for s in engine.secrets if len(s) >= 4), key=len, reverse=True)

    def find(self, text: str) -> Optional[Tuple[str, int]]:
        """(kind, offset) of the first surviving original found, or None."""
        text = blank_kept(text, self._keep_patterns)
        if len(text) >= PARALLEL_MIN_CHARS:
            from postfinger_py.anonymize import parallel

            if parallel.can_fork():
                # Which values survive, found in the two halves at once (every value lies
                # within a line; the cut is at a line end); where, found in the whole text.
                mine, theirs = parallel.in_halves(self._found, text)
                return self._first(text, mine + theirs)
        return self._first(text, self._found(text))

    def _first(self, text: str, found: List[Tuple[str, str]]) -> Optional[Tuple[str, int]]:
        hits: List[Tuple[int, str]] = []
        for secret in self._secrets:
            pos = text.find(secret)
            if pos >= 0:
                hits.append((pos, "password or other secret"))
        if found:
            low = text.lower().replace("\\.", ".")
            for value, kind in found:
                hits.append((max(low.find(value), 0), kind))
        return (min(hits)[1], min(hits)[0]) if hits else None

    def _found(self, text: str) -> List[Tuple[str, str]]:
        """(value, kind) of every original value (but secrets) that survives in `text`."""
        found: List[Tuple[str, str]] = []
        if self._kinds or self._locals or self._v6:
            low = text.lower().replace("\\.", ".")
            # Every pattern below stops at whitespace, so it finds the same values in the
            # distinct whitespace-separated words, each once, as in the whole text: on logs,
            # where most words repeat, that is a fraction of the text.
            wordset = set(low.split())
            words = "\n".join(wordset)
            if self._kinds:
                if words.isascii():  # the same runs as _TOKENS, by translate and split
                    tokens = set(words.translate(_NOT_TOKEN_ASCII).split())
                else:
                    tokens = set(_TOKENS.findall(words))
                for token in tokens:
                    for run in _runs(token) if "." in token else [token]:
                        kind = self._kinds.get(run)
                        if kind is not None and not _kept_in(token, run):
                            found.append((run, kind))
            if self._locals and "@" in low:
                # Only words holding `@` can match (and the pattern is slow on long runs).
                at_words = "\n".join(w for w in wordset if "@" in w)
                for local, domain in set(_LOCALS.findall(at_words)):
                    if local in self._locals and not domain_is_documentation(domain):
                        found.append((local + "@", self._locals[local]))
            if self._v6 and ":" in low:
                colon_words = "\n".join(w for w in wordset if ":" in w)
                # `IPv6:addr` (HELO literals): the address alone; `addr:` (Postfix's colon after
                # an address in warnings): the address without the colon.
                tokens = set(_V6.findall(colon_words.replace("ipv6:", "ipv6 ")))
                tokens.update([t[:-1] for t in tokens if t.endswith(":") and t[-2:] != "::"])
                for token in tokens.intersection(self._v6):
                    found.append((token, self._v6[token]))
        return found

    def describe(self, text: str) -> Optional[str]:
        """One line naming the kind of value and the section it is in; never the value."""
        hit = self.find(text)
        if hit is None:
            return None
        kind, pos = hit
        line = text.count("\n", 0, pos) + 1
        where = ""
        best = -1
        for title in self._titles:
            idx = text.rfind(title, 0, pos)
            if idx > best:
                best, where = idx, title
        place = f'in section "{where}"' if where else "outside any section"
        return f"an original {kind} survived anonymization {place} (line {line})"
