"""Copies of real Ethernet captures with another link layer, for link types Linux cannot record.

Only the link-layer header of each packet changes: the 14-byte Ethernet header is replaced (or,
for VLAN, a tag is inserted after the MAC addresses); the IP packet, the timestamps and the
packet order stay as tcpdump recorded them. `python -m tests.pcap.relink` rewrites the copies
kept in data/links/ (see data/README.md).
"""

from __future__ import annotations

import io
import struct
from pathlib import Path
from typing import Callable

import dpkt

from tests.pcap.perturb import Packet, read

LINKS = Path(__file__).resolve().parent / "data" / "links"
SNAPLEN = 262144  # what tcpdump -s 0 writes

# Address family numbers in the 4-byte DLT_NULL / DLT_LOOP header.
AF_INET = 2
AF_INET6_BSD = 24  # NetBSD, OpenBSD
AF_INET6_FREEBSD = 28
AF_INET6_DARWIN = 30  # macOS


def _ip(frame: bytes) -> bytes:
    etype = struct.unpack_from("!H", frame, 12)[0]
    if etype not in (0x0800, 0x86DD):
        raise ValueError(f"not an untagged IP frame (ethertype 0x{etype:04x})")
    return frame[14:]


def null(af: int) -> Callable[[bytes], bytes]:
    """DLT_NULL (0): the address family in the capturing host's byte order (little-endian)."""
    return lambda frame: struct.pack("<I", af) + _ip(frame)


def loop(af: int) -> Callable[[bytes], bytes]:
    """DLT_LOOP (108, OpenBSD): the address family in network byte order."""
    return lambda frame: struct.pack(">I", af) + _ip(frame)


def raw(frame: bytes) -> bytes:
    """DLT_RAW / LINKTYPE_RAW / LINKTYPE_IPV4 / LINKTYPE_IPV6: the IP packet alone."""
    return _ip(frame)


def vlan(*tags: tuple[int, int]) -> Callable[[bytes], bytes]:
    """Ethernet with (TPID, VLAN id) tags inserted after the MAC addresses, outermost first."""

    def convert(frame: bytes) -> bytes:
        _ip(frame)  # only untagged IP frames are expected
        inserted = b"".join(struct.pack("!HH", tpid, vid) for tpid, vid in tags)
        return frame[:12] + inserted + frame[12:]

    return convert


def relink(packets: list[Packet], convert: Callable[[bytes], bytes], linktype: int) -> bytes:
    """A classic pcap (as tcpdump writes it) of the converted packets."""
    out = io.BytesIO()
    writer = dpkt.pcap.Writer(out, snaplen=SNAPLEN, linktype=linktype)
    for ts, buf in packets:
        writer.writepkt(convert(buf), ts=ts)
    return out.getvalue()


# derived file -> (real Ethernet original, link type, conversion)
DERIVED: dict[str, tuple[str, int, Callable[[bytes], bytes]]] = {
    "smtp-v4-null.pcap": ("smtp-v4-ethernet.pcap", 0, null(AF_INET)),
    "smtp-v4-loop.pcap": ("smtp-v4-ethernet.pcap", 108, loop(AF_INET)),
    "smtp-v4-raw101.pcap": ("smtp-v4-ethernet.pcap", 101, raw),
    "smtp-v4-raw12.pcap": ("smtp-v4-ethernet.pcap", 12, raw),
    "smtp-v4-vlan.pcap": ("smtp-v4-ethernet.pcap", 1, vlan((0x8100, 42))),
    "smtp-v6-null.pcap": ("smtp-v6-ethernet.pcap", 0, null(AF_INET6_DARWIN)),
    "smtp-v6-loop.pcap": ("smtp-v6-ethernet.pcap", 108, loop(AF_INET6_BSD)),
    "smtp-v6-raw101.pcap": ("smtp-v6-ethernet.pcap", 101, raw),
}


def derive(name: str) -> bytes:
    original, linktype, convert = DERIVED[name]
    packets, link = read(str(LINKS / original))
    if link != 1:
        raise ValueError(f"{original} is not an Ethernet capture")
    return relink(packets, convert, linktype)


def main() -> None:
    for name in DERIVED:
        (LINKS / name).write_bytes(derive(name))
        print(f"wrote {LINKS / name}")


if __name__ == "__main__":
    main()
