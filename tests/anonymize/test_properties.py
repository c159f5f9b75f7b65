"""Property tests: determinism per key, shape, prefix preservation, consistency, no original left."""

from __future__ import annotations

import ipaddress
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postfinger_py.anonymize.engine import Engine
from postfinger_py.anonymize.ipanon import IpAnonymizer
from postfinger_py.anonymize.leak import LeakChecker
from postfinger_py.anonymize.shape import keyed_shape

KEYS = st.binary(min_size=32, max_size=32)
LABEL = st.text(string.ascii_lowercase + string.digits, min_size=3, max_size=12).filter(
    lambda s: s[0].isalpha()
)
SUFFIX = st.sampled_from(["de", "com", "net", "co.uk", "eu", "org"])
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def public_v4(value: int) -> bool:
    addr = ipaddress.IPv4Address(value)
    return addr.is_global


@FAST
@given(KEYS, st.text(min_size=1, max_size=40))
def test_shape_kept_and_deterministic(key: bytes, value: str) -> None:
    out = keyed_shape(key, value)
    assert out == keyed_shape(key, value) and len(out) == len(value)
    for a, b in zip(value, out):
        if a.isdigit():
            assert b.isdigit()
        elif a.isalpha():
            assert b.isalpha() and (b.isupper() == a.isupper())
        else:
            assert a == b


@FAST
@given(KEYS, st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1))
def test_ipv4_prefix_preserving(key: bytes, a: int, b: int) -> None:
    anon = IpAnonymizer(key)
    x, y = ipaddress.IPv4Address(a), ipaddress.IPv4Address(b)
    if anon.is_kept(x) or anon.is_kept(y):
        return
    ax, ay = int(anon.address(x)), int(anon.address(y))
    common = 32 - (a ^ b).bit_length()
    assert 32 - (ax ^ ay).bit_length() == common  # exactly the same shared prefix
    assert anon.address(x) == IpAnonymizer(key).address(x)  # deterministic per key


@FAST
@given(KEYS, st.integers(0, 2**128 - 1), st.integers(0, 2**128 - 1))
def test_ipv6_prefix_preserving(key: bytes, a: int, b: int) -> None:
    anon = IpAnonymizer(key)
    x, y = ipaddress.IPv6Address(a), ipaddress.IPv6Address(b)
    if anon.is_kept(x) or anon.is_kept(y) or x.ipv4_mapped or y.ipv4_mapped:
        return
    ax, ay = int(anon.address(x)), int(anon.address(y))
    assert 128 - (ax ^ ay).bit_length() == 128 - (a ^ b).bit_length()


@FAST
@given(KEYS, st.integers(0, 2**32 - 1))
def test_ipv4_class_kept(key: bytes, a: int) -> None:
    x = ipaddress.IPv4Address(a)
    y = IpAnonymizer(key).address(x)
    assert x.is_private == y.is_private and x.is_global == y.is_global
    assert x.is_loopback == y.is_loopback and x.is_link_local == y.is_link_local


@FAST
@given(KEYS, st.integers(0, 2**24 - 1), st.integers(8, 30), st.integers(0, 2**32 - 1))
def test_network_and_hosts_consistent(key: bytes, net: int, plen: int, host: int) -> None:
    network = ipaddress.ip_network(f"{ipaddress.IPv4Address(net << 8)}/{plen}", strict=False)
    inside = network.network_address + (host % network.num_addresses)
    engine = Engine(key)
    engine.freeze()
    out = engine.apply(f"mynetworks = {network}\nclient {inside}\n")
    anet = ipaddress.ip_network(out.split()[2])
    ahost = ipaddress.ip_address(out.split()[4])
    assert anet.prefixlen == plen and ahost in anet


@FAST
@given(KEYS, LABEL, LABEL, SUFFIX, LABEL)
def test_domains_consistent_and_gone(key: bytes, host: str, dom: str, suffix: str, user: str) -> None:
    domain = f"{dom}x.{suffix}"
    engine = Engine(key)
    engine.learn_host(f"{host}.{domain}", is_own_host=True)
    engine.freeze()
    text = f"myhostname = {host}.{domain}\nmydomain = {domain}\nfrom=<{user}@{domain}>\n"
    out = engine.apply(text)
    lines = out.splitlines()
    ahost, adomain = lines[0].split(" = ")[1], lines[1].split(" = ")[1]
    assert ahost.endswith("." + adomain) and adomain.endswith("." + suffix)
    assert lines[2].endswith("@" + adomain + ">")
    assert LeakChecker(engine).find(out) is None
    assert domain not in out
    again = Engine(key)
    again.learn_host(f"{host}.{domain}", is_own_host=True)
    again.freeze()
    assert again.apply(text) == out
