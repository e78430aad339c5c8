"""``/neurons`` and ``/distributions`` against computations written here: a forward
pass of the exported parameters over the plane, and ``np.percentile`` of the exported
weights (and of a backward pass written here for ``dW`` and ``a``)."""
from __future__ import annotations

import numpy as np
import pytest

PERCENTILES = [0, 6.68, 15.87, 30.85, 50, 69.15, 84.13, 93.32, 100]


def exported(client, sid: str) -> dict:
    return client.get(f"/api/sessions/{sid}/export").json()


def decode(arr: dict) -> np.ndarray:
    return np.array([float(x) for x in arr["data"]], dtype=np.float64).reshape(arr["shape"])


def weights(doc: dict) -> tuple[list[np.ndarray], list[np.ndarray]]:
    p = doc["state"]["params"]
    return [decode(w) for w in p["W"]], [decode(b) for b in p["b"]]


def tanh_sigmoid_forward(X: np.ndarray, W: list[np.ndarray], b: list[np.ndarray]) -> list[np.ndarray]:
    """tanh hidden layers, a sigmoid output: every layer's ``a``, ``(m, layers[l+1])``."""
    out, a = [], X
    for l, (w, v) in enumerate(zip(W, b)):
        z = a @ w.T + v
        a = 1 / (1 + np.exp(-z)) if l == len(W) - 1 else np.tanh(z)
        out.append(a)
    return out


def test_neurons_are_a_forward_pass_over_the_raw_plane_through_the_features(client, new_session):
    s = new_session({"dataset": {"name": "circles", "n_samples": 120, "features": ["x1", "x2", "x1*x2", "sin(x1)"]},
                     "model": {"layers": [4, 3, 2, 1], "activation": "tanh"}, "seed": 5})
    sid = s["id"]
    client.post(f"/api/sessions/{sid}/epochs", json={"count": 3})
    r = client.get(f"/api/sessions/{sid}/neurons", params={"resolution": 7})
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["finite"] is True and len(got["x"]) == 7 and len(got["y"]) == 7
    # The plane is the boundary's: the same axes.
    b = client.get(f"/api/sessions/{sid}/boundary", params={"resolution": 7}).json()
    assert np.allclose(got["x"], b["x"]) and np.allclose(got["y"], b["y"])
    W, bias = weights(exported(client, sid))
    x, y = np.asarray(got["x"]), np.asarray(got["y"])
    pts = np.array([(x[j], y[i]) for i in range(7) for j in range(7)])
    feats = np.column_stack([pts[:, 0], pts[:, 1], pts[:, 0] * pts[:, 1], np.sin(pts[:, 0])])
    mine = tanh_sigmoid_forward(feats, W, bias)
    assert [len(layer["a"]) for layer in got["layers"]] == [3, 2, 1]
    for l, layer in enumerate(got["layers"]):
        for n, grid in enumerate(layer["a"]):
            assert np.asarray(grid).shape == (7, 7)
            assert np.allclose(np.asarray(grid).ravel(), mine[l][:, n], atol=1e-12, rtol=1e-12), (l, n)
    # The output neuron's picture is the decision boundary.
    assert np.allclose(got["layers"][-1]["a"][0], b["z"], atol=1e-12)


def test_neurons_bounds_and_data_that_is_not_2d(client, new_session):
    sid = new_session({"dataset": {"name": "xor", "n_samples": 40}})["id"]
    for bad in (1, 101, "x"):
        r = client.get(f"/api/sessions/{sid}/neurons", params={"resolution": bad})
        assert r.status_code == 422 and "resolution" in r.text
    assert len(client.get(f"/api/sessions/{sid}/neurons").json()["x"]) == 24
    assert len(client.get(f"/api/sessions/{sid}/neurons", params={"resolution": 2}).json()["x"]) == 2
    sine = new_session({"dataset": {"name": "sine", "n_samples": 40}})["id"]
    r = client.get(f"/api/sessions/{sine}/neurons")
    assert r.status_code == 422 and "sine" in r.json()["detail"]
    digits = new_session({"dataset": {"name": "digits"}})["id"]
    r = client.get(f"/api/sessions/{digits}/neurons")
    assert r.status_code == 422 and "digits" in r.json()["detail"]
    assert client.get("/api/sessions/nope/neurons").status_code == 404


