"""A fresh capture of a session with the real Postfix, summarised; and compared with tshark."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from postfinger_py.pcap.summary import smtp_ports, summarize

CLIENT_PORT = 41099  # our own source port: only our session lands in the capture
# Not pipelined: with PIPELINING, when the server refuses DATA (454 after a refused RCPT),
# tshark's dissector takes the following QUIT for message data; we do not.


def _record(tmp_path: Path) -> Path:
    if shutil.which("tcpdump") is None or shutil.which("swaks") is None:
        pytest.skip("tcpdump and swaks are needed to record a capture")
    out = tmp_path / "fresh.pcap"
    dump = subprocess.Popen(
        ["tcpdump", "-i", "lo", "-s", "0", "-U", "-w", str(out), f"tcp port 25 and tcp port {CLIENT_PORT}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(1.0)
        subprocess.run(
            [
                "swaks",
                "--server",
                "127.0.0.1:25",
                "--local-interface",
                "127.0.0.1",
                "--local-port",
                str(CLIENT_PORT),
                "--helo",
                "pcap-it.test",
                "--from",
                "pcap-it@pcap-src.example",
                "--to",
                "pcap-it@pcap-dest.example",
            ],
            capture_output=True,
            timeout=60,
            check=False,
        )
        time.sleep(1.0)
    finally:
        dump.terminate()
        dump.wait(timeout=10)
    return out


@pytest.mark.integration
def test_fresh_capture_matches_what_was_sent(real_postfix: dict[str, Any], tmp_path: Path) -> None:
    capture = _record(tmp_path)
    with open(capture, "rb") as fh:
        result = summarize(fh, str(capture), smtp_ports())
    assert result["error"] == ""
    (s,) = result["sessions"]
    assert s["client"] == f"127.0.0.1:{CLIENT_PORT}" and s["server"] == "127.0.0.1:25"
    assert s["banner"].startswith(real_postfix["hostname"])
    assert s["helo"] == "pcap-it.test"
    assert s["mail_from"] == ["pcap-it@pcap-src.example"]
    assert s["rcpt_to"] == ["pcap-it@pcap-dest.example"]
    assert s["end"] == "QUIT"
    verbs = [st["command"].split()[0] for st in s["steps"]]
    assert verbs[:4] == ["(connect)", "EHLO", "MAIL", "RCPT"] and verbs[-1] == "QUIT"
    if shutil.which("tshark") is None:
        pytest.skip("tshark is not installed: the comparison with its SMTP dissector is skipped")
    ours_cmds = [st["command"].split()[0].upper() for st in s["steps"] if not st["command"].startswith("(")]
    ours_codes = _collapse([st["reply"] for st in s["steps"] if st["reply"] is not None])
    theirs_cmds, theirs_codes = _tshark(capture)
    assert ours_cmds == theirs_cmds
    assert ours_codes == theirs_codes


def _collapse(codes: list[int]) -> list[int]:
    out: list[int] = []
    for c in codes:
        if not out or out[-1] != c:
            out.append(c)
    return out


def _tshark(capture: Path) -> tuple[list[str], list[int]]:
    proc = subprocess.run(
        [
            "tshark",
            "-r",
            str(capture),
            "-Y",
            "smtp",
            "-T",
            "fields",
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
    cmds: list[str] = []
    codes: list[int] = []
    for line in proc.stdout.splitlines():
        req, _, rsp = line.partition("\t")
        cmds += [c.upper() for c in req.split(",") if c]
        codes += [int(c) for c in rsp.split(",") if c]
    return cmds, _collapse(codes)
