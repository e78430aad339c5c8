"""Gradient checking by central differences, shipped inside the engine so that
every gradient test (and the playground's "Gradient check" button) is one call.

For every parameter ``theta_i`` of every layer the numerical derivative is
``(J(theta_i + eps) - J(theta_i - eps)) / (2 eps)`` of the batch objective
``J`` (mean loss plus the penalties), and each layer's ``W`` and ``b`` (and,
with batch norm, each hidden layer's ``gamma`` and ``beta``) are compared with
the analytic gradient by the reference write-up's relative error
``||a - n|| / (||a|| + ||n||)`` (0 when both are 0).

``J`` is a training step's objective: batch norm uses the batch's statistics,
and dropout the masks given (a trace's, kept fixed), or drops nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from .model import MLP, Params

DEFAULT_TOLERANCE = 1e-6


class GradCheckStopped(Exception):
    """``keep_going`` answered false before every chosen parameter was checked: there is
    no result (a part of a check says nothing), and the model is as it was."""

    def __init__(self, done: int, of: int) -> None:
        super().__init__(f"gradient check stopped after {done} of {of} parameters")
        self.done, self.of = done, of


@dataclass
class LayerCheck:
    """Relative errors of one weight layer's ``dW`` and ``db`` (and, for a hidden
    layer with batch norm, ``dgamma`` and ``dbeta``; ``None`` otherwise)."""

    W_rel_error: float
    b_rel_error: float
    gamma_rel_error: float | None = None
    beta_rel_error: float | None = None

    @property
    def errors(self) -> list[float]:
        return [e for e in (self.W_rel_error, self.b_rel_error, self.gamma_rel_error, self.beta_rel_error)
                if e is not None]


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
    """The reference write-up's ``||a - n|| / (||a|| + ||n||)``; 0 when both gradients are 0
    (NaN, never a warning, when either is not finite)."""
    with np.errstate(all="ignore"):
        denom = np.linalg.norm(analytic) + np.linalg.norm(numeric)
        if denom == 0:
            return 0.0
        return float(np.linalg.norm(analytic - numeric) / denom)


def gradient_check(
    model: MLP, X: np.ndarray, y: np.ndarray, eps: float = 1e-5,
    tolerance: float = DEFAULT_TOLERANCE, masks: Sequence[np.ndarray] | None = None,
    checked: np.ndarray | None = None, keep_going: Callable[[], bool] | None = None,
) -> GradCheckResult:
    """Compare ``model.backward`` with central differences on the batch ``(X, y)``.

    ``X`` is ``(m, d_in)``, ``y`` is ``(m, d_out)``; ``masks`` (dropout only) one
    ``(m, n)`` array of 0 and 1 per hidden layer, e.g. a trace's. The check runs
    in float64 on a copy, so a float32 model is checked at full precision and the
    model itself is never changed. Costs ``2 * n_params`` forward passes.

    ``checked``: the flat parameter indices to check (a sample, when checking every
    one would cost too much); each layer's errors then compare those of its entries
    only (a layer with none sampled has errors 0). ``numeric`` holds 0 for the
    entries not checked.

    ``keep_going`` is asked before every parameter (two forward passes, the check's
    slice of work): when it answers false the check ends there and raises
    :class:`GradCheckStopped`; the model is untouched either way (only the copy is perturbed).
    """
    if isinstance(eps, bool) or not (isinstance(eps, (int, float)) and 0 < eps < 1):
        raise ValueError(f"eps: must be a number in (0, 1), got {eps!r}")
    probe = MLP(model.layers, model.activation_spec, model.output_activation.name,
                model.loss_fn.name, init="zeros", l2=model.l2, **model.options())
    probe.params.flat[...] = model.params.flat  # as they are, even NaN (a diverged model fails)
    X = probe._as_batch(X, probe.layers[0], "X")
    y = probe._as_batch(y, probe.layers[-1], "y")
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"y: {y.shape[0]} rows for {X.shape[0]} samples of X")
    masks = probe._check_masks(masks, X.shape[0])
    grads = probe.backward(probe.forward(X, train=True, masks=masks), y)
    theta = probe.params.flat  # every parameter, perturbed one entry at a time
    numeric = Params.zeros(probe.layers, batch_norm=probe.batch_norm)
    chosen = np.arange(theta.size) if checked is None else np.unique(np.asarray(checked, dtype=np.int64))
    if chosen.size and (chosen[0] < 0 or chosen[-1] >= theta.size):
        raise ValueError(f"checked: parameter indices must be in [0, {theta.size})")
    if checked is not None:  # the entries not checked count as 0 on both sides
        unchecked = np.ones(theta.size, dtype=bool)
        unchecked[chosen] = False
        grads.flat[unchecked] = 0.0
    with np.errstate(all="ignore"):
        for done, i in enumerate(chosen):
            if keep_going is not None and not keep_going():
                raise GradCheckStopped(done, int(chosen.size))
            old = theta[i]
            theta[i] = old + eps
            plus = probe._objective(X, y, None, True, masks)
            theta[i] = old - eps
            minus = probe._objective(X, y, None, True, masks)
            theta[i] = old
            numeric.flat[i] = (plus - minus) / (2 * eps)
    hidden = len(probe.gamma)
    # A batch-normalised layer's bias is cancelled by the batch mean: the engine's db is exactly 0
    # and the numeric one only round-off, about eps_machine |J| / eps per entry, so they agree when
    # the numeric one is within that (a relative error of two round-offs would mean nothing).
    floor = 64 * np.finfo(np.float64).eps * max(1.0, abs(grads.loss)) / eps

    def bias_error(l: int) -> float:
        if l < hidden and not grads.db[l].any() and \
                np.linalg.norm(numeric.b[l]) <= floor * np.sqrt(numeric.b[l].size):
            return 0.0
        return relative_error(grads.db[l], numeric.b[l])

    layers = [
        LayerCheck(relative_error(grads.dW[l], numeric.W[l]), bias_error(l),
                   relative_error(grads.dgamma[l], numeric.gamma[l]) if l < hidden else None,
                   relative_error(grads.dbeta[l], numeric.beta[l]) if l < hidden else None)
        for l in range(probe.n_layers)
    ]
    worst = max(max(c.errors) for c in layers)
    if any(np.isnan(c.errors).any() for c in layers):
        worst = float("nan")  # max() would skip a NaN that is not first
    # NaN compares False, so a diverged model never "passes".
    return GradCheckResult(layers, worst, bool(worst < tolerance), tolerance, float(eps), numeric)
