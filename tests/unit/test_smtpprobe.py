"""The --probe client against small SMTP servers on loopback (real sockets, real TLS)."""

from __future__ import annotations

import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Callable

import pytest

from postfinger_py.smtpprobe import HELO_NAME, probe_live, result_problem, target

Script = Callable[[socket.socket, list[bytes]], None]


def _lines(conn: socket.socket) -> Iterator[bytes]:
    buf = b""
    while True:
        while b"\n" not in buf:
            chunk = conn.recv(4096)
            if not chunk:
                return
            buf += chunk
        line, _, buf = buf.partition(b"\n")
        yield line.rstrip(b"\r")


class Server:
    """Accepts one connection and runs `script` on it; records what the client sent."""

    def __init__(self, script: Script) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]
        self.said: list[bytes] = []
        self.thread = threading.Thread(target=self._serve, args=(script,), daemon=True)
        self.thread.start()

    def _serve(self, script: Script) -> None:
        conn, _ = self.sock.accept()
        try:
            script(conn, self.said)
        except OSError:
            pass
        finally:
            conn.close()
            self.sock.close()


EHLO = (
    b"250-mx.example.net\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n"
    b"250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n"
)


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("tls")
    crt, key = d / "c.pem", d / "k.pem"
    res = subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=mx.example.net",
            "-keyout",
            str(key),
            "-out",
            str(crt),
        ],
        capture_output=True,
    )
    if res.returncode != 0:
        pytest.skip(f"openssl cannot make a test certificate: {res.stderr[-200:]!r}")
    return crt, key


def smtp(ehlo: bytes = EHLO, tls: tuple[Path, Path] | None = None) -> Script:
    def run(conn: socket.socket, said: list[bytes]) -> None:
        import ssl

        conn.sendall(b"220 mx.example.net ESMTP Postfix\r\n")
        lines = _lines(conn)
        for line in lines:
            said.append(line)
            verb = line.split(b" ")[0].upper()
            if verb == b"EHLO":
                conn.sendall(ehlo)
            elif verb == b"STARTTLS" and tls is not None:
                conn.sendall(b"220 2.0.0 Ready to start TLS\r\n")
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                ctx.load_cert_chain(str(tls[0]), str(tls[1]))
                conn = ctx.wrap_socket(conn, server_side=True)
                lines = _lines(conn)
                for line2 in lines:
                    said.append(b"TLS " + line2)
                    if line2.upper().startswith(b"EHLO"):
                        conn.sendall(
                            b"250-mx.example.net\r\n250-AUTH PLAIN LOGIN SCRAM-SHA-256\r\n250 8BITMIME\r\n"
                        )
                    elif line2.upper() == b"QUIT":
                        conn.sendall(b"221 2.0.0 Bye\r\n")
                        return
            elif verb == b"QUIT":
                conn.sendall(b"221 2.0.0 Bye\r\n")
                return

    return run


def test_a_listener_with_starttls_and_auth_after_tls(cert: tuple[Path, Path]) -> None:
    srv = Server(smtp(tls=cert))
    res = probe_live("127.0.0.1", srv.port)
    srv.thread.join(5)
    assert res["outcome"] == "ok", res
    assert res["banner"] == "220 mx.example.net ESMTP Postfix"
    assert res["features"] == ["PIPELINING", "SIZE 10240000", "STARTTLS", "AUTH PLAIN LOGIN", "8BITMIME"]
    assert res["tls"].startswith("TLSv1.")
    assert "AUTH PLAIN LOGIN SCRAM-SHA-256" in res["features_tls"]
    # What the client said: EHLO, STARTTLS, EHLO again inside TLS, QUIT; never MAIL or AUTH.
    assert srv.said == [
        f"EHLO {HELO_NAME}".encode(),
        b"STARTTLS",
        f"TLS EHLO {HELO_NAME}".encode(),
        b"TLS QUIT",
    ]
    assert result_problem(res) is None


def test_no_starttls_offered_means_no_tls_attempt() -> None:
    srv = Server(smtp(ehlo=b"250-mx.example.net\r\n250 PIPELINING\r\n"))
    res = probe_live("127.0.0.1", srv.port)
    srv.thread.join(5)
    assert res["outcome"] == "ok" and res["tls"] == "" and res["features"] == ["PIPELINING"]
    assert srv.said == [f"EHLO {HELO_NAME}".encode(), b"QUIT"]


def test_a_421_greeting_is_reported_and_the_client_quits() -> None:
    def greet_421(conn: socket.socket, said: list[bytes]) -> None:
        conn.sendall(b"421 4.3.2 Service shutting down\r\n")
        said.extend(_lines(conn))

    srv = Server(greet_421)
    res = probe_live("127.0.0.1", srv.port)
    srv.thread.join(5)
    assert res["outcome"] == "greeting"
    assert res["banner"] == "421 4.3.2 Service shutting down"
    assert srv.said == [b"QUIT"]


def test_closed_before_the_greeting() -> None:
    srv = Server(lambda conn, said: None)
    res = probe_live("127.0.0.1", srv.port)
    assert res["outcome"] == "closed"
    assert "before the greeting" in res["detail"]


def test_no_greeting_times_out() -> None:
    stop = threading.Event()
    srv = Server(lambda conn, said: stop.wait(5))
    res = probe_live("127.0.0.1", srv.port, reply_timeout=0.3)
    stop.set()
    assert res["outcome"] == "timeout"
    assert res["detail"] == "no greeting within 0.3 s"


def test_refused() -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # bound, never listening: the port refuses
    res = probe_live("127.0.0.1", port)
    assert res["outcome"] == "refused"


def test_an_endless_reply_is_cut_off_not_read_forever() -> None:
    def endless(conn: socket.socket, said: list[bytes]) -> None:
        conn.sendall(b"220-" + b"x" * 1000 + b"\r\n")
        for _ in range(200):
            conn.sendall(b"220-" + b"y" * 1000 + b"\r\n")

    srv = Server(endless)
    res = probe_live("127.0.0.1", srv.port)
    assert res["outcome"] == "closed"
    assert "longer than 64 KiB" in res["detail"] or "more than 200 lines" in res["detail"]


def test_not_smtp_at_all() -> None:
    srv = Server(lambda conn, said: conn.sendall(b"SSH-2.0-OpenSSH_9.2\r\n"))
    res = probe_live("127.0.0.1", srv.port)
    assert res["outcome"] == "closed"
    assert "not an SMTP reply" in res["detail"]


def test_control_characters_in_a_reply_do_not_reach_the_report() -> None:
    srv = Server(smtp(ehlo=b"250-mx\r\n250 X\x1b[2Jbad\r\n"))
    res = probe_live("127.0.0.1", srv.port)
    assert res["features"] == ["X?[2Jbad"]


def test_targets_name_the_address_as_postfix_writes_it() -> None:
    assert target("127.0.0.1", 25, False) == "127.0.0.1:25"
    assert target("::1", 587, False) == "[::1]:587"
    assert target("127.0.0.1", 465, True) == "127.0.0.1:465/tls"


@pytest.mark.parametrize("bad", [[], {"outcome": 3}, {"features": "STARTTLS"}, {"features_tls": [1]}])
def test_a_damaged_recorded_result_is_named(bad: object) -> None:
    assert result_problem(bad) is not None
