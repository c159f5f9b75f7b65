"""The SMTP dialogue of one TCP connection, rebuilt from the two reassembled byte streams.

Commands and replies are paired by their order in each stream (every command, message content
and AUTH response gets exactly one reply), so the result does not depend on how the capture
interleaved the two directions. Where the meaning of the next client bytes depends on a reply
(after DATA, STARTTLS and AUTH) the client stream waits for that reply. Message content is counted,
never kept; AUTH shows the mechanism only.
"""

from __future__ import annotations

import re
import time
from collections import Counter, deque
from typing import Any

from postfinger_py.pcap.tls import looks_like_tls, parse_client_hello, parse_server_hello

MAX_LINE = 4096  # longer command/reply lines are cut here (and said so)
MAX_STEPS = 200  # steps kept per session; the rest are only counted
MAX_ANOMALIES = 20
MAX_ADDRESSES = 20
MAX_REPLY_LINES = 60
HOLD_LIMIT = 256 * 1024  # client bytes kept while waiting for a reply that decides their meaning
TLS_PEEK = 16 * 1024
SLOW_REPLY = 5.0  # seconds before a reply counts as slow
CLIENT_PAUSE = 30.0  # seconds of client silence between a reply and its next command
QUEUE_LIMIT = 10000  # unanswered commands (or unasked replies) kept for pairing

# RFC 2920: these end a pipelined group; a client must wait for their reply.
MUST_WAIT = frozenset(
    {
        "EHLO",
        "HELO",
        "LHLO",
        "DATA",
        "VRFY",
        "EXPN",
        "TURN",
        "QUIT",
        "NOOP",
        "STARTTLS",
        "AUTH",
        "(auth response)",
        "(connect)",
    }
)
KNOWN = frozenset(
    {
        "EHLO",
        "HELO",
        "LHLO",
        "MAIL",
        "RCPT",
        "DATA",
        "BDAT",
        "RSET",
        "VRFY",
        "EXPN",
        "HELP",
        "NOOP",
        "QUIT",
        "STARTTLS",
        "AUTH",
        "ETRN",
        "XCLIENT",
        "XFORWARD",
        "TURN",
        "ATRN",
    }
)

# (verb, shown text, timestamp, kind)
Pending = tuple[str, str, float, str]
# (code, lines, timestamp)
Reply = tuple[int, list[str], float]
_QUEUED = re.compile(r"\bqueued as ([0-9A-Za-z]{5,20})\b")


def _text(raw: bytes) -> str:
    if len(raw) > MAX_LINE:
        raw = raw[:MAX_LINE]
    return raw.decode("utf-8", "replace")


def fmt_time(ts: float) -> str:
    whole = int(ts)
    millis = round((ts - whole) * 1000)
    if millis == 1000:
        whole, millis = whole + 1, 0
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(whole)) + f".{millis:03d}"


