"""When all is well, the long lists collapse to a line; when something is wrong, they show whole."""

from __future__ import annotations

from typing import Any

from postfinger_py.render import environment


def render(name: str, data: dict[str, Any]) -> str:
    return str(
        environment().get_template(f"sections/{name}.txt.j2").render(section={"name": name, "data": data})
    )


ROWS = [
    {"ok": True, "actual": "drwx------ postfix:root", "path": "/var/spool/postfix/active"},
    {"ok": True, "actual": "-rwxr-sr-x root:postdrop", "path": "/usr/sbin/postqueue"},
]


def test_permissions_all_ok_is_one_line_and_a_wrong_one_shows_every_row() -> None:
    calm = render("permissions", {"wrong": [], "count": 2, "checked": ROWS})
    assert "All 2 checked paths are as postfix-files expects." in calm
    assert "/usr/sbin/postqueue" not in calm
    bad = dict(ROWS[1], ok=False, actual="-rwxr-xr-x root:root")
    wrong = render(
        "permissions",
        {
            "wrong": [{"path": bad["path"], "actual": bad["actual"], "expected": "-rwxr-sr-x root:postdrop"}],
            "count": 2,
            "checked": [ROWS[0], bad],
        },
    )
    assert "is -rwxr-xr-x root:root, expected -rwxr-sr-x root:postdrop" in wrong
    assert "  BAD -rwxr-xr-x root:root" in wrong and "  ok  drwx------ postfix:root" in wrong


LIBS = [
    {"soname": "libc.so.6", "path": "/lib/x86_64-linux-gnu/libc.so.6", "users": 47},
    {"soname": "libssl.so.3", "path": "/lib/x86_64-linux-gnu/libssl.so.3", "users": 8},
]
NOTABLE = [{"family": "TLS (OpenSSL)", "soname": "libssl.so.3", "path": "/lib/x86_64-linux-gnu/libssl.so.3"}]


def test_libraries_all_resolved_keep_the_notable_ones_and_count_the_rest() -> None:
    calm = render(
        "libraries",
        {"programs_checked": 2, "method": "ldd", "unresolved": [], "notable": NOTABLE, "libraries": LIBS},
    )
    assert "Every library resolves." in calm and "libssl.so.3" in calm
    assert "libc.so.6" not in calm and "The other 1 linked libraries resolve too" in calm
    broken = render(
        "libraries",
        {
            "programs_checked": 2,
            "method": "ldd",
            "unresolved": [{"program": "/usr/lib/postfix/sbin/smtpd", "soname": "libssl.so.3"}],
            "notable": NOTABLE,
            "libraries": LIBS,
        },
    )
    assert "/usr/lib/postfix/sbin/smtpd: libssl.so.3" in broken
    assert "All linked libraries" in broken and "libc.so.6" in broken


SCRIPTS = [
    {"status": "script", "version": "-", "path": f"/usr/lib/postfix/sbin/{n}"}
    for n in ("post-install", "postfix-script")
]


def test_versions_name_normal_scripts_in_one_line_but_list_them_beside_a_real_oddity() -> None:
    base = {"mail_version": "3.7.11", "counts": [], "mismatches": []}
    calm = render("daemons", {**base, "listed": SCRIPTS})
    assert ("2 shell script(s) carry no version stamp, as is normal: post-install, postfix-script") in calm
    odd = {"status": "no stamp", "version": "-", "path": "/usr/sbin/postlog"}
    listed = render("daemons", {**base, "listed": [odd, *SCRIPTS]})
    assert "Programs without a matching stamp:" in listed
    assert listed.index("/usr/sbin/postlog") < listed.index("/usr/lib/postfix/sbin/post-install")


def test_log_problems_show_the_kinds_before_the_first_lines() -> None:
    from ..conftest import EXAMPLE_SNAPSHOT
    from ..helpers import replay

    since = (EXAMPLE_SNAPSHOT.parent / "since").read_text().strip()
    res = replay("--only", "logs", "--since", since, "--nowarn")
    assert res.status == 0, res.stderr
    kinds, first = res.stdout.index("Problem kinds ("), res.stdout.index("problem line(s) (")
    assert kinds < first
    assert "error: unsupported dictionary type: mysql" in res.stdout[kinds:first]
