"""The --probe client: connect to one of this server's own SMTP listeners, read the greeting
and the EHLO reply, try STARTTLS (nothing is verified or trusted: it only tells whether TLS
works), EHLO again, and QUIT. No mail is sent, no AUTH is tried.

Like the Runner for commands, a Prober is the one way the report talks to the network: the live
one connects, a recording one also writes the answer into a --capture snapshot, and a replay
one answers from the snapshot, so a replayed report shows the same probe without connecting.

A result is a flat, JSON-friendly dict (strings, and lists of strings):
  outcome   ok | refused | timeout | closed | greeting | ehlo | tls | error
  detail    what went wrong, in words ("" when ok)
  banner    the greeting (its first line), e.g. "220 mx.example.com ESMTP Postfix"
  features  the EHLO keywords before TLS, e.g. ["PIPELINING", "STARTTLS", "AUTH PLAIN LOGIN"]
  tls       "TLSv1.3 TLS_AES_256_GCM_SHA384" once STARTTLS (or the wrapper) worked, else ""
  features_tls  the EHLO keywords after STARTTLS
"""

from __future__ import annotations

import socket
import ssl
import time
from typing import Any, Protocol

from postfinger_py.errors import ReplayMissing

CONNECT_TIMEOUT = 5.0  # seconds to connect
REPLY_TIMEOUT = 10.0  # seconds for each reply (smtpd may look up the client's name first)
MAX_REPLY = 64 * 1024  # bytes of one reply; more is not an SMTP server we want to read
MAX_LINES = 200
HELO_NAME = "postfinger.invalid"  # RFC 2606: a name that is never a real host

Result = dict[str, Any]
FIELDS_STR = ("outcome", "detail", "banner", "tls")
FIELDS_LIST = ("features", "features_tls")


def target(host: str, port: int, wrapper: bool) -> str:
    """The probe's key: 127.0.0.1:25, [::1]:587, 127.0.0.1:465/tls."""
    addr = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return addr + ("/tls" if wrapper else "")


class Prober(Protocol):
    def probe(self, host: str, port: int, wrapper: bool = False) -> Result: ...


def _clean(text: str) -> str:
    """Printable text only: a server's reply is shown in the report."""
    return "".join(c if c.isprintable() else "?" for c in text)


class _Closed(Exception):
    pass


class _Conn:
    def __init__(self, sock: socket.socket, timeout: float) -> None:
        self.sock: Any = sock
        self.buf = b""
        self.timeout = timeout

    def send(self, line: str) -> None:
        self.sock.sendall(line.encode("ascii") + b"\r\n")

    def reply(self) -> tuple[int, list[str]]:
        """One SMTP reply: its code and its lines' texts, within REPLY_TIMEOUT in all."""
        deadline = time.monotonic() + self.timeout
        lines: list[str] = []
        total = 0
        while True:
            while b"\n" not in self.buf:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise socket.timeout("no complete reply")
                self.sock.settimeout(left)
                chunk = self.sock.recv(4096)
                if not chunk:
                    raise _Closed("the server closed the connection")
                total += len(chunk)
                if total > MAX_REPLY:
                    raise _Closed(f"the reply is longer than {MAX_REPLY // 1024} KiB")
                self.buf += chunk
            raw, _, self.buf = self.buf.partition(b"\n")
            line = _clean(raw.rstrip(b"\r").decode("utf-8", "replace"))
            if len(line) < 3 or not line[:3].isdigit():
                raise _Closed(f"not an SMTP reply: {line[:80]!r}")
            lines.append(line[4:])
            if len(lines) > MAX_LINES:
                raise _Closed(f"a reply of more than {MAX_LINES} lines")
            if line[3:4] != "-":
                return int(line[:3]), lines


def _tls_context() -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # we ask whether TLS works here, not whom to trust
    return ctx


def _tls_words(sock: Any) -> str:
    cipher = sock.cipher()
    return " ".join(x for x in (sock.version() or "", cipher[0] if cipher else "") if x)


def _features(lines: list[str]) -> list[str]:
    return [line.strip() for line in lines[1:] if line.strip()]


