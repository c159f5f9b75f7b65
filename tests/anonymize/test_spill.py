"""What the anonymizer remembers, moved to disk between parts: a dict's behaviour, the same
output byte for byte, a private file that is gone afterwards, and a leak check that still finds
what it looks for on disk."""

from __future__ import annotations

import io
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from postfinger_py.anonymize import AnonSettings, PartFilter
from postfinger_py.anonymize.engine import Engine
from postfinger_py.anonymize.leak import LeakChecker
from postfinger_py.anonymize.parallel import in_halves
from postfinger_py.anonymize.spill import (
    SpillSet,
    SpillStore,
    added_since,
    first_with_prefix,
    in_order,
    lookup_many,
)
from postfinger_py.commands.anonymize import _Input, _learn, _replace_all
from postfinger_py.errors import PostfingerError

from .conftest import read
from .leaks_helpers import KEY_HEX, live_context, site
from .test_stream import LOGS, MAIN_CF, REPEATED, _leaking_input, _log, _run

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("tuple_keys", [False, True])
def test_a_spill_dict_is_a_dict_whatever_was_spilled(tmp_path: Path, tuple_keys: bool) -> None:
    store = SpillStore(str(tmp_path), limit=7)
    spilled = store.new_dict("t", tuple_keys=tuple_keys)
    plain: dict[object, str] = {}
    rng = random.Random(5)

    def key(i: int) -> object:
        return ("parent.de", f"k{i}") if tuple_keys else f"k{i}"

    for step in range(600):
        k = key(rng.randrange(120))
        op = rng.random()
        if op < 0.5:
            spilled[k] = plain[k] = f"v{step}"  # new keys and rewritten ones
        elif op < 0.6:
            assert spilled.setdefault(k, f"d{step}") == plain.setdefault(k, f"d{step}")
        else:
            assert spilled.get(k) == plain.get(k)
            assert (k in spilled) == (k in plain)
        if rng.random() < 0.05:
            store.spill()
        assert len(spilled) == len(plain)
    assert any(d.on_disk for d in store.dicts), "nothing was spilled: the test proves nothing"
    assert list(spilled) == list(plain)  # insertion order, a rewritten key in its first place
    assert list(reversed(spilled)) == list(reversed(plain))
    assert list(spilled.items()) == list(plain.items())
    some = [key(i) for i in range(0, 150, 3)]
    assert lookup_many(spilled, some) == lookup_many(plain, some)
    with pytest.raises(KeyError):
        spilled[key(999)]


def test_the_state_file_is_private(tmp_path: Path) -> None:
    store = SpillStore(str(tmp_path), limit=1)
    d = store.new_dict("t")
    d["alice"] = "qkzmx"
    assert store.spill()
    assert oct(os.stat(store.path).st_mode & 0o777) == "0o600"
    assert d.on_disk == 1 and not d.mem and d["alice"] == "qkzmx"
    store.close()


def test_a_forked_child_reads_the_spilled_state(tmp_path: Path) -> None:
    store = SpillStore(str(tmp_path), limit=1)
    d = store.new_dict("t")
    for i in range(50):
        d[f"k{i}"] = f"v{i}"
    store.spill()
    d["k49"] = "rewritten"  # in memory, over its row on disk

    def look(text: str) -> list[str]:
        return [f"{os.getpid()}:{d.get(k)}" for k in text.split()]

    mine, theirs = in_halves(look, "k10 k20 k30\n" * 11 + "k48 k49 zzz\n" * 10)  # cut between
    assert {v.split(":", 1)[1] for v in mine} == {"v10", "v20", "v30"}
    assert {v.split(":", 1)[1] for v in theirs} == {"v48", "rewritten", "None"}
    assert {v.split(":")[0] for v in theirs} != {str(os.getpid())}, "the second half ran here"
    assert d.get("k3") == "v3"  # the parent's connection still works after the child's
    store.close()


