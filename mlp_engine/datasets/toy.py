"""The toy generators: ``(rng, n, noise) -> X (n, d), target (n,)`` labels or values.

Coordinates are about ``[-1, 1]`` so the page can draw them as they are.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from sklearn import datasets as skd

Array = np.ndarray

MAX_TOY_SAMPLES = 100_000


def _xor(rng: np.random.Generator, n: int, noise: float) -> tuple[Array, Array]:
    X = rng.uniform(-1, 1, (n, 2))
    X += np.sign(X) * 0.05  # keep a small gap around the axes, as TF Playground does
    labels = (X[:, 0] * X[:, 1] > 0).astype(int)
    return X + noise * rng.standard_normal(X.shape), labels


def _circles(rng: np.random.Generator, n: int, noise: float) -> tuple[Array, Array]:
    X, labels = skd.make_circles(n, noise=noise, factor=0.5, random_state=_int_seed(rng))
    return X, 1 - labels  # inner circle is class 1


def _gaussians(rng: np.random.Generator, n: int, noise: float) -> tuple[Array, Array]:
    X, labels = skd.make_blobs(n, centers=[[-0.5, -0.5], [0.5, 0.5]], cluster_std=0.25 + noise,
                               random_state=_int_seed(rng))
    return X, labels


def _moons(rng: np.random.Generator, n: int, noise: float) -> tuple[Array, Array]:
    X, labels = skd.make_moons(n, noise=noise, random_state=_int_seed(rng))
    return (X - [0.5, 0.25]) * [0.6, 1.0], labels


def _spiral(rng: np.random.Generator, n: int, noise: float) -> tuple[Array, Array]:
    # Two interleaved arms, one turn and a half each (TF Playground's spiral).
    labels = np.arange(n) % 2
    r = rng.uniform(0.05, 1.0, n)
    t = 1.75 * np.pi * r + np.pi * labels
    X = np.column_stack([r * np.sin(t), r * np.cos(t)])
    return X + noise * rng.standard_normal(X.shape), labels


def _sine(rng: np.random.Generator, n: int, noise: float) -> tuple[Array, Array]:
    x = rng.uniform(-1, 1, (n, 1))
    return x, np.sin(np.pi * x[:, 0]) + noise * rng.standard_normal(n)


def _plane(rng: np.random.Generator, n: int, noise: float) -> tuple[Array, Array]:
    X = rng.uniform(-1, 1, (n, 2))
    return X, 0.6 * X[:, 0] - 0.4 * X[:, 1] + noise * rng.standard_normal(n)


def _int_seed(rng: np.random.Generator) -> int:
    return int(rng.integers(2**31 - 1))


TOY_GENERATORS: dict[str, Callable[[np.random.Generator, int, float], tuple[Array, Array]]] = {
    "xor": _xor, "circles": _circles, "gaussians": _gaussians, "spiral": _spiral,
    "moons": _moons, "sine": _sine, "plane": _plane,
}
