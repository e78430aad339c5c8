"""Gradient checking by central differences, shipped inside the engine so that
every gradient test (and the playground's "Gradient check" button) is one call.

For every parameter ``theta_i`` of every layer the numerical derivative is
``(J(theta_i + eps) - J(theta_i - eps)) / (2 eps)`` of the batch objective
``J`` (mean loss plus the L2 term), and each layer's ``W`` and ``b`` are
compared with the analytic gradient by the seeds' relative error
``||a - n|| / (||a|| + ||n||)`` (0 when both are 0).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .model import MLP, Params

DEFAULT_TOLERANCE = 1e-6


@dataclass
class LayerCheck:
    """Relative errors of one weight layer's ``dW`` and ``db``."""

    W_rel_error: float
    b_rel_error: float


@dataclass
class GradCheckResult:
    """Per-layer relative errors, their maximum, and whether it is below ``tolerance``."""

    layers: list[LayerCheck]
    max_rel_error: float
    passed: bool
    tolerance: float
    eps: float
    numeric: Params | None = field(default=None, repr=False)


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """The seeds' ``||a - n|| / (||a|| + ||n||)``; 0 when both gradients are 0
    (NaN, never a warning, when either is not finite)."""
    with np.errstate(all="ignore"):
        denom = np.linalg.norm(analytic) + np.linalg.norm(numeric)
        if denom == 0:
            return 0.0
        return float(np.linalg.norm(analytic - numeric) / denom)


def gradient_check(
    model: MLP, X: np.ndarray, y: np.ndarray, eps: float = 1e-5,
    tolerance: float = DEFAULT_TOLERANCE, checked: np.ndarray | None = None,
) -> GradCheckResult:
    """Compare ``model.backward`` with central differences on the batch ``(X, y)``.

    ``X`` is ``(m, d_in)``, ``y`` is ``(m, d_out)``. The check runs in float64
    on a copy, so a float32 model is checked at full precision and the model
    itself is never changed. Costs ``2 * n_params`` forward passes.

    ``checked``: the flat parameter indices to check (a sample, when checking
    every one would cost too much); each layer's errors then compare those of
    its entries only (a layer with none sampled has errors 0). ``numeric`` holds
    0 for the entries not checked.
    """
    if isinstance(eps, bool) or not (isinstance(eps, (int, float)) and 0 < eps < 1):
        raise ValueError(f"eps: must be a number in (0, 1), got {eps!r}")
    probe = MLP(model.layers, model.activation.name, model.output_activation.name,
                model.loss_fn.name, init="zeros", l2=model.l2)
    probe.params.flat[...] = model.params.flat  # as they are, even NaN (a diverged model fails)
    X = probe._as_batch(X, probe.layers[0], "X")
    y = probe._as_batch(y, probe.layers[-1], "y")
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"y: {y.shape[0]} rows for {X.shape[0]} samples of X")
    grads = probe.backward(probe.forward(X), y)
    theta = probe.params.flat  # W and b of every layer, perturbed one entry at a time
    numeric = Params.zeros(probe.layers)
    every = checked is None
    chosen = np.arange(theta.size) if every else np.unique(np.asarray(checked, dtype=np.int64))
    if chosen.size and (chosen[0] < 0 or chosen[-1] >= theta.size):
        raise ValueError(f"checked: parameter indices must be in [0, {theta.size})")
    with np.errstate(all="ignore"):
        for i in chosen:
            old = theta[i]
            theta[i] = old + eps
            plus = probe._objective(X, y)
            theta[i] = old - eps
            minus = probe._objective(X, y)
            theta[i] = old
            numeric.flat[i] = (plus - minus) / (2 * eps)
    if every:
        layers = [
            LayerCheck(relative_error(grads.dW[l], numeric.W[l]), relative_error(grads.db[l], numeric.b[l]))
            for l in range(probe.n_layers)
        ]
    else:  # compare the sampled entries only: the others' numeric derivative was never taken
        mask = Params.zeros(probe.layers)
        mask.flat[chosen] = 1.0
        layers = [
            LayerCheck(relative_error(grads.dW[l][mask.W[l] > 0], numeric.W[l][mask.W[l] > 0]),
                       relative_error(grads.db[l][mask.b[l] > 0], numeric.b[l][mask.b[l] > 0]))
            for l in range(probe.n_layers)
        ]
    worst = max(max(c.W_rel_error, c.b_rel_error) for c in layers)
    if any(np.isnan([c.W_rel_error, c.b_rel_error]).any() for c in layers):
        worst = float("nan")  # max() would skip a NaN that is not first
    # NaN compares False, so a diverged model never "passes".
    return GradCheckResult(layers, worst, bool(worst < tolerance), tolerance, float(eps), numeric)
