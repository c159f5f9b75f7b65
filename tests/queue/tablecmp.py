"""Compare qshape tables, allowing only the freedom qshape itself has: the order of rows with the
same total and the same name length follows Perl's randomized hash order (run qshape twice)."""

from __future__ import annotations


def _tie_key(line: str) -> tuple[str, int] | None:
    parts = line.split()
    if len(parts) >= 2 and parts[1].isdigit():
        return parts[1], len(parts[0].encode("utf-8", "surrogateescape"))
    return None


def canonical(text: str) -> str:
    """The table with each run of tied rows sorted; everything else as it was."""
    out: list[str] = []
    group: list[str] = []
    key: tuple[str, int] | None = None
    for line in text.split("\n"):
        k = _tie_key(line)
        if k is not None and k == key:
            group.append(line)
            continue
        out.extend(sorted(group))
        group, key = [line], k
    out.extend(sorted(group))
    return "\n".join(out)


def same_table(ours: str, theirs: str) -> bool:
    return ours == theirs or canonical(ours) == canonical(theirs)
