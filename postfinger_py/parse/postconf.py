"""Parsers for postconf output: -n/-d parameters, -M services, -P overrides, -m/-l lists, warnings."""

from __future__ import annotations

import re

_PARAM = re.compile(r"^([A-Za-z0-9_.:/-]+) = ?(.*)$")


def unfold(text: str) -> list[str]:
    """Join Postfix-style folded lines (continuations start with white space) into logical lines."""
    lines: list[str] = []
    for raw in text.splitlines():
        if raw[:1] in (" ", "\t") and lines:
            lines[-1] = lines[-1] + " " + raw.strip()
        elif raw.strip():
            lines.append(raw.strip())
    return lines


def parse_parameters(text: str) -> list[tuple[str, str]]:
    """`postconf -n`/`-d`/`-nf` output as (name, value) pairs, in output order."""
    pairs: list[tuple[str, str]] = []
    for line in unfold(text):
        m = _PARAM.match(line)
        if m:
            pairs.append((m.group(1), m.group(2)))
    return pairs


def parse_warnings(stderr: str) -> list[str]:
    """postconf's own complaints (unused parameters, syntax) from its stderr, program prefix kept.

    Each once, in a stable order (by file, line number, text): postconf may print the same
    warning several times in one run (it re-reads main.cf) and its order of unused parameters
    varies between runs, but the same configuration must give the same report.
    """
    seen = set()
    for line in stderr.splitlines():
        line = line.rstrip()
        if re.match(r"^(?:\S*/)?postconf: (?:warning|error|fatal): ", line):
            seen.add(re.sub(r"^\S*/(postconf: )", r"\1", line))
    return sorted(seen, key=_warning_order)


_WARNING_PLACE = re.compile(r"^postconf: \w+: (\S+?)(?:, line (\d+))?: ")


def _warning_order(line: str) -> tuple[str, int, str]:
    m = _WARNING_PLACE.match(line)
    if not m:
        return ("", 0, line)
    # Warnings without a line number (unused parameters) after the numbered ones of that file.
    return (m.group(1), int(m.group(2)) if m.group(2) else 1 << 30, line)


MASTER_FIELDS = ("service", "type", "private", "unpriv", "chroot", "wakeup", "maxproc", "command")


def parse_master(text: str) -> list[dict[str, object]]:
    """`postconf -M` (or -Mf) output: one dict per service with the eight columns and the args."""
    services: list[dict[str, object]] = []
    for line in unfold(text):
        fields = line.split()
        if len(fields) < 8 or line.lstrip().startswith("#"):
            continue
        entry: dict[str, object] = dict(zip(MASTER_FIELDS, fields[:8]))
        entry["args"] = fields[8:]
        services.append(entry)
    return services


_OVERRIDE = re.compile(r"^([^/\s]+)/([^/\s]+)/([A-Za-z0-9_]+) = ?(.*)$")


def parse_overrides(text: str) -> list[dict[str, str]]:
    """`postconf -P` output: service/type/name = value lines."""
    out = []
    for line in unfold(text):
        m = _OVERRIDE.match(line)
        if m:
            out.append({"service": m.group(1), "type": m.group(2), "name": m.group(3), "value": m.group(4)})
    return out


def parse_list(text: str) -> list[str]:
    """`postconf -m` / `-l`: one word per line."""
    return [ln.strip() for ln in text.splitlines() if ln.strip()]


def _norm(value: str) -> str:
    return " ".join(value.replace(",", " , ").split())


def defaults_in_main(
    set_params: list[tuple[str, str]], defaults: list[tuple[str, str]]
) -> list[tuple[str, str]]:
    """Parameters set in main.cf to exactly their built-in default (postfinger --defaultsinmain).

    White space and comma spacing are ignored, as Postfix ignores them in lists.
    """
    default_map = dict(defaults)
    return [
        (name, value)
        for name, value in set_params
        if name in default_map and _norm(default_map[name]) == _norm(value)
    ]


def comment_in_value(params: list[tuple[str, str]]) -> list[str]:
    """Parameters whose value holds a '#': main.cf comments only work at the start of a line."""
    return [name for name, value in params if "#" in value]
