"""ELF, ldd, /proc/net/tcp, /etc/services and postfix-files parsers."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from postfinger_py.parse.elf import parse_elf, version_stamps
from postfinger_py.parse.ldd import parse_ldd
from postfinger_py.parse.postfix_files import parse_postfix_files, program_paths
from postfinger_py.parse.proc import parse_listeners, parse_services

DATA = Path(__file__).resolve().parent.parent / "data" / "debian12"


def test_version_stamp_is_found_and_deduplicated() -> None:
    blob = b"\x00junk mail_version=3.7.11\x00more mail_version=3.7.11\x00mail_version=3.6.4\x00"
    assert version_stamps(blob) == ("3.7.11", "3.6.4")
    assert version_stamps(b"mail_version=\x00 3.7.11\x00") == ()


def test_elf_needed_matches_readelf() -> None:
    exe = Path(sys.executable).resolve()
    if shutil.which("readelf") is None:
        pytest.skip("readelf (binutils) is not installed to cross-check the ELF parser")
    out = subprocess.run(["readelf", "-d", str(exe)], capture_output=True, text=True).stdout
    expected = tuple(line.split("[", 1)[1].rstrip("]") for line in out.splitlines() if "(NEEDED)" in line)
    info = parse_elf(str(exe), exe.read_bytes())
    assert info.kind == "elf"
    assert info.needed == expected
    assert info.elf_class in (32, 64)


def test_non_elf_inputs_never_raise() -> None:
    assert parse_elf("x", b"#!/bin/sh\necho hi\n").kind == "script"
    assert parse_elf("x", b"plain text").kind == "other"
    broken = parse_elf("x", b"\x7fELF\x02\x01" + b"\xff" * 100)
    assert broken.kind == "elf" and broken.problem.startswith("malformed ELF")
    assert parse_elf("x", b"").kind == "other"


def test_ldd_output_without_addresses() -> None:
    libs = dict(parse_ldd((DATA / "ldd-smtpd.txt").read_text()))
    assert libs["libpostfix-global.so"] == "/usr/lib/postfix/libpostfix-global.so"
    assert "linux-vdso.so.1" not in libs
    assert any(name.startswith("ld-linux") for name in libs)
    assert parse_ldd("\tlibfoo.so.1 => not found\n") == [("libfoo.so.1", None)]


def test_listeners_from_proc() -> None:
    listeners = parse_listeners((DATA / "proc-net-tcp.txt").read_text())
    assert ("127.0.0.1", 25, listeners[0][2]) in listeners
    assert {p for _a, p, _i in listeners} >= {25, 587, 2525}
    v6 = (
        "  sl  local_address ...\n   0: 00000000000000000000000001000000:0019 "
        "00000000000000000000000000000000:0000 0A 0:0 00:0 0 0 0 123 1\n"
    )
    assert parse_listeners(v6) == [("::1", 25, 123)]


def test_services_names() -> None:
    ports = parse_services("smtp 25/tcp mail\nsubmission 587/tcp\nfoo 9/udp\n# c\n")
    assert ports == {"smtp": 25, "mail": 25, "submission": 587}


def test_postfix_files_programs_and_modes() -> None:
    params = {
        "daemon_directory": "/usr/lib/postfix/sbin",
        "command_directory": "/usr/sbin",
        "shlib_directory": "/usr/lib/postfix",
        "queue_directory": "/var/spool/postfix",
        "sendmail_path": "/usr/sbin/sendmail",
        "mail_owner": "postfix",
        "setgid_group": "postdrop",
        "meta_directory": "/etc/postfix",
        "config_directory": "/etc/postfix",
        "data_directory": "/var/lib/postfix",
    }
    entries = parse_postfix_files((DATA / "postfix-files").read_text(), params)
    maildrop = next(e for e in entries if e.path == "/var/spool/postfix/maildrop")
    assert (maildrop.owner, maildrop.group, maildrop.mode) == ("postfix", "postdrop", "730")
    programs = program_paths(entries, params)
    assert "/usr/lib/postfix/sbin/smtpd" in programs
    assert "/usr/sbin/postqueue" in programs
    assert "/usr/sbin/sendmail" in programs
    assert not any(p.endswith("main.cf") for p in programs)


def test_listening_endpoints_are_written_as_postfix_writes_them() -> None:
    from postfinger_py.collect.processes import endpoint

    assert endpoint("127.0.0.1", 25) == "127.0.0.1:25"
    assert endpoint("::1", 25) == "[::1]:25"
    assert endpoint("::", 587) == "[::]:587"
