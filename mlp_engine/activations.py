"""Activation functions, each an ``f`` / ``f'`` pair that cannot drift apart.

The registries' keys are the strings users type (in the API, the page and the
engine alike), so the set of valid choices is said exactly once, here.

``df`` receives both the pre-activation ``z`` and the activation ``a = f(z)``:
sigmoid and tanh have cheap derivatives in terms of ``a`` (``a (1 - a)`` and
``1 - a**2``), ReLU in terms of ``z``. All functions are elementwise and keep
the dtype of their input. Both take an optional ``out`` array of the same
shape to write into (the training loop's hot path reuses buffers that way);
without it they return a new array (``linear``'s ``f`` returns ``z`` itself).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

Array = np.ndarray

LEAKY_SLOPE = 0.01


@dataclass(frozen=True)
class Activation:
    """An elementwise activation ``a = f(z)`` and its derivative ``f'(z)``.

    ``f(z, out=None)`` maps ``(m, n) -> (m, n)``; ``df(z, a, out=None)``
    returns ``da/dz`` of the same shape, given the cached ``z`` and ``a`` of
    the forward pass. ``formula`` and ``derivative`` say ``f`` and ``df`` in
    plain text, as ``df`` computes it (including its value at a kink).
    """

    name: str
    f: Callable[..., Array]
    df: Callable[..., Array]
    formula: str
    derivative: str

    def __repr__(self) -> str:
        return f"Activation({self.name!r}: {self.formula})"


# Each rule is written as a few in-place ufunc calls: on the small arrays of
# a minibatch, NumPy's per-call overhead costs more than the arithmetic.
def _sigmoid(z: Array, out: Array | None = None) -> Array:
    # 1 / (1 + e^-z). For z < -709, e^-z overflows to inf and the result is
    # exactly 0, as it should be (the engine runs under np.errstate(all="ignore")).
    a = np.negative(z, out=out)
    np.exp(a, out=a)
    np.add(a, 1.0, out=a)
    return np.reciprocal(a, out=a)


def _sigmoid_df(z: Array, a: Array, out: Array | None = None) -> Array:
    t = np.multiply(a, a, out=out)
    return np.subtract(a, t, out=t)  # a (1 - a) = a - a^2


def _relu(z: Array, out: Array | None = None) -> Array:
    return np.maximum(z, 0.0, out=out)


def _relu_df(z: Array, a: Array, out: Array | None = None) -> Array:
    # 1 where z > 0, else 0 (the derivative at the kink is taken as 0).
    return np.greater(z, 0.0, out=out if out is not None else np.empty_like(z))


def _leaky_relu(z: Array, out: Array | None = None) -> Array:
    # max(slope z, z) for 0 < slope < 1.
    t = np.multiply(z, LEAKY_SLOPE, out=out)
    return np.maximum(z, t, out=t)


def _leaky_relu_df(z: Array, a: Array, out: Array | None = None) -> Array:
    t = np.greater(z, 0.0, out=out if out is not None else np.empty_like(z))
    t *= 1.0 - LEAKY_SLOPE
    t += LEAKY_SLOPE  # 1 where z > 0, else slope
    return t


def _tanh(z: Array, out: Array | None = None) -> Array:
    return np.tanh(z, out=out)


def _tanh_df(z: Array, a: Array, out: Array | None = None) -> Array:
    t = np.multiply(a, a, out=out)
    return np.subtract(1.0, t, out=t)


def _linear(z: Array, out: Array | None = None) -> Array:
    if out is None:
        return z
    np.copyto(out, z)
    return out


def _linear_df(z: Array, a: Array, out: Array | None = None) -> Array:
    if out is None:
        return np.ones_like(z)
    out.fill(1.0)
    return out


ACTIVATIONS: dict[str, Activation] = {
    act.name: act
    for act in (
        Activation("relu", _relu, _relu_df, "max(0, z)", "1 if z > 0 else 0"),
        Activation("leaky_relu", _leaky_relu, _leaky_relu_df, f"max({LEAKY_SLOPE} z, z)",
                   f"1 if z > 0 else {LEAKY_SLOPE}"),
        Activation("sigmoid", _sigmoid, _sigmoid_df, "1 / (1 + exp(-z))", "a (1 - a)"),
        Activation("tanh", _tanh, _tanh_df, "tanh(z)", "1 - a^2"),
        Activation("linear", _linear, _linear_df, "z", "1"),
    )
}
"""Hidden-layer activations, by the name the API accepts."""


def _softmax(z: Array, out: Array | None = None) -> Array:
    # Subtracting the row max changes nothing mathematically and keeps exp finite.
    e = np.subtract(z, np.maximum.reduce(z, axis=1, keepdims=True), out=out)
    np.exp(e, out=e)
    return np.divide(e, np.add.reduce(e, axis=1, keepdims=True), out=e)


def _softmax_df(z: Array, a: Array, out: Array | None = None) -> Array:
    # The softmax Jacobian is not diagonal; its only pairing (cross-entropy)
    # folds it into the output delta p - y, so this is never called.
    raise ValueError("softmax has no elementwise derivative; pair it with cross_entropy")


OUTPUT_ACTIVATIONS: dict[str, Activation] = {
    "linear": ACTIVATIONS["linear"],
    "sigmoid": ACTIVATIONS["sigmoid"],
    "softmax": Activation("softmax", _softmax, _softmax_df, "exp(z_j) / sum_k exp(z_k)",
                          "da_j/dz_k = a_j (1[j = k] - a_k), not elementwise: cross_entropy folds it "
                          "into its output delta"),
}
"""Output-layer activations, by the name the API accepts."""


def get_activation(name: str, *, output: bool = False, field: str = "activation") -> Activation:
    """Look an activation up by name; a ``ValueError`` names the field and the choices."""
    registry = OUTPUT_ACTIVATIONS if output else ACTIVATIONS
    try:
        return registry[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"{field}: unknown activation {name!r}; choose one of {', '.join(registry)}"
        ) from None
