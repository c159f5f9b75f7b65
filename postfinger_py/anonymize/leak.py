"""Fail closed: find any original value the anonymizer replaced that still survives in an output."""

from __future__ import annotations

import re
from typing import Any, Dict, Iterable, List, Optional, Pattern, Sequence, Tuple

from postfinger_py.anonymize.engine import Engine
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


class LeakChecker:
    """Scans rendered text for originals: dotted values (names, addresses), bare words, secrets."""

    def __init__(self, engine: Engine, section_titles: Sequence[str] = ()) -> None:
        self._titles = [t for t in section_titles if t]
        self._kinds: Dict[str, str] = {}
        dotted: List[str] = []
        bare: List[str] = []
        if engine.mode != "off":
            for (kind, original), _ in engine.replaced.items():
                if len(original) < 2:
                    continue
                self._kinds.setdefault(original, kind)
                if "." in original or ":" in original or original.endswith("@"):
                    dotted.append(original)
                elif len(original) >= 3 or kind == "host name":
                    bare.append(original)
            for value in engine.users | set(engine.short_hosts):
                if len(value) >= 2:
                    self._kinds.setdefault(value, "user name" if value in engine.users
                                           else "host name")
                    (dotted if "." in value else bare).append(value)
            for domain in engine.learned_domains:
                self._kinds.setdefault(domain, "domain name")
                dotted.append(domain)
        self._secrets = sorted((s for s in engine.secrets if len(s) >= 4), key=len, reverse=True)
        parts = []
        if dotted:
            parts.append(rf"(?<![\w-])(?:{trie_regex(set(dotted))})(?![\w-])")
        if bare:
            parts.append(rf"(?<![\w.-])(?:{trie_regex(set(bare))})(?![\w-]|{DOT}[^\W_])")
        self._pattern: Optional[Pattern[str]] = (
            re.compile("|".join(parts), re.IGNORECASE) if parts else None)

    def find(self, text: str) -> Optional[Tuple[str, int]]:
        """(kind, offset) of the first surviving original, or None."""
        best: Optional[Tuple[str, int]] = None
        for secret in self._secrets:
            pos = text.find(secret)
            if pos >= 0 and (best is None or pos < best[1]):
                best = ("password or other secret", pos)
        if self._pattern is not None:
            m = self._pattern.search(text)
            if m and (best is None or m.start() < best[1]):
                found = m.group(0).lower().replace("\\.", ".")
                best = (self._kinds.get(found, "site value"), m.start())
        return best

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
