"""A CSV table as an inline dataset: numeric columns only, one of them the target.

:func:`parse_csv` reads the text with the standard library's :mod:`csv`
module (columns separated by ``,``; ``;`` or a tab when the first row splits
on that one alone), finds a header row when the first row is not numbers,
checks every cell, and returns ``X`` ``(m, d)`` and ``y`` ready for
``{"name": "inline", "X", "y", "task", "standardize": true}``: regression
targets as one column, binary classes as a 0/1 column, more classes one-hot.

Every refusal is a ``ValueError`` naming ``csv`` or ``target`` and where the
problem is (row numbers count the file's lines from 1, header included).
Bounds are arguments: ``max_bytes`` (10 MB), ``max_rows`` (100,000 data
rows) and ``max_columns`` (1,000); the server passes its settings'
(``MLP_PLAYGROUND_CSV_MAX_BYTES``, ``_ROWS``, ``_COLUMNS``, which its refusals name).
"""
from __future__ import annotations

import csv
import math
from typing import Any

import numpy as np

DELIMITERS = (",", ";", "\t")
MAX_CLASSES = 100
AUTO_CLASSES = 10
"""With no task given, a target of at most this many distinct integers is classification."""


MAX_BYTES = 10_000_000
MAX_ROWS = 100_000
MAX_COLUMNS = 1000


def _read(lines: list[tuple[int, str]], delimiter: str) -> list[list[str]]:
    """The cells of each ``(row number, line)``; a cell longer than the ``csv`` module takes
    is refused naming its row and column (the module's own error names neither)."""
    try:
        return list(csv.reader([line for _, line in lines], delimiter=delimiter))
    except csv.Error:
        limit = csv.field_size_limit()
        for k, line in lines:
            for j, cell in enumerate(line.split(delimiter)):
                if len(cell) > limit:
                    raise ValueError(f"csv: row {k}, column {j + 1}: a cell of {len(cell)} characters; "
                                     f"a cell may have at most {limit}") from None
        raise ValueError("csv: the table cannot be read as CSV (an unbalanced quote?)") from None


def _delimiter(first_line: str) -> str | None:
    """The delimiter row 1 splits on (``None``: none of them)."""
    splits = [d for d in DELIMITERS if len(_read([(1, first_line)], d)[0]) > 1]
    if len(splits) == 1:
        return splits[0]
    if not splits:
        return None
    shown = " and ".join(repr(d) for d in splits)
    raise ValueError(f"csv: row 1 splits on both {shown}, so the delimiter is ambiguous; use ',' between "
                     "columns and no other separator")


def _number(cell: str) -> float | None:
    try:
        return float(cell)
    except ValueError:
        return None


