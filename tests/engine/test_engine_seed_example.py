"""The seeds' worked example (CONTRACT.md): every number to 1e-12, and the update."""
from __future__ import annotations

import numpy as np
import pytest

from mlp_engine import MLP, make_trainer

W0 = [[0.1, 0.2], [0.3, 0.4]]
W1 = [[0.5, 0.6]]
X = [[1.0, 2.0]]
Y = [[1.0]]
TOL = 1e-12

EXPECTED = {
    "z0": [[0.5, 1.1]], "a0": [[0.5, 1.1]], "yhat": [[0.91]], "loss": 0.00405,
    "delta1": [[-0.09]], "dW1": [[-0.045, -0.099]], "db1": [-0.09],
    "delta0": [[-0.045, -0.054]], "dW0": [[-0.045, -0.09], [-0.054, -0.108]], "db0": [-0.045, -0.054],
}


def close(actual, expected) -> None:
    np.testing.assert_allclose(np.asarray(actual, dtype=float), expected, rtol=0, atol=TOL)


def check_trace(cache, grads) -> None:
    close(cache.z[0], EXPECTED["z0"])
    close(cache.a[0], EXPECTED["a0"])
    close(cache.z[1], EXPECTED["yhat"])
    close(cache.a[1], EXPECTED["yhat"])
    close(grads.loss, EXPECTED["loss"])
    for key in ("delta", "dW", "db"):
        for l in (0, 1):
            close(getattr(grads, key)[l], EXPECTED[f"{key}{l}"])
    close(grads.grad_norm, [np.linalg.norm(EXPECTED["dW0"]), np.linalg.norm(EXPECTED["dW1"])])


@pytest.fixture
def model() -> MLP:
    return MLP([2, 2, 1], "relu", "linear", "mse", weights=[W0, W1], biases=[[0, 0], [0]])


def test_forward_and_backward_match_every_number(model: MLP) -> None:
    cache = model.forward(np.array(X))
    check_trace(cache, model.backward(cache, np.array(Y)))
    close(model.objective(X, Y), EXPECTED["loss"])


def test_one_sample_as_a_vector_is_a_batch_of_one(model: MLP) -> None:
    cache = model.forward(np.array([1.0, 2.0]))
    check_trace(cache, model.backward(cache, np.array([1.0])))


@pytest.mark.parametrize("lr", [0.1, 0.5])
def test_trainer_step_traces_then_applies_w_minus_lr_dw(lr: float) -> None:
    trainer = make_trainer({
        "dataset": {"name": "inline", "X": X, "y": Y},
        "model": {"layers": [2, 2, 1], "activation": "relu", "output_activation": "linear",
                  "loss": "mse", "weights": [W0, W1], "biases": [[0, 0], [0]]},
        "optimizer": {"name": "sgd", "learning_rate": lr, "batch_size": 1},
    })
    result = trainer.step()
    check_trace(result.cache, result.grads)
    assert result.finite and result.applied and result.step == 1
    close(trainer.model.W[0], np.array(W0) - lr * np.array(EXPECTED["dW0"]))
    close(trainer.model.W[1], np.array(W1) - lr * np.array(EXPECTED["dW1"]))
    close(trainer.model.b[0], -lr * np.array(EXPECTED["db0"]))
    close(trainer.model.b[1], -lr * np.array(EXPECTED["db1"]))
    # The trace was computed before the update, and the next step does not overwrite it.
    trainer.step()
    check_trace(result.cache, result.grads)


def test_preview_changes_nothing() -> None:
    trainer = make_trainer({
        "dataset": {"name": "inline", "X": X, "y": Y},
        "model": {"layers": [2, 2, 1], "weights": [W0, W1], "biases": [[0, 0], [0]]},
        "optimizer": {"batch_size": 1},
    })
    result = trainer.step(apply=False)
    check_trace(result.cache, result.grads)
    assert not result.applied and trainer.step_count == 0
    close(trainer.model.W[0], W0)
    close(trainer.model.W[1], W1)
