"""qshape's algorithm and table, as /usr/sbin/qshape (Postfix 3.7) computes and prints them.

Pure functions: messages in (arrival time, sender, pending recipients), table text out. Every
detail follows the Perl original, including its byte-oriented lengths (a UTF-8 domain is as wide
as its bytes), its ASCII-only lowercasing and its Perl number formatting of the column heads.
The one thing Perl leaves to chance, the order of rows with the same count and the same name
length (its hash order), we fix: TOTAL first, then by name.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Union

Number = Union[int, float]

DEFAULT_QUEUES: tuple[str, ...] = ("incoming", "active")
TOTAL = "TOTAL"
_DOMAIN_WIDTH = 18  # qshape's $dwidth: the narrowest the domain column gets

_NUMBER = re.compile(r"\s*([+-]?)(\d+(?:\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}
_DOTDOT = re.compile(r"\.\.")
_STRIP_DOTS = re.compile(r"\.?(.+?)\.?$")
_PARENT = re.compile(r"^(?:\.)?[^.]+\.(.*\.)")
_UP_TO_AT = re.compile(r".*@")
_LN2 = math.log(2)  # the same double Perl's log(2) gives


def perl_number(text: str) -> Number:
    """The number Perl makes of an option string: its leading numeric part, else 0.

    An integer literal stays an int (Perl IV), anything with a fraction or exponent is a float.
    """
    m = _NUMBER.match(text)
    if not m:
        return 0
    sign, digits, exp = m.groups()
    if "." in digits or exp:
        return float(sign + digits + (exp or ""))
    return int(sign + digits)


def perl_str(value: Number) -> str:
    """How Perl prints a number: integers as digits, floats with %.15g."""
    if isinstance(value, int):
        return str(value)
    return f"{value:.15g}"


def ascii_lower(text: str) -> str:
    """Perl's lc() on a byte string: only A-Z change."""
    if text.isascii():
        return text.lower()
    return text.translate(_ASCII_LOWER)


def byte_len(text: str) -> int:
    if text.isascii():
        return len(text)
    return len(text.encode("utf-8", "surrogateescape"))


@dataclass(frozen=True)
class QshapeOptions:
    """qshape's options after its own validation (a value <= 0 or too small keeps the default)."""

    senders: bool = False  # -s
    parents: bool = False  # -p
    linear: bool = False  # -l
    buckets: Number = 10  # -b
    tick: Number = 5  # -t, minutes
    min_subdomains: Number = 5  # -m
    width: Number = 80  # -w
    top: int = 0  # rows after the heading (TOTAL included); 0: all (qshape's -n on a terminal)

    @classmethod
    def from_strings(
        cls,
        *,
        senders: bool = False,
        parents: bool = False,
        linear: bool = False,
        buckets: str | None = None,
        tick: str | None = None,
        min_subdomains: str | None = None,
        width: str | None = None,
        top: int = 0,
    ) -> QshapeOptions:
        """Apply qshape's rules: -w only when > 80, -b/-t/-m only when > 0."""
        values: dict[str, Number] = {}
        for name, raw, floor in (
            ("buckets", buckets, 0),
            ("tick", tick, 0),
            ("min_subdomains", min_subdomains, 0),
            ("width", width, 80),
        ):
            if raw is None:
                continue
            num = perl_number(raw)
            if num > floor:
                values[name] = num
        return cls(
            senders=senders,
            parents=parents,
            linear=linear,
            top=top,
            buckets=values.get("buckets", 10),
            tick=values.get("tick", 5),
            min_subdomains=values.get("min_subdomains", 5),
            width=values.get("width", 80),
        )


def normalize_domain(part: str) -> str:
    """qshape's domain of an address whose text after the last '@' is `part` (already lowered)."""
    part = _DOTDOT.sub(".", part)
    return _STRIP_DOTS.sub(r"\1", part, count=1)


def parent_chain(domain: str) -> list[str]:
    """The domain and, for -p, each ancestor with two or more labels, written with a leading dot."""
    chain = [domain]
    while True:
        nxt = _PARENT.sub(r".\1", domain, count=1)
        if nxt == domain:
            return chain
        domain = nxt
        chain.append(domain)


