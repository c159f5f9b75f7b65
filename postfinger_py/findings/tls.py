"""TLS and SASL: certificates (present, in date, matching their key), STARTTLS on port 25, and the
SASL server and client each service is set up to use (saslfinger's ground, as checks)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from postfinger_py.errors import PostfingerError
from postfinger_py.findings.chroot import chrooted
from postfinger_py.findings.finding import Check, Finding

if TYPE_CHECKING:
    from postfinger_py.findings.facts import Facts

EXPIRY_WARNING_DAYS = 30
# (certificate, key) parameter pairs; an unset key parameter defaults to the certificate file.
SERVER_PAIRS = (
    ("smtpd_tls_cert_file", "smtpd_tls_key_file"),
    ("smtpd_tls_eccert_file", "smtpd_tls_eckey_file"),
    ("smtpd_tls_dcert_file", "smtpd_tls_dkey_file"),
)
CLIENT_PAIRS = (("smtp_tls_cert_file", "smtp_tls_key_file"), ("smtp_tls_eccert_file", "smtp_tls_eckey_file"))
# Where Cyrus SASL looks for smtpd.conf: Debian's patched default first.
CYRUS_DIRS = ("/etc/postfix/sasl", "/etc/sasl2", "/usr/lib/sasl2")
CYRUS_PLUGIN_DIRS = (
    "/usr/lib/x86_64-linux-gnu/sasl2",
    "/usr/lib/aarch64-linux-gnu/sasl2",
    "/usr/lib/i386-linux-gnu/sasl2",
    "/usr/lib64/sasl2",
    "/usr/lib/sasl2",
)
SASLAUTHD_MUX = "/var/run/saslauthd/mux"
MANUAL_TLS = "TLS_README"
MANUAL_SASL = "SASL_README"


@dataclass
class CertUse:
    """One certificate (and its key) and every setting that names it."""

    cert: str
    key: str
    role: str  # "server" or "client"
    where: list[str] = field(default_factory=list)  # evidence lines: main.cf / service -o
    enabled: bool = False  # TLS is on for at least one service that uses it


@dataclass
class CertInfo:
    not_before: datetime | None = None
    not_after: datetime | None = None
    subject: str = ""
    issuer: str = ""
    names: list[str] = field(default_factory=list)
    pubkey: str = ""
    problem: str = ""  # why openssl could not read it


def _yes(value: str) -> bool:
    return value.strip().lower() in ("yes", "true", "1")


def smtpd_services(facts: Facts) -> list[dict[str, Any]]:
    return [s for s in facts.services if str(s.get("command", "")) == "smtpd"]


def _label(svc: dict[str, Any]) -> str:
    return f"{svc['service']}/{svc['type']}"


def _server_tls_on(facts: Facts, name: str, kind: str) -> bool:
    """STARTTLS offered by this service ("" for main.cf alone: service_param falls back to it)."""
    level = facts.service_param(name, kind, "smtpd_tls_security_level").strip().lower()
    if level in ("may", "encrypt"):
        return True
    return any(
        _yes(facts.service_param(name, kind, p))
        for p in ("smtpd_use_tls", "smtpd_enforce_tls", "smtpd_tls_wrappermode")
    )


def _setting_line(facts: Facts, svc: dict[str, Any] | None, param: str) -> str:
    if svc is not None:
        over = facts.service_overrides(str(svc["service"]), str(svc["type"]))
        if param in over:
            return f"master.cf: {_label(svc)} -o {param}={over[param]}"
    if param in facts.main:
        return f"main.cf: {param} = {facts.main[param]}"
    return f"main.cf: {param} not set (in effect: {facts.param(param) or 'empty'})"


def cert_uses(facts: Facts) -> list[CertUse]:
    """Every certificate the server and client would load, with the settings that name it."""
    return facts.cached("tls-cert-uses", lambda: _cert_uses(facts))


def _cert_uses(facts: Facts) -> list[CertUse]:
    uses: dict[tuple[str, str, str], CertUse] = {}

    def add(
        role: str, svc: dict[str, Any] | None, cert_p: str, key_p: str, value: str, key: str, on: bool
    ) -> None:
        use = uses.setdefault((role, value, key), CertUse(value, key, role))
        for line in (_setting_line(facts, svc, cert_p), _setting_line(facts, svc, key_p)):
            if line not in use.where:
                use.where.append(line)
        use.enabled = use.enabled or on

    services: list[dict[str, Any] | None] = list(smtpd_services(facts)) or [None]
    for svc in services:
        name, kind = (str(svc["service"]), str(svc["type"])) if svc else ("", "")

        def get(p: str, name: str = name, kind: str = kind) -> str:
            return facts.service_param(name, kind, p).strip()

        on = _server_tls_on(facts, name, kind)
        for cert_p, key_p in SERVER_PAIRS:
            cert = get(cert_p)
            if cert and cert.lower() != "none":
                add("server", svc, cert_p, key_p, cert, get(key_p) or cert, on)
        for path in get("smtpd_tls_chain_files").replace(",", " ").split():
            add("server", svc, "smtpd_tls_chain_files", "smtpd_tls_chain_files", path, path, on)
    for cert_p, key_p in CLIENT_PAIRS:
        cert = facts.param(cert_p).strip()
        if cert and cert.lower() != "none":
            add("client", None, cert_p, key_p, cert, facts.param(key_p).strip() or cert, True)
    return list(uses.values())


_DATE = re.compile(r"^(notBefore|notAfter)=(\w{3})\s+(\d+) (\d\d:\d\d:\d\d) (\d{4})", re.M)
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}


def parse_x509(text: str) -> CertInfo:
    """`openssl x509 -noout -startdate -enddate -subject -issuer -ext subjectAltName -pubkey`."""
    info = CertInfo()
    for m in _DATE.finditer(text):
        hh, mm, ss = (int(x) for x in m.group(4).split(":"))
        when = datetime(
            int(m.group(5)), _MONTHS.get(m.group(2), 1), int(m.group(3)), hh, mm, ss, tzinfo=timezone.utc
        )
        if m.group(1) == "notBefore":
            info.not_before = when
        else:
            info.not_after = when
    for line in text.splitlines():
        if line.startswith("subject="):
            info.subject = line[len("subject=") :].strip()
        elif line.startswith("issuer="):
            info.issuer = line[len("issuer=") :].strip()
    cn = re.search(r"(?:^|[,/]\s*)CN\s*=\s*([^,/\n]+)", info.subject)
    names = [cn.group(1).strip()] if cn else []
    names += re.findall(r"DNS:([^,\s]+)", text)
    info.names = list(dict.fromkeys(names))
    key = re.search(r"-----BEGIN PUBLIC KEY-----.*?-----END PUBLIC KEY-----", text, re.S)
    info.pubkey = key.group(0) if key else ""
    return info


def _openssl_problem(stderr: str) -> str:
    text = stderr.lower()
    if "permission denied" in text:
        return "permission denied"
    if "no such file" in text:
        return "missing"
    if "bad decrypt" in text or "pass phrase" in text or "passphrase" in text:
        return "encrypted with a passphrase"
    first = next((ln.strip() for ln in stderr.splitlines() if ln.strip()), "")
    return f"openssl could not read it ({first})" if first else "openssl could not read it"


def read_cert(facts: Facts, path: str) -> CertInfo:
    """openssl's view of the certificate, read once per run (the section and the checks share it)."""
    return facts.ctx.once(f"tls-cert:{path}", lambda: _read_cert(facts, path))


