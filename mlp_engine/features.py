"""Input feature transforms, toggled per feature as in TensorFlow Playground.

A 2-D dataset's raw coordinates ``(x1, x2)`` can be fed to the network as any
ordered selection of ``x1, x2, x1^2, x2^2, x1*x2, sin(x1), sin(x2)`` (a 1-D
one: ``x1, x1^2, sin(x1)``); the network's input size is the number chosen.
Each feature is one column function of the raw ``X`` ``(m, d)``, in one
registry whose keys are the strings the API accepts. The identity selection
(``["x1", "x2"]`` or ``["x1"]``) hands the raw array back untouched, so a
session without feature toggles trains on exactly the numbers it always did.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

Array = np.ndarray

FEATURES: dict[str, Callable[[Array], Array]] = {
    "x1": lambda X: X[:, 0],
    "x2": lambda X: X[:, 1],
    "x1^2": lambda X: X[:, 0] * X[:, 0],
    "x2^2": lambda X: X[:, 1] * X[:, 1],
    "x1*x2": lambda X: X[:, 0] * X[:, 1],
    "sin(x1)": lambda X: np.sin(X[:, 0]),
    "sin(x2)": lambda X: np.sin(X[:, 1]),
}
"""Feature name -> column ``(m,)`` computed from the raw ``X`` ``(m, d)``."""

FEATURE_SETS: dict[int, list[str]] = {
    1: ["x1", "x1^2", "sin(x1)"],
    2: ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"],
}
"""The features on offer per raw input width, in the order they are listed."""

DEFAULT_FEATURES: dict[int, list[str]] = {1: ["x1"], 2: ["x1", "x2"]}


def check_features(features: Sequence[str], d: int) -> list[str]:
    """``features`` as a list, checked against a raw width ``d``; ``ValueError``
    naming ``dataset.features`` otherwise."""
    field = "dataset.features"
    if d not in FEATURE_SETS:
        raise ValueError(f"{field}: feature transforms apply to datasets with 1 or 2 inputs; "
                         f"this one has {d}")
    offered = FEATURE_SETS[d]
    if isinstance(features, str) or not isinstance(features, Sequence):
        raise ValueError(f"{field}: must be a list of feature names from {offered}")
    out = list(features)
    if not out:
        raise ValueError(f"{field}: choose at least one of {offered}")
    unknown = [f for f in out if f not in offered]
    if unknown:
        raise ValueError(f"{field}: {unknown[0]!r} is not a feature of {d}-D data; choose from {offered}")
    if len(set(out)) != len(out):
        raise ValueError(f"{field}: each feature may appear once; got {out}")
    if out != [f for f in offered if f in out]:
        raise ValueError(f"{field}: list the features in the order {offered}; got {out}")
    return out


def is_identity(features: Sequence[str], d: int) -> bool:
    return list(features) == DEFAULT_FEATURES.get(d)


def transform(X: Array, features: Sequence[str]) -> Array:
    """The network's input ``(m, len(features))`` from raw ``X`` ``(m, d)``."""
    if is_identity(features, X.shape[1]):
        return X
    out = np.empty((X.shape[0], len(features)), dtype=X.dtype)
    for j, name in enumerate(features):
        out[:, j] = FEATURES[name](X)
    return out
