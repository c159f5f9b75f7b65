"""The pipeline's layout: no two parts of the package import each other, directly or around."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "postfinger_py"


def _module(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _part(module: str) -> str:
    """`postfinger_py.collect.maincf` -> `postfinger_py.collect`: a subpackage or a module."""
    return ".".join(module.split(".")[:2])


def _imports(path: Path, module: str, modules: set[str]) -> set[str]:
    """Every postfinger_py module this file imports, at the top or inside a function."""
    base = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                prefix = base[: len(base) - node.level + 1]
                target = ".".join(prefix + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            # `from pkg import mod` imports pkg.mod; `from mod import name`, mod itself.
            names = [f"{target}.{a.name}" if f"{target}.{a.name}" in modules else target for a in node.names]
        else:
            continue
        found.update(n for n in names if n in modules)
    return found


def module_graph() -> dict[str, set[str]]:
    """Module -> the package's modules it imports (a package's own `__init__` included)."""
    files = {_module(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = defaultdict(set)
    for module, path in files.items():
        graph[module] |= _imports(path, module, set(files)) - {module}
    return graph


def part_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for module, targets in module_graph().items():
        for target in targets:
            if _part(target) != _part(module):
                graph[_part(module)].add(_part(target))
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected parts (Tarjan): each list is a set of parts importing each other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_part_of_the_package_imports_another_that_imports_it_back() -> None:
    graph = part_graph()
    # The graph is real: the pipeline's steps are in it, in their direction.
    assert "postfinger_py.collect" in graph["postfinger_py.commands"]
    assert "postfinger_py.anonymize" in graph["postfinger_py.deliver"]
    found = cycles(graph)
    details = [{p: sorted(graph[p] & set(c)) for p in c} for c in found]
    assert not found, f"import cycles between parts of the package: {details}"


def test_no_module_imports_one_that_imports_it_back() -> None:
    """Within a part too (even under TYPE_CHECKING): a shared type lives in its own module
    (findings/finding.py, anonymize/maps.py) or is a Protocol (anonymize/handlers.py)."""
    graph = module_graph()
    assert "postfinger_py.anonymize.engine" in graph["postfinger_py.anonymize.leak"]
    found = cycles(graph)
    assert not found, f"import cycles between modules: {found}"


def test_the_readme_layout_paragraph_names_only_what_exists() -> None:
    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    paragraph = readme.split("## Development\n", 1)[1].strip().split("\n\n", 1)[0]
    names = re.findall(r"`([\w./]+(?:\.py|/))`", paragraph)
    assert len(names) > 15, names  # the paragraph is the one that describes the layout
    missing = []
    for name in names:
        bare = name.removeprefix("postfinger_py/")
        candidates = [PACKAGE / bare, PACKAGE.parent / name, PACKAGE.parent / "tests" / bare]
        # A module named beside its part (`dispatch.py` of deliver/): anywhere in the package.
        if not any(c.exists() for c in candidates) and not list(PACKAGE.rglob(Path(bare).name)):
            missing.append(name)
    assert not missing, f"README's layout paragraph names what is not there: {missing}"
