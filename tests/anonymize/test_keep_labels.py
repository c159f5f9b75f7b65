"""--keep covers the labels inside the kept name too: the leak check does not refuse them."""

from __future__ import annotations

from postfinger_py.anonymize.leak import LeakChecker


def test_blanked_keep_spans_keep_positions_and_hide_only_what_is_kept() -> None:
    import re

    checker = LeakChecker.__new__(LeakChecker)
    checker._keep_patterns = [re.compile(r"kestrel-logistics\.co\.uk")]
    text = "relay=mail.kestrel-logistics.co.uk[1.2.3.4] helo=kestrel-logistics"
    blanked = checker._without_kept(text)
    assert len(blanked) == len(text)
    assert "kestrel-logistics.co.uk" not in blanked
    assert blanked.endswith("helo=kestrel-logistics")  # a bare label outside a kept name stays
