"""The scrubadub import is the anonymizer's biggest fixed cost: keep SciPy out of it."""

from __future__ import annotations

import subprocess
import sys

from ..conftest import REPO


def test_scrub_glue_imports_scrubadub_without_scipy() -> None:
    code = ("import sys; import postfinger_py.anonymize.scrub as s; "
            "print('scipy' in sys.modules, 'scrubadub' in sys.modules, "
            "sys.modules.get('scipy', 0) is None)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "True", "False"]  # no SciPy, no None left behind


def test_scipy_still_importable_afterwards() -> None:
    code = "import postfinger_py.anonymize.scrub; import scipy; print(scipy.__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0 and out.stdout.strip() == "scipy", out.stderr
