"""`postfinger anonymize` on public-log-shaped lines of many programs: printed (exit 0), no original left."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

LOGS = Path(__file__).resolve().parent / "data" / "public-logs"

# Site values in those logs that must never survive (third-party public names may).
ORIGINALS = {
    "fail2ban-postfix.log": ["dom.tld", "1.2.3.4", "badhost", "114.44.142.233"],
    "roundcube.log": ["a@b.com", "@b.com", "c@d.com", "1.2.3.4", "acme-widgets", "admin@"],
    "postfix-rdns.log": ["207.45.176.102", "85.214.110.3", "stratoserver"],
    "dovecot.log": ["corp.internal", "10.20.30.40", "jdoe@corp"],
    "amavis.log": ["hofmann-bau", "shopmail", "anna.berg", "198.18.7.9", "cheap-pills"],
    "opendkim.log": ["hofmann-bau", "hofmannbau", "209.85.218.41"],
    "postscreen.log": ["89.248.165.52", "2a01:4f8:c17:1234::2", "hofmann-bau", "anna.berg"],
}


def _anonymize(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "postfinger_py", "anonymize", "--anon-key", str(tmp_path / "key"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("name", sorted(ORIGINALS))
def test_public_log_is_printed_without_originals(name: str, tmp_path: Path) -> None:
    res = _anonymize([str(LOGS / name)], tmp_path)
    assert res.returncode == 0, res.stderr
    out = res.stdout.lower()
    assert out.count("\n") == (LOGS / name).read_text().count("\n")
    for value in ORIGINALS[name]:
        assert value.lower() not in out, (name, value)


def test_all_logs_at_once(tmp_path: Path) -> None:
    res = _anonymize([str(p) for p in sorted(LOGS.iterdir())], tmp_path)
    assert res.returncode == 0, res.stderr
    for values in ORIGINALS.values():
        for value in values:
            assert value.lower() not in res.stdout.lower(), value


def test_keep_is_honoured_by_the_leak_check(tmp_path: Path) -> None:
    log = tmp_path / "kept.log"
    log.write_text(
        "Dec  6 10:00:01 mx1 postfix/smtp[123]: 4F1A2B3C4D: to=<ops@mail.kestrel-logistics.co.uk>, "
        "relay=mail.kestrel-logistics.co.uk[81.2.69.160]:25, delay=1.2, status=sent (250 OK)\n"
        "Dec  6 10:00:02 mx1 postfix/smtpd[124]: connect from kestrel-logistics.co.uk"
        "[81.2.69.161]\n"
    )
    res = _anonymize(["--keep", r"kestrel-logistics\.co\.uk", str(log)], tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stdout.count("kestrel-logistics.co.uk") == 3
    assert "mail.kestrel" not in res.stdout and "81.2.69.16" not in res.stdout
