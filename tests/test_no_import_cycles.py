"""No import circle in the engine, the server, the lessons or the page's JavaScript.

A circle means two rooms that cannot be read, tested or moved apart; the one way down is
engine <- server <- page. Every import counts, the ones inside functions too (a deferred
import hides a circle from Python but not from a reader).
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("mlp_engine", "mlp_lessons", "server", "mlp_playground")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def python_graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports (``from pkg import sub`` names ``pkg.sub``
    when that is a module, else ``pkg``)."""
    files = {_module_name(p): p for pkg in PACKAGES if (ROOT / pkg).is_dir()
             for p in (ROOT / pkg).rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in files}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in files else base for a in node.names]
            for t in targets:
                while t and t not in files:  # ``a.b.c`` where only ``a.b`` is a module of ours
                    t = t.rpartition(".")[0]
                if t and t != name:
                    graph[name].add(t)
    return graph


IMPORT_JS = re.compile(r"""(?:^|[;\s])(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)""",
                       re.M)


def js_graph() -> dict[str, set[str]]:
    """Page module -> the page modules it imports (static and dynamic, relative paths)."""
    base = ROOT / "static" / "js"
    graph: dict[str, set[str]] = {}
    for path in base.rglob("*.js"):
        name = str(path.relative_to(base))
        graph[name] = set()
        for m in IMPORT_JS.finditer(path.read_text()):
            target = (path.parent / (m.group(1) or m.group(2))).resolve()
            if target.is_relative_to(base) and target.exists():
                graph[name].add(str(target.relative_to(base)))
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected set of more than one module (Tarjan), each as a sorted list."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = []
            while True:
                w = stack.pop()
                on.discard(w)
                part.append(w)
                if w == v:
                    break
            if len(part) > 1:
                found.append(sorted(part))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_finder_sees_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_relative_imports_are_read():
    graph = python_graph()
    assert "mlp_engine.model" in graph["mlp_engine.chain"]  # from .model import ...
    assert "server.errors" in graph["server.main"]  # from .errors import ...


def test_the_graphs_are_read():
    py, js = python_graph(), js_graph()
    assert "mlp_engine.model" in py["mlp_engine.trainer"] or any("mlp_engine" in t for t in py["mlp_engine.trainer"])
    assert "server" in {t.split(".")[0] for t in py["server.main"]}
    assert any(targets for targets in js.values()) and "main.js" in js


@pytest.mark.parametrize("room", ["mlp_engine", "mlp_lessons", "server", "mlp_playground"])
def test_no_python_import_circle(room):
    graph = {m: {t for t in ts if t.split(".")[0] == room} for m, ts in python_graph().items()
             if m.split(".")[0] == room}
    assert cycles(graph) == []


def test_the_engine_imports_nothing_from_the_web_side():
    graph = python_graph()
    for module, targets in graph.items():
        if module.startswith("mlp_engine"):
            assert all(t.startswith("mlp_engine") for t in targets), (module, targets)


def test_no_javascript_import_circle():
    assert cycles(js_graph()) == []