def _read_cert(facts: Facts, path: str) -> CertInfo:
    res = facts.ctx.runner.run(
        [
            "openssl",
            "x509",
            "-in",
            path,
            "-noout",
            "-startdate",
            "-enddate",
            "-subject",
            "-issuer",
            "-ext",
            "subjectAltName",
            "-pubkey",
        ]
    )
    if res.missing:
        raise PostfingerError("openssl is not installed; certificates not checked")
    info = parse_x509(res.stdout) if res.ok else CertInfo(problem=_openssl_problem(res.stderr))
    if res.ok and info.not_after is None:
        info.problem = "openssl printed no validity dates"
    return info


def read_key_pubkey(facts: Facts, path: str) -> tuple[str, str]:
    """(the key's public half in PEM, '') or ('', why not); the private key never leaves openssl.
    Read once per run."""
    return facts.ctx.once(f"tls-key:{path}", lambda: _read_key_pubkey(facts, path))


def _read_key_pubkey(facts: Facts, path: str) -> tuple[str, str]:
    res = facts.ctx.runner.run(["openssl", "pkey", "-in", path, "-pubout", "-passin", "pass:"])
    if res.ok and "BEGIN PUBLIC KEY" in res.stdout:
        return res.stdout.strip(), ""
    return "", _openssl_problem(res.stderr)


