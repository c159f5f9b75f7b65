"""Read pcap and pcapng files and decode just enough of each packet to reach TCP.

dpkt parses the file headers (pcap FileHdr, pcapng interface blocks); the packet records are
walked with struct on large buffers, because dpkt's per-packet objects cost more than the whole
rest of the summary (see shared notes).
"""

from __future__ import annotations

import socket
import struct
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import dpkt

CHUNK = 1 << 20
ETH_IP4 = struct.Struct("!12xHB1xH2xH1xB2x4s4s")  # ethertype, ver/ihl, total, frag, proto, addrs
TCP14 = struct.Struct("!HHIIBB")  # ports, seq, ack, data offset, flags
# No link layer frame is this big; a larger record length means the file is corrupt.
MAX_RECORD = 1 << 26

LINK_NAMES: dict[int, str] = {
    0: "BSD loopback",
    1: "Ethernet",
    12: "raw IP",
    14: "raw IP",
    101: "raw IP",
    108: "OpenBSD loopback",
    113: "Linux cooked (SLL)",
    228: "raw IPv4",
    229: "raw IPv6",
    276: "Linux cooked v2 (SLL2)",
}

# (timestamp, source addr bytes, source port, dest addr bytes, dest port, seq, ack, flags,
#  payload, bytes of payload cut off by the snap length)
Segment = tuple[float, bytes, int, bytes, int, int, int, int, bytes, int]

FIN, SYN, RST, ACK = 0x01, 0x02, 0x04, 0x10


class CaptureError(Exception):
    """The file cannot be read as a capture at all; the message says why and what to do."""


@dataclass
class ReadStats:
    """What the reader saw and skipped, for notes."""

    format: str = ""
    link_types: list[int] = field(default_factory=list)
    snaplen: int = 0
    packets: int = 0
    tcp_packets: int = 0  # TCP packets on the ports we look at
    truncated: int = 0  # packets of ours cut short by the snap length
    not_ip: int = 0
    not_tcp: int = 0
    fragments: int = 0
    malformed: int = 0
    unsupported_link: Counter[int] = field(default_factory=Counter)
    other_ports: Counter[int] = field(default_factory=Counter)  # server ports of other TCP SYNs
    file_problem: str = ""  # why reading stopped early, if it did


def addr_text(addr: bytes) -> str:
    family = socket.AF_INET if len(addr) == 4 else socket.AF_INET6
    return socket.inet_ntop(family, addr)


def _records_pcap(
    fh: BinaryIO, head: bytes, stats: ReadStats
) -> Iterator[tuple[float, int, bytes, int, int, int]]:
    """(ts, linktype, buffer, start, end, original length) for each record of a classic pcap."""
    magic = head[:4]
    if len(head) < 24:
        raise CaptureError("the file ends inside the pcap file header (truncated capture)")
    little = magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1")
    hdr = dpkt.pcap.LEFileHdr(head[:24]) if little else dpkt.pcap.FileHdr(head[:24])
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    divisor = 1e9 if nano else 1e6
    linktype = hdr.linktype & 0x0FFFFFFF  # the top bits hold FCS information
    stats.format = "pcap"
    stats.link_types = [linktype]
    stats.snaplen = hdr.snaplen
    rec = struct.Struct("<IIII" if little else ">IIII")
    unpack = rec.unpack_from
    buf = head[24:]
    pos = 0
    eof = False
    count = 0
    while True:
        if len(buf) - pos < 16 + 65536 and not eof:
            more = fh.read(CHUNK)
            eof = not more
            buf = buf[pos:] + more
            pos = 0
        if len(buf) - pos < 16:
            if len(buf) - pos:
                stats.file_problem = "the file ends inside a packet header (truncated capture)"
            return
        sec, frac, caplen, origlen = unpack(buf, pos)
        if caplen > MAX_RECORD:
            stats.file_problem = (
                f"corrupt packet record after {count} packets "
                f"(length {caplen}); the rest of the file was not read"
            )
            return
        start = pos + 16
        end = start + caplen
        while end > len(buf) and not eof:
            more = fh.read(max(CHUNK, end - len(buf)))
            eof = not more
            buf = buf[pos:] + more
            start, end, pos = start - pos, end - pos, 0
        if end > len(buf):
            stats.file_problem = "the file ends inside a packet (truncated capture)"
            return
        yield sec + frac / divisor, linktype, buf, start, end, origlen
        count += 1
        pos = end


