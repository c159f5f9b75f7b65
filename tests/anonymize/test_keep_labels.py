"""--keep covers the labels inside the kept name too: the leak check does not refuse them."""

from __future__ import annotations

from postfinger_py.anonymize.engine import Engine
from postfinger_py.anonymize.keeplist import blank_kept


def test_blanked_keep_spans_keep_positions_and_hide_only_what_is_kept() -> None:
    engine = Engine(b"k" * 32, keep=[r"kestrel-logistics\.co\.uk"])
    text = "relay=mail.kestrel-logistics.co.uk[1.2.3.4] helo=kestrel-logistics"
    blanked = blank_kept(text, engine.keep_patterns)
    assert len(blanked) == len(text)
    assert "kestrel-logistics.co.uk" not in blanked
    assert blanked.startswith("relay=mail.")
    assert blanked.endswith("helo=kestrel-logistics")  # a bare label outside a kept name stays
    assert blank_kept(text, Engine(b"k" * 32).keep_patterns) == text  # no --keep: nothing blanked
