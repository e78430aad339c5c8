"""Editing one parameter and undo: engine and API, including the durable store."""
from __future__ import annotations

import json

import numpy as np
import pytest
from fastapi.testclient import TestClient

from mlp_engine import Trainer, make_trainer
from server.main import create_app
from server.settings import Settings

WORKED = {
    "dataset": {"name": "inline", "X": [[1.0, 2.0]], "y": [[1.0]]},
    "model": {"layers": [2, 2, 1], "activation": "relu", "output_activation": "linear", "loss": "mse",
              "weights": [[[0.1, 0.2], [0.3, 0.4]], [[0.5, 0.6]]], "biases": [[0.0, 0.0], [0.0]]},
    "optimizer": {"name": "sgd", "learning_rate": 0.1, "batch_size": 1},
}


def test_undo_restores_steps_epochs_and_edits_exactly() -> None:
    t = make_trainer({"dataset": {"name": "moons"}, "optimizer": {"name": "adam", "batch_size": 32}})
    states = [t.state_dict()]
    t.step()
    states.append(t.state_dict())
    t.run_epochs(2)
    states.append(t.state_dict())
    t.edit_param(1, "W", [0, 3], 0.25)
    assert t.model.W[1][0, 3] == 0.25 and t.undo_available == 3

    def core(s: dict) -> str:  # everything but the snapshots themselves
        return json.dumps({k: v for k, v in s.items() if k != "undo"})

    for expected in reversed(states):
        t.undo()
        assert core(t.state_dict()) == core(expected)
    assert t.undo_available == 0
    with pytest.raises(ValueError, match="count: 1 changes asked, 0 can be undone"):
        t.undo()


def test_undo_then_continue_matches_the_run_without_the_undone_change() -> None:
    a = make_trainer({"dataset": {"name": "xor"}, "optimizer": {"name": "momentum"}})
    b = make_trainer({"dataset": {"name": "xor"}, "optimizer": {"name": "momentum"}})
    a.run_epochs(1)
    b.run_epochs(1)
    a.step()
    a.step()
    a.undo(2)
    for _ in range(3):
        a.step()
        b.step()
    np.testing.assert_array_equal(a.model.params.flat, b.model.params.flat)
    assert a.history.as_dict(True) == b.history.as_dict(True)


def test_snapshots_are_bounded_and_survive_save_load() -> None:
    t = make_trainer({"dataset": {"name": "xor"}}, )
    for _ in range(30):
        t.step()
    assert t.undo_available == 20 == t.undo_depth
    u = Trainer.from_state(json.loads(json.dumps(t.state_dict())))
    assert u.undo_available == 20
    t.undo(20)
    u.undo(20)
    assert json.dumps(t.state_dict()) == json.dumps(u.state_dict())
    big = make_trainer({"dataset": {"name": "xor"}, "model": {"layers": [2, 100, 100, 1]}})
    big.step()
    assert big.undo_depth == 0 and big.undo_available == 0  # 10,501 parameters: over the default 5000


def test_edit_param_checks_its_fields() -> None:
    t = make_trainer(WORKED)
    for args, field in [((2, "W", [0, 0], 1.0), "layer:"), ((0, "W", [2, 0], 1.0), "index:"),
                        ((0, "b", [0, 0], 1.0), "index:"), ((0, "x", [0], 1.0), "name:"),
                        ((0, "W", [0, 0], float("nan")), "value:")]:
        with pytest.raises(ValueError, match=field):
            t.edit_param(*args)


def test_api_edit_shows_in_the_next_trace_and_undo_restores(client, new_session, post) -> None:
    s = new_session(WORKED)
    sid = s["id"]
    r = client.patch(f"/api/sessions/{sid}/params", json={"layer": 1, "name": "W", "index": [0, 1], "value": 0.7})
    assert r.status_code == 200, r.text
    edited = r.json()
    assert edited["params"][1]["W"] == [[0.5, 0.7]] and edited["undo_available"] == 1
    trace = post(f"/api/sessions/{sid}/backward", {"apply": False})
    assert trace["forward"][1]["z"] == [[0.5 * 0.5 + 0.7 * 1.1]]  # z[0] = [0.5, 1.1]
    post(f"/api/sessions/{sid}/backward")
    post(f"/api/sessions/{sid}/epochs", {"count": 3})
    back = post(f"/api/sessions/{sid}/undo", {"count": 2})
    assert back["params"][1]["W"] == [[0.5, 0.7]] and back["step"] == 0 and back["undo_available"] == 1
    first = post(f"/api/sessions/{sid}/undo")
    assert first["params"] == s["params"] and first["undo_available"] == 0
    r = client.post(f"/api/sessions/{sid}/undo", json={})
    assert r.status_code == 409 and r.json()["detail"] == "undo: nothing to undo"


