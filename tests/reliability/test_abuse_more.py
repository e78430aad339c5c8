"""Holding under abuse, the repros the other abuse tests left out: a long live frame that a
pause or a departure cuts short, the per-client cap against a real server's parallel creates
and lessons, the CLI on a store that is not SQLite, and imports that pass a mutation and must
then keep working. Every verdict is an answer, a count or a state; none is a time."""
from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

import launch
from mutate import field_paths, with_value
from server.main import create_app
from server.settings import Settings

# Batch 1 on 2,000 rows: one frame of 60 epochs is 96,000 steps, seconds of work that a
# pause or a departure must cut at its next batch (well inside the 20 s request budget).
LONG = {"dataset": {"name": "moons", "n_samples": 2000}, "model": {"layers": [2, 4, 1]},
        "optimizer": {"batch_size": 1}}
FRAME = 60


def test_a_pause_during_a_long_frame_is_answered_and_cuts_the_frame():
    with TestClient(create_app(Settings())) as c:
        sid = c.post("/api/sessions", json=LONG).json()["id"]
        steps_per_epoch = 1600
        with c.websocket_connect(f"/api/sessions/{sid}/live") as ws:
            assert ws.receive_json()["type"] == "hello"
            ws.send_json({"action": "play", "epochs_per_frame": FRAME})
            assert ws.receive_json()["type"] == "playing"
            ws.send_json({"action": "pause"})
            while (message := ws.receive_json())["type"] != "paused":
                assert message["type"] == "frame"
            # Answered before the frame's 96,000 steps were done: the frame stopped at a batch.
            assert message["step"] < FRAME * steps_per_epoch
            ws.send_json({"action": "pause"})  # and the socket carries on
            assert ws.receive_json()["type"] == "paused"
        state = c.get(f"/api/sessions/{sid}", params={"include": []}).json()
        assert state["step"] == message["step"]


def test_leaving_during_a_long_frame_stops_it_and_live_says_so():
    with TestClient(create_app(Settings())) as c:
        sid = c.post("/api/sessions", json=LONG).json()["id"]
        with c.websocket_connect(f"/api/sessions/{sid}/live") as ws:
            assert ws.receive_json()["type"] == "hello"
            ws.send_json({"action": "play", "epochs_per_frame": FRAME})
            assert ws.receive_json()["type"] == "playing"
            assert c.get("/api/live").json()["playing"] == 1
        launch.wait_until(lambda: c.get("/api/live").json() == {**c.get("/api/live").json(), "connections": 0, "playing": 0},
              "the server saw the client leave")
        state = c.get(f"/api/sessions/{sid}", params={"include": []}).json()  # waits for the lock
        assert state["step"] < FRAME * 1600  # the frame under way stopped at its next batch
        again = c.get(f"/api/sessions/{sid}", params={"include": []}).json()
        assert again["step"] == state["step"]  # and nothing trains it any more


@pytest.mark.subprocess
def test_a_real_server_holds_the_per_client_cap_against_parallel_creates_and_lessons(tmp_path: Path):
    store = tmp_path / "sessions.sqlite3"
    env = {"MLP_PLAYGROUND_STORE": str(store), "MLP_PLAYGROUND_UNLIMITED_CLIENTS": "",
           "MLP_PLAYGROUND_MAX_SESSIONS_PER_CLIENT": "7", "MLP_PLAYGROUND_SESSION_CREATIONS_PER_MINUTE": "1000"}

    def stored() -> int:
        with sqlite3.connect(store) as db:
            return db.execute("SELECT COUNT(*) FROM sessions").fetchone()[0]

    with launch.running(env) as url:
        def post(path: str, body: Any) -> int:
            with httpx.Client(base_url=url, timeout=300) as c:
                return c.post(path, json=body).status_code

        with ThreadPoolExecutor(20) as pool:
            codes = list(pool.map(lambda _: post("/api/sessions", {}), range(20)))
        # Of parallel creations, those that find the client over the cap take theirs back, so
        # never more than 7 pass (how many of the 20 do depends on how they interleave) ...
        made = codes.count(201)
        assert set(codes) <= {201, 429} and made <= 7 and stored() == made
        with httpx.Client(base_url=url, timeout=60) as c:
            # ... and the cap is then exactly 7: one by one, the rest fit until the eighth.
            for _ in range(7 - made):
                assert c.post("/api/sessions", json={}).status_code == 201
            assert c.post("/api/sessions", json={}).status_code == 429
            assert stored() == 7
            with sqlite3.connect(store) as db:
                ids = [r[0] for r in db.execute("SELECT id FROM sessions")]
            for sid in ids:
                assert c.delete(f"/api/sessions/{sid}").status_code == 204
        # A quick lesson makes five sessions: of six at once under a cap of 7, at most one fits,
        # and the refused ones take back every session they had made.
        with ThreadPoolExecutor(6) as pool:
            codes = list(pool.map(lambda _: post("/api/lessons/activations", {"quick": True}), range(6)))
        assert set(codes) <= {201, 429} and codes.count(201) <= 1, codes
        assert stored() == 5 * codes.count(201)