def test_distributions_are_the_percentiles_of_the_exported_weights_and_a_backward_pass(client, new_session):
    # One full batch per epoch: the epoch's last step is over the whole training set,
    # taken with the parameters the previous epoch left.
    cfg = {"dataset": {"name": "moons", "n_samples": 60, "test_fraction": 0.25},
           "model": {"layers": [2, 5, 1], "activation": "tanh", "output_activation": "sigmoid",
                     "loss": "binary_cross_entropy"},
           "optimizer": {"name": "sgd", "learning_rate": 0.3, "batch_size": 1000, "l2": 0.01}, "seed": 2}
    sid = new_session(cfg)["id"]
    empty = client.get(f"/api/sessions/{sid}/distributions").json()
    assert empty["percentiles"] == PERCENTILES and empty["epochs"] == [] and len(empty["layers"]) == 2
    client.post(f"/api/sessions/{sid}/epochs", json={"count": 2})
    W1, b1 = weights(exported(client, sid))
    client.post(f"/api/sessions/{sid}/epochs", json={"count": 1})
    W2, _ = weights(exported(client, sid))
    d = client.get(f"/api/sessions/{sid}/distributions").json()
    assert d["epochs"] == [1, 2, 3] and d["finite"] is True
    data = client.get(f"/api/sessions/{sid}/data").json()["train"]
    X, y = np.asarray(data["X"]), np.asarray(data["y"])
    acts = tanh_sigmoid_forward(X, W1, b1)
    m = X.shape[0]
    delta = (acts[-1] - y) / m  # sigmoid with binary cross-entropy
    dW = [None, None]
    dW[1] = delta.T @ acts[0] + 0.01 * W1[1]
    delta0 = (delta @ W1[1]) * (1 - acts[0] ** 2)
    dW[0] = delta0.T @ X + 0.01 * W1[0]
    for l in range(2):
        layer = d["layers"][l]
        assert np.allclose(layer["W"][1], np.percentile(W1[l], PERCENTILES), atol=1e-12)
        assert np.allclose(layer["W"][2], np.percentile(W2[l], PERCENTILES), atol=1e-12)
        assert np.allclose(layer["dW"][2], np.percentile(dW[l], PERCENTILES), atol=1e-12)
        assert np.allclose(layer["a"][2], np.percentile(acts[l], PERCENTILES), atol=1e-12)


def test_distributions_survive_export_import_and_undo(client, new_session):
    sid = new_session({"dataset": {"name": "xor", "n_samples": 40}, "seed": 3})["id"]
    client.post(f"/api/sessions/{sid}/epochs", json={"count": 4})
    before = client.get(f"/api/sessions/{sid}/distributions").json()
    client.post(f"/api/sessions/{sid}/epochs", json={"count": 2})
    assert client.get(f"/api/sessions/{sid}/distributions").json()["epochs"] == [1, 2, 3, 4, 5, 6]
    assert client.post(f"/api/sessions/{sid}/undo", json={}).status_code == 200
    assert client.get(f"/api/sessions/{sid}/distributions").json() == before
    doc = exported(client, sid)
    r = client.post("/api/sessions/import", json=doc)
    assert r.status_code == 201, r.text
    assert client.get(f"/api/sessions/{r.json()['id']}/distributions").json() == before
    # The saved state's check covers the new field.
    bad = exported(client, sid)
    bad["state"]["distributions"]["epochs"] = [1, 1, 2, 3]
    r = client.post("/api/sessions/import", json=bad)
    assert r.status_code == 422 and "state.distributions.epochs[1]" in r.text
    bad = exported(client, sid)
    bad["state"]["distributions"]["layers"][0]["dW"][0] = [0.0] * 8
    r = client.post("/api/sessions/import", json=bad)
    assert r.status_code == 422 and "state.distributions.layers[0].dW[0]" in r.text
    old = exported(client, sid)
    del old["state"]["distributions"]  # a state saved before the record existed
    r = client.post("/api/sessions/import", json=old)
    assert r.status_code == 201 and client.get(f"/api/sessions/{r.json()['id']}/distributions").json()["epochs"] == []


