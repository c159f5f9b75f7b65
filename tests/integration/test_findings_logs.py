"""Logs explained on the real site: each kind in its log found once, with the count grep finds."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from ..helpers import run_cli

pytestmark = pytest.mark.integration

REAL_LOG = Path("/var/log/postfix.log")

# code -> a grep -E pattern for the lines of that kind (the same lines, counted independently).
# Where a line could also be a more generic kind, the pattern says which one it belongs to.
GREP = {
    "log-unknown-client": r"\]: connect from unknown\[",
    "log-open-database": r"\]: (warning|error|fatal|panic): .*open database \S+: "
    r"No such file or directory",
    "log-unsupported-dict": r"\]: (warning|error|fatal|panic): .*unsupported dictionary type",
    "log-relay-restrictions": r"\]: (warning|error|fatal|panic): .*specify at least one working "
    r"instance of: reject_unauth_destination",
    "log-stale-database": r"\]: (warning|error|fatal|panic): .*database \S+ is older than "
    r"source file",
    "log-comment-in-value": r"\]: (warning|error|fatal|panic): .*comment at end of line is "
    r"not supported",
    "log-damaged-message": r"\]: (warning|error|fatal|panic): damaged message: ",
    "log-process-limit": r"\]: warning: .*has reached its process limit",
    "log-delivery-refused": r"status=(deferred|bounced) \(connect to \S+: Connection refused",
    "log-unused-parameter": r"\]: warning: .*unused parameter: ",
}


def grep_count(pattern: str, path: Path) -> int:
    import re

    rx = re.compile(pattern)
    with open(path, encoding="utf-8", errors="replace") as fh:
        return sum(1 for line in fh if rx.search(line))


@pytest.fixture(scope="module")
def logs_and_findings(
    real_postfix: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    # A copy: the live log grows while the tests run; the tool and grep must see the same lines.
    copy = tmp_path_factory.mktemp("log") / "postfix.log"
    shutil.copyfile(REAL_LOG, copy)
    res = run_cli(["--format", "json", "--no-anonymize", "--since", "all", "--log-file", str(copy)])
    assert res.status in (0, 3), res.stderr
    report = json.loads(res.stdout)
    sections = {s["name"]: s for s in report["sections"]}
    return {
        "copy": copy,
        "logs": sections["logs"]["data"],
        "findings": sections["findings"]["data"]["findings"],
    }


def test_each_kind_in_the_real_log_is_found_once_with_the_grep_count(
    logs_and_findings: dict[str, Any],
) -> None:
    copy = logs_and_findings["copy"]
    explained = {e["code"]: e for e in logs_and_findings["logs"]["explained"]}
    findings = [f for f in logs_and_findings["findings"] if f["code"].startswith("log-")]
    codes = [f["code"] for f in findings]
    assert len(codes) == len(set(codes)), codes  # each kind once
    # A kind is reported as a finding of its own, or, when a configuration check found its
    # cause, as "log:" evidence of that finding (findings.SYMPTOM_OF): once either way.
    folded = {
        code
        for code, e in explained.items()
        for f in logs_and_findings["findings"]
        if f"log: {e['first']}" in f["evidence"]
    }
    assert not folded & set(codes), folded & set(codes)
    present = 0
    for code, pattern in GREP.items():
        expected = grep_count(pattern, copy)
        got = explained.get(code, {}).get("count", 0)
        assert got == expected, (code, got, expected)
        assert (code in codes or code in folded) == (expected > 0), code
        present += expected > 0
    # The planted faults that do reach this log (see setup-postfix.sh).
    for code in (
        "log-unknown-client",
        "log-open-database",
        "log-unsupported-dict",
        "log-relay-restrictions",
        "log-comment-in-value",
    ):
        assert code in codes or code in folded, code
    # The missing resolv.conf in the jail explains the unknown clients: they are its evidence.
    assert "log-unknown-client" in folded
    assert "log-comment-in-value" in codes  # no configuration check covers it
    assert present >= 5


def test_unknown_loopback_clients_are_a_warning_with_the_first_line(
    logs_and_findings: dict[str, Any],
) -> None:
    # Folded into the jail finding (its cause), which stays a warning and quotes the first line.
    first = next(
        ln
        for ln in logs_and_findings["copy"].read_text(errors="replace").splitlines()
        if "]: connect from unknown[" in ln
    )
    [jail] = [f for f in logs_and_findings["findings"] if f"log: {first}" in f["evidence"]]
    assert jail["code"] == "chroot-jail-missing" and jail["severity"] == "warning"
    assert "resolv.conf" in jail["message"]


def test_rejects_and_deferrals_match_grep(logs_and_findings: dict[str, Any]) -> None:
    copy, logs = logs_and_findings["copy"], logs_and_findings["logs"]
    assert logs["reject_total"] == grep_count(r"\]: NOQUEUE: reject: ", copy)
    assert sum(r["count"] for r in logs["rejects"]) == logs["reject_total"]
    assert logs["deferred_total"] == grep_count(r", status=deferred \(", copy)
    assert logs["bounced_total"] == grep_count(r", status=bounced \(", copy)
    assert logs["sent_total"] == grep_count(r", status=sent ", copy)
    assert sum(f["count"] for f in logs["failures"]) == (logs["deferred_total"] + logs["bounced_total"])


def test_the_corrupt_queue_file_is_found(logs_and_findings: dict[str, Any]) -> None:
    [corrupt] = [f for f in logs_and_findings["findings"] if f["code"] == "queue-corrupt"]
    assert "4C1A2B3C4D5" in corrupt["evidence"][0]
    names = sorted(p.name for p in Path("/var/spool/postfix/corrupt").iterdir())
    assert corrupt["message"].startswith(f"{len(names)} damaged queue file(s)")
