"""Pure helpers inside the Foundation collectors and delivery."""

from __future__ import annotations

from datetime import datetime, timezone

from postfinger_py.collect.daemons import classify
from postfinger_py.collect.libraries import family
from postfinger_py.collect.processes import inet_ports
from postfinger_py.collect.queue_perms import mode_problems
from postfinger_py.collect.system import parse_os_release
from postfinger_py.deliver.bundle import build_tar_gz, read_members
from postfinger_py.deliver.mail import valid_address
from postfinger_py.parse.elf import BinaryInfo


def test_os_release() -> None:
    text = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\n# c\nID=debian\n'
    info = parse_os_release(text)
    assert info["PRETTY_NAME"] == "Debian GNU/Linux 12 (bookworm)" and info["ID"] == "debian"


def test_inet_ports_from_master_cf_names() -> None:
    services = [
        {"service": "smtp", "type": "inet"},
        {"service": "127.0.0.1:2525", "type": "inet"},
        {"service": "[::1]:10025", "type": "inet"},
        {"service": "pickup", "type": "unix"},
        {"service": "nosuchname", "type": "inet"},
    ]
    assert inet_ports(services, {"smtp": 25}) == {25: "smtp", 2525: "127.0.0.1:2525", 10025: "[::1]:10025"}


def test_mode_problems_like_postfix_check() -> None:
    # Debian's choices are not problems: sticky maildrop, set-gid public, 2555 tools.
    assert mode_problems("d", 0o730, 0o1730) == []
    assert mode_problems("d", 0o710, 0o2710) == []
    assert mode_problems("f", 0o2755, 0o2555) == []
    assert mode_problems("d", 0o700, 0o755) == []  # more readable is not broken
    # What breaks Postfix or opens the queue is.
    assert mode_problems("f", 0o2755, 0o755) == ["set-gid bit missing"]
    assert mode_problems("d", 0o730, 0o700) == ["mode 0700 lacks 0030"]
    assert mode_problems("d", 0o700, 0o777) == ["mode 0777 gives write access to group"]
    assert mode_problems("d", 0o700, 0o702) == ["mode 0702 gives write access to others"]


def test_version_classification() -> None:
    assert classify(BinaryInfo("/x/smtpd", "elf", ("3.7.11",)), "3.7.11") == "ok"
    assert classify(BinaryInfo("/x/smtpd", "elf", ("3.6.4",)), "3.7.11") == "MISMATCH"
    assert classify(BinaryInfo("/x/smtpd", "elf", ("3.7.11", "3.6.4")), "3.7.11") == "MISMATCH"
    assert classify(BinaryInfo("/x/postfix-script", "script"), "3.7.11") == "script"
    assert classify(BinaryInfo("/x/libpostfix-util.so", "elf"), "3.7.11") == "library"
    assert classify(BinaryInfo("/x/tool", "elf"), "3.7.11") == "no stamp"
    assert classify(BinaryInfo("/x/t", "unreadable", problem="denied"), "3.7.11") == "unreadable"


def test_library_families() -> None:
    assert family("libdb-5.3.so") == "Berkeley DB"
    assert family("liblmdb.so.0") == "LMDB"
    assert family("libssl.so.3") == "TLS (OpenSSL)"
    assert family("libsasl2.so.2") == "SASL"
    assert family("libc.so.6") is None


def test_bundle_is_deterministic() -> None:
    when = datetime(2026, 11, 21, 22, 0, tzinfo=timezone.utc)
    members = [("report.txt", b"a"), ("manifest.json", b"{}")]
    first, second = build_tar_gz(members, when), build_tar_gz(members, when)
    assert first == second
    assert read_members(first) == {"report.txt": b"a", "manifest.json": b"{}"}


def test_mail_addresses() -> None:
    assert valid_address("admin@example.org") and valid_address("root")
    for bad in ("-oi", "a b@example.org", "<x@y>", "x@y,z@w", ""):
        assert not valid_address(bad), bad
