"""No false alarms: Debian's stock configuration gives no finding above note level."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ..conftest import STOCK_LOG
from ..helpers import run_cli

pytestmark = pytest.mark.integration


def findings(*argv: str) -> dict[str, Any]:
    res = run_cli(["check", *argv, "--format", "json", "--no-anonymize"], live_clock=True)
    assert res.status in (0, 3), res.stderr
    data: dict[str, Any] = json.loads(res.stdout)
    found: list[dict[str, Any]] = [s for s in data["sections"] if s["name"] == "findings"]
    assert found, "no findings section"
    return found[0]


def test_stock_debian_configuration_has_nothing_above_note(stock_postfix: Path) -> None:
    section = findings("-c", str(stock_postfix), "--log-file", str(STOCK_LOG))
    loud = [
        f"{f['severity']}: {f['code']}: {f['message']}"
        for f in section["data"]["findings"]
        if f["severity"] != "note"
    ]
    assert loud == [], "false alarms on Debian's stock configuration:\n" + "\n".join(loud)
    assert section["status"] != "failed", section["notes"]


def test_the_troubled_site_beside_it_does_have_problems(real_postfix: dict[str, Any]) -> None:
    # The same command on the troubled site must not be quiet: the stock test above is only
    # meaningful while the checks do find the planted faults.
    section = findings()
    assert any(f["severity"] in ("problem", "warning") for f in section["data"]["findings"])