def same_key(pub: str, cert_pub: str) -> bool:
    """Whether two PEM public keys are the same (openssl may wrap them differently)."""
    return " ".join(pub.split()) == " ".join(cert_pub.split())


def _date(when: datetime) -> str:
    return when.strftime("%Y-%m-%d")


def _cert_finding(
    sev: str, code: str, message: str, use: CertUse, extra: tuple[str, ...], action: str
) -> Finding:
    return Finding(
        sev,
        code,
        message,
        tuple(use.where) + extra,
        action,
        f"postconf(5) {'smtpd' if use.role == 'server' else 'smtp'}_tls_cert_file",
    )


def certificates(facts: Facts) -> Iterator[Finding]:
    """Certificate files missing, unreadable, expired or expiring, not matching their key."""
    for use in cert_uses(facts):
        sev = "problem" if use.enabled else "warning"
        who = "the SMTP server" if use.role == "server" else "the SMTP client"
        stat, problem = facts.stat(use.cert)
        if stat is None and problem is not None and problem.kind == "missing":
            yield _cert_finding(
                sev,
                "tls-cert-missing",
                f"The TLS certificate {use.cert} that {who} loads does not exist: "
                "Postfix logs a TLS library error and "
                + ("offers no STARTTLS" if use.role == "server" else "sends no client certificate"),
                use,
                (f"{use.cert}: missing",),
                "create or install the certificate, or correct the setting",
            )
            continue
        info = read_cert(facts, use.cert)
        if info.problem:
            if info.problem == "permission denied" and facts.ctx.euid != 0:
                facts.notes.append(f"tls: {use.cert} not checked: permission denied (run as root)")
                continue
            yield _cert_finding(
                sev,
                "tls-cert-unreadable",
                f"The TLS certificate {use.cert} cannot be read: {info.problem}",
                use,
                (f"{use.cert}: {info.problem}",),
                "check that the file holds a PEM certificate (openssl x509 -in FILE -noout -text)",
            )
            continue
        yield from _validity(facts, use, info, sev)
        yield from _key(facts, use, info, sev)


def _validity(facts: Facts, use: CertUse, info: CertInfo, sev: str) -> Iterator[Finding]:
    now = facts.ctx.now
    names = f"names: {', '.join(info.names)}" if info.names else f"subject: {info.subject}"
    if info.not_after is not None and info.not_after <= now:
        yield _cert_finding(
            sev,
            "tls-cert-expired",
            f"The TLS certificate {use.cert} expired on {_date(info.not_after)}: "
            "clients that verify certificates refuse it",
            use,
            (f"{use.cert}: notAfter {_date(info.not_after)}", names),
            "renew the certificate, then run `postfix reload`",
        )
    elif info.not_after is not None:
        days = (info.not_after - now).days
        if days < EXPIRY_WARNING_DAYS:
            yield _cert_finding(
                "warning",
                "tls-cert-expiring",
                f"The TLS certificate {use.cert} expires in {days} days ({_date(info.not_after)})",
                use,
                (f"{use.cert}: notAfter {_date(info.not_after)}", names),
                "renew it before then (and check that renewal runs automatically), then run `postfix reload`",
            )
    if info.not_before is not None and info.not_before > now:
        yield _cert_finding(
            sev,
            "tls-cert-not-yet-valid",
            f"The TLS certificate {use.cert} is not valid before "
            f"{_date(info.not_before)}: check the system clock",
            use,
            (f"{use.cert}: notBefore {_date(info.not_before)}",),
            "fix the clock (timedatectl) or the certificate's dates",
        )


