"""The SMTP dialogue parser on hand-fed streams: states a real capture rarely shows."""

from __future__ import annotations

from typing import Any

from postfinger_py.pcap.smtp import SmtpSession

Event = tuple[str, float, bytes]


def run(events: list[Event], end: dict[str, Any] | None = None) -> dict[str, Any]:
    s = SmtpSession(100.0)
    for who, ts, data in events:
        (s.client_data if who == "c" else s.server_data)(data, 100.0 + ts)
    return s.finish(end or {})


def cmds(result: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(st["command"], st["reply"]) for st in result["steps"]]


def test_auth_login_hides_every_response() -> None:
    r = run(
        [
            ("s", 0.0, b"220 mx ESMTP\r\n"),
            ("c", 0.1, b"EHLO c\r\n"),
            ("s", 0.2, b"250-mx\r\n250 AUTH LOGIN\r\n"),
            ("c", 0.3, b"AUTH LOGIN\r\n"),
            ("s", 0.4, b"334 VXNlcm5hbWU6\r\n"),
            ("c", 0.5, b"c2VjcmV0LXVzZXI=\r\n"),
            ("s", 0.6, b"334 UGFzc3dvcmQ6\r\n"),
            ("c", 0.7, b"c2VjcmV0LXBhc3M=\r\n"),
            ("s", 0.8, b"535 5.7.8 Error: authentication failed\r\n"),
            ("c", 0.9, b"QUIT\r\n"),
            ("s", 1.0, b"221 Bye\r\n"),
        ]
    )
    assert cmds(r)[2:] == [
        ("AUTH LOGIN", 334),
        ("(auth response, hidden)", 334),
        ("(auth response, hidden)", 535),
        ("QUIT", 221),
    ]
    assert r["auth"] == [{"mechanism": "LOGIN", "reply": 535}]
    assert "c2VjcmV0" not in repr(r)


def test_pregreeting_and_improper_pipelining() -> None:
    r = run(
        [
            ("c", 0.0, b"EHLO early\r\n"),
            ("s", 0.5, b"220 mx ESMTP\r\n"),
            ("s", 0.6, b"250 mx\r\n"),  # no PIPELINING offered
            ("c", 0.7, b"MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\n"),
            ("s", 0.8, b"250 ok\r\n250 ok\r\n"),
        ]
    )
    assert any("before the server greeting" in a for a in r["anomalies"])
    assert any("improper pipelining: RCPT was sent before the reply to MAIL" in a for a in r["anomalies"])
    assert r["end"] == "capture ended"


def test_reply_before_command_and_data_refused() -> None:
    r = run(
        [
            ("s", 0.0, b"220 mx\r\n"),
            ("c", 0.1, b"HELO c\r\n"),
            ("s", 0.2, b"250 mx\r\n"),
            ("s", 0.3, b"554 5.5.1 Error: no valid recipients\r\n"),
            ("c", 0.4, b"DATA\r\n"),
            ("c", 0.5, b"QUIT\r\n"),
            ("s", 0.6, b"221 Bye\r\n"),
        ],
        {"fin_by": "server"},
    )
    assert cmds(r)[2:] == [("DATA", 554), ("QUIT", 221)]
    assert any("came before DATA was sent" in a for a in r["anomalies"])
    assert r["end"] == "QUIT"


def test_bdat_and_dot_stuffing() -> None:
    body = b"line\r\n..not the end\r\n"
    r = run(
        [
            ("s", 0.0, b"220 mx\r\n"),
            ("c", 0.1, b"EHLO c\r\n"),
            ("s", 0.2, b"250 CHUNKING\r\n"),
            ("c", 0.3, b"MAIL FROM:<a@x>\r\n"),
            ("s", 0.4, b"250 ok\r\n"),
            ("c", 0.5, b"RCPT TO:<b@y>\r\n"),
            ("s", 0.6, b"250 ok\r\n"),
            ("c", 0.7, b"BDAT 5\r\nab"),
            ("c", 0.8, b"cde"),
            ("s", 0.9, b"250 5 octets\r\n"),
            ("c", 1.0, b"BDAT 3 LAST\r\nxyz"),
            ("s", 1.1, b"250 queued\r\n"),
            ("c", 1.2, b"MAIL FROM:<a@x>\r\n"),
            ("s", 1.3, b"250 ok\r\n"),
            ("c", 1.4, b"RCPT TO:<b@y>\r\n"),
            ("s", 1.5, b"250 ok\r\n"),
            ("c", 1.6, b"DATA\r\n"),
            ("s", 1.7, b"354 go\r\n"),
            ("c", 1.8, body + b".\r\n"),
            ("s", 1.9, b"250 queued\r\n"),
        ]
    )
    assert [m["size"] for m in r["messages"]] == [8, len(body)]
    assert r["outcome"] == "2 messages accepted"


def test_timeout_and_slow_reply() -> None:
    r = run(
        [
            ("s", 0.0, b"220 mx\r\n"),
            ("c", 0.1, b"HELO c\r\n"),
            ("s", 7.0, b"250 mx\r\n"),
            ("s", 307.0, b"421 4.4.2 mx Error: timeout exceeded\r\n"),
        ],
        {"fin_by": "server"},
    )
    assert r["end"] == "timeout (server sent 421)"
    assert any(a.startswith("slow reply: 6.9 s for HELO") for a in r["anomalies"])


def test_a_long_session_stays_bounded() -> None:
    s = SmtpSession(0.0)
    s.server_data(b"220 mx\r\n", 0.0)
    chunk = b"NOOP\r\n" * 1000
    replies = b"250 ok\r\n" * 1000
    for i in range(200):
        s.client_data(chunk, float(i))
        s.server_data(replies, float(i))
    r = s.finish({})
    assert len(r["steps"]) == 200 and r["more_steps"] == 200_001 - 200
    assert r["codes"] == {"220": 1, "250": 200_000}
    assert len(r["anomalies"]) <= 20


def test_implicit_tls() -> None:
    from tests.pcap import perturb  # noqa: F401  (dpkt import check)

    hello = bytes.fromhex("16030100") + b"\x05" + b"\x01\x00\x00\x01\x03\x03"
    r = run([("c", 0.0, hello)])
    assert r["implicit_tls"] is True and r["outcome"] == "TLS from the start (implicit TLS)"
