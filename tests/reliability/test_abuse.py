"""Holding under abuse, in process: each repro of the red-team pass now answers as its goal
says (the ones that need a real server and its event loop are in test_abuse_server.py).
Every verdict is an answer or a state; none is a time."""
from __future__ import annotations

import asyncio
import copy
import gc
import json
import sqlite3
import sys
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from mlp_engine import make_trainer
from mlp_engine.model import WORKSPACES_KEPT
from reliability_kit import in_process as _client
from server.live.hub import CLOSE_BUSY, CLOSE_IDLE
from server.main import create_app
from server.sessions import CLIENT, Session, TooManySessions
from server.settings import Settings
from server.store import DurableStore, MemoryStore, open_backend

ADAM = {"dataset": {"name": "moons", "n_samples": 60}, "seed": 3, "optimizer": {"name": "adam", "batch_size": 8}}


def _export(c: TestClient) -> dict[str, Any]:
    """An exported Adam session part-way through an epoch, with undo snapshots."""
    sid = c.post("/api/sessions", json=ADAM).json()["id"]
    assert c.post(f"/api/sessions/{sid}/epochs", json={"count": 1, "include": []}).status_code == 200
    for _ in range(3):
        assert c.post(f"/api/sessions/{sid}/backward", json={"include": []}).status_code == 200
    return c.get(f"/api/sessions/{sid}/export").json()


# -- 1. the loop only routes ------------------------------------------------------
def test_engine_work_never_runs_on_the_event_loop_thread():
    session = Session(make_trainer({}))

    async def main() -> tuple[int, int]:
        return threading.get_ident(), await session.run(threading.get_ident)

    # A loop of its own in a thread of its own: the browser tests' Playwright keeps one running here.
    with ThreadPoolExecutor(1) as pool:
        loop_thread, work_thread = pool.submit(asyncio.run, main()).result()
    assert work_thread != loop_thread


def test_a_session_that_is_not_in_memory_is_loaded_off_the_loop(tmp_path):
    path = tmp_path / "s.sqlite3"
    settings = Settings(store=str(path))
    with _client(settings) as c:
        sid = c.post("/api/sessions", json=ADAM).json()["id"]
    with _client(settings) as c:  # a new process's cache is empty: the lookup must load it
        store = c.app.state.store
        assert store.cached(sid) is None
        seen: list[int] = []
        inner = store.get

        def get(session_id: str) -> Session:
            seen.append(threading.get_ident())
            return inner(session_id)

        store.get = get  # type: ignore[method-assign]
        assert c.get(f"/api/sessions/{sid}").status_code == 200
        assert seen and seen[0] != threading.main_thread().ident  # not TestClient's loop either
        assert store.cached(sid) is not None


# -- 2. crafted imports, through the API -------------------------------------------
def _mutations() -> list[tuple[str, Any]]:
    def m_dtype(s):
        s["optimizer"]["m"]["__array__"] = "i1"

    def cursor(s):
        s["cursor"] = 48

    def beta1(s):
        s["undo"]["snapshots"][-1]["optimizer"]["beta1"] = None

    def no_m(s):
        del s["undo"]["snapshots"][-1]["optimizer"]["m"]

    def norms(s):
        s["undo"]["snapshots"][-1]["accumulators"]["norms"] = [1.0]

    def epoch(s):
        s["undo"]["snapshots"][-1]["epoch"] = 2**53

    return [("m dtype", m_dtype), ("cursor at n_train", cursor), ("snapshot beta1 null", beta1),
            ("snapshot without m", no_m), ("snapshot norms", norms), ("snapshot epoch 2**53", epoch)]


@pytest.mark.parametrize("name,mutate", _mutations(), ids=[m[0] for m in _mutations()])
def test_a_crafted_import_is_refused_whole_and_creates_nothing(api, name, mutate):
    doc = _export(api)
    before = len(api.app.state.store)
    mutate(doc["state"])
    r = api.post("/api/sessions/import", json=doc)
    assert r.status_code == 422, r.text
    assert r.json()["detail"].startswith("state."), r.text
    assert len(api.app.state.store) == before


