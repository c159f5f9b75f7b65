"""The bundle: report.txt, report.json, each section's raw material, and a manifest with sha256."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import tarfile
from datetime import datetime
from typing import Callable

from postfinger_py.model import Report

Member = tuple[str, bytes]


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", name).lstrip(".") or "_"


def bundle_members(report: Report, text: str, json_text: str) -> list[Member]:
    """Every member, in a fixed order; manifest.json last, holding the sha256 of the others."""
    members: list[Member] = [("report.txt", text.encode()), ("report.json", json_text.encode())]
    for section in report.sections:
        for fname, content in sorted(section.raw.items()):
            members.append((f"sections/{_safe(section.name)}/{_safe(fname)}", content.encode()))
    manifest = {
        "tool": "postfinger-py",
        "tool_version": report.tool_version,
        "generated_at": report.generated_at.isoformat(timespec="seconds"),
        "anonymized": report.anonymized,
        "members": [
            {"name": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            for name, data in members
        ],
    }
    members.append(("manifest.json", (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()))
    return members


def check_members(members: list[Member], find_leak: Callable[[str], str | None]) -> str | None:
    """The first leak in any member, as 'member: description', or None."""
    for name, data in members:
        leak = find_leak(data.decode("utf-8", "replace"))
        if leak:
            return f"{name}: {leak}"
    return None


def build_tar_gz(members: list[Member], mtime: datetime) -> bytes:
    """A deterministic .tar.gz: fixed owner, mode 0600, the report's time on every member."""
    raw = io.BytesIO()
    stamp = int(mtime.timestamp())
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in members:
            info = tarfile.TarInfo(f"postfinger/{name}")
            info.size = len(data)
            info.mtime = stamp
            info.mode = 0o600
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            tar.addfile(info, io.BytesIO(data))
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=stamp) as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


def read_members(data: bytes) -> dict[str, bytes]:
    """Members of a bundle by name (without the top directory), for tests and checks."""
    out: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for info in tar.getmembers():
            fh = tar.extractfile(info)
            if fh is not None:
                out[info.name.split("/", 1)[1]] = fh.read()
    return out
