"""Build a recognisable, stable test queue in the real Postfix's hold queue, aged by hand.

Messages are submitted with sendmail, wait until the running Postfix has deferred them (its
relayhost has no listener), are put on hold (qmgr leaves held mail alone), and then get an older
arrival time by rewriting the digits of their queue file's T (arrival time) record in place: same
length, so no record offsets move. Only our own queue IDs are ever touched or deleted.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Sequence

MARK = "qsh-helper"  # every address we create contains this, so we recognise our own mail


def _records(data: bytes) -> list[tuple[int, int, int]]:
    """(type, data offset, data length) of the leading records of a queue file."""
    out = []
    pos = 0
    while pos < len(data) and len(out) < 4:
        rtype = data[pos]
        pos += 1
        length = shift = 0
        while True:
            byte = data[pos]
            pos += 1
            length |= (byte & 0x7F) << shift
            if not byte & 0x80:
                break
            shift += 7
        out.append((rtype, pos, length))
        pos += length
    return out


def set_arrival(path: str, arrival: int) -> None:
    """Rewrite the seconds of the T record (the arrival time qshape and showq read)."""
    with open(path, "r+b") as fh:
        data = fh.read(4096)
        for rtype, offset, length in _records(data):
            if rtype == ord("T"):
                old = data[offset : offset + length]
                secs = old.split(b" ")[0]
                new = str(arrival).encode()
                if len(new) != len(secs):
                    raise ValueError("arrival time of a different digit count")
                fh.seek(offset)
                fh.write(new)
                return
    raise ValueError(f"{path}: no T record")


def listing() -> list[dict[str, object]]:
    res = subprocess.run(["postqueue", "-j"], capture_output=True, text=True, check=True)
    return [json.loads(line) for line in res.stdout.splitlines() if line.strip()]


def submit(sender: str, recipients: Sequence[str]) -> None:
    body = f"Subject: {MARK} test\n\nqshape test message\n".encode()
    subprocess.run(["sendmail", "-f", sender, "--", *recipients], input=body, check=True)


def _ours(m: dict[str, object]) -> bool:
    rcpts = m.get("recipients") or []
    return MARK in str(m.get("sender", "")).lower() or any(
        MARK in str(r.get("address", "")).lower()
        for r in rcpts  # type: ignore[union-attr]
    )


def build_hold_queue(plan: Sequence[tuple[str, Sequence[str], int]], timeout: float = 60.0) -> list[str]:
    """Submit (sender, recipients, age in seconds) messages; hold and age them; return IDs."""
    known = {str(m["queue_id"]) for m in listing()}
    for sender, rcpts, _age in plan:
        submit(sender, rcpts)
    wanted = len(plan)
    deadline = time.time() + timeout
    ids: dict[str, dict[str, object]] = {}
    while time.time() < deadline:
        for m in listing():
            qid = str(m["queue_id"])
            if qid in known or not _ours(m):
                continue
            if m["queue_name"] == "deferred" and qid not in ids:
                subprocess.run(["postsuper", "-h", qid], capture_output=True, check=True)
                ids[qid] = m
        held = [m for m in listing() if m["queue_name"] == "hold" and str(m["queue_id"]) in ids]
        if len(held) >= wanted:
            break
        time.sleep(0.3)
    else:
        delete(list(ids))
        raise RuntimeError(f"only {len(ids)} of {wanted} test messages reached the queue")
    now = int(time.time())
    # Match each held message to its plan entry by sender and recipients.
    remaining = list(plan)
    for qid, m in ids.items():
        rcpts = sorted(str(r["address"]) for r in m["recipients"])  # type: ignore[union-attr]
        for i, (sender, plan_rcpts, age) in enumerate(remaining):
            if _same_sender(sender, str(m["sender"])) and sorted(plan_rcpts) == rcpts:
                set_arrival(hold_path(qid), now - age)
                remaining.pop(i)
                break
    return list(ids)


def _same_sender(planned: str, shown: str) -> bool:
    return planned == shown or (planned == "" and shown == "MAILER-DAEMON")


def hold_path(qid: str, queue_directory: str | None = None) -> str:
    qdir = (
        queue_directory
        or subprocess.run(
            ["postconf", "-h", "queue_directory"], capture_output=True, text=True, check=True
        ).stdout.strip()
    )
    return os.path.join(qdir, "hold", qid)


def delete(ids: Sequence[str]) -> None:
    """Delete our own messages, by queue ID only."""
    for qid in ids:
        subprocess.run(["postsuper", "-d", qid], capture_output=True)
