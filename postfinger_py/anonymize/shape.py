"""Shape-keeping replacement: letters stay letters (case kept), digits stay digits, the rest stays."""

from __future__ import annotations

import hashlib
import re

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
    stream = _stream(key, context, lowered, counter, len(value))[:len(value)]
    letters = stream.translate(_LETTER_OF_BYTE).decode("ascii")
    digits = stream.translate(_DIGIT_OF_BYTE).decode("ascii")
    if _PLAIN.fullmatch(value):  # the common case: lower-case letters, digits, '-', '.', '_'
        return "".join([letters[i] if "a" <= ch <= "z" else digits[i] if "0" <= ch <= "9" else ch
                        for i, ch in enumerate(value)])
    out = []
    for i, ch in enumerate(value):
        if ch.isdigit():
            out.append(digits[i])
        elif ch.isalpha():
            out.append(letters[i].upper() if ch.isupper() else letters[i])
        else:
            out.append(ch)
    return "".join(out)


# Byte b of the keyed stream picks LOWER[b % 26] for a letter and DIGITS[b % 10] for a digit.
_LETTER_OF_BYTE = bytes(ord(LOWER[b % 26]) for b in range(256))
_DIGIT_OF_BYTE = bytes(ord(DIGITS[b % 10]) for b in range(256))
_PLAIN = re.compile(r"[a-z0-9._-]*")


def strict_shape(value: str) -> str:
    """The DEBUG_README's literal rendering: each letter A, each digit D."""
    return "".join("D" if ch.isdigit() else "A" if ch.isalpha() else ch for ch in value)


def recase(template: str, replacement: str) -> str:
    """Give `replacement` the letter case of `template` (same length), for case variants."""
    if len(template) != len(replacement):
        return replacement
    if template.islower() and _PLAIN.fullmatch(template) and _PLAIN.fullmatch(replacement):
        return replacement  # nothing to re-case (the common case)
    return "".join(
        r.upper() if t.isupper() else r.lower() if t.islower() else r
        for t, r in zip(template, replacement)
    )
