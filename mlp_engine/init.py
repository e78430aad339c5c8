"""Weight initialisation schemes, by the name the API accepts.

Each scheme draws ``W[l]`` of shape ``(n_out, n_in)`` from the generator it is
given (randomness is passed in, so one seed gives one run). Biases start at 0.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

Initializer = Callable[[np.random.Generator, int, int], np.ndarray]

INITIALIZERS: dict[str, Initializer] = {
    # He et al. (2015): keeps the variance of ReLU activations constant with depth.
    "he": lambda rng, n_out, n_in: rng.normal(0.0, np.sqrt(2.0 / n_in), (n_out, n_in)),
    # Glorot & Bengio (2010), uniform form: variance 2 / (n_in + n_out).
    "xavier": lambda rng, n_out, n_in: rng.uniform(
        -np.sqrt(6.0 / (n_in + n_out)), np.sqrt(6.0 / (n_in + n_out)), (n_out, n_in)
    ),
    # The reference write-up's NN class (its California-housing experiment): N(0, n_in ** -0.5).
    "normal": lambda rng, n_out, n_in: rng.normal(0.0, n_in**-0.5, (n_out, n_in)),
    # Uniform in +-1/sqrt(n_in), the classic default of many libraries.
    "uniform": lambda rng, n_out, n_in: rng.uniform(-(n_in**-0.5), n_in**-0.5, (n_out, n_in)),
    # Every unit identical: the symmetry that gradient descent cannot break.
    "zeros": lambda rng, n_out, n_in: np.zeros((n_out, n_in)),
}


def init_params(
    layers: list[int], scheme: str, rng: np.random.Generator, dtype: np.dtype = np.float64
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Draw ``W[l]`` ``(layers[l+1], layers[l])`` and zero ``b[l]`` ``(layers[l+1],)``."""
    try:
        draw = INITIALIZERS[scheme]
    except (KeyError, TypeError):
        raise ValueError(
            f"init: unknown initialisation {scheme!r}; choose one of {', '.join(INITIALIZERS)}"
        ) from None
    W = [draw(rng, n_out, n_in).astype(dtype) for n_in, n_out in zip(layers[:-1], layers[1:])]
    b = [np.zeros(n_out, dtype=dtype) for n_out in layers[1:]]
    return W, b
