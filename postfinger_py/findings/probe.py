"""What the --probe saw, checked against what master.cf and main.cf promise: a listener that does
not answer, a greeting that refuses, STARTTLS or AUTH configured but not offered, TLS that fails.

These checks read only the probe section; without --probe they find nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from postfinger_py.findings.finding import Check, Finding

if TYPE_CHECKING:
    from postfinger_py.findings.facts import Facts


def _yes(value: str) -> bool:
    return value.strip().lower() in ("yes", "true", "1")


def _service(facts: Facts, row: dict[str, Any]) -> dict[str, Any] | None:
    name = str(row["service"]).rsplit("/", 1)[0]
    return next((s for s in facts.services if s.get("service") == name and s.get("type") == "inet"), None)


def _master_line(svc: dict[str, Any] | None, row: dict[str, Any]) -> str:
    if svc is None:
        return f"master.cf: {row['service']}"
    args = " ".join(str(a) for a in svc.get("args", []) or [])
    return f"master.cf: {svc['service']} inet ... {svc['command']}{' ' + args if args else ''}"


def _probe_line(row: dict[str, Any]) -> str:
    what = row.get("detail") or "answers"
    banner = f"; greeting {row['banner']}" if row.get("banner") else ""
    return f"probe {row['address']}: {what}{banner}"


def _rows(facts: Facts) -> list[dict[str, Any]]:
    listeners = facts.data("probe").get("listeners")
    return (
        [r for r in listeners if isinstance(r, dict) and r.get("outcome") != "skipped"]
        if isinstance(listeners, list)
        else []
    )


def _setting(facts: Facts, row: dict[str, Any], param: str) -> str:
    name = str(row["service"]).rsplit("/", 1)[0]
    over = facts.service_overrides(name, "inet")
    if param in over:
        return f"master.cf: {row['service']} -o {param}={over[param]}"
    if param in facts.main:
        return f"main.cf: {param} = {facts.main[param]}"
    return f"{param} = {facts.param(param) or '(empty)'} (the default)"


def probe_answers(facts: Facts) -> Iterator[Finding]:
    """A listener master.cf defines that refuses, hangs, or closes without a greeting.

    A refused port that the processes section already found not listening is the
    listener-missing finding's (system.py), not a second one."""
    not_listening = {
        m.get("port") for m in facts.data("processes").get("missing") or [] if isinstance(m, dict)
    }
    for row in _rows(facts):
        if row.get("outcome") == "refused" and row.get("port") in not_listening:
            continue
        svc = _service(facts, row)
        evidence = (_master_line(svc, row), _probe_line(row))
        label = row["service"]
        outcome = row.get("outcome")
        if outcome == "refused":
            yield Finding(
                "problem",
                "probe-refused",
                f"master.cf defines {label}, but nothing answers at {row['address']}: the "
                "connection was refused, so clients cannot connect there.",
                evidence,
                "if master.cf was edited, run postfix reload (a new listener starts only then); "
                "otherwise look in the log for 'bind' or 'fatal' lines from postfix/master",
                "master(5)",
            )
        elif outcome in ("timeout", "closed"):
            yield Finding(
                "problem",
                "probe-no-greeting",
                f"{label} accepts connections at {row['address']} but sends no greeting "
                f"({row.get('detail', '')}): its {row.get('program', 'smtpd')} most likely "
                "fails at start, and master throttles it.",
                evidence,
                "look in the log for 'fatal' lines of this service and for master's 'bad command "
                "startup -- throttling'; fix what the fatal line names, then postfix reload",
                "DEBUG_README",
            )
        elif outcome == "greeting":
            yield Finding(
                "warning",
                "probe-greeting-refused",
                f"{label} at {row['address']} greets with {row.get('banner', '')!s}: it turns "
                "clients away before any command.",
                evidence,
                "a 421 greeting is Postfix's answer to a configuration or resource error: look "
                "in the log for the warning or fatal line logged at the same time",
                "smtpd(8)",
            )
        elif outcome in ("ehlo", "error"):
            yield Finding(
                "warning",
                "probe-dialogue-failed",
                f"{label} at {row['address']} greets, but the dialogue then fails: {row.get('detail', '')}.",
                evidence,
                "look in the log for the smtpd lines of this connection (from localhost)",
                "smtpd(8)",
            )


