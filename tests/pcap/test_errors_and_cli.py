"""Bad input gives clear notes or errors; the subcommand, the collector and the template."""

from __future__ import annotations

import io
import json
import struct
from datetime import datetime, timezone
from pathlib import Path

import jinja2
import pytest

from postfinger_py.collect.pcap import PcapCollector
from postfinger_py.commands import pcap as pcap_command
from postfinger_py.env import Env
from postfinger_py.errors import PostfingerError, UsageError
from postfinger_py.files import LiveFiles
from postfinger_py.model import Context, Options, Status
from postfinger_py.runner import SubprocessRunner
from tests.pcap.conftest import DATA, summarize_bytes

REPO = Path(__file__).resolve().parents[2]


def test_not_a_capture() -> None:
    result = summarize_bytes(b"Received: from mx1\r\nSubject: hello\r\n")
    assert "not a pcap or pcapng capture" in result["error"]


def test_empty_file() -> None:
    assert summarize_bytes(b"")["error"] == "the file is empty"


def test_truncated_file_header() -> None:
    data = (DATA / "accepted.pcap").read_bytes()[:10]
    assert "truncated" in summarize_bytes(data)["error"]


def test_corrupt_pcapng_header() -> None:
    assert "corrupt pcapng" in summarize_bytes(b"\x0a\x0d\x0d\x0a" + b"\x00" * 40)["error"]


def test_truncated_inside_a_packet() -> None:
    data = (DATA / "accepted.pcap").read_bytes()
    result = summarize_bytes(data[:-30])
    assert result["error"] == ""
    assert any("ends inside a packet" in n for n in result["notes"])
    (s,) = result["sessions"]
    assert s["steps"][0]["reply"] == 220  # what was there is still summarised


def test_corrupt_record_length() -> None:
    data = bytearray((DATA / "accepted.pcap").read_bytes())
    first_len = struct.unpack_from("<I", data, 24 + 8)[0]
    second = 24 + 16 + first_len
    struct.pack_into("<I", data, second + 8, 0x7FFFFFFF)
    result = summarize_bytes(bytes(data))
    assert any("corrupt packet record after 1 packets" in n for n in result["notes"])


def test_unsupported_link_type() -> None:
    data = bytearray((DATA / "accepted.pcap").read_bytes())
    struct.pack_into("<I", data, 20, 147)  # a user-defined DLT
    result = summarize_bytes(bytes(data))
    assert result["sessions"] == []
    assert any("unsupported link type 147" in n for n in result["notes"])


def test_no_smtp_on_the_ports_suggests_port() -> None:
    from postfinger_py.pcap.summary import smtp_ports, summarize

    data = (DATA / "accepted.pcap").read_bytes()
    result = summarize(io.BytesIO(data), "x.pcap", smtp_ports())
    assert result["sessions"] == []
    assert any(
        "no TCP traffic on port(s) 25, 465, 587" in n and "2626" in n and "--port" in n
        for n in result["notes"]
    )


def _env(tmp_path: Path) -> Env:
    return Env(
        stdout=io.StringIO(),
        stderr=io.StringIO(),
        environ={},
        clock=lambda: datetime(2026, 11, 21, 22, 0, tzinfo=timezone.utc),
    )


def test_command_text_and_json(tmp_path: Path) -> None:
    env = _env(tmp_path)
    path = str(DATA / "relay.pcap")
    assert pcap_command.main([path, "--port", "2627"], env) == 0
    out = env.stdout.getvalue()  # type: ignore[attr-defined]
    assert "Relay access denied" in out and "Session 1:" in out
    env = _env(tmp_path)
    assert pcap_command.main([path, "--port", "2627", "--json"], env) == 0
    data = json.loads(env.stdout.getvalue())  # type: ignore[attr-defined]
    assert data["files"][0]["sessions"][0]["outcome"] == "rejected (5xx)"
    assert "lines" not in data["files"][0]


def test_command_errors(tmp_path: Path) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("hello\n")
    with pytest.raises(PostfingerError, match="not a pcap or pcapng capture"):
        pcap_command.main([str(bad)], _env(tmp_path))
    with pytest.raises(PostfingerError, match="no such file"):
        pcap_command.main([str(tmp_path / "missing.pcap")], _env(tmp_path))
    with pytest.raises(UsageError):
        pcap_command.main([str(bad), "--port", "70000"], _env(tmp_path))
    env = _env(tmp_path)
    assert pcap_command.main([str(bad), str(DATA / "accepted.pcap"), "--port", "2626"], env) == 3


def _ctx(options: Options) -> Context:
    return Context(
        runner=SubprocessRunner(),
        files=LiveFiles("/"),
        now=datetime(2026, 11, 21, tzinfo=timezone.utc),
        euid=0,
        options=options,
    )


def test_collector_skipped_without_pcap() -> None:
    section = PcapCollector().collect(_ctx(Options()))
    assert section.status is Status.SKIPPED and "--pcap" in section.notes[0]


def test_collector_and_template() -> None:
    files = (str(DATA / "starttls.pcap"), str(DATA / "tempfail.pcap"))
    section = PcapCollector().collect(_ctx(Options(pcap_files=files, pcap_ports=(2626,))))
    assert section.status is Status.OK
    assert section.name == "pcap"
    assert [f["totals"]["sessions"] for f in section.data["files"]] == [1, 1]
    json.dumps(section.data)  # plain data only
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(REPO / "templates")),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    text = env.get_template("sections/pcap.txt.j2").render(section=section.to_plain())
    assert "SNI pcap-tls.test.invalid" in text
    assert "Temporary lookup failure" in text
    expected = (
        "\n".join(section.data["files"][0]["lines"])
        + "\n\n"
        + "\n".join(section.data["files"][1]["lines"])
        + "\n"
    )
    assert text == expected


def test_collector_missing_file_fails_with_note() -> None:
    section = PcapCollector().collect(_ctx(Options(pcap_files=("/nonexistent/x.pcap",))))
    assert section.status is Status.FAILED
    assert "no such file" in section.notes[0]
