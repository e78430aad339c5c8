"""JSON lists -> float64 NumPy arrays (``null``, the server's non-finite number, -> NaN)."""
from __future__ import annotations

from typing import Any

import numpy as np


def array(value: Any) -> Any:
    """A float64 ``np.ndarray`` of the nested list ``value``; ``None`` stays ``None``. An array
    the server summarised (larger than ``max_elements``: ``{"summary": true, "shape", ...}``)
    is returned as that dict."""
    if value is None or (isinstance(value, dict) and value.get("summary")):
        return value
    return np.asarray(value, dtype=np.float64)


def per_layer(layers: list[dict[str, Any]], key: str) -> list[Any]:
    """``[array(layer[key]) for each layer]`` (``None`` where a layer has no such field)."""
    return [array(layer.get(key)) for layer in layers]


def optional_per_layer(layers: list[dict[str, Any]], key: str) -> list[Any] | None:
    """Like :func:`per_layer`, or ``None`` when no layer has ``key`` (a remedy that is off)."""
    if all(layer.get(key) is None for layer in layers):
        return None
    return per_layer(layers, key)