def test_a_crafted_sse_snapshot_is_refused_on_a_regression_import(api):
    sid = api.post("/api/sessions", json={**ADAM, "dataset": {"name": "sine", "n_samples": 60}}).json()["id"]
    api.post(f"/api/sessions/{sid}/epochs", json={"count": 1, "include": []})
    api.post(f"/api/sessions/{sid}/backward", json={"include": []})
    doc = api.get(f"/api/sessions/{sid}/export").json()
    doc["state"]["undo"]["snapshots"][-1]["accumulators"]["sse"] = {"__array__": "<f8", "shape": [5],
                                                                   "data": [0.0] * 5}
    r = api.post("/api/sessions/import", json=doc)
    assert r.status_code == 422 and ".accumulators.sse" in r.json()["detail"]


def test_an_import_that_passes_trains_undoes_plays_and_exports_again(api):
    doc = _export(api)
    sid = api.post("/api/sessions/import", json=doc).json()["id"]
    for move in ("backward", "epochs", "undo", "undo", "gradcheck"):
        assert api.post(f"/api/sessions/{sid}/{move}", json={}).status_code == 200, move
    with api.websocket_connect(f"/api/sessions/{sid}/live") as ws:
        assert ws.receive_json()["type"] == "hello"
        ws.send_json({"action": "step"})
        assert ws.receive_json()["type"] == "trace"
        ws.send_json({"action": "play"})
        assert ws.receive_json()["type"] == "playing"
        assert ws.receive_json()["type"] == "frame"
        ws.send_json({"action": "pause"})
        while ws.receive_json()["type"] != "paused":
            pass
    again = api.get(f"/api/sessions/{sid}/export").json()
    assert api.post("/api/sessions/import", json=again).status_code == 201


# -- 3. memory: budgets before allocating, freed at once -----------------------------
BIG = {"dataset": {"name": "moons", "n_samples": 100_000}, "model": {"layers": [2, 1024, 960, 1]}}


def test_a_session_over_the_memory_budget_is_refused_naming_the_field(api):
    r = api.post("/api/sessions", json={**BIG, "optimizer": {"batch_size": 65_536}})
    assert r.status_code == 422
    assert r.json()["detail"].startswith("optimizer.batch_size:") and "MAX_SESSION_MB" in r.json()["detail"]


def test_a_backward_pass_over_the_memory_budget_is_refused_and_changes_nothing():
    with _client(Settings(max_request_mb=64)) as c:
        sid = c.post("/api/sessions", json={"dataset": {"name": "moons", "n_samples": 20_000},
                                            "model": {"layers": [2, 256, 256, 1]}}).json()["id"]
        r = c.post(f"/api/sessions/{sid}/backward", json={"indices": list(range(16_000))})
        assert r.status_code == 422
        assert r.json()["detail"].startswith("indices:") and "MAX_REQUEST_MB" in r.json()["detail"]
        assert c.get(f"/api/sessions/{sid}", params={"include": []}).json()["step"] == 0


def test_predict_is_computed_in_chunks_and_agrees(api, monkeypatch):
    from server import payloads

    monkeypatch.setattr(payloads, "PREDICT_CHUNK_BYTES", 1000)  # a few rows a chunk
    sid = api.post("/api/sessions", json={}).json()["id"]
    X = np.random.default_rng(0).normal(size=(300, 2)).tolist()
    chunked = api.post(f"/api/sessions/{sid}/predict", json={"X": X}).json()["y"]
    whole = api.app.state.store.get(sid).trainer.model.predict(np.array(X))
    np.testing.assert_allclose(chunked, whole)


def test_a_model_keeps_a_bounded_number_of_workspaces():
    t = make_trainer({"dataset": {"name": "moons", "n_samples": 200}})
    for m in range(1, 40):
        t.model.workspace(m)
    assert len(t.model._workspaces) <= WORKSPACES_KEPT


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_deleting_a_session_frees_it_without_a_garbage_collection(tmp_path, kind):
    settings = Settings(store="memory" if kind == "memory" else str(tmp_path / "s.sqlite3"),
                        save_interval_seconds=60)
    with _client(settings) as c:
        sid = c.post("/api/sessions", json=ADAM).json()["id"]
        c.post(f"/api/sessions/{sid}/epochs", json={"count": 1})  # a deferred save, a held lease
        store = c.app.state.store
        trainer = weakref.ref(store.get(sid).trainer)
        if kind == "sqlite":  # its saver thread may be mid-tick; only the store's own references count
            store._stop.set()
            store._flusher.join()
        gc.collect()
        gc.disable()
        try:
            assert c.delete(f"/api/sessions/{sid}").status_code == 204
            assert trainer() is None  # freed by reference counting alone: no cycle holds it
        finally:
            gc.enable()


