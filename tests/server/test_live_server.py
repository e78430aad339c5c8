"""Against a real uvicorn process on a free port: concurrency and the CLI contract."""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

import launch
from launch import start, stop

pytestmark = pytest.mark.subprocess

THREADS = 20
STEPS = 10


def _step_many(url: str, sid: str, n: int) -> list[tuple[int, int]]:
    """``n`` backward calls on one session; (status, step) of each."""
    out = []
    with httpx.Client(base_url=url, timeout=60) as c:
        for _ in range(n):
            r = c.post(f"/api/sessions/{sid}/backward", json={"include": ["params"]})
            out.append((r.status_code, r.json().get("step", -1)))
    return out


def test_20_threads_on_one_session_and_20_on_their_own(live_url):
    with httpx.Client(base_url=live_url, timeout=60) as c:
        shared = c.post("/api/sessions", json={"optimizer": {"batch_size": 7}}).json()["id"]
        own = [c.post("/api/sessions", json={"seed": i}).json()["id"] for i in range(THREADS)]
    with ThreadPoolExecutor(2 * THREADS) as pool:
        on_shared = [pool.submit(_step_many, live_url, shared, STEPS) for _ in range(THREADS)]
        on_own = [pool.submit(_step_many, live_url, sid, STEPS) for sid in own]
        shared_results = [x for f in on_shared for x in f.result()]
        own_results = [f.result() for f in on_own]
    assert all(status == 200 for status, _ in shared_results)
    # every step of the shared session was taken exactly once: no two requests interleaved
    assert sorted(step for _, step in shared_results) == list(range(1, THREADS * STEPS + 1))
    for results in own_results:
        assert [step for _, step in results] == list(range(1, STEPS + 1))
    with httpx.Client(base_url=live_url, timeout=60) as c:
        state = c.get(f"/api/sessions/{shared}", params={"include": "history"}).json()
        assert state["step"] == THREADS * STEPS
        assert state["epoch"] * state["steps_per_epoch"] + -(-state["position"] // 7) == THREADS * STEPS
        assert all(c.get(f"/api/sessions/{sid}").json()["step"] == STEPS for sid in own)



def test_a_long_request_does_not_stall_the_others(tmp_path):
    # The long request waits at the test server's gate until this test lets it go, so it
    # is still running while the quick ones are answered, however fast the machine is.
    gate = tmp_path / "epochs-gate"
    os.mkfifo(gate)
    with launch.running(gate=gate) as url:
        with httpx.Client(base_url=url, timeout=300) as c:
            slow = c.post("/api/sessions", json={"dataset": {"name": "california_housing"},
                                                 "optimizer": {"batch_size": 8}}).json()["id"]
            quick = c.post("/api/sessions", json={}).json()["id"]

        def long_request() -> int:
            with httpx.Client(base_url=url, timeout=300) as c:
                return c.post(f"/api/sessions/{slow}/epochs", json={"count": 10}).status_code

        with ThreadPoolExecutor(1) as pool:
            future = pool.submit(long_request)
            writer = launch.open_gate(gate)  # it has reached the engine's thread and waits there
            try:
                with httpx.Client(base_url=url, timeout=60) as c:
                    for _ in range(5):
                        assert c.get("/api/health").status_code == 200
                        assert c.post(f"/api/sessions/{quick}/backward").status_code == 200
                assert not future.done()  # the others were answered while it was still training
            finally:
                os.close(writer)  # end of file: the long request goes on to train
            assert future.result() == 200


def test_cli_prints_one_url_line_and_serves_the_page():
    proc, url = start()
    try:
        assert url.startswith("http://127.0.0.1:") and url.endswith("/")
        assert int(url.rsplit(":", 1)[1].strip("/")) > 0
        assert httpx.get(url + "api/health").json()["status"] == "ok"
        assert httpx.get(url).status_code == 200
    finally:
        stop(proc)
    assert proc.stdout.read() == ""  # nothing but the URL line on stdout
