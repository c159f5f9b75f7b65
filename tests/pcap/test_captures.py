"""Summaries of real sessions recorded with tcpdump -i lo -s 0 (see data/README)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.pcap import perturb
from tests.pcap.conftest import DATA, summarize_bytes

CAPTURES = ["accepted", "relay", "starttls", "pipelining", "auth", "tempfail"]


def load(name: str) -> dict[str, Any]:
    return summarize_bytes((DATA / f"{name}.pcap").read_bytes(), f"{name}.pcap")


def dialogue(session: dict[str, Any]) -> list[Any]:
    return [(s["command"], s["reply"]) for s in session["steps"]]


def test_accepted_mail() -> None:
    result = load("accepted")
    assert result["error"] == ""
    (s,) = result["sessions"]
    assert s["client"] == "127.0.0.1:41011" and s["server"] == "127.0.0.1:2626"
    assert s["banner"] == "pcap-tls.test.invalid ESMTP Postfix"
    assert s["helo"] == "pcap-client.test"
    assert "PIPELINING" in s["capabilities"] and "SIZE 10240000" in s["capabilities"]
    assert dialogue(s) == [
        ("(connect)", 220),
        ("EHLO pcap-client.test", 250),
        ("MAIL FROM:<pcap-sender@pcap-src.example>", 250),
        ("RCPT TO:<pcap-rcpt@pcap-dest.example>", 250),
        ("DATA", 354),
        ("(message content, 286 bytes)", 250),
        ("QUIT", 221),
    ]
    assert s["messages"] == [{"size": 286, "reply": 250, "queue_id": "8543A20C59F", "incomplete": False}]
    # The queue ID from "250 2.0.0 Ok: queued as ..." links the session to the mail log.
    assert (
        "  message: 286 bytes sent, reply 250, queued as 8543A20C59F (postfinger trace 8543A20C59F)"
    ) in load("accepted")["lines"]
    assert s["end"] == "QUIT" and s["outcome"] == "mail accepted"
    assert s["anomalies"] == []
    assert result["totals"]["messages"] == 1


def test_message_content_never_shown() -> None:
    text = "\n".join(load("accepted")["lines"]) + json.dumps(load("accepted"))
    assert "hello from the pcap tests" not in text
    assert "Subject" not in text


def test_relay_refused() -> None:
    (s,) = load("relay")["sessions"]
    step = next(st for st in s["steps"] if st["reply"] == 554)
    assert step["command"] == "RCPT TO:<pcap-rcpt@pcap-dest.example>"
    assert "Relay access denied" in step["text"]
    assert s["outcome"] == "rejected (5xx)"
    assert any(a.startswith("554 reply to RCPT") for a in s["anomalies"])


def test_temporary_failure_from_the_shared_postfix() -> None:
    (s,) = load("tempfail")["sessions"]
    assert s["server"] == "127.0.0.1:25"
    assert [st["reply"] for st in s["steps"]] == [220, 250, 250, 451, 221]
    assert s["outcome"] == "temporary failure (4xx)"


def test_starttls_version_and_sni() -> None:
    (s,) = load("starttls")["sessions"]
    assert dialogue(s)[-1] == ("STARTTLS", 220)
    assert s["tls"] == {
        "reply": 220,
        "client_version": "TLSv1.3",
        "sni": "pcap-tls.test.invalid",
        "server_version": "TLSv1.3",
    }
    assert s["outcome"] == "encrypted after STARTTLS"
    # nothing after STARTTLS is mistaken for commands or replies
    assert s["anomalies"] == []


def test_pipelining_is_not_an_anomaly_when_offered() -> None:
    (s,) = load("pipelining")["sessions"]
    cmds = [st["command"].split()[0] for st in s["steps"]]
    assert cmds == ["(connect)", "EHLO", "MAIL", "RCPT", "DATA", "(message", "QUIT"]
    at = {st["command"].split()[0]: st["at"] for st in s["steps"]}
    assert at["MAIL"] == at["RCPT"] == at["DATA"]  # sent in one segment
    assert s["anomalies"] == []
    assert s["messages"][0]["reply"] == 250


def test_auth_shows_mechanism_only() -> None:
    result = load("auth")
    s1, s2 = result["sessions"]
    assert s1["auth"] == [{"mechanism": "PLAIN", "reply": 250}]
    assert s2["auth"] == [{"mechanism": "LOGIN", "reply": 250}]
    text = json.dumps(result)
    assert "AHBjYXAtdXNlcgBQY2FwLVNlY3JldC1QdzE=" not in text  # the PLAIN initial response
    assert "Pcap-Secret" not in text
    assert "AUTH PLAIN (initial response hidden)" in text


def _sessions(data: bytes) -> list[dict[str, Any]]:
    result = summarize_bytes(data)
    assert result["error"] == ""
    out = []
    for s in result["sessions"]:
        s = dict(s)
        s.pop("retransmitted")
        out.append(s)
    return out


@pytest.mark.parametrize("name", CAPTURES)
@pytest.mark.parametrize("how", ["reorder", "duplicate", "overlap", "split_bytes", "pcapng"])
def test_perturbed_copies_give_identical_summaries(name: str, how: str) -> None:
    packets, link = perturb.read(str(DATA / f"{name}.pcap"))
    original = _sessions(perturb.write(packets, link))
    if how == "pcapng":
        changed = perturb.write_pcapng(packets, link)
    else:
        changed = perturb.write(getattr(perturb, how)(packets), link)
    assert _sessions(changed) == original


def test_missing_handshake_still_reads_the_dialogue() -> None:
    packets, link = perturb.read(str(DATA / "accepted.pcap"))
    result = summarize_bytes(perturb.write(perturb.drop_handshake(packets), link))
    (s,) = result["sessions"]
    assert s["client"] == "127.0.0.1:41011"
    assert dialogue(s)[1:] == dialogue(load("accepted")["sessions"][0])[1:]
    assert any("handshake" in n for n in result["notes"])


def test_port_reuse_makes_two_sessions() -> None:
    packets, link = perturb.read(str(DATA / "accepted.pcap"))
    later = [(ts + 100.0, buf) for ts, buf in packets]
    result = summarize_bytes(perturb.write(packets + later, link))
    assert result["totals"]["sessions"] == 2
    assert [s["outcome"] for s in result["sessions"]] == ["mail accepted"] * 2


def test_hole_is_reported() -> None:
    packets, link = perturb.read(str(DATA / "relay.pcap"))
    # lose the client's EHLO segment
    result = summarize_bytes(
        perturb.write(perturb.drop_first_data(packets, lambda port: port == 41012), link)
    )
    (s,) = result["sessions"]
    assert s["holes"] == 1 and s["gaps"]["client"] > 0
    assert any("missing from the capture" in a for a in s["anomalies"])
    assert result["totals"]["with_holes"] == 1


def test_short_snaplen_is_reported() -> None:
    packets, link = perturb.read(str(DATA / "accepted.pcap"))
    cut = [(ts, buf[:80]) for ts, buf in packets]
    data = bytearray(perturb.write(cut, link, snaplen=80))
    # restore the original lengths in the record headers, as tcpdump -s 80 writes them
    pos = 24
    for (_ts, buf), (_t2, short) in zip(packets, cut):
        data[pos + 12 : pos + 16] = len(buf).to_bytes(4, "little")
        pos += 16 + len(short)
    result = summarize_bytes(bytes(data))
    assert any("snap length (80)" in n and "tcpdump -s 0" in n for n in result["notes"])
    (s,) = result["sessions"]
    assert s["holes"] > 0


def test_text_lines_show_the_dialogue() -> None:
    lines = load("relay")["lines"]
    text = "\n".join(lines)
    assert "Session 1: client 127.0.0.1:41012 -> server 127.0.0.1:2627" in text
    assert "554  " in text and "Relay access denied" in text
    assert "Outcomes: rejected (5xx) 1" in text
