"""The one place where arrays become JSON.

JSON has no NaN or infinity, so every non-finite number is written as
``null`` (orjson does this natively, for floats and NumPy arrays alike) and
the answer's ``finite`` field turns ``false``. Arrays go to orjson as they
are (no ``tolist()``), which is what keeps a trace cheap to send.

A client that does not need a big array can set ``max_elements``: an array
with more elements than that is replaced by an :class:`~server.schemas.answers.ArraySummary`
(shape, min, max, mean, std, Frobenius norm).

A large answer is encoded in pieces of at most :data:`PIECE_NUMBERS` numbers, each a short
call into orjson, so that the thread encoding it lets the interpreter go to the event loop
between pieces: one call for a 230 MB answer held every other request for a second.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import orjson
from starlette.responses import Response

_OPTIONS = orjson.OPT_SERIALIZE_NUMPY


class JSONBytes(Response):
    """A JSON response whose body is already encoded (or is encoded with orjson)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return content if isinstance(content, bytes) else orjson.dumps(content, option=_OPTIONS)


def summary(arr: np.ndarray) -> dict[str, Any]:
    """Shape and statistics of ``arr`` instead of its elements."""
    with np.errstate(all="ignore"):
        a = arr.astype(np.float64, copy=False)
        empty = a.size == 0
        return {"summary": True, "shape": list(arr.shape),
                "min": None if empty else float(a.min()), "max": None if empty else float(a.max()),
                "mean": None if empty else float(a.mean()), "std": None if empty else float(a.std()),
                "norm": float(np.sqrt(np.dot(a.ravel(), a.ravel())))}


BATCH_CHECK = 4096
"""Float arrays up to this size are checked for finiteness together, in one NumPy call
(a trace holds dozens of tiny arrays, and one call per array would cost more than the step)."""


PIECE_NUMBERS = 100_000
"""An answer holding more numbers than this in arrays is encoded a piece at a time (about 5 ms each)."""

_PLAIN = frozenset({int, str, bool, type(None)})
"""Leaf types sent as they are (floats are checked for finiteness)."""


class _Walker:
    """Prepares a payload for orjson: summarises big arrays, notes non-finite numbers."""

    __slots__ = ("max_elements", "_finite", "_small", "numbers")

    def __init__(self, max_elements: int | None) -> None:
        self.max_elements = max_elements
        self._finite = True
        self._small: list[np.ndarray] = []
        self.numbers = 0
        """Numbers in the arrays to be sent (summaries not counted)."""

    @property
    def finite(self) -> bool:
        """Whether every number walked so far is finite."""
        if self._small:
            flat = np.concatenate([a.ravel() for a in self._small])
            self._small = []
            self._finite = self._finite and bool(np.isfinite(flat).all())
        return self._finite

    def __call__(self, obj: Any) -> Any:
        # Dispatch on the exact type: this runs for every node of every answer.
        kind = type(obj)
        if kind is np.ndarray:
            if obj.dtype.kind == "f":
                if obj.size <= BATCH_CHECK:
                    self._small.append(obj)
                elif self._finite and not np.isfinite(obj).all():
                    self._finite = False
            if self.max_elements is not None and obj.size > self.max_elements:
                return summary(obj)
            self.numbers += obj.size
            return obj if obj.flags.c_contiguous else np.ascontiguousarray(obj)
        if kind is dict:
            return {k: v if type(v) in _PLAIN else self(v) for k, v in obj.items()}
        if kind is list or kind is tuple:
            return [v if type(v) in _PLAIN else self(v) for v in obj]
        if kind is Verbatim:
            return obj.value
        if (kind is float or kind is np.float64 or kind is np.float32) and not math.isfinite(obj):
            self._finite = False
        return obj


class Verbatim:
    """A part of a payload known to be JSON-safe and finite (e.g. a validated config):
    sent as it is, without walking it."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def respond(payload: dict[str, Any], *, max_elements: int | None = None, status_code: int = 200,
            finite: bool | None = True) -> JSONBytes:
    """Encode ``payload`` as the answer.

    Unless ``finite`` is ``None``, the payload gets a ``finite`` field: false
    when the caller says so (e.g. the engine saw a non-finite loss) or when
    any number sent is not finite.
    """
    walk = _Walker(max_elements)
    prepared = walk(payload)
    if finite is not None:
        prepared["finite"] = bool(finite and walk.finite)
    if walk.numbers <= PIECE_NUMBERS:
        return JSONBytes(orjson.dumps(prepared, option=_OPTIONS), status_code=status_code)
    out: list[bytes] = []
    _encode(prepared, out)
    return JSONBytes(b"".join(out), status_code=status_code)


def _encode(obj: Any, out: list[bytes]) -> None:
    """``obj`` (a walked payload) appended to ``out`` as orjson writes it, a piece at a time:
    containers element by element, a large array in blocks of rows."""
    kind = type(obj)
    if kind is dict:
        out.append(b"{")
        for k, (key, value) in enumerate(obj.items()):
            out.append((b',' if k else b'') + orjson.dumps(key) + b":")
            _encode(value, out)
        out.append(b"}")
    elif kind is list or kind is tuple:
        out.append(b"[")
        for k, value in enumerate(obj):
            if k:
                out.append(b",")
            _encode(value, out)
        out.append(b"]")
    elif kind is np.ndarray and obj.ndim and obj.size > PIECE_NUMBERS:
        rows = max(1, PIECE_NUMBERS * obj.shape[0] // obj.size)
        out.append(b"[")
        for lo in range(0, obj.shape[0], rows):
            if lo:
                out.append(b",")
            out.append(orjson.dumps(obj[lo:lo + rows], option=_OPTIONS)[1:-1])
        out.append(b"]")
    else:
        out.append(orjson.dumps(obj, option=_OPTIONS))
