"""What the page needs beyond the contract: data points, boundary, outputs,
smaller traces on request, the page itself and Plotly."""
from __future__ import annotations

import numpy as np

from server.routes.pages import plotly_js


def test_include_and_max_elements_shrink_a_big_trace(client, new_session):
    s = new_session({"dataset": {"name": "digits"}, "model": {"layers": [64, 256, 128, 10]},
                     "optimizer": {"batch_size": 64}})
    sid = s["id"]
    assert s["params"][0]["W"]["summary"] is True and s["params"][0]["W"]["shape"] == [256, 64]
    assert len(s["params"][2]["W"]) == 10  # 1280 elements: under the default 4096
    full = client.post(f"/api/sessions/{sid}/backward", json={"apply": False, "max_elements": 1_000_000})
    small = client.post(f"/api/sessions/{sid}/backward",
                        json={"apply": False, "include": ["backward"], "max_elements": 100})
    assert len(small.content) * 50 < len(full.content)
    t = small.json()
    assert set(t) >= {"loss", "finite", "backward"} and not {"forward", "params", "X", "y"} & set(t)
    dW = t["backward"][0]["dW"]
    exact = np.asarray(full.json()["backward"][0]["dW"])
    assert dW["shape"] == [256, 64] and np.isclose(dW["norm"], np.linalg.norm(exact))
    assert np.isclose(dW["mean"], exact.mean()) and np.isclose(dW["max"], exact.max())
    assert t["backward"][2]["db"] == full.json()["backward"][2]["db"]  # 10 elements: sent as is
    g = client.get(f"/api/sessions/{sid}", params=[("include", "history"), ("max_elements", "10")]).json()
    assert "history" in g and "params" not in g and g["n_params"] == 64 * 256 + 256 + 256 * 128 + 128 + 1290
    e = client.post(f"/api/sessions/{sid}/epochs", json={"include": []}).json()
    assert "params" not in e and e["epoch"] == 1


def test_data_points(client, new_session):
    s = new_session({"dataset": {"name": "california_housing", "n_samples": 3000}})
    d = client.get(f"/api/sessions/{s['id']}/data", params={"max_points": 500}).json()
    assert d["task"] == "regression" and len(d["feature_names"]) == 8 and d["image_shape"] is None
    assert len(d["train"]["X"]) == 500 and len(d["test"]["X"]) == 500 and len(d["train"]["y"][0]) == 1
    X = np.asarray(client.get(f"/api/sessions/{s['id']}/data", params={"max_points": 20000}).json()["train"]["X"])
    assert X.shape == (2400, 8) and np.allclose(X.mean(axis=0), 0, atol=1e-9)  # scaled, as the network sees it
    digits = new_session({"dataset": {"name": "digits"}})
    d = client.get(f"/api/sessions/{digits['id']}/data").json()
    assert d["image_shape"] == [8, 8] and d["class_names"] == [str(i) for i in range(10)]


def test_boundary_grid_and_curve(client, new_session):
    s = new_session({"dataset": {"name": "xor"}})
    b = client.get(f"/api/sessions/{s['id']}/boundary", params={"resolution": 7}).json()
    assert b["kind"] == "grid" and len(b["x"]) == len(b["y"]) == 7 and np.shape(b["z"]) == (7, 7)
    x, y = b["x"], b["y"]
    p = client.post(f"/api/sessions/{s['id']}/predict", json={"X": [[x[5], y[2]]]}).json()["y"][0][0]
    assert np.isclose(b["z"][2][5], p)  # z[i][j] is the output at (x[j], y[i]): P(class 1)
    data = np.asarray(client.get(f"/api/sessions/{s['id']}/data").json()["train"]["X"])
    assert x[0] < data[:, 0].min() and x[-1] > data[:, 0].max()
    three = new_session({"dataset": {"name": "inline", "X": [[0, 0], [1, 1], [2, 0]],
                                     "y": [[1, 0, 0], [0, 1, 0], [0, 0, 1]], "task": "classification"}})
    z = client.get(f"/api/sessions/{three['id']}/boundary", params={"resolution": 5}).json()["z"]
    assert set(np.ravel(z)) <= {0.0, 1.0, 2.0}  # softmax: the argmax class
    sine = new_session({"dataset": {"name": "sine"}})
    c = client.get(f"/api/sessions/{sine['id']}/boundary", params={"resolution": 11}).json()
    assert c["kind"] == "curve" and len(c["x"]) == 11 and np.shape(c["y"]) == (11, 1) and c["finite"] is True


