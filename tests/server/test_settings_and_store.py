"""One settings object read when the app starts; the two stores behind one protocol;
the engine's formulas and act' in the API."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from mlp_engine import ACTIVATIONS, LOSSES, OUTPUT_ACTIVATIONS
from server.main import create_app
from server.settings import Limits, Settings, markdown_table
from server.store import DurableStore, MemoryStore, open_backend, open_store


def _wide(width: int) -> dict:
    return {"dataset": {"name": "xor", "n_samples": 8}, "model": {"layers": [2, width, 1]}}


def test_a_limit_set_in_the_environment_holds_for_the_app_built_after(monkeypatch, tmp_path) -> None:
    # The server modules are imported already: the limit can only come from building the app.
    monkeypatch.setenv("MLP_PLAYGROUND_MAX_WIDTH", "4")
    monkeypatch.setenv("MLP_PLAYGROUND_MAX_BOUNDARY_RESOLUTION", "9")
    monkeypatch.setenv("MLP_PLAYGROUND_STORE", "memory")
    with TestClient(create_app(Settings.from_env())) as c:
        r = c.post("/api/sessions", json=_wide(5))
        assert r.status_code == 422 and r.json()["detail"].startswith(
            "model.layers[1]: Input should be less than or equal to 4"), r.text
        sid = c.post("/api/sessions", json=_wide(4)).json()["id"]
        r = c.get(f"/api/sessions/{sid}/boundary", params={"resolution": 10})
        assert r.status_code == 422 and r.json()["detail"].startswith("resolution: "), r.text
        assert c.get(f"/api/sessions/{sid}/boundary", params={"resolution": 9}).status_code == 200
        assert c.get("/api/options").json()["limits"]["max_width"] == 4
        schema = c.get("/openapi.json").json()["components"]["schemas"]
        width = schema["ModelConfig"]["properties"]["layers"]["anyOf"][0]["items"]
        assert width["maximum"] == 4
    with TestClient(create_app(Settings())) as c:  # another app in the same process: its own limits
        assert c.post("/api/sessions", json=_wide(5)).status_code == 201
        assert c.get("/api/options").json()["limits"]["max_width"] == 1024


def test_every_variable_is_read_by_settings(tmp_path) -> None:
    env = {"MLP_PLAYGROUND_MAX_LIVE_CONNECTIONS": "3", "MLP_PLAYGROUND_UNDO_DEPTH": "0",
           "MLP_PLAYGROUND_UNDO_MAX_PARAMS": "7", "MLP_PLAYGROUND_DATA": str(tmp_path),
           "MLP_PLAYGROUND_DOWNLOAD": "0", "MLP_PLAYGROUND_CSV_MAX_ROWS": "5",
           "MLP_PLAYGROUND_MAX_PARAMS": "99", "MLP_PLAYGROUND_BLAS_THREADS": "0"}
    s = Settings.from_env(env)
    assert (s.max_live_connections, s.undo_depth, s.undo_max_params, s.download) == (3, 0, 7, False)
    assert s.data_dir() == tmp_path and s.csv_limits()["max_rows"] == 5 and s.limits.max_params == 99
    assert s.blas_threads == 0
    assert Settings.from_env({}).download and Settings().data_dir() is None
    with pytest.raises(ValueError, match="MLP_PLAYGROUND_UNDO_DEPTH: must be a whole number >= 0"):
        Settings.from_env({"MLP_PLAYGROUND_UNDO_DEPTH": "-1"})
    with pytest.raises(ValueError, match="MLP_PLAYGROUND_MAX_LIVE_CONNECTIONS: must be a positive whole number"):
        Settings.from_env({"MLP_PLAYGROUND_MAX_LIVE_CONNECTIONS": "0"})


def test_open_store_picks_the_class(tmp_path) -> None:
    memory = open_store(Settings(store="memory", max_sessions=3))
    assert isinstance(memory, MemoryStore) and memory.max_sessions == 3
    durable = open_store(Settings(store=str(tmp_path / "s.sqlite3"), undo_depth=2))
    try:
        assert isinstance(durable, DurableStore) and durable.builder.undo_depth == 2
    finally:
        durable.close()


def test_a_redis_url_without_the_package_names_the_extra(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)  # import redis fails as if not installed
    monkeypatch.delitem(sys.modules, "server.store.redis", raising=False)
    with pytest.raises(ValueError, match=r"pip install mlp-playground\[redis\]"):
        open_backend("redis://127.0.0.1:6379/0")


def test_options_carry_the_engines_formulas(client) -> None:
    formulas = client.get("/api/options").json()["formulas"]
    acts = {**ACTIVATIONS, **OUTPUT_ACTIVATIONS}
    assert set(formulas["activations"]) == set(acts)
    for name, act in acts.items():
        assert formulas["activations"][name] == {"f": act.formula, "df": act.derivative}
    assert set(formulas["losses"]) == set(LOSSES)
    for name, loss in LOSSES.items():
        assert formulas["losses"][name] == {"value": loss.formula, "delta": dict(loss.delta_formula)}


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_the_backward_trace_carries_act_prime(client, activation: str) -> None:
    sid = client.post("/api/sessions", json={"dataset": {"name": "moons", "n_samples": 40}, "seed": 3,
                                             "model": {"layers": [2, 5, 3, 1], "activation": activation}}).json()["id"]
    trace = client.post(f"/api/sessions/{sid}/backward", json={"indices": [0, 3, 7]}).json()
    act = ACTIVATIONS[activation]
    for layer, (fwd, bwd) in enumerate(zip(trace["forward"][:-1], trace["backward"][:-1])):
        z, a = np.array(fwd["z"]), np.array(fwd["a"])
        assert np.array(bwd["act_prime"]).shape == z.shape == (3, trace["layers"][layer + 1])
        np.testing.assert_allclose(bwd["act_prime"], act.df(z, a), rtol=0, atol=1e-15)
    assert trace["backward"][-1]["act_prime"] is None


def test_act_prime_follows_include_and_max_elements(client) -> None:
    sid = client.post("/api/sessions", json={"dataset": {"name": "xor", "n_samples": 40},
                                             "model": {"layers": [2, 8, 1]}}).json()["id"]
    r = client.post(f"/api/sessions/{sid}/backward", json={"include": ["forward"]}).json()
    assert "backward" not in r or r["backward"] is None
    r = client.post(f"/api/sessions/{sid}/backward", json={"max_elements": 4, "include": ["backward"]}).json()
    summary = r["backward"][0]["act_prime"]
    assert summary["summary"] is True and summary["shape"] == [16, 8]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_the_cli_says_which_extra_a_redis_store_needs(monkeypatch, workers: str) -> None:
    from server import cli

    monkeypatch.setitem(sys.modules, "redis", None)
    monkeypatch.delitem(sys.modules, "server.store.redis", raising=False)
    with pytest.raises(SystemExit, match=r"pip install mlp-playground\[redis\]"):
        cli.main(["--workers", workers, "--store", "redis://127.0.0.1:1/0", "--no-browser", "--port", "0"])


def test_live_messages_are_bounded_by_the_apps_limits() -> None:
    with TestClient(create_app(Settings(limits=Limits(max_boundary_resolution=9)))) as c:
        sid = c.post("/api/sessions", json={"dataset": {"name": "xor", "n_samples": 8}}).json()["id"]
        with c.websocket_connect(f"/api/sessions/{sid}/live") as ws:
            assert ws.receive_json()["type"] == "hello"
            ws.send_json({"action": "set", "resolution": 10})
            error = ws.receive_json()
            assert error["type"] == "error", error
            assert error["detail"].startswith("resolution: Input should be less than or equal to 9"), error
            ws.send_json({"action": "set", "resolution": 9})
            answer = ws.receive_json()
            assert answer["type"] == "set" and answer["resolution"] == 9, answer


def test_the_readme_table_of_settings_is_written_from_settings() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    start = readme.index("<!-- settings table: python -m server.settings --markdown -->\n")
    end = readme.index("<!-- end of the settings table -->")
    assert readme[readme.index("\n", start) + 1:end] == markdown_table(), (
        "README.md's settings table differs from server/settings.py: paste `python -m server.settings --markdown`")
    names = {line.split("`")[1] for line in markdown_table().splitlines()[2:]}
    assert {"MAX_WIDTH", "STORE", "UNLIMITED_CLIENTS", "MAX_HEADER_BYTES"} <= names and "BOUND_HOST" not in names
    assert len(names) == len(Limits.model_fields) + len(Settings.model_fields) - 2  # not limits, bound_host
