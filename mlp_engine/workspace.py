"""Preallocated arrays for the training loop's hot path (the plain network's passes)."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .params import n_weights

WORKSPACES_KEPT = 3
"""Workspaces an :class:`~.model.MLP` caches (see :meth:`~.model.MLP.workspace`)."""


class Workspace:
    """Preallocated arrays for batches of exactly ``m`` rows, reused step after step.

    With one, the training loop writes every ``z[l]``, ``a[l]`` and
    ``delta[l]`` in place instead of allocating: on small batches each new
    array adds to NumPy's per-call cost, and on large ones a fresh array
    costs page faults on first touch. Anything handed back to a caller who
    may keep it (:meth:`~.model.MLP.forward`, :meth:`~.model.MLP.backward`, a trainer's
    ``step``) is computed without one.
    """

    __slots__ = ("m", "X", "y", "z", "a", "delta", "df", "ones", "sq")

    def __init__(self, layers: Sequence[int], m: int, dtype=np.float64, backward: bool = True) -> None:
        self.m = m
        # A minibatch gathered from a large training set (the trainer fills them).
        self.X = np.empty((m, layers[0]), dtype) if backward else None
        self.y = np.empty((m, layers[-1]), dtype) if backward else None
        shapes = [(m, n) for n in layers[1:]]
        self.z = [np.empty(s, dtype) for s in shapes]
        self.a = [np.empty(s, dtype) for s in shapes]
        # delta[L-1] comes from the loss; delta[l] and f'(z[l]) for the rest.
        self.delta = [np.empty(s, dtype) for s in shapes[:-1]] if backward else []
        self.df = [np.empty(s, dtype) for s in shapes[:-1]] if backward else []
        self.ones = np.ones(m, dtype)
        self.sq = np.empty(n_weights(layers), dtype) if backward else None

    def __repr__(self) -> str:
        return f"Workspace(m={self.m}, layers={[a.shape[1] for a in self.a]})"


__all__ = ["Workspace", "WORKSPACES_KEPT"]
