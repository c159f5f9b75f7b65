"""TLS and SASL checks on recorded input: real openssl output of the test site's certificate and
key (and of an encrypted and an unreadable key), Debian's master.cf shapes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path

from postfinger_py.findings import Finding
from postfinger_py.findings.facts import Facts
from postfinger_py.findings.tls import CHECKS, parse_x509
from postfinger_py.model import Context, Options
from postfinger_py.runner import CommandResult

from ..helpers import FakeRunner
from .fakes import DictFiles, maincf, mastercf, service, stat_info

DATA = Path(__file__).parent / "data" / "tls"
X509 = (DATA / "mx1-x509.txt").read_text()
PKEY = (DATA / "mx1-pkey.txt").read_text()
OTHER = (DATA / "other-pkey.txt").read_text()
CERT, KEY = "/etc/ssl/certs/mx1.pem", "/etc/ssl/private/mx1.key"
NOT_AFTER = datetime(2028, 1, 10, 13, 34, 38, tzinfo=timezone.utc)
X509_ARGV = (
    "openssl",
    "x509",
    "-in",
    CERT,
    "-noout",
    "-startdate",
    "-enddate",
    "-subject",
    "-issuer",
    "-ext",
    "subjectAltName",
    "-pubkey",
)
PKEY_ARGV = ("openssl", "pkey", "-in", KEY, "-pubout", "-passin", "pass:")
BASE = {
    "mail_version": "3.7.11",
    "queue_directory": "/var/spool/postfix",
    "smtpd_tls_cert_file": CERT,
    "smtpd_tls_key_file": KEY,
    "smtpd_tls_security_level": "may",
    "smtpd_sasl_type": "cyrus",
    "smtpd_sasl_path": "smtpd",
}
SMTP = service("smtp", "inet", "smtpd", chroot="y")
SUBMISSION = service("submission", "inet", "smtpd", chroot="y")


def run(
    now: datetime,
    params: dict[str, str] | None = None,
    answers: dict[tuple[str, ...], str | CommandResult] | None = None,
    files: DictFiles | None = None,
    overrides: Sequence[dict[str, str]] = (),
    services: Sequence[dict] = (SMTP,),
    euid: int = 0,
) -> tuple[list[Finding], Facts]:
    effective = {**BASE, **(params or {})}
    recorded: dict[tuple[str, ...], str | CommandResult] = {
        ("postconf", "-x"): "".join(f"{k} = {v}\n" for k, v in effective.items()),
        ("postconf", "-a"): "cyrus\ndovecot\n",
        ("postconf", "-A"): "cyrus\n",
        X509_ARGV: X509,
        PKEY_ARGV: PKEY,
    }
    main = {k: v for k, v in effective.items() if k.startswith(("smtpd_tls", "smtp_"))}
    recorded[("postconf", "-n")] = "".join(f"{k} = {v}\n" for k, v in main.items())
    recorded[("postconf", "-P")] = "".join(
        f"{o['service']}/{o['type']}/{o['name']} = {o['value']}\n" for o in overrides
    )
    recorded[("postconf", "-M")] = "".join(
        " ".join(
            str(s[c])
            for c in ("service", "type", "private", "unpriv", "chroot", "wakeup", "maxproc", "command")
        )
        + "\n"
        for s in services
    )
    recorded.update(answers or {})
    default_files = DictFiles({CERT: b"cert"}, {KEY: stat_info(KEY, mode=0o600)})
    ctx = Context(FakeRunner(recorded), files or default_files, now, euid, Options())
    facts = Facts(ctx, [maincf(main), mastercf(list(services), list(overrides))])
    return [f for check in CHECKS for f in check(facts)], facts


def codes(found: list[Finding]) -> list[tuple[str, str]]:
    return [(f.severity, f.code) for f in found]


def test_parse_x509_reads_dates_names_and_the_public_key() -> None:
    info = parse_x509(X509)
    assert info.not_after == NOT_AFTER
    assert info.names == ["mx1.bluefinch-logistics.de", "mail.bluefinch-logistics.de"]
    assert info.pubkey.startswith("-----BEGIN PUBLIC KEY-----")


def test_a_valid_matching_certificate_is_quiet() -> None:
    found, facts = run(NOT_AFTER - timedelta(days=200))
    assert found == [] and facts.notes == []


def test_a_certificate_expiring_in_20_days_is_a_warning_with_the_date() -> None:
    found, _ = run(NOT_AFTER - timedelta(days=20, hours=1))
    assert codes(found) == [("warning", "tls-cert-expiring")]
    assert "expires in 20 days (2028-01-10)" in found[0].message
    assert "main.cf: smtpd_tls_cert_file = /etc/ssl/certs/mx1.pem" in found[0].evidence


def test_an_expired_certificate_in_use_is_a_problem() -> None:
    found, _ = run(NOT_AFTER + timedelta(days=3))
    assert codes(found) == [("problem", "tls-cert-expired")]


def test_a_key_of_another_certificate_is_a_problem() -> None:
    found, _ = run(NOT_AFTER - timedelta(days=200), answers={PKEY_ARGV: OTHER})
    assert codes(found) == [("problem", "tls-key-mismatch")]


def test_an_encrypted_key_is_a_problem_and_an_unreadable_one_unprivileged_only_a_note() -> None:
    enc = CommandResult(PKEY_ARGV, 1, stderr=(DATA / "encrypted-pkey.stderr").read_text())
    found, _ = run(NOT_AFTER - timedelta(days=200), answers={PKEY_ARGV: enc})
    assert codes(found) == [("problem", "tls-key-unreadable")]
    assert "passphrase" in found[0].message
    denied = CommandResult(PKEY_ARGV, 1, stderr=(DATA / "denied-pkey.stderr").read_text())
    found, facts = run(NOT_AFTER - timedelta(days=200), answers={PKEY_ARGV: denied}, euid=1000)
    assert found == [] and any("run as root" in n for n in facts.notes)


def test_a_missing_certificate_and_a_world_readable_key() -> None:
    files = DictFiles({}, {KEY: stat_info(KEY, mode=0o644)})
    found, _ = run(NOT_AFTER - timedelta(days=200), files=files)
    assert codes(found) == [("problem", "tls-cert-missing")]
    files = DictFiles({CERT: b"c"}, {KEY: stat_info(KEY, mode=0o644)})
    found, _ = run(NOT_AFTER - timedelta(days=200), files=files)
    assert codes(found) == [("problem", "tls-key-readable")]


def test_port_25_requiring_tls_warns_and_without_tls_is_a_note() -> None:
    found, _ = run(NOT_AFTER - timedelta(days=200), {"smtpd_tls_security_level": "encrypt"})
    assert codes(found) == [("warning", "tls-port25-encrypt")]
    found, _ = run(NOT_AFTER - timedelta(days=200), {"smtpd_tls_security_level": ""})
    assert codes(found) == [("note", "tls-port25-off")]
    # encrypt on submission only (Debian's commented example) is right
    over = [{"service": "submission", "type": "inet", "name": "smtpd_tls_security_level", "value": "encrypt"}]
    found, _ = run(NOT_AFTER - timedelta(days=200), overrides=over, services=(SMTP, SUBMISSION))
    assert found == []


SASL_ON = [{"service": "submission", "type": "inet", "name": "smtpd_sasl_auth_enable", "value": "yes"}]


def test_cyrus_sasl_without_smtpd_conf_warns_and_with_saslauthd_outside_the_jail_fails() -> None:
    now = NOT_AFTER - timedelta(days=200)
    found, _ = run(now, overrides=SASL_ON, services=(SMTP, SUBMISSION))
    assert codes(found) == [("warning", "sasl-cyrus-no-config")]
    assert found[0].evidence[0] == "master.cf: submission/inet -o smtpd_sasl_auth_enable=yes"
    conf = b"pwcheck_method: saslauthd\nmech_list: PLAIN LOGIN\n"
    files = DictFiles(
        {CERT: b"c", "/etc/postfix/sasl/smtpd.conf": conf, "/var/run/saslauthd/mux": b""},
        {KEY: stat_info(KEY, mode=0o600)},
    )
    found, _ = run(now, overrides=SASL_ON, services=(SMTP, SUBMISSION), files=files)
    assert codes(found) == [("problem", "sasl-saslauthd-socket")]
    assert "/var/spool/postfix/var/run/saslauthd/mux" in found[0].message
    mux = "/var/spool/postfix/var/run/saslauthd/mux"
    files.stats[mux] = stat_info(mux, "socket")
    found, _ = run(now, overrides=SASL_ON, services=(SMTP, SUBMISSION), files=files)
    assert found == []


def test_dovecot_sasl_needs_its_socket_in_the_queue_directory() -> None:
    now = NOT_AFTER - timedelta(days=200)
    params = {"smtpd_sasl_type": "dovecot", "smtpd_sasl_path": "private/auth"}
    found, _ = run(now, params, overrides=SASL_ON, services=(SMTP, SUBMISSION))
    assert codes(found) == [("problem", "sasl-dovecot-socket")]
    sock = "/var/spool/postfix/private/auth"
    files = DictFiles({CERT: b"c"}, {KEY: stat_info(KEY, mode=0o600), sock: stat_info(sock, "socket")})
    found, _ = run(now, params, overrides=SASL_ON, services=(SMTP, SUBMISSION), files=files)
    assert found == []
    found, _ = run(
        now, {**params, "smtpd_sasl_type": "xsasl"}, overrides=SASL_ON, services=(SMTP, SUBMISSION)
    )
    assert codes(found) == [("problem", "sasl-type-unsupported")]


def test_sasl_client_without_passwords_or_plain_plugin() -> None:
    now = NOT_AFTER - timedelta(days=200)
    found, _ = run(now, {"smtp_sasl_auth_enable": "yes", "smtp_sasl_password_maps": ""})
    assert codes(found) == [("problem", "sasl-client-no-passwords")]
    plugins = "/usr/lib/x86_64-linux-gnu/sasl2"
    files = DictFiles({CERT: b"c", f"{plugins}/libsasldb.so.2": b""}, {KEY: stat_info(KEY, mode=0o600)})
    found, _ = run(
        now,
        {"smtp_sasl_auth_enable": "yes", "smtp_sasl_password_maps": "hash:/etc/postfix/sasl_passwd"},
        files=files,
    )
    assert codes(found) == [("warning", "sasl-client-no-mechanisms")]
    files.contents[f"{plugins}/libplain.so.2"] = b""
    found, _ = run(
        now,
        {"smtp_sasl_auth_enable": "yes", "smtp_sasl_password_maps": "hash:/etc/postfix/sasl_passwd"},
        files=files,
    )
    assert found == []


def test_sasl_tls_section_masks_cyrus_secrets_and_shows_the_key_match() -> None:
    from postfinger_py.collect.sasltls import SaslTlsCollector

    conf = b"pwcheck_method: auxprop\nauxprop_plugin: sql\nsql_passwd: Hunter2\nmech_list: PLAIN\n"
    files = DictFiles({CERT: b"c", "/etc/postfix/sasl/smtpd.conf": conf}, {KEY: stat_info(KEY, mode=0o600)})
    _, facts = run(
        NOT_AFTER - timedelta(days=200), overrides=SASL_ON, services=(SMTP, SUBMISSION), files=files
    )
    section = SaslTlsCollector().collect(facts.ctx)
    [server] = section.data["servers"]
    options = {o["name"]: o["value"] for o in server["options"]}
    assert options == {
        "auxprop_plugin": "sql",
        "mech_list": "PLAIN",
        "pwcheck_method": "auxprop",
        "sql_passwd": "(masked)",
    }
    [cert] = section.data["certificates"]
    assert cert["key_matches"] == "yes" and cert["valid"] == "2026-12-06 to 2028-01-10"
    assert "Hunter2" not in repr(section.data)


def test_sasl_tls_section_of_the_example_site() -> None:
    import json

    from ..helpers import replay

    res = replay("--only", "sasltls", "--format", "json")
    assert res.status == 0, res.stderr
    [section] = json.loads(res.stdout)["sections"]
    [cert] = section["data"]["certificates"]
    assert cert["key_matches"] == "yes" and cert["state"] == "readable"
    assert [s["config"] for s in section["data"]["servers"]] == ["no smtpd.conf found"]
    states = {p["path"]: p["state"] for p in section["data"]["password_files"]}
    assert states["/etc/postfix/sasl_passwd.db"] == "no such file or directory"


def test_each_certificate_and_key_is_read_by_openssl_once_per_run() -> None:
    """The SASL and TLS section and the TLS checks share one openssl read of each file."""
    from postfinger_py.collect.sasltls import SaslTlsCollector

    found, facts = run(NOT_AFTER - timedelta(days=200), services=(SMTP, SUBMISSION))
    section = SaslTlsCollector().collect(facts.ctx)
    found_again = [f for check in CHECKS for f in check(Facts(facts.ctx, list(facts.sections.values())))]
    assert section.data["certificates"][0]["key_matches"] == "yes"
    assert codes(found_again) == codes(found)
    calls = facts.ctx.runner.calls  # type: ignore[attr-defined]
    assert calls.count(X509_ARGV) == 1 and calls.count(PKEY_ARGV) == 1
