"""Two CPUs, one result: apply_in_halves equals the one-CPU path, output and engine state."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from postfinger_py.anonymize import learn
from postfinger_py.anonymize.engine import Engine
from postfinger_py.anonymize.parallel import apply_in_halves, can_fork

from .conftest import SITE, read

pytestmark = pytest.mark.skipif(not can_fork(), reason="needs os.fork and a single thread")
KEY = bytes(range(32))


def _engine(text: str, parallel_min: int) -> Engine:
    e = Engine(KEY)
    e.learn_host(SITE["hostname"], is_own_host=True)
    learn.learn_free_text(e, text)
    e.freeze()
    e.parallel_min = parallel_min
    return e


def _state(e: Engine) -> list[object]:
    return list(e.state.snapshot())


def _children() -> list[str]:
    """This process's children (none may be left behind)."""
    path = Path(f"/proc/self/task/{os.getpid()}/children")
    if path.exists():
        return path.read_text().split()
    try:  # kernels without that file: ask the kernel for any child at all
        pid, _ = os.waitpid(-1, os.WNOHANG)
        return [str(pid)] if pid else ["(running)"]
    except ChildProcessError:
        return []


@pytest.mark.parametrize("name", ["postfix.log", "pin-input.txt"])
def test_halves_equal_one_cpu(name: str) -> None:
    text = read(name) * 3
    two, one = _engine(text, 1), _engine(text, 10**12)
    assert two.apply(text) == one.apply(text) == _engine(text, 10**12).apply_by_regex(text)
    assert _state(two) == _state(one)  # the merged state is the sequential state, in order
    assert two.apply(text[:5000]) == one.apply(text[:5000])  # and later calls agree too
    assert _children() == []