# -- 4. work bounded in seconds, sliced, sampled -------------------------------------
def test_epochs_over_the_compute_budget_are_refused_up_front():
    with _client(Settings(max_request_seconds=0.5)) as c:
        sid = c.post("/api/sessions", json={"dataset": {"name": "inline", "X": [[float(i)] for i in range(98)],
                                                        "y": [[float(i % 2)] for i in range(98)]},
                                            "model": {"layers": [1, 1]},
                                            "optimizer": {"name": "adam", "batch_size": 1}}).json()["id"]
        r = c.post(f"/api/sessions/{sid}/epochs", json={"count": 1000, "include": []})
        assert r.status_code == 422
        detail = r.json()["detail"]
        assert detail.startswith("count:") and "MAX_REQUEST_SECONDS" in detail and "at most" in detail
        assert c.get(f"/api/sessions/{sid}", params={"include": []}).json()["epoch"] == 0
        assert c.post(f"/api/sessions/{sid}/epochs", json={"count": 1, "include": []}).status_code == 200


def test_a_gradient_check_over_the_budget_samples_rows_and_says_so():
    with _client(Settings(max_request_seconds=0.05)) as c:
        sid = c.post("/api/sessions", json={"dataset": {"name": "moons", "n_samples": 20_000},
                                            "model": {"layers": [2, 40, 40, 1]},
                                            "optimizer": {"batch_size": 8192}}).json()["id"]
        r = c.post(f"/api/sessions/{sid}/gradcheck", json={})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["sampled"]["rows"] < body["sampled"]["of_rows"] == 8192
        assert len(body["indices"]) == body["sampled"]["rows"]
        assert body["passed"]


def test_a_small_gradient_check_is_whole(api):
    sid = api.post("/api/sessions", json={}).json()["id"]
    assert api.post(f"/api/sessions/{sid}/gradcheck", json={}).json()["sampled"] is None


def test_a_sampled_parameter_check_compares_only_what_it_perturbed():
    from mlp_engine import gradient_check

    t = make_trainer({"dataset": {"name": "moons", "n_samples": 100}, "model": {"layers": [2, 8, 1]}})
    whole = gradient_check(t.model, t.X[:16], t.y[:16])
    some = gradient_check(t.model, t.X[:16], t.y[:16], checked=np.arange(0, t.model.n_params, 3))
    assert whole.passed and some.passed
    assert some.numeric.flat[1] == 0 and whole.numeric.flat[1] != 0


def test_play_with_a_frame_over_the_budget_is_refused_with_an_error_frame():
    with _client(Settings(max_request_seconds=0.05)) as c:
        sid = c.post("/api/sessions", json={"dataset": {"name": "moons", "n_samples": 2000},
                                            "optimizer": {"batch_size": 1}}).json()["id"]
        with c.websocket_connect(f"/api/sessions/{sid}/live") as ws:
            assert ws.receive_json()["type"] == "hello"
            ws.send_json({"action": "play", "epochs_per_frame": 1000})
            answer = ws.receive_json()
            assert answer["type"] == "error" and answer["detail"].startswith("epochs_per_frame:")
            ws.send_json({"action": "pause"})  # the socket carries on
            assert ws.receive_json()["type"] == "paused"


def test_a_halt_stops_training_at_the_next_batch():
    t = make_trainer({"dataset": {"name": "moons", "n_samples": 400}, "optimizer": {"batch_size": 10}})
    asked = []

    def keep_going() -> bool:
        asked.append(1)
        return len(asked) <= 5

    records = t.run_epochs(3, keep_going=keep_going)
    assert records == [] and t.step_count == 5 and t.position == 50
    t.run_epochs(1)  # and it goes on from there, finishing that epoch
    assert t.epoch == 1


