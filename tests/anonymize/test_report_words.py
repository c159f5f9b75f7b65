"""Words the report itself writes must survive anonymization (found reading the example report)."""

from __future__ import annotations

import json

from ..conftest import EXAMPLE_ARGS
from ..helpers import replay


def _sections(*extra: str) -> dict:
    res = replay(*EXAMPLE_ARGS, "--format", "json", *extra)
    assert res.status == 0, res.stderr
    return {s["name"]: s for s in json.loads(res.stdout)["sections"]}


def test_library_names_are_file_names_not_domains() -> None:
    plain = _sections("--no-anonymize")["libraries"]["data"]["libraries"]
    anon = _sections()["libraries"]["data"]["libraries"]
    assert [lib["soname"] for lib in anon] == [lib["soname"] for lib in plain]
    assert "libdb-5.3.so" in {lib["soname"] for lib in anon}


def test_normalizer_placeholders_and_postfix_wording_survive() -> None:
    text = replay(*EXAMPLE_ARGS).stdout
    assert 'lookup error for "USER@DOMAIN"' in text
    assert "NIS domain name not set" in text
    # ... while the real addresses around them are replaced.
    assert "bluefinch-logistics.de" not in text and "j.meier" not in text
