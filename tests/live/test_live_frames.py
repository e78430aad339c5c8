"""WS /api/sessions/{id}/live against a real uvicorn process: frames, pause and play,
step, learning-rate changes, bad messages and divergence."""
from __future__ import annotations

import json

import pytest
from websockets.exceptions import ConnectionClosed

pytestmark = pytest.mark.subprocess

XOR_8_8 = {"dataset": {"name": "xor"}, "model": {"layers": [2, 8, 8, 1]}}


def test_frames_arrive_in_order_with_rising_epochs_and_the_state_of_the_session(server):
    sid = server.session(XOR_8_8)
    with server.live(sid) as live:
        assert live.hello["epoch"] == 0 and live.hello["session"] == sid
        live.send("play", epochs_per_frame=2, fps=120, grid_every=3, resolution=12)
        playing, _ = live.until("playing")
        assert playing["epochs_per_frame"] == 2 and playing["grid_every"] == 3
        frames = live.frames(12)
        paused, more = live.pause()
    frames += more
    seqs, epochs = [f["seq"] for f in frames], [f["epoch"] for f in frames]
    assert seqs == sorted(set(seqs)) and seqs[0] == 1
    assert all(b > a for a, b in zip(epochs, epochs[1:]))
    # Every epoch trained is in exactly one frame's new_epochs, in order, with its losses.
    listed = [e for f in frames for e in f["new_epochs"]["epoch"]]
    assert listed == list(range(1, epochs[-1] + 1)) and paused["epoch"] == epochs[-1]
    state = server.state(sid)
    assert state["epoch"] == epochs[-1] and state["step"] == frames[-1]["step"]
    last = frames[-1]
    assert last["train_loss"] == state["history"]["train_loss"][-1]
    assert last["test_loss"] == state["history"]["test_loss"][-1]
    assert last["grad_norms"] == state["history"]["grad_norms"][-1]
    assert last["params"] == state["params"] and last["finite"] is True
    assert [len(p["W"]) for p in last["params"]] == [8, 8, 1]
    # A coarse boundary grid on the first frame and every third after it.
    assert [f["seq"] for f in frames if "boundary" in f][:4] == [1, 4, 7, 10]
    grid = frames[0]["boundary"]
    assert grid["kind"] == "grid" and len(grid["x"]) == 12 and len(grid["z"]) == 12


def test_pause_stops_the_frames_and_play_resumes_where_it_was(server):
    sid = server.session(XOR_8_8)
    with server.live(sid) as live:
        live.play(5, fps=60)
        paused, _ = live.pause()
        assert paused["reason"] == "pause"
        server.train_elsewhere(20)
        with pytest.raises(TimeoutError):  # nothing more came while paused
            live.recv(timeout=0)
        assert server.state(sid)["epoch"] == paused["epoch"]
        assert server.status()["playing"] == 0
        resumed = live.play(3)
        live.pause()
    assert resumed[0]["epoch"] == paused["epoch"] + 1
    assert resumed[0]["new_epochs"]["epoch"] == [paused["epoch"] + 1]


def test_one_dimensional_data_gets_a_curve_and_wide_data_no_boundary(server):
    with server.live(server.session({"dataset": {"name": "sine"}})) as live:
        curve = live.play(1, grid_every=1, resolution=20)[0]["boundary"]
        live.send("pause")
    assert curve["kind"] == "curve" and len(curve["x"]) == 20 and len(curve["y"]) == 20
    with server.live(server.session({"dataset": {"name": "diabetes"}})) as live:
        frame = live.play(1, grid_every=1)[0]
        live.send("pause")
    assert "boundary" not in frame and frame["epoch"] == 1


def test_large_layers_come_as_summaries_below_max_elements(server):
    sid = server.session({"model": {"layers": [2, 64, 64, 1]}})
    with server.live(sid) as live:
        params = live.play(1, max_elements=1000, grid_every=0)[0]["params"]
        live.send("pause")
    assert params[1]["W"]["summary"] is True and params[1]["W"]["shape"] == [64, 64]
    assert len(params[0]["W"]) == 64 and len(params[1]["b"]) == 64


def test_step_pauses_and_answers_one_backward_trace(server):
    sid = server.session(XOR_8_8)
    with server.live(sid) as live:
        live.play(2, fps=60)
        live.send("step")
        paused, _ = live.until("paused")
        trace, _ = live.until("trace")
    assert paused["reason"] == "step"
    assert trace["step"] == paused["step"] + 1 and trace["applied"] is True
    assert [len(layer["dW"]) for layer in trace["backward"]] == [8, 8, 1]
    assert trace["params"] == server.state(sid)["params"]


