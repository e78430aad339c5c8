"""The chain rule of one weight with the penalties on: ``dW[l][i, j]`` is the minibatch's sum
of ``delta * a`` plus ``l2 * W`` plus ``l1 * sign(W)``, checked against a backward pass and a
sign written here (and ``sign(0) = 0`` at a weight held at 0)."""
from __future__ import annotations

import numpy as np
import pytest

from mlp_engine import make_trainer
from mlp_engine.chain import explain_weight

# Hidden unit 2 has no weights in (and no bias): its weights sit at exactly 0.
WEIGHTS = [[[0.5, -0.2], [-0.3, 0.8], [0.0, 0.0]], [[0.7, -0.4, 0.6]]]


def tanh_sigmoid_backward(X: np.ndarray, y: np.ndarray, W: list[np.ndarray], b: list[np.ndarray]):
    """``delta[l]`` and the data's ``dW[l]`` of a tanh hidden layer and a sigmoid output with
    binary cross-entropy, the batch mean: ``delta[1] = (p - y) / m``."""
    h = np.tanh(X @ W[0].T + b[0])
    p = 1 / (1 + np.exp(-(h @ W[1].T + b[1])))
    d1 = (p - y) / X.shape[0]
    d0 = (d1 @ W[1]) * (1 - h * h)
    return [d0, d1], [d0.T @ X, d1.T @ h]


@pytest.mark.parametrize("l1, l2", [(0.05, 0.0), (0.05, 0.1), (0.0, 0.1)])
def test_the_dw_line_adds_l1_sign_w_and_l2_w(l1, l2):
    t = make_trainer({"dataset": {"name": "xor", "n_samples": 40},
                      "model": {"layers": [2, 3, 1], "activation": "tanh", "weights": WEIGHTS},
                      "optimizer": {"batch_size": 8, "l1": l1, "l2": l2}, "seed": 3})
    W = [w.copy() for w in t.model.W]
    b = [v.copy() for v in t.model.b]
    result = t.step(apply=False)
    deltas, data_dW = tanh_sigmoid_backward(result.X, result.y, W, b)
    for l, i, j in ((0, 1, 0), (0, 2, 1), (1, 0, 2), (1, 0, 1)):
        c = explain_weight(t.model, result, W, l, i, j)
        sign = float(np.sign(W[l][i, j]))
        assert c["sign"] == sign and c["l1"] == l1
        assert np.allclose([term["product"] for term in c["terms"]], deltas[l][:, i] * (
            result.X if l == 0 else np.tanh(result.X @ W[0].T + b[0]))[:, j], atol=1e-15)
        assert np.isclose(c["sum"], data_dW[l][i, j], rtol=1e-12, atol=1e-15)
        assert c["l1_term"] == (l1 * sign if l1 else None)
        assert c["l2_term"] == (pytest.approx(l2 * W[l][i, j]) if l2 else None)
        want = data_dW[l][i, j] + l2 * W[l][i, j] + l1 * sign
        assert np.isclose(c["dW"], want, rtol=1e-12, atol=1e-15)
        assert np.isclose(c["sum"] + (c["l2_term"] or 0.0) + (c["l1_term"] or 0.0), c["dW"], rtol=1e-12, atol=1e-15)


def test_a_weight_at_zero_gets_no_l1_term():
    t = make_trainer({"dataset": {"name": "xor", "n_samples": 40},
                      "model": {"layers": [2, 3, 1], "activation": "tanh", "weights": WEIGHTS},
                      "optimizer": {"batch_size": 8, "l1": 0.05}, "seed": 3})
    W = [w.copy() for w in t.model.W]
    result = t.step(apply=False)
    c = explain_weight(t.model, result, W, 0, 2, 0)
    assert c["W"] == 0.0 and c["sign"] == 0.0 and c["l1_term"] == 0.0
    assert c["dW"] == float(result.grads.dW[0][2, 0])
