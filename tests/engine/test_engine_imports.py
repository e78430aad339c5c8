"""The engine's modules import one way: no module imports one that imports it back.

Every ``import`` counts, at module level, inside a function or under
``TYPE_CHECKING``: a reader (and a tool) follows them all the same.
"""
from __future__ import annotations

import ast
from pathlib import Path

import mlp_engine

PACKAGE = Path(mlp_engine.__file__).resolve().parent


def imports_of(path: Path) -> set[str]:
    """The engine modules ``path`` imports (``mlp_engine.x``), wherever the import stands."""
    module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            # ``from .pkg import name``: the module pkg.name if there is one, else pkg itself.
            names = [f"{base}.{a.name}" if _is_module(f"{base}.{a.name}") else base for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        found |= {n for n in names if n.split(".")[0] == "mlp_engine"}
    return found


def import_graph() -> dict[str, set[str]]:
    modules = {".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__"): p
               for p in PACKAGE.rglob("*.py")}
    return {m: {n for n in imports_of(p) if n in modules and n != m} for m, p in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Cycles found by a depth-first search (at least one whenever there is any)."""
    found: list[list[str]] = []
    state: dict[str, str] = {}

    def visit(m: str, path: list[str]) -> None:
        state[m] = "open"
        for n in sorted(graph.get(m, ())):
            if state.get(n) == "open":
                found.append(path[path.index(n):] + [n])
            elif n not in state:
                visit(n, path + [n])
        state[m] = "done"

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    return found


def _is_module(name: str) -> bool:
    path = PACKAGE.parent / Path(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def test_the_engine_has_no_import_circle() -> None:
    assert cycles(import_graph()) == []


def test_the_check_sees_a_circle() -> None:
    """Not vacuous: the checkpoint importing the factory (which imports the trainer, which
    imports the checkpoint) is found."""
    graph = import_graph()
    assert "mlp_engine.trainer" in graph["mlp_engine.factory"]
    graph["mlp_engine.checkpoint"] = graph["mlp_engine.checkpoint"] | {"mlp_engine.factory"}
    assert ["mlp_engine.checkpoint", "mlp_engine.factory", "mlp_engine.trainer", "mlp_engine.checkpoint"] in cycles(graph)


def test_relative_imports_are_read() -> None:
    assert "mlp_engine.model" in import_graph()["mlp_engine.trainer"]