def _records_pcapng(
    fh: BinaryIO, head: bytes, stats: ReadStats
) -> Iterator[tuple[float, int, bytes, int, int, int]]:
    """The same for pcapng: sections, several interfaces, enhanced and simple packet blocks."""
    stats.format = "pcapng"
    data = head
    pos = 0
    eof = False
    endian = "<"
    # per interface: linktype, snaplen, divisor, offset
    ifaces: list[tuple[int, int, float, int]] = []
    count = 0
    while True:
        if len(data) - pos < 65536 and not eof:
            more = fh.read(CHUNK)
            eof = not more
            data = data[pos:] + more
            pos = 0
        if len(data) - pos < 12:
            if len(data) - pos:
                stats.file_problem = "the file ends inside a pcapng block (truncated capture)"
            return
        btype_raw = data[pos : pos + 4]
        if btype_raw == b"\x0a\x0d\x0d\x0a":
            bom = data[pos + 8 : pos + 12]
            if bom == b"\x4d\x3c\x2b\x1a":
                endian = "<"
            elif bom == b"\x1a\x2b\x3c\x4d":
                endian = ">"
            else:
                stats.file_problem = "corrupt pcapng section header (unknown byte order)"
                return
            ifaces = []
        btype, blen = struct.unpack_from(endian + "II", data, pos)
        if blen < 12 or blen % 4 or blen > MAX_RECORD:
            stats.file_problem = (
                f"corrupt pcapng block after {count} packets "
                f"(length {blen}); the rest of the file was not read"
            )
            return
        while len(data) - pos < blen and not eof:
            more = fh.read(max(CHUNK, blen))
            eof = not more
            data = data[pos:] + more
            pos = 0
        if len(data) - pos < blen:
            stats.file_problem = "the file ends inside a pcapng block (truncated capture)"
            return
        if btype == 1:  # interface description
            block = data[pos : pos + blen]
            try:
                idb = (
                    dpkt.pcapng.InterfaceDescriptionBlockLE(block)
                    if endian == "<"
                    else dpkt.pcapng.InterfaceDescriptionBlock(block)
                )
            except (dpkt.UnpackError, struct.error):
                stats.file_problem = "corrupt pcapng interface description block"
                return
            divisor, offset = 1e6, 0
            for opt in idb.opts:
                if opt.code == 9 and opt.data:  # if_tsresol
                    val = opt.data[0]
                    divisor = float((2 if val & 0x80 else 10) ** (val & 0x7F))
                elif opt.code == 14 and len(opt.data) == 8:  # if_tsoffset
                    offset = struct.unpack(endian + "q", opt.data)[0]
            ifaces.append((idb.linktype, idb.snaplen, divisor, offset))
            if idb.linktype not in stats.link_types:
                stats.link_types.append(idb.linktype)
            stats.snaplen = max(stats.snaplen, idb.snaplen)
        elif btype == 6:  # enhanced packet
            iface, high, low, caplen, origlen = struct.unpack_from(endian + "IIIII", data, pos + 8)
            if iface >= len(ifaces) or 28 + caplen > blen:
                stats.malformed += 1
            else:
                link, _snap, divisor, offset = ifaces[iface]
                start = pos + 28
                count += 1
                yield offset + ((high << 32) | low) / divisor, link, data, start, start + caplen, origlen
        elif btype == 3 and ifaces:  # simple packet
            origlen = struct.unpack_from(endian + "I", data, pos + 8)[0]
            link, snap, _d, _o = ifaces[0]
            caplen = min(origlen, blen - 16, snap or origlen)
            yield 0.0, link, data, pos + 12, pos + 12 + caplen, origlen
        pos += blen


