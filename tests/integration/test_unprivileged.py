"""Run as an ordinary user: the report still renders and says precisely what it could not see."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import dpkt
import jinja2
import markupsafe
import pytest

from ..conftest import REPO

pytestmark = pytest.mark.integration

SYSTEM_PYTHON = "/usr/bin/python3"


def _world_readable_copy(tmp: Path) -> Path:
    """The package, its templates and its light dependencies where user nobody can read them."""
    lib = tmp / "lib"
    shutil.copytree(REPO / "postfinger_py", lib / "postfinger_py")
    shutil.copytree(REPO / "templates", lib / "postfinger_py" / "templates", dirs_exist_ok=True)
    for module in (jinja2, markupsafe, dpkt):
        src = Path(module.__file__).parent  # type: ignore[arg-type]
        shutil.copytree(src, lib / src.name)
    for path in [tmp, *tmp.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return lib


def test_as_nobody_the_report_says_what_it_could_not_see(real_postfix: dict[str, Any]) -> None:
    if not os.path.exists(SYSTEM_PYTHON) or shutil.which("runuser") is None:
        pytest.fail("needs /usr/bin/python3 and runuser (both are in Debian's base system)")
    # pytest's tmp_path lies below a root-only directory; nobody needs a path it can reach.
    work = Path(tempfile.mkdtemp(prefix="postfinger-nobody-", dir="/tmp"))
    try:
        lib = _world_readable_copy(work)
        res = _run_as_nobody(lib)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    # What nobody cannot see makes the report partial: exit 3, naming the sections.
    assert res.returncode == 3, res.stderr
    assert "report is incomplete" in res.stderr and "processes" in res.stderr
    report = res.stdout
    assert "[partial]" in report
    assert "run as:       uid 65534 (not root: some sections may be incomplete)" in report
    # master.pid is readable by root only: say so, and how to get it.
    assert "cannot tell whether the master daemon runs" in report
    assert "run it as root to include this" in report
    # What an ordinary user can see is still there.
    assert "smtpd_sasl_autenticated_header" in report
    assert "Every program that carries a version stamp is version" in report
    assert "==== END OF POSTFINGER REPORT ====" in report


def _run_as_nobody(lib: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            "runuser",
            "-u",
            "nobody",
            "--",
            SYSTEM_PYTHON,
            "-m",
            "postfinger_py",
            "--all",
            "--no-anonymize",
            "--nowarn",
        ],
        capture_output=True,
        text=True,
        cwd="/",
        env={"PYTHONPATH": str(lib), "PATH": os.environ["PATH"]},
        timeout=120,
    )
