"""Holding under abuse, the second pass: each attack of that pass, sent as the attacker did,
now gets the answer its goal says (the view endpoints and live frames priced, a linear body
check off the loop, honest store failures, no cached answers). In process; every verdict is
an answer, an event or a count, never a time."""
from __future__ import annotations

import asyncio
import logging
import random
import shutil
from typing import Any, Iterator

import numpy as np
import pytest
from fastapi.testclient import TestClient

import launch
from reliability_kit import in_process as _client
from server.bounds import body as body_guard
from server.settings import Limits, Settings

XOR = {"dataset": {"name": "xor"}, "model": {"layers": [2, 8, 1]}}


# -- 1. the body check: one linear pass, off the loop -------------------------------
def _reference_depth(body: bytes) -> int | None:
    """A byte-by-byte reading of JSON's strings and brackets; ``None`` for a backslash outside
    a string (not JSON: nothing to compare)."""
    depth = deepest = 0
    in_string = escaped = False
    for c in body:
        if in_string:
            if escaped:
                escaped = False
            elif c == 0x5C:
                escaped = True
            elif c == 0x22:
                in_string = False
        elif c == 0x5C:
            return None
        elif c == 0x22:
            in_string = True
        elif c in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        elif c in b"]}":
            depth -= 1
    return deepest


def test_the_body_depth_reads_strings_as_a_parser_does_whatever_the_pieces():
    # Unterminated runs of escaped quotes (the attack) with brackets after them, which are
    # inside that string; and random bodies of backslashes, quotes and brackets, measured in
    # pieces of 1, 2, 3 and 7 bytes, so that every escape and string crosses a piece's end.
    rng = random.Random(22)
    bodies = [b'"' + b'\\"' * 500 + b"[[[[", b"[" * 40 + b'"' + b'\\"' * 9 + b"[[[", b'["\\\\"]', b'"\\\\\\"[" [[]]']
    bodies += [bytes(rng.choice(b'\\"[]{}x') for _ in range(rng.randint(0, 40))) for _ in range(4000)]
    compared = 0
    for body in bodies:
        expected = _reference_depth(body)
        if expected is None:
            continue
        compared += 1
        assert body_guard.json_depth(body) == expected, body
        for piece in (1, 2, 3, 7):
            assert body_guard.json_depth(body, piece) == expected, (body, piece)
    assert compared > 1000


