"""Pinned outputs for a fixed key: optimizations must not change a single replacement.

The expected outputs are text files in data/ (pin-expected-*.txt, compared whole, so a failure
shows the diff); they were written by the code as it stood before the performance work
(PIN_REGENERATE=1 rewrites them; do that only for a deliberate, explained change of output).
pin-input.txt holds hand-picked tricky lines and 350 generated log lines (gen_log.py, seed 7).
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from postfinger_py.anonymize import AnonSettings, anonymize, learn, text_filter
from postfinger_py.anonymize.engine import Engine
from postfinger_py.anonymize.leak import LeakChecker
from postfinger_py.files import LiveFiles
from postfinger_py.model import Context, Report

from .conftest import DATA, SITE, read, recorded_report

KEY_HEX = "5f0e1d2c3b4a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
KEY = bytes.fromhex(KEY_HEX)
REGENERATE = os.environ.get("PIN_REGENERATE") == "1"


def _engine(mode: str, text: str) -> Engine:
    e = Engine(KEY, mode)
    e.learn_host(SITE["hostname"], is_own_host=True)
    e.learn_host("db7.bluefinch-logistics.de")
    e.learn_user("j.meier")
    learn.learn_free_text(e, text)
    learn.learn_sasl_passwd(e, "[smtp.relay-provider.net]:587 bluefinch-relay:S3cretPassw0rd!\n")
    e.freeze()
    return e


def _everything(report: Report) -> str:
    return json.dumps(report.to_plain()) + json.dumps([s.raw for s in report.sections])


def _expected(name: str, actual: str) -> str:
    """The pinned text (bytes as written: no newline translation)."""
    path = DATA / name
    if REGENERATE:
        path.write_bytes(actual.encode("utf-8"))
    return path.read_bytes().decode("utf-8")


def _check_text(name: str, actual: str) -> None:
    assert actual == _expected(name, actual), name


def _json_lines(text: str) -> str:
    """The JSON documents of `text` (json.dumps output, one long line), one value a line."""
    decoder, docs, end = json.JSONDecoder(), [], 0
    while end < len(text):
        doc, end = decoder.raw_decode(text, end)
        docs.append(json.dumps(doc, indent=1))
    return "\n".join(docs) + "\n"


def _check_json_text(name: str, actual: str) -> None:
    """Like _check_text, for a pin of one long line of JSON: a difference shows as a diff of
    the documents one value a line (which values changed), then the exact text is compared."""
    expected = _expected(name, actual)
    if actual != expected:
        assert _json_lines(actual) == _json_lines(expected), name
    assert actual == expected, name


def _check_json(actual: dict[str, Any]) -> None:
    path = DATA / "pin-expected.json"
    expected: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    if REGENERATE:
        expected.update(actual)
        path.write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")
    for key, value in actual.items():
        assert expected[key] == value, key


@pytest.mark.parametrize("mode", ["on", "strict", "off"])
def test_engine_outputs_pinned(mode: str) -> None:
    text = read("pin-input.txt")
    e = _engine(mode, text)
    out = e.apply(text)
    _check_text(f"pin-expected-{mode}.txt", out)
    assert e.apply(text) == out  # the caches give what the first pass gave
    checker = LeakChecker(e, ["Log"])
    mapping: list[list[str]] = [list(row) for row in e.mapping()]
    _check_json(
        {
            f"engine-{mode}-mapping": mapping,
            f"engine-{mode}-leak-of-input": checker.describe("Log\n" + text),
            f"engine-{mode}-leak-of-output": checker.describe(out),
        }
    )


def _key_file(tmp_path: Path) -> str:
    path = tmp_path / "key"
    path.write_text(KEY_HEX + "\n")
    path.chmod(0o600)
    return str(path)


@pytest.mark.parametrize("mode", ["on", "strict"])
def test_report_outputs_pinned(mode: str, tmp_path: Path) -> None:
    map_file = tmp_path / "map"
    settings = AnonSettings(
        mode=mode, key_file=_key_file(tmp_path), map_file=str(map_file) if mode == "on" else None
    )
    result = anonymize(recorded_report(), settings)
    text = _everything(result.report)
    _check_json_text(f"pin-expected-report-{mode}.txt", text)
    if mode == "on":
        _check_text("pin-expected-report-map.txt", map_file.read_text())
    _check_json({f"report-{mode}-leak": result.find_leak(text)})


def test_filter_output_pinned(tmp_path: Path) -> None:
    from .test_filter import recorded_runner, site_tree

    ctx = Context(
        runner=recorded_runner(),
        files=LiveFiles(str(site_tree(tmp_path / "root"))),
        now=datetime(2026, 11, 21, tzinfo=timezone.utc),
        euid=0,
    )
    f = text_filter(ctx, AnonSettings(key_file=_key_file(tmp_path)))
    out = f(read("postfix.log") + read("pin-input.txt"))
    _check_text("pin-expected-filter-on.txt", out)
