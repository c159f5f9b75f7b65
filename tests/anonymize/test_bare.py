"""The learned bare words found by set lookup (bare.py) match exactly where the regex alternatives
they replaced matched: the reference below is the scanner as it was built with the words as its
KNOWN and KNOWNDOT alternatives, KNOWNTOKEN of the outer pass, and the known-word pattern."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from postfinger_py.anonymize import bare as bare_mod
from postfinger_py.anonymize.bare import BareWords, merged
from postfinger_py.anonymize.engine import Engine
from postfinger_py.anonymize.patterns import ALTERNATIVES, DOT, EXTRAS, build_scanner, literal_alternation

AFTER_INSTANCE = r"(?<=(?<![\w-])postfix-)"


def _reference_scanner(words: set[str], extras: bool) -> re.Pattern[str]:
    """The scanner with the words as alternatives (no secrets learned), as it was built."""
    alt = literal_alternation(words)
    parts = []
    for name, regex in ALTERNATIVES:
        if name in ("SYSLOG", "CFLINE") or (name in EXTRAS and not extras):
            continue
        if name == "EMAIL":
            parts.append(rf"(?P<KNOWN>(?:(?<![\w.-])|{AFTER_INSTANCE})(?i:{alt})(?![\w-]|{DOT}[^\W_]))")
        parts.append(f"(?P<{name}>{regex})")
    parts.append(rf"(?P<KNOWNDOT>(?:(?<![\w-])|{AFTER_INSTANCE})(?i:{alt})(?![\w-]))")
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + ")", re.MULTILINE)


def _reference_token(words: set[str]) -> re.Pattern[str]:
    alt = literal_alternation(words)
    return re.compile(rf"(?=(?:[\w-]*[^\s\w-])*?(?:postfix-)?(?i:{alt})(?![\w-]))\S+")


def _reference_word(words: set[str]) -> re.Pattern[str]:
    return re.compile(rf"(?:(?<![\w-])|{AFTER_INSTANCE})(?i:{literal_alternation(words)})(?![\w-])")


def _spans(pattern: re.Pattern[str], text: str) -> list[tuple[int, int, str]]:
    return [
        (m.start(), m.end(), "K" if m.lastgroup in ("KNOWN", "KNOWNDOT") else m.lastgroup or "")
        for m in pattern.finditer(text)
    ]


def _merged_spans(words: set[str], text: str, extras: bool) -> list[tuple[int, int, str]]:
    scanner = build_scanner([], False, extras)
    found = merged(scanner, BareWords((words,)), text)
    return [(s, e, "K" if m is None else m.lastgroup or "") for s, e, m in found]


# (learn_user takes `[\w.+-]+`: a word may start with `.`, `+` or `-` too.)
WORD = st.text(alphabet="abmxé1.-+_", min_size=2, max_size=7)
WORDS = st.sets(WORD, min_size=1, max_size=6)
# Text made of the words (in any case, dots escaped or not), address-like pieces and separators.
PIECE = st.one_of(
    WORD,
    WORD.map(str.upper),
    WORD.map(lambda w: w.replace(".", "\\.")),
    st.sampled_from(
        [
            "postfix-",
            "@",
            ".",
            "-",
            "=",
            "<",
            ">",
            ":",
            "[",
            "]",
            "/",
            " ",
            ".com",
            "example.org",
            "10.1.2.3",
            "2001:db8::1",
            "dc=",
            "+",
            "x",
            "\\",
            ",",
        ]
    ),
)


@settings(max_examples=400, deadline=None)
@given(WORDS, st.lists(PIECE, max_size=12), st.booleans())
def test_scanner_matches_where_the_alternation_matched(
    words: set[str], pieces: list[str], extras: bool
) -> None:
    text = "".join(pieces)
    assert _merged_spans(words, text, extras) == _spans(_reference_scanner(words, extras), text)


@settings(max_examples=400, deadline=None)
@given(WORDS, st.lists(PIECE, max_size=12))
def test_tokens_and_words_as_the_patterns_took_them(words: set[str], pieces: list[str]) -> None:
    text = "".join(pieces)
    found = BareWords((words,))
    for token in text.split():
        assert found.in_token(token) == bool(_reference_token(words).match(token)), token
    assert found.sub_dot(text, str.upper) == _reference_word(words).sub(lambda m: m.group(0).upper(), text)


def test_named_cases() -> None:
    """Cases the boundaries were written for (see patterns.py's comments of the time)."""
    words = {"mx1", "j.meier", "lager"}
    cases = {
        "postfix-mx1/smtpd[3]:": [(8, 11, "K")],
        # (KNOWN before EMAIL: the learned local part is the user's word, then the domain.)
        "j.meier@example.com": [(0, 7, "K"), (8, 19, "DOM")],
        "J\\.Meier": [(0, 8, "K")],
        "mx1.pem": [(0, 7, "DOM")],  # (`pem` could be a TLD: dom_text finds the word in it)
        "x.mx1": [(2, 5, "K")],
        "mx1.example.com": [(0, 15, "DOM")],
        "a/lager,mx1:": [(2, 7, "K"), (8, 11, "K")],
        "mx1-b": [],
    }
    for text, want in cases.items():
        assert _merged_spans(words, text, False) == want, text
        assert _spans(_reference_scanner(words, False), text) == want, text


def test_before_known_is_the_scanners_order() -> None:
    """KNOWN stood right before EMAIL: every alternative before that beats it at one place."""
    names = [n for n, _ in ALTERNATIVES if n not in ("SYSLOG", "CFLINE")]
    assert bare_mod.BEFORE_KNOWN == {"SECRET", "SHORTSECRET", *names[: names.index("EMAIL")]}


def test_many_words_compile_nothing() -> None:
    """100,000 learned users cost the patterns nothing: the scanner is the same pattern as
    with none (the words are looked up, not compiled), and a word is still replaced."""
    engine = Engine(b"k" * 32)
    engine.freeze()
    empty = engine.scanner().pattern
    for i in range(100_000):
        engine.learn_user(f"user{i}x")
    engine.freeze()
    assert engine.scanner().pattern == empty
    out = engine.apply("sasl_method=PLAIN, user77777x logged in as USER5X")
    assert "user77777x" not in out and "USER5X" not in out
    assert out.startswith("sasl_method=PLAIN, ")
