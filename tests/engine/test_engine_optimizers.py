"""Optimizers against hand-computed steps and scikit-learn's own optimizers;
clipping by the global gradient norm; state that round-trips."""
from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest
from sklearn.neural_network._stochastic_optimizers import AdamOptimizer, SGDOptimizer

from mlp_engine import OPTIMIZERS, Adam, Momentum, SGD, make_optimizer, make_trainer
from mlp_engine.state import decode, encode

THETA0 = np.array([1.0, -2.0])
G1 = np.array([0.5, 1.0])
G2 = np.array([-1.0, 2.0])


def run(opt, *grads) -> np.ndarray:
    theta = THETA0.copy()
    for g in grads:
        opt.apply(theta, g.copy())
    return theta


def test_sgd_is_theta_minus_lr_g() -> None:
    np.testing.assert_allclose(run(SGD(0.1), G1, G2), [1.0 - 0.05 + 0.1, -2.0 - 0.1 - 0.2], atol=1e-15)


def test_momentum_by_hand() -> None:
    # v1 = -0.1 g1 = [-0.05, -0.1];          theta1 = [0.95, -2.1]
    # v2 = 0.9 v1 - 0.1 g2 = [0.055, -0.29]; theta2 = [1.005, -2.39]
    opt = Momentum(0.1, 0.9)
    np.testing.assert_allclose(run(opt, G1), [0.95, -2.1], atol=1e-15)
    np.testing.assert_allclose(run(Momentum(0.1, 0.9), G1, G2), [1.005, -2.39], atol=1e-15)
    np.testing.assert_allclose(run(opt, G2) - THETA0, [0.055, -0.29], atol=1e-15)  # a step is v


def test_nesterov_by_hand() -> None:
    # theta1 = theta0 + 0.9 v1 - 0.1 g1 = [0.905, -2.19]
    # theta2 = theta1 + 0.9 v2 - 0.1 g2 = [0.905 + 0.0495 + 0.1, -2.19 - 0.261 - 0.2]
    np.testing.assert_allclose(run(Momentum(0.1, 0.9, nesterov=True), G1), [0.905, -2.19], atol=1e-15)
    np.testing.assert_allclose(run(Momentum(0.1, 0.9, nesterov=True), G1, G2), [1.0545, -2.651], atol=1e-14)


def test_adam_by_hand() -> None:
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    theta, m, v = THETA0.copy(), np.zeros(2), np.zeros(2)
    for t, g in enumerate((G1, G2), start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        theta = theta - lr * math.sqrt(1 - b2**t) / (1 - b1**t) * m / (np.sqrt(v) + eps)
        if t == 1:  # Adam's first step is lr * sign(g), whatever the scale of g
            np.testing.assert_allclose(theta, THETA0 - lr * np.sign(G1), atol=1e-8)
    np.testing.assert_allclose(run(Adam(lr, b1, b2, eps), G1, G2), theta, rtol=1e-14)


@pytest.mark.parametrize("name, kwargs", [
    ("momentum", {"momentum": 0.9, "nesterov": False}),
    ("momentum", {"momentum": 0.8, "nesterov": True}),
    ("sgd", {}),
    ("adam", {}),
])
def test_optimizers_agree_with_scikit_learn(name: str, kwargs: dict) -> None:
    rng = np.random.default_rng(0)
    theta = rng.standard_normal(7)
    grads = [rng.standard_normal(7) for _ in range(5)]
    if name == "adam":
        ours, theirs = Adam(0.01), AdamOptimizer([theta.copy()], 0.01, 0.9, 0.999, 1e-8)
    else:
        mu = kwargs.get("momentum", 0.0)
        ours = make_optimizer(name, 0.1, **kwargs)
        theirs = SGDOptimizer([theta.copy()], 0.1, "constant", momentum=mu,
                              nesterov=kwargs.get("nesterov", False))
    mine, params = theta.copy(), [theta.copy()]
    for g in grads:
        ours.apply(mine, g.copy())
        theirs.update_params(params, [g.copy()])
    np.testing.assert_allclose(mine, params[0], rtol=1e-13, atol=1e-15)


def test_clipping_rescales_to_the_global_norm() -> None:
    g = np.array([3.0, 4.0])  # norm 5
    np.testing.assert_allclose(run(SGD(0.1, clip_norm=1.0), g) - THETA0, -0.1 * np.array([0.6, 0.8]))
    np.testing.assert_allclose(run(SGD(0.1, clip_norm=10.0), g) - THETA0, -0.1 * g)  # under: unchanged
    huge = np.array([1e200, -1e200])  # its squares overflow; the norm must not
    np.testing.assert_allclose(run(SGD(0.1, clip_norm=1.0), huge) - THETA0, [-0.1 / math.sqrt(2), 0.1 / math.sqrt(2)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        theta = run(SGD(0.1, clip_norm=1.0), np.array([np.nan, 1.0]))
    assert np.isnan(theta[0])


def test_clipping_in_the_trainer_counts_weights_and_biases() -> None:
    cfg = {"dataset": {"name": "inline", "X": [[1.0, 2.0]], "y": [[1.0]]},
           "model": {"layers": [2, 2, 1], "weights": [[[0.1, 0.2], [0.3, 0.4]], [[0.5, 0.6]]],
                     "biases": [[0.0, 0.0], [0.0]]},
           "optimizer": {"learning_rate": 0.1, "batch_size": 1, "clip_norm": 0.05}}
    trainer = make_trainer(cfg)
    before = trainer.model.params.flat.copy()
    result = trainer.step()
    g = result.grads.flat
    total = np.linalg.norm(g)  # the worked example's |grad| is about 0.2 > 0.05
    assert total > 0.05
    np.testing.assert_allclose(trainer.model.params.flat, before - 0.1 * g * (0.05 / total), atol=1e-15)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_state_round_trips_through_json(name: str) -> None:
    rng = np.random.default_rng(1)
    opt = make_optimizer(name, 0.05, momentum=0.7, nesterov=True, clip_norm=2.0)
    theta = rng.standard_normal(5)
    for _ in range(3):
        opt.apply(theta, rng.standard_normal(5))
    clone = make_optimizer(name, 0.5)
    clone.load_state_dict(decode(json.loads(json.dumps(encode(opt.state_dict())))))
    other = theta.copy()
    for _ in range(3):
        g = rng.standard_normal(5)
        opt.apply(theta, g)
        clone.apply(other, g)
    np.testing.assert_array_equal(theta, other)
    assert clone.t == opt.t == 6 and clone.clip_norm == 2.0


@pytest.mark.parametrize("make, field", [
    (lambda: SGD(0.0), "learning_rate"), (lambda: SGD(float("nan")), "learning_rate"),
    (lambda: SGD(True), "learning_rate"), (lambda: Momentum(0.1, 1.0), "momentum"),
    (lambda: Adam(0.1, beta1=1.0), "beta1"), (lambda: SGD(0.1, clip_norm=-1), "clip_norm"),
    (lambda: make_optimizer("rmsprop", 0.1), "sgd, momentum, adam"),
])
def test_bad_hyperparameters_are_refused_by_name(make, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        make()
