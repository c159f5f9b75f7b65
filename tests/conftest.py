"""Shared fixtures: the real Postfix (integration), the example snapshot, a fixed clock."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

# In CI (CI=true) every property test draws the same examples each run, so a red CI run can be
# reproduced and main is not turned red by a rare draw; run locally, they explore anew each time
# (and keep what failed in .hypothesis/).
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI") == "true":
    settings.load_profile("ci")

REPO = Path(__file__).resolve().parent.parent
EXAMPLE_SNAPSHOT = REPO / "examples" / "debian12-troubled" / "snapshot"
SITE_FILE = REPO / "tests" / "integration" / "site.json"
FIXED_NOW = datetime(2026, 11, 21, 22, 0, 0, tzinfo=timezone.utc)


def _postfix_problem() -> str:
    """Why the real-Postfix tests cannot run here, or '' when they can."""
    if os.geteuid() != 0:
        return "integration tests need root (they read the queue and the config as root)"
    if shutil.which("postconf") is None:
        return "Postfix is not installed (run tests/integration/setup-postfix.sh as root)"
    res = subprocess.run(["postfix", "status"], capture_output=True, text=True)
    if res.returncode != 0:
        return "Postfix is not running (run tests/integration/setup-postfix.sh as root)"
    res = subprocess.run(["postconf", "-h", "mydomain"], capture_output=True, text=True)
    if res.stdout.strip() != "bluefinch-logistics.de":
        return "Postfix is not the troubled test site (run tests/integration/setup-postfix.sh)"
    return ""


@pytest.fixture(scope="session")
def real_postfix() -> dict[str, Any]:
    """The running, deliberately troubled Postfix; its made-up site values as a dict.

    Skips with the reason when it is not there, except under CI=true, where a missing Postfix
    is a failure: CI must run the integration tests, not skip them.
    """
    problem = _postfix_problem()
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but the real Postfix is not usable: {problem}")
        pytest.skip(problem)
    site: dict[str, Any] = json.loads(SITE_FILE.read_text())
    return site


class FakeTty(io.StringIO):
    """A stderr that claims to be a terminal, to test progress output."""

    def isatty(self) -> bool:
        return True


# The example's anonymization key: a fixed key makes the anonymized example report reproducible
# (the example's site values are made up, so publishing its key reveals nothing real).
EXAMPLE_KEY = EXAMPLE_SNAPSHOT.parent / "anon.key"
# The options the example report is rendered with (examples/capture.sh captured with the same).
EXAMPLE_ARGS = [
    "--all",
    "--probe",
    "--since",
    (EXAMPLE_SNAPSHOT.parent / "since").read_text().strip(),
    "--trace",
    "<lieferschein-4711@bluefinch-logistics.de>",
    "--pcap",
    "/tmp/postfinger-example/smtp.pcap",
    "--port",
    "2525",
]


STOCK_DIR = Path("/etc/postfix-stock")
STOCK_LOG = Path("/var/log/postfix-stock.log")


@pytest.fixture(scope="session")
def stock_postfix(real_postfix: dict[str, Any]) -> Path:
    """Debian's stock configuration beside the test site (tests/integration/setup-stock.sh)."""
    if not (STOCK_DIR / "main.cf").is_file():
        problem = "no stock configuration (run tests/integration/setup-stock.sh as root)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {problem}")
        pytest.skip(problem)
    return STOCK_DIR
