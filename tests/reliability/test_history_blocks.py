"""A long history is saved in time proportional to what is new, and read back a block at a
time: the encodes and parses are counted (how many history entries each call handles),
never timed."""
from __future__ import annotations

import threading
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from mlp_engine import Trainer, make_trainer
from mlp_engine.records import KEPT_CUTS
from server import state_blob
from server.main import create_app
from server.settings import Settings
from server.state_blob import HistoryJSON, decode_state, encode_state
from server.sessions import DEFAULT_BUILDER

CONFIG = {"dataset": {"name": "moons", "n_samples": 40}, "model": {"layers": [2, 3, 1]}, "seed": 1,
          "optimizer": {"name": "adam", "batch_size": 8}}
BLOCK = 4


@pytest.fixture
def encoded(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Small blocks, and the number of history entries each encoding call handled."""
    monkeypatch.setattr(state_blob, "BLOCK", BLOCK)
    sizes: list[int] = []
    inner = state_blob._items

    def items(values: list[Any]) -> bytes:
        sizes.append(len(values))
        return inner(values)

    monkeypatch.setattr(state_blob, "_items", items)
    return sizes


def _exact(trainer: Trainer) -> Any:
    return orjson.loads(orjson.dumps(trainer.state_dict()))


def test_a_save_encodes_only_the_epochs_new_since_the_last(encoded):
    t = make_trainer(CONFIG)
    t.run_epochs(30)
    cache = HistoryJSON()
    blob = encode_state(t, cache)
    assert orjson.loads(blob) == _exact(t)  # one JSON document, equal to state_dict()
    lists = len(t.history.columns(extras=True))
    assert sum(encoded) == 30 * lists
    encoded.clear()
    t.run_epochs(1)
    assert orjson.loads(encode_state(t, cache)) == _exact(t)
    # 31 epochs: 7 full blocks kept, 1 new one (28..31) encoded, nothing else.
    assert encoded == [31 - 7 * BLOCK] * lists


def test_an_undo_re_encodes_from_where_it_cut_and_stays_exact(encoded):
    t = make_trainer(CONFIG)
    t.run_epochs(9)
    t.run_epochs(1)
    t.run_epochs(1)  # undo snapshots at epochs 9 and 10
    cache = HistoryJSON()
    encode_state(t, cache)
    t.undo(2)  # back to epoch 9: the third block (8..11) is cut
    t.run_epochs(1)
    encoded.clear()
    assert orjson.loads(encode_state(t, cache)) == _exact(t)
    assert encoded == [10 - 2 * BLOCK] * len(t.history.columns(extras=True))  # blocks 0 and 1 kept


def test_after_many_undos_everything_is_encoded_again_and_exact(encoded):
    t = make_trainer(CONFIG)
    cache = HistoryJSON()
    t.run_epochs(6)
    encode_state(t, cache)
    for _ in range(KEPT_CUTS + 1):  # more cuts than the history remembers
        t.run_epochs(1)
        t.undo(1)
    assert t.history.kept_since(cache.cuts) is None
    assert orjson.loads(encode_state(t, cache)) == _exact(t)


def test_a_blob_is_read_a_block_at_a_time_and_the_next_save_is_small(encoded, monkeypatch):
    t = make_trainer(CONFIG)
    t.run_epochs(22)
    blob = encode_state(t)
    parsed: list[bytes] = []
    real = orjson.loads

    def loads(data: bytes) -> Any:
        parsed.append(data)
        return real(data)

    monkeypatch.setattr(state_blob.orjson, "loads", loads)
    cache = HistoryJSON()
    back = decode_state(blob, DEFAULT_BUILDER, cache)
    monkeypatch.setattr(state_blob.orjson, "loads", real)
    assert _exact(back) == _exact(t)
    # Each call parsed one line of the blob (a block, or the rest of the state), none the whole.
    lists = len(t.history.columns(extras=True))
    assert not any(b"\n" in data for data in parsed)
    assert len([d for d in parsed if d.startswith(b"[")]) == lists * -(-22 // BLOCK)
    encoded.clear()
    back.run_epochs(1)
    encode_state(back, cache)
    assert encoded == [23 - 5 * BLOCK] * len(back.history.columns(extras=True))  # seeded: 5 blocks kept


def test_a_blob_written_whole_is_still_read():
    t = make_trainer(CONFIG)
    t.run_epochs(3)
    assert _exact(decode_state(orjson.dumps(t.state_dict()), DEFAULT_BUILDER)) == _exact(t)


def test_a_session_stepping_after_a_long_import_saves_only_what_is_new(encoded, tmp_path):
    """Through the API, on a durable store: an import of a long history, then steps and a
    restart; each save after the first encodes only the entries past the kept blocks."""
    settings = Settings(store=str(tmp_path / "s.sqlite3"), save_interval_seconds=0)
    t = make_trainer(CONFIG)
    t.run_epochs(41)
    doc = {"format": "mlp-playground-session", "format_version": 1, "state": t.state_dict()}
    with TestClient(create_app(settings)) as c:
        sid = c.post("/api/sessions/import", json=doc).json()["id"]
        lists = len(t.history.columns(extras=True))
        for n in range(3):
            encoded.clear()
            assert c.post(f"/api/sessions/{sid}/epochs", json={"count": 1, "include": []}).status_code == 200
            assert encoded == [42 + n - 10 * BLOCK] * lists  # each save: the last block only
        exported = c.get(f"/api/sessions/{sid}/export").json()
    with TestClient(create_app(settings)) as c:  # a restart: read back from the store
        encoded.clear()
        assert c.post(f"/api/sessions/{sid}/epochs", json={"count": 1, "include": []}).status_code == 200
        assert encoded == [45 - 11 * BLOCK] * lists
        again = c.get(f"/api/sessions/{sid}/export").json()
    reference = Trainer.from_state(exported["state"])
    reference.run_epochs(1)
    assert again["state"] == _exact(reference)


def test_an_import_is_parsed_off_the_event_loop(monkeypatch):
    from server.routes import sessions as routes

    seen: list[int] = []
    inner = routes.ExportDocument.model_validate

    def validate(data: Any) -> Any:
        seen.append(threading.get_ident())
        return inner(data)

    monkeypatch.setattr(routes.ExportDocument, "model_validate", validate)
    with TestClient(create_app(Settings())) as c:
        sid = c.post("/api/sessions", json=CONFIG).json()["id"]
        doc = c.get(f"/api/sessions/{sid}/export").json()
        loop_thread = c.portal.call(threading.get_ident)
        assert c.post("/api/sessions/import", json=doc).status_code == 201
    assert seen and seen[0] != loop_thread
