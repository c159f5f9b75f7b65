"""Summarise a capture: every SMTP session (the interesting ones in full), totals, and notes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any, BinaryIO

from postfinger_py.pcap.reader import CaptureError, ReadStats, describe_links, reader_notes, segments
from postfinger_py.pcap.reassembly import Tracker

DEFAULT_PORTS = (25, 465, 587)
DETAIL_LIMIT = 20  # sessions shown in full; problem sessions are kept in preference
SLOWEST = 5

NORMAL_OUTCOMES = ("mail accepted", "no mail sent", "encrypted after STARTTLS")


def smtp_ports(extra: Iterable[int] = ()) -> frozenset[int]:
    return frozenset(DEFAULT_PORTS) | frozenset(extra)


def _interesting(session: dict[str, Any]) -> bool:
    if session["anomalies"] or session["holes"]:
        return True
    tls = session["tls"]
    # QUIT is never visible inside TLS, so how an encrypted session ended tells nothing
    encrypted = tls is not None and (session["implicit_tls"] or tls.get("reply") == 220)
    return not encrypted and session["end"] != "QUIT"


class Totals:
    """Adds up finished sessions; keeps at most `limit` of them in full."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.count = 0
        self.outcomes: Counter[str] = Counter()
        self.ends: Counter[str] = Counter()
        self.codes: Counter[str] = Counter()
        self.with_anomalies = 0
        self.with_holes = 0
        self.messages = 0
        self.message_bytes = 0
        self.slowest: list[tuple[float, str, str, str]] = []  # wait, verb, client, start
        self.kept: list[dict[str, Any]] = []

    def add(self, session: dict[str, Any]) -> None:
        self.count += 1
        outcome = session["outcome"]
        self.outcomes["mail accepted" if outcome.endswith("messages accepted") else outcome] += 1
        self.ends[session["end"]] += 1
        for code, n in session["codes"].items():
            self.codes[code] += n
        for message in session["messages"]:
            if message["reply"] < 300:
                self.messages += 1
                self.message_bytes += message["size"]
        if session["anomalies"]:
            self.with_anomalies += 1
        if session["holes"]:
            self.with_holes += 1
        for wait, verb in session.pop("waits"):
            self.slowest.append((wait, verb, session["client"], session["start"]))
        if len(self.slowest) > 4 * SLOWEST:
            self.slowest.sort(reverse=True)
            del self.slowest[SLOWEST:]
        self._keep(session)

    def _keep(self, session: dict[str, Any]) -> None:
        if len(self.kept) < self.limit:
            self.kept.append(session)
            return
        if not _interesting(session):
            return
        for i, old in enumerate(self.kept):
            if not _interesting(old):
                del self.kept[i]
                self.kept.append(session)
                return

    def to_plain(self) -> dict[str, Any]:
        self.slowest.sort(reverse=True)
        return {
            "sessions": self.count,
            "outcomes": dict(self.outcomes.most_common()),
            "ends": dict(self.ends.most_common()),
            "codes": dict(sorted(self.codes.items())),
            "with_anomalies": self.with_anomalies,
            "with_holes": self.with_holes,
            "messages": self.messages,
            "message_bytes": self.message_bytes,
            "slowest": [
                {"wait": round(w, 3), "command": v, "client": c, "start": s}
                for w, v, c, s in self.slowest[:SLOWEST]
            ],
        }


def summarize(fh: BinaryIO, name: str, ports: frozenset[int], limit: int = DETAIL_LIMIT) -> dict[str, Any]:
    """The summary of one capture as plain data; an unreadable file gives 'error'."""
    stats = ReadStats()
    totals = Totals(limit)
    tracker = Tracker(ports, totals.add)
    feed = tracker.feed
    result: dict[str, Any] = {"file": name, "error": "", "ports": sorted(ports)}
    try:
        for seg in segments(fh, ports, stats):
            feed(seg)
    except CaptureError as exc:
        result["error"] = str(exc)
        result["lines"] = [f"Capture {name}: cannot be read: {exc}"]
        return result
    tracker.close_all()
    notes = reader_notes(stats, ports)
    if tracker.midstream:
        notes.append(
            f"{tracker.midstream} connections started before the capture did (no "
            "handshake seen); their beginning may be missing"
        )
    if stats.tcp_packets and not totals.count:
        notes.append("TCP packets on the SMTP ports carried no data")
    kept = sorted(totals.kept, key=lambda s: s["start_ts"])
    for session in kept:
        session.pop("start_ts", None)
    result.update(
        {
            "format": stats.format,
            "link": describe_links(stats),
            "packets": stats.packets,
            "smtp_packets": stats.tcp_packets,
            "notes": notes,
            "totals": totals.to_plain(),
            "sessions": kept,
            "shown": len(kept),
        }
    )
    result["lines"] = format_lines(result)
    return result


