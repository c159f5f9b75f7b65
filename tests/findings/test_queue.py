"""Queue checks: corrupt queue files, the deferred queue's top reason; and how corrupt is read."""

from __future__ import annotations

from typing import Any

from postfinger_py.collect.common import LAYOUT
from postfinger_py.collect.queue import corrupt_files
from postfinger_py.findings.queue import corrupt_queue_files, deferred_reason
from postfinger_py.model import Context, Options

from ..helpers import FakeRunner
from .fakes import NOW, DictFiles, facts, section

LAYOUT_OUT = "".join(f"{n} = {'/var/spool/postfix' if n == 'queue_directory' else 'x'}\n" for n in LAYOUT)


def ctx(files: DictFiles) -> Context:
    return Context(FakeRunner({("postconf", *LAYOUT): LAYOUT_OUT}), files, NOW, 0, Options())


def test_corrupt_files_counted_from_the_queue_directory() -> None:
    files = DictFiles(
        {
            f"/var/spool/postfix/corrupt/{n}": b"not a queue file"
            for n in (
                "4C1A2B3C4D5",
                "5D2B3C4D5E6",
                "6E3C4D5E6F7",
                "7F4D5E6F7A8",
                "8A5E6F7A8B9",
                "9B6F7A8B9C0",
            )
        }
    )
    got = corrupt_files(ctx(files))
    assert got["count"] == 6 and got["directory"] == "/var/spool/postfix/corrupt"
    assert got["files"] == ["4C1A2B3C4D5", "5D2B3C4D5E6", "6E3C4D5E6F7", "7F4D5E6F7A8", "8A5E6F7A8B9"]
    [found] = corrupt_queue_files(facts([section("queue", {"corrupt": got})]))
    assert found.severity == "warning" and found.code == "queue-corrupt"
    assert found.message.startswith("6 damaged queue file(s)")
    assert found.evidence == (
        "/var/spool/postfix/corrupt: 4C1A2B3C4D5, 5D2B3C4D5E6, "
        "6E3C4D5E6F7, 7F4D5E6F7A8, 8A5E6F7A8B9 and 1 more",
    )


def test_no_corrupt_directory_is_no_finding_and_denied_is_unknown() -> None:
    assert corrupt_files(ctx(DictFiles()))["count"] == 0
    denied = corrupt_files(ctx(DictFiles(denied=["/var/spool/postfix/corrupt"])))
    assert denied["count"] is None and "permission denied" in denied["problem"]
    for got in (corrupt_files(ctx(DictFiles())), denied):
        assert list(corrupt_queue_files(facts([section("queue", {"corrupt": got})]))) == []


def queue(deferred: int) -> dict[str, Any]:
    return {
        "deferred_messages": deferred,
        "reasons": {
            "top": [
                {
                    "reason": "connect to HOST[IP]:2599: Connection refused",
                    "count": deferred - 2,
                    "example_id": "4DF2516025F",
                    "example": "connect to 127.0.0.1[127.0.0.1]:2599: Connection refused",
                },
                {
                    "reason": "address resolver failure",
                    "count": 2,
                    "example_id": "7BEAC16025C",
                    "example": "address resolver failure",
                },
            ],
            "cut": 0,
            "distinct": 2,
        },
    }


def test_deferred_top_reason_note_then_warning_when_large() -> None:
    assert list(deferred_reason(facts([section("queue", queue(5))]))) == []
    [note] = deferred_reason(facts([section("queue", queue(12))]))
    assert note.severity == "note"
    assert "12 message(s)" in note.message and "Connection refused" in note.message
    assert note.evidence == ("e.g. 4DF2516025F: connect to 127.0.0.1[127.0.0.1]:2599: Connection refused",)
    [warning] = deferred_reason(facts([section("queue", queue(150))]))
    assert warning.severity == "warning"


def test_a_failed_queue_section_gives_no_queue_findings() -> None:
    f = facts([section("queue", {"source": "none"})])
    assert list(corrupt_queue_files(f)) == [] and list(deferred_reason(f)) == []
