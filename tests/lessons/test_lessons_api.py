"""Every lesson through the API (quick mode): it starts, its sessions are real
sessions, and what it teaches shows both in ``measured`` and in the sessions
themselves. ``test_lessons_engine.py`` asserts the engine side; these tests
look through HTTP, mostly at the sessions the learner would open."""
from __future__ import annotations

from typing import Any, Callable, Iterator

import numpy as np
import pytest
from fastapi.testclient import TestClient

from mlp_engine import ACTIVATIONS
from mlp_lessons import LESSONS, SEED_CALIFORNIA_MSE, WORKED_EXAMPLE_NUMBERS
from server.main import create_app
from server.settings import Settings

ORDER = ["worked-example", "vanishing-gradients", "exploding-gradients", "activations",
         "initialisation", "california-housing", "digits", "loss-landscape", "derivations",
         "vanishing-gradients-cured"]
LABELS = {
    "worked-example": ["worked example"],
    "vanishing-gradients": ["sigmoid, 6 hidden layers", "relu, 6 hidden layers"],
    "exploding-gradients": ["no clipping", "clipped at norm 1"],
    "activations": list(ACTIVATIONS),
    "initialisation": ["zeros", "normal", "xavier", "he"],
    "california-housing": ["this engine, [8, 20, 10, 1] sigmoid"],
    "digits": ["digits", "mnist_subset"],
    "loss-landscape": ["shallow", "deep"],
    "derivations": ["3-layer network"],
    "vanishing-gradients-cured": ["sigmoid, 6 hidden layers, plain", "sigmoid, 6 hidden layers, batch norm",
                                  "sigmoid, 6 hidden layers, residual", "no dropout", "dropout"],
}
Started = Callable[[str], dict[str, Any]]


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings())) as c:
        yield c


@pytest.fixture(scope="module")
def started(client: TestClient) -> Started:
    """``started(name)``: the 201 answer of the quick lesson, run once per module
    (the tests that step a session start their own)."""
    cache: dict[str, dict[str, Any]] = {}

    def start(name: str) -> dict[str, Any]:
        if name not in cache:
            r = client.post(f"/api/lessons/{name}", json={"quick": True})
            assert r.status_code == 201, r.text
            cache[name] = r.json()
        return cache[name]

    return start


def sessions(answer: dict[str, Any]) -> dict[str, str]:
    """label -> session id."""
    return {s["label"]: s["id"] for s in answer["sessions"]}


def state(client: TestClient, sid: str, **query: Any) -> dict[str, Any]:
    r = client.get(f"/api/sessions/{sid}", params={"max_elements": 100_000, **query})
    assert r.status_code == 200, r.text
    return r.json()


def test_lessons_are_listed_in_the_issue_order(client):
    r = client.get("/api/lessons")
    assert r.status_code == 200
    assert [item["name"] for item in r.json()] == ORDER
    assert r.json() == [lesson.as_dict() for lesson in LESSONS.values()]


@pytest.mark.parametrize("name", ORDER)
def test_every_lesson_starts_and_makes_real_sessions(client, started, name):
    a = started(name)
    assert (a["name"], a["title"], a["summary"]) == (name, LESSONS[name].title, LESSONS[name].summary)
    assert a["quick"] is True and isinstance(a["measured"], dict) and a["measured"]
    assert [s["label"] for s in a["sessions"]] == LABELS[name]
    ids = [s["id"] for s in a["sessions"]]
    assert len(set(ids)) == len(ids)
    for sid in ids:
        s = state(client, sid, include="history")
        assert s["id"] == sid
        # The session's complete config rebuilds it: posting it again gives the same start.
        again = client.post("/api/sessions", json=s["config"])
        assert again.status_code == 201, again.text
        assert again.json()["n_params"] == s["n_params"] and again.json()["n_train"] == s["n_train"]
        client.delete(f"/api/sessions/{again.json()['id']}")


