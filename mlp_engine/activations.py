"""Activation functions, each an ``f`` / ``f'`` pair that cannot drift apart.

The registries' keys are the strings users type (in the API, the page and the
engine alike), so the set of valid choices is said exactly once, here.

``df`` receives both the pre-activation ``z`` and the activation ``a = f(z)``:
sigmoid and tanh have cheap derivatives in terms of ``a`` (``a (1 - a)`` and
``1 - a**2``), ReLU in terms of ``z``. All functions are elementwise and keep
the dtype of their input.
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

    ``f(z)`` maps ``(m, n) -> (m, n)``; ``df(z, a)`` returns ``da/dz`` of the
    same shape, given the cached ``z`` and ``a`` of the forward pass.
    """

    name: str
    f: Callable[[Array], Array]
    df: Callable[[Array, Array], Array]
    formula: str

    def __repr__(self) -> str:
        return f"Activation({self.name!r}: {self.formula})"


def _sigmoid(z: Array) -> Array:
    # 1 / (1 + e^-z), in place on one buffer (this is on every step's hot path).
    # For z < -709, e^-z overflows to inf and the result is exactly 0, as it
    # should be; the engine runs under np.errstate(all="ignore").
    a = np.negative(z)
    np.exp(a, out=a)
    a += 1
    np.reciprocal(a, out=a)
    return a


def _relu(z: Array) -> Array:
    return np.maximum(z, 0)


def _leaky_relu(z: Array) -> Array:
    return np.where(z > 0, z, z * LEAKY_SLOPE)


ACTIVATIONS: dict[str, Activation] = {
    act.name: act
    for act in (
        Activation("relu", _relu, lambda z, a: (z > 0).astype(z.dtype), "max(0, z)"),
        Activation(
            "leaky_relu",
            _leaky_relu,
            lambda z, a: np.where(z > 0, 1.0, LEAKY_SLOPE).astype(z.dtype),
            f"max({LEAKY_SLOPE} z, z)",
        ),
        Activation("sigmoid", _sigmoid, lambda z, a: a * (1 - a), "1 / (1 + exp(-z))"),
        Activation("tanh", np.tanh, lambda z, a: 1 - a * a, "tanh(z)"),
        Activation("linear", lambda z: z, lambda z, a: np.ones_like(z), "z"),
    )
}
"""Hidden-layer activations, by the name the API accepts."""


def _softmax(z: Array) -> Array:
    # Subtracting the row max changes nothing mathematically and keeps exp finite.
    e = np.exp(z - z.max(axis=1, keepdims=True))
    e /= e.sum(axis=1, keepdims=True)
    return e


def _softmax_df(z: Array, a: Array) -> Array:
    # The softmax Jacobian is not diagonal; its only pairing (cross-entropy)
    # folds it into the output delta p - y, so this is never called.
    raise ValueError("softmax has no elementwise derivative; pair it with cross_entropy")


OUTPUT_ACTIVATIONS: dict[str, Activation] = {
    "linear": ACTIVATIONS["linear"],
    "sigmoid": ACTIVATIONS["sigmoid"],
    "softmax": Activation("softmax", _softmax, _softmax_df, "exp(z_j) / sum_k exp(z_k)"),
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
