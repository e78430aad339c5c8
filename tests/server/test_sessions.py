"""Session lifecycle and training over HTTP: epochs, reset, export/import, options, deletion."""
from __future__ import annotations

import numpy as np

from mlp_engine import ACTIVATIONS, DATASETS, INITIALIZERS, LOSSES, OPTIMIZERS, OUTPUT_ACTIVATIONS


def post(client, path, body=None, status=200):
    r = client.post(path, json=body)
    assert r.status_code == status, r.text
    return r.json()


def test_health_datasets_and_options(client):
    assert client.get("/api/health").json()["status"] == "ok"
    items = client.get("/api/datasets").json()
    assert [d["name"] for d in items] == list(DATASETS)
    assert all(set(d) >= {"name", "task", "n_features", "n_outputs", "n_samples", "description"} for d in items)
    o = client.get("/api/options").json()
    assert o["activations"] == list(ACTIVATIONS) and o["output_activations"] == list(OUTPUT_ACTIVATIONS)
    assert o["losses"] == list(LOSSES) and o["inits"] == list(INITIALIZERS) and o["optimizers"] == list(OPTIMIZERS)
    assert o["valid_pairs"] == {"linear": ["mse"], "sigmoid": ["binary_cross_entropy", "mse"],
                                "softmax": ["cross_entropy"]}
    assert o["datasets"] == items
    assert {"max_layers", "max_width", "max_params", "max_batch_size", "max_epochs_per_request", "max_samples",
            "max_boundary_resolution"} <= set(o["limits"])
    assert o["defaults"]["model"]["layers"] == [2, 8, 8, 1] and o["defaults"]["dataset"]["name"] == "xor"


def test_defaults_are_what_an_empty_config_resolves_to(client, new_session):
    assert new_session({})["config"] == client.get("/api/options").json()["defaults"]
    assert client.post("/api/sessions").status_code == 201  # no body at all


def test_epochs_grow_the_history_and_lower_xor_loss(client, new_session):
    s = new_session({"dataset": {"name": "xor"}, "seed": 3})
    assert s["task"] == "classification" and s["n_train"] == 160 and s["n_test"] == 40
    assert s["steps_per_epoch"] == 10 and s["position"] == 0 and s["class_names"] == ["0", "1"]
    first = post(client, f"/api/sessions/{s['id']}/epochs", {"count": 1})
    assert first["epoch"] == 1 and len(first["train_loss"]) == 1 and len(first["grad_norms"][0]) == 3
    more = post(client, f"/api/sessions/{s['id']}/epochs", {"count": 60})
    assert more["epoch"] == 61 and len(more["train_loss"]) == 60 and more["step"] == 610
    state = client.get(f"/api/sessions/{s['id']}").json()
    h = state["history"]
    assert len(h["train_loss"]) == len(h["test_loss"]) == len(h["grad_norms"]) == 61
    assert h["train_loss"][-1] < 0.5 * h["train_loss"][0] and h["test_loss"][-1] < h["test_loss"][0]


def test_backward_walks_the_epoch(client, new_session):
    s = new_session({"optimizer": {"batch_size": 64}})  # 160 training rows: 64 + 64 + 32
    seen = []
    for step, (pos, finished) in enumerate([(64, False), (128, False), (0, True)], start=1):
        t = post(client, f"/api/sessions/{s['id']}/backward")
        assert (t["step"], t["position"], t["epoch_finished"]) == (step, pos, finished)
        seen += t["indices"]
    assert sorted(seen) == list(range(160)) and t["epoch"] == 1 and t["epoch_record"]["epoch"] == 1


def test_reset_restores_the_initial_weights(client, new_session):
    s = new_session({"dataset": {"name": "moons"}, "optimizer": {"name": "adam"}, "seed": 7})
    post(client, f"/api/sessions/{s['id']}/epochs", {"count": 3})
    r = post(client, f"/api/sessions/{s['id']}/reset")
    assert r["params"] == s["params"] and r["epoch"] == 0 and r["step"] == 0 and r["config"] == s["config"]
    assert r["history"]["train_loss"] == [] and all(v == [] for v in r["history"].values())  # metrics too
    # and it replays the same run: same batch order, same trajectory
    again = new_session(s["config"])
    a = post(client, f"/api/sessions/{s['id']}/epochs", {"count": 2})
    b = post(client, f"/api/sessions/{again['id']}/epochs", {"count": 2})
    assert a == b


