"""Shape-keeping replacement: letters stay letters (case kept), digits stay digits, the rest stays."""

from __future__ import annotations

import hashlib

LOWER = "abcdefghijklmnopqrstuvwxyz"
DIGITS = "0123456789"


def _stream(key: bytes, context: str, value: str, counter: int, length: int) -> bytes:
    out = b""
    block = 0
    msg = f"{counter}\x00{context}\x00{value}".encode("utf-8", "surrogatepass")
    while len(out) < length:
        out += hashlib.blake2b(msg + b"\x00" + str(block).encode(), key=key).digest()
        block += 1
    return out


def keyed_shape(key: bytes, value: str, context: str = "", counter: int = 0) -> str:
    """A keyed, deterministic replacement of `value` with the same shape.

    The replacement is computed from the lower-cased value, then the case of each letter of
    `value` is applied, so `Example` and `example` map alike up to case.
    """
    lowered = value.lower()
    if len(lowered) != len(value):  # some characters change length when lower-cased
        lowered = value
    stream = _stream(key, context, lowered, counter, len(value))
    out = []
    for i, ch in enumerate(value):
        if ch.isdigit():
            out.append(DIGITS[stream[i] % 10])
        elif ch.isalpha():
            letter = LOWER[stream[i] % 26]
            out.append(letter.upper() if ch.isupper() else letter)
        else:
            out.append(ch)
    return "".join(out)


def strict_shape(value: str) -> str:
    """The DEBUG_README's literal rendering: each letter A, each digit D."""
    return "".join("D" if ch.isdigit() else "A" if ch.isalpha() else ch for ch in value)


def recase(template: str, replacement: str) -> str:
    """Give `replacement` the letter case of `template` (same length), for case variants."""
    if len(template) != len(replacement):
        return replacement
    return "".join(
        r.upper() if t.isupper() else r.lower() if t.islower() else r
        for t, r in zip(template, replacement)
    )
