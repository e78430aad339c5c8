"""``docs/notebook.ipynb`` executed by a real IPython kernel (nbclient), the kernel kept
alive while a test looks at the outputs: the notebook's embedded server lives in it."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[2] / "docs" / "notebook.ipynb"
CELL_SECONDS = 600  # a hang, not a speed: the slowest cell starts the server or runs the lesson


@contextmanager
def executed(workdir: Path) -> Iterator[nbformat.NotebookNode]:
    """The notebook with every cell run in order (in ``workdir``), its kernel still running."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(nb, timeout=CELL_SECONDS, kernel_name="python3",
                            resources={"metadata": {"path": str(workdir)}})
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        yield nb


def text_of(cell: nbformat.NotebookNode) -> str:
    """Everything a code cell printed or displayed as text."""
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out["text"])
        elif "data" in out:
            parts.append(out["data"].get("text/plain", ""))
    return "".join(parts)


def cell_with(nb: nbformat.NotebookNode, source: str) -> nbformat.NotebookNode:
    """The one code cell whose source contains ``source``."""
    found = [c for c in nb.cells if c.cell_type == "code" and source in c.source]
    assert len(found) == 1, f"{len(found)} code cells contain {source!r}"
    return found[0]
