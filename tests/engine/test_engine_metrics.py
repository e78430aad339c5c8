"""The metrics' one home (:mod:`mlp_engine.metrics`), the L2 penalty's one method,
and the trainer's undo bounds as plain arguments."""
from __future__ import annotations

import numpy as np
import pytest
from engine_testkit import random_model

from mlp_engine import make_trainer, metrics


def test_one_sigmoid_column_predicts_class_1_from_one_half_inclusive() -> None:
    out = np.array([[0.49], [0.5], [0.51], [0.0]])
    assert metrics.predict_classes(out).tolist() == [0, 1, 1, 0]
    assert metrics.predict_classes(out).dtype == np.int64


def test_several_columns_predict_the_argmax() -> None:
    assert metrics.predict_classes(np.array([[0.1, 0.7, 0.2], [0.6, 0.3, 0.1]])).tolist() == [1, 0]


def test_accuracy_and_confusion_matrix() -> None:
    y = np.eye(3)[[0, 1, 2, 2]]
    out = np.eye(3)[[0, 2, 2, 1]] * 0.8 + 0.05
    assert metrics.accuracy(out, y) == 0.5
    assert metrics.accuracy(np.zeros((0, 3)), np.zeros((0, 3))) is None
    c = metrics.confusion_matrix(metrics.predict_classes(y), metrics.predict_classes(out), 3)
    assert c.tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 1]]


def test_rmse_and_r2_match_their_definitions_and_are_none_when_undefined() -> None:
    rng = np.random.default_rng(0)
    y, out = rng.standard_normal((20, 2)), rng.standard_normal((20, 2))
    assert metrics.rmse(out, y) == pytest.approx(float(np.sqrt(np.mean((out - y) ** 2))), rel=1e-14)
    r2 = np.mean(1 - ((out - y) ** 2).sum(0) / ((y - y.mean(0)) ** 2).sum(0))
    assert metrics.r2(out, y) == pytest.approx(float(r2), rel=1e-12)
    assert metrics.r2(out[:1], y[:1]) is None  # one row
    assert metrics.r2(out, np.ones_like(y)) is None  # a constant target
    assert metrics.rmse(out[:0], y[:0]) is None


def test_the_trainers_accuracy_is_the_metrics_module_rule() -> None:
    t = make_trainer({"dataset": {"name": "moons"}, "optimizer": {"batch_size": 1000}, "seed": 2})
    t.run_epochs(3)
    assert t.history.metrics["test_accuracy"][-1] == metrics.accuracy(t.model.predict(t.X_test), t.y_test)


def test_the_penalty_is_one_method_used_by_the_objective_and_the_gradient() -> None:
    model = random_model([3, 4, 2], "tanh", "linear", "mse", l2=0.3, seed=1)
    plain = random_model([3, 4, 2], "tanh", "linear", "mse", l2=0.0, seed=1)
    w = model.params.weights_flat
    assert model.penalty() == 0.5 * 0.3 * float(np.vdot(w, w)) and plain.penalty() == 0.0
    rng = np.random.default_rng(2)
    X, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    assert model.objective(X, y) == plain.objective(X, y) + model.penalty()
    g, g0 = model.backward(model.forward(X), y), plain.backward(plain.forward(X), y)
    assert g.loss == g0.loss + model.penalty()
    for l in range(2):
        np.testing.assert_allclose(g.dW[l], g0.dW[l] + 0.3 * model.W[l], rtol=1e-15, atol=1e-17)
        np.testing.assert_array_equal(g.db[l], g0.db[l])


def test_undo_bounds_are_arguments_not_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLP_PLAYGROUND_UNDO_DEPTH", "3")
    monkeypatch.setenv("MLP_PLAYGROUND_UNDO_MAX_PARAMS", "1")
    assert make_trainer({"dataset": {"name": "xor"}}).undo_depth == 20
    t = make_trainer({"dataset": {"name": "xor"}}, undo_depth=2)
    for _ in range(4):
        t.step()
    assert t.undo_available == 2
    small = make_trainer({"dataset": {"name": "xor"}}, undo_max_params=10)
    assert small.undo_depth == 0 and small.undo_limit == 10
    with pytest.raises(ValueError, match="undo_depth"):
        make_trainer({"dataset": {"name": "xor"}}, undo_depth=-1)
