"""Every link type and IP version gives the same session as the Ethernet original (data/README).

One smtp-sink session over IPv4 and one over IPv6 were each recorded at the same moment with
tcpdump on lo (Ethernet), on any as Linux cooked v1 and v2, and with dumpcap (pcapng). The link
types Linux cannot record (BSD/OpenBSD loopback, raw IP, VLAN tags) are copies of the Ethernet
recording with only the link-layer header rewritten (relink.py).
"""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import pytest

from postfinger_py.commands import pcap as pcap_command
from postfinger_py.env import Env
from postfinger_py.pcap.summary import smtp_ports, summarize
from tests.pcap import perturb, relink

LINKS = relink.LINKS
PORTS = smtp_ports([2631, 2632])  # smtp-sink on 127.0.0.1:2631 and [::1]:2632
TIMING = ("start", "duration", "waits")


def load(path: Path, ports: Any = PORTS) -> dict[str, Any]:
    with open(path, "rb") as fh:
        return summarize(fh, path.name, ports)


def load_bytes(data: bytes) -> dict[str, Any]:
    return summarize(io.BytesIO(data), "derived.pcap", PORTS)


def timeless(session: dict[str, Any]) -> dict[str, Any]:
    """A session without its timings: captures made side by side differ by microseconds."""
    out = {k: v for k, v in session.items() if k not in TIMING}
    out["steps"] = [{k: v for k, v in st.items() if k not in ("at", "wait")} for st in session["steps"]]
    return out


def only_session(result: dict[str, Any]) -> dict[str, Any]:
    assert result["error"] == ""
    assert result["notes"] == []
    (session,) = result["sessions"]
    assert isinstance(session, dict)
    return session


def dialogue(session: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(st["command"], st["reply"]) for st in session["steps"]]


EXPECTED_DIALOGUE = [
    ("(connect)", 220),
    ("EHLO pcap-client.test", 250),
    ("MAIL FROM:<pcap-sender@pcap-src.example>", 250),
    ("RCPT TO:<pcap-rcpt@pcap-dest.example>", 250),
    ("DATA", 354),
    ("(message content, 296 bytes)", 250),
    ("QUIT", 221),
]


@pytest.mark.parametrize(
    "version,client,server",
    [
        ("v4", "127.0.0.1:41033", "127.0.0.1:2631"),
        ("v6", "[::1]:41032", "[::1]:2632"),
    ],
)
def test_ethernet_originals(version: str, client: str, server: str) -> None:
    result = load(LINKS / f"smtp-{version}-ethernet.pcap")
    assert result["link"] == "Ethernet" and result["format"] == "pcap"
    assert result["packets"] == result["smtp_packets"] == 21
    s = only_session(result)
    assert s["client"] == client and s["server"] == server
    assert s["banner"] == "smtp-sink ESMTP" and s["helo"] == "pcap-client.test"
    assert "PIPELINING" in s["capabilities"]
    assert dialogue(s) == EXPECTED_DIALOGUE
    assert s["end"] == "QUIT" and s["outcome"] == "mail accepted"
    assert s["anomalies"] == [] and s["holes"] == 0 and s["retransmitted"] == 0
    assert f"Session 1: client {client} -> server {server}" in "\n".join(result["lines"])


# Recorded for real at the same moment as the Ethernet original: (file, format, link).
RECORDED = [
    ("smtp-v4-sll.pcap", "pcap", "Linux cooked (SLL)"),
    ("smtp-v4-sll2.pcap", "pcap", "Linux cooked v2 (SLL2)"),
    ("smtp-v4-ethernet.pcapng", "pcapng", "Ethernet"),
    ("smtp-v6-sll.pcap", "pcap", "Linux cooked (SLL)"),
    ("smtp-v6-sll2.pcap", "pcap", "Linux cooked v2 (SLL2)"),
    ("smtp-v6-sll.pcapng", "pcapng", "Linux cooked (SLL)"),
]


