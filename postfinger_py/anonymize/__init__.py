"""The anonymize stage: every string that reaches rendering passes through here first.

Consistent (one keyed mapping for the whole report), shape-keeping (letters stay letters, digits
digits), keyword-safe (Postfix names are never replaced) and fail-closed (`find_leak` scans every
rendered output for every original value that was replaced). See docs in README ("Anonymization").

This module is the face: what the commands use. Behind it, settings.py (the options, the
engine made from them, the map file), report.py (a collected report), textfilter.py (free text
in parts, for the subcommands), and the machinery: engine.py (learning, scanning, the per-kind
choices), handlers.py (what each kind of match becomes), maps.py (the consistency state),
learn.py, patterns.py, leak.py (the fail-closed check), parallel.py, worker.py, scrub.py.
"""

from __future__ import annotations

from postfinger_py.anonymize.report import BULK_THRESHOLD, anonymize, preload
from postfinger_py.anonymize.settings import (
    AnonResult,
    AnonSettings,
    add_anon_arguments,
    settings_from_args,
)
from postfinger_py.anonymize.textfilter import PartFilter, learn_live, text_filter

__all__ = [
    "BULK_THRESHOLD",
    "AnonResult",
    "AnonSettings",
    "PartFilter",
    "add_anon_arguments",
    "anonymize",
    "learn_live",
    "preload",
    "settings_from_args",
    "text_filter",
]
