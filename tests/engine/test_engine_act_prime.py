"""The backward trace's ``act_prime``: the ``act'(z[l])`` backprop multiplied by,
checked against the registry's derivatives, the scalar autodiff and central
differences, for every hidden activation; and the registries' formula strings."""
from __future__ import annotations

import numpy as np
import pytest
from engine_testkit import random_model
from scalar_autodiff import HIDDEN, Value

from mlp_engine import ACTIVATIONS, LOSSES, OUTPUT_ACTIVATIONS, VALID_PAIRS, make_trainer
from mlp_engine.activations import LEAKY_SLOPE

LAYERS = [3, 5, 4, 2]


def _trace(activation: str, m: int = 6):
    model = random_model(LAYERS, activation, "linear", "mse", seed=3)
    rng = np.random.default_rng(4)
    X, y = rng.standard_normal((m, 3)), rng.standard_normal((m, 2))
    cache = model.forward(X)
    return model, cache, model.backward(cache, y)


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_act_prime_is_the_registry_derivative_at_every_hidden_layer(activation: str) -> None:
    model, cache, grads = _trace(activation)
    assert len(grads.act_prime) == model.n_layers and grads.act_prime[-1] is None
    act = ACTIVATIONS[activation]
    for l in range(model.n_layers - 1):
        fp = grads.act_prime[l]
        assert fp.shape == cache.z[l].shape == (6, LAYERS[l + 1])
        np.testing.assert_array_equal(fp, act.df(cache.z[l], cache.a[l]))


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_act_prime_is_the_factor_the_deltas_were_multiplied_by(activation: str) -> None:
    model, _, grads = _trace(activation)
    for l in range(model.n_layers - 1):
        back = grads.delta[l + 1] @ model.W[l + 1]
        np.testing.assert_array_equal(grads.delta[l], back * grads.act_prime[l])


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_act_prime_agrees_with_scalar_autodiff_and_central_differences(activation: str) -> None:
    model, cache, grads = _trace(activation)
    f = ACTIVATIONS[activation].f
    h = 1e-6
    for l in range(model.n_layers - 1):
        z = cache.z[l]
        assert np.abs(z).min() > 1e-3  # away from the kinks, where a difference straddles a jump
        oracle = np.empty_like(z)
        for idx in np.ndindex(z.shape):
            v = Value(float(z[idx]))
            HIDDEN[activation](v).backward()
            oracle[idx] = v.grad
        np.testing.assert_allclose(grads.act_prime[l], oracle, rtol=0, atol=1e-12)
        numeric = (f(z + h) - f(z - h)) / (2 * h)
        np.testing.assert_allclose(grads.act_prime[l], numeric, rtol=0, atol=1e-8)


def test_a_trainer_step_carries_act_prime_of_its_own() -> None:
    """The trace's act_prime survives later steps (it is not a reused buffer)."""
    t = make_trainer({"dataset": {"name": "moons"}, "model": {"activation": "tanh"}, "seed": 1})
    first = t.step()
    kept = [None if a is None else a.copy() for a in first.grads.act_prime]
    t.step()
    t.run_epochs(2)
    for a, b in zip(first.grads.act_prime, kept):
        assert (a is None and b is None) or np.array_equal(a, b)
    assert first.grads.act_prime[-1] is None and all(a is not None for a in first.grads.act_prime[:-1])


def test_derivative_strings_state_the_value_at_the_kink_as_computed() -> None:
    z0, a0 = np.zeros((1, 1)), np.zeros((1, 1))
    assert ACTIVATIONS["relu"].derivative == "1 if z > 0 else 0"
    assert float(ACTIVATIONS["relu"].df(z0, a0)[0, 0]) == 0.0
    assert ACTIVATIONS["leaky_relu"].derivative == f"1 if z > 0 else {LEAKY_SLOPE}"
    assert float(ACTIVATIONS["leaky_relu"].df(z0, a0)[0, 0]) == LEAKY_SLOPE
    for act in {**ACTIVATIONS, **OUTPUT_ACTIVATIONS}.values():
        assert act.formula and act.derivative


def test_every_loss_states_its_delta_for_exactly_the_outputs_it_pairs_with() -> None:
    for name, loss in LOSSES.items():
        pairs = {out for out, losses in VALID_PAIRS.items() if name in losses}
        assert set(loss.delta_formula) == pairs, name
        assert loss.formula.startswith(("1/m ", "-1/m ")), loss.formula  # the batch mean
        assert all(d.endswith("/ m") for d in loss.delta_formula.values())


@pytest.mark.parametrize("out,loss", [(o, ls) for o, losses in VALID_PAIRS.items() for ls in losses])
def test_the_stated_output_delta_is_the_one_computed(out: str, loss: str) -> None:
    rng = np.random.default_rng(0)
    m, k = 5, 3
    z = rng.standard_normal((m, k))
    a = OUTPUT_ACTIVATIONS[out].f(z)
    y = np.eye(k)[rng.integers(0, k, m)] if out == "softmax" else rng.uniform(0, 1, (m, k))
    _, delta = LOSSES[loss].value_and_delta(z, a, y, OUTPUT_ACTIVATIONS[out])
    # The strings in plain NumPy: yhat and p are the output a.
    stated = {"(yhat - y) / m": (a - y) / m, "(p - y) / m": (a - y) / m,
              "(yhat - y) yhat (1 - yhat) / m": (a - y) * a * (1 - a) / m}
    np.testing.assert_allclose(delta, stated[LOSSES[loss].delta_formula[out]], rtol=1e-13, atol=1e-15)
