"""Bad input: binary junk, invalid UTF-8, huge lines, malformed addresses: no crash, no leak."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postfinger_py.anonymize.engine import Engine
from postfinger_py.anonymize.leak import LeakChecker


def engine() -> Engine:
    e = Engine(b"k" * 32)
    e.learn_host("mx1.bluefinch-logistics.de", is_own_host=True)
    e.learn_secret("S3cretPassw0rd!")
    e.freeze()
    return e


def test_binary_junk_and_invalid_utf8() -> None:
    # Seeded, so that a failure can be reproduced (more seeds: test_leak_agreement.py).
    junk = (
        random.Random(7).randbytes(200_000) + b"\xff\xfe mx1.bluefinch-logistics.de \xc3\x28 10.20.30.40\x00"
    )
    text = junk.decode("utf-8", errors="replace")
    e = engine()
    out = e.apply(text)
    assert "bluefinch" not in out and "10.20.30.40" not in out
    assert LeakChecker(e).find(out) is None
    surrogates = junk.decode("utf-8", errors="surrogateescape")
    assert "bluefinch" not in e.apply(surrogates)


def test_huge_line() -> None:
    line = ("x" * 1_000_000) + " j.meier@bluefinch-logistics.de " + ("a." * 100_000) + "de"
    e = engine()
    out = e.apply(line)
    assert "bluefinch" not in out and len(out) == len(line)


def test_malformed_addresses_keep_shape_and_hide_digits() -> None:
    e = engine()
    for bad in ("10.20.30.400", "999.1.1.1", "10.20.30.40/99"):
        out = e.apply(f"client {bad} here")
        assert bad not in out
        assert len(out) == len(f"client {bad} here")
    assert e.apply("1:2:3") == "1:2:3"  # not an address, not site data
    assert e.apply("2001:db8:::1") == "2001:db8:::1"


def test_secret_anywhere() -> None:
    out = engine().apply("login failed for S3cretPassw0rd!xyz and 'S3cretPassw0rd!'")
    assert "S3cretPassw0rd" not in out


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_any_text_no_crash_no_leak(noise: str) -> None:
    e = engine()
    text = noise + " mx1.bluefinch-logistics.de " + noise
    out = e.apply(text)
    assert "bluefinch-logistics" not in out.lower()


def test_class_block_networks_are_not_leaks() -> None:
    # 10.0.0.0/8 and fe80::/64 map to themselves (the class stays visible): not a leak.
    e = engine()
    out = e.apply("mynetworks = 10.0.0.0/8 192.168.0.0/16 172.16.0.0/12 [fe80::]/64 10.20.30.40")
    assert out.startswith("mynetworks = 10.0.0.0/8 192.168.0.0/16 172.16.0.0/12 [fe80::]/64 10.")
    assert "10.20.30.40" not in out
    assert LeakChecker(e).find(out) is None
    assert LeakChecker(e).find(out + " 10.20.30.40") is not None
