"""scrubadub glue: our scanner as a Detector, our keyed replacements as a PostProcessor.

Imported only when anonymizing (scrubadub's own import costs ~0.9 s); never scrubadub's stock
detectors, which damage Postfix text (see the anonymizer notes).
"""

from __future__ import annotations

import logging
import sys
import types
from collections.abc import Iterator, Sequence
from typing import Any

logging.getLogger("faker").setLevel(logging.WARNING)  # scrubadub imports faker: no import chatter


# scrubadub's stock detectors that pull in natural-language libraries at import time: skype and
# text_blob import nltk and textblob (and through them numpy), date_of_birth imports dateparser.
# Together about 0.6 s of the ~0.9 s import, measured here; we use none of them (see the notes:
# stock detectors damage Postfix text), so stand-ins take their place during the import.
_UNUSED_MODULES = {
    "scrubadub.detectors.skype": "SkypeDetector",
    "scrubadub.detectors.text_blob": "TextBlobNameDetector",
    "scrubadub.detectors.date_of_birth": "DateOfBirthDetector",
    "scrubadub.filth.date_of_birth": "DateOfBirthFilth",
}


def _stand_in(module_name: str, class_name: str) -> types.ModuleType:
    """A module whose one class says, when used, that postfinger did not load it."""

    def refuse(self: Any, *args: Any, **kwargs: Any) -> None:
        raise ImportError(
            f"{module_name}.{class_name} is not loaded by postfinger (its "
            "libraries are slow to import and its detector is not used)"
        )

    module = types.ModuleType(module_name, "postfinger's stand-in: not loaded")
    setattr(module, class_name, type(class_name, (), {"__init__": refuse, "__module__": module_name}))
    return module


def _import_scrubadub() -> None:
    """Import scrubadub without the libraries of detectors we never use, and without SciPy.

    About 0.25 s and 40 MiB instead of 2.4-3.0 s and 155 MiB, measured here. SciPy: nltk's
    metrics import scipy.stats inside `try: ... except ImportError`; the stand-ins keep nltk out
    altogether, and a None entry in sys.modules keeps SciPy out should anything else try. All
    those entries are removed afterwards, so anything else may still import the real modules.
    """
    if "scrubadub" in sys.modules:
        return
    added: dict[str, types.ModuleType | None] = {}
    if "scipy" not in sys.modules:
        added["scipy"] = None
    for name, cls in _UNUSED_MODULES.items():
        if name not in sys.modules:
            added[name] = _stand_in(name, cls)
    sys.modules.update(added)  # type: ignore[arg-type,unused-ignore]
    try:
        import scrubadub  # noqa: F401
    finally:
        for name, module in added.items():
            if sys.modules.get(name, 0) is module:
                del sys.modules[name]


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

    def iter_filth(self, text: str, document_name: str | None = None) -> Iterator[Any]:
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
            parts: list[Any] = sorted(getattr(filth, "filths", None) or [filth], key=lambda f: f.beg)
            if len(parts) == 1:
                filth.replacement_string = self.engine.replace_outer(parts[0].match)
                continue
            # Adjacent hits arrive merged: stitch their replacements with the text between.
            out, pos = [], filth.beg
            for part in parts:
                if part.beg < pos:
                    continue
                out.append(filth.text[pos - filth.beg : part.beg - filth.beg])
                out.append(self.engine.replace_outer(part.match))
                pos = part.end
            out.append(filth.text[pos - filth.beg :])
            filth.replacement_string = "".join(out)
        return filth_list


def make_scrubber(engine: Engine) -> Any:
    return scrubadub.Scrubber(
        detector_list=[SiteDetector(engine)],
        post_processor_list=[KeyedReplacer(engine)],
    )
