"""An IPv4 network written as its first octets, outside any table: sqlgrey's class C
(`grey: new: 81.2.69(81.2.69.160)`, `from awl: 81.2.69, example.com`) and a reverse zone
(`zone 69.2.81.in-addr.arpa/IN: loaded`, and IPv6's nibbles under ip6.arpa). Shown in clear,
it tells the client's /24.

A three-octet number is a network only where the text also holds an address in it (learned
per part, before replacing: `learn_short_nets`), so `Postfix 3.7.11` and `dsn=5.7.1` stay; a
reverse zone is one by its name. Both are replaced as their network maps (the address mapping
keeps prefixes), the octets they have. (access(5) keys, `10.44  OK`: see engine.py.)
"""

from __future__ import annotations

import re
from collections.abc import Iterator

# The last two octets of a three-octet number (found from its dot: memchr-fast on a log).
_TAIL = re.compile(r"\.\d{1,3}\.\d{1,3}(?![\w.-])")
# An enhanced status code (RFC 3463: `5.7.1`, `2.0.0`) is never taken for a network.
_STATUS = re.compile(r"[245]\.[0-7]\.\d{1,3}")
# A reverse zone of one to three octets (four are an address's name: the engine's RDNS).
ARPA = re.compile(r"(?<![\w.-])((?:\d{1,3}\.){1,3})(in-addr\.arpa)(?![\w-]|\.[\w-])", re.IGNORECASE)
# An IPv6 reverse name: one to 32 nibbles, the last first (`4.3.2.1.c.0.c.0.8.f.4.0.1.0.a.2.ip6.arpa`
# is the zone of 2a01:4f8:c0c:1234::/64; 32 are an address's name).
ARPA6 = re.compile(r"(?<![\w.-])((?:[0-9a-fA-F]\.){1,32})(ip6\.arpa)(?![\w-]|\.[\w-])", re.IGNORECASE)
# Any of these as the leak check's whole token (lower case), where the engine replaced it.
TOKEN = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}|(?:\d{1,3}\.){1,3}in-addr\.arpa|(?:[0-9a-f]\.){1,32}ip6\.arpa")


def _joined(ch: str) -> bool:
    return ch.isalnum() or ch in "._-"


def spans(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of every three-octet number standing alone (octets up to 255)."""
    for m in _TAIL.finditer(text):
        end = m.start()
        start = end
        while start > 0 and end - start < 3 and text[start - 1].isdigit():
            start -= 1
        if start == end or (start > 0 and _joined(text[start - 1])):
            continue
        if all(int(octet) <= 255 for octet in text[start : m.end()].split(".")):
            yield start, m.end()


def learn_short_nets(text: str, nets: set[str]) -> None:
    """Add to `nets` each three-octet number of `text` that an address in `text` starts with
    (a whole address: not the start of an ip6.arpa name's nibbles, `4.3.2.1.c.0.ip6.arpa`)."""
    seen: set[str] = set()
    for start, end in spans(text):
        net = text[start:end]
        if net in seen or net in nets:
            continue
        seen.add(net)
        if _STATUS.fullmatch(net):
            continue
        address = re.compile(rf"(?<![\w.-]){re.escape(net)}\.\d{{1,3}}(?![\w-]|\.\w)")
        if address.search(text):
            nets.add(net)
