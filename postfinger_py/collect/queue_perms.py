"""Queue and program permissions checked against Postfix's own postfix-files manifest."""

from __future__ import annotations

from postfinger_py.collect.base import Collector
from postfinger_py.collect.common import postconf_values, postfix_files_entries
from postfinger_py.files import FileProblem
from postfinger_py.model import Context, Section, Status

SETGID_TOOLS = ("postdrop", "postqueue")


def mode_problems(kind: str, expected: int, actual: int) -> list[str]:
    """What is wrong with `actual` where `expected` is postfix-files' mode.

    Distributions legitimately add bits (Debian: sticky maildrop, set-gid public, 755 data
    directory, 2555 tools), so only what breaks Postfix or opens the queue is a problem:
    a required bit that is missing, or write access for group/others that was not expected.
    """
    # Every bit postfix-files gives a directory is needed (maildrop's group wx lets postdrop
    # write); of a program only the set-gid and execute bits matter.
    required = expected if kind == "d" else expected & 0o7111
    out = []
    missing = required & ~actual
    if missing & 0o7000:
        out.append("set-gid bit missing" if missing & 0o2000 else f"mode lacks {missing:04o}")
    elif missing:
        out.append(f"mode {actual:04o} lacks {missing:04o}")
    extra_write = actual & ~expected & 0o022
    if extra_write:
        out.append(f"mode {actual:04o} gives write access to {'group' if extra_write & 0o020 else 'others'}")
    return out


class PermissionsCollector(Collector):
    name = "permissions"
    title = "Queue and program permissions (checked against postfix-files)"
    description = "owner, group and mode of queue directories and set-gid programs"
    optional = True
    order = 80

    def collect(self, ctx: Context) -> Section:
        layout = postconf_values(ctx)
        entries, notes = postfix_files_entries(ctx, layout)
        if not entries:
            return self.section(
                Status.FAILED, notes=[*notes, "postfix-files is needed to know the expected permissions"]
            )
        queue_dir = layout.get("queue_directory", "")
        data_dir = layout.get("data_directory", "")
        checked: list[dict[str, object]] = []
        for e in entries:
            wanted_dir = e.type == "d" and (e.path.startswith(queue_dir) or e.path == data_dir)
            # Like `postfix check`: of the programs, only the set-gid submission tools matter.
            wanted_file = e.type == "f" and e.path.rsplit("/", 1)[-1] in SETGID_TOOLS
            if not (wanted_dir or wanted_file):
                continue
            row: dict[str, object] = {"path": e.path, "expected": self._expect(e.owner, e.group, e.mode)}
            try:
                st = ctx.files.stat(e.path)
            except FileProblem as exc:
                row.update(actual=exc.reason, ok=False)
                checked.append(row)
                continue
            problems = []
            if e.owner != "-" and st.user != e.owner:
                problems.append(f"owner {st.user}")
            if e.group != "-" and st.group != e.group:
                problems.append(f"group {st.group}")
            problems += mode_problems(e.type, int(e.mode, 8), st.mode)
            row.update(actual=f"{st.mode_string} {st.user}:{st.group}", ok=not problems, problems=problems)
            checked.append(row)
        wrong = [r for r in checked if not r["ok"]]
        data = {"checked": checked, "wrong": wrong, "count": len(checked)}
        return self.section(Status.OK, data=data, notes=notes)

    @staticmethod
    def _expect(owner: str, group: str, mode: str) -> str:
        who = owner if group == "-" else f"{owner}:{group}"
        return f"{mode} {who}"
