"""scrubadub glue: our scanner as a Detector, our keyed replacements as a PostProcessor.

Imported only when anonymizing (scrubadub's own import costs ~0.9 s); never scrubadub's stock
detectors, which damage Postfix text (see the anonymizer notes).
"""

from __future__ import annotations

import logging
import sys
from typing import Any, Iterator, List, Optional, Sequence

logging.getLogger("faker").setLevel(logging.WARNING)  # scrubadub imports faker: no import chatter


def _import_scrubadub() -> None:
    """Import scrubadub without SciPy: about 1.5 s and 85 MiB less, measured here.

    scrubadub's package import loads every stock detector; its skype detector imports nltk, and
    nltk.metrics.association imports scipy.stats inside `try: ... except ImportError`, falling back
    to raising only when Fisher's exact test is called. We use none of that, so SciPy is hidden for
    the duration of the import (a None entry in sys.modules makes `import scipy` fail), then the
    entry is removed so that anything else may still import SciPy normally.
    """
    if "scipy" in sys.modules or "scrubadub" in sys.modules:
        import scrubadub  # noqa: F401

        return
    sys.modules["scipy"] = None  # type: ignore[assignment]
    try:
        import scrubadub  # noqa: F401
    finally:
        if sys.modules.get("scipy", 0) is None:
            del sys.modules["scipy"]


_import_scrubadub()

import scrubadub  # noqa: E402
import scrubadub.detectors  # noqa: E402
import scrubadub.filth  # noqa: E402
import scrubadub.post_processors  # noqa: E402

from postfinger_py.anonymize.engine import Engine  # noqa: E402


class SiteFilth(scrubadub.filth.Filth):  # type: ignore[misc]
    """A site value found by the engine's scanner; `match` says which kind."""

    type = "postfix_site_value"


class SiteDetector(scrubadub.detectors.Detector):  # type: ignore[misc]
    """Finds site values with the engine's scanner (learned values first, then detectors)."""

    name = "postfix_site"

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine

    def iter_filth(self, text: str, document_name: Optional[str] = None) -> Iterator[Any]:
        for m in self.engine.outer().finditer(text):
            if m.end() > m.start() and self.engine.replace_outer(m) != m.group(0):
                yield SiteFilth(match=m, detector_name=self.name, document_name=document_name)


class KeyedReplacer(scrubadub.post_processors.PostProcessor):  # type: ignore[misc]
    """Sets each filth's replacement from the engine: keyed, shape-keeping, consistent."""

    name = "postfix_keyed_replacer"

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine

    def process_filth(self, filth_list: Sequence[Any]) -> Sequence[Any]:
        for filth in filth_list:
            parts: List[Any] = sorted(getattr(filth, "filths", None) or [filth],
                                      key=lambda f: f.beg)
            if len(parts) == 1:
                filth.replacement_string = self.engine.replace_outer(parts[0].match)
                continue
            # Adjacent hits arrive merged: stitch their replacements with the text between.
            out, pos = [], filth.beg
            for part in parts:
                if part.beg < pos:
                    continue
                out.append(filth.text[pos - filth.beg:part.beg - filth.beg])
                out.append(self.engine.replace_outer(part.match))
                pos = part.end
            out.append(filth.text[pos - filth.beg:])
            filth.replacement_string = "".join(out)
        return filth_list


def make_scrubber(engine: Engine) -> Any:
    return scrubadub.Scrubber(
        detector_list=[SiteDetector(engine)],
        post_processor_list=[KeyedReplacer(engine)],
    )
