"""Libraries: ldd of every Postfix program and library (ELF headers where ldd is missing)."""

from __future__ import annotations

import re

from postfinger_py.collect.base import Collector
from postfinger_py.collect.common import (
    postconf_values,
    postfix_programs,
    present_programs,
    run_in_threads,
)
from postfinger_py.model import Context, Section, Status
from postfinger_py.parse.ldd import parse_ldd

# Which linked library tells a helper what: lookup tables, SASL, TLS.
FAMILIES: list[tuple[str, str]] = [
    ("Berkeley DB", r"^libdb(-[0-9.]+)?\.so"),
    ("LMDB", r"^liblmdb\.so"),
    ("CDB", r"^libcdb\.so"),
    ("SASL", r"^libsasl2\.so"),
    ("TLS (OpenSSL)", r"^lib(ssl|crypto)\.so"),
    ("TLS (LibreSSL/other)", r"^lib(tls|gnutls)\.so"),
    ("MySQL/MariaDB", r"^lib(mysqlclient|mariadb)\.so"),
    ("PostgreSQL", r"^libpq\.so"),
    ("LDAP", r"^libldap"),
    ("SQLite", r"^libsqlite3\.so"),
    ("PCRE", r"^libpcre"),
    ("ICU (SMTPUTF8)", r"^libicuuc\.so"),
]


def family(soname: str) -> str | None:
    for name, pattern in FAMILIES:
        if re.search(pattern, soname):
            return name
    return None


class LibrariesCollector(Collector):
    name = "libraries"
    title = "Libraries linked by Postfix (ldd)"
    description = "ldd of every Postfix program; unresolved libraries flagged; DB/SASL/TLS libs"
    order = 60

    def collect(self, ctx: Context) -> Section:
        layout = postconf_values(ctx)
        paths, notes = postfix_programs(ctx, layout)
        # ldd may run the program's own loader: only on regular ELF files inside Postfix's own
        # directories (postfix-files lists nothing else), never on symlinks that may lead elsewhere.
        # (Paths that cannot be checked are reported by the daemons section.)
        found, _problems = present_programs(ctx, paths)
        targets = [
            st.path for st in found if st.kind == "file" and ctx.files.inspect_binary(st.path).kind == "elf"
        ]
        probe = ctx.runner.run(["ldd", "--version"])
        use_ldd = not probe.missing
        if not use_ldd:
            notes.append(
                "ldd is not installed: libraries are read from ELF headers (names "
                "only, not resolved to files)"
            )
        per_program: dict[str, list[tuple[str, str | None]]] = {}
        raw_parts: list[str] = []

        def one(path: str) -> tuple[str, list[tuple[str, str | None]], str]:
            if use_ldd:
                res = ctx.runner.run(["ldd", path], timeout=15)
                if res.ok:
                    return path, parse_ldd(res.stdout), re.sub(r" \(0x[0-9a-fA-F]+\)", "", res.stdout)
                return path, [], f"({res.describe_failure()})\n"
            info = ctx.files.inspect_binary(path)
            return path, [(n, "?") for n in info.needed], "".join(f"\t{n}\n" for n in info.needed)

        for path, libs, text in run_in_threads(one, targets):
            per_program[path] = libs
            raw_parts.append(f"{path}:\n{text}")
        libraries: dict[str, dict[str, object]] = {}
        unresolved: list[dict[str, str]] = []
        for path, libs in per_program.items():
            for soname, resolved in libs:
                entry = libraries.setdefault(
                    soname,
                    {"soname": soname, "path": resolved or "", "users": 0, "family": family(soname) or ""},
                )
                entry["users"] = int(entry["users"]) + 1  # type: ignore[call-overload]
                if resolved is None:
                    unresolved.append({"program": path, "soname": soname})
        notable = [lib for lib in libraries.values() if lib["family"]]
        data = {
            "programs_checked": len(per_program),
            "method": "ldd" if use_ldd else "ELF headers",
            "unresolved": unresolved,
            "notable": sorted(notable, key=lambda lib: (str(lib["family"]), str(lib["soname"]))),
            "libraries": sorted(libraries.values(), key=lambda lib: str(lib["soname"])),
        }
        status = Status.OK if per_program else Status.FAILED
        if not per_program:
            notes.append("no Postfix program could be examined")
        return self.section(status, data=data, notes=notes, raw={"ldd.txt": "\n".join(raw_parts)})
