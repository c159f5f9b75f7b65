"""System checks on recorded input: daemon versions, inet_interfaces, who holds port 25."""

from __future__ import annotations

from collections.abc import Sequence

from postfinger_py.findings import Finding
from postfinger_py.findings.facts import Facts
from postfinger_py.findings.system import (
    inet_interfaces,
    listeners_missing,
    mixed_versions,
    port25,
)
from postfinger_py.runner import CommandResult

from ..helpers import FakeRunner
from .fakes import DictFiles, facts, maincf, mastercf, section, service

HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"


def tcp_line(n: int, hexaddr: str, inode: int, state: str = "0A") -> str:
    return (
        f"   {n}: {hexaddr} 00000000:0000 {state} 00000000:00000000 00:00000000 00000000     "
        f"0        0 {inode} 1 000000000ec5eaca 100 0 0 10 0\n"
    )


# Recorded on the test site: 127.0.0.1:25 (inode 258870) and 127.0.0.1:2525, plus sshd's 0.0.0.0:22.
TCP = (
    HEADER
    + tcp_line(0, "0100007F:0019", 258870)
    + tcp_line(1, "0100007F:09DD", 258874)
    + tcp_line(2, "00000000:0016", 632)
    + tcp_line(3, "0100007F:0019", 999, state="01")
)
TCP6 = HEADER
MASTER = 28204
SMTP = [service("smtp", "inet", "smtpd"), service("pickup", command="pickup")]


def find_argv(pids: Sequence[int]) -> tuple[str, ...]:
    return (
        "find",
        *(f"/proc/{p}/fd" for p in pids),
        "-maxdepth",
        "1",
        "-lname",
        "socket:*",
        "-printf",
        "%h %l\\n",
    )


def holders(*pairs: tuple[int, int]) -> str:
    return "".join(f"/proc/{pid}/fd socket:[{inode}]\n" for pid, inode in pairs)


def site(
    answers: dict[tuple[str, ...], str | CommandResult],
    contents: dict[str, bytes] | None = None,
    master: str = "running",
    services: list[dict] | None = None,
    tcp: str = TCP,
    euid: int = 0,
) -> Facts:
    files = DictFiles(
        {
            "/proc/net/tcp": tcp.encode(),
            "/proc/net/tcp6": TCP6.encode(),
            f"/proc/{MASTER}/comm": b"master\n",
            **(contents or {}),
        }
    )
    processes = section("processes", {"master": {"state": master, "pid": MASTER, "detail": ""}})
    return facts(
        [maincf({}), mastercf(services if services is not None else SMTP), processes],
        runner=FakeRunner(dict(answers)),
        files=files,
        euid=euid,
        effective={"inet_interfaces": "all", "mail_version": "3.7.11"},
    )


def test_master_holds_port_25_no_finding_and_only_masters_fds_are_read() -> None:
    f = site({find_argv([MASTER]): holders((MASTER, 258778), (MASTER, 258870))})
    assert list(port25(f)) == []
    assert f.notes == []
    runner = f.ctx.runner
    assert isinstance(runner, FakeRunner)
    assert runner.calls == [find_argv([MASTER])]


def test_another_mta_on_port_25_is_a_problem() -> None:
    # master runs but holds only 2525; exim4 (pid 912) has port 25.
    pids = [1, 912, MASTER]
    answers: dict[tuple[str, ...], str | CommandResult] = {
        find_argv([MASTER]): holders((MASTER, 258874)),
        find_argv(pids): holders((MASTER, 258874), (912, 258870)),
    }
    contents = {
        "/proc/1/comm": b"init\n",
        "/proc/912/comm": b"exim4\n",
        **{f"/proc/{p}/fd/0": b"" for p in pids},
    }
    [one] = port25(site(answers, contents))
    assert (one.severity, one.code) == ("problem", "port25-not-postfix")
    assert "exim4 (pid 912)" in one.message
    assert one.evidence == ("port 25 127.0.0.1: held by pid 912 exim4",)


def test_unprivileged_it_says_what_it_could_not_see_and_alarms_nobody() -> None:
    denied = CommandResult(
        find_argv([MASTER]), 1, stdout="", stderr=f"find: '/proc/{MASTER}/fd': Permission denied\n"
    )
    pids = [1, MASTER]
    denied_all = CommandResult(
        find_argv(pids),
        1,
        stdout="",
        stderr=f"find: '/proc/1/fd': Permission denied\nfind: '/proc/{MASTER}/fd': Permission denied\n",
    )
    contents = {f"/proc/{p}/fd/0": b"" for p in pids}
    f = site({find_argv([MASTER]): denied, find_argv(pids): denied_all}, contents, euid=65534)
    assert list(port25(f)) == []
    assert f.notes == [
        "port 25 check: cannot tell which process listens on 127.0.0.1 port 25: "
        "/proc/PID/fd of 2 process(es) is not readable (postfinger ran as uid "
        "65534; run it as root to see them)"
    ]


