"""A Redis that goes away while a real server uses it: every session call answers 503 saying
the store is failing, health says so, and once Redis is back the same sessions carry on
exactly (nothing lost, nothing corrupted). The verdicts wait for events: the redis-server
process has exited, it answers PING again."""
from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pytest

from mlp_engine import make_trainer

from reliability_kit import REDIS_SERVER, Server, free_port, start_redis

pytestmark = pytest.mark.subprocess

CONFIG = {"dataset": {"name": "xor", "n_samples": 40}, "optimizer": {"name": "adam", "batch_size": 8}}


class Redis:
    """A private redis-server on loopback that keeps its data on disk (AOF, fsync on every
    write), so that stopping and starting it again is an outage, not a loss."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.port = folder, free_port()
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = start_redis(self.port, "--dir", str(self.folder), "--appendonly", "yes",
                                "--appendfsync", "always", "--save", "")

    def stop(self) -> None:
        assert self.proc is not None
        self.proc.terminate()
        self.proc.wait(60)  # the event: the process has exited

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


@pytest.fixture
def redis_on_disk(tmp_path: Path) -> Iterator[Redis]:
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed (make services installs it)")
    r = Redis(tmp_path)
    r.start()
    try:
        yield r
    finally:
        if r.proc is not None and r.proc.poll() is None:
            r.stop()


def _params(state: dict[str, Any]) -> list[np.ndarray]:
    return [np.asarray(a["data"]).reshape(a["shape"]) for a in (*state["params"]["W"], *state["params"]["b"])]


def test_a_redis_that_goes_away_is_a_503_and_the_sessions_come_back_whole(redis_on_disk: Redis):
    # Every change saved at once (before its answer, or by the saver within a tick).
    server = Server(redis_on_disk.url, {"MLP_PLAYGROUND_SAVE_INTERVAL_SECONDS": "0.001"})
    try:
        sid = server.post("/api/sessions", CONFIG, status=201)["id"]
        other = server.post("/api/sessions", CONFIG, status=201)["id"]
        complete = server.get(f"/api/sessions/{sid}")["config"]
        for _ in range(3):
            server.post(f"/api/sessions/{sid}/backward", {"include": []})
        assert server.get("/api/health")["status"] == "ok"

        redis_on_disk.stop()
        for method, path, body in (("POST", f"/api/sessions/{sid}/backward", {"include": []}),
                                   ("POST", f"/api/sessions/{sid}/epochs", {"count": 1, "include": []}),
                                   ("GET", f"/api/sessions/{other}", None),
                                   ("POST", "/api/sessions", CONFIG)):
            r = server.http.request(method, path, json=body)
            assert r.status_code == 503, (path, r.status_code, r.text)
            assert r.json()["detail"].startswith("store:") and "failing" in r.json()["detail"], r.text
            assert "retry-after" in r.headers
        health = server.http.get("/api/health")
        assert health.status_code == 503 and health.json()["status"] == "store failing", health.text
        assert health.json()["store"].startswith("store:")

        redis_on_disk.start()  # the same data folder: the outage is over
        state = server.post(f"/api/sessions/{sid}/backward", {"include": []})
        assert state["step"] == 4  # the three before the outage, and this one: none lost, none doubled
        assert server.get("/api/health")["status"] == "ok"
        assert server.post(f"/api/sessions/{other}/backward", {"include": []})["step"] == 1
        exported = server.get(f"/api/sessions/{sid}/export")["state"]
        reference = make_trainer(complete)
        for _ in range(4):
            reference.step()
        assert all(np.array_equal(a, b) for a, b in zip(_params(exported), [*reference.model.W, *reference.model.b]))
    finally:
        server.stop()

    # And a new process reads the sessions back from Redis as they were.
    again = Server(redis_on_disk.url)
    try:
        assert again.get(f"/api/sessions/{sid}")["step"] == 4
    finally:
        again.stop()
