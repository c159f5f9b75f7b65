"""Implicit TLS (port 465): a real capture from Postfix with smtpd_tls_wrappermode (data/README)."""

from __future__ import annotations

import io
import json
from datetime import datetime, timezone
from typing import Any

import pytest

from postfinger_py.commands import pcap as pcap_command
from postfinger_py.env import Env
from postfinger_py.pcap.summary import smtp_ports, summarize
from tests.pcap import perturb
from tests.pcap.conftest import DATA

CAPTURE = DATA / "implicit-tls.pcap"
# What went over the wire inside TLS; none of it may show in a summary.
SECRETS = [
    "pcap-secret-body-marker",
    "pcap-client.test",
    "pcap-sender",
    "pcap-rcpt",
    "pcap-src.example",
    "pcap-dest.example",
    "ESMTP",
    "EHLO",
    "PIPELINING",
    "queued as",
    "Bye",
]


def load(data: bytes, limit: int = 20) -> dict[str, Any]:
    return summarize(io.BytesIO(data), "implicit-tls.pcap", smtp_ports(), limit)


def test_tls_versions_and_sni_of_each_session() -> None:
    result = load(CAPTURE.read_bytes())  # 465 is a default port: no --port needed
    assert result["error"] == "" and result["notes"] == []
    s1, s2 = result["sessions"]
    assert s1["server"] == s2["server"] == "127.0.0.1:465"
    assert s2["client"] == "127.0.0.1:41035"
    # openssl s_client, OpenSSL 3.0 defaults
    assert s1["tls"] == {
        "reply": None,
        "client_version": "TLSv1.3",
        "sni": "mail.example.org",
        "server_version": "TLSv1.3",
    }
    # swaks --tls-protocol tlsv1_2
    assert s2["tls"] == {
        "reply": None,
        "client_version": "TLSv1.2",
        "sni": "mail.example.org",
        "server_version": "TLSv1.2",
    }
    for s in (s1, s2):
        assert s["implicit_tls"] is True
        assert s["outcome"] == "TLS from the start (implicit TLS)"
        assert s["anomalies"] == [] and s["holes"] == 0
    assert result["totals"]["outcomes"] == {"TLS from the start (implicit TLS)": 2}
    lines = "\n".join(result["lines"])
    assert (
        "  TLS: implicit TLS, client offers up to TLSv1.3, SNI mail.example.org, server "
        "chose TLSv1.3; the rest of the session is encrypted"
    ) in lines
    assert "client offers up to TLSv1.2, SNI mail.example.org, server chose TLSv1.2" in lines


def test_nothing_inside_tls_is_shown_or_guessed() -> None:
    result = load(CAPTURE.read_bytes())
    for s in result["sessions"]:
        # no banner, command, reply, address, message or AUTH read out of encrypted bytes
        assert s["steps"] == [] and s["codes"] == {}
        assert s["banner"] is None and s["helo"] is None and s["capabilities"] == []
        assert s["mail_from"] == [] and s["rcpt_to"] == [] and s["messages"] == []
        assert s["auth"] == []
    assert result["totals"]["messages"] == 0 and result["totals"]["codes"] == {}
    text = json.dumps(result) + "\n".join(result["lines"])
    for secret in SECRETS:
        assert secret not in text


@pytest.mark.parametrize("how", ["reorder", "duplicate", "overlap", "split_bytes", "pcapng"])
def test_perturbed_copies_keep_versions_and_sni(how: str) -> None:
    # split_bytes sends the ClientHello and ServerHello one byte a segment
    packets, link = perturb.read(str(CAPTURE))
    if how == "pcapng":
        changed = perturb.write_pcapng(packets, link)
    else:
        changed = perturb.write(getattr(perturb, how)(packets), link)
    original = load(CAPTURE.read_bytes())["sessions"]
    sessions = load(changed)["sessions"]
    assert [s["tls"] for s in sessions] == [s["tls"] for s in original]
    assert [s["steps"] for s in sessions] == [[], []]


def test_the_command_shows_tls_and_no_content() -> None:
    env = Env(
        stdout=io.StringIO(),
        stderr=io.StringIO(),
        environ={},
        clock=lambda: datetime(2026, 11, 21, 22, 0, tzinfo=timezone.utc),
    )
    assert pcap_command.main([str(CAPTURE)], env) == 0
    out = env.stdout.getvalue()  # type: ignore[attr-defined]
    assert "TLS: implicit TLS, client offers up to TLSv1.3" in out
    assert "server chose TLSv1.2" in out
    for secret in SECRETS:
        assert secret not in out


def _shifted(packets: list[perturb.Packet], offset: float) -> list[perturb.Packet]:
    return [(ts + offset, buf) for ts, buf in packets]


def test_encrypted_sessions_do_not_crowd_out_real_problems() -> None:
    """QUIT is never visible inside TLS; an encrypted session that ends without a visible QUIT
    is normal and must not take the place of a refused one in the sessions shown in full."""
    tls, link = perturb.read(str(CAPTURE))
    relay, _ = perturb.read(str(DATA / "relay.pcap"))
    packets: list[perturb.Packet] = []
    for i in range(3):  # six encrypted sessions (the 4-tuples repeat; each opens with a SYN)
        packets += _shifted(tls, i * 10.0)
    packets += _shifted(relay, 100.0 - relay[0][0] + tls[0][0])
    result = summarize(io.BytesIO(perturb.write(packets, link)), "mixed.pcap", smtp_ports([2627]), 3)
    assert result["totals"]["sessions"] == 7 and result["shown"] == 3
    outcomes = [s["outcome"] for s in result["sessions"]]
    assert "rejected (5xx)" in outcomes