@pytest.mark.subprocess
@pytest.mark.parametrize("content", [b"garbage " * 1000, b"SQLite format 3\x00" + b"\x01" * 50, None],
                         ids=["garbage", "truncated", "directory"])
def test_the_cli_on_a_store_that_is_not_sqlite_exits_with_one_clear_line(tmp_path: Path, content: bytes | None):
    path = tmp_path / "store"
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    run = subprocess.run([sys.executable, "-m", "server", "--port", "0", "--no-browser", "--store", str(path)],
                         cwd=launch.PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode != 0 and run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in run.stderr, run.stderr
    assert str(path) in lines[0] and "MLP_PLAYGROUND_STORE" in lines[0]


MUTATIONS = [None, 0, 1, 2, -1, 1.5, 1e308, True, "x", [], {}]


def test_an_import_that_passes_a_mutation_keeps_working_and_a_refused_move_changes_nothing():
    """Each field of an Adam export (with undo snapshots) set to hostile values: what the import
    accepts then steps, trains, undoes and exports again without a 5xx; a move it refuses
    leaves the session as it was."""
    with TestClient(create_app(Settings()), raise_server_exceptions=False) as c:
        sid = c.post("/api/sessions", json={"optimizer": {"name": "adam", "batch_size": 8},
                                            "dataset": {"name": "xor", "n_samples": 40}}).json()["id"]
        c.post(f"/api/sessions/{sid}/epochs", json={"count": 1, "include": []})
        for _ in range(2):
            c.post(f"/api/sessions/{sid}/backward", json={"include": []})
        doc = c.get(f"/api/sessions/{sid}/export").json()
        accepted = 0
        for n, path in enumerate(field_paths(doc["state"], ["state"], per_list=2)[1:]):
            value = MUTATIONS[n % len(MUTATIONS)]
            r = c.post("/api/sessions/import", json=with_value(doc, path, value))
            assert r.status_code in (201, 422), (path, value, r.text[:300])
            if r.status_code != 201:
                continue
            accepted += 1
            new = r.json()["id"]
            for move, body in (("backward", {"include": []}), ("undo", {}), ("undo", {}),
                               ("epochs", {"count": 1, "include": []}), ("undo", {"count": 1})):
                before = c.get(f"/api/sessions/{new}", params={"include": []}).json()
                r = c.post(f"/api/sessions/{new}/{move}", json=body)
                assert r.status_code < 500, (path, value, move, r.text[:300])
                if r.status_code >= 400:
                    assert c.get(f"/api/sessions/{new}", params={"include": []}).json() == before
            again = c.get(f"/api/sessions/{new}/export")
            assert again.status_code == 200
            assert c.post("/api/sessions/import", content=again.content,
                          headers={"content-type": "application/json"}).status_code == 201, (path, value)
            c.delete(f"/api/sessions/{new}")
        assert accepted > 0


def test_a_thousand_epochs_of_a_big_mnist_model_are_refused_up_front_naming_count():
    """The repro exactly: 14 bytes that asked for about 27 minutes of work."""
    with TestClient(create_app(Settings())) as c:
        sid = c.post("/api/sessions", json={"dataset": {"name": "mnist_subset"},
                                            "model": {"layers": [784, 1024, 170, 10]}}).json()["id"]
        r = c.post(f"/api/sessions/{sid}/epochs", content=b'{"count":1000}',
                   headers={"content-type": "application/json"})
        assert r.status_code == 422
        detail = r.json()["detail"]
        assert detail.startswith("count: 1000 epochs") and "MLP_PLAYGROUND_MAX_REQUEST_SECONDS" in detail
        state = c.get(f"/api/sessions/{sid}", params={"include": []}).json()
        assert state["epoch"] == 0 and state["step"] == 0