def test_spilled_parts_give_the_same_bytes_as_one_piece(tmp_path: Path) -> None:
    paths = [str(p) for p in sorted(LOGS.iterdir())] + [str(_log(tmp_path, read("postfix.log") + REPEATED))]
    whole = _run(tmp_path, paths)
    spilled = _run(tmp_path, ["--part-size", "7", "--memory-entries", "3", *paths])
    assert whole[0] == spilled[0] == 0, whole[2] + spilled[2]
    assert spilled[1] == whole[1]
    assert "kranich-hof" not in spilled[1]
    # ... and the spill did happen: the same run in process, with the same parts.
    conf = site(tmp_path, MAIN_CF)
    settings = AnonSettings(key_file=str(tmp_path / "key"))
    filt = PartFilter(live_context(conf), settings, spill_dir=str(tmp_path), spill_entries=3)
    inputs = [_learn(filt, _Input(p, p, -1), 7) for p in paths]
    out = io.BytesIO()
    _replace_all(filt, inputs, 7, out)
    assert out.getvalue().decode() == whole[1]
    store = filt._store
    assert store is not None
    on_disk = {d.table: d.on_disk for d in store.dicts}
    # (Far more than the 3 entries allowed in memory: what the figures are depends on the logs'
    # forms, not on spilling.)
    assert on_disk["replaced"] > 30 and on_disk["users"] > 10 and on_disk["checker_kinds"] > 30, on_disk
    assert on_disk["learned_domains"] > 5 and on_disk["learned_hosts"] > 5, on_disk
    filt.close()


def test_walks_over_a_spilled_set_are_those_of_a_plain_one(tmp_path: Path) -> None:
    # Sorted order, insertion order from a place, the first key with a prefix: whatever was
    # spilled, and with a spill in the middle of a walk (the engine spills while it walks).
    store = SpillStore(str(tmp_path), limit=5)
    spilled = SpillSet(store, "names")
    hosts = store.new_dict("hosts")
    plain: list[str] = []
    plain_hosts: dict[str, str] = {}
    rng = random.Random(11)
    for step in range(400):
        word = (
            rng.choice(["mx", "mail", "é", "a-b", "z"])
            + str(rng.randrange(60))
            + rng.choice(["", ".de", ".co.uk"])
        )
        if word not in plain:
            plain.append(word)
        spilled.add(word)
        hosts[word.split(".")[0]] = plain_hosts[word.split(".")[0]] = f"p{step}"  # rewritten keys too
        if rng.random() < 0.1:
            store.spill()
        if step % 37 == 0:
            assert list(in_order(spilled)) == sorted(plain)
            assert list(in_order(hosts)) == sorted(plain_hosts)
            start = rng.randrange(len(plain) + 1)
            assert list(added_since(spilled, start)) == plain[start:]
            assert list(added_since(hosts, start)) == list(plain_hosts)[start:]
            for prefix in ("mx1", "mail2.", "é", "zz"):
                want = min((w for w in plain if w.startswith(prefix)), default=None)
                assert first_with_prefix(spilled, prefix) == want == first_with_prefix(set(plain), prefix)
    assert spilled.d.on_disk > 20 and len(spilled) == len(plain)
    walked = []
    for i, w in enumerate(in_order(spilled)):
        walked.append(w)
        if i == 3:
            spilled.add("mx0-new")  # added during the walk: may or may not be seen ...
            store.spill(force=True)  # ... but nothing is seen twice or lost when it spills
    assert sorted(set(walked)) == walked and set(plain) <= set(walked) <= set(plain) | {"mx0-new"}
    since = list(added_since(spilled, len(plain) - 3))
    assert since == [*plain[-3:], "mx0-new"]
    plain.append("mx0-new")
    # A spill during a walk in insertion order: while it reads rows, while it reads memory.
    store.spill(force=True)
    for round_, memory, in_rows in ((1, [], True), (2, ["m1", "m2", "m3"], False), (3, ["p1", "p2"], True)):
        for w in memory:
            spilled.add(w)
        plain += memory
        spill_at = 1 if in_rows else len(plain) - len(memory)  # (a row; the first key in memory)
        walked = []
        for i, w in enumerate(added_since(spilled, 0)):
            walked.append(w)
            if i == spill_at:
                spilled.add(f"new{round_}")
                store.spill(force=True)
        assert walked[: len(plain)] == plain, round_
        assert set(walked[len(plain) :]) <= {f"new{round_}"}
        plain.append(f"new{round_}")
    store.close()