# -- 5. live sockets: per client, and idle ones close ---------------------------------
def test_one_client_cannot_take_every_live_slot():
    app = create_app(Settings(max_live_connections=4, max_live_per_client=2))
    with TestClient(app, client=("10.0.0.1", 1)) as greedy, TestClient(app, client=("10.0.0.2", 1)) as other:
        sid = other.post("/api/sessions", json={}).json()["id"]
        with greedy.websocket_connect(f"/api/sessions/{sid}/live") as a, \
                greedy.websocket_connect(f"/api/sessions/{sid}/live") as b:
            assert a.receive_json()["type"] == b.receive_json()["type"] == "hello"
            with greedy.websocket_connect(f"/api/sessions/{sid}/live") as c:
                with pytest.raises(WebSocketDisconnect) as closed:
                    c.receive_json()
                assert closed.value.code == CLOSE_BUSY and "MAX_LIVE_PER_CLIENT" in closed.value.reason
            with other.websocket_connect(f"/api/sessions/{sid}/live") as mine:
                assert mine.receive_json()["type"] == "hello"


def test_an_idle_live_socket_is_closed_and_frees_its_slot():
    with _client(Settings(live_idle_seconds=0.05)) as c:
        sid = c.post("/api/sessions", json={}).json()["id"]
        with c.websocket_connect(f"/api/sessions/{sid}/live") as ws:
            assert ws.receive_json()["type"] == "hello"
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_json()  # sends nothing: the server's time-out is the event awaited
            assert closed.value.code == CLOSE_IDLE
        assert c.get("/api/live").json()["connections"] == 0


# -- 6. per-client caps that hold ----------------------------------------------------
def test_an_empty_unlimited_clients_limits_everyone():
    assert Settings.from_env({"MLP_PLAYGROUND_UNLIMITED_CLIENTS": ""}).unlimited() == frozenset()
    assert "127.0.0.1" in Settings.from_env({}).unlimited()
    with _client(Settings.from_env({"MLP_PLAYGROUND_UNLIMITED_CLIENTS": "", "MLP_PLAYGROUND_STORE": "memory",
                                    "MLP_PLAYGROUND_MAX_SESSIONS_PER_CLIENT": "3"})) as c:
        codes = [c.post("/api/sessions", json={}).status_code for _ in range(8)]
    assert codes == [201] * 3 + [429] * 5


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_parallel_creations_never_get_past_the_cap(tmp_path, kind):
    store = (MemoryStore(max_per_client=3) if kind == "memory" else
             DurableStore(open_backend(str(tmp_path / "s.sqlite3")), max_per_client=3))
    trainer = make_trainer({})
    barrier = threading.Barrier(20)

    def create(_: int) -> bool:
        CLIENT.set("10.0.0.9")
        session = Session(copy.deepcopy(trainer))
        barrier.wait()
        try:
            store.add(session)
            return True
        except TooManySessions:
            return False

    try:
        with ThreadPoolExecutor(20) as pool:
            made = sum(pool.map(create, range(20)))
        assert 1 <= made <= 3 and store.count_client("10.0.0.9") == made
    finally:
        store.close()


def test_a_lesson_counts_every_session_it_makes_and_leaves_none_when_refused():
    settings = Settings(unlimited_clients="", max_sessions_per_client=3)
    with _client(settings) as c:
        r = c.post("/api/lessons/activations", json={"quick": True})
        assert r.status_code == 429, r.text
        assert len(c.app.state.store) == 0


# -- 7. DNS rebinding -------------------------------------------------------------
def test_a_foreign_host_is_refused_for_http_and_websocket(api):
    with _client(base_url="http://attacker.example") as evil:
        r = evil.post("/api/sessions", json={}, headers={"origin": "http://attacker.example"})
        assert r.status_code == 400 and r.json()["detail"].startswith("host:")
        sid = api.post("/api/sessions", json={}).json()["id"]
        with pytest.raises(WebSocketDisconnect) as closed:
            with evil.websocket_connect(f"/api/sessions/{sid}/live",
                                        headers={"origin": "http://attacker.example"}) as ws:
                ws.receive_json()
        assert closed.value.code == 1008
    for host in ("localhost:8000", "127.0.0.1", "[::1]:8000"):
        assert api.get("/api/health", headers={"host": host}).status_code == 200, host