def _key(facts: Facts, use: CertUse, info: CertInfo, sev: str) -> Iterator[Finding]:
    stat, problem = facts.stat(use.key)
    if stat is None and problem is not None and problem.kind == "missing":
        yield _cert_finding(
            sev,
            "tls-key-missing",
            f"The private key {use.key} for {use.cert} does not exist",
            use,
            (f"{use.key}: missing",),
            "install the key or correct the setting",
        )
        return
    if stat is not None and stat.mode & 0o004:
        yield Finding(
            "problem",
            "tls-key-readable",
            f"The private key {use.key} is readable by every local user",
            (*use.where, f"{use.key}: {stat.mode_string} {stat.user}:{stat.group}"),
            f"chmod o-rwx {use.key} (Postfix reads it as root)",
            MANUAL_TLS,
        )
    pub, why = read_key_pubkey(facts, use.key)
    if not pub:
        if why == "permission denied" and facts.ctx.euid != 0:
            facts.notes.append(
                f"tls: whether {use.key} matches {use.cert} not checked: permission denied (run as root)"
            )
            return
        yield _cert_finding(
            sev,
            "tls-key-unreadable",
            f"The private key {use.key} cannot be used: {why}"
            + (" (Postfix cannot ask for a passphrase)" if why.startswith("encrypted") else ""),
            use,
            (f"{use.key}: {why}",),
            "install an unencrypted PEM key readable by root (openssl pkey -in KEY -out NEWKEY)",
        )
        return
    if info.pubkey and not same_key(pub, info.pubkey):
        yield _cert_finding(
            sev,
            "tls-key-mismatch",
            f"The private key {use.key} does not belong to the certificate {use.cert}: TLS handshakes fail",
            use,
            (f"{use.cert} and {use.key}: different public keys",),
            "name the key that was generated with this certificate (compare "
            "`openssl x509 -in CERT -noout -pubkey` and "
            "`openssl pkey -in KEY -pubout`)",
        )


def port25_tls(facts: Facts) -> Iterator[Finding]:
    """STARTTLS required on port 25 (refuses mail from servers without TLS), or never offered."""
    has_cert = any(u.role == "server" for u in cert_uses(facts))
    for svc in smtpd_services(facts):
        if str(svc["type"]) != "inet" or str(svc["service"]).rsplit(":", 1)[-1] not in ("smtp", "25"):
            continue
        name, kind = str(svc["service"]), str(svc["type"])
        level = facts.service_param(name, kind, "smtpd_tls_security_level").strip().lower()
        where = _setting_line(facts, svc, "smtpd_tls_security_level")
        if level == "encrypt" or _yes(facts.service_param(name, kind, "smtpd_enforce_tls")):
            yield Finding(
                "warning",
                "tls-port25-encrypt",
                f"{_label(svc)} (port 25) requires STARTTLS: mail from servers "
                "that do not offer TLS is refused (RFC 3207 forbids this for a "
                "publicly referenced server)",
                (where,),
                "use smtpd_tls_security_level = may on port 25; require TLS on "
                "submission (587) and submissions (465) only",
                "postconf(5) smtpd_tls_security_level",
            )
        elif has_cert and not _server_tls_on(facts, name, kind):
            yield Finding(
                "note",
                "tls-port25-off",
                f"{_label(svc)} (port 25) offers no STARTTLS although a certificate is "
                "configured: mail from other servers arrives unencrypted",
                (where,),
                "set smtpd_tls_security_level = may",
                "postconf(5) smtpd_tls_security_level",
            )


