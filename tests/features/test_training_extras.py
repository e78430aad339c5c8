"""Metrics per epoch, learning-rate schedules and early stopping: engine and API."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, r2_score

from mlp_engine import Trainer, make_trainer


def test_metrics_match_scikit_learn_on_the_test_pass_and_the_epochs_batches() -> None:
    t = make_trainer({"dataset": {"name": "moons"}, "optimizer": {"batch_size": 1000}})  # one batch per epoch
    before = t.model.predict(t.X)
    rec = t.run_epochs(1)[0]
    # one batch holding the whole training set: train metrics describe the parameters before the update
    truth = t.y[:, 0] >= 0.5
    assert rec.metrics["train_accuracy"] == accuracy_score(truth, before[:, 0] >= 0.5)
    test_pred = t.model.predict(t.X_test)
    assert rec.metrics["test_accuracy"] == accuracy_score(t.y_test[:, 0] >= 0.5, test_pred[:, 0] >= 0.5)
    r = make_trainer({"dataset": {"name": "diabetes"}, "optimizer": {"batch_size": 1000}})
    before = r.model.predict(r.X)
    rec = r.run_epochs(1)[0]
    assert rec.metrics["train_r2"] == pytest.approx(r2_score(r.y, before), rel=1e-12)
    assert rec.metrics["train_rmse"] == pytest.approx(math.sqrt(np.mean((before - r.y) ** 2)), rel=1e-12)
    after = r.model.predict(r.X_test)
    assert rec.metrics["test_r2"] == pytest.approx(r2_score(r.y_test, after), rel=1e-12)
    assert set(r.history.metrics) == {"train_rmse", "test_rmse", "train_r2", "test_r2"}


def test_step_decay_and_invscaling_follow_their_formulas() -> None:
    t = make_trainer({"dataset": {"name": "xor"}, "optimizer": {
        "learning_rate": 0.4, "schedule": {"name": "step", "step_size": 2, "gamma": 0.5}}})
    t.run_epochs(5)
    assert t.history.learning_rate == [0.4, 0.4, 0.2, 0.2, 0.1]
    inv = make_trainer({"dataset": {"name": "xor"}, "optimizer": {
        "learning_rate": 0.3, "batch_size": 40, "schedule": {"name": "invscaling", "power_t": 0.5}}})
    assert inv.learning_rate == 0.3
    steps = [inv.step() for _ in range(6)]  # 160 training rows: 4 steps per epoch
    assert [s.learning_rate for s in steps] == [0.3 / k ** 0.5 for k in range(1, 7)]
    assert inv.history.learning_rate == [0.3 / 4 ** 0.5]
    # the update really uses that rate: plain SGD, so theta moves by lr * grad
    before = inv.model.params.flat.copy()
    s = inv.step()
    np.testing.assert_allclose(inv.model.params.flat, before - 0.3 / 7 ** 0.5 * s.grads.flat, rtol=0, atol=1e-15)


def test_constant_schedule_changes_nothing() -> None:
    a = make_trainer({"dataset": {"name": "circles"}})
    b = make_trainer({"dataset": {"name": "circles"}, "optimizer": {"schedule": {"name": "constant"}}})
    a.run_epochs(3)
    b.run_epochs(3)
    assert json.dumps(a.state_dict(), sort_keys=True) == json.dumps(b.state_dict(), sort_keys=True)


def test_early_stopping_stops_and_survives_save_load() -> None:
    cfg = {"dataset": {"name": "xor", "noise": 0.5}, "optimizer": {
        "learning_rate": 2.0, "early_stopping": {"patience": 2, "min_delta": 0.0}}}
    t = make_trainer(cfg)
    records = t.run_epochs(200)
    assert t.stopped and t.stopped_epoch == len(records) < 200
    losses = t.history.test_loss
    best = min(losses[:-2])
    assert all(x >= best for x in losses[-2:])  # two epochs without improvement
    assert t.run_epochs(5) == []
    u = Trainer.from_state(json.loads(json.dumps(t.state_dict())))
    assert u.stopped and u.stopped_epoch == t.stopped_epoch and u.run_epochs(1) == []
    t.undo()  # the last epochs call: back to before the stop
    assert not t.stopped


def test_early_stopping_needs_a_test_split() -> None:
    with pytest.raises(ValueError, match="optimizer.early_stopping: watches the test loss"):
        make_trainer({"dataset": {"name": "inline", "X": [[0.0], [1.0]], "y": [0.0, 1.0]},
                      "optimizer": {"early_stopping": {"patience": 3}}})


def test_api_history_schedule_and_early_stopping(client, new_session, post) -> None:
    s = new_session({"dataset": {"name": "xor", "noise": 0.5}, "optimizer": {
        "learning_rate": 2.0, "schedule": {"name": "step", "step_size": 3},
        "early_stopping": {"patience": 2}}})
    opt = s["config"]["optimizer"]
    assert opt["schedule"] == {"name": "step", "step_size": 3, "gamma": 0.5}
    assert opt["early_stopping"] == {"patience": 2, "min_delta": 0.0}
    assert s["learning_rate"] == 2.0 and s["stopped"] is False and s["undo_available"] == 0
    res = post(f"/api/sessions/{s['id']}/epochs", {"count": 300})
    assert res["stopped"] and res["stopped_epoch"] == res["epoch"] == len(res["train_loss"])
    assert len(res["train_accuracy"]) == len(res["test_accuracy"]) == len(res["learning_rate"]) == res["epoch"]
    assert "train_rmse" not in res and res["learning_rate"][:4] == [2.0, 2.0, 2.0, 1.0]
    again = post(f"/api/sessions/{s['id']}/epochs", {"count": 3})
    assert again["stopped"] and again["train_loss"] == [] and again["epoch"] == res["epoch"]
    state = client.get(f"/api/sessions/{s['id']}").json()
    assert state["stopped"] and len(state["history"]["test_accuracy"]) == res["epoch"]
    assert post(f"/api/sessions/{s['id']}/reset")["stopped"] is False
    reg = new_session({"dataset": {"name": "sine"}})
    res = post(f"/api/sessions/{reg['id']}/epochs", {"count": 2})
    assert len(res["train_r2"]) == len(res["test_rmse"]) == 2 and "train_accuracy" not in res
    inv = new_session({"dataset": {"name": "xor"}, "optimizer": {"schedule": {"name": "invscaling"}}})
    trace = post(f"/api/sessions/{inv['id']}/backward")
    assert trace["learning_rate"] == 0.1
    assert post(f"/api/sessions/{inv['id']}/backward")["learning_rate"] == 0.1 / 2 ** 0.5


@pytest.mark.parametrize("opt, field", [
    ({"schedule": {"name": "cosine"}}, "optimizer.schedule.name"),
    ({"schedule": {"name": "step", "gamma": 0}}, "optimizer.schedule.gamma"),
    ({"schedule": {"name": "step", "step_size": 0}}, "optimizer.schedule.step_size"),
    ({"early_stopping": {"patience": 0}}, "optimizer.early_stopping.patience"),
    ({"early_stopping": {"patience": 2, "min_delta": -1}}, "optimizer.early_stopping.min_delta"),
])
def test_api_bad_schedules_are_422(client, opt, field) -> None:
    r = client.post("/api/sessions", json={"optimizer": opt})
    assert r.status_code == 422 and r.json()["detail"].startswith(field), r.text


def test_api_early_stopping_without_test_split_is_422(client) -> None:
    r = client.post("/api/sessions", json={"dataset": {"name": "inline", "X": [[0.0], [1.0]], "y": [0, 1]},
                                           "optimizer": {"early_stopping": {"patience": 3}}})
    assert r.status_code == 422 and r.json()["detail"].startswith("optimizer.early_stopping")


def test_api_schedule_metrics_and_stopping_survive_export_import(client, new_session, post) -> None:
    s = new_session({"dataset": {"name": "moons"}, "optimizer": {
        "name": "adam", "schedule": {"name": "invscaling", "power_t": 0.25}, "early_stopping": {"patience": 50}}})
    post(f"/api/sessions/{s['id']}/epochs", {"count": 3})
    post(f"/api/sessions/{s['id']}/backward")
    doc = client.get(f"/api/sessions/{s['id']}/export").json()
    imp = post("/api/sessions/import", doc, status=201)
    assert imp["history"] == client.get(f"/api/sessions/{s['id']}").json()["history"]
    assert imp["undo_available"] == 2
    a = post(f"/api/sessions/{s['id']}/epochs", {"count": 2})
    b = post(f"/api/sessions/{imp['id']}/epochs", {"count": 2})
    assert a == b
    ua, ub = post(f"/api/sessions/{s['id']}/undo", {"count": 3}), post(f"/api/sessions/{imp['id']}/undo", {"count": 3})
    assert {k: v for k, v in ua.items() if k != "id"} == {k: v for k, v in ub.items() if k != "id"}
