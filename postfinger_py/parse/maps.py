"""Lookup table references in Postfix parameter values: type:name, also inside proxy:, pipemap:{}
and unionmap:{} (see DATABASE_README and postconf(5) "pipemap", "unionmap")."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Every table type Postfix 3.x knows (built in or as a dynamically loaded plug-in).
MAP_TYPES = frozenset(
    {
        "btree",
        "cdb",
        "cidr",
        "dbm",
        "environ",
        "fail",
        "hash",
        "inline",
        "internal",
        "ldap",
        "lmdb",
        "memcache",
        "mongodb",
        "mysql",
        "netinfo",
        "nis",
        "nisplus",
        "pcre",
        "pgsql",
        "pipemap",
        "proxy",
        "randmap",
        "regexp",
        "sdbm",
        "socketmap",
        "sqlite",
        "static",
        "tcp",
        "texthash",
        "unionmap",
        "unix",
    }
)
# Indexed (postmap/postalias built) types: the index file(s) beside the source.
INDEX_SUFFIXES: dict[str, tuple[str, ...]] = {
    "hash": (".db",),
    "btree": (".db",),
    "lmdb": (".lmdb",),
    "cdb": (".cdb",),
    "dbm": (".dir", ".pag"),
    "sdbm": (".dir", ".pag"),
}
# Types whose name is a file Postfix reads (a table source, or a client configuration file).
FILE_TYPES = frozenset(INDEX_SUFFIXES) | {
    "regexp",
    "pcre",
    "cidr",
    "texthash",
    "mysql",
    "pgsql",
    "ldap",
    "sqlite",
    "memcache",
    "mongodb",
}
# Types whose file is a database client configuration (it may hold a password).
CLIENT_TYPES = frozenset({"mysql", "pgsql", "ldap", "sqlite", "memcache", "mongodb"})
COMPOSITE = frozenset({"pipemap", "unionmap"})

_TYPE = re.compile(r"([a-z][a-z0-9_]*):(.*)\Z", re.S)


@dataclass(frozen=True)
class MapRef:
    """One table: its type and name, and the types it sits inside (proxy, pipemap, unionmap)."""

    type: str
    name: str
    within: tuple[str, ...] = ()

    @property
    def spec(self) -> str:
        return f"{self.type}:{self.name}"

    @property
    def is_file(self) -> bool:
        return self.type in FILE_TYPES and self.name.startswith("/")

    @property
    def indexed(self) -> bool:
        return self.type in INDEX_SUFFIXES and self.name.startswith("/")

    def index_files(self) -> list[str]:
        return [self.name + s for s in INDEX_SUFFIXES.get(self.type, ())] if self.indexed else []


def split_list(value: str) -> list[str]:
    """A parameter value's items: separated by white space or commas, {...} kept whole."""
    out: list[str] = []
    depth = 0
    cur: list[str] = []
    for ch in value:
        if ch == "{":
            depth += 1
        elif ch == "}" and depth:
            depth -= 1
        if depth == 0 and (ch.isspace() or ch == ","):
            if cur:
                out.append("".join(cur))
                cur = []
            continue
        cur.append(ch)
    if cur:
        out.append("".join(cur))
    return out


def _unbrace(text: str) -> str:
    text = text.strip()
    return text[1:-1] if text.startswith("{") and text.endswith("}") else text


def table_of(item: str) -> tuple[str, str]:
    """(type, name) when one list item names a table, else ("", "")."""
    m = _TYPE.match(item)
    if not m or m.group(1) not in MAP_TYPES:
        return "", ""
    kind, name = m.group(1), m.group(2)
    # unix: is also a socket address (milters, policy services); as a table only passwd/group.
    if kind == "unix" and name not in ("passwd.byname", "group.byname"):
        return "", ""
    if not name:
        return "", ""
    return kind, name


def refs_in_item(item: str, within: tuple[str, ...] = ()) -> list[MapRef]:
    """Every table one item names: the item itself, and the tables nested inside it."""
    kind, name = table_of(item)
    if not kind:
        return []
    if kind == "proxy":
        return [MapRef(kind, name, within), *refs_in_item(name, (*within, kind))]
    out = [MapRef(kind, name, within)]
    if kind in COMPOSITE:
        for inner in split_list(_unbrace(name)):
            out.extend(refs_in_item(inner, (*within, kind)))
    return out


def map_refs(value: str) -> list[MapRef]:
    """Every table a parameter value names, nested ones included, in order."""
    out: list[MapRef] = []
    for item in split_list(value):
        out.extend(refs_in_item(item))
    return out


def top_tables(value: str) -> list[str]:
    """The tables a parameter value names at its top level, as written (proxy:, pipemap:{} whole)."""
    return [item for item in split_list(value) if table_of(item)[0]]
