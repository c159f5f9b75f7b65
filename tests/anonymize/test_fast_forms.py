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