@pytest.mark.parametrize("name,fmt,link", RECORDED)
def test_recorded_link_types_give_the_same_session(name: str, fmt: str, link: str) -> None:
    result = load(LINKS / name)
    assert result["format"] == fmt and result["link"] == link
    original = only_session(load(LINKS / f"smtp-{name[5:7]}-ethernet.pcap"))
    assert timeless(only_session(result)) == timeless(original)


DERIVED_LINKS = {
    "smtp-v4-null.pcap": "BSD loopback",
    "smtp-v4-loop.pcap": "OpenBSD loopback",
    "smtp-v4-raw101.pcap": "raw IP",
    "smtp-v4-raw12.pcap": "raw IP",
    "smtp-v4-vlan.pcap": "Ethernet",
    "smtp-v6-null.pcap": "BSD loopback",
    "smtp-v6-loop.pcap": "OpenBSD loopback",
    "smtp-v6-raw101.pcap": "raw IP",
}


def test_every_derived_file_is_listed() -> None:
    assert sorted(DERIVED_LINKS) == sorted(relink.DERIVED)


@pytest.mark.parametrize("name", sorted(DERIVED_LINKS))
def test_derived_link_types_give_the_identical_session(name: str) -> None:
    # The committed file is exactly what relink.py makes from the real recording.
    assert (LINKS / name).read_bytes() == relink.derive(name)
    result = load(LINKS / name)
    assert result["link"] == DERIVED_LINKS[name]
    original = only_session(load(LINKS / relink.DERIVED[name][0]))
    assert only_session(result) == original  # same timestamps: identical, timings included


# Further variants made on the fly: other DLT_RAW numbers, per-family raw IP, other BSDs'
# AF_INET6 values, IEEE 802.1ad (QinQ) double tags.
ON_THE_FLY: list[tuple[str, int, Callable[[bytes], bytes], str]] = [
    ("v4", 14, relink.raw, "raw IP"),
    ("v4", 228, relink.raw, "raw IPv4"),
    ("v6", 229, relink.raw, "raw IPv6"),
    ("v6", 12, relink.raw, "raw IP"),
    ("v6", 0, relink.null(relink.AF_INET6_BSD), "BSD loopback"),
    ("v6", 0, relink.null(relink.AF_INET6_FREEBSD), "BSD loopback"),
    ("v4", 1, relink.vlan((0x88A8, 7), (0x8100, 42)), "Ethernet"),
    ("v6", 1, relink.vlan((0x8100, 42)), "Ethernet"),
]


@pytest.mark.parametrize("version,linktype,convert,link", ON_THE_FLY)
def test_more_link_variants(
    version: str, linktype: int, convert: Callable[[bytes], bytes], link: str
) -> None:
    original_path = LINKS / f"smtp-{version}-ethernet.pcap"
    packets, _ = perturb.read(str(original_path))
    result = load_bytes(relink.relink(packets, convert, linktype))
    assert result["link"] == link
    assert only_session(result) == only_session(load(original_path))


def test_non_ip_frames_of_a_loopback_family_are_counted_not_misread() -> None:
    packets, _ = perturb.read(str(LINKS / "smtp-v4-ethernet.pcap"))
    result = load_bytes(relink.relink(packets, relink.null(99), 0))  # unknown family
    assert result["sessions"] == [] and result["packets"] == 21


@pytest.mark.parametrize("how", ["reorder", "duplicate", "overlap", "split_bytes", "pcapng"])
def test_ipv6_perturbed_copies_give_identical_summaries(how: str) -> None:
    packets, link = perturb.read(str(LINKS / "smtp-v6-ethernet.pcap"))
    if how == "pcapng":
        changed = perturb.write_pcapng(packets, link)
    else:
        changed = perturb.write(getattr(perturb, how)(packets), link)
    original = only_session(load(LINKS / "smtp-v6-ethernet.pcap"))
    session = dict(only_session(load_bytes(changed)))
    session["retransmitted"] = original["retransmitted"]
    assert session == original