def test_the_chain_rule_of_the_worked_example(client, new_session, worked_config):
    sid = new_session(worked_config)["id"]
    r = client.get(f"/api/sessions/{sid}/chain", params={"layer": 0, "out": 1, "in": 0})
    assert r.status_code == 409 and "Step" in r.json()["detail"]
    client.post(f"/api/sessions/{sid}/backward", json={})
    c = client.get(f"/api/sessions/{sid}/chain", params={"layer": 0, "out": 1, "in": 0}).json()
    assert np.isclose(c["dW"], -0.054) and c["m"] == 1 and c["l2_term"] is None
    assert [(t["delta"], t["a"]) for t in c["terms"]] == [(c["dW"], 1.0)]
    d = c["deltas"][0]
    assert d["kind"] == "hidden" and np.isclose(d["value"], -0.054) and d["act_prime"] == 1.0
    assert len(d["terms"]) == 1 and np.isclose(d["terms"][0]["delta"], -0.09) and d["terms"][0]["W"] == 0.6
    out = client.get(f"/api/sessions/{sid}/chain", params={"layer": 1, "out": 0, "in": 1}).json()
    assert np.isclose(out["dW"], -0.099) and out["deltas"][0]["kind"] == "output"
    assert np.isclose(out["deltas"][0]["yhat"], 0.91) and out["deltas"][0]["y"] == 1.0
    g = c["graph"]
    assert {n["id"] for n in g["nodes"]} == {"x0", "x1", "z0_0", "z0_1", "a0_0", "a0_1", "z1_0", "loss"}
    link = next(e for e in g["edges"] if e["weight"] == [0, 1, 0])
    assert (link["from"], link["to"], link["local"]) == ("x0", "z0_1", 0.3)
    z = next(n for n in g["nodes"] if n["id"] == "z0_1")
    assert np.isclose(z["value"], 1.1) and np.isclose(z["grad"], -0.054)
    for bad in ({"layer": 2, "out": 0, "in": 0}, {"layer": 0, "out": 2, "in": 0}, {"layer": 0, "out": 0, "in": 5}):
        r = client.get(f"/api/sessions/{sid}/chain", params=bad)
        assert r.status_code == 422, bad
    client.post(f"/api/sessions/{sid}/epochs", json={"count": 1})
    assert client.get(f"/api/sessions/{sid}/chain", params={"layer": 0, "out": 1, "in": 0}).status_code == 409


def test_the_chain_rule_sums_every_term_of_a_batch_with_l2(client, new_session):
    sid = new_session({"dataset": {"name": "xor", "n_samples": 40}, "model": {"layers": [2, 3, 1]},
                       "optimizer": {"batch_size": 8, "l2": 0.1}, "seed": 4})["id"]
    trace = client.post(f"/api/sessions/{sid}/backward", json={"apply": False}).json()
    c = client.get(f"/api/sessions/{sid}/chain", params={"layer": 0, "out": 2, "in": 1}).json()
    assert c["m"] == 8 and len(c["terms"]) == 8 and c["folded"] is None
    X, delta = np.asarray(trace["X"]), np.asarray(trace["backward"][0]["delta"])
    W = np.asarray(trace["params"][0]["W"])  # apply: false, so the weights the pass used
    assert np.allclose([t["product"] for t in c["terms"]], delta[:, 2] * X[:, 1])
    assert np.isclose(c["l2_term"], 0.1 * W[2, 1])
    assert np.isclose(c["sum"] + c["l2_term"], c["dW"]) and np.isclose(c["dW"], trace["backward"][0]["dW"][2][1])


def test_a_step_too_large_to_keep_is_refused_by_the_chain_rule_with_the_reason(client, new_session, monkeypatch):
    import server.sessions
    monkeypatch.setattr(server.sessions, "LAST_STEP_MAX_ELEMENTS", 50)
    sid = new_session({"dataset": {"name": "xor", "n_samples": 40}, "optimizer": {"batch_size": 32}})["id"]
    client.post(f"/api/sessions/{sid}/backward", json={})
    r = client.get(f"/api/sessions/{sid}/chain", params={"layer": 0, "out": 0, "in": 0})
    assert r.status_code == 409 and "batch_size" in r.json()["detail"]


