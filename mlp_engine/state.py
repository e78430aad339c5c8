"""Exact, JSON-safe encoding of training state.

Arrays become ``{"__array__": dtype, "shape": [...], "data": [...]}`` with
every float written as Python's shortest round-trip ``repr`` (so ``json``
brings back the same bits), non-finite floats as the strings ``"NaN"``,
``"Infinity"`` and ``"-Infinity"``, and integers too large for a JavaScript
number as ``{"__int__": "..."}`` (RNG states hold 128-bit integers).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

SAFE_INT = 2**53
"""Integers at or beyond this (in size) are written as ``{"__int__": "..."}``."""
_SAFE_INT = SAFE_INT
_NONFINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _float(x: float) -> float | str:
    if math.isfinite(x):
        return x
    return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")


def encode(obj: Any) -> Any:
    """Turn arrays, numpy scalars, tuples and big ints into JSON-safe values."""
    if isinstance(obj, np.ndarray):
        flat = obj.ravel().tolist()
        if obj.dtype.kind == "f":
            flat = [_float(x) for x in flat]
        return {"__array__": obj.dtype.str, "shape": list(obj.shape), "data": flat}
    if isinstance(obj, dict):
        return {str(k): encode(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [encode(v) for v in obj]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        v = int(obj)
        return {"__int__": str(v)} if abs(v) >= _SAFE_INT else v
    if isinstance(obj, (float, np.floating)):
        return _float(float(obj))
    return obj


def decode(obj: Any) -> Any:
    """Invert :func:`encode`."""
    if isinstance(obj, dict):
        if "__array__" in obj:
            data = [_NONFINITE.get(x, x) if isinstance(x, str) else x for x in obj["data"]]
            return np.array(data, dtype=np.dtype(obj["__array__"])).reshape(obj["shape"])
        if "__int__" in obj and len(obj) == 1:
            return int(obj["__int__"])
        return {k: decode(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [decode(v) for v in obj]
    if isinstance(obj, str) and obj in _NONFINITE:
        return _NONFINITE[obj]
    return obj
