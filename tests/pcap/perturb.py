"""Perturbed copies of real captures, made with dpkt: what a busy network does to segments."""

from __future__ import annotations

import io
from typing import Callable

import dpkt

Packet = tuple[float, bytes]


def read(path: str) -> tuple[list[Packet], int]:
    with open(path, "rb") as fh:
        reader = dpkt.pcap.Reader(fh)
        return list(reader), reader.datalink()


def write(packets: list[Packet], link: int = 1, snaplen: int = 262144) -> bytes:
    out = io.BytesIO()
    writer = dpkt.pcap.Writer(out, snaplen=snaplen, linktype=link)
    for ts, buf in packets:
        writer.writepkt(buf, ts=ts)
    return out.getvalue()


def write_pcapng(packets: list[Packet], link: int = 1) -> bytes:
    out = io.BytesIO()
    writer = dpkt.pcapng.Writer(out, linktype=link)
    for ts, buf in packets:
        writer.writepkt(buf, ts=ts)
    return out.getvalue()


def _tcp(buf: bytes) -> tuple[dpkt.ethernet.Ethernet, dpkt.tcp.TCP]:
    eth = dpkt.ethernet.Ethernet(buf)
    return eth, eth.data.data


def _rebuild(eth: dpkt.ethernet.Ethernet, tcp: dpkt.tcp.TCP, seq: int, data: bytes) -> bytes:
    ip = eth.data
    new = dpkt.tcp.TCP(bytes(tcp))
    new.seq = seq & 0xFFFFFFFF
    new.data = data
    new.sum = 0
    ip.data = new
    if isinstance(ip, dpkt.ip6.IP6):
        ip.plen = len(bytes(new))  # no extension headers in our captures
    else:
        ip.len = ip.__hdr_len__ + len(ip.opts) + len(bytes(new))
        ip.sum = 0
    return bytes(eth)


def has_data(buf: bytes) -> bool:
    return bool(_tcp(buf)[1].data)


def direction(buf: bytes) -> tuple[int, int]:
    tcp = _tcp(buf)[1]
    return tcp.sport, tcp.dport


def reorder(packets: list[Packet]) -> list[Packet]:
    """Swap each data segment with the next data segment of the same direction."""
    out = list(packets)
    i = 0
    while i < len(out):
        if has_data(out[i][1]):
            for j in range(i + 1, len(out)):
                if has_data(out[j][1]) and direction(out[j][1]) == direction(out[i][1]):
                    out[i], out[j] = out[j], out[i]
                    i = j
                    break
        i += 1
    return out


def duplicate(packets: list[Packet]) -> list[Packet]:
    """Every data segment twice: once in place, once again three packets later."""
    out = list(packets)
    for i in range(len(packets) - 1, -1, -1):
        if has_data(packets[i][1]):
            out.insert(min(len(out), i + 4), packets[i])
    return out


def overlap(packets: list[Packet]) -> list[Packet]:
    """Split each data segment into pieces that overlap by a few bytes, the second one first."""
    out: list[Packet] = []
    for ts, buf in packets:
        _eth, tcp = _tcp(buf)
        data = bytes(tcp.data)
        if len(data) < 8:
            out.append((ts, buf))
            continue
        k = len(data) // 2
        first = _rebuild(*_tcp(buf), tcp.seq, data[: k + 3])
        second = _rebuild(*_tcp(buf), tcp.seq + k - 2, data[k - 2 :])
        out.extend([(ts, second), (ts, first)])
    return out


def split_bytes(packets: list[Packet], size: int = 1) -> list[Packet]:
    """Each data segment as tiny segments of `size` bytes."""
    out: list[Packet] = []
    for ts, buf in packets:
        _eth, tcp = _tcp(buf)
        data = bytes(tcp.data)
        if not data:
            out.append((ts, buf))
            continue
        for off in range(0, len(data), size):
            out.append((ts, _rebuild(*_tcp(buf), tcp.seq + off, data[off : off + size])))
    return out


def drop_handshake(packets: list[Packet]) -> list[Packet]:
    return [(ts, b) for ts, b in packets if not _tcp(b)[1].flags & dpkt.tcp.TH_SYN]


def drop_first_data(packets: list[Packet], sport_filter: Callable[[int], bool]) -> list[Packet]:
    """Lose the first data segment sent from a port matching sport_filter (a hole)."""
    out = list(packets)
    for i, (_ts, buf) in enumerate(out):
        tcp = _tcp(buf)[1]
        if tcp.data and sport_filter(tcp.sport):
            del out[i]
            break
    return out
