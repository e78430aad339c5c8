"""Losses, each holding its value and its output error ``delta`` side by side.

Conventions (``docs/math.md``): the objective over a batch of ``m``
samples is the MEAN of the per-sample loss, so the output error
``delta[L-1] = dObjective/dz[L-1]`` carries the factor ``1/m``.

Only some output-activation/loss pairs make sense; :data:`VALID_PAIRS` lists
them and :func:`check_pair` refuses the rest with a message naming the pairs
that work. For the two "canonical" pairs the output delta collapses to the
famous ``p - y`` (softmax + cross-entropy, sigmoid + binary cross-entropy);
their values are computed from the logits ``z`` so that they stay finite when
``p`` rounds to 0 or 1.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .activations import Activation

Array = np.ndarray


@dataclass(frozen=True)
class Loss:
    """A loss: ``value_and_delta(z, a, y, out) -> (objective, delta)``.

    ``z``, ``a`` and ``y`` are ``(m, d_out)``: the output pre-activation, the
    output activation (the prediction) and the target; ``out`` is the output
    activation. ``objective`` is the batch-mean loss (a Python float) and
    ``delta`` is ``dObjective/dz``, shape ``(m, d_out)``, including ``1/m``.
    ``formula`` is the objective as computed (the mean over the batch's
    ``m`` rows ``i``; ``yhat`` or ``p`` is the output activation ``a``) and
    ``delta_formula`` the output delta, per output activation it pairs with.
    """

    name: str
    value_and_delta: Callable[[Array, Array, Array, Activation], tuple[float, Array]]
    formula: str
    delta_formula: dict[str, str] = field(hash=False)  # a dict: kept out of the hash

    def value(self, z: Array, a: Array, y: Array, out: Activation) -> float:
        """The batch-mean loss alone (no L2 term)."""
        return self.value_and_delta(z, a, y, out)[0]

    def __repr__(self) -> str:
        return f"Loss({self.name!r}: {self.formula})"


def _mse(z: Array, a: Array, y: Array, out: Activation) -> tuple[float, Array]:
    m = z.shape[0]
    diff = np.subtract(a, y)
    value = 0.5 * float(np.vdot(diff, diff)) / m
    if out.name != "linear":  # linear's f' is 1: skip a multiply on the hot path
        diff *= out.df(z, a)
    diff *= 1.0 / m
    return value, diff


def _cross_entropy(z: Array, a: Array, y: Array, out: Activation) -> tuple[float, Array]:
    m = z.shape[0]
    # log p_j = z_j - logsumexp(z). The softmax output a = p already holds it:
    # log(a) agrees with the logsumexp form to rounding while every a_j is a
    # normal float (a_j > 1e-300). Where some a_j is smaller (a logit more
    # than ~690 below the row's largest) or underflowed to 0, recompute from
    # the logits so that the loss stays exact and finite.
    log_p = np.log(a)
    if float(np.minimum.reduce(log_p, axis=None)) < -690.0:
        log_p = z - _logsumexp_rows(z)
    value = -float(np.vdot(y, log_p)) / m
    return value, _scaled_difference(a, y, m)


def _binary_cross_entropy(z: Array, a: Array, y: Array, out: Activation) -> tuple[float, Array]:
    m = z.shape[0]
    # -[y log p + (1-y) log(1-p)] with p = sigmoid(z) equals softplus(z) - y z,
    # finite even where p rounds to 0 or 1.
    value = float(np.add.reduce(np.logaddexp(0.0, z), axis=None) - np.vdot(y, z)) / m
    return value, _scaled_difference(a, y, m)


def _scaled_difference(a: Array, y: Array, m: int) -> Array:
    """The canonical pairs' output delta ``(p - y) / m``."""
    d = np.subtract(a, y)
    d *= 1.0 / m
    return d


def _logsumexp_rows(z: Array) -> Array:
    """``log sum_j exp(z_j)`` per row, ``(m, 1)``, stable for any finite ``z``."""
    zmax = np.maximum.reduce(z, axis=1, keepdims=True)
    return zmax + np.log(np.add.reduce(np.exp(z - zmax), axis=1, keepdims=True))


LOSSES: dict[str, Loss] = {
    loss.name: loss
    for loss in (
        Loss("mse", _mse, "1/m sum_i 1/2 sum_j (yhat_ij - y_ij)^2",
             {"linear": "(yhat - y) / m", "sigmoid": "(yhat - y) yhat (1 - yhat) / m"}),
        Loss("cross_entropy", _cross_entropy, "-1/m sum_i sum_j y_ij log p_ij", {"softmax": "(p - y) / m"}),
        Loss("binary_cross_entropy", _binary_cross_entropy,
             "-1/m sum_i sum_j [y_ij log p_ij + (1 - y_ij) log(1 - p_ij)]", {"sigmoid": "(p - y) / m"}),
    )
}
"""Losses, by the name the API accepts."""

VALID_PAIRS: dict[str, tuple[str, ...]] = {
    "linear": ("mse",),
    "sigmoid": ("binary_cross_entropy", "mse"),
    "softmax": ("cross_entropy",),
}
"""For each output activation, the losses it pairs with (first is the usual one)."""

TASK_OUTPUTS: dict[str, tuple[str, ...]] = {
    "regression": ("linear",),
    "classification": tuple(VALID_PAIRS),
}
"""For each task, the output activations that suit it (regression wants an unbounded output)."""

MIN_OUTPUTS: dict[str, int] = {"softmax": 2}
"""Outputs an output activation needs: softmax over one output is always 1."""


def output_choices(task: str, n_outputs: int) -> list[str]:
    """The output activations that suit ``task`` with ``n_outputs`` outputs."""
    return [o for o in TASK_OUTPUTS.get(task, tuple(VALID_PAIRS)) if n_outputs >= MIN_OUTPUTS.get(o, 1)]


def get_loss(name: str, field: str = "loss") -> Loss:
    """Look a loss up by name; a ``ValueError`` names the field and the choices."""
    try:
        return LOSSES[name]
    except (KeyError, TypeError):
        raise ValueError(f"{field}: unknown loss {name!r}; choose one of {', '.join(LOSSES)}") from None


def check_pair(output_activation: str, loss: str) -> None:
    """Refuse an output activation / loss pairing that does not work."""
    if loss not in VALID_PAIRS.get(output_activation, ()):
        pairs = "; ".join(f"{o} with {' or '.join(ls)}" for o, ls in VALID_PAIRS.items())
        raise ValueError(
            f"loss: {loss!r} does not pair with output_activation {output_activation!r}; "
            f"the pairs that work are: {pairs}"
        )