def test_posting_the_resolved_config_reproduces_the_run(client, new_session):
    for config in ({"dataset": {"name": "spiral", "n_samples": 120}},
                   {"dataset": {"name": "diabetes"}, "model": {"layers": [10, 5, 1], "dtype": "float32"}},
                   {"dataset": {"name": "inline", "X": [[0, 1], [1, 0], [1, 1], [0, 0]], "y": [1, 1, 0, 0],
                                "task": "classification"}}):
        s = new_session(config)
        twin = new_session(s["config"])
        assert twin["config"] == s["config"] and twin["params"] == s["params"]
        assert (post(client, f"/api/sessions/{s['id']}/epochs", {"count": 2})
                == post(client, f"/api/sessions/{twin['id']}/epochs", {"count": 2}))


def test_export_import_and_continuing_both_give_identical_params(client, new_session):
    for name, lr in (("momentum", 0.05), ("adam", 0.01), ("sgd", 0.1)):
        s = new_session({"dataset": {"name": "circles"}, "seed": 5,
                         "optimizer": {"name": name, "learning_rate": lr, "batch_size": 24}})
        sid = s["id"]
        post(client, f"/api/sessions/{sid}/epochs", {"count": 2})
        for _ in range(3):  # stop mid-epoch, with optimizer state and a partly consumed order
            post(client, f"/api/sessions/{sid}/backward")
        doc = client.get(f"/api/sessions/{sid}/export").json()
        assert doc["format"] == "mlp-playground-session" and doc["state"]["step"] == 2 * 7 + 3
        imported = post(client, "/api/sessions/import", doc, status=201)
        iid = imported["id"]
        original = client.get(f"/api/sessions/{sid}").json()
        for key in ("params", "history", "epoch", "step", "position", "config"):
            assert imported[key] == original[key], key
        for move in ("backward", "backward", "backward", "backward", "backward"):
            assert post(client, f"/api/sessions/{sid}/{move}") == post(client, f"/api/sessions/{iid}/{move}")
        a = post(client, f"/api/sessions/{sid}/epochs", {"count": 3})
        b = post(client, f"/api/sessions/{iid}/epochs", {"count": 3})
        assert a["params"] == b["params"] and a["train_loss"] == b["train_loss"]


def test_delete(client, new_session):
    sid = new_session()["id"]
    assert client.delete(f"/api/sessions/{sid}").status_code == 204
    r = client.get(f"/api/sessions/{sid}")
    assert r.status_code == 404 and "session" in r.json()["detail"]
    assert client.delete(f"/api/sessions/{sid}").status_code == 404


def test_divergence_is_reported_not_raised(client, new_session):
    # learning rate 1e6 on a regression: the loss overflows within a few epochs
    s = new_session({"dataset": {"name": "sine"}, "optimizer": {"learning_rate": 1e6}})
    r = client.post(f"/api/sessions/{s['id']}/epochs", json={"count": 20})
    assert r.status_code == 200
    e = r.json()
    assert e["finite"] is False and None in e["train_loss"] and len(e["train_loss"]) < 20  # stops early
    t = client.post(f"/api/sessions/{s['id']}/backward")
    assert t.status_code == 200 and t.json()["finite"] is False
    st = client.get(f"/api/sessions/{s['id']}")
    assert st.status_code == 200 and st.json()["finite"] is False
    assert client.post(f"/api/sessions/{s['id']}/gradcheck").json()["passed"] is False
    assert client.get(f"/api/sessions/{s['id']}/boundary").status_code == 200
    assert client.get(f"/api/sessions/{s['id']}/outputs").status_code == 200
    assert client.get(f"/api/sessions/{s['id']}/export").status_code == 200


def test_predict(client, new_session, worked_config):
    sid = new_session(worked_config)["id"]
    r = post(client, f"/api/sessions/{sid}/predict", {"X": [[1, 2], [0, 0], [-1, 3]]})
    W0, W1 = np.array([[0.1, 0.2], [0.3, 0.4]]), np.array([[0.5, 0.6]])
    X = np.array([[1, 2], [0, 0], [-1, 3]], dtype=float)
    assert np.allclose(r["y"], np.maximum(X @ W0.T, 0) @ W1.T, atol=1e-15) and r["finite"] is True
