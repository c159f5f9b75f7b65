"""Findings checks: relay (filled in by its own change)."""

from __future__ import annotations

from typing import List

from postfinger_py.findings import Check

CHECKS: List[Check] = []