@pytest.mark.parametrize("body, field", [
    ({"layer": 5, "name": "W", "index": [0, 0], "value": 1}, "layer"),
    ({"layer": 0, "name": "W", "index": [0, 9], "value": 1}, "index"),
    ({"layer": 0, "name": "b", "index": [7], "value": 1}, "index"),
    ({"layer": 0, "name": "W", "index": [0, 0], "value": "x"}, "value"),
    ({"layer": 0, "name": "z", "index": [0, 0], "value": 1}, "name"),
])
def test_api_bad_edits_are_422_naming_the_field(client, new_session, body, field) -> None:
    sid = new_session(WORKED)["id"]
    r = client.patch(f"/api/sessions/{sid}/params", json=body)
    assert r.status_code == 422 and r.json()["detail"].startswith(field), r.text


def test_api_undo_more_than_held_is_409(client, new_session, post) -> None:
    sid = new_session(WORKED)["id"]
    post(f"/api/sessions/{sid}/backward")
    r = client.post(f"/api/sessions/{sid}/undo", json={"count": 2})
    assert r.status_code == 409 and r.json()["detail"] == "count: 2 changes asked, only 1 can be undone"


def test_edits_and_undos_reach_the_durable_store(tmp_path) -> None:
    store = str(tmp_path / "sessions.sqlite3")
    edit = {"layer": 0, "name": "b", "index": [1], "value": -0.5}
    with TestClient(create_app(Settings(store=store))) as c:
        sid = c.post("/api/sessions", json=WORKED).json()["id"]
        assert c.patch(f"/api/sessions/{sid}/params", json=edit).status_code == 200
    with TestClient(create_app(Settings(store=store))) as c:  # a restart
        s = c.get(f"/api/sessions/{sid}").json()
        assert s["params"][0]["b"] == [0.0, -0.5] and s["undo_available"] == 1
        assert c.post(f"/api/sessions/{sid}/undo").json()["params"][0]["b"] == [0.0, 0.0]
    with TestClient(create_app(Settings(store=store))) as c:
        s = c.get(f"/api/sessions/{sid}").json()
        assert s["params"][0]["b"] == [0.0, 0.0] and s["undo_available"] == 0


def test_api_edits_batch_norms_gamma_and_beta_and_undo_restores(client, new_session, post) -> None:
    s = new_session({"dataset": {"name": "xor", "n_samples": 40}, "model": {"layers": [2, 4, 3, 1], "batch_norm": True},
                     "optimizer": {"batch_size": 8}, "seed": 3})
    sid = s["id"]
    assert s["params"][1]["gamma"] == [1.0, 1.0, 1.0]
    for name, layer, i, value in [("gamma", 1, 2, 0.25), ("beta", 0, 3, -0.5)]:
        r = client.patch(f"/api/sessions/{sid}/params", json={"layer": layer, "name": name, "index": [i], "value": value})
        assert r.status_code == 200, r.text
        assert r.json()["params"][layer][name][i] == value
    trace = post(f"/api/sessions/{sid}/backward", {"apply": False})
    # the edited scale and shift act in the step: a[0] = relu(gamma * z_hat + beta) at neuron 3 (gamma 1, beta -0.5)
    f0 = trace["forward"][0]
    assert np.allclose(f0["a"], np.maximum(0, np.asarray(f0["z_hat"]) * 1.0 + np.array([0, 0, 0, -0.5])))
    back = post(f"/api/sessions/{sid}/undo", {"count": 2})
    assert back["params"] == s["params"]


@pytest.mark.parametrize("config, body, field", [
    ({}, {"layer": 0, "name": "gamma", "index": [0], "value": 1}, "name"),  # no batch norm
    ({"batch_norm": True}, {"layer": 1, "name": "beta", "index": [0], "value": 1}, "layer"),  # one hidden layer
    ({"batch_norm": True}, {"layer": 0, "name": "gamma", "index": [2], "value": 1}, "index"),
])
def test_api_bad_gamma_beta_edits_are_422_naming_the_field(client, new_session, config, body, field) -> None:
    sid = new_session({**WORKED, "model": {**WORKED["model"], **config}})["id"]
    r = client.patch(f"/api/sessions/{sid}/params", json=body)
    assert r.status_code == 422 and r.json()["detail"].startswith(field), r.text
