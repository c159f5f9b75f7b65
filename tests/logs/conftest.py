"""Fixtures of the mail log tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """An empty system root with /var/log."""
    (tmp_path / "var" / "log").mkdir(parents=True)
    return tmp_path