def test_learning_rate_changes_while_playing_and_sticks(server):
    sid = server.session(XOR_8_8)
    with server.live(sid) as live:
        live.play(2, fps=60)
        live.send("set", learning_rate=0.5, fps=90)
        answer, _ = live.until("set")
        later = live.frames(2)
        live.pause()
    assert answer["learning_rate"] == 0.5 and answer["fps"] == 90
    assert all(f["learning_rate"] == 0.5 for f in later)
    assert server.state(sid)["config"]["optimizer"]["learning_rate"] == 0.5
    reset = server.http.post(f"/api/sessions/{sid}/reset").json()
    assert reset["epoch"] == 0 and reset["config"]["optimizer"]["learning_rate"] == 0.5


BAD = [
    ({"action": "set", "learning_rate": 0}, "learning_rate: Input should be greater than 0"),
    ({"action": "set", "learning_rate": -1}, "learning_rate: Input should be greater than 0"),
    ({"action": "set", "learning_rate": "fast"}, "learning_rate: Input should be a valid number"),
    ({"action": "set", "learning_rate": 1e300}, "learning_rate: Input should be less than or equal to"),
    ({"action": "play", "fps": 0}, "fps: Input should be greater than or equal to 1"),
    ({"action": "play", "epochs_per_frame": 0}, "epochs_per_frame: Input should be greater than or equal to 1"),
    ({"action": "play", "fsp": 30}, "fsp: Extra inputs are not permitted"),
    ({"action": "play", "resolution": 4}, "resolution: Input should be greater than or equal to 5"),
    ({"action": "step", "indices": []}, "indices: List should have at least 1 item"),
    ({"action": "fly"}, "action: must be one of play, pause, step, set; got 'fly'"),
    ({"learning_rate": 0.1}, "action: must be one of"),
    ([1, 2], "message: must be a JSON object"),
]


def test_bad_messages_answer_an_error_naming_the_field_and_the_connection_lives_on(server):
    sid = server.session(XOR_8_8)
    with server.live(sid) as live:
        live.play(1, fps=30)
        for body, detail in BAD:
            live.ws.send(json.dumps(body))
            error, _ = live.until("error")
            assert error["detail"].startswith(detail), (body, error)
        for raw in ["{not json", b"\x00\x01", "[" * 100_000]:
            live.ws.send(raw)
            error, _ = live.until("error")
            assert error["detail"].startswith("message: "), (raw[:10], error)
        # Still playing, at the rate it had.
        frames = live.frames(3)
        # A step pauses first; the engine then refuses rows it does not have.
        live.send("step", indices=[10**6])
        live.until("paused")
        error, _ = live.until("error")
        assert error["detail"] == "indices: every index must be in [0, 160) (the training rows)"
    assert all(f["learning_rate"] == 0.1 and f["finite"] for f in frames)
    state = server.state(sid)
    assert state["epoch"] >= frames[-1]["epoch"]
    assert state["finite"] is True and state["config"]["optimizer"]["learning_rate"] == 0.1


def test_divergence_is_reported_and_pauses(server):
    sid = server.session({"dataset": {"name": "sine"}, "optimizer": {"learning_rate": 1e6}})
    with server.live(sid) as live:
        live.send("play", fps=120, grid_every=1)
        paused, before = live.until("paused")
    frames = [m for m in before if m["type"] == "frame"]
    assert paused["reason"] == "diverged"
    assert frames[-1]["finite"] is False
    assert None in frames[-1]["new_epochs"]["train_loss"] or frames[-1]["train_loss"] is None
    assert server.http.get(f"/api/sessions/{sid}").json()["finite"] is False


def test_early_stopping_ends_play_with_its_reason(server):
    # A learning rate this large makes the test loss worse at once; patience 1 stops after epoch 2.
    sid = server.session({"dataset": {"name": "xor"}, "model": {"layers": [2, 8, 8, 1]},
                          "optimizer": {"learning_rate": 5.0, "early_stopping": {"patience": 1}}})
    with server.live(sid) as live:
        live.send("play", fps=120, grid_every=0)
        paused, before = live.until("paused")
    frames = [m for m in before if m["type"] == "frame"]
    state = server.state(sid)
    assert paused["reason"] == "early_stopping"
    assert frames[-1]["stopped"] is True and all(f["stopped"] is False for f in frames[:-1])
    assert state["stopped"] is True and state["epoch"] == frames[-1]["epoch"] == state["stopped_epoch"]


def test_unknown_session_closes_with_4404_and_the_reason(server):
    ws_url = server.url.replace("http://", "ws://") + "api/sessions/nope/live"
    from websockets.sync.client import connect

    with connect(ws_url) as ws:
        with pytest.raises(ConnectionClosed) as info:
            ws.recv(timeout=30)
    assert info.value.rcvd.code == 4404 and "no session with id 'nope'" in info.value.rcvd.reason


def test_deleting_the_session_while_playing_closes_the_socket(server):
    sid = server.session(XOR_8_8)
    with server.live(sid) as live:
        live.play(2, fps=60)
        assert server.http.delete(f"/api/sessions/{sid}").status_code == 204
        with pytest.raises(ConnectionClosed) as info:
            live.until("never")
    assert info.value.rcvd.code == 4404