def test_the_chain_rule_with_l1_and_l2_adds_both_penalty_terms(client, new_session):
    sid = new_session({"dataset": {"name": "xor", "n_samples": 40},
                       "model": {"layers": [2, 3, 1], "weights": [[[0.5, -0.2], [-0.3, 0.8], [0.0, 0.4]],
                                                                  [[0.7, -0.4, 0.6]]]},
                       "optimizer": {"batch_size": 8, "l1": 0.05, "l2": 0.1}, "seed": 4})["id"]
    trace = client.post(f"/api/sessions/{sid}/backward", json={"apply": False}).json()
    X, delta = np.asarray(trace["X"]), np.asarray(trace["backward"][0]["delta"])
    W = np.asarray(trace["params"][0]["W"])
    for i, j in ((2, 1), (2, 0), (1, 0)):
        c = client.get(f"/api/sessions/{sid}/chain", params={"layer": 0, "out": i, "in": j}).json()
        assert np.allclose([t["product"] for t in c["terms"]], delta[:, i] * X[:, j])
        sign = 1.0 if W[i, j] > 0 else (-1.0 if W[i, j] < 0 else 0.0)  # sign(0) = 0
        assert c["l1"] == 0.05 and c["sign"] == sign and np.isclose(c["l1_term"], 0.05 * sign)
        assert np.isclose(c["l2_term"], 0.1 * W[i, j])
        assert np.isclose((delta[:, i] * X[:, j]).sum() + 0.1 * W[i, j] + 0.05 * sign, c["dW"])
        assert np.isclose(c["dW"], trace["backward"][0]["dW"][i][j])
    assert c["l1_term"] is not None
    plain = new_session({"dataset": {"name": "xor"}})["id"]
    client.post(f"/api/sessions/{plain}/backward", json={})
    c = client.get(f"/api/sessions/{plain}/chain", params={"layer": 0, "out": 0, "in": 0}).json()
    assert c["l1"] == 0.0 and c["l1_term"] is None


@pytest.mark.parametrize("model", [{"residual": True}, {"dropout": 0.3}, {"batch_norm": True},
                                   {"residual": True, "dropout": 0.3, "batch_norm": True}])
def test_the_chain_rule_shows_every_remedy_and_adds_up_to_the_traces_dw(client, new_session, model):
    # The terms' own check against an independent backward pass is tests/engine/test_engine_chain_remedies.py;
    # here: the route answers them, for a weight in every layer, and they add up to the Step's dW.
    sid = new_session({"dataset": {"name": "xor"}, "model": {"layers": [2, 4, 4, 1], **model},
                       "optimizer": {"batch_size": 8, "l1": 0.01}})["id"]
    trace = client.post(f"/api/sessions/{sid}/backward", json={}).json()
    for layer, out, into in ((0, 1, 0), (1, 2, 3), (2, 0, 1)):
        r = client.get(f"/api/sessions/{sid}/chain", params={"layer": layer, "out": out, "in": into})
        assert r.status_code == 200, r.text
        c = r.json()
        shown = sum(t["product"] for t in c["terms"]) + (c["l2_term"] or 0.0) + (c["l1_term"] or 0.0)
        assert abs(shown - trace["backward"][layer]["dW"][out][into]) < 1e-12
        hidden = layer < 2
        assert c["remedies"]["batch_norm"] == bool(hidden and model.get("batch_norm"))
        assert c["remedies"]["skip_in"] == bool(layer == 0 and model.get("residual"))
        if c["remedies"]["batch_norm"]:
            assert c["batch_norm"]["dgamma"] == pytest.approx(trace["backward"][layer]["dgamma"][out], abs=1e-15)
            assert all(set(d["batch_norm"]) >= {"direct", "mean_term", "var_term"} for d in c["deltas"])
        if hidden and model.get("dropout"):
            assert all(d["mask_factor"] in (0.0, pytest.approx(1 / 0.7)) for d in c["deltas"])
    graph = client.get(f"/api/sessions/{sid}/chain", params={"layer": 0, "out": 0, "in": 0}).json()["graph"]
    kinds = {e["kind"] for e in graph["edges"]}
    assert ("skip" in kinds) == bool(model.get("residual"))
    assert ("dropout" in kinds) == bool(model.get("dropout"))
    assert ("batch_norm" in kinds) == bool(model.get("batch_norm"))
