"""`postfinger lookup` against the real troubled Postfix and the stock configuration beside it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ..helpers import run_cli

pytestmark = pytest.mark.integration


def tables(*argv: str) -> dict[str, dict[str, Any]]:
    res = run_cli(["lookup", "--json", *argv])
    assert res.status in (0, 3), res.stderr
    doc: dict[str, Any] = json.loads(res.stdout)
    return {t["table"]: t for t in doc["tables"]}


def table_lines(path: str) -> dict[str, str]:
    """key -> right-hand side of a real table source, read here independently of the tool."""
    out = {}
    for line in Path(path).read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, value = line.split(None, 1)
            out[key.rstrip(":")] = value.strip()
    return out


def found(table: dict[str, Any]) -> list[Any]:
    return [(a["key"], a["answer"]) for a in table["asked"] if a["found"]]


def test_a_key_in_the_real_virtual_table_is_found_there(real_postfix: dict[str, Any]) -> None:
    virtual = table_lines("/etc/postfix/virtual")
    address = "info@" + real_postfix["virtual_domain"]
    got = tables("--no-anonymize", address)
    table = got["hash:/etc/postfix/virtual"]
    assert table["parameters"] == ["virtual_alias_maps"]
    # the full address first, then the @domain wild-card: both in the real table
    assert found(table) == [
        (address, virtual[address]),
        ("@" + real_postfix["virtual_domain"], virtual["@" + real_postfix["virtual_domain"]]),
    ]
    assert any("older than source file" in w for w in table["warnings"])  # the planted stale index
    # the other tables cannot be asked, each with Postfix's own reason
    assert got["hash:/etc/postfix/transport"]["problem"] == (
        "open database /etc/postfix/transport.db: No such file or directory"
    )
    assert got["mysql:/etc/postfix/mysql-senders.cf"]["problem"].startswith(
        "unsupported dictionary type: mysql"
    )
    assert got["hash:/etc/postfix/sasl_passwd"]["secret"] is True


def test_the_real_answers_are_anonymized(real_postfix: dict[str, Any]) -> None:
    res = run_cli(["lookup", "lager@" + real_postfix["domain"]])
    assert res.status == 3, res.stderr  # transport and mysql cannot be asked
    assert "lookup of " in res.stdout and "hash:/etc/postfix/virtual" in res.stdout
    assert "found: " in res.stdout  # lager@ -> j.meier, both replaced
    for value in (real_postfix["domain"], "lager", *real_postfix["users"]):
        assert value not in res.stdout, value


def test_the_stock_alias_table_answers_for_a_local_address(stock_postfix: Path) -> None:
    aliases = table_lines("/etc/aliases")
    got = tables("-c", str(stock_postfix), "--no-anonymize", "postmaster@localhost")
    table = got["hash:/etc/aliases"]
    assert sorted(table["parameters"]) == ["alias_database", "alias_maps"]
    assert found(table) == [("postmaster", aliases["postmaster"])]
    # a remote domain: Postfix never asks the alias table, and says why
    other = tables("-c", str(stock_postfix), "--no-anonymize", "postmaster@example.org")
    assert "only for local domains" in other["hash:/etc/aliases"]["problem"]