def _types(facts: Facts, flag: str) -> list[str] | None:
    def ask() -> list[str] | None:
        res = facts.ctx.runner.run(facts.ctx.postconf(flag))
        return res.stdout.split() if res.ok else None

    return facts.cached(f"sasl-types:{flag}", ask)


def cyrus_config(facts: Facts, name: str) -> tuple[str, dict[str, str]]:
    """(path of NAME.conf, its options) where Cyrus SASL would find it; ('', {}) if nowhere."""
    dirs = [d for d in facts.param("cyrus_sasl_config_path").split(":") if d] or list(CYRUS_DIRS)
    for d in dirs:
        path = f"{d.rstrip('/')}/{name}.conf"
        data, problem = facts.read(path, limit=64 * 1024)
        if data is None and problem is not None and problem.kind == "missing":
            continue
        options: dict[str, str] = {}
        for line in (data or b"").decode("utf-8", "replace").splitlines():
            k, sep, v = line.partition(":")
            if sep and not line.lstrip().startswith("#"):
                options[k.strip().lower()] = v.strip()
        return path, options
    return "", {}


def sasl_server(facts: Facts) -> Iterator[Finding]:
    """Services with smtpd_sasl_auth_enable: their SASL type built in, its config or socket there."""
    for svc in smtpd_services(facts):
        name, kind = str(svc["service"]), str(svc["type"])
        if not _yes(facts.service_param(name, kind, "smtpd_sasl_auth_enable")):
            continue
        where = [_setting_line(facts, svc, "smtpd_sasl_auth_enable")]
        sasl_type = facts.service_param(name, kind, "smtpd_sasl_type").strip() or "cyrus"
        path = facts.service_param(name, kind, "smtpd_sasl_path").strip()
        where.append(_setting_line(facts, svc, "smtpd_sasl_type"))
        types = _types(facts, "-a")
        if types is not None and sasl_type not in types:
            yield Finding(
                "problem",
                "sasl-type-unsupported",
                f"{_label(svc)} uses SASL type {sasl_type}, which this Postfix was not "
                f"built with (postconf -a: {' '.join(types) or 'none'})",
                tuple(where),
                "choose a type postconf -a lists",
                "postconf(5) smtpd_sasl_type",
            )
            continue
        if sasl_type == "dovecot":
            yield from _dovecot_socket(facts, svc, path, where)
        elif sasl_type == "cyrus":
            yield from _cyrus(facts, svc, path or "smtpd", where)


def _queue_dir(facts: Facts) -> str:
    return facts.param("queue_directory", "/var/spool/postfix").rstrip("/")


def dovecot_socket(facts: Facts, path: str) -> str:
    """Where smtpd connects for smtpd_sasl_path (relative: below the queue directory); '' for
    an inet: path or none."""
    if not path or path.startswith("inet:"):
        return ""
    return path if path.startswith("/") else f"{_queue_dir(facts)}/{path}"


def _dovecot_socket(facts: Facts, svc: dict[str, Any], path: str, where: list[str]) -> Iterator[Finding]:
    full = dovecot_socket(facts, path)
    if not full:
        return
    stat, problem = facts.stat(full)
    if stat is not None and stat.kind == "socket":
        return
    if stat is None and problem is not None and problem.kind == "denied":
        facts.notes.append(
            f"tls: the Dovecot auth socket {full} not checked: permission denied (run as root)"
        )
        return
    state = stat.kind if stat is not None else (problem.reason if problem else "missing")
    yield Finding(
        "problem",
        "sasl-dovecot-socket",
        f"{_label(svc)} authenticates through Dovecot's socket {full}, which "
        f"{'is a ' + state + ', not a socket' if stat else 'does not exist'}: "
        "SMTP AUTH fails",
        (*where, _setting_line(facts, svc, "smtpd_sasl_path"), f"{full}: {state}"),
        "add a unix_listener for it to Dovecot's `service auth` (mode 0660, user "
        "postfix) and restart Dovecot",
        "SASL_README server_dovecot",
    )


