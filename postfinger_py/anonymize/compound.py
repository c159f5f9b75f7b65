"""The site's name inside a compound word: `acme-robotics_senders`, `/etc/postfix/acme-relay.db`,
`ACME-ROBOTICS_CA.crt`, `sasl_acme-robotics`.

A learned registrable label (`acme-robotics` of mail.acme-robotics.com) is replaced as a bare
word only where it stands alone: a name of a file, a table or a certificate joins it to other
words with `_` or `-`. Such a compound is not a host name (a host name holds no `_`; a dotted
one is the domain logic's), so the label is replaced inside it where it is joined to another
word on one side at least, and where it touches nothing else: a dot or `@` beside a run
without `_` makes it a domain's label or a local part (`mx.acme-robotics-eu.com`), unless the
dot starts a file extension (`acme-robotics-access.db`). The engine replaces these spans
before its main pass; the leak check looks for the same spans in its output.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence

from postfinger_py.anonymize.keeplist import FILE_EXTENSIONS

# How many registrable labels are also looked for in compounds (the first learned: the
# configuration's own names); a spam run's log teaches one per message.
COMPOUND_LABELS = 128
COMPOUND_MIN = 4


def _word(ch: str) -> bool:
    return ch.isalnum() or ch in "_-"


def _side(low: str, at: int, step: int) -> tuple[bool, bool]:
    """(allowed, joined) for the character at `at` beside a label (step -1: before it)."""
    if at < 0 or at >= len(low):
        return True, False
    ch = low[at]
    if ch in "_-":
        far = at + step
        return 0 <= far < len(low) and low[far].isalnum(), True
    return not (ch.isalnum() or ch in ".@"), False


def _extension_after(low: str, dot: int) -> bool:
    """Whether `low[dot]` is a dot starting a file extension that ends the word (`.db`)."""
    end = dot + 1
    while end < len(low) and (low[end].isalnum() or low[end] == "-"):
        end += 1
    if end < len(low) and (low[end] in "._@" or low[end].isalnum()):
        return False
    return low[dot + 1 : end] in FILE_EXTENSIONS


def _is_compound(low: str, i: int, j: int) -> bool:
    left, ljoin = _side(low, i - 1, -1)
    right, rjoin = _side(low, j, 1)
    if not right and low[j].isdigit() and low[j - 1].isalpha():
        # A number glued to the name (`s=acme2024`, a DKIM selector; `acme01.pem`): joined.
        right = rjoin = True
    elif not right and low[j] == "." and ljoin and _extension_after(low, j):
        # A file's extension right after it (`ldap-aliases-acme.cf`): the word ends there.
        right = True
    if not (left and right and (ljoin or rjoin)):
        return False
    s = i
    while s > 0 and _word(low[s - 1]):
        s -= 1
    e = j
    while e < len(low) and _word(low[e]):
        e += 1
    if "_" in low[s:e]:
        return True
    if s > 0 and low[s - 1] in ".@":
        return False
    if e < len(low) and low[e] == "@":
        return False
    if low.startswith("\\.", e):  # a regexp-escaped dot (`acme-eu\.com` of a pcre table)
        e += 1
    return not (e < len(low) and low[e] == "." and not _extension_after(low, e))


def lowered(text: str) -> str:
    """`text` in lower case, character for character (a few letters lower to two)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


def compound_spans(low: str, labels: Sequence[str]) -> list[tuple[int, int, str]]:
    """(start, end, label) of each label (lower case, longest first) in a compound of `low`,
    left to right, not overlapping (the longest label at a place)."""
    hits: list[tuple[int, int, str]] = []
    # Where a longer label starts, a shorter one there is a part of it (`acme` of
    # `acme-robotics`, the site's name's first word), in a compound or not.
    longer: dict[int, int] = {}
    for label in labels:
        i = low.find(label)
        while i >= 0:
            j = i + len(label)
            if longer.get(i, 0) <= j and _is_compound(low, i, j):
                hits.append((i, -j, label))
            longer.setdefault(i, j)
            i = low.find(label, i + 1)
    if not hits:
        return []
    hits.sort()
    out: list[tuple[int, int, str]] = []
    end = -1
    for i, neg_j, label in hits:
        if i >= end:
            out.append((i, -neg_j, label))
            end = -neg_j
    return out


def pick(labels: Sequence[str]) -> tuple[str, ...]:
    """The labels looked for, longest first."""
    return tuple(sorted(labels, key=lambda x: (-len(x), x)))


def compound_spans_by_words(low: str, labels: Sequence[str]) -> list[tuple[int, int, str]]:
    """compound_spans(low, labels), found in the distinct whitespace-separated words first.

    A compound never reaches across white space, nor looks beyond it, so the spans of the text
    are those of each word where it stands. On a log, where most words repeat, the distinct
    words are a third of the text, and most parts hold no compound at all.
    """
    words = list(set(low.split()))
    joined = "\n".join(words)
    found = compound_spans(joined, labels)
    if not found:
        return []
    starts = list(itertools.accumulate((len(w) + 1 for w in words[:-1]), initial=0))
    # Each word's spans, as found in it where it stands in `joined` (offsets from its start).
    holding: dict[str, list[tuple[int, int, str]]] = {}
    for start, end, label in found:
        k = bisect.bisect_right(starts, start) - 1
        holding.setdefault(words[k], []).append((start - starts[k], end - starts[k], label))
    out: list[tuple[int, int, str]] = []
    for word, local in holding.items():
        i = low.find(word)
        while i >= 0:
            end = i + len(word)
            if (i == 0 or low[i - 1].isspace()) and (end == len(low) or low[end].isspace()):
                out += [(i + s, i + e, label) for s, e, label in local]
            i = low.find(word, i + 1)
    out.sort()
    return out
