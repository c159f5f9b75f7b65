"""SASL and TLS (saslfinger's ground): the settings in effect per service, Cyrus' smtpd.conf or
Dovecot's socket, the client's password tables, and each certificate's dates, names and key."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from postfinger_py.collect.base import Collector
from postfinger_py.model import Context, Section, Status

PREFIXES = (
    "smtpd_sasl_",
    "smtp_sasl_",
    "lmtp_sasl_",
    "smtpd_tls_",
    "smtp_tls_",
    "lmtp_tls_",
    "broken_sasl_",
    "cyrus_sasl_",
    "tls_",
)
_SECRET_KEY = re.compile(r"pass|(?:^|_)pw\Z|secret", re.I)  # sql_passwd, ldapdb_pw; not pwcheck


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


class SaslTlsCollector(Collector):
    name = "sasltls"
    title = "SASL and TLS"
    description = (
        "SASL and TLS settings per service, smtpd.conf or the Dovecot socket, "
        "sasl_passwd files, certificates (dates, names, key match)"
    )
    optional = True
    order = 32

    def collect(self, ctx: Context) -> Section:
        from postfinger_py.findings.facts import Facts

        facts = Facts(ctx, [])
        data: dict[str, Any] = {
            "settings": self._settings(facts),
            "servers": self._servers(facts),
            "password_files": self._password_files(facts),
            "certificates": self._certificates(facts),
        }
        status = Status.PARTIAL if facts.notes else Status.OK
        return self.section(status, data=data, notes=list(dict.fromkeys(facts.notes)))

    @staticmethod
    def _settings(facts: Any) -> list[dict[str, str]]:
        rows = [
            {"where": "main.cf", "name": k, "value": v}
            for k, v in sorted(facts.main.items())
            if k.startswith(PREFIXES)
        ]
        rows += [
            {"where": f"{o['service']}/{o['type']} -o", "name": o["name"], "value": o["value"]}
            for o in facts.overrides
            if o["name"].startswith(PREFIXES)
        ]
        return rows

    @staticmethod
    def _servers(facts: Any) -> list[dict[str, Any]]:
        from postfinger_py.findings.tls import _yes, cyrus_config, dovecot_socket, smtpd_services

        out = []
        for svc in smtpd_services(facts):
            name, kind = str(svc["service"]), str(svc["type"])
            if not _yes(facts.service_param(name, kind, "smtpd_sasl_auth_enable")):
                continue
            sasl_type = facts.service_param(name, kind, "smtpd_sasl_type").strip() or "cyrus"
            path = facts.service_param(name, kind, "smtpd_sasl_path").strip()
            row: dict[str, Any] = {
                "service": f"{name}/{kind}",
                "type": sasl_type,
                "path": path,
                "config": "",
                "options": [],
                "socket": "",
            }
            if sasl_type == "cyrus":
                conf, options = cyrus_config(facts, path or "smtpd")
                row["config"] = conf or f"no {path or 'smtpd'}.conf found"
                row["options"] = [
                    {"name": k, "value": "(masked)" if _SECRET_KEY.search(k) else v}
                    for k, v in sorted(options.items())
                ]
            elif sasl_type == "dovecot" and dovecot_socket(facts, path):
                full = dovecot_socket(facts, path)
                stat, problem = facts.stat(full)
                row["socket"] = (
                    f"{full}: {stat.kind} {stat.mode_string} {stat.user}:{stat.group}"
                    if stat
                    else f"{full}: {problem.reason if problem else 'missing'}"
                )
            out.append(row)
        return out

    @staticmethod
    def _password_files(facts: Any) -> list[dict[str, str]]:
        from postfinger_py.parse.maps import map_refs

        out = []
        for param in ("smtp_sasl_password_maps", "lmtp_sasl_password_maps"):
            for ref in map_refs(facts.param(param)):
                if not ref.name.startswith("/"):
                    continue
                for path in (
                    ref.name,
                    *(
                        (f"{ref.name}.db",)
                        if ref.type in ("hash", "btree")
                        else (f"{ref.name}.lmdb",)
                        if ref.type == "lmdb"
                        else ()
                    ),
                ):
                    stat, problem = facts.stat(path)
                    out.append(
                        {
                            "param": param,
                            "path": path,
                            "state": (
                                f"{stat.mode_string} {stat.user}:{stat.group}, modified {_when(stat.mtime)}"
                                if stat
                                else (problem.reason if problem else "missing")
                            ),
                        }
                    )
        return out

    @staticmethod
    def _certificates(facts: Any) -> list[dict[str, str]]:
        from postfinger_py.errors import PostfingerError
        from postfinger_py.findings.tls import cert_uses, read_cert, read_key_pubkey, same_key

        out = []
        try:
            uses = cert_uses(facts)
            for use in uses:
                info = read_cert(facts, use.cert)
                match: str | None = None
                if not info.problem:
                    pub, why = read_key_pubkey(facts, use.key)
                    match = (
                        ("yes" if same_key(pub, info.pubkey) else "NO") if pub else (f"not checked ({why})")
                    )
                out.append(
                    {
                        "role": use.role,
                        "cert": use.cert,
                        "key": use.key,
                        "state": info.problem or "readable",
                        "valid": (
                            f"{info.not_before:%Y-%m-%d} to {info.not_after:%Y-%m-%d}"
                            if info.not_before and info.not_after
                            else ""
                        ),
                        "names": ", ".join(info.names),
                        "issuer": info.issuer,
                        "key_matches": match or "",
                        "used_by": "; ".join(use.where),
                    }
                )
        except PostfingerError as exc:
            facts.notes.append(exc.message)
        return out