def _ip_offset(link: int, buf: bytes, i: int, end: int) -> int:
    """Where the IP header starts, -1 for a non-IP frame, -2 for an unsupported link type."""
    if link == 1:  # Ethernet, maybe with VLAN tags
        etype = (buf[i + 12] << 8) | buf[i + 13]
        j = i + 14
        while etype in (0x8100, 0x88A8) and j + 4 <= end:
            etype = (buf[j + 2] << 8) | buf[j + 3]
            j += 4
        return j if etype in (0x0800, 0x86DD) else -1
    if link == 113:
        etype = (buf[i + 14] << 8) | buf[i + 15]
        return i + 16 if etype in (0x0800, 0x86DD) else -1
    if link == 276:
        etype = (buf[i] << 8) | buf[i + 1]
        return i + 20 if etype in (0x0800, 0x86DD) else -1
    if link in (0, 108):  # 4-byte address family in host (0) or network (108) order
        fam_le = buf[i] | (buf[i + 1] << 8)
        fam_be = (buf[i + 2] << 8) | buf[i + 3]
        return i + 4 if (fam_le in (2, 24, 28, 30) or fam_be in (2, 24, 28, 30)) else -1
    if link in (12, 14, 101, 228, 229):
        return i
    return -2


def segments(fh: BinaryIO, ports: frozenset[int], stats: ReadStats) -> Iterator[Segment]:
    """The TCP segments to or from `ports`, decoded cheaply; everything else is only counted."""
    head = fh.read(CHUNK)
    magic = head[:4]
    if not head:
        raise CaptureError("the file is empty")
    if magic in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d"):
        records = _records_pcap(fh, head, stats)
    elif magic == b"\x0a\x0d\x0d\x0a":
        if len(head) < 28 or head[8:12] not in (b"\x4d\x3c\x2b\x1a", b"\x1a\x2b\x3c\x4d"):
            raise CaptureError("corrupt pcapng file header (no valid section header block)")
        records = _records_pcapng(fh, head, stats)
    else:
        raise CaptureError(
            "not a pcap or pcapng capture (unknown file magic); record one with "
            "`tcpdump -s 0 -w FILE port 25`"
        )
    unpack_tcp = struct.Struct("!HHII").unpack_from
    unpack_eth4 = ETH_IP4.unpack_from
    unpack_tcp14 = TCP14.unpack_from
    packets = truncated = ours = 0
    try:
        for ts, link, buf, i, end, origlen in records:
            packets += 1
            # Fast path: Ethernet (what tcpdump -i lo writes) + IPv4 without options + TCP.
            if link == 1 and end - i >= 54:
                etype, vihl, total, frag, proto, src, dst = unpack_eth4(buf, i)
                if etype == 0x0800 and vihl == 0x45 and proto == 6 and not frag & 0x3FFF:
                    sport, dport, seq, ack, doff, flags = unpack_tcp14(buf, i + 34)
                    if sport not in ports and dport not in ports:
                        if flags & 0x12 == SYN:
                            stats.other_ports[dport] += 1
                        continue
                    ip_end = i + 14 + total if total else i + origlen
                    data_start = i + 34 + (doff >> 4) * 4
                    cut = 0
                    ours += 1
                    if ip_end > end:
                        cut = ip_end - end
                        ip_end = end
                        truncated += 1
                    yield (
                        ts,
                        src,
                        sport,
                        dst,
                        dport,
                        seq,
                        ack,
                        flags,
                        buf[data_start:ip_end] if data_start < ip_end else b"",
                        cut,
                    )
                    continue
            seg = _decode(link, buf, i, end, origlen, ports, stats, unpack_tcp)
            if seg is not None:
                ours += 1
                yield (ts, *seg)
    finally:
        stats.packets += packets
        stats.truncated += truncated
        stats.tcp_packets += ours


