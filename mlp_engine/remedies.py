"""Batch norm, dropout and the residual skip: each a forward rule beside its backward rule.

Inside hidden layer ``l`` the order is ``z = a[l-1] W[l]^T + b[l]``, batch norm
``u = gamma z_hat + beta`` with ``z_hat = (z - mean) / sqrt(var + eps)``, the
activation ``f(u)``, inverted dropout ``f(u) * mask / (1 - p)``, then the skip
``+ a[l-1]``. :meth:`~.model.MLP._forward` and :meth:`~.model.MLP._backward`
call these in that order and in reverse, the way they call an activation's
``f`` and ``f'`` (:mod:`.activations`). Arrays are ``(m, n)`` for a batch of
``m`` rows and a layer of ``n`` units; per-unit statistics and ``gamma``,
``beta`` are ``(n,)``.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

Array = np.ndarray

BN_EPS = 1e-5
"""Batch norm's ``eps`` in ``sqrt(var + eps)``, PyTorch's ``BatchNorm1d`` default."""
BN_MOMENTUM = 0.1
"""How far each training step moves the running estimates toward the batch's, as PyTorch."""


class BatchNorm:
    """Normalise a hidden layer's pre-activation over the minibatch, then scale and shift."""

    @staticmethod
    def forward(z: Array, gamma: Array, beta: Array, mean: Array | None = None, var: Array | None = None
                ) -> tuple[Array, Array, Array, Array, Array]:
        """``u = gamma z_hat + beta``; returns ``(u, z_hat, mean, var, inv_std)``.

        Without ``mean`` and ``var`` (training) they are the batch's mean and biased
        variance, as ``BatchNorm1d`` in training mode; otherwise the running
        estimates given (copied, so the cache keeps the ones this pass used)."""
        if mean is None or var is None:
            mean = z.mean(axis=0)
            var = ((z - mean) ** 2).mean(axis=0)
        else:
            mean, var = mean.copy(), var.copy()
        inv_std = 1.0 / np.sqrt(var + BN_EPS)
        z_hat = (z - mean) * inv_std
        return gamma * z_hat + beta, z_hat, mean, var, inv_std

    @staticmethod
    def backward(du: Array, z_hat: Array, inv_std: Array, gamma: Array, batch_stats: bool,
                 dgamma: Array, dbeta: Array) -> Array:
        """``delta = dObjective/dz`` from ``du = dObjective/du``; writes ``dgamma = sum_i du z_hat``
        and ``dbeta = sum_i du``.

        With the batch's statistics, ``delta = inv_std (dz_hat - mean_i dz_hat -
        z_hat mean_i(dz_hat z_hat))`` for ``dz_hat = gamma du``; with the running
        estimates (constants) ``delta = inv_std dz_hat``. The layer's bias gets no
        gradient: the batch mean cancels it (see :meth:`bias_gradient`)."""
        dgamma[...] = (du * z_hat).sum(axis=0)
        dbeta[...] = du.sum(axis=0)
        dzh = du * gamma
        if batch_stats:
            return inv_std * (dzh - dzh.mean(axis=0) - z_hat * (dzh * z_hat).mean(axis=0))
        return inv_std * dzh

    @staticmethod
    def bias_gradient(db: Array) -> None:
        """``db = 0`` exactly: the objective does not depend on a normalised layer's ``b``, and
        ``delta``'s column sums are 0 but for round-off, which would only jitter ``b``."""
        db.fill(0.0)

    @staticmethod
    def update_running(running_mean: Array, running_var: Array, mean: Array, var: Array, m: int) -> None:
        """Move the running estimates toward one training batch's statistics, as PyTorch:
        ``r <- (1 - 0.1) r + 0.1 s`` with the batch mean and the unbiased variance
        ``var * m / (m - 1)`` (a batch of one has none: the variance stays)."""
        keep = 1.0 - BN_MOMENTUM
        running_mean[...] = keep * running_mean + BN_MOMENTUM * mean
        if m > 1:
            running_var[...] = keep * running_var + BN_MOMENTUM * (var * (m / (m - 1)))


class Dropout:
    """Inverted dropout on a hidden layer's output: drop units in training, scale the kept ones."""

    @staticmethod
    def draw(rng: np.random.Generator, m: int, widths: Sequence[int], p: float, dtype) -> list[Array]:
        """Masks for a batch of ``m``: per hidden layer ``(m, n)`` of 0 and 1,
        ``rng.random((m, n)) < 1 - p`` (keep probability ``1 - p``), layer by layer."""
        keep = 1.0 - p
        return [(rng.random((m, n)) < keep).astype(dtype) for n in widths]

    @staticmethod
    def forward(fa: Array, mask: Array, p: float) -> Array:
        """``f(u) * mask / (1 - p)``: the expected output is ``f(u)`` whatever ``p``."""
        return fa * mask / (1.0 - p)

    @staticmethod
    def backward(g: Array, mask: Array, p: float) -> Array:
        """``dObjective/df(u) = g * mask / (1 - p)`` for ``g = dObjective/da``."""
        return g * mask / (1.0 - p)


class Skip:
    """The residual connection ``a[l] = (...) + a[l-1]`` of a hidden layer as wide as the one below."""

    @staticmethod
    def applies(residual: bool, layers: Sequence[int]) -> list[bool]:
        """Per hidden layer ``l``: whether it adds ``a[l-1]`` (``l >= 1``, with ``residual``,
        and ``layers[l+1] == layers[l]``)."""
        return [residual and l >= 1 and layers[l + 1] == layers[l] for l in range(len(layers) - 2)]

    @staticmethod
    def forward(out: Array, a_prev: Array) -> Array:
        return out + a_prev

    @staticmethod
    def backward(d_prev: Array, g: Array) -> Array:
        """``dObjective/da[l-1]``: what came back through ``W[l]``, plus ``g = dObjective/da[l]``
        handed on unchanged by the skip."""
        return d_prev + g


__all__ = ["BN_EPS", "BN_MOMENTUM", "BatchNorm", "Dropout", "Skip"]
