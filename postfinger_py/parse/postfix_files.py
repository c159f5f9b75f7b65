"""Parse Postfix's postfix-files manifest: the list of files it installs, with owner and mode."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    """One line: path:type:owner:group:mode[:flags]; type f file, d dir, h hard link, l symlink."""

    path: str
    type: str
    owner: str  # "-" means not specified
    group: str
    mode: str  # octal string ("755", "2755"), or the link target for h/l entries
    flags: str


_VAR = re.compile(r"\$(\w+)|\$\{(\w+)\}")


def expand(text: str, params: dict[str, str]) -> str:
    """Substitute $name and ${name} from params (unknown names stay as written)."""
    return _VAR.sub(lambda m: params.get(m.group(1) or m.group(2), m.group(0)), text)


def parse_postfix_files(text: str, params: dict[str, str]) -> list[Entry]:
    entries: list[Entry] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or ":" not in line:
            continue
        fields = line.split(":")
        if len(fields) < 3:
            continue
        path, kind = expand(fields[0], params), fields[1]
        if kind in ("h", "l"):
            entries.append(Entry(path, kind, "-", "-", expand(fields[2], params), ""))
            continue
        if len(fields) < 5:
            continue
        owner = expand(fields[2], params)
        group = expand(fields[3], params)
        flags = fields[5] if len(fields) > 5 else ""
        entries.append(Entry(path, kind, owner, group, fields[4], flags))
    return entries


def program_paths(entries: list[Entry], params: dict[str, str]) -> list[str]:
    """Programs and shared libraries Postfix installed (files in daemon/command/shlib dirs)."""
    dirs = [params.get(k, "") for k in ("daemon_directory", "command_directory", "shlib_directory")]
    dirs = [d.rstrip("/") + "/" for d in dirs if d]
    extra = {params.get(k, "") for k in ("sendmail_path",)}
    out = []
    for e in entries:
        if e.type not in ("f", "h"):
            continue
        if e.path.endswith((".cf", ".proto", ".out")) or "/main.cf" in e.path:
            continue
        if any(e.path.startswith(d) for d in dirs) or e.path in extra:
            if e.path not in out:
                out.append(e.path)
    return out
