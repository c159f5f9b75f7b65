"""The scrubadub import is the anonymizer's biggest fixed cost: keep SciPy, nltk, textblob and
dateparser (the libraries of stock detectors we never use) out of it."""

from __future__ import annotations

import subprocess
import sys

from ..conftest import REPO

HEAVY = ["scipy", "nltk", "textblob", "dateparser", "numpy"]


def _run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_scrub_glue_imports_scrubadub_without_heavy_libraries() -> None:
    code = (
        "import sys; import postfinger_py.anonymize.scrub as s; "
        f"print([m for m in {HEAVY!r} if m in sys.modules], 'scrubadub' in sys.modules, "
        "[m for m, v in sys.modules.items() if v is None or "
        "(getattr(v, '__doc__', '') or '').startswith(\"postfinger's stand-in\")])"
    )
    # None of them loaded, scrubadub loaded, and no stand-in or None entry left behind.
    assert _run(code).split("\n")[0] == "[] True []"


def test_scrubber_works_and_stand_ins_refuse_clearly() -> None:
    code = (
        "from postfinger_py.anonymize.scrub import make_scrubber; "
        "from postfinger_py.anonymize.engine import Engine; import scrubadub.detectors as d; "
        "e = Engine(bytes(32)); e.learn_host('mx1.bluefinch-logistics.de', is_own_host=True); "
        "e.freeze(); print(make_scrubber(e).clean('from mx1.bluefinch-logistics.de[10.1.2.3]'))\n"
        "try:\n d.SkypeDetector()\nexcept ImportError as exc:\n print(exc)"
    )
    out = _run(code).splitlines()
    assert "bluefinch" not in out[0] and out[0].startswith("from ") and "10.1.2.3" not in out[0]
    assert "not loaded by postfinger" in out[1]


def test_real_modules_still_importable_afterwards() -> None:
    code = (
        "import postfinger_py.anonymize.scrub; import scipy; "
        "import scrubadub.detectors.date_of_birth as m; print(scipy.__name__, m.__doc__ is None "
        "or 'stand-in' not in m.__doc__, hasattr(m, 'search_dates'))"
    )
    assert _run(code).split() == ["scipy", "True", "True"]
