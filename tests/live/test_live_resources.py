"""Live training and the server's resources, against a real uvicorn process: two
clients at once, a client that reads nothing, disconnects, the connection bound,
and REST calls on a playing session."""
from __future__ import annotations

import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from websockets.exceptions import ConnectionClosed

import launch

pytestmark = pytest.mark.subprocess

RSS_GROWTH_KIB = 30 * 1024
"""Generous bound on the server's memory growth while a client reads nothing (a memory bound, not a timing one)."""
STEADY_FRAMES = 120
"""Frames (one epoch each) played unread before the memory is first measured: the allocator
still grows for a while after the socket buffers are full, then settles."""
UNREAD_FRAMES = 200
"""Frames played unread between the two measures: ~600 MB of JSON if they queued up."""
LIVE_SECONDS = 120.0
"""How long a test waits for a count to be reached (a hang, not a speed)."""


def wait_for(predicate, what: str, limit: float = LIVE_SECONDS) -> None:
    """Poll until ``predicate()`` holds; fail naming ``what`` if it never does."""
    launch.wait_until(predicate, what, limit)


def epoch_of(server, sid: str) -> int:
    """The session's epoch, asked without its parameters (they are megabytes here)."""
    r = server.http.get(f"/api/sessions/{sid}", params={"include": "history"})
    assert r.status_code == 200, r.text
    return r.json()["epoch"]


def test_two_clients_on_two_sessions_both_progress(server):
    a, b = server.session({"seed": 1}), server.session({"dataset": {"name": "circles"}, "seed": 2})
    with server.live(a) as live_a, server.live(b) as live_b:
        live_a.send("play", fps=60)
        live_b.send("play", fps=60, epochs_per_frame=3)
        with ThreadPoolExecutor(2) as pool:
            frames_a, frames_b = pool.map(lambda live: live.frames(15), [live_a, live_b])
        assert server.status()["playing"] == 2 and server.status()["connections"] == 2
        paused = []
        for live in (live_a, live_b):
            paused.append(live.pause()[0])
    for frames, per_frame in ((frames_a, 1), (frames_b, 3)):
        epochs = [f["epoch"] for f in frames]
        assert all(y - x == per_frame for x, y in zip(epochs, epochs[1:]))
    assert server.state(a)["epoch"] == paused[0]["epoch"] >= frames_a[-1]["epoch"]
    assert server.state(b)["epoch"] == paused[1]["epoch"] >= frames_b[-1]["epoch"]


def test_a_client_that_reads_nothing_leaves_the_server_memory_flat(server):
    # ~150k parameters sent whole in every frame (~3 MB of JSON) on a tiny training set, so
    # frames come quickly: without coalescing, the unread frames would pile up >100 MB.
    sid = server.session({"dataset": {"name": "xor", "n_samples": 40}, "model": {"layers": [2, 384, 384, 1]}})
    play = {"fps": 60, "grid_every": 0, "max_elements": 1_000_000}
    with server.live(sid, compression=None) as warm:  # the first frames allocate what later ones reuse
        warm.play(3, **play)
        warm.pause()
    epoch_before = server.state(sid)["epoch"]
    with server.live(sid, max_queue=1, compression=None) as live:
        live.send("play", **play)
        # Measure from a steady state: after this many unread frames the socket's buffers hold
        # what they ever will, so any further growth is a queue of unsent frames.
        wait_for(lambda: epoch_of(server, sid) >= epoch_before + STEADY_FRAMES, "a steady state", LIVE_SECONDS)
        before = server.rss_kib()
        measured_from = epoch_of(server, sid)
        # Read nothing while enough frames are made to pile up far beyond the bound.
        wait_for(lambda: epoch_of(server, sid) >= measured_from + UNREAD_FRAMES, "the unread frames", LIVE_SECONDS)
        after = server.rss_kib()
        assert after - before < RSS_GROWTH_KIB, f"RSS grew {(after - before) / 1024:.1f} MiB"
        playing = server.state(sid)["epoch"]
        paused, frames = live.pause()
    # Training went on meanwhile; frames were dropped (the newest replaced them), yet
    # every epoch reached the client in some frame's new_epochs.
    assert playing > epoch_before + len(frames)
    assert len(frames) < frames[-1]["seq"]
    listed = [e for f in frames for e in f["new_epochs"]["epoch"]]
    assert listed == list(range(epoch_before + 1, paused["epoch"] + 1))


