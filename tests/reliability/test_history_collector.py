"""A long history costs the garbage collector nothing: its import and its first read after a
restart set off no full collection (their objects are kept or freed by reference counting,
with the collector held off; a save writes the blocks without copying each entry), and the
history it keeps is not traced. Collections are counted through ``gc.callbacks``, never timed."""
from __future__ import annotations

import gc
import math
import threading
from typing import Iterator

import numpy as np
import orjson
import pytest
from fastapi.testclient import TestClient

from mlp_engine.state import encode
from server import collector, state_blob
from server.main import create_app
from server.settings import Settings

EPOCHS = 300_000
"""Enough lists that building them without the hold sets off full collections."""


@pytest.fixture
def full_collections() -> Iterator[list[int]]:
    """One entry per generation-2 collection started while the test runs."""
    seen: list[int] = []

    def count(phase: str, info: dict) -> None:
        if phase == "start" and info["generation"] == 2:
            seen.append(1)

    assert gc.isenabled()
    gc.callbacks.append(count)
    try:
        yield seen
    finally:
        gc.callbacks.remove(count)


def _long_export(c: TestClient) -> bytes:
    sid = c.post("/api/sessions", json={"model": {"layers": [2, 1]}}).json()["id"]
    doc = c.get(f"/api/sessions/{sid}/export").json()
    doc["state"]["history"] = {"train_loss": [0.5] * EPOCHS, "test_loss": [0.5] * EPOCHS,
                               "grad_norms": [[0.25]] * EPOCHS}
    doc["state"]["epoch"] = EPOCHS
    return orjson.dumps(doc)


def _trainer(app, sid: str):
    session = app.state.store.get(sid)
    with session.lock:
        return session.trainer


def test_a_long_import_and_its_first_read_after_a_restart_set_off_no_full_collection(tmp_path, full_collections):
    settings = Settings(store=str(tmp_path / "s.sqlite3"))
    with TestClient(create_app(settings)) as c:
        body = _long_export(c)
        gc.collect()
        full_collections.clear()
        r = c.post("/api/sessions/import", content=body, headers={"content-type": "application/json"})
        assert r.status_code == 201, r.text
        assert full_collections == []
        sid = r.json()["id"]
        assert gc.isenabled()  # and the collector is back
    gc.collect()
    app = create_app(settings)
    with TestClient(app) as c:  # a restart: the session is read back from the store
        full_collections.clear()
        state = c.get(f"/api/sessions/{sid}", params={"include": ["history"]})
        assert state.status_code == 200 and state.json()["epoch"] == EPOCHS
        assert full_collections == []
        assert gc.isenabled()
        history = _trainer(app, sid).history
    gc.collect()  # the collector's next pass stops tracing the kept entries
    assert len(history.grad_norms) == EPOCHS
    assert not any(gc.is_tracked(g) for g in history.grad_norms)
    assert history.as_dict()["grad_norms"][:2] == [[0.25], [0.25]]


def test_a_refused_import_gives_the_collector_back():
    with TestClient(create_app(Settings())) as c:
        r = c.post("/api/sessions/import", content=b'{"format": 1', headers={"content-type": "application/json"})
        assert r.status_code == 422
        r = c.post("/api/sessions/import", json={"format": "mlp-playground-session", "format_version": 1,
                                                 "state": {"version": 1}})
        assert r.status_code == 422
    assert gc.isenabled()


def test_overlapping_holds_in_threads_give_the_collector_back_once_the_last_ends():
    inside, leave = threading.Barrier(2), threading.Event()
    states: list[bool] = []

    def hold() -> None:
        with collector.held():
            inside.wait(60)
            leave.wait(60)
            states.append(gc.isenabled())

    first = threading.Thread(target=hold)
    first.start()
    with collector.held():
        inside.wait(60)  # both hold it now
        leave.set()
        first.join(60)
        assert not gc.isenabled()  # the other's end left it off: this block still holds it
    assert states == [False] and gc.isenabled()
    gc.disable()
    try:
        with collector.held():
            pass
        assert not gc.isenabled()  # held from off, it stays off
    finally:
        gc.enable()


@pytest.mark.parametrize("values", [
    [0.5, 1e-300, 0.1 + 0.2, -0.0, 5e-324], [None, 0.5], [None] * 3, [math.nan] * 3,
    [None, math.inf, -math.inf, 0.5, math.nan], [(0.5, 0.25), (1.0, 2.0)], [(0.5, math.nan)], [(math.inf,)],
    [(1, 2)], [(2**60,)], [(10**400,)], [(None,)], [2**60, 0.5], [1, 2.0], [True, 0.5],
    [np.float64(0.3)], [np.float32(0.3)], [(np.float64(0.5),)], [],
], ids=repr)
def test_a_history_block_is_written_exactly_as_encode_writes_it(values):
    assert state_blob._items(values) == orjson.dumps(encode(values))[1:-1]