def test_child_result_is_used_and_rewritten_entries_come_back() -> None:
    """The parent does only the first half (so a broken child would show), and an entry the
    child rewrites (10.1.2.0 as a network, then as an address) is merged as rewritten."""
    text = "a\n" * 40 + "host 10.1.2.0 from mx1.bluefinch-logistics.de\n"
    two, one = _engine(text, 1), _engine(text, 10**12)
    for e in (two, one):
        e.apply("net 10.1.2.0/24\n")
    here: list[int] = []

    def apply_recording(part: str) -> str:
        here.append(len(part))
        return two._apply_masked(part)

    assert apply_in_halves(two.state, text, apply_recording) == one.apply(text)
    assert here == [text.find("\n", len(text) // 2) + 1]  # the first half only
    assert _state(two) == _state(one)


@pytest.mark.parametrize(
    "before, first, second",
    [
        ("net 10.1.2.0/24", "host 10.1.2.0", "net 010.1.2.0/24"),
        ("net fd12:3456::/64", "host fd12:3456::", "net FD12:3456::/64"),  # written back as before
        ("net fd12:3456::/64", "host fd12:3456::", "net fd12:3456:0::/64"),
    ],
)
def test_entries_rewritten_in_both_halves_end_as_in_one_pass(before: str, first: str, second: str) -> None:
    text = first + "\n" + "a\n" * 40 + second + "\n"
    two, one = _engine("", 1), _engine("", 10**12)
    for e in (two, one):
        e.apply(before + "\n")
    assert two.apply(text) == one.apply(text)
    assert _state(two) == _state(one)


def test_collisions_across_halves_fall_back_to_one_cpu() -> None:
    # User names of one letter and three digits have 26,000 possible replacements: 1000 of
    # them in each half collide across the halves (some 38 times, by the birthday bound).
    lines = [
        f"Nov 21 00:00:{i % 60:02d} mx1 postfix/smtpd[{i}]: client=h[10.0.0.1], "
        f"sasl_username={'a' if i < 1000 else 'b'}{i % 1000:03d}"
        for i in range(2000)
    ]
    text = "\n".join(lines) + "\n"
    two, one = _engine(text, 1), _engine(text, 10**12)
    assert two.apply(text) == one.apply(text)
    assert _state(two) == _state(one)
    # The fallback was needed: what the child computes alone disagrees with the first half.
    cut = text.find("\n", len(text) // 2) + 1
    first, child = _engine(text, 10**12), _engine(text, 10**12)
    first.apply(text[:cut])
    child.apply(text[cut:])
    delta = {
        "labels": list(child.state.labels.forward.items()),
        "users": list(child.state.users.forward.items()),
    }
    assert not first.state.agrees_with(delta)


def test_consistency_rule() -> None:
    e = _engine("", 1)
    e.state.labels.record(("example.de", "mail"), "qxzt", "mail")
    assert e.state.labels.taken == {("example.de", "qxzt"): "mail"}
    same = {"labels": [(("example.de", "mail"), "qxzt")], "users": []}
    other = {"labels": [(("example.de", "mail"), "abcd")], "users": []}
    taken = {"labels": [(("example.de", "post"), "qxzt")], "users": []}
    free = {"labels": [(("example.de", "post"), "abcd"), (("other.de", "x"), "qxzt")], "users": []}
    assert e.state.agrees_with(same) and e.state.agrees_with(free)
    assert not e.state.agrees_with(other) and not e.state.agrees_with(taken)
    e.state.users.record("frank", "qwert", "frank")
    assert not e.state.agrees_with({"labels": [], "users": [("anna", "qwert")]})
    assert e.state.agrees_with({"labels": [], "users": [("anna", "zuiop")]})


def test_failing_child_means_the_second_half_is_done_here() -> None:
    text = read("postfix.log") * 2
    parent = os.getpid()
    e, ref = _engine(text, 1), _engine(text, 10**12)

    def apply_here_only(part: str) -> str:
        if os.getpid() != parent:
            raise RuntimeError("the child fails")
        return e._apply_masked(part)

    assert apply_in_halves(e.state, text, apply_here_only) == ref.apply(text)
    assert _state(e) == _state(ref)
    assert _children() == []


def test_default_threshold_on_a_log_of_two_megabytes() -> None:
    text = read("postfix.log")
    text = text * (2_100_000 // len(text) + 1)
    e = _engine(text, 10**12)
    default = Engine(KEY).parallel_min
    assert len(text) >= default
    two = _engine(text, default)
    assert two.apply(text) == e.apply(text)


@pytest.mark.parametrize("where", ["none", "first", "second", "both", "cut", "substring"])
def test_leak_check_in_halves_finds_what_one_pass_finds(where: str) -> None:
    from postfinger_py.anonymize.leak import LeakChecker
    from postfinger_py.anonymize.parallel import in_halves

    log = read("postfix.log")
    e = _engine(log, 10**12)
    out = e.apply(log)
    lines = (out * 4).splitlines(keepends=True)
    half = len(lines) // 2
    leak = "relay=db7.bluefinch-logistics.de[10.1.1.1] user j.meier\n"
    if where in ("first", "both"):
        lines.insert(3, leak)
    if where in ("second", "both"):
        lines.insert(len(lines) - 3, leak.replace("db7", "mail"))
    if where == "cut":
        lines.insert(half + 1, leak)
    if where == "substring":  # the first mention of mx1 is inside another word
        lines[:0] = ["xmx1y\n", "j.meier\n"]
        lines.append("mx1\n")
    text = "".join(lines)
    e.learn_host("db7.bluefinch-logistics.de")
    e.learn_user("j.meier")
    e.learn_short_host("mx1")
    checker = LeakChecker(e)
    here: list[int] = []

    def found_recording(part: str) -> list:
        here.append(len(part))
        return checker._found(part)

    mine, theirs = in_halves(found_recording, text)
    one = checker._first(text, checker._found(text))
    assert checker._first(text, mine + theirs) == one
    assert here == [text.find("\n", len(text) // 2) + 1]  # the child did the second half
    assert (one is None) == (where == "none")
    if where == "substring":
        assert one == ("host name", 1)
    assert _children() == []


def test_the_halves_are_never_cut_inside_a_soft_line_break() -> None:
    from postfinger_py.anonymize.parallel import _cut

    text = "p" * 100 + "\nTo: info@acme-rob=\notics.com\n" + "s" * 100 + "\n"
    assert text.find("\n", len(text) // 2) == text.index("rob=") + 4  # the middle's line end
    cut = _cut(text)
    assert text[:cut].endswith("\notics.com\n")  # moved past the line that ends in `=`
    crlf = text.replace("\n", "\r\n")
    assert crlf[: _cut(crlf)].endswith("otics.com\r\n")
    assert _cut("a=\nb=\nc=\n") == 0  # no line end to cut at that is not a soft break
