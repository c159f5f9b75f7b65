"""Lookup tables: missing or stale indexes and sources, unsupported table types, readable secrets."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from postfinger_py.errors import PostfingerError, ReplayMissing
from postfinger_py.files import FileProblem, StatInfo
from postfinger_py.findings.finding import Finding
from postfinger_py.parse.maps import CLIENT_TYPES, MapRef, map_refs
from postfinger_py.parse.postconf import parse_list

if TYPE_CHECKING:
    from postfinger_py.findings.facts import Facts

# Tables Postfix writes itself (caches): no source file, no postmap.
_CACHE_PARAM = re.compile(r"(_cache_database|_cache_map)\Z|\A(address_verify_map|proxy_write_maps)\Z")
ALIAS_PARAMS = ("alias_maps", "alias_database")
# Table types Debian ships as a separate package (dynamically loaded, see dynamicmaps.cf).
DEBIAN_PACKAGES = {
    "mysql": "postfix-mysql",
    "pgsql": "postfix-pgsql",
    "ldap": "postfix-ldap",
    "sqlite": "postfix-sqlite",
    "lmdb": "postfix-lmdb",
    "cdb": "postfix-cdb",
    "pcre": "postfix-pcre",
}
_SECRET_LINE = re.compile(rb"^[ \t]*(password|bind_pw)[ \t]*=[ \t]*\S", re.M | re.I)


@dataclass
class TableUse:
    """One table and every setting that names it."""

    ref: MapRef
    params: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


def _expanded(facts: Facts, value: str) -> str:
    if "$" not in value:
        return value
    try:
        return facts.expand(value)
    except PostfingerError as exc:
        _note(facts, f"tables: $names in table settings not expanded ({exc.message})")
        return value


def _note(facts: Facts, text: str) -> None:
    if text not in facts.notes:
        facts.notes.append(text)


def settings(facts: Facts) -> list[tuple[str, str, str]]:
    """(parameter, value with $names expanded, evidence line) for main.cf and every -o override."""
    out = [
        (name, _expanded(facts, value), f"main.cf: {name} = {value}")
        for name, value in sorted(facts.main.items())
    ]
    for o in facts.overrides:
        out.append(
            (
                o["name"],
                _expanded(facts, o["value"]),
                f"master.cf: {o['service']}/{o['type']} -o {o['name']}={o['value']}",
            )
        )
    return out


def table_uses(facts: Facts) -> list[TableUse]:
    """Every table the configuration names (nested ones too), once each, caches left out."""
    return facts.cached("table_uses", lambda: _table_uses(facts))


def _table_uses(facts: Facts) -> list[TableUse]:
    found: dict[tuple[str, str], TableUse] = {}
    for name, value, line in settings(facts):
        if _CACHE_PARAM.search(name):
            continue
        for ref in map_refs(value):
            use = found.setdefault((ref.type, ref.name), TableUse(ref))
            if name not in use.params:
                use.params.append(name)
            if line not in use.lines:
                use.lines.append(line)
    return list(found.values())


def _stat(facts: Facts, path: str) -> tuple[StatInfo | None, FileProblem | None, bool]:
    """(info, problem, answered): answered is False when a replay snapshot has no recording."""
    try:
        info, problem = facts.stat(path)
    except ReplayMissing as exc:
        _note(facts, f"tables: {exc.message}; that table was not checked")
        return None, None, False
    if problem is not None and problem.kind != "missing":
        _note(facts, f"tables: cannot look at {path}: {problem.reason} (run as root to check it)")
        return None, problem, False
    return info, problem, True


def _when(info: StatInfo) -> str:
    return datetime.fromtimestamp(info.mtime, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _rebuild(use: TableUse) -> str:
    ref = use.ref
    if any(p in ALIAS_PARAMS for p in use.params):
        return (
            f"run postalias {ref.spec} (newaliases rebuilds every alias_database); "
            "Postfix notices the new index by itself"
        )
    return f"run postmap {ref.spec} (Postfix notices the new index by itself)"


def _evidence(use: TableUse, *more: str) -> tuple[str, ...]:
    return tuple(use.lines[:3]) + more


def table_files(facts: Facts) -> Iterator[Finding]:
    """Sources and indexes of file-based tables: missing, or the index older than its source."""
    for use in table_uses(facts):
        ref = use.ref
        if not ref.is_file:
            continue
        src, _src_problem, answered = _stat(facts, ref.name)
        if not answered:
            continue
        if not ref.indexed:
            if src is None:
                yield Finding(
                    "problem",
                    "table-source-missing",
                    f"{ref.spec}: the file {ref.name} does not exist, so Postfix cannot open "
                    "this table and lookups in it fail.",
                    _evidence(use, f"{ref.name}: no such file"),
                    f"create {ref.name} or remove {ref.spec} from the setting, then postfix reload",
                    "DATABASE_README",
                )
            continue
        indexes = []
        for path in ref.index_files():
            info, _problem, ok = _stat(facts, path)
            if not ok:
                break
            indexes.append((path, info))
        else:
            yield from _index_findings(use, src, indexes)


def _index_findings(
    use: TableUse, src: StatInfo | None, indexes: list[tuple[str, StatInfo | None]]
) -> Iterator[Finding]:
    ref = use.ref
    manual = "postalias(1)" if any(p in ALIAS_PARAMS for p in use.params) else "postmap(1)"
    missing = [path for path, info in indexes if info is None]
    if src is None and missing:
        yield Finding(
            "problem",
            "table-missing",
            f"{ref.spec}: neither the source {ref.name} nor its index exists; lookups in this table fail.",
            _evidence(use, f"{ref.name}: no such file", *(f"{p}: no such file" for p in missing)),
            f"create {ref.name}, then {_rebuild(use)}",
            manual,
        )
        return
    if missing:
        yield Finding(
            "problem",
            "table-index-missing",
            f"{ref.spec}: the index {', '.join(missing)} was never built, so Postfix cannot open "
            f'this table ("open database {missing[0]}: No such file or directory").',
            _evidence(use, *(f"{p}: no such file" for p in missing)),
            _rebuild(use),
            manual,
        )
        return
    if src is None:
        yield Finding(
            "warning",
            "table-source-missing",
            f"{ref.spec}: the source {ref.name} is gone; Postfix still reads the index, but "
            "the table cannot be rebuilt or changed.",
            _evidence(use, f"{ref.name}: no such file"),
            f"recreate {ref.name} (postmap -s {ref.spec} prints what the index holds)",
            manual,
        )
        return
    built = [info for _p, info in indexes if info is not None]
    if src.kind == "file" and built and min(i.mtime for i in built) < src.mtime:
        oldest = min(built, key=lambda i: i.mtime)
        yield Finding(
            "warning",
            "table-index-stale",
            f"{ref.spec}: the index {oldest.path} is older than its source, so changes made to "
            f"{ref.name} since are not in effect.",
            _evidence(use, f"{ref.name}: modified {_when(src)}", f"{oldest.path}: modified {_when(oldest)}"),
            _rebuild(use),
            manual,
        )


def _supported(facts: Facts) -> list[str] | None:
    types = facts.data("tables").get("types")
    if isinstance(types, list) and types:
        return [str(t) for t in types]
    try:
        res = facts.ctx.runner.run(facts.ctx.postconf("-m"))
    except ReplayMissing as exc:
        _note(facts, f"tables: table types not checked ({exc.message})")
        return None
    if not res.ok:
        _note(facts, f"tables: table types not checked: {res.describe_failure()}")
        return None
    return parse_list(res.stdout)


def unsupported_types(facts: Facts) -> Iterator[Finding]:
    """Table types the configuration uses that this Postfix cannot open (postconf -m)."""
    uses = table_uses(facts)
    if not uses:
        return
    supported = _supported(facts)
    if supported is None:
        return
    by_type: dict[str, list[TableUse]] = {}
    for use in uses:
        if use.ref.type not in supported:
            by_type.setdefault(use.ref.type, []).append(use)
    for kind, kind_uses in by_type.items():
        lines: list[str] = []
        for use in kind_uses:
            lines += [ln for ln in use.lines if ln not in lines]
        package = DEBIAN_PACKAGES.get(kind)
        action = (
            f"install the {package} package (apt install {package}; it adds {kind} to "
            "dynamicmaps.cf), then postfix reload"
            if package
            else f"this Postfix has no {kind} support: use a type that postconf -m lists "
            "(e.g. hash: or lmdb:), or a Postfix built with it"
        )
        yield Finding(
            "problem",
            "table-type-unsupported",
            f"{kind}: tables are used but this Postfix does not support them (not in postconf "
            '-m): lookups fail with "unsupported dictionary type".',
            (*tuple(lines[:4]), f"postconf -m: {' '.join(supported)}"),
            action,
            "DATABASE_README",
        )


def _secret_files(facts: Facts) -> Iterator[tuple[TableUse, str, str]]:
    """(table, file, why it is secret) for every file that holds a password."""
    for use in table_uses(facts):
        ref = use.ref
        if not ref.is_file:
            continue
        base = os.path.basename(ref.name)
        if any(p.endswith("sasl_password_maps") for p in use.params) or "sasl_passwd" in base:
            why = "holds SASL passwords"
            for path in [ref.name, *ref.index_files()]:
                yield use, path, why
        elif ref.type in CLIENT_TYPES:
            try:
                data, _problem = facts.read(ref.name, limit=64 * 1024)
            except ReplayMissing as exc:
                _note(facts, f"tables: {exc.message}; its mode was not checked")
                continue
            if data is not None and _SECRET_LINE.search(data):
                yield use, ref.name, "sets a database password (value not shown)"


def readable_secrets(facts: Facts) -> Iterator[Finding]:
    """Password-holding table files that every local user can read."""
    seen = set()
    for use, path, why in _secret_files(facts):
        if path in seen:
            continue
        seen.add(path)
        info, _problem, answered = _stat(facts, path)
        if not answered or info is None or not info.mode & 0o004:
            continue
        yield Finding(
            "warning",
            "table-secret-readable",
            f"{path} {why} and every local user can read it.",
            _evidence(use, f"{path}: {info.mode_string} {info.user}:{info.group} (mode {info.mode:04o})"),
            f"chown root:postfix {path}; chmod 640 {path} (Postfix opens its tables as root, "
            "before it drops privileges)",
            "DATABASE_README",
        )


CHECKS = [table_files, unsupported_types, readable_secrets]