def _many_senders(count: int) -> str:
    """A log of a server that bounces mail of many distinct sender domains (spam runs), each
    domain's registrable label also written as a bare word (a banner, a HELO)."""
    rng = random.Random(3)
    lines = []
    for i in range(count):
        name = f"offer{i}x{rng.randrange(10**5)}"
        dom = rng.choice([f"{name}.com", f"mail.{name}.co.uk", f"{name}-shop.de"])
        qid = f"{rng.randrange(16**10):010X}"
        lines.append(
            f"Dec  6 10:{i % 60:02d}:01 mx1 postfix/qmgr[812]: {qid}: from=<news@{dom}>, size=1234, "
            "nrcpt=1 (queue active)\n"
            f"Dec  6 10:{i % 60:02d}:02 mx1 postfix/smtp[99]: {qid}: to=<info@hofmann-bau.de>, relay=none, "
            f"status=bounced (host said: 550 {name.upper()} ESMTP rejected)\n"
        )
    return "".join(lines)


def test_many_sender_domains_are_kept_on_disk_with_the_same_output(tmp_path: Path) -> None:
    # The names learned from a log of many senders are millions on a big server: kept on disk
    # like the replacements (memory stays a part's worth), with the bytes of the plain run.
    text = _many_senders(3000)
    path = _log(tmp_path, text)
    conf = site(tmp_path, MAIN_CF)
    settings = AnonSettings(key_file=str(tmp_path / "key"))

    def stream(spill_dir: str | None) -> tuple[str, PartFilter]:
        filt = PartFilter(live_context(conf), settings, spill_dir=spill_dir, spill_entries=300)
        filt.engine.spill_every = filt._checker.spill_every = 250
        item = _learn(filt, _Input(str(path), str(path), -1), 400)
        out = io.BytesIO()
        _replace_all(filt, [item], 400, out)
        filt.close()
        return out.getvalue().decode(), filt

    plain, in_memory = stream(None)
    spilled_dir = tmp_path / "spill"
    spilled_dir.mkdir()
    spilled, filt = stream(str(spilled_dir))
    assert spilled == plain
    engine = filt.engine
    assert len(engine.learned_domains) >= 3000 and len(engine.short_hosts) >= 3000
    assert len(engine.learned_domains) == len(in_memory.engine.learned_domains)
    # Most of them on disk, not in memory: what stays is at most the last part's.
    assert isinstance(engine.learned_domains, SpillSet)
    assert len(engine.learned_domains.d.mem) < 600 and len(engine.short_hosts.mem) < 600  # type: ignore[attr-defined]
    # Nothing of them survives, bare labels in capitals neither.
    assert "offer17x" not in spilled.lower() and "hofmann-bau" not in spilled
    assert spilled.count(" ESMTP rejected") == 3000


def test_a_spilled_run_refuses_as_the_one_in_memory_does(tmp_path: Path) -> None:
    path = _log(tmp_path, _leaking_input(tmp_path))
    in_memory = _run(tmp_path, ["--part-size", "6", str(path)])
    spilled = _run(tmp_path, ["--part-size", "6", "--memory-entries", "1", str(path)])
    assert in_memory[0] == spilled[0] == 4
    assert spilled[1] == "" and spilled[2] == in_memory[2]


