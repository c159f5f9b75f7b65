"""--probe against the real Postfix: the test site's listener that was added without a reload
(127.0.0.1:2528, refused), the one whose smtpd dies at start (127.0.0.1:2527, no greeting), and
submission with STARTTLS and AUTH after it; the probe through a capture and its replay."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ..helpers import run_cli

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def probed(real_postfix: dict[str, Any]) -> dict[str, Any]:
    res = run_cli(
        ["--probe", "--only", "probe,findings", "--format", "json", "--no-anonymize", "--nowarn"],
        live_clock=True,
    )
    assert res.status in (0, 3), res.stderr
    sections = {s["name"]: s for s in json.loads(res.stdout)["sections"]}
    return sections


def test_the_listeners_answer_as_a_client_sees_them(
    probed: dict[str, Any], real_postfix: dict[str, Any]
) -> None:
    rows = {r["service"]: r for r in probed["probe"]["data"]["listeners"]}
    master = subprocess.run(["postconf", "-M"], capture_output=True, text=True).stdout
    inet = {
        line.split()[0] + "/inet"
        for line in master.splitlines()
        if len(line.split()) > 7 and line.split()[1] == "inet" and line.split()[7] in ("smtpd", "postscreen")
    }
    assert set(rows) == inet
    smtp = rows["smtp/inet"]
    assert smtp["outcome"] == "ok"
    assert smtp["banner"].startswith(f"220 {real_postfix['hostname']} ESMTP")
    assert smtp["starttls"] == "not offered"  # port 25 has no TLS on the test site
    sub = rows["submission/inet"]
    assert (sub["outcome"], sub["starttls"], sub["auth"]) == ("ok", "offered", "")
    assert sub["tls"].startswith("TLSv1.")
    assert "PLAIN" in sub["auth_tls"].split()  # Cyrus offers AUTH after STARTTLS only (encrypt)
    assert rows["127.0.0.1:2528/inet"]["outcome"] == "refused"
    assert rows["127.0.0.1:2527/inet"]["outcome"] in ("timeout", "closed")


def test_the_planted_listener_faults_are_found_and_nothing_else(probed: dict[str, Any]) -> None:
    found = [f for f in probed["findings"]["data"]["findings"] if f["code"].startswith("probe-")]
    by_code = {(f["code"], f["evidence"][0].split()[1]) for f in found}
    # 2528 refuses; the processes section saw that nothing listens there, so it is the
    # listener-missing finding (which needs no --probe), not a second one.
    assert by_code == {("probe-no-greeting", "127.0.0.1:2527")}, found
    codes = [f["code"] for f in probed["findings"]["data"]["findings"]]
    assert codes.count("listener-missing") == 1


def test_the_probe_is_recorded_and_replayed(real_postfix: dict[str, Any], tmp_path: Path) -> None:
    snap = tmp_path / "snap"
    key = ["--anon-key", str(tmp_path / "key")]
    argv = ["--probe", "--only", "probe", "--nowarn", *key]
    live = run_cli([*argv, "--capture", str(snap)])
    assert live.status == 0, live.stderr
    manifest = json.loads((snap / "manifest.json").read_text())
    assert any(r["op"] == "probe" and r["path"] == "127.0.0.1:587" for r in manifest["records"])
    again = run_cli([*argv, "--replay", str(snap)])
    assert again.status == 0, again.stderr
    strip = lambda text: text.split("\n", 3)[3]  # noqa: E731 - the Generated line differs
    assert strip(again.stdout) == strip(live.stdout)
    assert "127.0.0.1:2527" in live.stdout and "no greeting" in live.stdout


def test_a_snapshot_without_the_probe_says_so(real_postfix: dict[str, Any], tmp_path: Path) -> None:
    snap = tmp_path / "snap"
    captured = run_cli(["--all", "--nowarn", "--capture", str(snap)])  # all but --probe
    assert captured.status == 0, captured.stderr
    assert not any(r["op"] == "probe" for r in json.loads((snap / "manifest.json").read_text())["records"])
    res = run_cli(["--probe", "--only", "probe", "--nowarn", "--replay", str(snap)])
    assert res.status == 3, res.stderr
    assert "captured without --probe" in res.stdout
