"""Learned bare words (user names, short host names) found by set lookup.

A busy log teaches thousands of them (every sasl_username). Compiled into the scanner's
patterns as one alternation, they cost memory and compile time that grow with every word, at
every relearn. Here each candidate span of a token is looked up in the engine's own sets
instead, with exactly the boundaries those pattern alternatives had:

- KNOWN: a word not after `[\\w.-]` (or right after `postfix-`, a multi-instance syslog name),
  not followed by `[\\w-]` or by a dot and a letter or digit; the scanner tries it before EMAIL.
- KNOWNDOT: the same beside a dot (`mx1.pem`, `x.mx1`), tried after every other alternative.
- KNOWNTOKEN: a token of the outer pass holding a word at its start or after a character other
  than `[\\w-]` (after `postfix-` too), not followed by `[\\w-]`.

Of several words at one place the longest is taken. A dot of a word also matches a
regexp-escaped dot (`j\\.meier` of a pcre table). Words are lower case; text matches in any case.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator
from re import Match, Pattern
from typing import Callable

_NOT_WORD = re.compile(r"[^\w-]")
_INSTANCE = "postfix-"


def _is_wordch(ch: str) -> bool:
    return ch.isalnum() or ch == "_" or ch == "-"


class BareWords:
    """Membership in `sets` (the engine's users and short hosts, read live), and the spans."""

    def __init__(self, sets: Iterable[Collection[str]]) -> None:
        self._sets = tuple(sets)
        maxlen = 0
        inner: set[str] = set()
        firsts: set[str] = set()  # the part before the first non-[\w-] character of such words
        for s in self._sets:
            for w in s:
                if len(w) > maxlen:
                    maxlen = len(w)
                m = _NOT_WORD.search(w)
                if m is not None:
                    firsts.add(w[: m.start()])
                    inner.update(_NOT_WORD.findall(w))
        self.maxlen = maxlen
        self._firsts = firsts
        self._inner = frozenset(inner)
        self._dot = "." in inner
        # How far a word can reach from its start: [\w-], the other characters words hold,
        # and an escaped dot where words hold dots.
        alts = [r"[\w-]"]
        if inner:
            alts.append("[" + "".join(re.escape(c) for c in sorted(inner)) + "]")
        if self._dot:
            alts.append(r"\\\.")
        self._span = re.compile("(?:" + "|".join(alts) + ")*")

    def __bool__(self) -> bool:
        return self.maxlen > 0

    def holds_any(self, chars: Collection[str]) -> bool:
        """Whether some word holds one of `chars` (characters other than [\\w-])."""
        return any(c in self._inner for c in chars)

    def has(self, raw: str) -> bool:
        """Whether the span `raw` of text spells a word."""
        key = raw.lower()
        for s in self._sets:
            if key in s:
                return True
        if "\\." in key:
            key = key.replace("\\.", ".")
            for s in self._sets:
                if key in s:
                    return True
        return False

    def _viable(self, text: str, p: int) -> bool:
        """Whether some word can start at `p`: its part up to the first non-[\\w-] character
        is a word, or the first part of one."""
        m = _NOT_WORD.search(text, p)
        seg = text[p : m.start() if m is not None else len(text)].lower()
        if seg in self._firsts:
            return True
        if not seg:
            return False
        return any(seg in s for s in self._sets)

    def _longest(self, text: str, p: int, known: bool) -> int:
        """The end of the longest word at `p` whose end suits KNOWN (`known`) or KNOWNDOT; -1.
        An end is the text's end or a non-[\\w-] character."""
        n = len(text)
        reach = self._span.match(text, p)
        stop = min(reach.end() if reach is not None else p, p + 2 * self.maxlen)
        ends = [m.start() for m in _NOT_WORD.finditer(text, p + 1, stop)]
        if stop == n or (stop < n and not _is_wordch(text[stop])):
            ends.append(stop)
        for e in reversed(ends):
            if e <= p:
                continue
            if known and e < n:
                q = e + 1 if text[e] == "." else e + 2 if text.startswith("\\.", e) else -1
                if 0 < q < n and text[q].isalnum():
                    continue
            if self.has(text[p:e]):
                return e
        return -1

    def _starts(self, text: str, pos: int, limit: int) -> list[int]:
        """The positions in [pos, limit] a word may start at: the text's start, after a
        non-[\\w-] character, and after `postfix-`."""
        starts: list[int] = []
        if pos == 0:
            starts.append(0)
        lead = bool(self._firsts) and "" in self._firsts  # a word starting with `.` or `+`
        for m in _NOT_WORD.finditer(text, max(pos - 1, 0), limit + 1):
            i = m.start()
            ch = text[i]
            if lead and i >= pos and ch in self._inner and (i == 0 or not _is_wordch(text[i - 1])):
                starts.append(i)
            if i + 1 >= pos:
                starts.append(i + 1)
        if _INSTANCE in text:
            i = text.find(_INSTANCE, max(pos - len(_INSTANCE), 0))
            while i >= 0:
                p = i + len(_INSTANCE)
                if pos <= p <= limit and self._after_instance(text, p):
                    starts.append(p)
                i = text.find(_INSTANCE, i + 1)
        if lead and pos == 0 and text and not _is_wordch(text[0]):
            starts.append(0)
        return sorted(set(p for p in starts if pos <= p <= limit and p < len(text)))

    def _after_instance(self, text: str, p: int) -> bool:
        i = p - len(_INSTANCE)
        return i >= 0 and text.startswith(_INSTANCE, i) and (i == 0 or not _is_wordch(text[i - 1]))

    def find(self, text: str, pos: int, limit: int, known: bool = True) -> tuple[int, int, bool] | None:
        """The first match of KNOWN or KNOWNDOT starting in [pos, limit]: (start, end,
        whether KNOWN), KNOWN preferred at the same position; KNOWNDOT alone if not `known`."""
        for p in self._starts(text, pos, limit):
            if not self._viable(text, p):
                continue
            if known and (p == 0 or text[p - 1] != "." or self._after_instance(text, p)):
                e = self._longest(text, p, True)
                if e > 0:
                    return p, e, True
            e = self._longest(text, p, False)
            if e > 0:
                return p, e, False
        return None

    def sub_dot(self, text: str, fn: Callable[[str], str]) -> str:
        """Each KNOWNDOT-bounded word of `text` replaced by fn(word), left to right."""
        out: list[str] = []
        pos = 0
        n = len(text)
        while pos < n:
            hit = self.find(text, pos, n, known=False)
            if hit is None:
                break
            out.append(text[pos : hit[0]])
            out.append(fn(text[hit[0] : hit[1]]))
            pos = hit[1]
        out.append(text[pos:])
        return "".join(out)

    def in_token(self, token: str) -> bool:
        """Whether KNOWNTOKEN takes this token: a word at its start or after a character other
        than [\\w-] (then optionally `postfix-`), not followed by [\\w-]: KNOWNDOT's places."""
        return self.find(token, 0, len(token), known=False) is not None


# The scanner's alternatives that come before the learned bare word (KNOWN) where both match at
# one place (patterns.build_scanner's order); every other one comes after it.
BEFORE_KNOWN = frozenset(("SECRET", "SHORTSECRET", "CRED", "SASLUSER", "DN", "RDNS", "VERP"))


def merged(pattern: Pattern[str], bare: BareWords, text: str) -> Iterator[tuple[int, int, Match[str] | None]]:
    """The matches of `pattern` (a scanner) and of the bare words in `text`, left to right and
    not overlapping, as one pattern with KNOWN after BEFORE_KNOWN's alternatives and before the
    rest, and KNOWNDOT last, would find them: (start, end, the Match, or None for a word)."""
    pos = 0
    n = len(text)
    while pos <= n:
        m = pattern.search(text, pos)
        s = m.start() if m is not None else n
        k = bare.find(text, pos, s)
        if k is not None and (k[0] < s or (k[2] and m is not None and m.lastgroup not in BEFORE_KNOWN)):
            yield k[0], k[1], None
            pos = k[1]
            continue
        if m is None:
            return
        yield m.start(), m.end(), m
        pos = m.end() if m.end() > pos else pos + 1
