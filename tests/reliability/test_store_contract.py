"""The backend contract, the same for SQLite and a real redis-server: leases are
exclusive and expire, saves need the lease and bump the version, tombstones say why."""
from __future__ import annotations

import time
from typing import Callable

import pytest

from server.store import Backend, open_backend


@pytest.fixture
def backend(store_url: str):
    b = open_backend(store_url)
    assert b is not None
    yield b
    b.close()


def test_leases_are_exclusive_and_saves_need_one(backend: Backend):
    now = time.time()
    backend.insert("s1", b"v1", "10.0.0.1", now)
    assert backend.load("s1") == (1, b"v1")
    assert backend.acquire("s1", "a", 30, now).acquired
    assert backend.acquire("s1", "a", 30, now).acquired  # the owner may take it again
    busy = backend.acquire("s1", "b", 30, now)
    assert not busy.acquired and busy.version == 1
    assert backend.wanted(["s1", "nope"]) == {"s1"}
    assert backend.save("s1", "b", b"stolen", release=True) is None  # b has no lease: nothing written
    assert backend.save("s1", "a", b"v2", release=False) == 2
    assert backend.save("s1", "a", b"v3", release=True) == 3
    got = backend.acquire("s1", "b", 30, now)
    assert got.acquired and got.version == 3 and backend.load("s1") == (3, b"v3")
    assert backend.wanted(["s1"]) == set()
    backend.release("s1", "a")  # not a's: b keeps it
    assert not backend.acquire("s1", "a", 30, now).acquired
    backend.release("s1", "b")
    assert backend.acquire("s1", "a", 30, now).acquired


class GivenClock:
    """Time as the SQLite backend sees it: it compares leases with the ``now`` it is given,
    so the test moves that on itself and nothing waits."""

    ttl = 10.0

    def __init__(self) -> None:
        self.t = time.time()

    def now(self) -> float:
        return self.t

    def tick(self) -> None:
        self.t += 0.5


class RedisClock:
    """Redis expires leases on its own clock (``SET ... PX``), so time passes for real. The
    lease lives long enough that no pause of a loaded machine between two calls outlasts it."""

    ttl = 3.0

    def now(self) -> float:
        return time.time()

    def tick(self) -> None:
        time.sleep(0.05)


@pytest.fixture
def clock(store_url: str) -> GivenClock | RedisClock:
    return RedisClock() if store_url.startswith("redis") else GivenClock()


def wait_until_free(backend: Backend, session_id: str, clock: GivenClock | RedisClock,
                    meanwhile: Callable[[], None] = lambda: None, limit: float = 60.0) -> None:
    """Until ``b`` gets the lease of ``session_id`` (it has expired), calling ``meanwhile``
    at every tick; fails after ``limit`` seconds of the backend's time, far beyond any lease here."""
    start = clock.now()
    while not backend.acquire(session_id, "b", 10, clock.now()).acquired:
        assert clock.now() - start < limit, f"the lease of {session_id} never expired"
        clock.tick()
        meanwhile()


def test_a_dead_owners_lease_expires(backend: Backend, clock):
    backend.insert("s2", b"x", "c", clock.now())
    assert backend.acquire("s2", "dead", clock.ttl, clock.now()).acquired
    assert not backend.acquire("s2", "b", 10, clock.now()).acquired
    wait_until_free(backend, "s2", clock)  # nobody renews it: b gets it once it expires


def test_renewed_leases_outlive_their_ttl(backend: Backend, clock):
    # s4, taken at the same moment with the same TTL and never renewed, says when that TTL is over;
    # s3 is renewed (with the same TTL) at every tick meanwhile.
    for sid in ("s3", "s4"):
        backend.insert(sid, b"x", "c", clock.now())
        assert backend.acquire(sid, "a", clock.ttl, clock.now()).acquired
    wait_until_free(backend, "s4", clock, meanwhile=lambda: backend.renew(["s3"], "a", clock.ttl, clock.now()))
    assert not backend.acquire("s3", "b", 10, clock.now()).acquired


def test_delete_evict_and_tombstones(backend: Backend):
    t = time.time()
    for i, client in enumerate(["a", "a", "b", "c"]):
        backend.insert(f"k{i}", b"x", client, t - 100 + i)
    assert backend.count() == 4 and backend.count("a") == 2 and backend.ids() == ["k0", "k1", "k2", "k3"]
    assert backend.delete("k3", None) and not backend.delete("k3", None)
    assert backend.why_gone("k3") is None
    gone = backend.evict(keep=1, idle_before=t - 99.5, why_full="full", why_idle="idle")
    assert gone == ["k0", "k1"]
    assert backend.why_gone("k0") == "idle" and backend.why_gone("k1") == "full"
    assert backend.count() == 1 and backend.count("a") == 0 and backend.load("k0") is None
    assert backend.acquire("k0", "a", 10, t).version is None


def test_creations_per_window(backend: Backend):
    now = time.time()
    assert [backend.note_creation("ip", now, 60, 3) for _ in range(4)] == [True, True, True, False]
    assert backend.note_creation("other", now, 60, 3)
    assert backend.note_creation("ip", now + 61, 60, 3)  # the window has moved on