def test_allowed_hosts_adds_names_and_a_wildcard_bind_answers_the_machine():
    assert "playground.lan" in Settings(allowed_hosts="playground.lan").hosts()
    assert Settings(allowed_hosts="*").hosts() is None
    import socket
    assert socket.gethostname().lower() in Settings(bound_host="0.0.0.0").hosts()
    assert socket.gethostname().lower() not in Settings().hosts() or socket.gethostname() == "localhost"


# -- 8. store failures -------------------------------------------------------------
class _FullDisk:
    """A connection whose writes fail as a full disk does."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def execute(self, sql: str, *args: Any) -> Any:
        if sql.lstrip().upper().startswith(("BEGIN", "INSERT", "UPDATE", "DELETE")):
            raise sqlite3.OperationalError("database or disk is full")
        return self._db.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)


def test_a_failing_store_answers_503_and_health_says_so(tmp_path):
    with _client(Settings(store=str(tmp_path / "s.sqlite3"))) as c:
        sid = c.post("/api/sessions", json={}).json()["id"]
        backend = c.app.state.store.backend.inner
        real = backend._db
        backend._db = lambda: _FullDisk(real())  # type: ignore[method-assign]
        r = c.post("/api/sessions", json={})
        assert r.status_code == 503 and r.json()["detail"].startswith("store:"), r.text
        health = c.get("/api/health")
        assert health.status_code == 503 and "disk is full" in health.json()["store"]
        backend._db = real  # the disk has room again
        assert c.post(f"/api/sessions/{sid}/backward", json={}).status_code == 200
        assert c.get("/api/health").json() == {**c.get("/api/health").json(), "status": "ok", "store": None}


def test_one_damaged_session_row_is_a_clear_409_and_the_others_work(tmp_path):
    path = tmp_path / "s.sqlite3"
    settings = Settings(store=str(path))
    with _client(settings) as c:
        good = c.post("/api/sessions", json={}).json()["id"]
        bad = c.post("/api/sessions", json={}).json()["id"]
    with sqlite3.connect(path) as db:
        db.execute("UPDATE sessions SET state = ? WHERE id = ?", (b'{"version": 1, "config": 7}', bad))
    with _client(settings) as c:
        r = c.get(f"/api/sessions/{bad}")
        assert r.status_code == 409 and r.json()["detail"].startswith("session:"), r.text
        assert c.post(f"/api/sessions/{good}/backward", json={}).status_code == 200
        assert c.delete(f"/api/sessions/{bad}").status_code == 204


@pytest.mark.parametrize("content", [b"this is not a database" * 100, b"SQLite format 3\x00" + b"\x01" * 50, None])
def test_a_store_that_is_not_sqlite_is_one_clear_error(tmp_path, content):
    path = tmp_path / "store"
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    with pytest.raises(ValueError) as err:
        open_backend(str(path))
    assert str(err.value).startswith("MLP_PLAYGROUND_STORE: cannot use") and str(path) in str(err.value)


def test_a_redis_url_without_the_package_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "redis", None)
    monkeypatch.delitem(sys.modules, "server.store.redis", raising=False)
    with pytest.raises(ValueError) as err:
        open_backend("redis://127.0.0.1:1/0")
    assert "pip install mlp-playground[redis]" in str(err.value)


# -- 9. smaller ones ---------------------------------------------------------------
def test_a_csv_cell_over_the_csv_module_limit_is_a_422_naming_the_cell(api):
    r = api.post("/api/datasets/csv", json={"csv": "a,b\n1," + "2" * 140_000 + "\n3,4\n"})
    assert r.status_code == 422
    assert r.json()["detail"].startswith("csv: row 2, column 2:")


def test_a_non_string_action_gets_an_error_frame_and_the_socket_stays(api):
    sid = api.post("/api/sessions", json={}).json()["id"]
    with api.websocket_connect(f"/api/sessions/{sid}/live") as ws:
        assert ws.receive_json()["type"] == "hello"
        ws.send_text(json.dumps({"action": ["play"]}))
        answer = ws.receive_json()
        assert answer["type"] == "error" and answer["detail"].startswith("action:")
        ws.send_json({"action": "pause"})
        assert ws.receive_json()["type"] == "paused"


def test_head_on_the_page_and_health(api):
    assert api.head("/").status_code == 200
    assert api.head("/api/health").status_code == 200