def _counts(counter: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counter.items()) or "none"


def format_lines(result: dict[str, Any]) -> list[str]:
    """The readable account of one capture, one string per output line."""
    if result["error"]:
        return [f"Capture {result['file']}: cannot be read: {result['error']}"]
    t = result["totals"]
    ports = ", ".join(str(p) for p in result["ports"])
    lines = [
        f"Capture {result['file']}: {result['format']}, {result['link'] or 'no link type'}, "
        f"{result['packets']} packets, {result['smtp_packets']} TCP packets on port(s) {ports}",
    ]
    lines += [f"  note: {n}" for n in result["notes"]]
    lines.append(
        f"Sessions: {t['sessions']}; messages accepted: {t['messages']} "
        f"({t['message_bytes']} bytes); with anomalies: {t['with_anomalies']}; "
        f"with missing data: {t['with_holes']}"
    )
    if t["sessions"]:
        lines.append(f"Outcomes: {_counts(t['outcomes'])}")
        lines.append(f"Ended by: {_counts(t['ends'])}")
        lines.append("Reply codes: " + (", ".join(f"{c} x{n}" for c, n in t["codes"].items()) or "none"))
        if t["slowest"]:
            lines.append("Slowest steps:")
            for s in t["slowest"]:
                lines.append(
                    f"  {s['wait']:.3f} s  {s['command']}  (client {s['client']}, session at {s['start']})"
                )
    if result["shown"] < t["sessions"]:
        lines.append(
            f"Showing {result['shown']} of {t['sessions']} sessions in full "
            "(those with problems first); --sessions N shows more."
        )
    for n, s in enumerate(result["sessions"], 1):
        lines.append("")
        lines.extend(_session_lines(n, s))
    return lines


def _session_lines(n: int, s: dict[str, Any]) -> list[str]:
    out = [
        f"Session {n}: client {s['client']} -> server {s['server']}, {s['start']} UTC, "
        f"{s['duration']:.3f} s; {s['outcome']}; ended by {s['end']}"
    ]
    if s["banner"] is not None:
        out.append(f"  banner: {s['banner']}")
    if s["helo"] is not None:
        out.append(f"  HELO/EHLO name: {s['helo']}")
    if s["capabilities"]:
        out.append(f"  capabilities: {', '.join(s['capabilities'])}")
    if s["mail_from"] or s["rcpt_to"]:
        more = s["rcpt_count"] - len(s["rcpt_to"])
        rcpts = ", ".join(s["rcpt_to"]) + (f" (+{more} more)" if more > 0 else "")
        out.append(f"  MAIL FROM: {', '.join(s['mail_from']) or '-'}; RCPT TO: {rcpts or '-'}")
    for m in s["messages"]:
        gap = ", incomplete in capture" if m["incomplete"] else ""
        queued = (
            f", queued as {m['queue_id']} (postfinger trace {m['queue_id']})" if m.get("queue_id") else ""
        )
        out.append(f"  message: {m['size']} bytes sent{gap}, reply {m['reply']}{queued}")
    tls = s["tls"]
    if tls is not None:
        how = "implicit TLS" if s["implicit_tls"] else f"STARTTLS -> {tls['reply']}"
        parts = [how]
        if tls["client_version"]:
            parts.append(f"client offers up to {tls['client_version']}")
        parts.append(f"SNI {tls['sni']}" if tls["sni"] else "no SNI")
        if tls["server_version"]:
            parts.append(f"server chose {tls['server_version']}")
        out.append("  TLS: " + ", ".join(parts) + "; the rest of the session is encrypted")
    for a in s["auth"]:
        out.append(f"  AUTH: mechanism {a['mechanism']} -> {a['reply']} (credentials not shown)")
    if s["holes"] or s["retransmitted"]:
        out.append(
            f"  TCP: {s['holes']} holes (client {s['gaps']['client']} bytes, server "
            f"{s['gaps']['server']} bytes missing), {s['retransmitted']} "
            "retransmitted segments"
        )
    if s["steps"]:
        out.append("  dialogue (time since connect, command, reply, reply time):")
        width = min(48, max(len(st["command"]) for st in s["steps"]))
        for st in s["steps"]:
            reply = "---" if st["reply"] is None else str(st["reply"])
            wait = "no reply seen" if st["wait"] is None else f"{st['wait']:.3f} s"
            line = f"    +{st['at']:.3f}  {st['command']:<{width}}  {reply}  {wait}"
            if st["text"]:
                line += f"  {st['text']}"
            out.append(line.rstrip())
        if s["more_steps"]:
            out.append(f"    ... {s['more_steps']} more steps not shown")
    if s["anomalies"]:
        out.append("  anomalies:")
        out.extend(f"    - {a}" for a in s["anomalies"])
        if s["more_anomalies"]:
            out.append(f"    - ... and {s['more_anomalies']} more")
    return out
