"""The parameters of a network as one flat vector, and their counts.

``W[l]`` is ``(layers[l+1], layers[l])`` (out x in) and ``b[l]`` is
``(layers[l+1],)``; with batch norm every hidden layer also has ``gamma[l]``
and ``beta[l]`` ``(layers[l+1],)``. All of them are views into one flat
vector: every ``W`` first, then every ``b`` (then every ``gamma``, every
``beta``), so the weights alone (which L2 and L1 penalise) are one contiguous
slice and an optimizer updates all the parameters with one vectorised
expression. The gradients have the same layout (:class:`~.trace.Gradients`).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

Array = np.ndarray


def n_weights(layers: Sequence[int]) -> int:
    """How many entries all the ``W[l]`` hold together (one row's forward multiply-adds)."""
    return sum(i * o for i, o in zip(layers[:-1], layers[1:]))


def n_params(layers: Sequence[int], batch_norm: bool = False) -> int:
    """How many numbers the parameters hold: every ``W`` and ``b`` (and with batch norm
    every hidden layer's ``gamma`` and ``beta``)."""
    return n_weights(layers) + sum(layers[1:]) + (2 * sum(layers[1:-1]) if batch_norm else 0)


def _views(flat: Array, layers: Sequence[int], batch_norm: bool = False
           ) -> tuple[list[Array], list[Array], list[Array], list[Array]]:
    """Split a flat vector into ``W[l]`` ``(out, in)``, ``b[l]`` ``(out,)`` views and,
    with batch norm, every hidden layer's ``gamma`` and ``beta`` ``(out,)``."""
    W, b, gamma, beta, pos = [], [], [], [], 0
    for n_in, n_out in zip(layers[:-1], layers[1:]):
        W.append(flat[pos:pos + n_out * n_in].reshape(n_out, n_in))
        pos += n_out * n_in
    for n_out in layers[1:]:
        b.append(flat[pos:pos + n_out])
        pos += n_out
    for target in ((gamma, beta) if batch_norm else ()):
        for n_out in layers[1:-1]:
            target.append(flat[pos:pos + n_out])
            pos += n_out
    return W, b, gamma, beta


class Params:
    """Weights and biases: ``W[l]`` ``(out, in)`` and ``b[l]`` ``(out,)``; with
    batch norm also ``gamma[l]`` and ``beta[l]`` ``(out,)`` of every hidden layer.

    They are views into one flat vector ``flat`` (every ``W``, then every
    ``b``, every ``gamma``, every ``beta``); change them in place or through
    :meth:`~.model.MLP.set_params`, never by rebinding ``W[l]``.
    """

    __slots__ = ("layers", "flat", "W", "b", "gamma", "beta", "n_w", "batch_norm")

    def __init__(self, layers: Sequence[int], flat: Array, batch_norm: bool = False) -> None:
        self.layers = list(layers)
        self.flat = flat
        self.batch_norm = bool(batch_norm)
        self.W, self.b, self.gamma, self.beta = _views(flat, self.layers, self.batch_norm)
        self.n_w = n_weights(self.layers)

    @classmethod
    def zeros(cls, layers: Sequence[int], dtype=np.float64, batch_norm: bool = False) -> "Params":
        return cls(layers, np.zeros(n_params(layers, batch_norm), dtype=dtype), batch_norm)

    @classmethod
    def from_arrays(cls, W: Sequence[Array], b: Sequence[Array], dtype=np.float64,
                    batch_norm: bool = False) -> "Params":
        """``W`` and ``b`` as given; with ``batch_norm``, ``gamma = 1`` and ``beta = 0``."""
        layers = [W[0].shape[1]] + [w.shape[0] for w in W]
        p = cls.zeros(layers, dtype, batch_norm)
        for dst, src in zip(p.W + p.b, list(W) + list(b)):
            dst[...] = src
        for g in p.gamma:
            g.fill(1.0)
        return p

    @property
    def weights_flat(self) -> Array:
        """All the weights as one contiguous vector (a view)."""
        return self.flat[: self.n_w]

    def copy(self) -> "Params":
        return Params(self.layers, self.flat.copy(), self.batch_norm)

    def __repr__(self) -> str:
        return f"Params(layers={self.layers}, n={self.flat.size})"


__all__ = ["Params", "n_params", "n_weights"]
