"""TCP reassembly per direction: retransmissions, overlaps, out-of-order data, port reuse, holes.

Each direction delivers its bytes in sequence order, once, with the timestamp of the packet that
carried them; what never arrived is delivered as a gap of so many bytes. A new SYN on a known
4-tuple starts a new connection. Memory is bounded: out-of-order data parked beyond a limit is
given up as a hole, and finished connections are handed on and forgotten.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Callable

from postfinger_py.pcap.reader import ACK, FIN, RST, SYN, Segment, addr_text
from postfinger_py.pcap.smtp import SmtpSession

PARK_LIMIT = 4 * 1024 * 1024  # out-of-order bytes per direction before we call it a hole
CLOSED_MEMORY = 65536  # recently closed 4-tuples whose stray packets we ignore
HALF = 1 << 31
MASK = 0xFFFFFFFF

Deliver = Callable[[bytes, float, int], None]


def _diff(a: int, b: int) -> int:
    """a - b in 32-bit sequence space (wrap-safe)."""
    d = (a - b) & MASK
    return d - (1 << 32) if d >= HALF else d


class Stream:
    """One direction of a connection."""

    __slots__ = (
        "deliver",
        "fin",
        "hole_bytes",
        "holes",
        "next_seq",
        "parked",
        "parked_bytes",
        "retransmitted",
    )

    def __init__(self, deliver: Deliver) -> None:
        self.next_seq: int | None = None
        self.parked: dict[int, tuple[bytes, float, int]] = {}
        self.parked_bytes = 0
        self.deliver = deliver
        self.fin = False
        self.holes = 0
        self.hole_bytes = 0
        self.retransmitted = 0

    def syn(self, seq: int) -> None:
        if self.next_seq is None:
            self.next_seq = (seq + 1) & MASK

    def data(self, seq: int, payload: bytes, ts: float, cut: int) -> None:
        nxt = self.next_seq
        if nxt is None:  # no handshake seen: start where the capture starts
            nxt = self.next_seq = seq
        off = _diff(seq, nxt)
        if off == 0 and not self.parked:
            self._emit(payload, ts, cut)
            return
        if off < 0:
            size = len(payload) + cut
            if -off >= size:
                self.retransmitted += 1
                return
            if -off >= len(payload):  # only the cut-off part is new
                self._emit(b"", ts, size + off)
                self._drain()
                return
            payload = payload[-off:]
            off = 0
        if off == 0:
            self._emit(payload, ts, cut)
            self._drain()
            return
        key = seq
        old = self.parked.get(key)
        if old is not None and len(old[0]) + old[2] >= len(payload) + cut:
            self.retransmitted += 1
            return
        if old is not None:
            self.parked_bytes -= len(old[0])
        self.parked[key] = (payload, ts, cut)
        self.parked_bytes += len(payload)
        if self.parked_bytes > PARK_LIMIT:
            self.skip_hole()

    def _emit(self, payload: bytes, ts: float, cut: int) -> None:
        assert self.next_seq is not None
        if payload:
            self.deliver(payload, ts, 0)
        if cut:
            self.holes += 1
            self.hole_bytes += cut
            self.deliver(b"", ts, cut)
        self.next_seq = (self.next_seq + len(payload) + cut) & MASK

    def _drain(self) -> None:
        while self.parked:
            nxt = self.next_seq
            assert nxt is not None
            item = self.parked.pop(nxt, None)
            if item is not None:
                self.parked_bytes -= len(item[0])
                self._emit(*item)
                continue
            progressed = False
            for seq in list(self.parked):
                off = _diff(seq, nxt)
                if off >= 0:
                    continue
                payload, ts, cut = self.parked.pop(seq)
                self.parked_bytes -= len(payload)
                if len(payload) + cut <= -off:
                    self.retransmitted += 1
                    progressed = True
                    continue
                if -off < len(payload):
                    self._emit(payload[-off:], ts, cut)
                else:
                    self._emit(b"", ts, len(payload) + cut + off)
                progressed = True
                break
            if not progressed:
                return

    def skip_hole(self) -> None:
        """Give up on the missing bytes before the earliest parked segment."""
        while self.parked:
            nxt = self.next_seq
            assert nxt is not None
            first = min(self.parked, key=lambda s: _diff(s, nxt))
            gap = _diff(first, nxt)
            if gap > 0:
                _payload, ts, _cut = self.parked[first]
                self.holes += 1
                self.hole_bytes += gap
                self.deliver(b"", ts, gap)
                self.next_seq = first
            self._drain()


class Connection:
    """Both directions of one TCP connection and the SMTP session they carry."""

    __slots__ = (
        "c2s",
        "client",
        "client_isn",
        "fin_by",
        "rst_by",
        "s2c",
        "server",
        "session",
        "start",
    )

    def __init__(self, ts: float, client: tuple[bytes, int], server: tuple[bytes, int]) -> None:
        self.client = client
        self.server = server
        self.start = ts
        session = SmtpSession(ts)
        self.session = session
        self.c2s = Stream(session.client_data)
        self.s2c = Stream(session.server_data)
        self.fin_by: str | None = None
        self.rst_by: str | None = None
        self.client_isn: int | None = None

    def finish(self) -> dict[str, object]:
        self.c2s.skip_hole()
        self.s2c.skip_hole()
        result = self.session.finish({"fin_by": self.fin_by, "rst_by": self.rst_by})
        result["client"] = _endpoint(*self.client)
        result["server"] = _endpoint(*self.server)
        holes = self.c2s.holes + self.s2c.holes
        result["holes"] = holes
        result["retransmitted"] = self.c2s.retransmitted + self.s2c.retransmitted
        return result


def _endpoint(addr: bytes, port: int) -> str:
    text = addr_text(addr)
    return f"[{text}]:{port}" if ":" in text else f"{text}:{port}"


Done = Callable[[dict[str, object]], None]


class Tracker:
    """Routes segments to connections; hands each finished session to `done`."""

    def __init__(self, ports: frozenset[int], done: Done) -> None:
        self.ports = ports
        self.done = done
        # 4-tuple as sent -> (connection, sent by the client?)
        self.conns: dict[tuple[bytes, int, bytes, int], tuple[Connection, bool]] = {}
        self.closed: OrderedDict[tuple[bytes, int, bytes, int], None] = OrderedDict()
        self.midstream = 0  # connections whose handshake was not captured
        self.stray = 0  # packets of connections already closed (or never seen) without data

    def feed(self, seg: Segment) -> None:
        ts, src, sport, dst, dport, seq, _ack, flags, payload, cut = seg
        if not payload and not flags & 0x07 and not cut:
            return  # a bare ACK: nothing for us
        key = (src, sport, dst, dport)
        entry = self.conns.get(key)
        if flags & SYN:
            entry = self._syn(key, entry, ts, seq, flags)
        if entry is None:
            if not payload or key in self.closed or (dst, dport, src, sport) in self.closed:
                self.stray += 1
                return
            entry = self._open_midstream(key, ts)
        conn, from_client = entry
        stream = conn.c2s if from_client else conn.s2c
        if payload or cut:
            if stream.next_seq == seq and not cut and not stream.parked:  # the usual case
                stream.next_seq = (seq + len(payload)) & MASK
                stream.deliver(payload, ts, 0)
            else:
                stream.data(seq, payload, ts, cut)
        if flags & RST:
            conn.rst_by = "client" if from_client else "server"
            self._close(conn)
        elif flags & FIN and not stream.fin:
            stream.fin = True
            if conn.fin_by is None:
                conn.fin_by = "client" if from_client else "server"
            if conn.c2s.fin and conn.s2c.fin:
                self._close(conn)

    def _syn(
        self,
        key: tuple[bytes, int, bytes, int],
        entry: tuple[Connection, bool] | None,
        ts: float,
        seq: int,
        flags: int,
    ) -> tuple[Connection, bool] | None:
        src, sport, dst, dport = key
        if flags & ACK:  # SYN-ACK: the server's side
            if entry is None:
                rkey = (dst, dport, src, sport)
                if rkey in self.closed:
                    self.closed.pop(rkey)
                entry = self._open(ts, (dst, dport), (src, sport))
                self.midstream += 1
                entry = self.conns[key]
            conn, from_client = entry
            (conn.s2c if not from_client else conn.c2s).syn(seq)
            return entry
        if entry is not None:
            conn, from_client = entry
            if from_client and conn.client_isn == seq:
                return entry  # a retransmitted SYN
            self._close(conn)  # port reuse: a new connection on the same 4-tuple
        self.closed.pop(key, None)
        self.closed.pop((dst, dport, src, sport), None)
        entry = self._open(ts, (src, sport), (dst, dport))
        conn = entry[0]
        conn.client_isn = seq
        conn.c2s.syn(seq)
        return entry

    def _open(
        self, ts: float, client: tuple[bytes, int], server: tuple[bytes, int]
    ) -> tuple[Connection, bool]:
        conn = Connection(ts, client, server)
        self.conns[(client[0], client[1], server[0], server[1])] = (conn, True)
        self.conns[(server[0], server[1], client[0], client[1])] = (conn, False)
        return (conn, True)

    def _open_midstream(self, key: tuple[bytes, int, bytes, int], ts: float) -> tuple[Connection, bool]:
        src, sport, dst, dport = key
        self.midstream += 1
        if sport in self.ports and (dport not in self.ports or sport < dport):
            self._open(ts, (dst, dport), (src, sport))
        else:
            self._open(ts, (src, sport), (dst, dport))
        return self.conns[key]

    def _close(self, conn: Connection) -> None:
        ckey = (conn.client[0], conn.client[1], conn.server[0], conn.server[1])
        skey = (conn.server[0], conn.server[1], conn.client[0], conn.client[1])
        if self.conns.get(ckey, (None,))[0] is conn:
            del self.conns[ckey]
            del self.conns[skey]
        self.closed[ckey] = None
        if len(self.closed) > CLOSED_MEMORY:
            self.closed.popitem(last=False)
        self.done(conn.finish())

    def close_all(self) -> None:
        """End of capture: finish what is still open, in the order the connections started."""
        seen: list[Connection] = []
        ids = set()
        for conn, _from_client in self.conns.values():
            if id(conn) not in ids:
                ids.add(id(conn))
                seen.append(conn)
        seen.sort(key=lambda c: c.start)
        for conn in seen:
            self._close(conn)
