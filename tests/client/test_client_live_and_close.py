"""play() over the live socket stops cleanly; close() leaves no thread and no process."""
from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from launch import wait_until
from mlp_playground import Client, Frame


def live_status(client: Client) -> dict[str, int]:
    return client.request("GET", "api/live")


def test_play_a_number_of_epochs(local: Client) -> None:
    s = local.session(dataset={"name": "xor", "n_samples": 80}, model={"layers": [2, 5, 1]})
    s.epochs(2)
    frames = list(s.play(epochs=4, fps=240))
    assert frames and all(isinstance(f, Frame) for f in frames)
    assert frames[-1].epoch >= 6 and all(f.epoch <= 6 for f in frames[:-1])
    f = frames[-1]
    assert f.params.W[0].shape == (5, 2) and f.params.W[0].dtype == np.float64 and f.grad_norm.shape == (2,)
    epochs_seen = np.concatenate([fr.new_epochs.train_loss for fr in frames])
    assert len(epochs_seen) == f.epoch - 2  # every epoch trained rode along in some frame
    np.testing.assert_array_equal(epochs_seen, s.history.train_loss[2:f.epoch])
    wait_until(lambda: live_status(local)["connections"] == 0, "the live socket closed")


def test_leaving_the_loop_pauses_the_session(local: Client) -> None:
    s = local.session(dataset={"name": "xor", "n_samples": 80}, model={"layers": [2, 5, 1]})
    seen = []
    for frame in s.play(fps=240):  # no end of its own
        seen.append(frame.epoch)
        if len(seen) == 3:
            break
    # break closed the generator: it paused the session and closed the socket before returning.
    status = live_status(local)
    assert status["playing"] == 0
    wait_until(lambda: live_status(local)["connections"] == 0, "the live socket closed")
    stood = s.step_count
    s.epochs(1)  # a REST call in between; nothing else trains it
    assert s.step_count == stood + s.state()["steps_per_epoch"]
    assert seen == sorted(seen) and seen[-1] >= 3


def test_play_ends_by_itself_when_training_diverges(local: Client) -> None:
    s = local.session(dataset={"name": "xor", "n_samples": 80}, model={"layers": [2, 5, 1], "output_activation": "linear",
                                                                      "loss": "mse"},
                      optimizer={"name": "sgd", "learning_rate": 1e6})
    frames = list(s.play(fps=240))  # ends on the server's "paused: diverged"
    assert frames and not frames[-1].finite and all(f.finite for f in frames[:-1])
    assert live_status(local)["playing"] == 0


def children() -> set[int]:
    """This process's child processes (every thread's), from /proc."""
    kids: set[int] = set()
    for task in Path("/proc/self/task").iterdir():
        try:
            text = (task / "children").read_text().split()
        except FileNotFoundError:  # that thread ended meanwhile
            continue
        kids |= {int(pid) for pid in text}
    return kids


def test_close_leaves_no_thread_or_process() -> None:
    np.ones((64, 64)) @ np.ones((64, 64))  # NumPy's own BLAS threads, if any, exist before counting
    threads_before, children_before = set(threading.enumerate()), children()
    client = Client.local()
    s = client.session(dataset={"name": "xor", "n_samples": 80})
    s.step()
    s.epochs(2)
    for frame in s.play(fps=240):
        if frame.epoch >= 4:
            break
    assert set(threading.enumerate()) - threads_before  # the server's thread, at least
    client.close()
    assert set(threading.enumerate()) <= threads_before  # (one of those may have ended meanwhile)
    assert children() == children_before
    client.close()  # twice is harmless


def test_with_block_stops_the_server() -> None:
    threads_before = set(threading.enumerate())
    with Client.local() as client:
        client.session(dataset={"name": "xor", "n_samples": 40})
        assert any(t.name.startswith("mlp-playground-server") for t in threading.enumerate())
    assert set(threading.enumerate()) <= threads_before


def test_an_unknown_setting_is_refused_before_anything_starts() -> None:
    threads_before = set(threading.enumerate())
    try:
        Client.local(undo_dpeth=3)
    except TypeError as exc:
        assert "undo_dpeth" in str(exc)
    else:
        raise AssertionError("Client.local() took a setting that does not exist")
    assert set(threading.enumerate()) <= threads_before
