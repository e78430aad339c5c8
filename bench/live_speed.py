"""How fast live training delivers frames, and what a frame costs the server.

Starts the playground as a real uvicorn process, creates an XOR session with
``[2, 8, 8, 1]`` and plays it over ``WS /api/sessions/{id}/live`` with a
client that reads and parses every frame (as the page does). Every frame
carries the parameters. Three runs, one after the other, each ``SECONDS`` long:

* ``page``: what the page asks for (``fps`` 60, one epoch per frame, a 32 x 32
  boundary grid every 4th frame);
* ``grid``: the same as fast as the server can (``fps`` at its maximum);
* ``no_grid``: one epoch per frame, no grid, as fast as the server can.

For each: frames delivered per second, and the server's CPU time (user +
system, from ``/proc/PID/stat``) per frame delivered. For scale, the engine's
own time for one XOR epoch in this process is printed too.

The last line is ``fps=... fps_no_grid=... cpu_ms_per_frame=...`` (the ``grid``
and ``no_grid`` runs' frame rates, the ``grid`` run's CPU per frame); targets:
``fps`` at least 30, ``fps_no_grid`` at least 60.
"""
from __future__ import annotations

import json
import os
import time

import httpx
from _common import final_line, median_seconds_interleaved, print_table
from websockets.sync.client import connect

from mlp_engine import make_trainer
from tests import launch
from server.live.messages import MAX_FPS

CONFIG = {"dataset": {"name": "xor"}, "model": {"layers": [2, 8, 8, 1]}}
SECONDS = 4.0
WARMUP_SECONDS = 0.5
RUNS = {
    "page": {"fps": 60, "epochs_per_frame": 1, "grid_every": 4, "resolution": 32},
    "grid": {"fps": MAX_FPS, "epochs_per_frame": 1, "grid_every": 4, "resolution": 32},
    "no_grid": {"fps": MAX_FPS, "epochs_per_frame": 1, "grid_every": 0},
}


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of process ``pid`` so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def play(url: str, pid: int, options: dict) -> tuple[float, float, int]:
    """Frames per second delivered, server CPU ms per frame, and bytes of the last frame."""
    with httpx.Client(base_url=url) as http:
        sid = http.post("/api/sessions", json=CONFIG).json()["id"]
    with connect(url.replace("http://", "ws://") + f"api/sessions/{sid}/live") as ws:
        ws.recv()  # hello
        ws.send(json.dumps({"action": "play", **options}))
        start = time.perf_counter()
        frames, cpu0, t0, size = 0, 0.0, 0.0, 0
        while (now := time.perf_counter()) - start < WARMUP_SECONDS + SECONDS:
            text = ws.recv()
            message = json.loads(text)
            if message["type"] != "frame":
                continue
            assert message["params"] and message["finite"], message
            if now - start < WARMUP_SECONDS:
                continue
            if not frames:
                cpu0, t0 = cpu_seconds(pid), now
            frames, size = frames + 1, len(text)
        elapsed, cpu = time.perf_counter() - t0, cpu_seconds(pid) - cpu0
        ws.send(json.dumps({"action": "pause"}))
    return (frames - 1) / elapsed, 1000 * cpu / max(frames - 1, 1), size


def main() -> None:
    trainer = make_trainer(CONFIG)
    epoch_ms = 1000 * median_seconds_interleaved({"epoch": lambda: trainer.run_epochs(1)}, repeats=50, warmup=5)["epoch"]
    proc, url = launch.start()
    try:
        results = {name: play(url, proc.pid, options) for name, options in RUNS.items()}
    finally:
        launch.stop(proc)
    print(f"XOR {CONFIG['model']['layers']}, params in every frame; engine alone: {epoch_ms:.3f} ms per epoch; "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print_table("Live frames (a client reading and parsing every frame)",
                ["run", "asked fps", "grid", "frames/s", "server CPU ms/frame", "last frame bytes"],
                [[name, RUNS[name]["fps"], f"every {RUNS[name]['grid_every']}" if RUNS[name]["grid_every"] else "none",
                  fps, cpu, size] for name, (fps, cpu, size) in results.items()])
    final_line(fps=results["grid"][0], fps_no_grid=results["no_grid"][0], cpu_ms_per_frame=results["grid"][1])


if __name__ == "__main__":
    main()
