"""What the checks look at: the collected sections, plus cached read-only looks at the system."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Callable, TypeVar

from postfinger_py.files import FileProblem, StatInfo
from postfinger_py.model import Context, Section
from postfinger_py.parse.postconf import parse_master, parse_overrides, parse_parameters
from postfinger_py.runner import require

T = TypeVar("T")

_REF = re.compile(r"\$(?:\{([A-Za-z0-9_]+)\}|\(([A-Za-z0-9_]+)\)|([A-Za-z0-9_]+))")


class Facts:
    """The collected sections by name, and cached looks (postconf, files) the checks share.

    Every look goes through ctx.runner and ctx.files, so a replayed snapshot answers it and a
    capture records it.
    """

    def __init__(self, ctx: Context, sections: Sequence[Section]) -> None:
        self.ctx = ctx
        self.sections: dict[str, Section] = {s.name: s for s in sections}
        self.notes: list[str] = []
        self._cache: dict[str, Any] = {}

    def cached(self, key: str, compute: Callable[[], T]) -> T:
        """compute(), once per key for every check that asks."""
        if key not in self._cache:
            self._cache[key] = compute()
        value: T = self._cache[key]
        return value

    # -- sections ---------------------------------------------------------------------------
    def section(self, name: str) -> Section | None:
        return self.sections.get(name)

    def data(self, name: str) -> dict[str, Any]:
        s = self.sections.get(name)
        return s.data if s is not None and isinstance(s.data, dict) else {}

    # -- main.cf ----------------------------------------------------------------------------
    @property
    def main(self) -> dict[str, str]:
        """Parameters set in main.cf (postconf -n), unexpanded."""
        if "main" not in self._cache:
            params = self.data("maincf").get("parameters")
            if isinstance(params, list):
                self._cache["main"] = {str(p["name"]): str(p["value"]) for p in params}
            else:
                res = require(self.ctx.runner.run(self.ctx.postconf("-n")), "read main.cf")
                self._cache["main"] = dict(parse_parameters(res.stdout))
        value: dict[str, str] = self._cache["main"]
        return value

    @property
    def effective(self) -> dict[str, str]:
        """Every parameter's value in effect, $names expanded (postconf -x)."""
        if "effective" not in self._cache:
            res = require(
                self.ctx.runner.run(self.ctx.postconf("-x")), "read the parameters in effect (postconf -x)"
            )
            self._cache["effective"] = dict(parse_parameters(res.stdout))
        value: dict[str, str] = self._cache["effective"]
        return value

    def param(self, name: str, default: str = "") -> str:
        """A parameter's expanded value in effect."""
        return self.effective.get(name, default)

    def expand(self, value: str, depth: int = 0) -> str:
        """$name, ${name}, $(name) expanded with the values in effect (as postconf -x does)."""
        if depth > 10 or "$" not in value:
            return value

        def sub(m: re.Match[str]) -> str:
            name = m.group(1) or m.group(2) or m.group(3)
            return self.expand(self.effective.get(name, ""), depth + 1)

        return _REF.sub(sub, value)

    # -- master.cf --------------------------------------------------------------------------
    @property
    def services(self) -> list[dict[str, Any]]:
        """master.cf services (postconf -M): service, type, private, unpriv, chroot, ..., args."""
        if "services" not in self._cache:
            found = self.data("mastercf").get("services")
            if not isinstance(found, list):
                res = require(self.ctx.runner.run(self.ctx.postconf("-M")), "read master.cf")
                found = parse_master(res.stdout)
            self._cache["services"] = found
        value: list[dict[str, Any]] = self._cache["services"]
        return value

    @property
    def overrides(self) -> list[dict[str, str]]:
        """Per-service -o overrides (postconf -P)."""
        if "overrides" not in self._cache:
            found = self.data("mastercf").get("overrides")
            if not isinstance(found, list):
                res = self.ctx.runner.run(self.ctx.postconf("-P"))
                found = parse_overrides(res.stdout) if res.ok else []
            self._cache["overrides"] = found
        value: list[dict[str, str]] = self._cache["overrides"]
        return value

    def service_param(self, service: str, kind: str, name: str) -> str:
        """A parameter's expanded value for one master.cf service (its -o override, or main.cf)."""
        for o in self.overrides:
            if o["service"] == service and o["type"] == kind and o["name"] == name:
                return self.expand(o["value"])
        return self.param(name)

    def service_overrides(self, service: str, kind: str) -> dict[str, str]:
        return {
            o["name"]: o["value"] for o in self.overrides if o["service"] == service and o["type"] == kind
        }

    # -- files ------------------------------------------------------------------------------
    def stat(self, path: str) -> tuple[StatInfo | None, FileProblem | None]:
        """lstat of a path: (info, None), or (None, the problem: missing, denied, error)."""
        key = f"stat:{path}"
        if key not in self._cache:
            try:
                self._cache[key] = (self.ctx.files.stat(path), None)
            except FileProblem as exc:
                self._cache[key] = (None, exc)
        value: tuple[StatInfo | None, FileProblem | None] = self._cache[key]
        return value

    def read(self, path: str, limit: int = 1024 * 1024) -> tuple[bytes | None, FileProblem | None]:
        """The start of a file: (bytes, None), or (None, the problem)."""
        key = f"read:{path}:{limit}"
        if key not in self._cache:
            try:
                self._cache[key] = (self.ctx.files.read_bytes(path, limit=limit), None)
            except FileProblem as exc:
                self._cache[key] = (None, exc)
        value: tuple[bytes | None, FileProblem | None] = self._cache[key]
        return value
