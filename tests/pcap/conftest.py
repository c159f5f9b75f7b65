"""Helpers for the pcap tests: the recorded captures and a summary of bytes."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from postfinger_py.pcap.summary import smtp_ports, summarize

DATA = Path(__file__).resolve().parent / "data"
# The ports of the recorded sessions: shared Postfix 25, own instance 2626/2627, smtp-sink 2628.
PORTS = smtp_ports([2626, 2627, 2628])


def summarize_bytes(data: bytes, name: str = "test.pcap", limit: int = 20) -> dict[str, Any]:
    return summarize(io.BytesIO(data), name, PORTS, limit)


@pytest.fixture
def data_dir() -> Path:
    return DATA
