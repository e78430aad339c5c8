"""Losses, each holding its value and its output error ``delta`` side by side.

Conventions (``../shared/CONTRACT.md``): the objective over a batch of ``m``
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

from dataclasses import dataclass
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
    """

    name: str
    value_and_delta: Callable[[Array, Array, Array, Activation], tuple[float, Array]]
    formula: str

    def value(self, z: Array, a: Array, y: Array, out: Activation) -> float:
        """The batch-mean loss alone (no L2 term)."""
        return self.value_and_delta(z, a, y, out)[0]

    def __repr__(self) -> str:
        return f"Loss({self.name!r}: {self.formula})"


def _mse(z: Array, a: Array, y: Array, out: Activation) -> tuple[float, Array]:
    m = z.shape[0]
    diff = a - y
    flat = diff.ravel()
    value = 0.5 * float(np.dot(flat, flat)) / m
    if out.name != "linear":  # linear's f' is 1: skip a multiply on the hot path
        diff *= out.df(z, a)
    diff *= 1.0 / m
    return value, diff


def _cross_entropy(z: Array, a: Array, y: Array, out: Activation) -> tuple[float, Array]:
    m = z.shape[0]
    # log p = z - logsumexp(z), computed stably from the logits.
    zmax = z.max(axis=1, keepdims=True)
    log_norm = zmax + np.log(np.exp(z - zmax).sum(axis=1, keepdims=True))
    value = -float(np.sum(y * (z - log_norm))) / m
    return value, (a - y) * (1.0 / m)


def _binary_cross_entropy(z: Array, a: Array, y: Array, out: Activation) -> tuple[float, Array]:
    m = z.shape[0]
    # -[y log p + (1-y) log(1-p)] with p = sigmoid(z) equals softplus(z) - y z.
    value = float(np.sum(np.logaddexp(0, z) - y * z)) / m
    return value, (a - y) * (1.0 / m)


LOSSES: dict[str, Loss] = {
    loss.name: loss
    for loss in (
        Loss("mse", _mse, "1/2 sum_j (yhat_j - y_j)^2"),
        Loss("cross_entropy", _cross_entropy, "-sum_j y_j log p_j"),
        Loss("binary_cross_entropy", _binary_cross_entropy,
             "-sum_j [y_j log p_j + (1 - y_j) log(1 - p_j)]"),
    )
}
"""Losses, by the name the API accepts."""

VALID_PAIRS: dict[str, tuple[str, ...]] = {
    "linear": ("mse",),
    "sigmoid": ("binary_cross_entropy", "mse"),
    "softmax": ("cross_entropy",),
}
"""For each output activation, the losses it pairs with (first is the usual one)."""


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
