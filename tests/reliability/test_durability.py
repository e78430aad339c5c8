"""Sessions survive restarts and ``kill -9``, and two workers never step one session
at once: against real server processes on a SQLite file and on a real redis-server."""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from typing import Any

import httpx
import numpy as np
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from mlp_engine import Trainer, make_trainer
from server.store import Backend, open_backend

from reliability_kit import Server

pytestmark = pytest.mark.subprocess

CONFIGS: list[dict[str, Any]] = [
    {"dataset": {"name": "xor", "n_samples": 40}, "optimizer": {"name": "adam", "batch_size": 8}},
    {"dataset": {"name": "moons", "n_samples": 60}, "model": {"layers": [2, 6, 1]},
     "optimizer": {"name": "momentum", "learning_rate": 0.05, "batch_size": 16}},
    {"dataset": {"name": "sine", "n_samples": 30}, "optimizer": {"name": "sgd", "batch_size": 4}},
]


def _export(server: Server, sid: str) -> dict[str, Any]:
    return server.get(f"/api/sessions/{sid}/export")["state"]


def _saved_epoch(store: Backend, sid: str) -> int:
    """The epoch of the session's state as last saved in the store."""
    saved = store.load(sid)
    return -1 if saved is None else json.loads(saved[1])["epoch"]


def _params(state: dict[str, Any]) -> list[np.ndarray]:
    t = Trainer.from_state(state)
    return [*t.model.W, *t.model.b]


def test_restart_brings_every_session_back_identical(store_url: str):
    server = Server(store_url)
    try:
        sids = [server.post("/api/sessions", config, status=201)["id"] for config in CONFIGS]
        server.post(f"/api/sessions/{sids[0]}/epochs", {"count": 3})
        server.post(f"/api/sessions/{sids[1]}/backward")
        server.post(f"/api/sessions/{sids[1]}/backward", {"indices": [0, 5, 7]})
        before = {sid: (_export(server, sid), server.get(f"/api/sessions/{sid}")) for sid in sids}
    finally:
        server.stop()
    server = Server(store_url)
    try:
        for sid in sids:
            assert _export(server, sid) == before[sid][0]
            assert server.get(f"/api/sessions/{sid}") == before[sid][1]
        # ...and each continues exactly as the session would have without the restart.
        for sid in sids:
            reference = Trainer.from_state(before[sid][0])
            reference.run_epochs(2)
            server.post(f"/api/sessions/{sid}/epochs", {"count": 2})
            after = _params(_export(server, sid))
            assert all(np.array_equal(a, b) for a, b in zip(after, [*reference.model.W, *reference.model.b]))
    finally:
        server.stop()


def test_kill_9_during_live_training_keeps_a_consistent_session(store_url: str):
    config = {"dataset": {"name": "circles", "n_samples": 200}, "model": {"layers": [2, 8, 1]},
              "optimizer": {"name": "adam", "batch_size": 16}}
    env = {"MLP_PLAYGROUND_SAVE_INTERVAL_SECONDS": "0.2", "MLP_PLAYGROUND_LEASE_SECONDS": "1"}
    server = Server(store_url, env)
    sid = server.post("/api/sessions", config, status=201)["id"]
    complete = server.get(f"/api/sessions/{sid}")["config"]
    store = open_backend(store_url)  # to see, as another process would, what the server has saved
    with connect(server.url.replace("http://", "ws://") + f"api/sessions/{sid}/live", max_size=2**26) as ws:
        ws.send(json.dumps({"action": "play", "fps": 60, "grid_every": 0}))
        last_epoch, deadline = 0, time.monotonic() + 120
        # Play until the store holds a trained epoch and a few more frames came, then kill -9 mid-stream.
        while last_epoch < 3 or _saved_epoch(store, sid) < 1:
            assert time.monotonic() < deadline, "the server saved no trained epoch while playing"
            message = json.loads(ws.recv(timeout=60))
            if message["type"] == "frame":
                last_epoch = message["epoch"]
        server.kill()
        try:  # the frames already on their way still count: read them up to the closed socket
            while True:
                message = json.loads(ws.recv(timeout=60))
                if message["type"] == "frame":
                    last_epoch = message["epoch"]
        except ConnectionClosed:
            pass
    store.close()
    if not store_url.startswith("redis"):
        with sqlite3.connect(store_url) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    server = Server(store_url, env)
    try:
        state = _export(server, sid)  # waits out the dead process's lease
        epoch = state["epoch"]
        assert 1 <= epoch <= last_epoch + 1  # the last frame may have been saved but not received
        # Consistent: exactly the state training from scratch reaches after that many epochs.
        reference = make_trainer(complete)
        reference.run_epochs(epoch)
        restored = Trainer.from_state(state)
        assert restored.step_count == reference.step_count and restored.position == 0
        assert all(np.array_equal(a, b) for a, b in zip(_params(state), [*reference.model.W, *reference.model.b]))
        assert len(server.get(f"/api/sessions/{sid}")["history"]["train_loss"]) == epoch
        assert server.post(f"/api/sessions/{sid}/epochs", {"count": 1})["finite"] is True
    finally:
        server.stop()


def test_two_workers_stepping_one_session_keep_exact_step_counts(store_url: str):
    server = Server(store_url, args=["--workers", "2"])
    threads, steps = 6, 15
    try:
        config = {"dataset": {"name": "xor", "n_samples": 64}, "optimizer": {"name": "adam", "batch_size": 4}}
        sid = server.post("/api/sessions", config, status=201)["id"]
        complete = server.get(f"/api/sessions/{sid}")["config"]
        errors: list[str] = []

        def stepper() -> None:
            for _ in range(steps):
                # A new connection each time, so the kernel spreads them over both workers.
                r = httpx.post(server.url + f"api/sessions/{sid}/backward", json={"include": []},
                               headers={"connection": "close"}, timeout=60)
                if r.status_code != 200:
                    errors.append(r.text)

        workers = [threading.Thread(target=stepper) for _ in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        assert errors == []
        state = _export(server, sid)
        assert state["step"] == threads * steps
        reference = make_trainer(complete)
        for _ in range(threads * steps):
            reference.step()
        assert all(np.array_equal(a, b) for a, b in zip(_params(state), [*reference.model.W, *reference.model.b]))
        children = open(f"/proc/{server.proc.pid}/task/{server.proc.pid}/children").read().split()
        assert len(children) >= 2  # uvicorn's two workers (plus possibly its resource tracker)
    finally:
        server.stop()