def _cyrus(facts: Facts, svc: dict[str, Any], name: str, where: list[str]) -> Iterator[Finding]:
    conf, options = cyrus_config(facts, name)
    if not conf:
        yield Finding(
            "warning",
            "sasl-cyrus-no-config",
            f"{_label(svc)} uses Cyrus SASL, but there is no {name}.conf: Cyrus falls "
            "back to its defaults (passwords in /etc/sasldb2), rarely what was meant",
            (*where, *(f"{d}/{name}.conf: missing" for d in CYRUS_DIRS[:1])),
            f"write /etc/postfix/sasl/{name}.conf (pwcheck_method, mech_list), or use "
            "smtpd_sasl_type = dovecot",
            "SASL_README server_cyrus",
        )
        return
    if options.get("pwcheck_method", "").split()[:1] == ["saslauthd"]:
        mux = options.get("saslauthd_path", SASLAUTHD_MUX)
        jailed = chrooted(svc, facts.param("mail_version"))
        if jailed and not mux.startswith(_queue_dir(facts)):
            mux = _queue_dir(facts) + mux
        stat, problem = facts.stat(mux)
        if stat is None and problem is not None and problem.kind == "missing":
            yield Finding(
                "problem",
                "sasl-saslauthd-socket",
                f"{_label(svc)} checks passwords through saslauthd, but its socket {mux} "
                "does not exist" + (" inside the chroot jail" if jailed else "") + ": SMTP AUTH fails",
                (*where, f"{conf}: pwcheck_method: saslauthd", f"{mux}: missing"),
                'start saslauthd; for a chrooted smtpd on Debian set OPTIONS="-c -m '
                '/var/spool/postfix/var/run/saslauthd" in /etc/default/saslauthd',
                "SASL_README saslauthd",
            )


def sasl_client(facts: Facts) -> Iterator[Finding]:
    """smtp_sasl_auth_enable without passwords, or without a SASL client library that can send them."""
    if not _yes(facts.param("smtp_sasl_auth_enable")):
        return
    where = ("main.cf: smtp_sasl_auth_enable = " + facts.main.get("smtp_sasl_auth_enable", "yes"),)
    if not facts.param("smtp_sasl_password_maps").strip():
        yield Finding(
            "problem",
            "sasl-client-no-passwords",
            "The SMTP client is to authenticate, but smtp_sasl_password_maps is empty: "
            "it has no password to send",
            where,
            "set smtp_sasl_password_maps = hash:/etc/postfix/sasl_passwd and postmap it",
            "postconf(5) smtp_sasl_password_maps",
        )
    client_type = facts.param("smtp_sasl_type").strip() or "cyrus"
    types = _types(facts, "-A")
    if types is not None and client_type not in types:
        yield Finding(
            "problem",
            "sasl-type-unsupported",
            f"The SMTP client uses SASL type {client_type}, which this Postfix was not "
            f"built with (postconf -A: {' '.join(types) or 'none'})",
            where,
            "choose a type postconf -A lists",
            "postconf(5) smtp_sasl_type",
        )
        return
    if client_type == "cyrus":
        found = []
        for d in CYRUS_PLUGIN_DIRS:
            try:
                found.append(facts.ctx.files.listdir(d))
            except Exception:  # noqa: BLE001 - a missing plugin directory is simply not there
                continue
        names = [n for listing in found for n in listing]
        if found and not any(n.startswith(("libplain.", "liblogin.")) for n in names):
            yield Finding(
                "warning",
                "sasl-client-no-mechanisms",
                "The SMTP client authenticates with Cyrus SASL, but no PLAIN or LOGIN "
                'plugin is installed: it logs "no mechanism available"',
                where,
                "install libsasl2-modules",
                "SASL_README client_sasl",
            )


CHECKS: list[Check] = [certificates, port25_tls, sasl_server, sasl_client]
