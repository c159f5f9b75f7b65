"""Prefix-preserving IP anonymization (Crypto-PAn's construction, keyed BLAKE2b as PRF).

Bit i of the result is bit i of the address flipped by a keyed function of the bits before it,
so two addresses sharing an n-bit prefix share an n-bit prefix afterwards: a client inside
`mynetworks` stays inside the anonymized network. The class of an address stays visible: on the
path towards a special block (private, link-local, CGNAT, ...) no bit is flipped, so an address
inside such a block stays inside it and an address outside stays outside. Loopback, unspecified,
documentation, multicast and reserved addresses are not site data and are kept as they are.
"""

from __future__ import annotations

import hashlib
import ipaddress
from typing import Union

from postfinger_py.anonymize.keys import subkey

IPAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
IPNetwork = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]

KEEP_V4 = ("0.0.0.0/8", "127.0.0.0/8", "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/3")
CLASS_V4 = (
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
    "169.254.0.0/16",
    "198.18.0.0/15",
    "192.0.0.0/24",
)
KEEP_V6 = ("::/127", "2001:db8::/32", "ff00::/8")
# Link-local: the /64 is always fe80::, the interface ID (often MAC-derived) is what is private.
CLASS_V6 = ("fe80::/64", "fc00::/7", "2002::/16", "::ffff:0:0/96", "64:ff9b::/96")


_CHECKPOINTS = {4: (8, 16, 24), 6: (16, 32, 48, 64, 80, 96, 112)}


def _pins(blocks: tuple[str, ...], bits: int) -> frozenset[tuple[int, int]]:
    """(depth, prefix) pairs on the path to a special block: bits never flipped there."""
    pins: set[tuple[int, int]] = set()
    for text in blocks:
        net = ipaddress.ip_network(text)
        value = int(net.network_address)
        for depth in range(net.prefixlen):
            pins.add((depth, value >> (bits - depth)))
    return frozenset(pins)


class IpAnonymizer:
    """Keyed, deterministic, prefix-preserving mapping of IPv4 and IPv6 addresses."""

    def __init__(self, key: bytes) -> None:
        self._key = {4: subkey(key, "ipv4"), 6: subkey(key, "ipv6")}
        self._keyed = {v: hashlib.blake2b(key=k, digest_size=8) for v, k in self._key.items()}
        self._keep: dict[int, list[IPNetwork]] = {
            4: [ipaddress.ip_network(b) for b in KEEP_V4],
            6: [ipaddress.ip_network(b) for b in KEEP_V6],
        }
        # Integer ranges of the kept blocks: `addr in net` per network costs ~1 us each.
        self._keep_ranges: dict[int, list[tuple[int, int]]] = {
            v: [(int(n.network_address), int(n.broadcast_address)) for n in nets]
            for v, nets in self._keep.items()
        }
        self._pins = {4: _pins(KEEP_V4 + CLASS_V4, 32), 6: _pins(KEEP_V6 + CLASS_V6, 128)}
        # Flip bits and anonymized prefixes, keyed `prefix << 8 | depth` (one int, hashed fast).
        self._flip: dict[int, dict[int, int]] = {4: {}, 6: {}}
        self._pin_keys = {v: frozenset(p << 8 | d for d, p in pins) for v, pins in self._pins.items()}
        self._prefix_memo: dict[int, dict[int, int]] = {4: {}, 6: {}}
        self._cache: dict[IPAddress, IPAddress] = {}

    def trim_caches(self) -> None:
        """Forget the memoized flip bits, prefixes and addresses (recomputed the same on demand)."""
        for memo in (*self._flip.values(), *self._prefix_memo.values()):
            memo.clear()
        self._cache.clear()

    def is_kept(self, addr: IPAddress) -> bool:
        if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
            return self.is_kept(addr.ipv4_mapped)
        value = int(addr)
        return any(lo <= value <= hi for lo, hi in self._keep_ranges[addr.version])

    def _anon_int(self, version: int, value: int) -> int:
        """Bit i of the output: bit i of `value` XOR a keyed PRF of the i bits before it.

        The PRF of each (depth, prefix) is computed once; the anonymized prefix at a few
        checkpoints is remembered too, so addresses sharing a /16 or /24 (clients of one
        network) only pay for the bits below it.
        """
        bits = 32 if version == 4 else 128
        checkpoints = _CHECKPOINTS[version]
        memo = self._prefix_memo[version]
        start, out = 0, 0
        for depth in reversed(checkpoints):
            hit = memo.get((value >> (bits - depth)) << 8 | depth)
            if hit is not None:
                start, out = depth, hit
                break
        flips = self._flip[version]
        pins = self._pin_keys[version]
        keyed = self._keyed[version]  # copying a keyed state: one compression per bit, not two
        for depth in range(start, bits):
            shift = bits - 1 - depth
            prefix = value >> (shift + 1)
            cache_key = prefix << 8 | depth
            bit = flips.get(cache_key)
            if bit is None:
                if cache_key in pins:
                    bit = 0
                else:
                    msg = bytes((depth,)) + prefix.to_bytes(16, "big")
                    h = keyed.copy()
                    h.update(msg)
                    bit = h.digest()[0] & 1
                flips[cache_key] = bit
            out = (out << 1) | (((value >> shift) & 1) ^ bit)
            if depth + 1 in checkpoints:
                memo[(value >> (shift)) << 8 | (depth + 1)] = out
        return out

    def address(self, addr: IPAddress) -> IPAddress:
        cached = self._cache.get(addr)
        if cached is not None:
            return cached
        result: IPAddress
        if self.is_kept(addr):
            result = addr
        elif isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
            # Keep the embedded IPv4 consistent with the same address written as IPv4.
            inner = self.address(addr.ipv4_mapped)
            result = ipaddress.IPv6Address((int(addr) >> 32 << 32) | int(inner))
        elif addr.version == 4:
            result = ipaddress.IPv4Address(self._anon_int(4, int(addr)))
        else:
            result = ipaddress.IPv6Address(self._anon_int(6, int(addr)))
        self._cache[addr] = result
        return result

    def network(self, net: IPNetwork) -> IPNetwork:
        """The anonymized network address with the host bits zeroed: its hosts stay inside it."""
        anon = self.address(net.network_address)
        return ipaddress.ip_network(f"{anon}/{net.prefixlen}", strict=False)