def test_nothing_on_port_25_while_master_runs_with_an_smtp_service() -> None:
    tcp = HEADER + tcp_line(0, "0100007F:09DD", 258874)
    [one] = port25(site({}, tcp=tcp))
    assert (one.severity, one.code) == ("warning", "port25-nothing-listens")
    assert one.evidence[0] == "master.cf: smtp/inet smtpd"
    # A stopped Postfix, or no smtp service: nothing to expect.
    assert list(port25(site({}, tcp=tcp, master="stopped"))) == []
    assert list(port25(site({}, tcp=tcp, services=[service("pickup", command="pickup")]))) == []


def test_unreadable_proc_net_tcp_is_a_note() -> None:
    f = facts(
        [maincf({}), mastercf(SMTP)],
        files=DictFiles(denied=["/proc/net/tcp", "/proc/net/tcp6"]),
        effective={"inet_interfaces": "all"},
    )
    assert list(port25(f)) == []
    assert f.notes and f.notes[0].startswith("port 25 check: cannot read /proc/net/tcp")


def test_mixed_daemon_versions_from_the_daemons_section() -> None:
    daemons = section(
        "daemons",
        {
            "mail_version": "3.7.11",
            "mismatches": [
                {
                    "path": "/usr/lib/postfix/sbin/smtpd",
                    "version": "3.5.18",
                    "status": "MISMATCH",
                    "problem": "",
                }
            ],
        },
    )
    [one] = mixed_versions(facts([daemons]))
    assert (one.severity, one.code) == ("problem", "mixed-daemon-versions")
    assert one.evidence == ("postconf: mail_version = 3.7.11", "/usr/lib/postfix/sbin/smtpd: 3.5.18")
    same = section("daemons", {"mail_version": "3.7.11", "mismatches": []})
    assert list(mixed_versions(facts([same]))) == []


SITE_PARAMS = {
    "myhostname": "mx1.example.de",
    "mydomain": "example.de",
    "mydestination": "mx1.example.de, localhost.example.de, localhost, example.de",
    "virtual_alias_domains": "example.eu",
    "virtual_mailbox_domains": "",
    "relay_domains": "",
}


def interfaces(value: str, params: dict[str, str], services: list[dict]) -> list[Finding]:
    main = {"inet_interfaces": value, **{k: v for k, v in params.items() if v}}
    return list(
        inet_interfaces(
            facts([maincf(main), mastercf(services)], effective={**params, "inet_interfaces": value})
        )
    )


def test_loopback_only_while_serving_domains_is_a_careful_note() -> None:
    [one] = interfaces("loopback-only", SITE_PARAMS, SMTP)
    assert (one.severity, one.code) == ("note", "inet-interfaces-loopback")
    assert "(example.de, example.eu)" in one.message
    assert "if it arrives another way" in one.message
    assert [e.split(" =")[0] for e in one.evidence] == [
        "main.cf: inet_interfaces",
        "main.cf: mydestination",
        "main.cf: virtual_alias_domains",
    ]
    assert len(interfaces("127.0.0.1, [::1]", SITE_PARAMS, SMTP)) == 1


def test_inet_interfaces_no_note_for_a_local_only_host_or_explicit_listeners() -> None:
    # Debian's "Local only": loopback, and mydestination only names this host.
    local = {
        **SITE_PARAMS,
        "mydestination": "mx1.example.de, localhost.example.de, localhost",
        "virtual_alias_domains": "",
    }
    assert interfaces("loopback-only", local, SMTP) == []
    # An explicit host:port listener binds where it says: inet_interfaces does not apply.
    explicit = [service("127.0.0.1:2525", "inet", "smtpd")]
    assert interfaces("loopback-only", SITE_PARAMS, explicit) == []
    assert interfaces("all", SITE_PARAMS, SMTP) == []
    assert interfaces("192.0.2.10", SITE_PARAMS, SMTP) == []


def test_a_master_cf_listener_nothing_listens_on_is_a_problem() -> None:
    missing = [{"port": 2528, "service": "127.0.0.1:2528"}, {"port": 25, "service": "smtp"}]
    processes = section("processes", {"master": {"state": "running", "pid": MASTER}, "missing": missing})
    found = list(listeners_missing(facts([processes])))
    # Port 25 is the port25 check's; 2528 is this one's.
    assert [(f.code, f.severity) for f in found] == [("listener-missing", "problem")]
    assert "127.0.0.1:2528/inet (port 2528)" in found[0].message
    assert "postfix reload" in found[0].action
    stopped = section("processes", {"master": {"state": "stopped"}, "missing": missing})
    assert list(listeners_missing(facts([stopped]))) == []
