"""Central differences agree with backprop (relative error < 1e-7) for every
hidden activation x valid (output activation, loss) pair, 1 to 4 hidden layers
(and none), batches of 1 and 16, with and without L2."""
from __future__ import annotations

import numpy as np
import pytest

from engine_testkit import PAIRS, checkable_case, random_model
from mlp_engine import ACTIVATIONS, MLP, GradCheckStopped, gradient_check, make_trainer, relative_error
from mlp_engine.state import encode

THRESHOLD = 1e-7
WIDTH = 3  # tiny widths keep 400 checks fast; depth and pairing are what is tested


@pytest.mark.parametrize("l2", [0.0, 0.03], ids=["no-l2", "l2"])
@pytest.mark.parametrize("m", [1, 16], ids=["m1", "m16"])
@pytest.mark.parametrize("depth", [0, 1, 2, 3, 4], ids=lambda d: f"hidden{d}")
@pytest.mark.parametrize("out, loss", PAIRS, ids=[f"{o}+{l}" for o, l in PAIRS])
@pytest.mark.parametrize("act", list(ACTIVATIONS))
def test_gradient_check_passes(act: str, out: str, loss: str, depth: int, m: int, l2: float) -> None:
    d_out = 3 if out == "softmax" else 2
    layers = [3] + [WIDTH] * depth + [d_out]
    model, X, y = checkable_case(layers, act, out, loss, m, l2, seed=depth + 7 * m)
    result = gradient_check(model, X, y, eps=1e-5)
    assert result.max_rel_error < THRESHOLD, result.layers
    assert result.passed == (result.max_rel_error < result.tolerance)
    assert len(result.layers) == model.n_layers


def test_gradient_check_catches_a_wrong_gradient(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check must fail when backprop is wrong: break db of one layer."""
    model = random_model([3, 4, 2], "tanh", "linear", "mse", seed=1)
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    good = gradient_check(model, X, y)
    original = MLP._backward

    def broken(self, cache, y, out=None, ws=None):
        grads = original(self, cache, y, out, ws)
        grads.db[0] *= 1.01
        return grads
    monkeypatch.setattr(MLP, "_backward", broken)
    bad = gradient_check(model, X, y)
    assert good.passed and not bad.passed
    assert bad.layers[0].b_rel_error > 1e-3 and bad.layers[1].b_rel_error < THRESHOLD


def test_gradient_check_of_a_float32_model_runs_in_float64_and_leaves_it_alone() -> None:
    model = random_model([2, 4, 1], "sigmoid", "sigmoid", "binary_cross_entropy", seed=3, dtype="float32")
    before = model.params.flat.copy()
    rng = np.random.default_rng(1)
    result = gradient_check(model, rng.standard_normal((8, 2)), (rng.random((8, 1)) > 0.5).astype(float))
    assert result.passed and result.max_rel_error < 1e-6
    np.testing.assert_array_equal(model.params.flat, before)
    assert model.params.flat.dtype == np.float32


def test_gradient_check_on_a_trainer_model_and_relative_error_definition() -> None:
    trainer = make_trainer({"dataset": {"name": "spiral", "n_samples": 40}, "seed": 2,
                            "model": {"layers": [2, 5, 5, 1], "activation": "tanh"}})
    trainer.run_epochs(2)
    result = gradient_check(trainer.model, trainer.X[:10], trainer.y[:10])
    assert result.passed
    a, n = np.array([1.0, 2.0]), np.array([1.0, 2.5])
    assert relative_error(a, n) == pytest.approx(0.5 / (np.sqrt(5) + np.sqrt(7.25)))
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0


def test_a_stopped_gradient_check_leaves_the_model_bit_for_bit_and_asks_before_each_parameter() -> None:
    trainer = make_trainer({"dataset": {"name": "moons", "n_samples": 60}, "seed": 4,
                            "model": {"layers": [2, 4, 1], "activation": "tanh"},
                            "optimizer": {"name": "adam", "batch_size": 7}})
    trainer.run_epochs(2)
    trainer.step()  # mid-epoch, with a last step kept
    model = trainer.model
    before_params, before_state = model.params.flat.tobytes(), repr(encode(trainer.state_dict()))
    asked = []

    def keep_going() -> bool:
        asked.append(1)
        return len(asked) <= 5

    with pytest.raises(GradCheckStopped) as stopped:
        gradient_check(model, trainer.X[:10], trainer.y[:10], keep_going=keep_going)
    assert (stopped.value.done, stopped.value.of) == (5, model.n_params) and len(asked) == 6
    assert model.params.flat.tobytes() == before_params
    assert repr(encode(trainer.state_dict())) == before_state
    # Never stopped, it is the same check as without the question, asked once per parameter.
    asked.clear()
    whole = gradient_check(model, trainer.X[:10], trainer.y[:10], keep_going=lambda: asked.append(1) or True)
    plain = gradient_check(model, trainer.X[:10], trainer.y[:10])
    assert len(asked) == model.n_params and whole.passed
    np.testing.assert_array_equal(whole.numeric.flat, plain.numeric.flat)
    assert model.params.flat.tobytes() == before_params


@pytest.mark.parametrize("eps", [0, -1e-5, 1.5, "x"])
def test_gradient_check_rejects_a_bad_eps(eps) -> None:
    model = random_model([2, 2, 1], "relu", "linear", "mse")
    with pytest.raises(ValueError, match="eps"):
        gradient_check(model, np.ones((1, 2)), np.ones((1, 1)), eps=eps)