def test_the_leak_check_finds_originals_it_keeps_on_disk(tmp_path: Path) -> None:
    engine = Engine(bytes.fromhex(KEY_HEX))
    engine.learn_user("hbauer")
    engine.freeze()
    line = (
        "Dec  6 10:04:05 mx1 postfix/smtpd[901]: client=mail.hofmann-bau.de[2a01:4f8:c17:1234::2], "
        "sasl_username=hbauer\n"
        "Dec  6 10:04:06 mx1 postfix/qmgr[812]: 7C8D9E0F01: from=<anna.berg@kranich-hof.eu>\n"
    )
    store = SpillStore(str(tmp_path), limit=1)
    engine.state.spill_to(store)
    checker = LeakChecker(engine)
    checker.spill_to(store)
    out = engine.apply(line)
    checker.refresh()
    assert checker.find(out, source=line) is None
    store.spill(force=True)
    assert not any(d.mem for d in store.dicts)
    # Each kind of original the check looks for, found on disk where it survives.
    for extra, kind in (
        ("warning: mail.hofmann-bau.de is down", "domain name"),
        ("lost connection after RCPT from unknown[2a01:4f8:c17:1234::2]", "ip"),
        ("from=<anna.berg@gmail.com>", "local part"),
        ("warning: login failed for hbauer", "user name"),
    ):
        extra = f"Dec  6 10:04:07 mx1 postfix/smtpd[901]: {extra}\n"
        hit = checker.find(out + extra, source=line + extra)
        assert hit is not None and hit[0] == kind and hit[1] > len(out), (extra, hit)
    store.close()


def test_memory_entries_must_be_positive(tmp_path: Path) -> None:
    status, out, err = _run(tmp_path, ["--memory-entries", "0", str(_log(tmp_path, REPEATED))])
    assert status == 2 and out == "" and "--memory-entries" in err


def test_nothing_is_left_in_tmpdir(tmp_path: Path) -> None:
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    conf = site(tmp_path, MAIN_CF)
    path = _log(tmp_path, read("postfix.log") + REPEATED)
    args = ["-c", str(conf), "--anon-key", str(tmp_path / "key"), "--part-size", "5", "--memory-entries", "2"]
    proc = subprocess.run(
        [sys.executable, "-m", "postfinger_py", "anonymize", *args, str(path)],
        capture_output=True,
        cwd=REPO,
        env={**os.environ, "TMPDIR": str(tmpdir), "PYTHONPATH": str(REPO)},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert b"kranich-hof" not in proc.stdout and proc.stdout.count(b"\n") == path.read_bytes().count(b"\n")
    assert os.listdir(tmpdir) == []


def test_the_state_file_is_removed_when_the_command_is_ended(tmp_path: Path) -> None:
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    conf = site(tmp_path, MAIN_CF)
    path = _log(tmp_path, (read("postfix.log") + REPEATED) * 40)
    args = ["-c", str(conf), "--anon-key", str(tmp_path / "key"), "--part-size", "1", "--memory-entries", "1"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "postfinger_py", "anonymize", *args, str(path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=REPO,
        env={**os.environ, "TMPDIR": str(tmpdir), "PYTHONPATH": str(REPO)},
    )
    try:
        deadline = time.monotonic() + 60
        while not list(tmpdir.glob("*/anonymizer-state.sqlite")):
            assert proc.poll() is None, "ended before it spilled: the test proves nothing"
            assert time.monotonic() < deadline, "no state file appeared"
            time.sleep(0.05)
        state = next(tmpdir.glob("*/anonymizer-state.sqlite"))
        assert oct(state.stat().st_mode & 0o777) == "0o600"
        assert oct(state.parent.stat().st_mode & 0o777) == "0o700"
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode != 0 and b"Traceback" not in err, err
    assert os.listdir(tmpdir) == []


def test_a_store_that_cannot_be_written_is_one_line_that_says_what_to_do(tmp_path: Path) -> None:
    store = SpillStore(str(tmp_path), limit=1)
    d = store.new_dict("t")
    d["alice"] = "qkzmx"
    store.spill()
    Path(store.path).write_bytes(b"not a database " * 512)  # a disk that lost the file
    d["bob"] = "zrqwv"
    with pytest.raises(PostfingerError) as err:
        store.spill(force=True)
    message = err.value.message
    assert "set TMPDIR to a directory with room" in message and str(tmp_path) in message
    assert "\n" not in message and "alice" not in message and "bob" not in message
