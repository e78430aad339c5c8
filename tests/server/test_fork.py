"""POST /api/sessions/{id}/fork: a counterfactual run with the same data, seed, minibatch
order and (where the shapes agree) initial weights."""
from __future__ import annotations

import numpy as np
import pytest

XOR = {"dataset": {"name": "xor", "n_samples": 120}, "model": {"layers": [2, 6, 5, 1]},
       "optimizer": {"name": "sgd", "learning_rate": 0.1, "batch_size": 16}, "seed": 7}


def post(client, path, body=None, status=200):
    r = client.post(path, json=body)
    assert r.status_code == status, r.text
    return r.json()


def fork(client, sid, overrides=None, status=201):
    return post(client, f"/api/sessions/{sid}/fork", {"overrides": overrides or {}}, status)


def params(state):
    return [(np.array(p["W"]), np.array(p["b"])) for p in state["params"]]


def test_identity_fork_equals_the_reset_original_number_for_number(client, new_session):
    a = new_session(XOR)
    post(client, f"/api/sessions/{a['id']}/epochs", {"count": 3})  # the original has moved on
    b = fork(client, a["id"])
    assert b["id"] != a["id"] and b["epoch"] == 0 and b["step"] == 0
    assert b["config"] == a["config"]
    reset = post(client, f"/api/sessions/{a['id']}/reset")
    for (Wa, ba), (Wb, bb) in zip(params(reset), params(b)):
        assert np.array_equal(Wa, Wb) and np.array_equal(ba, bb)
    ea = post(client, f"/api/sessions/{a['id']}/epochs", {"count": 5})
    eb = post(client, f"/api/sessions/{b['id']}/epochs", {"count": 5})
    assert ea["train_loss"] == eb["train_loss"] and ea["test_loss"] == eb["test_loss"]
    assert ea["grad_norms"] == eb["grad_norms"] and ea["params"] == eb["params"]
    ta = post(client, f"/api/sessions/{a['id']}/backward")
    tb = post(client, f"/api/sessions/{b['id']}/backward")
    assert ta["indices"] == tb["indices"] and ta["loss"] == tb["loss"] and ta["backward"] == tb["backward"]


def test_a_learning_rate_override_keeps_the_initial_weights_and_the_order(client, new_session):
    a = new_session(XOR)
    b = fork(client, a["id"], {"optimizer": {"learning_rate": 0.5}})
    assert b["config"]["optimizer"]["learning_rate"] == 0.5
    assert b["config"]["optimizer"]["name"] == "sgd" and b["config"]["model"] == a["config"]["model"]
    assert {k: v for k, v in b["config"].items() if k != "optimizer"} == \
        {k: v for k, v in a["config"].items() if k != "optimizer"}
    for (Wa, ba), (Wb, bb) in zip(params(a), params(b)):
        assert np.array_equal(Wa, Wb) and np.array_equal(ba, bb)
    ta = post(client, f"/api/sessions/{a['id']}/backward")
    tb = post(client, f"/api/sessions/{b['id']}/backward")
    assert ta["indices"] == tb["indices"] and ta["loss"] == tb["loss"]  # same batch, same start
    # then the step differs by the learning rate alone: W_b - W_a = -(0.5 - 0.1) dW
    dW = np.array(ta["backward"][0]["dW"])
    assert np.allclose(np.array(tb["params"][0]["W"]) - np.array(ta["params"][0]["W"]), -0.4 * dW, atol=1e-12)
    assert not np.array_equal(tb["params"][0]["W"], ta["params"][0]["W"])


def test_a_width_override_keeps_the_data_the_order_and_the_layers_whose_shapes_agree(client, new_session):
    a = new_session(XOR)
    b = fork(client, a["id"], {"model": {"layers": [2, 9, 5, 1]}})
    assert b["config"]["model"]["layers"] == [2, 9, 5, 1] and b["epoch"] == 0
    assert b["config"]["dataset"] == a["config"]["dataset"] and b["config"]["seed"] == a["config"]["seed"]
    assert (b["n_train"], b["n_test"]) == (a["n_train"], a["n_test"])
    da = client.get(f"/api/sessions/{a['id']}/data").json()
    db = client.get(f"/api/sessions/{b['id']}/data").json()
    assert da["train"] == db["train"] and da["test"] == db["test"]
    pa, pb = params(a), params(b)
    assert pb[0][0].shape == (9, 2) and pb[1][0].shape == (5, 9)
    assert np.array_equal(pa[2][0], pb[2][0]) and np.array_equal(pa[2][1], pb[2][1])  # W[2] is 1 x 5 in both
    ta = post(client, f"/api/sessions/{a['id']}/backward")
    tb = post(client, f"/api/sessions/{b['id']}/backward")
    assert ta["indices"] == tb["indices"] and ta["X"] == tb["X"] and ta["y"] == tb["y"]
    # the fork's reset comes back to the same start, inherited layer included
    post(client, f"/api/sessions/{b['id']}/epochs", {"count": 2})
    again = params(post(client, f"/api/sessions/{b['id']}/reset"))
    assert all(np.array_equal(x[0], y[0]) and np.array_equal(x[1], y[1]) for x, y in zip(again, pb))


def test_overrides_of_the_worked_example_keep_its_explicit_weights(client, new_session, worked_config):
    a = new_session(worked_config)
    b = fork(client, a["id"], {"model": {"activation": "tanh"}, "optimizer": {"name": "adam"}})
    assert b["config"]["model"]["activation"] == "tanh" and b["config"]["optimizer"]["name"] == "adam"
    assert b["params"] == a["params"]
    c = fork(client, a["id"], {"model": {"init": "zeros"}})  # another init: nothing inherited
    assert all(not np.any(W) for W, _ in params(c))


@pytest.mark.parametrize("overrides, field", [
    ({"dataset": {"name": "moons"}}, "overrides.dataset"),
    ({"seed": 3}, "overrides.seed"),
    ({"optimizer": {"learning_rate": -1}}, "overrides.optimizer.learning_rate"),
    ({"model": {"layers": [3, 4, 1]}}, "model.layers"),
    ({"model": {"output_activation": "softmax"}}, "loss"),
    ({"optimiser": {}}, "overrides.optimiser"),
])
def test_bad_overrides_get_a_422_naming_the_field(client, new_session, overrides, field):
    a = new_session(XOR)
    r = client.post(f"/api/sessions/{a['id']}/fork", json={"overrides": overrides})
    assert r.status_code == 422, r.text
    assert field in r.json()["detail"]


def test_fork_of_an_unknown_session_is_404_and_no_body_is_an_identity_fork(client, new_session):
    assert client.post("/api/sessions/nope/fork", json={}).status_code == 404
    a = new_session(XOR)
    r = client.post(f"/api/sessions/{a['id']}/fork")
    assert r.status_code == 201 and r.json()["params"] == a["params"]


def test_a_fork_counts_against_the_clients_session_limit():
    from fastapi.testclient import TestClient

    from server.main import create_app
    from server.settings import Settings

    with TestClient(create_app(Settings(max_sessions_per_client=2, unlimited_clients=""))) as c:
        a = post(c, "/api/sessions", XOR, 201)
        fork(c, a["id"])
        r = c.post(f"/api/sessions/{a['id']}/fork", json={"overrides": {}})
        assert r.status_code == 429 and "MLP_PLAYGROUND_MAX_SESSIONS_PER_CLIENT" in r.json()["detail"]