def test_a_large_body_is_measured_off_the_event_loop(api, monkeypatch):
    measured: list[str] = []
    real = body_guard.json_depth

    def recording(body: bytes, *args: Any) -> int:
        try:
            asyncio.get_running_loop()
            measured.append("loop")
        except RuntimeError:
            measured.append("thread")
        return real(body, *args)

    monkeypatch.setattr(body_guard, "json_depth", recording)
    attack = b'"' + b'\\"' * (body_guard.INLINE_BYTES // 2 + 1000)  # unterminated escaped quotes
    r = api.post("/api/sessions", content=attack, headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["detail"].startswith("body: invalid JSON"), r.text
    assert measured == ["thread"]


# -- 5. gradcheck masks ------------------------------------------------------------
@pytest.mark.parametrize("masks", [
    [[[1] * 8], [[1] * 8]],  # one row for two checked rows (the attack)
    [[[1] * 8, [1]], [[1] * 8, [1] * 8]],  # ragged
], ids=["too few rows", "ragged"])
def test_gradcheck_masks_of_the_wrong_shape_are_a_422_naming_the_mask(api, masks):
    sid = api.post("/api/sessions", json={"dataset": {"name": "xor"}, "model": {"layers": [2, 8, 8, 1]}}).json()["id"]
    r = api.post(f"/api/sessions/{sid}/gradcheck", json={"indices": [0, 1], "masks": masks})
    assert r.status_code == 422 and r.json()["detail"].startswith("masks[0]: "), r.text


def test_gradcheck_masks_of_the_right_shape_still_check(api):
    config = {"dataset": {"name": "xor"}, "model": {"layers": [2, 8, 8, 1], "dropout": 0.5}}
    sid = api.post("/api/sessions", json=config).json()["id"]
    masks = [[[1, 0] * 4, [0, 1] * 4], [[1] * 8, [0] * 4 + [1] * 4]]
    r = api.post(f"/api/sessions/{sid}/gradcheck", json={"indices": [0, 1], "masks": masks})
    assert r.status_code == 200 and r.json()["passed"] and r.json()["indices"] == [0, 1], r.text


# -- 7. the store's folder deleted while serving ---------------------------------------
def test_a_store_deleted_while_serving_is_a_failing_store_said_once_in_the_log(tmp_path, caplog):
    folder = tmp_path / "store"
    caplog.set_level(logging.INFO, logger="mlp_playground.sessions")
    with _client(Settings(store=str(folder / "s.sqlite3"))) as c:
        store = c.app.state.store
        sid = c.post("/api/sessions", json=XOR).json()["id"]
        assert c.post(f"/api/sessions/{sid}/epochs", json={"count": 1}).status_code == 200
        checks = [0]
        inner_check = store.backend.inner.check

        def counted() -> None:
            checks[0] += 1
            inner_check()

        store.backend.inner.check = counted  # type: ignore[method-assign]
        shutil.rmtree(folder)
        r = c.post(f"/api/sessions/{sid}/epochs", json={"count": 1})
        assert r.status_code == 503 and "deleted" in r.json()["detail"], r.text
        r = c.post("/api/sessions", json=XOR)
        assert r.status_code == 503 and r.json()["detail"].startswith("store:"), r.text
        health = c.get("/api/health")
        assert health.status_code == 503 and "deleted" in health.json()["store"], health.text
        # The saver looks again and again (and fails each time): one line says so, no traceback.
        launch.wait_until(lambda: checks[0] >= 3, "the saver looks at the store three times")
        # Only this store's lines (another test's saver may still be winding down in this process).
        lines = [r for r in caplog.records if r.name == "mlp_playground.sessions" and "saver" in r.getMessage()
                 and str(folder) in r.getMessage()]
        assert lines and "deleted" in lines[0].getMessage(), [r.getMessage() for r in lines]
        assert all(r.exc_info is None for r in lines)
        # A line says what changed, never one per look: at most one per distinct problem.
        assert len(lines) == len({r.getMessage() for r in lines}) < checks[0], [r.getMessage() for r in lines]


def test_a_store_that_went_away_with_no_request_is_seen_by_health(tmp_path):
    folder = tmp_path / "store"
    with _client(Settings(store=str(folder / "s.sqlite3"))) as c:
        assert c.post("/api/sessions", json=XOR).status_code == 201
        shutil.rmtree(folder)
        launch.wait_until(lambda: c.get("/api/health").status_code == 503, "health reports the store failing")
        assert "deleted" in c.get("/api/health").json()["store"]


# -- 9. no cached answers ---------------------------------------------------------
def test_every_api_answer_says_no_store_and_the_page_keeps_its_caching(api):
    sid = api.post("/api/sessions", json=XOR).json()["id"]
    answers = {
        "state": api.get(f"/api/sessions/{sid}"),
        "export": api.get(f"/api/sessions/{sid}/export"),
        "code": api.get(f"/api/sessions/{sid}/code"),
        "report": api.get(f"/api/sessions/{sid}/report"),
        "health": api.get("/api/health"),
        "a 404": api.get("/api/sessions/nothing-here"),
        "a 422": api.post(f"/api/sessions/{sid}/epochs", json={"count": 0}),
        "a 413": api.post("/api/sessions", content=b" " * (Settings().max_body_bytes + 1),
                          headers={"content-type": "application/json"}),
    }
    for name, r in answers.items():
        assert r.headers.get("cache-control") == "no-store", (name, r.status_code, r.headers)
    assert "no-store" not in api.get("/").headers.get("cache-control", "")


# -- 10. smaller ------------------------------------------------------------------
@pytest.mark.parametrize("path,template,field", [
    ("/api/sessions/{sid}/epochs", b'{"count": %s}', "count"),
    ("/api/sessions", b'{"model": {"layers": [2, %s, 1]}}', "model.layers[1]"),
])
def test_an_integer_of_5000_digits_is_a_422_naming_its_field(api, path, template, field):
    sid = api.post("/api/sessions", json=XOR).json()["id"]
    body = template % (b"7" * 5000)
    r = api.post(path.format(sid=sid), content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["detail"].startswith(f"{field}: an integer of 5000 digits"), r.text


def test_a_csv_larger_than_a_session_takes_is_refused_at_upload_naming_the_bound():
    rows = "\n".join(f"{i},{i * 2},{i % 3},{i % 2}" for i in range(30))  # 30 rows of 4 values
    with _client(Settings(limits=Limits(max_inline_values=100))) as c:
        r = c.post("/api/datasets/csv", json={"csv": "a,b,c,y\n" + rows})
        assert r.status_code == 422, r.text
        assert r.json()["detail"].startswith("csv: the table holds 120 values") and \
            "MAX_INLINE_VALUES" in r.json()["detail"]
        assert c.post("/api/datasets/csv", json={"csv": "a,b,c,y\n" + rows[:40]}).status_code == 200


# -- 2. the view endpoints, priced and under the compute limiter ------------------------
WIDE = {"dataset": {"name": "moons", "n_samples": 60_000}, "model": {"layers": [2, 1024, 960, 1]},
        "optimizer": {"name": "adam"}}
"""The attack's wide model (988,033 parameters, within the default limits)."""


@pytest.fixture(scope="module")
def wide() -> Iterator[tuple[TestClient, str]]:
    with _client() as c:
        yield c, c.post("/api/sessions", json=WIDE).json()["id"]


@pytest.mark.parametrize("view,field", [
    ("boundary?resolution=200", "resolution"),
    ("outputs?split=train", "split"),
])
def test_a_view_of_the_wide_model_over_the_budget_is_refused_naming_the_field(wide, view, field):
    c, sid = wide
    r = c.get(f"/api/sessions/{sid}/{view}")
    assert r.status_code == 422, r.text[:300]
    assert r.json()["detail"].startswith(f"{field}: ") and "MAX_REQUEST_SECONDS" in r.json()["detail"]


@pytest.mark.parametrize("view,field,budget", [
    ("neurons?resolution=100", "resolution", {"max_request_mb": 256}),
    ("code?steps=1000", "code", {"max_request_seconds": 2}),
    ("report", "report", {"max_request_seconds": 2}),
])
def test_pictures_scripts_and_reports_are_priced_before_they_are_made(view, field, budget):
    with _client(Settings(**budget)) as c:
        sid = c.post("/api/sessions", json={**WIDE, "dataset": {"name": "xor"}}).json()["id"]
        r = c.get(f"/api/sessions/{sid}/{view}")
        assert r.status_code == 422, r.text[:300]
        assert r.json()["detail"].startswith(f"{field}: ") and "MLP_PLAYGROUND_MAX_REQUEST_" in r.json()["detail"]


def test_the_views_run_under_the_compute_limiter(monkeypatch):
    from server import payloads, sessions
    from server.routes import code, reports

    borrowed: dict[str, float] = {}

    def recording(module: Any, name: str) -> None:
        real = getattr(module, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            limiter = sessions.COMPUTE.get()
            borrowed[name] = limiter.borrowed_tokens if limiter is not None else -1
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, call)

    for module, name in ((payloads, "boundary"), (payloads, "outputs"), (payloads, "neurons"),
                         (code, "generate"), (reports, "report_html")):
        recording(module, name)
    with _client(Settings(compute_threads=1)) as c:
        sid = c.post("/api/sessions", json=XOR).json()["id"]
        for view in ("boundary", "outputs", "neurons", "code", "report"):
            assert c.get(f"/api/sessions/{sid}/{view}").status_code == 200, view
    # Each ran holding the one compute slot (a plain threadpool call borrows none of it).
    assert borrowed == {"boundary": 1, "outputs": 1, "neurons": 1, "generate": 1, "report_html": 1}


def test_outputs_are_predicted_in_chunks_and_agree(api, monkeypatch):
    from server import payloads

    sid = api.post("/api/sessions", json={"dataset": {"name": "moons", "n_samples": 500}}).json()["id"]
    whole = api.get(f"/api/sessions/{sid}/outputs", params={"split": "train"}).json()
    calls: list[int] = []
    model = api.app.state.store.get(sid).trainer.model
    real = type(model).predict

    def counted(self: Any, X: Any) -> Any:
        calls.append(X.shape[0])
        return real(self, X)

    monkeypatch.setattr(payloads, "PREDICT_CHUNK_BYTES", 2000)  # a few rows a chunk
    monkeypatch.setattr(type(model), "predict", counted)
    chunked = api.get(f"/api/sessions/{sid}/outputs", params={"split": "train"}).json()
    assert len(calls) > 10 and max(calls) < 400
    np.testing.assert_allclose(chunked.pop("y_pred"), whole.pop("y_pred"), rtol=1e-12)
    assert chunked == whole


# -- 3. live frames priced -------------------------------------------------------------
@pytest.mark.parametrize("play,budget,field", [
    ({"resolution": 200}, {}, "resolution"),
    ({"neurons": 100, "resolution": 5}, {"max_request_mb": 256}, "neurons"),
])
def test_a_live_frame_over_the_budget_is_an_error_naming_the_field(play, budget, field):
    with _client(Settings(**budget)) as c:
        sid = c.post("/api/sessions", json={**WIDE, "dataset": {"name": "xor"}}).json()["id"]
        with c.websocket_connect(f"/api/sessions/{sid}/live") as ws:
            assert ws.receive_json()["type"] == "hello"
            ws.send_json({"action": "play", "fps": 240, "grid_every": 1, "max_elements": 1_000_000, **play})
            error = ws.receive_json()
            assert error["type"] == "error" and error["detail"].startswith(f"{field}: "), error
            ws.send_json({"action": "set", **play})  # changing the options while not playing: priced too
            error = ws.receive_json()
            assert error["type"] == "error" and error["detail"].startswith(f"{field}: "), error
            ws.send_json({"action": "play", "grid_every": 0})  # the socket and the session carry on
            assert ws.receive_json()["type"] == "playing"
            assert ws.receive_json()["type"] == "frame"


# -- 6. a near-zero frame rate; the idle rule while playing ------------------------------
def test_play_at_a_near_zero_rate_is_refused_naming_fps(api):
    sid = api.post("/api/sessions", json=XOR).json()["id"]
    with api.websocket_connect(f"/api/sessions/{sid}/live") as ws:
        assert ws.receive_json()["type"] == "hello"
        ws.send_json({"action": "play", "fps": 1e-9, "grid_every": 0})
        error = ws.receive_json()
        assert error["type"] == "error" and error["detail"].startswith("fps: "), error
        assert api.get("/api/live").json()["playing"] == 0


def test_a_playing_socket_whose_client_takes_no_frame_is_closed_as_idle(monkeypatch):
    import threading

    from starlette.websockets import WebSocketDisconnect

    from server.live.hub import CLOSE_IDLE
    from server.live.player import Player

    async def stuck(self: Any, session: Any, index: int) -> None:
        await asyncio.Event().wait()  # a frame that never reaches the client

    monkeypatch.setattr(Player, "_frame", stuck)
    with _client(Settings(live_idle_seconds=0.2)) as c:
        sid = c.post("/api/sessions", json=XOR).json()["id"]
        with c.websocket_connect(f"/api/sessions/{sid}/live") as ws:
            assert ws.receive_json()["type"] == "hello"
            ws.send_json({"action": "play"})
            assert ws.receive_json()["type"] == "playing"
            closed: list[int] = []

            def read() -> None:
                try:
                    ws.receive_json()
                except WebSocketDisconnect as exc:
                    closed.append(exc.code)

            reader = threading.Thread(target=read, daemon=True)
            reader.start()
            reader.join(120)  # a hang, not a speed: the server's idle rule is the event awaited
            assert closed == [CLOSE_IDLE]
        launch.wait_until(lambda: c.get("/api/live").json() == {**c.get("/api/live").json(), "connections": 0,
                                                                 "playing": 0}, "the slot is free")


# -- 8. a config's arrays (the report) ----------------------------------------------------
def test_a_forks_weights_in_its_config_are_summarised_in_the_report(api):
    sid = api.post("/api/sessions", json={"dataset": {"name": "xor"}, "model": {"layers": [2, 64, 64, 1]}}).json()["id"]
    r = api.post(f"/api/sessions/{sid}/fork", json={"overrides": {"model": {"dtype": "float32"}}})
    assert r.status_code == 201, r.text[:300]
    fork = r.json()["id"]
    assert len(api.app.state.store.get(fork).config["model"]["weights"]) == 3  # the weights are in the config
    page = api.get(f"/api/sessions/{fork}/report").text
    config = page[page.index('<pre id="config">'):page.index("</pre>")]
    assert "&lt;3 layers, 4288 numbers&gt;" in config and "&lt;3 layers, 129 numbers&gt;" in config
    assert len(config) < 4000


def _summary_of(value: Any, shape: list[int]) -> bool:
    return isinstance(value, dict) and value.get("summary") is True and value["shape"] == shape


def test_a_large_inline_dataset_is_summarised_in_every_answer_unless_asked_for(api):
    limit = api.get("/api/options").json()["limits"]["max_inline_values"]
    m = limit // 10  # X (m, 9) and y (m, 1): as many numbers as the limits allow
    rng = np.random.default_rng(0)
    X = rng.normal(size=(m, 9)).round(6)
    y = (X[:, :1] > 0).astype(float)
    config = {"dataset": {"name": "inline", "task": "classification", "X": X.tolist(), "y": y.tolist()},
              "model": {"layers": [9, 4, 1]}}
    r = api.post("/api/sessions", json=config)
    assert r.status_code == 201, r.text[:300]
    sid = r.json()["id"]
    answers = {"create": r, "get": api.get(f"/api/sessions/{sid}"),
               "patch": api.patch(f"/api/sessions/{sid}/params", json={"layer": 0, "name": "W", "index": [0, 0],
                                                                       "value": 0.5}),
               "reset": api.post(f"/api/sessions/{sid}/reset")}
    for name, answer in answers.items():
        assert answer.status_code in (200, 201), (name, answer.text[:300])
        assert len(answer.content) < 1_000_000, (name, len(answer.content))
        ds = answer.json()["config"]["dataset"]
        assert _summary_of(ds["X"], [m, 9]) and _summary_of(ds["y"], [m, 1]), name
    assert answers["get"].json()["config"]["dataset"]["X"]["mean"] == pytest.approx(X.mean())
    whole = api.get(f"/api/sessions/{sid}", params={"include": "config"}).json()["config"]["dataset"]
    assert whole["X"] == X.tolist() and whole["y"] == y.tolist()


def test_a_float32_fork_of_a_wide_model_answers_its_weights_summarised(api):
    sid = api.post("/api/sessions", json={"dataset": {"name": "xor"}, "model": {"layers": [2, 256, 256, 1]}}).json()["id"]
    r = api.post(f"/api/sessions/{sid}/fork", json={"overrides": {"model": {"dtype": "float32"}}})
    assert r.status_code == 201 and len(r.content) < 100_000, r.text[:300]
    fork = r.json()["id"]
    r = api.patch(f"/api/sessions/{fork}/params", json={"layer": 1, "name": "W", "index": [0, 0], "value": 0.5})
    assert r.status_code == 200 and len(r.content) < 100_000, len(r.content)
    model = r.json()["config"]["model"]
    assert isinstance(model["weights"][0], list) and _summary_of(model["weights"][1], [256, 256])
    assert model["biases"][1] == api.app.state.store.get(fork).config["model"]["biases"][1]  # small: whole
    whole = api.get(f"/api/sessions/{fork}", params={"include": ["config"]}).json()
    assert whole["config"]["model"]["weights"] == api.app.state.store.get(fork).config["model"]["weights"]
    assert "params" not in whole and "history" not in whole


# -- 4. the remedies' per-step cost, priced ---------------------------------------------
def test_twenty_epochs_of_every_remedy_at_batch_1_are_refused_naming_count(api):
    config = {"dataset": {"name": "moons", "n_samples": 20_000},
              "model": {"layers": [2, 1, 1, 1, 1, 1, 1, 1, 1], "batch_norm": True, "dropout": 0.1, "residual": True},
              "optimizer": {"name": "adam", "batch_size": 1}}
    sid = api.post("/api/sessions", json=config).json()["id"]
    r = api.post(f"/api/sessions/{sid}/epochs", json={"count": 20})  # a 40-byte request, about 100 s of work
    assert r.status_code == 422 and r.json()["detail"].startswith("count: 20 epochs"), r.text
    assert api.get(f"/api/sessions/{sid}", params={"include": []}).json()["epoch"] == 0
