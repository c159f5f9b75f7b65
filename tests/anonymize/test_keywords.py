"""Keyword safety: the full `postconf -d` of the real Postfix 3.7.11 survives, except site values."""

from __future__ import annotations

import ipaddress

from postfinger_py.anonymize.engine import Engine
from postfinger_py.anonymize.keeplist import parameter_names

from .conftest import read

# postconf -d of this machine names its own host (uname -n is `vm`): those values may change.
SITE_PARAMS = {"myhostname", "mydomain", "myorigin", "mydestination", "mynetworks"}


def check_postconf_d(text: str) -> None:
    engine = Engine(b"k" * 32)
    engine.learn_host("vm.localdomain", is_own_host=True)
    engine.freeze()
    out = engine.apply(text)
    before, after = text.splitlines(), out.splitlines()
    assert len(before) == len(after)
    for old, new in zip(before, after):
        name = old.split(" = ", 1)[0]
        assert new.split(" = ", 1)[0] == name  # every parameter name survives
        if name not in SITE_PARAMS:
            assert new == old  # every keyword-valued setting survives unchanged
    assert "myhostname = vm.localdomain" not in out
    nets = next(ln for ln in after if ln.startswith("mynetworks = ")).split()
    # this machine's own ULA network is site data; loopback, documentation, link-local are not
    assert nets[:5] == ["mynetworks", "=", "127.0.0.0/8", "192.0.2.0/24", "[::1]/128"]
    ula = ipaddress.ip_network(nets[5].replace("[", "").replace("]", ""))
    assert (
        nets[5] != "[fd00::]/64" and ula.prefixlen == 64 and ula.subnet_of(ipaddress.ip_network("fc00::/7"))
    )  # still a unique-local network
    assert nets[6] == "[fe80::]/64"


def test_recorded_postconf_d_survives() -> None:
    check_postconf_d(read("postconf-d.txt"))


def test_keep_list_has_every_recorded_parameter_name() -> None:
    names = {line.split(" =", 1)[0].lower() for line in read("postconf-d.txt").splitlines()}
    assert names <= parameter_names()
