"""The worked example of ``docs/math.md`` over HTTP: every number of it to 1e-12."""
from __future__ import annotations

import numpy as np

TOL = 1e-12

W0 = np.array([[0.1, 0.2], [0.3, 0.4]])
W1 = np.array([[0.5, 0.6]])
EXPECTED = {
    "z0": [[0.5, 1.1]], "yhat": [[0.91]], "loss": 0.00405,
    "delta1": [[-0.09]], "dW1": [[-0.045, -0.099]], "db1": [-0.09],
    "delta0": [[-0.045, -0.054]], "dW0": [[-0.045, -0.09], [-0.054, -0.108]], "db0": [-0.045, -0.054],
}


def close(actual, expected) -> bool:
    return np.allclose(np.asarray(actual, dtype=float), np.asarray(expected, dtype=float), rtol=0, atol=TOL)


def test_one_backward_call_gives_every_number(client, new_session, worked_config):
    sid = new_session(worked_config)["id"]
    r = client.post(f"/api/sessions/{sid}/backward", json={})
    assert r.status_code == 200, r.text
    t = r.json()
    fwd, bwd = t["forward"], t["backward"]
    assert t["finite"] is True and t["step"] == 1 and t["indices"] == [0]
    assert close(t["X"], [[1, 2]]) and close(t["y"], [[1]])
    assert close(fwd[0]["z"], EXPECTED["z0"]) and close(fwd[0]["a"], EXPECTED["z0"])  # both positive
    assert close(fwd[1]["z"], EXPECTED["yhat"]) and close(fwd[1]["a"], EXPECTED["yhat"])
    assert abs(t["loss"] - EXPECTED["loss"]) <= TOL
    assert close(bwd[1]["delta"], EXPECTED["delta1"])
    assert close(bwd[1]["dW"], EXPECTED["dW1"]) and close(bwd[1]["db"], EXPECTED["db1"])
    assert close(bwd[0]["delta"], EXPECTED["delta0"])
    assert close(bwd[0]["dW"], EXPECTED["dW0"]) and close(bwd[0]["db"], EXPECTED["db0"])
    for l, dW in enumerate((EXPECTED["dW0"], EXPECTED["dW1"])):
        assert abs(bwd[l]["grad_norm"] - np.linalg.norm(dW)) <= TOL
    # params after the update: W - lr * dW, b - lr * db (lr = 0.1)
    p = t["params"]
    assert close(p[0]["W"], W0 - 0.1 * np.array(EXPECTED["dW0"]))
    assert close(p[1]["W"], W1 - 0.1 * np.array(EXPECTED["dW1"]))
    assert close(p[0]["b"], -0.1 * np.array(EXPECTED["db0"]))
    assert close(p[1]["b"], -0.1 * np.array(EXPECTED["db1"]))
    # the trace's extras
    assert t["layers"] == [2, 2, 1] and t["activation"] == "relu" and t["output_activation"] == "linear"
    assert t["loss_name"] == "mse" and t["learning_rate"] == 0.1
    assert t["epoch"] == 1 and t["epoch_finished"] is True  # one sample: one step is one epoch


def test_state_after_the_step_holds_the_updated_params(client, new_session, worked_config):
    sid = new_session(worked_config)["id"]
    trace = client.post(f"/api/sessions/{sid}/backward").json()
    state = client.get(f"/api/sessions/{sid}").json()
    assert state["params"] == trace["params"] and state["step"] == 1 and state["epoch"] == 1
    assert abs(state["history"]["train_loss"][0] - EXPECTED["loss"]) <= TOL


def test_apply_false_is_a_preview(client, new_session, worked_config):
    s = new_session(worked_config)
    t = client.post(f"/api/sessions/{s['id']}/backward", json={"apply": False}).json()
    assert abs(t["loss"] - EXPECTED["loss"]) <= TOL and close(t["backward"][0]["dW"], EXPECTED["dW0"])
    assert t["params"] == s["params"] and t["applied"] is False and t["step"] == 0
    assert client.get(f"/api/sessions/{s['id']}").json()["step"] == 0
