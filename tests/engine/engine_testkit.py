"""Shared helpers for the engine's tests: random models and targets that suit a loss."""
from __future__ import annotations

import numpy as np

from mlp_engine import MLP, VALID_PAIRS

# Every (output activation, loss) pair that works, from the engine's own registry.
PAIRS = [(out, loss) for out, losses in VALID_PAIRS.items() for loss in losses]


def random_targets(output_activation: str, m: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """``(m, k)`` targets a loss accepts: one-hot rows for softmax, values in
    [0, 1] for sigmoid, anything for a linear output."""
    if output_activation == "softmax":
        return np.eye(k)[rng.integers(0, k, m)]
    if output_activation == "sigmoid":
        return rng.uniform(0.0, 1.0, (m, k))
    return rng.standard_normal((m, k))


def random_model(layers: list[int], activation: str, output_activation: str, loss: str,
                 l2: float = 0.0, seed: int = 0, dtype: str = "float64", scale: float = 1.0) -> MLP:
    """A model with random weights (std ``scale / sqrt(n_in)``) AND biases (init
    schemes leave biases at 0, which would hide a wrong bias gradient)."""
    rng = np.random.default_rng(seed)
    W = [rng.normal(0.0, scale / np.sqrt(i), (o, i)) for i, o in zip(layers[:-1], layers[1:])]
    b = [rng.normal(0.0, 0.5, o) for o in layers[1:]]
    return MLP(layers, activation, output_activation, loss, weights=W, biases=b, l2=l2, dtype=dtype)


def checkable_case(layers: list[int], activation: str, output_activation: str, loss: str,
                   m: int, l2: float = 0.0, seed: int = 0, tries: int = 100):
    """A model and a batch ``(model, X, y)`` on which central differences are meaningful.

    Two conditions, asserted rather than hoped for: no pre-activation within
    1e-3 of a kink of ReLU or leaky ReLU (there the two-sided difference
    straddles a jump in the derivative), and no ``dW[l]`` or ``db[l]`` whose
    norm is below 1e-3 (a vanishing gradient is all round-off: the numerical
    derivative's absolute error, about 1e-16 |J| / eps, then dominates the
    relative error). Seeds, then a larger weight scale (deep sigmoid stacks
    shrink the gradient by 4x or more per layer), are tried in a fixed order.
    """
    for s in range(seed, seed + tries):
        for scale in (1.0, 2.5):
            rng = np.random.default_rng(s)
            model = random_model(layers, activation, output_activation, loss, l2=l2, seed=s, scale=scale)
            X = rng.standard_normal((m, layers[0]))
            y = random_targets(output_activation, m, layers[-1], rng)
            cache = model.forward(X)
            grads = model.backward(cache, y)
            kinked = activation in ("relu", "leaky_relu") and model.n_layers > 1 and min(
                float(np.abs(z).min()) for z in cache.z[:-1]) < 1e-3
            smallest = min(float(np.linalg.norm(g)) for g in grads.dW + grads.db)
            if not kinked and smallest >= 1e-3:
                return model, X, y
    raise AssertionError(f"no checkable case for {layers} {activation} {output_activation} in {tries} seeds")
