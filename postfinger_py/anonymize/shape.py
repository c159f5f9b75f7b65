"""Shape-keeping replacement: letters stay letters (case kept), digits stay digits, the rest stays."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from typing import Any

LOWER = "abcdefghijklmnopqrstuvwxyz"
DIGITS = "0123456789"


@lru_cache(maxsize=64)
def _keyed(key: bytes) -> Any:
    """A BLAKE2b state keyed with `key`; copying it is cheaper than keying a new one per value."""
    return hashlib.blake2b(key=key)


def _stream(key: bytes, context: str, value: str, counter: int, length: int) -> bytes:
    """Block i is the keyed hash of `counter NUL context NUL value NUL i`: the value is hashed
    once and the state copied per block, so a long value costs linear time, not quadratic."""
    valued = _keyed(key).copy()
    valued.update(f"{counter}\x00{context}\x00{value}".encode("utf-8", "surrogatepass"))
    blocks = []
    for block in range(-(-length // valued.digest_size)):
        h = valued.copy()
        h.update(b"\x00" + str(block).encode())
        blocks.append(h.digest())
    return b"".join(blocks)


def keyed_shape(key: bytes, value: str, context: str = "", counter: int = 0) -> str:
    """A keyed, deterministic replacement of `value` with the same shape.

    The replacement is computed from the lower-cased value, then the case of each letter of
    `value` is applied, so `Example` and `example` map alike up to case.
    """
    lowered = value.lower()
    if len(lowered) != len(value):  # some characters change length when lower-cased
        lowered = value
    n = len(value)
    if n <= 64:  # one block: _stream's first block, without its loop
        h = _keyed(key).copy()
        h.update(f"{counter}\x00{context}\x00{lowered}\x000".encode("utf-8", "surrogatepass"))
        stream = h.digest()[:n]
    else:
        stream = _stream(key, context, lowered, counter, n)[:n]
    if _PLAIN.fullmatch(value):  # the common case: lower-case letters, digits, '-', '.', '_'
        # Position by position (letter from the letter stream, digit from the digit stream,
        # the rest kept), done with masks on the bytes as big integers instead of a loop.
        raw = value.encode("ascii")
        is_letter = int.from_bytes(raw.translate(_LETTER_MASK), "big")
        is_digit = int.from_bytes(raw.translate(_DIGIT_MASK), "big")
        out = (
            (int.from_bytes(stream.translate(_LETTER_OF_BYTE), "big") & is_letter)
            | (int.from_bytes(stream.translate(_DIGIT_OF_BYTE), "big") & is_digit)
            | (int.from_bytes(raw, "big") & ~(is_letter | is_digit))
        )
        return out.to_bytes(n, "big").decode("ascii")
    letters = stream.translate(_LETTER_OF_BYTE).decode("ascii")
    digits = stream.translate(_DIGIT_OF_BYTE).decode("ascii")
    out_chars = []
    for i, ch in enumerate(value):
        if ch.isdigit():
            out_chars.append(digits[i])
        elif ch.isalpha():
            out_chars.append(letters[i].upper() if ch.isupper() else letters[i])
        else:
            out_chars.append(ch)
    return "".join(out_chars)


# Byte b of the keyed stream picks LOWER[b % 26] for a letter and DIGITS[b % 10] for a digit.
_LETTER_OF_BYTE = bytes(ord(LOWER[b % 26]) for b in range(256))
_DIGIT_OF_BYTE = bytes(ord(DIGITS[b % 10]) for b in range(256))
_PLAIN = re.compile(r"[a-z0-9._-]*")
_LETTER_MASK = bytes(0xFF if 0x61 <= b <= 0x7A else 0 for b in range(256))
_DIGIT_MASK = bytes(0xFF if 0x30 <= b <= 0x39 else 0 for b in range(256))


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
        r.upper() if t.isupper() else r.lower() if t.islower() else r for t, r in zip(template, replacement)
    )
