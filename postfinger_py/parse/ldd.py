"""Parse ldd output into (library, resolved path or None) pairs; load addresses are dropped."""

from __future__ import annotations

import re

_ARROW = re.compile(r"^\s*(\S+) => (.*?)\s*(?:\(0x[0-9a-fA-F]+\))?\s*$")
_PLAIN = re.compile(r"^\s*(\S+)\s*(?:\(0x[0-9a-fA-F]+\))?\s*$")


def parse_ldd(text: str) -> list[tuple[str, str | None]]:
    """[(soname, path)]; path None means "not found". vdso entries are skipped."""
    out: list[tuple[str, str | None]] = []
    for line in text.splitlines():
        if not line.strip() or "vdso" in line or line.strip().startswith(("statically", "not a")):
            continue
        m = _ARROW.match(line)
        if m:
            target = m.group(2).strip()
            out.append((m.group(1), None if target == "not found" else target or None))
            continue
        m = _PLAIN.match(line)
        if m:
            path = m.group(1)
            out.append((path.rsplit("/", 1)[-1], path))
    return out