def _label(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def parse_csv(text: str, target: str | int | None = None, task: str | None = None,
              has_header: bool | None = None, *, max_bytes: int = MAX_BYTES, max_rows: int = MAX_ROWS,
              max_columns: int = MAX_COLUMNS) -> dict[str, Any]:
    """Parse a CSV table into ``X``, ``y`` and their names (see the module docstring);
    a table over ``max_bytes`` (UTF-8), ``max_rows`` data rows or ``max_columns`` is refused."""
    size = len(text.encode("utf-8"))
    if size > max_bytes:
        raise ValueError(f"csv: {size} bytes; the limit is {max_bytes} (MLP_PLAYGROUND_CSV_MAX_BYTES)")
    text = text.lstrip("\ufeff")
    lines = [(k + 1, line) for k, line in enumerate(text.splitlines()) if line.strip()]
    if not lines:
        raise ValueError("csv: the file is empty")
    delim = _delimiter(lines[0][1])
    rows = [(k, [c.strip() for c in cells]) for (k, _), cells in zip(lines, _read(lines, delim or ","))]
    if delim is None and any(_number(cells[0]) is None for _, cells in rows[1:] or rows):
        raise ValueError("csv: row 1 has a single column; separate columns with ',' (';' or a tab also work)")
    width = len(rows[0][1])
    if width > max_columns:
        raise ValueError(f"csv: {width} columns; the limit is {max_columns} (MLP_PLAYGROUND_CSV_MAX_COLUMNS)")
    if has_header is None:
        has_header = any(_number(c) is None for c in rows[0][1])
    names = [c or f"column {j + 1}" for j, c in enumerate(rows[0][1])] if has_header else \
        [f"x{j + 1}" for j in range(width)]
    body = rows[1:] if has_header else rows
    if not body:
        raise ValueError("csv: the file has a header row but no data rows")
    if len(body) > max_rows:
        raise ValueError(f"csv: {len(body)} data rows; the limit is {max_rows} (MLP_PLAYGROUND_CSV_MAX_ROWS)")
    for line, cells in body:
        if len(cells) != width:
            raise ValueError(f"csv: row {line} has {len(cells)} cells, expected {width} (as in row {rows[0][0]})")
    table = _numbers(body, names)
    if width < 2:
        raise ValueError(f"target: the table has the single column {names[0]!r}; it needs at least one "
                         "feature column besides the target")
    j = _target_column(target, names, has_header)
    values = table[:, j]
    X = np.delete(table, j, axis=1)
    task = task or _guess_task(values)
    out = {"X": X.tolist(), "feature_names": names[:j] + names[j + 1:], "target_name": names[j], "task": task,
           "n_samples": int(X.shape[0]), "n_features": int(X.shape[1]), "class_names": None}
    if task == "regression":
        return {**out, "y": values.reshape(-1, 1).tolist()}
    classes = np.unique(values)
    if classes.size < 2:
        raise ValueError(f"target: column {names[j]!r} holds the single value {_label(classes[0])}; "
                         "classification needs at least two classes")
    if classes.size > MAX_CLASSES:
        raise ValueError(f"target: column {names[j]!r} has {classes.size} distinct values; classification "
                         f"takes at most {MAX_CLASSES} (ask for task 'regression')")
    labels = np.searchsorted(classes, values)
    y = labels.reshape(-1, 1).astype(np.float64) if classes.size == 2 else np.eye(classes.size)[labels]
    return {**out, "y": y.tolist(), "class_names": [_label(c) for c in classes]}


def _numbers(body: list[tuple[int, list[str]]], names: list[str]) -> np.ndarray:
    """The cells as an ``(m, width)`` float array; the first bad cell is named otherwise."""
    try:
        table = np.array([cells for _, cells in body], dtype=np.float64)
    except ValueError:
        table = None
    if table is not None and np.isfinite(table).all():
        return table
    for line, cells in body:  # find the first offending cell for the message
        for j, cell in enumerate(cells):
            where = f"row {line}, column {j + 1} ({names[j]!r})"
            if cell == "":
                raise ValueError(f"csv: {where} is empty; every cell must hold a number")
            value = _number(cell)
            if value is None:
                raise ValueError(f"csv: {where} is not a number: {cell[:40]!r}; only numeric columns are accepted")
            if not math.isfinite(value):
                raise ValueError(f"csv: {where} is {cell!r}; NaN and infinite values are not accepted")
    raise AssertionError("a bad cell was not found")


def _target_column(target: str | int | None, names: list[str], has_header: bool) -> int:
    width = len(names)
    if target is None:
        return width - 1
    if isinstance(target, bool):
        raise ValueError("target: a column name or index")
    if isinstance(target, int):
        if not -width <= target < width:
            raise ValueError(f"target: column index {target} is out of range; the table has {width} columns")
        return target % width
    if target in names:
        return names.index(target)
    hint = f"columns are {', '.join(repr(n) for n in names[:20])}" if has_header else \
        "the file has no header row, so give the column's index"
    raise ValueError(f"target: no column named {target!r}; {hint}")


def _guess_task(values: np.ndarray) -> str:
    integral = bool(np.all(values == np.round(values)))
    return "classification" if integral and np.unique(values).size <= AUTO_CLASSES else "regression"
