"""Live frames carry every neuron's grid with the boundary when asked (2-D data only), the same
grids as GET .../neurons at the frame's parameters."""
from __future__ import annotations

import numpy as np
import pytest

XOR = {"dataset": {"name": "xor", "n_samples": 60}, "model": {"layers": [2, 4, 3, 1]}, "seed": 1}


def test_grid_frames_carry_the_neuron_grids_of_their_parameters(server):
    sid = server.session(XOR)
    with server.live(sid) as live:
        live.send("play", fps=60, grid_every=2, resolution=8, neurons=6)
        frames = live.frames(4)
        paused, more = live.pause()
    frames += more
    with_grid = [f for f in frames if "boundary" in f]
    assert with_grid and all("neurons" in f for f in with_grid)
    assert not any("neurons" in f for f in frames if "boundary" not in f)
    grids = with_grid[-1]["neurons"]
    assert [len(layer["a"]) for layer in grids["layers"]] == [4, 3, 1] and len(grids["x"]) == 6
    # The output neuron's picture is the boundary of the same frame (at its own resolution).
    out = np.asarray(grids["layers"][-1]["a"][0])
    assert out.shape == (6, 6) and ((0 <= out) & (out <= 1)).all()


@pytest.mark.parametrize("bad", [1, 101, -1])
def test_the_neuron_resolution_is_bounded(server, bad):
    sid = server.session(XOR)
    with server.live(sid) as live:
        live.send("play", neurons=bad)
        error, _ = live.until("error")
    assert "neurons" in error["detail"]


def test_data_that_is_not_2d_gets_no_neuron_grids(server):
    sid = server.session({"dataset": {"name": "sine", "n_samples": 40}})
    with server.live(sid) as live:
        live.send("play", grid_every=1, resolution=8, neurons=6)
        frames = live.frames(3)
        live.pause()
    assert all("boundary" in f and "neurons" not in f for f in frames)
