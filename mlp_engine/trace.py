"""What one pass leaves behind: the forward cache and the backward pass's gradients.

Both are plain containers of arrays indexed by layer, shaped like the
parameters (:mod:`.params`); they are also the payload the playground shows,
so nothing is recomputed for display.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .params import Params

Array = np.ndarray


@dataclass(slots=True)
class ForwardCache:
    """What the forward pass keeps for the backward pass (and for display).

    ``X`` is ``(m, d_in)``; ``z[l]`` and ``a[l]`` are ``(m, layers[l+1])``.
    ``a[-1]`` in the textbook sense is ``X``; here use :meth:`a_prev`.
    """

    X: Array
    z: list[Array]
    a: list[Array]
    # Only with batch norm, dropout or residual connections, one entry per hidden layer:
    # f(u) before dropout and skip ``(m, n)``; with batch norm ``z_hat`` and ``u``
    # ``(m, n)``, the batch mean and biased variance ``(n,)`` (or the running
    # estimates outside training) and ``1 / sqrt(var + eps)`` ``(n,)``; with dropout
    # the masks ``(m, n)`` of 0 and 1 (None outside training).
    fa: list[Array] | None = None
    z_hat: list[Array] | None = None
    u: list[Array] | None = None
    mean: list[Array] | None = None
    var: list[Array] | None = None
    inv_std: list[Array] | None = None
    mask: list[Array] | None = None
    batch_stats: bool = True
    """Whether batch norm used this batch's statistics (training) or the running estimates."""

    def a_prev(self, l: int) -> Array:
        """The input of weight layer ``l``: ``X`` for ``l = 0``, else ``a[l-1]``."""
        return self.X if l == 0 else self.a[l - 1]

    @property
    def output(self) -> Array:
        """The prediction ``yhat = a[L-1]``, ``(m, d_out)``."""
        return self.a[-1]


class Gradients:
    """The backward pass of one batch: per layer ``delta``, ``dW``, ``db``.

    ``delta[l]`` is ``(m, layers[l+1])``; ``dW[l]`` is shaped like ``W[l]`` and
    ``db[l]`` like ``b[l]`` (views into ``flat``, laid out as in
    :class:`~.params.Params`). ``grad_norm[l]`` is ``||dW[l]||_F``. ``loss`` is the
    batch objective (mean loss plus the penalties) at the parameters used.
    ``act_prime[l]`` is ``act'(z[l])`` ``(m, layers[l+1])``, the factor that
    ``delta[l]`` was multiplied by on its way back, for every hidden layer;
    ``None`` for the output layer, whose delta comes from the loss.
    :meth:`~.model.MLP.backward` and a trainer's ``step`` hand back arrays of their
    own; inside the training loop they are its workspace's, overwritten by
    the next step (and a linear hidden layer's ``act_prime``, all ones, is
    not made there). With batch norm, ``act_prime[l]`` is ``f'(u[l])`` and
    ``dgamma[l]``, ``dbeta[l]`` ``(out,)`` are the hidden layers' (empty lists
    without it).
    """

    __slots__ = ("delta", "act_prime", "flat", "dW", "db", "dgamma", "dbeta", "grad_norm", "loss")

    def __init__(self, delta: list[Array], grads: Params, grad_norm: list[float], loss: float,
                 act_prime: list[Array | None] | None = None) -> None:
        self.delta = delta
        self.act_prime = act_prime if act_prime is not None else [None] * len(delta)
        self.flat = grads.flat
        self.dW, self.db = grads.W, grads.b
        self.dgamma, self.dbeta = grads.gamma, grads.beta
        self.grad_norm = grad_norm
        self.loss = loss

    @property
    def finite(self) -> bool:
        """False when the loss or any gradient is NaN or infinite (divergence)."""
        return math.isfinite(self.loss) and all(math.isfinite(n) for n in self.grad_norm)

    def __repr__(self) -> str:
        return f"Gradients(loss={self.loss!r}, grad_norm={self.grad_norm!r})"


__all__ = ["ForwardCache", "Gradients"]