def test_classes_come_from_the_server(client, new_session):
    """The page draws classes (point colours, "discretize") from these fields, never from its own threshold."""
    s = new_session({"dataset": {"name": "xor"}})
    client.post(f"/api/sessions/{s['id']}/epochs", json={"count": 3})
    b = client.get(f"/api/sessions/{s['id']}/boundary", params={"resolution": 9}).json()
    z, classes = np.asarray(b["z"]), np.asarray(b["classes"])
    assert classes.shape == (9, 9) and np.array_equal(classes, (z >= 0.5).astype(int))
    d = client.get(f"/api/sessions/{s['id']}/data").json()
    for split in ("train", "test"):
        y = np.asarray(d[split]["y"])[:, 0]
        assert d[split]["classes"] == [int(v >= 0.5) for v in y]
    three = new_session({"dataset": {"name": "inline", "X": [[0, 0], [1, 1], [2, 0]],
                                     "y": [[1, 0, 0], [0, 1, 0], [0, 0, 1]], "task": "classification"}})
    b3 = client.get(f"/api/sessions/{three['id']}/boundary", params={"resolution": 5}).json()
    assert b3["classes"] == [[int(v) for v in row] for row in b3["z"]]  # softmax: z is already the class
    assert client.get(f"/api/sessions/{three['id']}/data").json()["train"]["classes"] == [0, 1, 2]
    sine = new_session({"dataset": {"name": "sine"}})
    assert "classes" not in client.get(f"/api/sessions/{sine['id']}/boundary", params={"resolution": 5}).json()
    assert "classes" not in client.get(f"/api/sessions/{sine['id']}/data").json()["train"]


def test_outputs_classification_and_regression(client, new_session):
    s = new_session({"dataset": {"name": "gaussians"}})
    client.post(f"/api/sessions/{s['id']}/epochs", json={"count": 20})
    o = client.get(f"/api/sessions/{s['id']}/outputs").json()
    assert o["split"] == "test" and o["n"] == 40 and np.sum(o["confusion"]) == 40
    assert o["accuracy"] == np.trace(o["confusion"]) / 40 and o["accuracy"] > 0.8 and o["rmse"] is None
    r = new_session({"dataset": {"name": "diabetes"}, "optimizer": {"learning_rate": 0.01}})
    client.post(f"/api/sessions/{r['id']}/epochs", json={"count": 5})
    orig = client.get(f"/api/sessions/{r['id']}/outputs", params={"split": "train", "max_points": 50}).json()
    scaled = client.get(f"/api/sessions/{r['id']}/outputs", params={"split": "train", "units": "scaled"}).json()
    assert orig["units"] == "original" and len(orig["y_true"]) == 50 and orig["n"] == 353
    assert np.mean(orig["y_true"]) > 100 and abs(np.mean(scaled["y_true"])) < 1e-9  # disease progression units
    assert np.isclose(orig["r2"], scaled["r2"]) and orig["confusion"] is None
    assert orig["rmse"] > 10 * scaled["rmse"]


def test_page_plotly_and_docs(client):
    r = client.get("/")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    js = client.get("/vendor/plotly.min.js")
    assert js.status_code == 200 and js.content == plotly_js().read_bytes()
    assert "javascript" in js.headers["content-type"]
    schema = client.get("/openapi.json").json()
    layers = schema["components"]["schemas"]["ModelConfig"]["properties"]["layers"]["anyOf"][0]
    assert layers["items"]["maximum"] == 1024 and layers["maxItems"] == 9
    assert "/api/sessions/{session_id}/backward" in schema["paths"]
    assert client.get("/docs").status_code == 200

