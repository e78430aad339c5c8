"""Hypothesis on the engine: random architectures, batches and values.

* forward and backward give every array its documented shape, whatever the sizes;
* on tiny random nets with smooth activations, backprop agrees with central
  differences (cases near a vanishing gradient are skipped with ``assume``:
  there the numeric derivative is round-off);
* a trainer's state survives ``state_dict`` -> JSON -> ``from_state`` bit for bit,
  and the restored trainer continues exactly as the original.
"""
from __future__ import annotations

import json

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from mlp_engine import ACTIVATIONS, MLP, OPTIMIZERS, VALID_PAIRS, Trainer, gradient_check, make_trainer

PAIRS = [(out, loss) for out, losses in VALID_PAIRS.items() for loss in losses]
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def nets(draw: st.DrawFn, activations: list[str] = list(ACTIVATIONS), max_width: int = 7) -> tuple:
    """``(model, X, y)``: random layers, activation, output/loss pair, weights, batch and targets."""
    layers = draw(st.lists(st.integers(1, max_width), min_size=2, max_size=5))
    out, loss = draw(st.sampled_from(PAIRS))
    if out == "softmax":
        layers[-1] = max(layers[-1], 2)
    activation = draw(st.sampled_from(activations))
    seed = draw(st.integers(0, 2**32 - 1))
    m = draw(st.integers(1, 9))
    scale = draw(st.floats(0.1, 3.0))
    rng = np.random.default_rng(seed)
    W = [rng.normal(0.0, scale / np.sqrt(i), (o, i)) for i, o in zip(layers[:-1], layers[1:])]
    b = [rng.normal(0.0, 0.5, o) for o in layers[1:]]
    X = rng.uniform(-3, 3, (m, layers[0]))
    k = layers[-1]
    y = (np.eye(k)[rng.integers(0, k, m)] if out == "softmax"
         else rng.uniform(0, 1, (m, k)) if out == "sigmoid" else rng.normal(0, 2, (m, k)))
    return MLP(layers, activation, out, loss, weights=W, biases=b), X, y


@SETTINGS
@given(nets())
def test_forward_and_backward_shapes(case):
    model, X, y = case
    m, layers = X.shape[0], model.layers
    cache = model.forward(X)
    assert [z.shape for z in cache.z] == [(m, n) for n in layers[1:]]
    assert [a.shape for a in cache.a] == [(m, n) for n in layers[1:]]
    grads = model.backward(cache, y)
    assert [d.shape for d in grads.delta] == [(m, n) for n in layers[1:]]
    assert [g.shape for g in grads.dW] == [w.shape for w in model.W] == list(zip(layers[1:], layers[:-1]))
    assert [g.shape for g in grads.db] == [v.shape for v in model.b] == [(n,) for n in layers[1:]]
    assert len(grads.grad_norm) == model.n_layers
    assert np.isfinite(grads.loss) and all(np.isfinite(g).all() for g in grads.dW + grads.db)


@SETTINGS
@given(nets(activations=["tanh", "sigmoid", "linear"], max_width=4))
def test_backprop_agrees_with_central_differences(case):
    model, X, y = case
    grads = model.backward(model.forward(X), y)
    # A vanishing gradient is all round-off for central differences: not a meaningful check.
    assume(min(float(np.linalg.norm(g)) for g in grads.dW + grads.db) > 1e-4)
    result = gradient_check(model, X, y, 1e-5)
    assert result.passed, result


configs = st.fixed_dictionaries({
    "dataset": st.fixed_dictionaries({"name": st.sampled_from(["xor", "moons", "circles", "sine"]),
                                      "n_samples": st.integers(8, 60), "seed": st.integers(0, 1000)}),
    "model": st.fixed_dictionaries({"activation": st.sampled_from(list(ACTIVATIONS))}),
    "optimizer": st.fixed_dictionaries({"name": st.sampled_from(list(OPTIMIZERS)),
                                        "batch_size": st.integers(1, 16),
                                        "learning_rate": st.floats(1e-4, 10.0)}),
    "seed": st.integers(0, 1000),
})


@SETTINGS
@given(configs, st.integers(0, 3), st.integers(0, 5))
def test_state_round_trip_is_exact_and_continues_identically(config, epochs, steps):
    trainer = make_trainer(config)
    if epochs:
        trainer.run_epochs(epochs)
    for _ in range(steps):
        trainer.step()
    state = trainer.state_dict()
    restored = Trainer.from_state(json.loads(json.dumps(state)))
    assert restored.state_dict() == state
    trainer.run_epochs(1)
    restored.run_epochs(1)
    for a, b in zip([*trainer.model.W, *trainer.model.b], [*restored.model.W, *restored.model.b]):
        assert np.array_equal(a, b, equal_nan=True)
    # Compared as JSON text, where NaN equals NaN (a diverged run must restore exactly too).
    assert json.dumps(trainer.history.as_dict()) == json.dumps(restored.history.as_dict())
