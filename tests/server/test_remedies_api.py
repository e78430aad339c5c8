"""Batch norm, residual connections, dropout, L1 and per-layer activations over HTTP:
the trace's new stages, the gradient check on a trace's masks, export/import/continue
bit for bit, the views without dropout, and a 422 naming the field for bad values."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

CONFIG: dict[str, Any] = {
    "dataset": {"name": "moons", "n_samples": 60, "test_fraction": 0.25},
    "model": {"layers": [2, 5, 5, 1], "activation": ["tanh", "sigmoid"], "dropout": 0.3,
              "batch_norm": True, "residual": True},
    "optimizer": {"name": "momentum", "batch_size": 6, "l1": 0.001},
    "seed": 4,
}


def post(client, path, body=None, status=200):
    r = client.post(path, json=body)
    assert r.status_code == status, r.text
    return r.json()


def create(client, config=CONFIG) -> str:
    return post(client, "/api/sessions", config, 201)["id"]


def test_the_trace_shows_every_stage(client) -> None:
    sid = create(client)
    state = client.get(f"/api/sessions/{sid}").json()
    assert state["config"]["model"]["activation"] == ["tanh", "sigmoid"]
    assert state["config"]["optimizer"]["l1"] == 0.001
    for layer in state["params"][:2]:
        assert layer["gamma"] == [1.0] * 5 and layer["beta"] == [0.0] * 5
    assert "gamma" not in state["params"][2]
    t = post(client, f"/api/sessions/{sid}/backward")
    assert t["activation"] == ["tanh", "sigmoid"]
    for l in range(2):
        f, b = t["forward"][l], t["backward"][l]
        z, z_hat, u, mask = (np.array(f[k]) for k in ("z", "z_hat", "u", "mask"))
        assert z.shape == z_hat.shape == u.shape == mask.shape == (6, 5)
        assert set(np.unique(mask)) <= {0.0, 1.0}
        np.testing.assert_allclose(z_hat, (z - z.mean(0)) / np.sqrt(z.var(0) + 1e-5), rtol=1e-12, atol=1e-12)
        assert len(b["dgamma"]) == len(b["dbeta"]) == 5
    assert "mask" not in t["forward"][2] and "dgamma" not in t["backward"][2]
    # Layer 1 is as wide as layer 0: its output is its own plus a[0].
    a0, a1 = np.array(t["forward"][0]["a"]), np.array(t["forward"][1]["a"])
    own = 1 / (1 + np.exp(-np.array(t["forward"][1]["u"]))) * np.array(t["forward"][1]["mask"]) / 0.7
    np.testing.assert_allclose(a1, own + a0, rtol=1e-12, atol=1e-12)


def test_the_gradient_check_keeps_a_traces_masks(client) -> None:
    sid = create(client)
    t = post(client, f"/api/sessions/{sid}/backward", {"apply": False})
    masks = [t["forward"][l]["mask"] for l in range(2)]
    check = post(client, f"/api/sessions/{sid}/gradcheck", {"indices": t["indices"], "masks": masks})
    assert check["passed"] and check["max_rel_error"] < 1e-6
    assert {"gamma_rel_error", "beta_rel_error"} <= set(check["layers"][0])
    bad = client.post(f"/api/sessions/{sid}/gradcheck", json={"indices": t["indices"], "masks": masks[:1]})
    assert bad.status_code == 422 and "masks" in bad.json()["detail"]


def test_export_import_continue_bit_for_bit(client) -> None:
    a, b = create(client), create(client)
    for sid in (a, b):
        post(client, f"/api/sessions/{sid}/epochs", {"count": 2})
        post(client, f"/api/sessions/{sid}/backward")
    doc = client.get(f"/api/sessions/{b}/export").json()
    c = post(client, "/api/sessions/import", doc, 201)["id"]
    ta, tc = post(client, f"/api/sessions/{a}/backward"), post(client, f"/api/sessions/{c}/backward")
    assert ta["forward"][0]["mask"] == tc["forward"][0]["mask"]
    ea = post(client, f"/api/sessions/{a}/epochs", {"count": 3})
    ec = post(client, f"/api/sessions/{c}/epochs", {"count": 3})
    assert ea["params"] == ec["params"] and ea["train_loss"] == ec["train_loss"]
    assert ea["test_loss"] == ec["test_loss"]


def test_predictions_use_no_dropout(client) -> None:
    sid = create(client)
    post(client, f"/api/sessions/{sid}/epochs", {"count": 2})
    X = [[0.1, 0.2], [1.0, -0.5]]
    first = post(client, f"/api/sessions/{sid}/predict", {"X": X})["y"]
    assert post(client, f"/api/sessions/{sid}/predict", {"X": X})["y"] == first  # no masks drawn


@pytest.mark.parametrize("model, optimizer, field", [
    ({"dropout": 1}, {}, "model.dropout"),
    ({"dropout": -0.5}, {}, "model.dropout"),
    ({"layers": [2, 4, 4, 1], "activation": ["relu"]}, {}, "model.activation"),
    ({"activation": ["relu", "tanh", "relu"]}, {}, "model.activation"),  # default layers: two hidden
    ({"activation": ["relu", "swish"]}, {}, "model.activation"),
    ({"batch_norm": "often"}, {}, "model.batch_norm"),
    ({"residual": 3}, {}, "model.residual"),
    ({}, {"l1": -1}, "optimizer.l1"),
])
def test_bad_values_get_a_422_naming_the_field(client, model, optimizer, field) -> None:
    r = client.post("/api/sessions", json={"model": model, "optimizer": optimizer})
    assert r.status_code == 422, r.text
    assert r.json()["detail"].startswith(field), r.json()["detail"]


@pytest.mark.parametrize("model, optimizer", [
    ({"layers": [2, 4, 4, 1], "residual": True}, {}),
    ({"activation": ["relu", "tanh"]}, {}),
    ({}, {"l1": 0.01}),
    ({"batch_norm": True}, {}),
    ({"dropout": 0.2}, {}),
])
@pytest.mark.parametrize("framework", ["numpy", "pytorch"])
def test_the_code_export_writes_every_remedy(client, model, optimizer, framework) -> None:
    # tests/codegen runs these scripts against the session's own steps.
    sid = create(client, {"dataset": {"name": "xor"}, "model": model, "optimizer": optimizer})
    r = client.get(f"/api/sessions/{sid}/code", params={"framework": framework, "steps": 2})
    assert r.status_code == 200, r.text
    assert "HIDDEN = [" in r.text