def _env() -> Env:
    return Env(
        stdout=io.StringIO(),
        stderr=io.StringIO(),
        environ={},
        clock=lambda: datetime(2026, 11, 21, 22, 0, tzinfo=timezone.utc),
    )


@pytest.mark.parametrize("version,port", [("v4", 2631), ("v6", 2632)])
def test_a_non_standard_port_needs_port_and_the_note_says_so(version: str, port: int) -> None:
    path = LINKS / f"smtp-{version}-sll2.pcap"
    result = load(path, smtp_ports())
    assert result["sessions"] == []
    assert any(f"opened to port(s) {port}: try --port" in n for n in result["notes"])
    env = _env()
    assert pcap_command.main([str(path), "--port", str(port)], env) == 0
    out = env.stdout.getvalue()  # type: ignore[attr-defined]
    assert "Linux cooked v2 (SLL2)" in out
    assert "Sessions: 1; messages accepted: 1 (296 bytes)" in out
    assert "QUIT" in out and "hello from the pcap link-type tests" not in out


def _tshark_dialogues(capture: Path) -> list[list[str]]:
    """Per interface (one per input file), the SMTP commands and reply codes tshark sees.

    The files repeat the same packets (same 4-tuples and sequence numbers), so tshark's
    sequence analysis would take every copy after the first for a retransmission: it is off.
    """
    proc = subprocess.run(
        [
            "tshark",
            "-r",
            str(capture),
            "-o",
            "tcp.analyze_sequence_numbers:FALSE",
            "-d",
            "tcp.port==2631,smtp",
            "-d",
            "tcp.port==2632,smtp",
            "-Y",
            "smtp",
            "-T",
            "fields",
            "-e",
            "frame.interface_id",
            "-e",
            "smtp.req.command",
            "-e",
            "smtp.response.code",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    streams: dict[int, list[str]] = {}
    for line in proc.stdout.splitlines():
        stream, req, rsp = [*line.split("\t"), "", ""][:3]
        items = streams.setdefault(int(stream), [])
        items += [c.upper() for c in req.split(",") if c]
        items += [c for c in rsp.split(",") if c]
    return [streams[k] for k in sorted(streams)]


def test_tshark_reads_every_link_type_as_we_do(tmp_path: Path) -> None:
    """All files in one pcapng, one interface each: tshark's SMTP dissector, an independent
    decoder, must see in each the same commands and replies as we do."""
    if shutil.which("tshark") is None or shutil.which("mergecap") is None:
        pytest.skip("tshark and mergecap (Wireshark) are needed for this comparison")
    names = [n for n, _f, _l in RECORDED] + sorted(DERIVED_LINKS)
    merged = tmp_path / "all-links.pcapng"
    subprocess.run(
        ["mergecap", "-a", "-I", "none", "-F", "pcapng", "-w", str(merged)] + [str(LINKS / n) for n in names],
        capture_output=True,
        timeout=60,
        check=True,
    )
    ours = load(merged)
    assert ours["error"] == "" and ours["format"] == "pcapng"
    assert set(ours["link"].split(", ")) == {
        "Ethernet",
        "Linux cooked (SLL)",
        "Linux cooked v2 (SLL2)",
        "BSD loopback",
        "OpenBSD loopback",
        "raw IP",
    }
    # the same 4-tuples over and over, each opened by a new SYN: one session per file
    assert ours["totals"]["sessions"] == len(names)
    assert all(dialogue(s) == EXPECTED_DIALOGUE for s in ours["sessions"])
    ours_seen = [
        [
            str(x)
            for st in s["steps"]
            for x in (st["command"].split()[0].upper(), st["reply"])
            if not str(x).startswith("(")
        ]
        for s in ours["sessions"]
    ]
    theirs = _tshark_dialogues(merged)
    assert len(theirs) == len(names)
    assert theirs == ours_seen
