"""Slices of the loss landscape around trained weights (Li et al., 2018)."""
from __future__ import annotations

import numpy as np

from mlp_engine import MLP

Array = np.ndarray


def filter_normalised_direction(model: MLP, rng: np.random.Generator) -> list[tuple[Array, Array]]:
    """A random direction scaled per neuron to the norm of that neuron's
    incoming weights (Li et al., 2018, "Visualizing the Loss Landscape of
    Neural Nets"), so slices of networks of different scale compare."""
    out = []
    for W, b in zip(model.W, model.b):
        dW = rng.standard_normal(W.shape)
        dW *= np.linalg.norm(W, axis=1, keepdims=True) / (np.linalg.norm(dW, axis=1, keepdims=True) + 1e-12)
        out.append((dW, np.zeros_like(b)))  # biases are left where they are, as in the paper
    return out


def loss_slice(model: MLP, X: Array, y: Array, directions: list[list[tuple[Array, Array]]],
               coords: Array) -> Array:
    """Objective at ``theta + sum_k coords[i, k] * d_k`` for each row ``i`` of
    ``coords`` ``(n, len(directions))``; the model is left as it was."""
    theta = model.params.flat.copy()
    flat_dirs = [np.concatenate([dw.ravel() for dw, _ in d] + [db for _, db in d]) for d in directions]
    values = np.empty(len(coords))
    try:
        for i, c in enumerate(coords):
            model.params.flat[...] = theta + sum(ci * fd for ci, fd in zip(c, flat_dirs))
            values[i] = model.objective(X, y)
    finally:
        model.params.flat[...] = theta
    return values