def test_worked_example_session_steps_to_the_seeds_numbers(client):
    a = client.post("/api/lessons/worked-example").json()
    assert a["quick"] is False and a["measured"]["matches"] is True
    sid = a["sessions"][0]["id"]
    assert state(client, sid)["step"] == 0  # the learner presses Step
    t = client.post(f"/api/sessions/{sid}/backward", json={}).json()
    seed = WORKED_EXAMPLE_NUMBERS
    got = {"z0": t["forward"][0]["z"][0], "yhat": t["forward"][1]["a"][0][0], "loss": t["loss"],
           "delta1": t["backward"][1]["delta"][0], "dW1": t["backward"][1]["dW"], "db1": t["backward"][1]["db"],
           "delta0": t["backward"][0]["delta"][0], "dW0": t["backward"][0]["dW"], "db0": t["backward"][0]["db"]}
    for key, value in seed.items():
        np.testing.assert_allclose(got[key], value, rtol=0, atol=1e-12, err_msg=key)


def test_vanishing_gradients_sigmoid_ratio_is_100_times_smaller(client, started):
    a = started("vanishing-gradients")
    m = a["measured"]
    assert m["sigmoid_vs_relu"] <= 1e-2
    # The same ratio from the sessions' own per-epoch gradient norms (what the page plots).
    ratios = {}
    for label, sid in sessions(a).items():
        norms = np.mean(state(client, sid, include="history")["history"]["grad_norms"], axis=0)
        assert len(norms) == 7
        ratios[label.split(",")[0]] = norms[0] / norms[-1]
    assert ratios["sigmoid"] / ratios["relu"] <= 1e-2
    assert ratios["sigmoid"] == pytest.approx(m["sigmoid"]["first_over_last"], rel=1e-12)


def test_clipping_keeps_finite_what_diverges_without_it(client, started):
    a = started("exploding-gradients")
    m = a["measured"]
    # The diverged run's loss is NaN in the engine: JSON carries null and says finite: false.
    assert a["finite"] is False and m["unclipped"]["finite"] is False and m["unclipped"]["train_loss"] is None
    assert m["clipped"]["finite"] is True and m["clipped"]["train_loss"] is not None
    ids = sessions(a)
    unclipped, clipped = state(client, ids["no clipping"]), state(client, ids["clipped at norm 1"])
    assert unclipped["finite"] is False and None in unclipped["history"]["train_loss"]
    assert clipped["finite"] is True and clipped["epoch"] == m["epochs"]
    assert all(v is not None for v in clipped["history"]["train_loss"])
    assert clipped["config"]["optimizer"]["clip_norm"] == 1.0
    # Step by step through the first epoch: the unclipped gradient grows by many orders of
    # magnitude before it turns NaN (null); the clipped run's stays small and finite.
    grown = m["unclipped"]["first_epoch"]["global_grad_norm"]
    assert grown[-1] is None and max(v for v in grown if v is not None) > 1e6 * grown[0]
    assert all(v is not None and v < 10 for v in m["clipped"]["first_epoch"]["global_grad_norm"])


def test_activations_lesson_overlays_one_curve_per_activation(client, started):
    a = started("activations")
    for label, sid in sessions(a).items():
        s = state(client, sid, include="history")
        assert s["config"]["model"]["activation"] == label
        assert s["history"]["train_loss"] == a["measured"][label]["train_loss_curve"]


def test_zeros_initialisation_keeps_hidden_units_identical(client, started):
    a = started("initialisation")
    assert a["measured"]["zeros"]["hidden_units_identical"] is True
    for label, sid in sessions(a).items():
        params = state(client, sid, include="params")["params"]
        hidden = params[:-1]
        identical = all(np.allclose(layer["W"], [layer["W"][0]], rtol=0, atol=1e-12)
                        and np.allclose(layer["b"], layer["b"][0], rtol=0, atol=1e-12) for layer in hidden)
        assert identical is (label == "zeros"), label
        assert a["measured"][label]["hidden_units_identical"] is identical


def test_california_reports_all_three_models_beside_the_seed(client, started):
    a = started("california-housing")
    m = a["measured"]
    assert set(m["test_mse"]) == {"engine", "sklearn_mlp", "linear_regression"}
    assert all(isinstance(v, float) and v > 0 for v in m["test_mse"].values())
    assert m["seed_reported"] == SEED_CALIFORNIA_MSE and m["units"] == "(100,000 USD)^2"
    # The engine's row is the session's own test error in original units.
    out = client.get(f"/api/sessions/{a['sessions'][0]['id']}/outputs", params={"max_points": 20_000}).json()
    assert out["units"] == "original"
    assert out["rmse"] ** 2 == pytest.approx(m["test_mse"]["engine"], rel=1e-9)