@dataclass
class Shape:
    """The counts qshape collects: per domain [total, bucket 1..n], and distinct children per parent."""

    options: QshapeOptions
    now: int
    counts: dict[str, list[int]] = field(default_factory=dict)
    children: dict[str, int] = field(default_factory=dict)
    messages: int = 0
    _domains: dict[str, str] = field(default_factory=dict, repr=False)
    _chains: dict[str, list[str]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._slots = int(self.options.buckets) + 1
        self._total = self.counts.setdefault(TOTAL, [0] * self._slots)

    def bucket(self, arrival: Number) -> int:
        """qshape's bucket(): 1 for the youngest, capped at the bucket count (an index)."""
        opts = self.options
        m = (self.now - arrival) / (60 * opts.tick)
        if m < 1:
            b: Number = 1
        elif opts.linear:
            b = int(m + 1)
        else:
            b = 2 + int(math.log(m) / _LN2)
        return int(b if b < opts.buckets else opts.buckets)

    def domain_of(self, address: str) -> str:
        if "\n" in address:  # '.' stops at a newline in qshape's s/.*\@//
            lowered = ascii_lower(address) or "MAILER-DAEMON"
            return normalize_domain(_UP_TO_AT.sub("", lowered, count=1))
        if not address:
            return "MAILER-DAEMON"
        part = address[address.rfind("@") + 1 :]
        domain = self._domains.get(part)
        if domain is None:
            domain = normalize_domain(ascii_lower(part))
            self._domains[part] = domain
        return domain

    def add(self, arrival: Number, sender: str, recipients: Sequence[str]) -> None:
        """Count one message; like qshape, a message without pending recipients is not counted."""
        if not recipients:
            return
        self.messages += 1
        b = self.bucket(arrival)
        total = self._total
        counts = self.counts
        slots = self._slots
        domains = self._domains
        for address in (sender,) if self.options.senders else recipients:
            total[0] += 1
            total[b] += 1
            # domain_of(), its cache inlined: ~100,000 calls on a big queue
            domain = domains.get(address[address.rfind("@") + 1 :]) if address else None
            if domain is None or "\n" in address:
                domain = self.domain_of(address)
            if not self.options.parents:
                row = counts.get(domain)
                if row is None:
                    row = counts[domain] = [0] * slots
                row[0] += 1
                row[b] += 1
                continue
            chain = self._chains.get(domain)
            if chain is None:
                chain = self._chains[domain] = parent_chain(domain)
            new = False
            for key in chain:
                row = counts.get(key)
                if row is None:
                    row = counts[key] = [0] * slots
                old = row[0] > 0
                row[0] += 1
                row[b] += 1
                if new:
                    self.children[key] = self.children.get(key, 0) + 1
                new = not old

    def rows(self, top: int | None = None) -> list[tuple[str, list[int]]]:
        """Rows in qshape's order, parents with too few children left out, cut to `top` rows
        (default: the options' top; 0: all)."""
        opts = self.options
        limit = opts.top if top is None else top
        keys = sorted(
            self.counts,
            key=lambda d: (-self.counts[d][0], byte_len(d), d != TOTAL, d),
        )
        out: list[tuple[str, list[int]]] = []
        for d in keys:
            if d.startswith(".") and self.children.get(d, 0) < opts.min_subdomains:
                continue
            if limit > 0 and len(out) >= limit:
                break
            out.append((d, self.counts[d]))
        return out

    def heads(self) -> list[str]:
        """Column heads: T, then the upper age bound of each bucket in minutes, the last with '+'."""
        opts = self.options
        heads: list[str] = []
        t: Number | str = 0
        i = 0
        while i <= opts.buckets:
            heads.append("T" if i == 0 else perl_str(t) if not isinstance(t, str) else t)
            i += 1
            if i < opts.buckets:
                assert not isinstance(t, str)
                t = t + (t if (t and not opts.linear) else opts.tick)
            else:
                t = (perl_str(t) if not isinstance(t, str) else t) + "+"
        return heads

    def table(self, top: int | None = None) -> str:
        """The text qshape prints (each line ends with a newline); `top` as for rows()."""
        heads = self.heads()
        total = self._total
        widths: list[int] = []
        dw: Number = self.options.width
        for i, h in enumerate(heads):
            n = len(str(total[i])) if i < len(total) else 1
            if len(h) >= n:
                n = len(h)
            n = n + 1 if n > 2 else 3
            widths.append(n)
            dw -= n
        if dw < _DOMAIN_WIDTH:
            dw = _DOMAIN_WIDTH
        lines = [_name_cell("", dw) + _cells(widths, heads)]
        for d, row in self.rows(top):
            lines.append(_name_cell(d, dw) + _cells(widths, [str(c) for c in row]))
        return "".join(line + "\n" for line in lines)


def _cells(widths: Sequence[int], values: Sequence[str]) -> str:
    return "".join(v.rjust(w) for w, v in zip(widths, values))


def _name_cell(d: str, dw: Number) -> str:
    length = byte_len(d)
    if length <= dw:
        return " " * int(dw - length) + d
    raw = d.encode("utf-8", "surrogateescape")
    if raw[:1] == b".":
        cut = b".+" + raw[int(length - dw + 2) :][: max(int(dw - 2), 0)]
    else:
        cut = b"+" + raw[int(length - dw + 1) :][: max(int(dw - 1), 0)]
    return cut.decode("utf-8", "surrogateescape")


def shape(
    messages: Iterable[tuple[Number, str, Sequence[str]]],
    options: QshapeOptions,
    now: int,
) -> Shape:
    """Count (arrival_time, sender, pending recipients) triples the way qshape does."""
    result = Shape(options, now)
    for arrival, sender, recipients in messages:
        result.add(arrival, sender, recipients)
    return result