def test_a_disconnect_ends_the_training_task(server):
    sid = server.session()
    live = server.live(sid)
    live.play(3, fps=60)
    assert server.status()["playing"] == 1
    live.close()
    wait_for(lambda: server.status() == {"connections": 0, "playing": 0, "max_connections": 8},
             "the server noticed the client left")
    epoch = server.state(sid)["epoch"]
    server.train_elsewhere()
    assert server.state(sid)["epoch"] == epoch


def test_a_dropped_connection_without_a_close_handshake_ends_training_too(server):
    sid = server.session()
    live = server.live(sid)
    live.play(3, fps=60)
    live.ws.socket.shutdown(socket.SHUT_RDWR)  # the network goes away: no close frame
    wait_for(lambda: server.status()["playing"] == 0, "the server noticed the dropped connection")
    epoch = server.state(sid)["epoch"]
    server.train_elsewhere()
    assert server.state(sid)["epoch"] == epoch
    live.close()


def test_live_connections_are_bounded(small_server):
    sid = small_server.session()
    first, second = small_server.live(sid), small_server.live(sid)
    ws_url = small_server.url.replace("http://", "ws://") + f"api/sessions/{sid}/live"
    from websockets.sync.client import connect

    with connect(ws_url) as third:
        with pytest.raises(ConnectionClosed) as info:
            third.recv(timeout=30)
    assert info.value.rcvd.code == 1013
    assert info.value.rcvd.reason == "live: the server allows 2 live connections; close one and retry"
    first.close()
    wait_for(lambda: small_server.status()["connections"] == 1, "the first connection was let go")
    with small_server.live(sid) as again:
        again.send("play")
        assert again.frames(1)[0]["epoch"] == 1
    second.close()


def test_rest_calls_on_a_playing_session_see_consistent_states(server):
    sid = server.session({"optimizer": {"batch_size": 7}})
    stop = threading.Event()
    seen: list[dict] = []

    def rest() -> None:
        while not stop.is_set():
            state = server.state(sid)
            seen.append(state)
            r = server.http.post(f"/api/sessions/{sid}/backward", json={"include": ["params"]})
            assert r.status_code == 200, r.text
            seen.append(r.json())

    with server.live(sid) as live, ThreadPoolExecutor(1) as pool:
        live.send("play", fps=240, grid_every=2)
        worker = pool.submit(rest)
        frames = live.frames(60)
        # Play on until the REST calls have had their turns too (a loaded machine takes longer).
        deadline = time.monotonic() + LIVE_SECONDS
        while len(seen) <= 10 and not worker.done() and time.monotonic() < deadline:
            frames += live.frames(1)
        stop.set()
        worker.result()
        live.pause()
    steps = [m["step"] for m in seen]
    assert len(seen) > 10 and steps == sorted(steps)
    # Every state, frame and trace is whole: 23 steps of 7 rows make an epoch of 160 rows,
    # whoever took them, and a frame always ends on an epoch boundary.
    for m in seen[::2]:
        assert len(m["history"]["train_loss"]) == m["epoch"]
        assert m["step"] == 23 * m["epoch"] + -(-m["position"] // 7)
    for m in seen[1::2]:
        assert m["step"] == 23 * m["epoch"] + -(-m["position"] // 7)
    assert all(f["position"] == 0 and f["step"] == 23 * f["epoch"] for f in frames)
    assert [f["step"] for f in frames] == sorted(f["step"] for f in frames)


def test_no_frame_is_compressed_on_the_event_loop(server):
    # The page's browser offers permessage-deflate, as this client does by default; the
    # websockets library would compress every frame in the event loop's thread (a large
    # frame held every other request for seconds), so the server declines the extension.
    sid = server.session()
    with server.live(sid) as live:
        assert live.ws.response.headers.get("Sec-WebSocket-Extensions") is None
        assert live.ws.protocol.extensions == []
        live.play(2, fps=60)
        live.pause()