def probe_live(
    host: str,
    port: int,
    wrapper: bool = False,
    *,
    connect_timeout: float = CONNECT_TIMEOUT,
    reply_timeout: float = REPLY_TIMEOUT,
) -> Result:
    """Talk to host:port as described above; never raises for what the server does."""
    res: Result = {"outcome": "ok", "detail": "", "banner": "", "tls": "", "features": [], "features_tls": []}
    stage = "connect"
    sock: Any | None = None
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(connect_timeout)
        sock.connect((host, port))
        if wrapper:
            stage = "tls"
            sock.settimeout(reply_timeout)
            sock = _tls_context().wrap_socket(sock, server_hostname=None)
            res["tls"] = _tls_words(sock)
        conn = _Conn(sock, reply_timeout)
        stage = "greeting"
        code, lines = conn.reply()
        res["banner"] = f"{code} {lines[0]}".rstrip()
        if code != 220:
            res.update(outcome="greeting", detail=f"the greeting is {code}, not 220")
            _quit(conn)
            return res
        stage = "ehlo"
        conn.send(f"EHLO {HELO_NAME}")
        code, lines = conn.reply()
        if code != 250:
            res.update(outcome="ehlo", detail=f"EHLO was answered {code} {lines[0]}".rstrip())
            _quit(conn)
            return res
        res["features"] = _features(lines)
        if not wrapper and any(f.upper() == "STARTTLS" for f in res["features"]):
            stage = "starttls"
            conn.send("STARTTLS")
            code, lines = conn.reply()
            if code != 220:
                res.update(outcome="tls", detail=f"STARTTLS was answered {code} {lines[0]}")
                _quit(conn)
                return res
            stage = "tls"
            conn.sock.settimeout(reply_timeout)
            conn.sock = _tls_context().wrap_socket(conn.sock, server_hostname=None)
            conn.buf = b""
            res["tls"] = _tls_words(conn.sock)
            stage = "ehlo after STARTTLS"
            conn.send(f"EHLO {HELO_NAME}")
            code, lines = conn.reply()
            if code == 250:
                res["features_tls"] = _features(lines)
            else:
                res.update(outcome="ehlo", detail=f"EHLO after STARTTLS was answered {code}")
        _quit(conn)
    except ConnectionRefusedError:
        res.update(outcome="refused", detail="connection refused: nothing listens there")
    except socket.timeout:
        if stage == "connect":
            res.update(outcome="timeout", detail=f"no connection within {connect_timeout:g} s")
        else:
            what = {"greeting": "no greeting"}.get(stage, f"no answer at {stage}")
            res.update(
                outcome="timeout" if stage == "greeting" else "error",
                detail=f"{what} within {reply_timeout:g} s",
            )
    except _Closed as exc:
        at = "before the greeting" if stage == "greeting" else f"at {stage}"
        res.update(outcome="closed" if stage == "greeting" else "error", detail=f"{exc} {at}")
    except ssl.SSLError as exc:
        res.update(outcome="tls", detail=f"the TLS handshake failed: {exc.reason or exc}")
    except OSError as exc:
        res.update(outcome="error", detail=f"{stage}: {exc.strerror or exc}")
    finally:
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass
    return res


def _quit(conn: _Conn) -> None:
    try:
        conn.send("QUIT")
        conn.reply()
    except (OSError, _Closed):
        pass


class LiveProber:
    def probe(self, host: str, port: int, wrapper: bool = False) -> Result:
        return probe_live(host, port, wrapper)


class RecordingProber:
    """Probes through another prober and records each result in a --capture snapshot."""

    def __init__(self, inner: Prober, recorder: Any) -> None:
        self.inner = inner
        self.recorder = recorder

    def probe(self, host: str, port: int, wrapper: bool = False) -> Result:
        result = self.inner.probe(host, port, wrapper)
        key = target(host, port, wrapper)
        self.recorder.add(("probe", key), {"op": "probe", "path": key, "result": result}, {})
        return result


class ReplayProber:
    """Answers from a snapshot; a snapshot taken without --probe has no probe to replay."""

    def __init__(self, snapshot: Any) -> None:
        self.snapshot = snapshot

    def probe(self, host: str, port: int, wrapper: bool = False) -> Result:
        key = target(host, port, wrapper)
        try:
            record = self.snapshot.lookup(("probe", key))
        except ReplayMissing:
            raise ReplayMissing(
                f"the snapshot has no probe of {key} (it was captured without --probe)"
            ) from None
        return dict(record["result"])


def result_problem(result: Any) -> str | None:
    """Why a recorded result is not one (a hostile or damaged snapshot), or None."""
    if not isinstance(result, dict):
        return "has a probe result that is not an object"
    for name in FIELDS_STR:
        if not isinstance(result.get(name, ""), str):
            return f"has a probe field {name!r} that is not a string"
    for name in FIELDS_LIST:
        value = result.get(name, [])
        if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            return f"has a probe field {name!r} that is not a list of strings"
    return None