def probe_tls(facts: Facts) -> Iterator[Finding]:
    """TLS configured but not offered, or a handshake that fails."""
    for row in _rows(facts):
        if not row.get("greeted") or row.get("program") != "smtpd":
            continue
        name = str(row["service"]).rsplit("/", 1)[0]
        level = facts.service_param(name, "inet", "smtpd_tls_security_level").strip().lower()
        wants = (
            level in ("may", "encrypt")
            or _yes(facts.service_param(name, "inet", "smtpd_use_tls"))
            or _yes(facts.service_param(name, "inet", "smtpd_enforce_tls"))
        )
        cert = _setting(facts, row, "smtpd_tls_cert_file")
        if row.get("outcome") == "tls":
            yield Finding(
                "problem",
                "probe-tls-failed",
                f"{row['service']} at {row['address']} offers TLS, but the handshake fails: "
                f"{row.get('detail', '')}.",
                (_setting(facts, row, "smtpd_tls_security_level"), cert, _probe_line(row)),
                "look in the log for 'TLS library problem' and 'cannot load' lines; check that "
                "the certificate and key files are readable by root and belong together",
                "TLS_README",
            )
        elif wants and row.get("starttls") == "not offered" and row.get("outcome") == "ok":
            severity = "problem" if level == "encrypt" else "warning"
            yield Finding(
                severity,
                "probe-starttls-missing",
                f"{row['service']} at {row['address']} is set up for TLS "
                f"(smtpd_tls_security_level = {level or 'via smtpd_use_tls'}), but its EHLO "
                "offers no STARTTLS: smtpd could not load its certificate or key"
                + (
                    ", and with encrypt no client can send mail there."
                    if level == "encrypt"
                    else ", so all mail there travels unencrypted."
                ),
                (
                    _setting(facts, row, "smtpd_tls_security_level"),
                    cert,
                    _setting(facts, row, "smtpd_tls_key_file"),
                    f"probe {row['address']}: EHLO {row.get('features', '')}",
                ),
                "look in the log for 'cannot load' or 'TLS library problem'; the certificate and "
                "key must be readable by root, in PEM, and the key must match the certificate",
                "TLS_README",
            )


def probe_auth(facts: Facts) -> Iterator[Finding]:
    """SASL enabled for a listener that offers no AUTH, even after STARTTLS."""
    for row in _rows(facts):
        if row.get("outcome") != "ok" or row.get("program") != "smtpd":
            continue
        name = str(row["service"]).rsplit("/", 1)[0]
        if not _yes(facts.service_param(name, "inet", "smtpd_sasl_auth_enable")):
            continue
        if row.get("auth") or row.get("auth_tls"):
            continue
        tls_only = _yes(facts.service_param(name, "inet", "smtpd_tls_auth_only"))
        if tls_only and row.get("starttls") == "not offered":
            why = "smtpd_tls_auth_only = yes offers AUTH only after STARTTLS, and STARTTLS is not offered"
        else:
            why = (
                "smtpd could not reach its SASL backend (the Dovecot socket, or Cyrus' "
                "smtpd.conf and its mechanisms)"
            )
        sasl_type = facts.service_param(name, "inet", "smtpd_sasl_type") or "cyrus"
        yield Finding(
            "problem",
            "probe-auth-missing",
            f"{row['service']} at {row['address']} has SASL enabled, but offers no AUTH, "
            f"before or after STARTTLS: {why}; clients cannot log in.",
            (
                _setting(facts, row, "smtpd_sasl_auth_enable"),
                _setting(facts, row, "smtpd_sasl_type"),
                _setting(facts, row, "smtpd_sasl_path"),
                f"probe {row['address']}: EHLO {row.get('features', '')}"
                + (f"; after STARTTLS: no AUTH ({row.get('tls')})" if row.get("tls") else ""),
            ),
            "look in the log for 'SASL' warnings of this service; with smtpd_sasl_type = "
            f"{sasl_type} see the SASL and TLS section (postfinger --all)",
            "SASL_README",
        )


def probe_auth_in_clear(facts: Facts) -> Iterator[Finding]:
    """AUTH offered before STARTTLS where STARTTLS is offered: passwords may cross in clear."""
    for row in _rows(facts):
        if row.get("outcome") != "ok" or row.get("starttls") != "offered" or not row.get("auth"):
            continue
        yield Finding(
            "warning",
            "probe-auth-before-tls",
            f"{row['service']} at {row['address']} offers AUTH ({row['auth']}) before "
            "STARTTLS: a client may send its password unencrypted.",
            (
                _setting(facts, row, "smtpd_tls_auth_only"),
                f"probe {row['address']}: EHLO {row.get('features', '')} AUTH {row['auth']}",
            ),
            "set smtpd_tls_auth_only = yes (main.cf, or -o on this service), then postfix reload",
            "postconf(5) smtpd_tls_auth_only",
        )


CHECKS: list[Check] = [probe_answers, probe_tls, probe_auth, probe_auth_in_clear]
