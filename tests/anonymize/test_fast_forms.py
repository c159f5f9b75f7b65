"""The fast forms of slow patterns find what the patterns find (seeded random texts, built from
the pieces that matter to each pattern; a failure prints the text)."""

from __future__ import annotations

import random

import pytest

from postfinger_py.anonymize import compound, learn

CASES = 20_000


def _texts(pieces: list[str], seed: int) -> list[str]:
    r = random.Random(seed)
    return ["".join(r.choice(pieces) for _ in range(r.randint(1, 25))) for _ in range(CASES)]


def test_compound_spans_by_words_are_compound_spans() -> None:
    labels = compound.pick(["kestrel-logistics", "kestrel", "acme", "orchard2"])
    pieces = ["kestrel", "-logistics", "_", " ", "\n", "acme", ".", "@", "db", ".db", "2024", "x"]
    pieces += ["-", "orchard2", "\t", "\\.", "com", "\x1c", "é", "KESTREL"]
    for text in _texts(pieces, 11):
        low = compound.lowered(text)
        assert compound.compound_spans_by_words(low, labels) == compound.compound_spans(low, labels), text


def test_display_names_are_those_of_the_one_pattern() -> None:
    pieces = ["From: ", "Reply-To: ", "To: ", "Cc: ", "Sender: ", "xFrom: ", '"Hans Bauer"', " <"]
    pieces += ["a@b.com", "@", "x", "-", "\n", "Anna Schulz", "Ä", " "]
    for text in _texts(pieces, 5):
        want = {m.group(1) or m.group(2) for m in learn._DISPLAY_NAME.finditer(text)}
        assert {name for _, name in learn._display_names(text)} == want, text


def test_address_domains_are_those_of_the_lookbehind_pattern() -> None:
    pieces = ["a", "@", "b.com", "x.de", ".", "-", "+", "_", "Ä", " ", "\n", "@@", "1"]
    for text in _texts(pieces, 7):
        assert learn.address_domains(text) == set(learn._ADDRESS_DOMAIN.findall(text)), text


@pytest.mark.parametrize("seed", [3, 4])
def test_uri_userinfo_finds_at_least_what_the_scheme_first_pattern_finds(seed: int) -> None:
    """(More only where a scheme's letter ends the previous match: `a:b@c://x@y`.)"""
    pieces = ["http", "://", "u", "ser", ":", "pw", "@", "h.de", "[", "x", "-", "+", ".", "/", " "]
    pieces += ["\n", "é", "1", "ldap", "svn+ssh", "_"]
    for text in _texts(pieces, seed):
        want = {m.groups() for m in learn._URI_USERINFO.finditer(text)}
        assert want <= {m.groups() for m in learn._uri_userinfo(text)}, text


def _recursive_alternation(values: list[str]) -> str:
    """The recursive form literal_alternation had (the reference for the iterative one)."""
    import re

    from postfinger_py.anonymize.patterns import DOT

    trie: dict = {}
    for value in set(values):
        node = trie
        for ch in value:
            node = node.setdefault(ch, {})
        node[""] = {}

    def render(node: dict) -> str:
        branches = [
            (DOT if c == "." else re.escape(c)) + render(node[c]) for c in sorted(k for k in node if k)
        ]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return render(trie)


def test_the_iterative_trie_is_the_recursive_one() -> None:
    from postfinger_py.anonymize.patterns import literal_alternation

    r = random.Random(13)
    for _ in range(2000):
        words = ["".join(r.choice("ab.c-") for _ in range(r.randint(1, 6))) for _ in range(r.randint(1, 8))]
        assert literal_alternation(words) == _recursive_alternation(words), words


def test_a_secret_longer_than_the_recursion_limit_is_masked(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """An XOAUTH2 token (a thousand base64 characters and more) after `password=` made the
    scanner's trie recurse past Python's limit: `internal error: RecursionError`, no output."""
    from .leaks_helpers import command, site

    token = "dXNlcj1oYmF1ZXIBYXV0aD1CZWFyZXIg" * 60
    conf = site(tmp_path, "myhostname = mx1.kestrel-logistics.co.uk\n")
    status, out, err = command(tmp_path, conf, f"password={token}\nagain {token}\n")
    assert status == 0, err
    assert token[:40] not in out and out == "password=********\nagain ********\n"
