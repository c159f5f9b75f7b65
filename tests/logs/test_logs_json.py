"""`postfinger logs --json`: the same lines as the text output, as one JSON document."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ..helpers import run_cli

LOG = Path(__file__).parent / "data" / "postfix-3.7.11-debian12.log"
PROBLEM = re.compile(r"postfix/[a-z/-]+\[\d+\]: (warning|error|fatal|panic): ")


@pytest.mark.parametrize("limit", ["3", "0"])
def test_json_holds_the_text_outputs_lines(limit: str) -> None:
    argv = ["logs", "--log-file", str(LOG), "--since", "all", "--limit", limit, "--no-anonymize"]
    text = run_cli(argv)
    doc = run_cli([*argv, "--json"])
    assert text.status == doc.status == 0, doc.stderr
    data = json.loads(doc.stdout)
    assert [line["text"] for line in data["lines"]] == text.stdout.splitlines()
    expected = sum(1 for line in LOG.read_text().splitlines() if PROBLEM.search(line))
    assert data["total"] == expected > 3
    assert data["shown"] == (3 if limit == "3" else expected)
    assert data["complete"] is True
    assert data["logs"] == [{"name": str(LOG), "size": LOG.stat().st_size}]
    assert {line["severity"] for line in data["lines"]} <= {"warning", "error", "fatal", "panic"}
    assert all(line["program"].startswith("postfix") for line in data["lines"])


def test_json_is_anonymized_like_the_text() -> None:
    argv = ["logs", "--log-file", str(LOG), "--since", "all", "--limit", "0", "--json"]
    plain = json.loads(run_cli([*argv, "--no-anonymize"]).stdout)
    anon = json.loads(run_cli(argv).stdout)
    assert len(plain["lines"]) == len(anon["lines"])
    assert [a["text"] for a in anon["lines"]] != [p["text"] for p in plain["lines"]]
    assert [len(a["text"]) for a in anon["lines"]] == [len(p["text"]) for p in plain["lines"]]


def test_config_dir_is_the_long_name_of_c() -> None:
    res = run_cli(
        [
            "logs",
            "--config-dir",
            "/nonexistent-pf",
            "--log-file",
            str(LOG),
            "--since",
            "all",
            "--json",
            "--no-anonymize",
        ]
    )
    assert res.status == 0, res.stderr
    assert json.loads(res.stdout)["total"] > 0
