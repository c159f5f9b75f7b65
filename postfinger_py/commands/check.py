"""`postfinger check`: the Findings section alone (the report's options apply: -c, --replay, ...)."""

from __future__ import annotations

from postfinger_py.env import Env
from postfinger_py.errors import UsageError


def main(argv: list[str], env: Env) -> int:
    if any(a in ("--only", "--skip", "--all") or a.startswith(("--only=", "--skip=")) for a in argv):
        raise UsageError(
            "postfinger check: --only, --skip and --all do not apply; "
            "check always shows the Findings section alone"
        )
    from postfinger_py.commands import report

    return report.main(["--only", "findings", "--nowarn", *argv], env, prog="postfinger check")
