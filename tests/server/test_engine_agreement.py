"""Random configurations: the API's answers equal the engine's own computation
(bit for bit: the engine runs in-process from the session's resolved config),
and ``/gradcheck`` passes."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from mlp_engine import ACTIVATIONS, INITIALIZERS, OPTIMIZERS, VALID_PAIRS, make_trainer

SMOOTH = ["sigmoid", "tanh", "linear"]


def random_config(seed: int, activations: list[str] | None = None) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    d_in, d_out = int(rng.integers(1, 5)), int(rng.integers(1, 4))
    hidden = [int(h) for h in rng.integers(1, 7, size=rng.integers(0, 3))]
    out = str(rng.choice(list(VALID_PAIRS)))
    loss = str(rng.choice(VALID_PAIRS[out]))
    m = int(rng.integers(5, 21))
    X = rng.normal(size=(m, d_in))
    if out == "softmax":
        d_out = max(d_out, 2)
        y = np.eye(d_out)[rng.integers(0, d_out, m)]
    elif out == "sigmoid":
        binary = loss == "binary_cross_entropy"
        y = rng.integers(0, 2, (m, d_out)).astype(float) if binary else rng.uniform(size=(m, d_out))
    else:
        y = rng.normal(size=(m, d_out))
    return {
        "dataset": {"name": "inline", "X": X.tolist(), "y": y.tolist(),
                    "test_fraction": float(rng.choice([0.0, 0.25])),
                    "task": "classification" if out != "linear" else "regression"},
        "model": {"layers": [d_in, *hidden, d_out], "activation": str(rng.choice(activations or list(ACTIVATIONS))),
                  "output_activation": out, "loss": loss,
                  "init": str(rng.choice([i for i in INITIALIZERS if i != "zeros"]))},
        "optimizer": {"name": str(rng.choice(list(OPTIMIZERS))), "learning_rate": float(rng.uniform(0.001, 0.5)),
                      "batch_size": int(rng.integers(1, m + 1)), "l2": float(rng.choice([0.0, 0.01])),
                      "shuffle": bool(rng.integers(0, 2))},
        "seed": int(rng.integers(0, 2**31)),
    }


def same(api: Any, engine: np.ndarray) -> bool:
    return np.array_equal(np.asarray(api, dtype=float), np.asarray(engine, dtype=float))


@pytest.mark.parametrize("seed", range(12))
def test_trace_equals_the_engine(client, new_session, seed):
    state = new_session(random_config(seed))
    sid = state["id"]
    engine = make_trainer(state["config"])
    assert all(same(p["W"], W) and same(p["b"], b) for p, W, b in zip(state["params"], engine.model.W, engine.model.b))
    moves = [{}, {}, {"indices": [0, 1]}, {"apply": False}, {}, {"indices": [2]}]
    for move in moves:
        t = client.post(f"/api/sessions/{sid}/backward", json=move).json()
        r = engine.step(move.get("indices"), move.get("apply", True))
        assert t["step"] == r.step and t["indices"] == r.indices.tolist() and t["loss"] == r.loss
        assert same(t["X"], r.X) and same(t["y"], r.y)
        for l in range(engine.model.n_layers):
            assert same(t["forward"][l]["z"], r.cache.z[l]) and same(t["forward"][l]["a"], r.cache.a[l])
            b = t["backward"][l]
            assert same(b["delta"], r.grads.delta[l]) and same(b["dW"], r.grads.dW[l]) and same(b["db"], r.grads.db[l])
            assert b["grad_norm"] == r.grads.grad_norm[l]
            assert same(t["params"][l]["W"], engine.model.W[l]) and same(t["params"][l]["b"], engine.model.b[l])
        assert t["epoch"] == engine.epoch and t["position"] == engine.position
    e = client.post(f"/api/sessions/{sid}/epochs", json={"count": 2}).json()
    records = engine.run_epochs(2)
    assert e["train_loss"] == [rec.train_loss for rec in records]
    assert e["test_loss"] == [rec.test_loss for rec in records]
    assert all(same(p["W"], W) for p, W in zip(e["params"], engine.model.W))


@pytest.mark.parametrize("seed", range(12))
def test_gradcheck_passes(client, new_session, seed):
    # Smooth activations only: at a ReLU kink (z exactly 0, e.g. a dead layer
    # with zero biases) central differences see slope 1/2 and rightly disagree.
    config = random_config(seed, SMOOTH)
    state = new_session(config)
    sid, last = state["id"], state["n_train"] - 1
    g = client.post(f"/api/sessions/{sid}/gradcheck", json={}).json()
    assert g["passed"] is True, g
    assert g["max_rel_error"] < 1e-6 and len(g["layers"]) == len(config["model"]["layers"]) - 1
    g = client.post(f"/api/sessions/{sid}/gradcheck", json={"indices": [last, 0, last], "eps": 1e-6}).json()
    assert g["passed"] is True and g["indices"] == [last, 0, last] and g["eps"] == 1e-6


def test_gradcheck_passes_on_the_worked_example(client, new_session, worked_config):
    sid = new_session(worked_config)["id"]
    g = client.post(f"/api/sessions/{sid}/gradcheck").json()
    assert g["passed"] is True and g["indices"] == [0] and g["finite"] is True


def test_gradcheck_catches_a_wrong_gradient(client, new_session, monkeypatch):
    """The check can fail: with the analytic dW[0] doubled it reports a large error."""
    from mlp_engine import MLP

    right = MLP.backward

    def wrong(self, cache, y):
        grads = right(self, cache, y)
        grads.dW[0] *= 2
        return grads

    monkeypatch.setattr(MLP, "backward", wrong)
    sid = new_session({"model": {"activation": "tanh"}})["id"]
    g = client.post(f"/api/sessions/{sid}/gradcheck").json()
    assert g["passed"] is False and g["layers"][0]["W_rel_error"] > 0.1 and g["layers"][1]["W_rel_error"] < 1e-6
