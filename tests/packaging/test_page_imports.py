"""The page's ES modules import downwards only: no module of ``static/js/`` reaches itself
through its imports (a circle makes module start-up order decide behaviour). What a lower
module needs from above is handed down by ``main.js``."""
from __future__ import annotations

import re
from pathlib import Path

JS = Path(__file__).resolve().parents[2] / "static" / "js"
IMPORT = re.compile(r"""(?:import|export)\s[^;]*?from\s+['"](\.[^'"]+)['"]""", re.S)


def import_graph(root: Path) -> dict[str, set[str]]:
    """Each module (path relative to ``root``) -> the modules it imports by relative path."""
    graph: dict[str, set[str]] = {}
    for path in sorted(root.rglob("*.js")):
        deps = {(path.parent / m).resolve().relative_to(root.resolve()).as_posix()
                for m in IMPORT.findall(path.read_text(encoding="utf-8"))}
        graph[path.relative_to(root).as_posix()] = deps
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import circles: each a path ``[a, b, ..., a]``, one per module that starts one."""
    found: list[list[str]] = []
    done: set[str] = set()

    def walk(node: str, path: list[str]) -> None:
        if node in path:
            found.append(path[path.index(node):] + [node])
            return
        if node in done:
            return
        for dep in sorted(graph.get(node, ())):
            walk(dep, path + [node])
        done.add(node)

    for node in sorted(graph):
        walk(node, [])
    return found


def test_the_pages_modules_import_no_circle() -> None:
    graph = import_graph(JS)
    assert "main.js" in graph and len(graph) > 20, sorted(graph)
    assert circles(graph) == []


def test_a_circle_is_found(tmp_path: Path) -> None:
    """The check itself: a module importing one that imports it back is a circle."""
    (tmp_path / "views").mkdir()
    (tmp_path / "a.js").write_text("import { b } from './views/b.js';\nexport const a = 1;\n")
    (tmp_path / "views" / "b.js").write_text("import {\n  a,\n} from '../a.js';\nexport const b = 2;\n")
    (tmp_path / "c.js").write_text("import { a } from './a.js';\n")
    assert circles(import_graph(tmp_path)) == [["a.js", "views/b.js", "a.js"]]