def _decode(
    link: int,
    buf: bytes,
    i: int,
    end: int,
    origlen: int,
    ports: frozenset[int],
    stats: ReadStats,
    unpack_tcp: Any,
) -> tuple[bytes, int, bytes, int, int, int, int, bytes, int] | None:
    """Any other link layer, IPv6, IP options: the general (slower) way."""
    try:
        ip = _ip_offset(link, buf, i, end)
    except IndexError:
        stats.malformed += 1
        return None
    if ip < 0:
        if ip == -2:
            stats.unsupported_link[link] += 1
        else:
            stats.not_ip += 1
        return None
    if ip + 20 > end:
        stats.malformed += 1
        return None
    ver = buf[ip] >> 4
    if ver == 4:
        if buf[ip + 9] != 6:
            stats.not_tcp += 1
            return None
        if ((buf[ip + 6] << 8) | buf[ip + 7]) & 0x3FFF:
            stats.fragments += 1
            return None
        total = (buf[ip + 2] << 8) | buf[ip + 3]
        src = buf[ip + 12 : ip + 16]
        dst = buf[ip + 16 : ip + 20]
        tcp = ip + (buf[ip] & 0x0F) * 4
        ip_end = ip + total if total else ip + (origlen - (ip - i))  # 0: segmentation offload
    elif ver == 6:
        if ip + 40 > end:
            stats.malformed += 1
            return None
        nh = buf[ip + 6]
        plen = (buf[ip + 4] << 8) | buf[ip + 5]
        src = buf[ip + 8 : ip + 24]
        dst = buf[ip + 24 : ip + 40]
        tcp = ip + 40
        while nh in (0, 43, 60) and tcp + 8 <= end:
            nh = buf[tcp]
            tcp += (buf[tcp + 1] + 1) * 8
        if nh == 44:
            stats.fragments += 1
            return None
        if nh != 6:
            stats.not_tcp += 1
            return None
        ip_end = ip + 40 + plen if plen else ip + (origlen - (ip - i))
    else:
        stats.not_ip += 1
        return None
    if tcp + 20 > end:
        if tcp + 4 <= end:
            sport, dport = struct.unpack_from("!HH", buf, tcp)
            if sport in ports or dport in ports:
                stats.truncated += 1
        else:
            stats.malformed += 1
        return None
    sport, dport, seq, ack = unpack_tcp(buf, tcp)
    flags = buf[tcp + 13]
    if sport not in ports and dport not in ports:
        if flags & 0x12 == SYN:
            stats.other_ports[dport] += 1
        return None
    data_start = tcp + (buf[tcp + 12] >> 4) * 4
    cut = 0
    if ip_end > end:
        cut = ip_end - end
        ip_end = end
        stats.truncated += 1
    payload = buf[data_start:ip_end] if data_start < ip_end else b""
    return src, sport, dst, dport, seq, ack, flags, payload, cut


def describe_links(stats: ReadStats) -> str:
    return ", ".join(LINK_NAMES.get(lt, f"link type {lt}") for lt in stats.link_types)


def reader_notes(stats: ReadStats, ports: frozenset[int]) -> list[str]:
    """What a user should know about what was not read, in words they can act on."""
    notes: list[str] = []
    if stats.file_problem:
        notes.append(stats.file_problem + "; sessions still open at that point are marked 'capture ended'")
    for link, count in sorted(stats.unsupported_link.items()):
        notes.append(
            f"{count} packets of unsupported link type {link} were skipped; capture "
            "on an Ethernet, loopback or 'any' (Linux cooked) interface instead"
        )
    if stats.truncated:
        notes.append(
            f"{stats.truncated} packets were cut short by the snap length "
            f"({stats.snaplen}); record with `tcpdump -s 0` to see whole packets"
        )
    if stats.fragments:
        notes.append(f"{stats.fragments} IP fragments were skipped (not reassembled)")
    if stats.malformed:
        notes.append(f"{stats.malformed} malformed packets were skipped")
    if stats.packets and not stats.tcp_packets:
        shown = ", ".join(str(p) for p in sorted(ports))
        hint = ""
        if stats.other_ports:
            common = ", ".join(str(p) for p, _n in stats.other_ports.most_common(5))
            hint = f"; TCP connections were opened to port(s) {common}: try --port"
        notes.append(f"no TCP traffic on port(s) {shown} in this capture{hint}")
    return notes
