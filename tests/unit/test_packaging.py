"""The wheel must hold every subpackage and every template (pyproject lists them explicitly)."""

from __future__ import annotations

import sys

from ..conftest import REPO

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.9/3.10: the tests still run there; this check only needs 3.11's tomllib
    tomllib = None


def test_every_subpackage_is_listed_in_pyproject() -> None:
    if tomllib is None:
        import pytest

        pytest.skip("tomllib needs Python 3.11; the same check runs on 3.11 in CI")
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    found = {
        ".".join(path.parent.relative_to(REPO).parts)
        for path in (REPO / "postfinger_py").rglob("*.py")
        if "__pycache__" not in path.parts
    }
    assert found - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"
    assert config["package-dir"]["postfinger_py.templates"] == "templates"
    assert (REPO / "templates" / "report.txt.j2").is_file()
