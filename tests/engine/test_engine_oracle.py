"""The engine against an independent implementation on the same weights, to 1e-10.

The oracle is ``scalar_autodiff``: a micrograd-style scalar reverse-mode
autodiff that builds the contract's network, losses and L2 term from scalars.
Every forward number (``z``, ``a``), the objective, every ``delta``, ``dW``
and ``db`` must agree.
"""
from __future__ import annotations

import numpy as np
import pytest

from engine_testkit import random_model, random_targets
from scalar_autodiff import ScalarMLP

TOL = 1e-10

CONFIGS = [
    # layers, hidden activation, output activation, loss, l2, batch size
    ([3, 4, 3], "relu", "softmax", "cross_entropy", 0.0, 5),
    ([2, 5, 1], "tanh", "sigmoid", "binary_cross_entropy", 0.0, 6),
    ([4, 5, 4, 3, 2], "sigmoid", "linear", "mse", 0.0, 4),  # three hidden layers
    ([3, 4, 4, 4, 3], "tanh", "softmax", "cross_entropy", 0.05, 3),  # three hidden layers
    ([2, 3, 3, 2], "leaky_relu", "sigmoid", "mse", 0.1, 4),
    ([3, 4, 2], "linear", "sigmoid", "binary_cross_entropy", 0.01, 1),
    ([2, 2, 1], "relu", "linear", "mse", 0.0, 1),
]


def assert_agree(engine: np.ndarray, oracle, what: str) -> None:
    np.testing.assert_allclose(engine, np.array(oracle, dtype=float), rtol=TOL, atol=TOL, err_msg=what)


@pytest.mark.parametrize("layers, act, out, loss, l2, m", CONFIGS,
                         ids=[f"{c[1]}-{c[2]}-{c[3]}-depth{len(c[0]) - 2}-l2={c[4]}-m{c[5]}" for c in CONFIGS])
def test_engine_agrees_with_scalar_autodiff(layers, act, out, loss, l2, m) -> None:
    rng = np.random.default_rng(len(layers) * 100 + m)
    model = random_model(layers, act, out, loss, l2=l2, seed=m)
    X = rng.standard_normal((m, layers[0]))
    y = random_targets(out, m, layers[-1], rng)
    if loss == "binary_cross_entropy":
        y = (y > 0.5).astype(float)

    cache = model.forward(X)
    grads = model.backward(cache, y)

    oracle = ScalarMLP([w.tolist() for w in model.W], [v.tolist() for v in model.b], act, out, loss, l2)
    J, zs, as_ = oracle.objective(X.tolist(), y.tolist())
    J.backward()

    assert_agree(grads.loss, J.data, "objective")
    assert_agree(model.objective(X, y), J.data, "objective()")
    for l in range(model.n_layers):
        assert_agree(cache.z[l], [[v.data for v in row] for row in zs[l]], f"z[{l}]")
        assert_agree(cache.a[l], [[v.data for v in row] for row in as_[l]], f"a[{l}]")
        assert_agree(grads.delta[l], [[v.grad for v in row] for row in zs[l]], f"delta[{l}]")
        assert_agree(grads.dW[l], [[w.grad for w in row] for row in oracle.W[l]], f"dW[{l}]")
        assert_agree(grads.db[l], [v.grad for v in oracle.b[l]], f"db[{l}]")
        assert grads.grad_norm[l] == pytest.approx(np.linalg.norm(grads.dW[l]), rel=1e-12)


def test_the_oracle_itself_matches_central_differences() -> None:
    """The oracle is only as good as its local derivatives: check one by hand."""
    W = [[[0.3, -0.2], [0.1, 0.4]], [[0.5, -0.7], [0.2, 0.9]]]
    b = [[0.1, -0.1], [0.05, 0.0]]
    X, Y = [[0.5, -1.0], [1.5, 0.2]], [[1.0, 0.0], [0.0, 1.0]]
    net = ScalarMLP(W, b, "tanh", "softmax", "cross_entropy", l2=0.1)
    J, _, _ = net.objective(X, Y)
    J.backward()
    eps = 1e-6
    for l, i, k in [(0, 0, 1), (1, 1, 0), (1, 0, 0)]:
        plus = [[row[:] for row in w] for w in W]
        minus = [[row[:] for row in w] for w in W]
        plus[l][i][k] += eps
        minus[l][i][k] -= eps
        numeric = (ScalarMLP(plus, b, "tanh", "softmax", "cross_entropy", 0.1).objective(X, Y)[0].data
                   - ScalarMLP(minus, b, "tanh", "softmax", "cross_entropy", 0.1).objective(X, Y)[0].data) / (2 * eps)
        assert net.W[l][i][k].grad == pytest.approx(numeric, rel=1e-7, abs=1e-10)
