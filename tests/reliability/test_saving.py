"""When the durable store saves: an isolated change before its answer, a burst once
per interval (the lease kept meanwhile, released at once when another process asks
for the session), and everything pending on close."""
from __future__ import annotations

import time

import launch
from server.sessions import Session
from server.store import DurableStore, SessionStore
from server.store import open_backend

CONFIG = {"dataset": {"name": "xor", "n_samples": 16}, "optimizer": {"batch_size": 4}}


def _store(path: str, interval: float) -> SessionStore:
    return DurableStore(backend=open_backend(path), save_interval=interval, lease_seconds=30)


def _wait_for(condition, seconds: float = 30.0) -> None:
    launch.wait_until(condition, "the change was saved", seconds)


def test_isolated_changes_are_saved_before_the_answer(store_url):
    store = _store(store_url, 0.0)  # every change is "isolated": its last save is >= 0 s old
    s = store.add(Session.create(CONFIG))
    for n in range(1, 4):
        with s.lock:
            s.trainer.step()
        assert store.backend.load(s.id)[0] == n + 1  # version 1 was the creation
    with s.lock:
        pass  # reading changes nothing: no save
    assert store.backend.load(s.id)[0] == 4
    with s.lock:
        s.trainer.model.W[0][0, 0] += 1.0  # an edited weight, no step: still a change
    assert store.backend.load(s.id)[0] == 5
    store.close()


def test_a_burst_is_saved_when_wanted_elsewhere_and_on_close(store_url):
    store = _store(store_url, 60)  # an interval longer than the test: only a wish or close saves
    s = store.add(Session.create(CONFIG))
    other = _store(store_url, 60)  # another process
    cached = other.get(s.id)
    with s.lock:
        s.trainer.run_epochs(1)
    with s.lock:
        s.trainer.run_epochs(1)
    assert store.backend.load(s.id)[0] == 1 and s.held  # not saved yet; the lease is kept
    assert not other.backend.acquire(s.id, other.owner, 30, time.time()).acquired
    # The other process's wish makes the saver write and let go well before the interval.
    _wait_for(lambda: not s.held)
    assert cached.trainer.epoch == 0  # its copy is stale...
    with cached.lock:
        assert cached.trainer.epoch == 2  # ...and brought up to date under the lease
    other.close()
    with s.lock:
        s.trainer.run_epochs(1)
    assert s.held
    store.close()  # graceful shutdown writes the pending epoch
    reopened = _store(store_url, 60)
    assert reopened.get(s.id).trainer.epoch == 3
    reopened.close()


def test_a_deferred_save_comes_within_the_interval(store_url):
    store = _store(store_url, 0.2)
    s = store.add(Session.create(CONFIG))
    with s.lock:
        s.trainer.run_epochs(1)  # within 0.2 s of creation: deferred
    _wait_for(lambda: store.backend.load(s.id)[0] == 2)
    assert not s.held
    store.close()
