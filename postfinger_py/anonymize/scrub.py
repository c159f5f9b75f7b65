"""scrubadub glue: our scanner as a Detector, our keyed replacements as a PostProcessor.

Imported only when anonymizing (scrubadub's own import costs ~0.9 s); never scrubadub's stock
detectors, which damage Postfix text (see the anonymizer notes).
"""

from __future__ import annotations

import logging
from typing import Any, Iterator, List, Optional, Sequence

logging.getLogger("faker").setLevel(logging.WARNING)  # scrubadub imports faker: no import chatter

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
