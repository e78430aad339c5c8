"""The one place where arrays become JSON.

JSON has no NaN or infinity, so every non-finite number is written as
``null`` (orjson does this natively, for floats and NumPy arrays alike) and
the answer's ``finite`` field turns ``false``. Arrays go to orjson as they
are (no ``tolist()``), which is what keeps a trace cheap to send.

A client that does not need a big array can set ``max_elements``: an array
with more elements than that is replaced by an :class:`~server.schemas.answers.ArraySummary`
(shape, min, max, mean, std, Frobenius norm).
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


_PLAIN = frozenset({int, str, bool, type(None)})
"""Leaf types sent as they are (floats are checked for finiteness)."""


class _Walker:
    """Prepares a payload for orjson: summarises big arrays, notes non-finite numbers."""

    __slots__ = ("max_elements", "_finite", "_small")

    def __init__(self, max_elements: int | None) -> None:
        self.max_elements = max_elements
        self._finite = True
        self._small: list[np.ndarray] = []

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
    return JSONBytes(orjson.dumps(prepared, option=_OPTIONS), status_code=status_code)
