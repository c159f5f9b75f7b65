"""Chroot checks on recorded input: the jail's /etc copies, chrooted local/virtual/pipe, /dev/log."""

from __future__ import annotations

from postfinger_py.findings import Finding
from postfinger_py.findings.chroot import chrooted, jail_copies, log_socket, unjailable
from postfinger_py.findings.facts import Facts

from .fakes import DictFiles, facts, maincf, mastercf, service, stat_info

Q = "/var/spool/postfix"
HOST = {
    "/etc/resolv.conf": b"nameserver 10.255.255.53\n",
    "/etc/hosts": b"127.0.0.1\tlocalhost\n",
    "/etc/services": b"smtp\t\t25/tcp\t\tmail\n",
    "/etc/nsswitch.conf": b"hosts:          files dns\n",
    "/etc/localtime": b"TZif2\x00\x00\x00UTC\n",
}
# Debian 12's stock master.cf, the columns that matter here.
DEBIAN_MASTER = [
    service("smtp", "inet", "smtpd"),
    service("pickup", command="pickup"),
    service("cleanup", command="cleanup"),
    service("qmgr", command="qmgr", chroot="n"),
    service("smtp", command="smtp"),
    service("relay", command="smtp"),
    service("local", command="local", chroot="n"),
    service("virtual", command="virtual", chroot="n"),
    service("maildrop", command="pipe", chroot="n"),
]
DEBIAN_PARAMS = {"queue_directory": Q, "mail_version": "3.7.11", "maillog_file": ""}


def jail(contents: dict[str, bytes]) -> dict[str, bytes]:
    return {f"{Q}{path}": data for path, data in contents.items()}


def debian(
    files: DictFiles, services: list[dict] | None = None, params: dict[str, str] | None = None
) -> Facts:
    return facts(
        [maincf({}), mastercf(services if services is not None else DEBIAN_MASTER)],
        files=files,
        effective={**DEBIAN_PARAMS, **(params or {})},
    )


def all_checks(f: Facts) -> list[Finding]:
    return [*jail_copies(f), *unjailable(f), *log_socket(f)]


def test_debian_stock_with_the_jail_copied_and_rsyslogs_socket_has_no_finding() -> None:
    files = DictFiles({**HOST, **jail(HOST)}, {f"{Q}/dev/log": stat_info(f"{Q}/dev/log", "socket")})
    assert all_checks(debian(files)) == []


def test_debian_stock_under_journald_alone_is_at_most_a_note() -> None:
    found = all_checks(debian(DictFiles({**HOST, **jail(HOST)})))
    assert [(f.severity, f.code) for f in found] == [("note", "chroot-no-log-socket")]
    assert f"{Q}/dev/log: missing" in found[0].evidence


def test_an_empty_jail_warns_for_resolv_conf_and_notes_the_rest() -> None:
    found = list(jail_copies(debian(DictFiles(HOST))))
    assert [(f.severity, f.code) for f in found] == [
        ("warning", "chroot-jail-missing"),
        ("note", "chroot-jail-missing"),
    ]
    assert found[0].evidence == (f"{Q}/etc/resolv.conf: missing (/etc/resolv.conf exists)",)
    assert "unknown[...]" in found[0].message
    assert "the chrooted relay/unix, smtp/inet, smtp/unix cannot" in found[0].message
    assert [e.split(":")[0] for e in found[1].evidence] == [
        f"{Q}/etc/hosts",
        f"{Q}/etc/services",
        f"{Q}/etc/nsswitch.conf",
        f"{Q}/etc/localtime",
    ]


def test_a_stale_copy_is_found_by_its_hash_not_its_size() -> None:
    copies = jail(HOST)
    copies[f"{Q}/etc/resolv.conf"] = b"nameserver 10.255.255.54\n"  # same length, other server
    copies[f"{Q}/etc/hosts"] = b"127.0.0.1\tlocalhost\n# old\n"
    found = list(jail_copies(debian(DictFiles({**HOST, **copies}))))
    assert [(f.severity, f.code) for f in found] == [
        ("warning", "chroot-jail-stale"),
        ("note", "chroot-jail-stale"),
    ]
    assert found[0].evidence == (f"{Q}/etc/resolv.conf: sha256 differs from /etc/resolv.conf",)
    assert found[1].evidence == (f"{Q}/etc/hosts: sha256 differs from /etc/hosts",)


def test_a_file_the_host_lacks_is_not_expected_in_the_jail() -> None:
    host = {k: v for k, v in HOST.items() if k != "/etc/nsswitch.conf"}
    assert list(jail_copies(debian(DictFiles({**host, **jail(host)})))) == []


def test_resolv_conf_missing_is_only_a_note_when_no_chrooted_daemon_resolves_names() -> None:
    services = [service("pickup", command="pickup"), service("smtp", "inet", "smtpd", chroot="n")]
    [found] = jail_copies(debian(DictFiles(HOST), services))
    assert found.severity == "note"
    assert f"{Q}/etc/resolv.conf: missing (/etc/resolv.conf exists)" in found.evidence


def test_nothing_chrooted_means_no_jail_to_check() -> None:
    services = [service("smtp", "inet", "smtpd", chroot="n"), service("local", command="local", chroot="-")]
    assert all_checks(debian(DictFiles(HOST), services)) == []


def test_dash_means_chrooted_only_before_postfix_3() -> None:
    svc = service("local", command="local", chroot="-")
    assert chrooted(svc, "2.11.3") and not chrooted(svc, "3.7.11")


def test_chrooted_local_virtual_and_pipe_say_why() -> None:
    services = [
        service("local", command="local"),
        service("virtual", command="virtual"),
        service("maildrop", command="pipe"),
        service("smtp", "inet", "smtpd"),
    ]
    found = list(unjailable(debian(DictFiles(), services)))
    assert [(f.severity, f.code) for f in found] == [
        ("problem", "chrooted-local"),
        ("problem", "chrooted-virtual"),
        ("warning", "chrooted-pipe"),
    ]
    assert found[0].evidence == ("master.cf: local/unix chroot=y (local)",)
    assert "home directories" in found[0].message
    assert "postconf -F local/unix/chroot=n" in found[0].action


def test_no_log_socket_needed_when_postlogd_writes_the_log() -> None:
    f = debian(DictFiles({**HOST, **jail(HOST)}), params={"maillog_file": "/var/log/postfix.log"})
    assert list(log_socket(f)) == []


def test_an_unreadable_jail_file_is_a_note_of_the_section_not_a_finding() -> None:
    f = debian(DictFiles({**HOST, **jail(HOST)}, denied=[f"{Q}/etc/hosts"]))
    assert list(jail_copies(f)) == []
    assert f.notes == [f"chroot check: cannot read {Q}/etc/hosts: permission denied"]
