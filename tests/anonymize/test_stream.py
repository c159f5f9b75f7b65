"""`postfinger anonymize` in parts: the one-piece result, consistent parts, and nothing on a refusal."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from postfinger_py.anonymize.engine import Engine
from postfinger_py.anonymize.leak import LeakChecker
from postfinger_py.cli import main
from postfinger_py.env import Env

from .conftest import read
from .leaks_helpers import KEY_HEX, filtered, site

LOGS = Path(__file__).resolve().parent / "data" / "public-logs"
REPO = Path(__file__).resolve().parents[2]
MAIN_CF = "myhostname = mx1.hofmann-bau.de\nmydomain = hofmann-bau.de\n"

# Real-shaped lines (the public logs' forms): one client, one sender, one domain in many parts.
CLIENT = "mail.kranich-hof.eu[89.248.165.52]"
REPEATED = "".join(
    f"Dec  6 10:{i:02d}:01 mx1 postfix/smtpd[{900 + i}]: connect from {CLIENT}\n"
    f"Dec  6 10:{i:02d}:02 mx1 postfix/smtpd[{900 + i}]: 7C8D9E0F{i:02d}: client={CLIENT}, "
    f"sasl_method=PLAIN, sasl_username=anna.berg\n"
    f"Dec  6 10:{i:02d}:03 mx1 postfix/qmgr[812]: 7C8D9E0F{i:02d}: from=<anna.berg@kranich-hof.eu>,"
    f" size={1200 + i}, nrcpt=1 (queue active)\n"
    for i in range(12)
)


def _run(tmp_path: Path, args: list[str], stdin: bytes = b"") -> tuple[int, str, str]:
    """The whole command in process, learning the site of MAIN_CF (with the real postconf)."""
    conf = site(tmp_path, MAIN_CF)
    out, err = io.StringIO(), io.StringIO()
    env = Env(
        stdout=out,
        stderr=err,
        stdin=io.BytesIO(stdin),
        environ={},
        clock=lambda: datetime(2026, 11, 21, tzinfo=timezone.utc),
    )
    status = main(["anonymize", "-c", str(conf), "--anon-key", str(tmp_path / "key"), *args], env)
    return status, out.getvalue(), err.getvalue()


def _log(tmp_path: Path, text: str, name: str = "in.log") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def _public_logs() -> str:
    return "".join(p.read_text() for p in sorted(LOGS.iterdir()))


def test_one_part_is_exactly_the_one_piece_filter(tmp_path: Path) -> None:
    text = _public_logs() + REPEATED + read("postfix.log")
    status, out, err = _run(tmp_path, [str(_log(tmp_path, text))])
    assert status == 0, err
    assert out == filtered(tmp_path, site(tmp_path, MAIN_CF), text)
    assert "89.248.165.52" not in out and "kranich-hof" not in out


def test_every_part_replaces_a_value_the_same(tmp_path: Path) -> None:
    path = _log(tmp_path, REPEATED)
    status, out, err = _run(tmp_path, ["--part-size", "2", str(path)])
    assert status == 0, err
    clients = set(re.findall(r"connect from (\S+)", out))
    senders = set(re.findall(r"from=<([^>]+)>", out))
    logins = set(re.findall(r"sasl_username=(\S+)", out))
    assert len(clients) == len(senders) == len(logins) == 1, (clients, senders, logins)
    assert clients != {CLIENT} and "anna.berg" not in out
    # 18 parts of 2 lines give what one part gives: nothing learned late, nothing lost.
    assert out == _run(tmp_path, [str(path)])[1]
    assert out.count("\n") == REPEATED.count("\n")


def test_many_files_and_parts_equal_one_part_on_real_logs(tmp_path: Path) -> None:
    paths = [str(p) for p in sorted(LOGS.iterdir())] + [str(_log(tmp_path, read("postfix.log")))]
    whole = _run(tmp_path, paths)
    parts = _run(tmp_path, ["--part-size", "7", *paths])
    assert whole[0] == parts[0] == 0, whole[2] + parts[2]
    assert parts[1] == whole[1]
    assert "hofmann-bau" not in parts[1].lower()


def test_standard_input_is_spooled_and_read_twice(tmp_path: Path) -> None:
    path = _log(tmp_path, REPEATED)
    from_file = _run(tmp_path, ["--part-size", "5", str(path)])
    from_stdin = _run(tmp_path, ["--part-size", "5"], stdin=REPEATED.encode())
    dash = _run(tmp_path, ["--part-size", "5", "-"], stdin=REPEATED.encode())
    assert from_file[0] == from_stdin[0] == dash[0] == 0, from_stdin[2]
    assert from_stdin[1] == from_file[1] == dash[1]


def test_invalid_utf8_stays_visible_as_latin1(tmp_path: Path) -> None:
    data = (
        b"Dec  6 10:00:01 mx1 postfix/smtpd[1]: warning: bad byte \xff\xfe in helo=<k\xe4se>\n"
        + REPEATED.encode()
    )
    status, out, err = _run(tmp_path, ["--part-size", "1", str(_log(tmp_path, data))])
    assert status == 0, err
    first = out.splitlines()[0]
    assert "bad byte \xff\xfe in" in first  # (the Latin-1 characters of the bytes: ÿþ)
    # A name with a Latin-1 letter in it (`k\xe4se`) is one word, replaced whole (its `se`
    # stayed when U+FFFD cut it in two); its length is kept.
    helo = first.split("helo=<")[1]
    assert helo.endswith(">") and len(helo) == len("k?se>") and "se>" not in helo
    assert out.count("\n") == data.count(b"\n")


def test_output_file_is_atomic_and_private(tmp_path: Path) -> None:
    target = tmp_path / "out" / "anon.log"
    target.parent.mkdir()
    target.write_text("an older copy\n")
    target.chmod(0o644)
    status, out, err = _run(tmp_path, ["-o", str(target), "--part-size", "4", str(_log(tmp_path, REPEATED))])
    assert status == 0, err
    assert out == ""  # the text went to the file, not to standard output
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    text = target.read_text()
    assert text.count("\n") == REPEATED.count("\n") and "kranich-hof" not in text
    assert os.listdir(target.parent) == ["anon.log"]  # no temporary file left beside it


def _leaking_input(tmp_path: Path) -> str:
    """Real-shaped lines whose last part is refused: a password (learned from a pasted table
    line) equal to what a domain label becomes (keyed, so found with this key), which would
    print the password. The lines before are clean, so they are written to the temporary
    output before the refusal."""
    status, out, err = _run(tmp_path, [str(_log(tmp_path, REPEATED))])
    assert status == 0, err
    label = re.search(r"from=<[^@]+@([^.]+)\.eu>", out).group(1)  # type: ignore[union-attr]
    assert len(label) >= 4
    return REPEATED + f"password = {label}\n"


def test_a_refused_part_writes_nothing_anywhere(tmp_path: Path) -> None:
    text = _leaking_input(tmp_path)
    path = _log(tmp_path, text)
    status, out, err = _run(tmp_path, ["--part-size", "6", str(path)])
    assert status == 4, err
    assert out == "" and "refusing to print" in err and "line" in err
    target = tmp_path / "dest" / "anon.log"
    target.parent.mkdir()
    status, out, err = _run(tmp_path, ["-o", str(target), "--part-size", "6", str(path)])
    assert status == 4 and out == ""
    assert os.listdir(target.parent) == []  # no file, and no temporary file left
    target.write_text("kept\n")
    status, _, _ = _run(tmp_path, ["-o", str(target), str(path)])
    assert status == 4 and target.read_text() == "kept\n"


def test_an_address_that_is_another_parts_replacement_is_no_leak(tmp_path: Path) -> None:
    """A client address Y maps to X, and X is itself a client (an original) in an earlier
    part: X in the later part's output is Y's replacement, not X surviving."""
    first = "Dec  6 10:04:04 mx1 postfix/smtpd[901]: connect from unknown[{}]\n"
    status, out, err = _run(tmp_path, [str(_log(tmp_path, first.format("81.2.69.160")))])
    assert status == 0, err
    replacement = re.search(r"unknown\[([\d.]+)\]", out).group(1)  # type: ignore[union-attr]
    text = first.format(replacement) + first.format("81.2.69.160").replace("[901]", "[902]")
    status, out, err = _run(tmp_path, ["--part-size", "1", str(_log(tmp_path, text))])
    assert status == 0, err
    lines = out.splitlines()
    assert f"[{replacement}]" not in lines[0] and f"[{replacement}]" in lines[1]


def test_leak_checker_source_reports_only_originals_of_that_input() -> None:
    key = bytes.fromhex(KEY_HEX)
    engine = Engine(key)
    engine.freeze()
    line = "Dec  6 10:04:04 mx1 postfix/smtpd[901]: connect from unknown[{}]\n"
    y = "81.2.69.160"
    x = re.search(r"unknown\[([\d.]+)\]", engine.apply(line.format(y))).group(1)  # type: ignore[union-attr]
    part1 = line.format(x)  # x is an original here ...
    engine.apply(part1)
    part2 = line.format(y)
    out2 = engine.apply(part2)  # ... and y's replacement there
    assert f"[{x}]" in out2
    checker = LeakChecker(engine)
    assert checker.find(out2) is not None  # without the input: a false refusal
    assert checker.find(out2, source=part2) is None
    assert checker.describe(out2, source=part2) is None
    # An original that the input holds, and that survives, is still found (any case).
    assert checker.find(part1.upper(), source=part1) is not None
    hit = checker.describe(part1, source=part1, first_line=41)
    assert hit is not None and "(line 41)" in hit and x not in hit


def test_leak_checker_refresh_takes_in_new_values() -> None:
    engine = Engine(bytes.fromhex(KEY_HEX))
    engine.freeze()
    checker = LeakChecker(engine)
    line = "Dec  6 10:04:05 mx1 postfix/smtpd[901]: client=mail.hofmann-bau.de[2a01:4f8:c17:1234::2]\n"
    assert checker.find(line) is None  # nothing replaced yet: nothing to look for
    engine.apply(line)
    assert checker.find(line) is None  # not refreshed
    checker.refresh()
    assert checker.find(line, source=line) is not None
    assert checker.find(line.replace("::2", ":0:0:0:2"), source=line) is not None


def test_trimmed_caches_give_the_same_output() -> None:
    text = _public_logs() + REPEATED + read("postfix.log")
    a, b = Engine(bytes.fromhex(KEY_HEX)), Engine(bytes.fromhex(KEY_HEX))
    for e in (a, b):
        e.learn_host("mx1.hofmann-bau.de", is_own_host=True)
        e.freeze()
    lines = text.splitlines(keepends=True)
    whole = a.apply(text)
    pieces = []
    for i in range(0, len(lines), 3):
        pieces.append(b.apply("".join(lines[i : i + 3])))
        b.trim_caches()
        assert not b._occ and not b._hosts and not b._ip._cache
    assert "".join(pieces) == whole


@pytest.mark.parametrize("seeds", [("0", "1"), ("123", "random")])
def test_same_input_same_key_same_bytes_whatever_the_hash_seed(
    tmp_path: Path, seeds: tuple[str, str]
) -> None:
    conf = site(tmp_path, MAIN_CF)
    path = _log(tmp_path, _public_logs() + REPEATED + read("postfix.log"))
    outs = []
    for seed in seeds:
        env = dict(os.environ, PYTHONHASHSEED=seed, PYTHONPATH=str(REPO))
        res = subprocess.run(
            [
                sys.executable,
                "-m",
                "postfinger_py",
                "anonymize",
                "-c",
                str(conf),
                "--anon-key",
                str(tmp_path / "key"),
                "--part-size",
                "50",
                str(path),
            ],
            capture_output=True,
            timeout=120,
            check=False,
            env=env,
            cwd=REPO,
        )
        assert res.returncode == 0, res.stderr
        outs.append(res.stdout)
    assert outs[0] == outs[1] and len(outs[0]) > 100_000


def test_part_size_must_be_positive(tmp_path: Path) -> None:
    status, out, err = _run(tmp_path, ["--part-size", "0", str(_log(tmp_path, REPEATED))])
    assert status == 2 and out == "" and "--part-size" in err


def test_a_replacement_equal_to_an_original_of_another_line_of_the_part_is_no_leak(tmp_path: Path) -> None:
    """The same in one part: a client X, and a relay Y (in 10/8) that maps to X, lines apart."""
    relay = (
        "Dec  6 10:04:06 mx1 postfix/smtp[903]: 7C8D9E0F1A: to=<anna.berg@kranich-hof.eu>, "
        "relay=mx.kranich-hof.eu[{}]:25, delay=0.2, dsn=4.4.1, status=deferred\n"
    )
    status, out, err = _run(tmp_path, [str(_log(tmp_path, relay.format("10.20.7.9")))])
    assert status == 0, err
    x = re.search(r"relay=\S+\[([\d.]+)\]", out).group(1)  # type: ignore[union-attr]
    client = f"Dec  6 10:04:04 mx1 postfix/smtpd[901]: connect from unknown[{x}]\n"
    text = client + REPEATED + relay.format("10.20.7.9")
    status, out, err = _run(tmp_path, [str(_log(tmp_path, text))])
    assert status == 0, err
    lines = out.splitlines()
    assert x not in lines[0] and f"[{x}]" in lines[-1]


def test_leak_checker_source_is_line_by_line() -> None:
    engine = Engine(bytes.fromhex(KEY_HEX))
    engine.freeze()
    line = "Dec  6 10:04:04 mx1 postfix/smtpd[901]: connect from unknown[{}]\n"
    x = re.search(r"unknown\[([\d.]+)\]", engine.apply(line.format("81.2.69.160"))).group(1)  # type: ignore[union-attr]
    source = (
        line.format(x)
        + "Dec  6 10:04:05 mx1 postfix/smtpd[901]: lost connection\n" * 3
        + line.format("81.2.69.160")
    )
    out = engine.apply(source)
    checker = LeakChecker(engine)
    assert checker.find(out) is not None
    assert checker.find(out, source=source) is None
    survived = source.split("\n")[0] + "\n" + out.split("\n", 1)[1]  # x left on its own line
    hit = checker.describe(survived, source=source)
    assert hit is not None and "(line 1)" in hit


class _LearnsOnce:
    """A part filter whose leak check teaches it something at the third part, once (as a
    domain first seen replaced there would): it marks its output with the round."""

    def __init__(self) -> None:
        self.relearned = 0
        self.calls = 0

    def replace(self, text: str, first_line: int = 1, where: str = "") -> str:
        self.calls += 1
        if self.calls == 3:
            self.relearned += 1
        return f"{self.relearned}:{text}"

    def trim_caches(self) -> None:
        pass


def test_a_lesson_after_the_first_part_replaces_every_part_again(tmp_path: Path) -> None:
    from postfinger_py.commands.anonymize import _Input, _replace_all

    path = _log(tmp_path, "".join(f"line {i}\n" for i in range(5)))
    filt = _LearnsOnce()
    out = io.BytesIO()
    _replace_all(filt, [_Input("in.log", str(path), path.stat().st_size)], 1, out)  # type: ignore[arg-type]
    assert filt.calls == 10  # five parts, twice
    assert out.getvalue().decode() == "".join(f"1:line {i}\n" for i in range(5))


def test_a_full_part_is_still_replaced_in_two_halves() -> None:
    # Parts are kept small for memory; one of only ASCII (a log) must still reach the size
    # where the engine and the leak check use both CPUs.
    from postfinger_py.anonymize.parallel import PARALLEL_MIN_CHARS
    from postfinger_py.commands.anonymize import PART_MAX_BYTES

    assert PARALLEL_MIN_CHARS <= PART_MAX_BYTES <= 4 * 1024 * 1024
