"""Fixtures for the queue tests: a stable, aged test queue of our own in the real hold queue."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import qbuild

H = "qsh-helper.example"
MIN = 60
HOUR = 3600
DAY = 86400

# (sender, recipients, age in seconds): several sender and recipient domains, parents with
# enough subdomains for -p, a null sender, a UTF-8 domain, and ages across qshape's buckets.
PLAN = [
    (f"alice@s1.{H}", [f"u1@a.r1.{H}", f"u2@b.r1.{H}"], 30),
    (f"alice@s1.{H}", [f"u3@c.r1.{H}"], 7 * MIN),
    (f"bob@s2.{H}", [f"u4@d.r1.{H}", f"u5@e.r1.{H}", f"u6@a.r1.{H}"], 15 * MIN),
    (f"bob@s2.{H}", [f"u7@r2.{H}"], 35 * MIN),
    ("", [f"u8@r2.{H}"], 70 * MIN),
    ("", [f"postmaster@long-subdomain-name-for-truncation.r3.{H}"], 3 * HOUR),
    ("Carol@S3.QSH-Helper.example", [f"U9@R2.{H.upper()}"], 8 * HOUR),
    (f"dave@s1.{H}", [f"jörg@müller.{H}"], 20 * HOUR),
    (f"dave@s1.{H}", [f"u10@a.r1.{H}", f"u11@r2.{H}"], 2 * DAY),
    (f"erin@s4.{H}", [f"u12@x.r3.{H}"], 5 * DAY),
    (f"erin@s4.{H}", [f"u13@a.r1.{H}"], 11 * DAY),
    (f"alice@s1.{H}", [f"u14@r2.{H}"], 299),
    (f"alice@s1.{H}", [f"u15@a.r1.{H}"], 301),
]


@pytest.fixture(scope="session")
def hold_queue(real_postfix: dict[str, Any]) -> Iterator[list[str]]:
    """Our PLAN, held and aged in the real Postfix; deleted (by our IDs only) afterwards."""
    ids = qbuild.build_hold_queue(PLAN)
    try:
        yield ids
    finally:
        qbuild.delete(ids)
