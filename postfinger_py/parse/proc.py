"""Parse /proc/net/tcp{,6} for listening sockets, and /etc/services for port names."""

from __future__ import annotations

import ipaddress

LISTEN = "0A"


def _addr(hexaddr: str) -> str:
    ip_hex, _port = hexaddr.split(":")
    raw = bytes.fromhex(ip_hex)
    if len(raw) == 4:
        return str(ipaddress.IPv4Address(raw[::-1]))
    # IPv6 in /proc is four little-endian 32-bit words.
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
    addr = ipaddress.IPv6Address(words)
    return str(addr.ipv4_mapped) if addr.ipv4_mapped else str(addr)


def parse_listeners(text: str) -> list[tuple[str, int, int]]:
    """Listening sockets as (address, port, inode) from /proc/net/tcp or tcp6 text."""
    out: list[tuple[str, int, int]] = []
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 10 or fields[3] != LISTEN:
            continue
        try:
            port = int(fields[1].split(":")[1], 16)
            out.append((_addr(fields[1]), port, int(fields[9])))
        except (ValueError, IndexError):
            continue
    return out


def parse_services(text: str) -> dict[str, int]:
    """/etc/services: tcp service name (and aliases) -> port."""
    ports: dict[str, int] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0]
        fields = line.split()
        if len(fields) < 2 or not fields[1].endswith("/tcp"):
            continue
        try:
            port = int(fields[1].split("/")[0])
        except ValueError:
            continue
        for name in [fields[0], *fields[2:]]:
            ports.setdefault(name, port)
    return ports
