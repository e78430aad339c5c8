"""How much the REST API costs on top of the engine, measured side by side.

Starts the playground as a real uvicorn process on a free port and measures:

* ``backward_vs_health``: median latency of ``POST .../backward`` on the derivation's
  worked example over median latency of ``GET /api/health``, requests
  interleaved on one keep-alive connection (target: at most 2);
* ``epochs_overhead``: median time of ``POST .../epochs {"count": 1}`` on the
  reference write-up's workload (California housing, [8, 20, 10, 1] sigmoid, batch 32,
  lr 0.1) over the median of the engine's own ``run_epochs(1)`` on the same
  config in this process, minus 1, runs alternated (target: at most 0.1);
* ``rps_8``: requests per second of ``backward`` (worked example, one session
  each) with 8 concurrent clients.

The last line is ``backward_vs_health=... epochs_overhead=... rps_8=...``.
"""
from __future__ import annotations

import os
import statistics
import sys
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mlp_engine import make_trainer  # noqa: E402
from tests import launch  # noqa: E402

WORKED = {
    "dataset": {"name": "inline", "X": [[1.0, 2.0]], "y": [[1.0]]},
    "model": {"layers": [2, 2, 1], "activation": "relu", "output_activation": "linear", "loss": "mse",
              "weights": [[[0.1, 0.2], [0.3, 0.4]], [[0.5, 0.6]]], "biases": [[0.0, 0.0], [0.0]]},
    "optimizer": {"learning_rate": 0.1, "batch_size": 1},
}
WRITE_UP = {
    "dataset": {"name": "california_housing", "seed": 42},
    "model": {"layers": [8, 20, 10, 1], "activation": "sigmoid", "output_activation": "linear", "loss": "mse",
              "init": "normal"},
    "optimizer": {"name": "sgd", "learning_rate": 0.1, "batch_size": 32, "shuffle": False},
}


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def backward_vs_health(c: httpx.Client, n: int = 400) -> tuple[float, float]:
    sid = c.post("/api/sessions", json=WORKED).json()["id"]
    health, backward = [], []
    for i in range(n + 50):
        h = timed(lambda: c.get("/api/health").raise_for_status())
        b = timed(lambda: c.post(f"/api/sessions/{sid}/backward", json={}).raise_for_status())
        if i >= 50:  # warm-up
            health.append(h)
            backward.append(b)
    return statistics.median(health), statistics.median(backward)


def epochs_overhead(c: httpx.Client, n: int = 9) -> tuple[float, float]:
    sid = c.post("/api/sessions", json=WRITE_UP).json()["id"]
    trainer = make_trainer(WRITE_UP)
    api, engine = [], []
    for i in range(n + 1):
        a = timed(lambda: c.post(f"/api/sessions/{sid}/epochs", json={"count": 1}).raise_for_status())
        e = timed(lambda: trainer.run_epochs(1))
        if i:
            api.append(a)
            engine.append(e)
    return statistics.median(api), statistics.median(engine)


def requests_per_second(url: str, clients: int = 8, seconds: float = 3.0) -> float:
    with httpx.Client(base_url=url) as c:
        sids = [c.post("/api/sessions", json=WORKED).json()["id"] for _ in range(clients)]
    counts = [0] * clients
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def work(k: int) -> None:
        with httpx.Client(base_url=url, timeout=30) as c:
            c.get("/api/health")
            start.wait()
            while time.perf_counter() < stop_at[0]:
                c.post(f"/api/sessions/{sids[k]}/backward", json={}).raise_for_status()
                counts[k] += 1

    threads = [threading.Thread(target=work, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    stop_at[0] = time.perf_counter() + seconds + 0.05
    t0 = time.perf_counter()
    start.wait()
    for t in threads:
        t.join()
    return sum(counts) / (time.perf_counter() - t0)


def main() -> None:
    print("load average before: %.2f %.2f %.2f (2 cores shared: ratios are noisy under load)" % os.getloadavg())
    with launch.running() as url, httpx.Client(base_url=url, timeout=120) as c:
        health, backward = backward_vs_health(c)
        print(f"median GET /api/health           {health * 1e3:8.3f} ms")
        print(f"median POST backward (worked)    {backward * 1e3:8.3f} ms")
        api, engine = epochs_overhead(c)
        print(f"median epoch, POST epochs        {api * 1e3:8.2f} ms")
        print(f"median epoch, engine in-process  {engine * 1e3:8.2f} ms")
        rps = requests_per_second(url)
        print(f"backward with 8 clients          {rps:8.0f} requests/s")
    print(f"backward_vs_health={backward / health:.2f} epochs_overhead={api / engine - 1:.3f} rps_8={rps:.0f}")


if __name__ == "__main__":
    main()