def test_digits_confusion_is_the_sessions_own(client, started):
    a = started("digits")
    ids = sessions(a)
    for name, shape in (("digits", [8, 8]), ("mnist_subset", [28, 28])):
        m = a["measured"][name]
        assert m["image_shape"] == shape
        out = client.get(f"/api/sessions/{ids[name]}/outputs").json()
        assert out["confusion"] == m["confusion"] and out["accuracy"] == pytest.approx(m["test_accuracy"])
        # The first layer's weights, one image per hidden unit, are in the session's params.
        W0 = state(client, ids[name], include="params")["params"][0]["W"]
        assert np.shape(W0) == (m["n_features_shown"], shape[0] * shape[1])


def test_loss_landscape_slices_rise_away_from_the_trained_weights(started):
    m = started("loss-landscape")["measured"]
    for label in ("shallow", "deep"):
        one, two = np.array(m[label]["loss_1d"]), np.array(m[label]["loss_2d"])
        assert one.shape == (len(m["alpha"]),) and two.shape == (len(m["grid"]),) * 2
        c = len(m["grid"]) // 2
        assert two[c, c] == pytest.approx(m[label]["centre_loss"], rel=1e-9)
        assert m[label]["rise_at_half"] > 0


def test_derivations_hold_and_the_session_gradchecks(client, started):
    a = started("derivations")
    m = a["measured"]
    assert m["sigmoid_derivative"]["max_abs_error"] < 1e-9
    assert m["softmax_cross_entropy"]["passed"] and m["three_layer"]["passed"]
    r = client.post(f"/api/sessions/{a['sessions'][0]['id']}/gradcheck", json={})
    assert r.status_code == 200 and r.json()["passed"] is True


def test_unknown_lesson_is_404_naming_it(client):
    r = client.post("/api/lessons/backprop-by-hand", json={})
    assert r.status_code == 404
    assert r.json()["detail"].startswith("name: no lesson 'backprop-by-hand'; choose one of worked-example, ")


@pytest.mark.parametrize("body, field", [({"quick": "sometimes"}, "quick"), ({"fast": True}, "fast")])
def test_bad_body_is_422_naming_the_field(client, body, field):
    r = client.post("/api/lessons/derivations", json=body)
    assert r.status_code == 422 and r.json()["detail"].startswith(f"{field}: ")


def test_lessons_evict_the_oldest_sessions_as_the_store_does():
    with TestClient(create_app(Settings(max_sessions=4))) as c:
        old = c.post("/api/sessions", json={}).json()["id"]
        a = c.post("/api/lessons/initialisation", json={"quick": True})
        assert a.status_code == 201
        for s in a.json()["sessions"]:
            assert c.get(f"/api/sessions/{s['id']}").status_code == 200
        gone = c.get(f"/api/sessions/{old}")
        assert gone.status_code == 404 and "expired (the server keeps at most 4 sessions)" in gone.json()["detail"]


def test_a_lesson_larger_than_the_store_is_refused_not_self_evicted():
    with TestClient(create_app(Settings(max_sessions=3))) as c:
        kept = c.post("/api/sessions", json={}).json()["id"]
        r = c.post("/api/lessons/activations", json={"quick": True})
        assert r.status_code == 409
        assert r.json()["detail"] == ("name: lesson 'activations' makes 5 sessions but the server keeps at most 3 "
                                      "(MLP_PLAYGROUND_MAX_SESSIONS)")
        assert c.get(f"/api/sessions/{kept}").status_code == 200  # nothing was evicted


def test_a_lesson_reads_real_data_from_the_servers_data_folder(tmp_path):
    """The lessons build their trainers as the server does: MLP_PLAYGROUND_DATA (here an
    empty folder, with downloads off) is where California housing is looked for."""
    settings = Settings(data=str(tmp_path), download=False)
    with TestClient(create_app(settings)) as c:
        r = c.post("/api/lessons/california-housing", json={"quick": True})
    assert r.status_code == 422 and str(tmp_path) in r.json()["detail"], r.text
