"""Input feature transforms: engine and API."""
from __future__ import annotations

import numpy as np
import pytest

from mlp_engine import make_trainer
from mlp_engine.features import transform


def test_features_transform_the_inputs_and_set_the_input_size() -> None:
    t = make_trainer({"dataset": {"name": "xor", "features": ["x1", "x2", "x1*x2", "sin(x1)"]}})
    raw = t.data.raw_train
    assert t.model.layers[0] == 4 and t.X.shape == (raw.shape[0], 4)
    np.testing.assert_array_equal(t.X[:, 2], raw[:, 0] * raw[:, 1])
    np.testing.assert_array_equal(t.X[:, 3], np.sin(raw[:, 0]))
    assert t.config["dataset"]["features"] == ["x1", "x2", "x1*x2", "sin(x1)"]


def test_default_features_leave_the_data_exactly_as_before() -> None:
    t = make_trainer({"dataset": {"name": "moons"}})
    assert t.config["dataset"]["features"] == ["x1", "x2"]
    np.testing.assert_array_equal(t.X, t.data.raw_train)
    x = np.array([[0.5], [-2.0]])
    assert transform(x, ["x1"]) is x
    one_d = make_trainer({"dataset": {"name": "sine", "features": ["x1", "x1^2", "sin(x1)"]}})
    assert one_d.model.layers[0] == 3


@pytest.mark.parametrize("ds, needle", [
    ({"name": "xor", "features": ["x1", "x3"]}, "dataset.features: 'x3'"),
    ({"name": "xor", "features": ["x1", "x1"]}, "dataset.features: each feature may appear once"),
    ({"name": "xor", "features": ["x2", "x1"]}, "dataset.features: list the features in the order"),
    ({"name": "sine", "features": ["x2"]}, "dataset.features: 'x2' is not a feature of 1-D data"),
    ({"name": "diabetes", "features": ["x1"]}, "dataset.features: feature transforms apply to datasets with 1 or 2"),
])
def test_bad_features_name_the_field(ds, needle) -> None:
    with pytest.raises(ValueError, match=needle.replace("(", r"\(").replace("*", r"\*")):
        make_trainer({"dataset": ds})


def test_api_features_change_the_input_layer_and_keep_raw_plots(client, new_session) -> None:
    s = new_session({"dataset": {"name": "circles", "features": ["x1^2", "x2^2"]}})
    assert s["params"][0]["W"] and len(s["params"][0]["W"][0]) == 2 and s["config"]["model"]["layers"][0] == 2
    s3 = new_session({"dataset": {"name": "circles", "features": ["x1", "x2", "x1^2"]}})
    assert s3["config"]["model"]["layers"][0] == 3
    data = client.get(f"/api/sessions/{s3['id']}/data").json()
    assert data["feature_names"] == ["x1", "x2"] and len(data["train"]["X"][0]) == 2
    b = client.get(f"/api/sessions/{s3['id']}/boundary", params={"resolution": 7}).json()
    assert b["kind"] == "grid" and len(b["z"]) == 7 and len(b["z"][0]) == 7
    # the grid is over raw (x1, x2): its predictions are the network's on the transformed grid points
    x, y = b["x"][3], b["y"][2]
    pred = client.post(f"/api/sessions/{s3['id']}/predict", json={"X": [[x, y, x * x]]}).json()["y"][0][0]
    assert b["z"][2][3] == pytest.approx(pred, abs=1e-12)
    options = client.get("/api/options").json()
    assert options["features"]["1"] == ["x1", "x1^2", "sin(x1)"] and "x1*x2" in options["features"]["2"]


def test_api_features_mismatched_layers_or_dataset_are_422(client) -> None:
    r = client.post("/api/sessions", json={"dataset": {"name": "xor", "features": ["x1", "x2", "x1*x2"]},
                                           "model": {"layers": [2, 4, 1]}})
    assert r.status_code == 422 and "model.layers" in r.json()["detail"]
    r = client.post("/api/sessions", json={"dataset": {"name": "digits", "features": ["x1"]}})
    assert r.status_code == 422 and r.json()["detail"].startswith("dataset.features")
    r = client.post("/api/sessions", json={"dataset": {"name": "xor", "features": ["x9"]}})
    assert r.status_code == 422 and "dataset.features" in r.json()["detail"]


def test_drawn_points_make_a_classification_session(client, new_session) -> None:
    X = [[0.1, 0.2], [-0.5, 0.4], [0.7, -0.3], [-0.2, -0.9]]
    s = new_session({"dataset": {"name": "inline", "task": "classification", "X": X, "y": [[0], [1], [1], [0]],
                                 "features": ["x1", "x2", "x1*x2"]}})
    assert s["task"] == "classification" and s["class_names"] == ["0", "1"]
    assert s["config"]["model"]["loss"] == "binary_cross_entropy" and s["config"]["dataset"]["standardize"] is False
    data = client.get(f"/api/sessions/{s['id']}/data").json()
    assert data["train"]["X"] == X
    st = new_session({"dataset": {"name": "inline", "X": X, "y": [1.0, 2.0, 3.0, 5.0], "standardize": True}})
    data = client.get(f"/api/sessions/{st['id']}/data").json()
    assert np.allclose(np.mean(data["train"]["X"], axis=0), 0) and np.allclose(np.mean(data["train"]["y"]), 0)


def test_features_survive_export_import(client, new_session, post) -> None:
    s = new_session({"dataset": {"name": "spiral", "features": ["x1", "x2", "sin(x1)", "sin(x2)"]}})
    post(f"/api/sessions/{s['id']}/epochs", {"count": 2})
    doc = client.get(f"/api/sessions/{s['id']}/export").json()
    imported = post("/api/sessions/import", doc, status=201)
    a = post(f"/api/sessions/{s['id']}/epochs", {"count": 2})
    b = post(f"/api/sessions/{imported['id']}/epochs", {"count": 2})
    assert a == b and imported["config"]["dataset"]["features"] == ["x1", "x2", "sin(x1)", "sin(x2)"]