class SmtpSession:
    """Feed client_data/server_data (in stream order, with timestamps), then finish()."""

    def __init__(self, start: float) -> None:
        self.start = start
        self.last = start
        self.cmode = "start"  # start, cmd, authline, hold, data, bdat, tls
        self.smode = "start"  # start, reply, hold, tls
        self.cin: deque[tuple[bytes, float, int]] = deque()  # held client input (data, ts, gap)
        self.cin_bytes = 0
        self.sin: deque[tuple[bytes, float, int]] = deque()
        self.cline = bytearray()
        self.cline_long = False
        self.sline = bytearray()
        self.reply_lines: list[str] = []
        self.cmds: deque[Pending] = deque([("(connect)", "(connect)", start, "connect")])
        self.replies: deque[Reply] = deque()
        self.steps: list[dict[str, Any]] = []
        self.more_steps = 0
        self.banner: str | None = None
        self.helo: str | None = None
        self.capabilities: list[str] = []
        self.pipelining = False
        self.mail_from: list[str] = []
        self.rcpt_to: list[str] = []
        self.rcpt_count = 0
        self.messages: list[dict[str, Any]] = []
        self.msg_bytes = 0
        self.msg_incomplete = False
        self.tail = b"\r\n"
        self.bdat_left = 0
        self.bdat_bytes = 0
        self.starttls: dict[str, Any] | None = None
        self.implicit_tls = False
        self.cstart = b""  # first bytes that may begin a TLS record (implicit TLS)
        self.sstart = b""
        self.tls_c = bytearray()
        self.tls_s = bytearray()
        self.tls_c_done = False
        self.tls_s_done = False
        self.auth: list[dict[str, Any]] = []
        self.anomalies: list[str] = []
        self.more_anomalies = 0
        self.codes: Counter[int] = Counter()
        self.verbs: Counter[str] = Counter()
        self.quit = False
        self.timeout_reply = False
        self.not_smtp = False
        self.prev_reply_ts: float | None = None
        self.prev_verb = "(connect)"
        self.gaps = {"client": 0, "server": 0}
        self.waits: list[tuple[float, str]] = []  # the slowest few replies (wait, verb)

    # ---------------------------------------------------------------- input
    def client_data(self, data: bytes, ts: float, gap: int = 0) -> None:
        self.last = max(self.last, ts)
        if self.cin or self.cmode == "hold":
            self.cin.append((data, ts, gap))
            self.cin_bytes += len(data)
            if self.cmode == "hold" and self.cin_bytes > HOLD_LIMIT:
                self._resolve_hold(None)
        else:
            rest = self._client(data, ts, gap)
            if rest:
                self.cin.appendleft((rest, ts, 0))
                self.cin_bytes += len(rest)
        self._pump()

    def server_data(self, data: bytes, ts: float, gap: int = 0) -> None:
        self.last = max(self.last, ts)
        if self.sin or self.smode == "hold":
            self.sin.append((data, ts, gap))
            if len(self.sin) > 1000:  # the reply that releases it is not coming
                self.smode = "reply"
        else:
            rest = self._server(data, ts, gap)
            if rest:
                self.sin.appendleft((rest, ts, 0))
        self._pump()

    def _pump(self) -> None:
        while True:
            moved = False
            while self.cin and self.cmode != "hold":
                data, ts, gap = self.cin.popleft()
                self.cin_bytes -= len(data)
                rest = self._client(data, ts, gap)
                moved = True
                if rest:
                    self.cin.appendleft((rest, ts, 0))
                    self.cin_bytes += len(rest)
            while self.sin and self.smode != "hold":
                data, ts, gap = self.sin.popleft()
                rest = self._server(data, ts, gap)
                moved = True
                if rest:
                    self.sin.appendleft((rest, ts, 0))
            if not moved:
                return

    # ---------------------------------------------------------------- client stream
    def _client(self, data: bytes, ts: float, gap: int) -> bytes:
        """Consume client bytes; return what is left when the meaning must wait for a reply."""
        if gap:
            self.cstart = b""
            self._client_gap(gap)
            return b""
        if self.cmode == "start":
            data = self.cstart + data
            self.cstart = _tls_prefix(data)
            if self.cstart:  # too short to tell TLS from SMTP yet
                return b""
            if looks_like_tls(data):
                self.implicit_tls = True
                self.cmode = "tls"
                self.smode = "tls"
            else:
                self.cmode = "cmd"
        pos, n = 0, len(data)
        while pos < n:
            mode = self.cmode
            if mode == "hold":
                return data[pos:]
            if mode == "data":
                pos = self._content(data, pos, ts)
            elif mode == "bdat":
                take = min(self.bdat_left, n - pos)
                self.bdat_left -= take
                self.bdat_bytes += take
                pos += take
                if not self.bdat_left:
                    self.cmode = "cmd"
            elif mode == "tls":
                self._tls_client(data[pos:] if pos else data)
                return b""
            else:
                eol = data.find(b"\n", pos)
                if eol < 0:
                    if not self.cline_long:
                        self.cline += data[pos:]
                        if len(self.cline) > MAX_LINE:
                            del self.cline[MAX_LINE:]
                            self.cline_long = True
                    return b""
                if self.cline:
                    if not self.cline_long:
                        self.cline += data[pos:eol]
                    line = bytes(self.cline)
                    self.cline.clear()
                    self.cline_long = False
                else:
                    line = data[pos:eol]
                pos = eol + 1
                if line.endswith(b"\r"):
                    line = line[:-1]
                self._command(line, ts)
        return b""

    def _client_gap(self, gap: int) -> None:
        self.gaps["client"] += gap
        if self.cmode == "data":
            self.msg_bytes += gap
            self.msg_incomplete = True
            self.tail = b""
        elif self.cmode == "bdat":
            take = min(gap, self.bdat_left)
            self.bdat_left -= take
            self.bdat_bytes += take
            self.msg_incomplete = True
            if not self.bdat_left:
                self.cmode = "cmd"
        elif self.cmode != "tls":
            self.cline.clear()
            self._anomaly(
                f"{gap} bytes from the client are missing from the capture; "
                "commands around them may be misread"
            )

    def _content(self, data: bytes, pos: int, ts: float) -> int:
        """Count message content up to CRLF.CRLF; return where the client stream continues."""
        tail = self.tail
        end = -1
        probe = tail + data[pos : pos + 5]
        k = probe.find(b"\r\n.\r\n")
        if 0 <= k < len(tail):
            content_end = pos + max(0, k + 2 - len(tail))
            end = pos + k + 5 - len(tail)
            # the start of ".\r\n" already counted as content with an earlier segment
            self.msg_bytes -= max(0, len(tail) - (k + 2))
        else:
            k = data.find(b"\r\n.\r\n", pos)
            if k >= 0:
                content_end, end = k + 2, k + 5
        if end < 0:
            self.msg_bytes += len(data) - pos
            self.tail = data[-4:] if len(data) - pos >= 4 else (tail + data[pos:])[-4:]
            return len(data)
        self.msg_bytes += content_end - pos
        size = self.msg_bytes
        more = ", incomplete in capture" if self.msg_incomplete else ""
        shown = f"(message content, {size} bytes{more})"
        self.cmode = "cmd"
        self._push(("(message content)", shown, ts, "content"))
        return end

    def _command(self, raw: bytes, ts: float) -> None:
        if self.cmode == "authline":
            self.cmode = "hold"  # before pairing: the reply may already be here
            self._push(("(auth response)", "(auth response, hidden)", ts, "auth"))
            return
        line = _text(raw)
        word, _, arg = line.partition(" ")
        verb = word.upper()
        shown = line
        kind = "cmd"
        if verb not in KNOWN:
            if not self.steps and not self.verbs and not line.isprintable():
                self.not_smtp = True
            shown = line if len(line) <= 80 else line[:80] + "..."
        elif verb in ("EHLO", "HELO", "LHLO"):
            self.helo = arg.strip()
        elif verb == "MAIL":
            self.msg_incomplete = False
            if len(self.mail_from) < MAX_ADDRESSES:
                self.mail_from.append(_address(arg))
        elif verb == "RCPT":
            self.rcpt_count += 1
            if len(self.rcpt_to) < MAX_ADDRESSES:
                self.rcpt_to.append(_address(arg))
        elif verb == "AUTH":
            mech = arg.split(" ", 1)
            shown = "AUTH " + mech[0].upper()
            if len(mech) > 1 and mech[1].strip():
                shown += " (initial response hidden)"
        elif verb == "BDAT":
            parts = arg.split()
            try:
                self.bdat_left = int(parts[0]) if parts else 0
            except ValueError:
                self.bdat_left = 0
            if self.bdat_left:
                self.cmode = "bdat"
            if "LAST" in arg.upper():
                kind = "bdatlast"
        self.verbs[verb] += 1
        if verb in ("DATA", "STARTTLS", "AUTH"):
            self.cmode = "hold"  # before pairing: the reply may already be here
        self._push((verb, shown, ts, kind))

    def _resolve_hold(self, code: int | None) -> None:
        """Too much client data waited for a reply that never came: assume it went well."""
        if self.cmds:
            verb = self.cmds[-1][0]
            self.cmode = {"DATA": "data", "STARTTLS": "tls"}.get(verb, "cmd")
            if self.cmode == "data":
                self.msg_bytes, self.tail = 0, b"\r\n"
        else:
            self.cmode = "cmd"

    # ---------------------------------------------------------------- server stream
    def _server(self, data: bytes, ts: float, gap: int) -> bytes:
        if gap:
            self.sstart = b""
            self.gaps["server"] += gap
            if self.smode != "tls":
                self.sline.clear()
                self.reply_lines = []
                self._anomaly(
                    f"{gap} bytes from the server are missing from the capture; "
                    "replies around them may be misread"
                )
            return b""
        if self.smode == "start":
            data = self.sstart + data
            self.sstart = _tls_prefix(data)
            if self.sstart:
                return b""
            if looks_like_tls(data):
                self.smode = "tls"
                self.implicit_tls = True
            else:
                self.smode = "reply"
        pos, n = 0, len(data)
        while pos < n:
            if self.smode == "tls":
                self._tls_server(data[pos:] if pos else data)
                return b""
            if self.smode == "hold":
                return data[pos:]
            eol = data.find(b"\n", pos)
            if eol < 0:
                if len(self.sline) < MAX_LINE:
                    self.sline += data[pos : pos + MAX_LINE]
                return b""
            if self.sline:
                self.sline += data[pos:eol]
                line = bytes(self.sline)
                self.sline.clear()
            else:
                line = data[pos:eol]
            pos = eol + 1
            if line.endswith(b"\r"):
                line = line[:-1]
            self._reply_line(line, ts)
        return b""

    def _reply_line(self, raw: bytes, ts: float) -> None:
        code = raw[:3]
        if len(raw) < 3 or not code.isdigit() or raw[3:4] not in (b"", b" ", b"-"):
            if not self.codes and not self.replies and not self.reply_lines:
                self.not_smtp = True
            self._anomaly("the server sent a line that is not an SMTP reply")
            return
        if len(self.reply_lines) < MAX_REPLY_LINES:
            self.reply_lines.append(_text(raw))
        if raw[3:4] == b"-":
            return
        lines, self.reply_lines = self.reply_lines, []
        self.replies.append((int(code), lines, ts))
        if len(self.replies) > QUEUE_LIMIT:
            self.replies.popleft()
        self._match()
        if self.replies and int(code) == 220 and self.banner is not None:
            self.smode = "hold"  # perhaps the answer to a STARTTLS we have not read yet

    # ---------------------------------------------------------------- pairing
    def _push(self, entry: Pending) -> None:
        self.cmds.append(entry)
        if len(self.cmds) > QUEUE_LIMIT:
            self._step(self.cmds.popleft(), None)
        self._match()

    def _match(self) -> None:
        while self.cmds and self.replies:
            self._pair(self.cmds.popleft(), self.replies.popleft())

    def _pair(self, cmd: Pending, reply: Reply) -> None:
        verb, shown, cts, kind = cmd
        code, lines, rts = reply
        self.codes[code] += 1
        text = " ".join(line[4:] for line in lines).strip() if code >= 400 else ""
        if kind == "connect":
            self.banner = lines[0][4:] if lines else ""
        else:
            prev = self.prev_reply_ts
            if prev is not None and cts < prev and (self.prev_verb in MUST_WAIT or not self.pipelining):
                if self.prev_verb == "(connect)":
                    self._anomaly(f"the client sent {verb} before the server greeting (pre-greeting traffic)")
                else:
                    self._anomaly(
                        f"improper pipelining: {verb} was sent before the reply to {self.prev_verb}"
                    )
            if rts < cts:
                self._anomaly(f"reply {code} came before {verb} was sent (unexpected reply)")
            if prev is not None and cts - prev >= CLIENT_PAUSE:
                self._anomaly(f"the client paused {cts - prev:.1f} s before {verb}")
        wait = rts - cts if kind != "connect" else rts - self.start
        if wait >= SLOW_REPLY:
            self._anomaly(f"slow reply: {wait:.1f} s for {verb}")
        if code >= 400:
            self._anomaly(f"{code} reply to {verb}: {text}")
        if code == 421 and "timeout" in text.lower():
            self.timeout_reply = True
        if not self.waits or wait > self.waits[-1][0] or len(self.waits) < 3:
            self._remember_wait(wait, verb)
        self._step(cmd, reply)
        self.prev_reply_ts, self.prev_verb = rts, verb
        self._effects(verb, shown, kind, code, lines)

    def _effects(self, verb: str, shown: str, kind: str, code: int, lines: list[str]) -> None:
        if verb in ("EHLO", "LHLO") and code == 250:
            self.capabilities = [c for c in (line[4:].strip() for line in lines[1:]) if c]
            self.pipelining = any(c.upper() == "PIPELINING" for c in self.capabilities)
        elif verb == "DATA" and self.cmode == "hold":
            if code == 354:
                self.cmode, self.msg_bytes, self.tail = "data", 0, b"\r\n"
            else:
                self.cmode = "cmd"
        elif kind == "content":
            self._message(code, lines)
        elif kind == "bdatlast":
            self.msg_bytes, self.bdat_bytes = self.bdat_bytes, 0
            self._message(code, lines)
        elif verb == "STARTTLS":
            self.starttls = {"reply": code, "client_version": None, "sni": None, "server_version": None}
            if code == 220:
                self.cmode, self.smode = "tls", "tls"
            elif self.cmode == "hold":
                self.cmode = "cmd"
        elif verb == "AUTH" or kind == "auth":
            if verb == "AUTH":
                mech = shown.split(" ")[1] if " " in shown else "?"
                self.auth.append({"mechanism": mech, "reply": code})
            elif self.auth:
                self.auth[-1]["reply"] = code
            if self.cmode == "hold":
                self.cmode = "authline" if code == 334 else "cmd"
        elif verb == "QUIT":
            self.quit = True
        if self.smode == "hold" and not self.replies:
            self.smode = "reply"

    def _message(self, code: int, lines: list[str]) -> None:
        if len(self.messages) < MAX_ADDRESSES:
            # Postfix's "250 2.0.0 Ok: queued as 4F3A2160282": the link to `postfinger trace`.
            queued = next((m.group(1) for m in map(_QUEUED.search, lines) if m), None)
            self.messages.append(
                {"size": self.msg_bytes, "reply": code, "queue_id": queued, "incomplete": self.msg_incomplete}
            )
        self.msg_bytes = 0

    def _step(self, cmd: Pending, reply: Reply | None) -> None:
        if len(self.steps) >= MAX_STEPS:
            self.more_steps += 1
            return
        _verb, shown, cts, kind = cmd
        step: dict[str, Any] = {
            "at": round(cts - self.start, 3),
            "command": shown,
            "reply": None,
            "text": "",
            "wait": None,
        }
        if reply is not None:
            code, lines, rts = reply
            step["reply"] = code
            step["wait"] = round(rts - (cts if kind != "connect" else self.start), 3)
            if code >= 400 or kind == "connect":
                step["text"] = " ".join(line[4:] for line in lines).strip()[:300]
        self.steps.append(step)

    def _remember_wait(self, wait: float, verb: str) -> None:
        waits = self.waits
        if len(waits) < 3:
            waits.append((wait, verb))
            waits.sort(reverse=True)
        elif wait > waits[2][0]:
            waits[2] = (wait, verb)
            waits.sort(reverse=True)

    def _anomaly(self, text: str) -> None:
        if len(self.anomalies) < MAX_ANOMALIES:
            self.anomalies.append(text)
        else:
            self.more_anomalies += 1

    # ---------------------------------------------------------------- TLS
    def _tls_client(self, data: bytes) -> None:
        if self.tls_c_done:
            return
        self.tls_c += data[:TLS_PEEK]
        hello = parse_client_hello(bytes(self.tls_c))
        if hello is not None or len(self.tls_c) >= TLS_PEEK:
            self.tls_c_done = True
            self.tls_c = bytearray()
            if hello is not None:
                target = self.starttls if self.starttls is not None else self._implicit()
                target["client_version"] = hello["version"]
                target["sni"] = hello["sni"]

    def _tls_server(self, data: bytes) -> None:
        if self.tls_s_done:
            return
        self.tls_s += data[:TLS_PEEK]
        chosen = parse_server_hello(bytes(self.tls_s))
        if chosen is not None or len(self.tls_s) >= TLS_PEEK:
            self.tls_s_done = True
            self.tls_s = bytearray()
            if chosen is not None:
                target = self.starttls if self.starttls is not None else self._implicit()
                target["server_version"] = chosen

    def _implicit(self) -> dict[str, Any]:
        if self.starttls is None:
            self.starttls = {"reply": None, "client_version": None, "sni": None, "server_version": None}
        return self.starttls

    # ---------------------------------------------------------------- result
    def finish(self, end: dict[str, Any]) -> dict[str, Any]:
        """The session as plain data. `end`: fin_by, rst_by (client/server/None)."""
        if self.cmode == "hold":
            self._resolve_hold(None)
            self._pump()
        while self.replies:  # replies nobody asked for (a 421 timeout, say)
            code, lines, _ts = self.replies.popleft()
            self.codes[code] += 1
            text = " ".join(line[4:] for line in lines).strip()
            if code == 421 and "timeout" in text.lower():
                self.timeout_reply = True
            self._anomaly(f"reply {code} without a command: {text}")
        while self.cmds:
            cmd = self.cmds.popleft()
            if cmd[3] != "connect" or self.replies:
                self._step(cmd, None)
        if self.cmode == "data" and self.msg_bytes:
            self._anomaly(f"message content of {self.msg_bytes} bytes was not finished")
        return {
            "start": fmt_time(self.start),
            "start_ts": self.start,
            "duration": round(self.last - self.start, 3),
            "banner": self.banner,
            "helo": self.helo,
            "capabilities": self.capabilities,
            "steps": self.steps,
            "more_steps": self.more_steps,
            "mail_from": self.mail_from,
            "rcpt_to": self.rcpt_to,
            "rcpt_count": self.rcpt_count,
            "messages": self.messages,
            "tls": self.starttls,
            "implicit_tls": self.implicit_tls,
            "auth": self.auth,
            "end": self._end(end),
            "outcome": self._outcome(),
            "anomalies": self.anomalies,
            "more_anomalies": self.more_anomalies,
            "gaps": dict(self.gaps),
            "codes": {str(k): v for k, v in sorted(self.codes.items())},
            "waits": sorted(self.waits, reverse=True)[:3],
        }

    def _end(self, end: dict[str, Any]) -> str:
        if self.quit:
            return "QUIT"
        if self.timeout_reply:
            return "timeout (server sent 421)"
        if end.get("rst_by"):
            return f"RST from {end['rst_by']}"
        if end.get("fin_by"):
            return f"FIN from {end['fin_by']} without QUIT"
        return "capture ended"

    def _outcome(self) -> str:
        accepted = sum(1 for m in self.messages if m["reply"] < 300)
        if self.not_smtp:
            return "not SMTP"
        if self.implicit_tls:
            return "TLS from the start (implicit TLS)"
        if self.starttls is not None and self.starttls.get("reply") == 220:
            return "encrypted after STARTTLS"
        if accepted:
            return "mail accepted" if accepted == 1 else f"{accepted} messages accepted"
        if any(code >= 500 for code in self.codes):
            return "rejected (5xx)"
        if any(code >= 400 for code in self.codes):
            return "temporary failure (4xx)"
        if not self.codes:
            return "no SMTP reply seen"
        return "no mail sent"


def _tls_prefix(data: bytes) -> bytes:
    """`data` if it is shorter than looks_like_tls needs but could begin a TLS record, else b""."""
    if len(data) < 3 and data[:1] == b"\x16" and data[1:2] in (b"", b"\x03"):
        return data
    return b""


def _address(arg: str) -> str:
    """The address of 'FROM:<a@b> SIZE=1' or 'TO:<a@b>'."""
    _, _, rest = arg.partition(":")
    rest = rest.strip()
    if rest.startswith("<"):
        close = rest.find(">")
        return rest[1:close] if close > 0 else rest[1:]
    return rest.split(" ", 1)[0]
