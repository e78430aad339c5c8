"""A class at once: 50 simulated users on loopback against one and two workers.

Each user creates a session (XOR, ``[2, 8, 8, 1]``, Adam) and steps it
(``POST .../backward`` without arrays in the answer) as fast as its answers
come, for ``SECONDS`` seconds, on its own keep-alive connection; all users run
at once from one asyncio client. The server runs as ``mlp-playground
--workers N`` on a fresh SQLite store (every step is saved), once with one
worker and once with two. Reported per run: requests per second, p50 and p99
latency of the steps (and the slowest of the 50 simultaneous creations),
errors (any answer other than 200/201, or a failed request; must be 0), and
the peak resident memory of the server's processes together.

Then, on the one-worker server: sessions are created up to twice the session
cap (``MLP_PLAYGROUND_MAX_SESSIONS``, set to 200 here), so the peak memory is
measured with the store full and evicting.

The machine running this also runs the client, so the two-worker figure is a
floor. The last line is
``errors=... rps_1=... rps_2=... p99_ms_1=... p99_ms_2=... peak_mb=...``.
"""
from __future__ import annotations

import asyncio
import os
import statistics
import sys
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import launch  # noqa: E402

USERS = 50
SECONDS = float(os.environ.get("LOAD_SECONDS", "8"))
CAP = 200
WARMUP_SECONDS = 8.0
CONFIG = {"dataset": {"name": "xor", "n_samples": 64}, "model": {"layers": [2, 8, 8, 1]},
          "optimizer": {"name": "adam", "batch_size": 8}}
STEP = {"include": []}


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and all its descendants, in MiB."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
            with open(f"/proc/{p}/task/{p}/children") as f:
                todo += [int(c) for c in f.read().split()]
        except (OSError, StopIteration):
            pass
    return total / 1024


class Sampler(threading.Thread):
    """Samples the server's memory every 100 ms; ``peak`` in MiB."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.done = pid, 0.0, threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.1):
            self.peak = max(self.peak, rss_mb(self.pid))


async def user(url: str, start: asyncio.Event, until: list[float], creations: list[float],
               latencies: list[float], errors: list[str]) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=60) as c:
        try:
            t0 = time.perf_counter()
            r = await c.post("/api/sessions", json=CONFIG)
            creations.append(time.perf_counter() - t0)
            if r.status_code != 201:
                errors.append(f"create {r.status_code}: {r.text[:200]}")
                return
            sid = r.json()["id"]
            await start.wait()  # every user steps in the same window
            while time.monotonic() < until[0]:
                t0 = time.perf_counter()
                r = await c.post(f"/api/sessions/{sid}/backward", json=STEP)
                latencies.append(time.perf_counter() - t0)
                if r.status_code != 200:
                    errors.append(f"step {r.status_code}: {r.text[:200]}")
        except httpx.HTTPError as exc:
            errors.append(f"{type(exc).__name__}: {exc}")


async def load(url: str) -> tuple[list[float], list[float], list[str], float]:
    """Every user creates its session (all at once: a class opening the page), then all
    step for ``SECONDS``: the creation and step latencies, errors, steps per second."""
    creations: list[float] = []
    latencies: list[float] = []
    errors: list[str] = []
    start, until = asyncio.Event(), [0.0]
    users = [asyncio.ensure_future(user(url, start, until, creations, latencies, errors)) for _ in range(USERS)]
    while len(creations) < USERS:
        await asyncio.sleep(0.01)
    t0 = time.monotonic()
    until[0] = t0 + SECONDS
    start.set()
    await asyncio.gather(*users)
    return creations, latencies, errors, len(latencies) / (time.monotonic() - t0)


async def fill(url: str, count: int) -> list[str]:
    errors: list[str] = []
    async with httpx.AsyncClient(base_url=url, timeout=60) as c:
        for _ in range(count):
            r = await c.post("/api/sessions", json=CONFIG)
            if r.status_code != 201:
                errors.append(f"fill {r.status_code}: {r.text[:200]}")
        if len(errors) == 0 and (await c.get("/api/health")).status_code != 200:
            errors.append("health after fill")
    return errors


def run(workers: int) -> dict[str, float]:
    env = {"MLP_PLAYGROUND_MAX_SESSIONS": str(CAP)}
    proc, url = launch.start(env, args=["--workers", str(workers)])
    # The URL comes once the first worker answers; give the others time to finish importing.
    time.sleep(WARMUP_SECONDS * (workers - 1))
    sampler = Sampler(proc.pid)
    sampler.start()
    try:
        creations, latencies, errors, rps = asyncio.run(load(url))
        if workers == 1:
            errors += asyncio.run(fill(url, 2 * CAP))
    finally:
        sampler.done.set()
        sampler.join()
        launch.stop(proc)
    for e in errors[:5]:
        print("  error:", e)
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    out = {"requests": len(latencies), "rps": rps, "p50_ms": 1000 * q[49],
           "p99_ms": 1000 * q[98], "errors": len(errors), "peak_mb": sampler.peak}
    print(f"workers={workers}: 50 creations at once, slowest {1000 * max(creations):.0f} ms; "
          f"{out['requests']} steps, {out['rps']:.0f} req/s, "
          f"p50 {out['p50_ms']:.1f} ms, p99 {out['p99_ms']:.1f} ms, errors {out['errors']}, "
          f"peak {out['peak_mb']:.0f} MiB" + (f" (after filling to twice the cap of {CAP} sessions)"
                                              if workers == 1 else ""), flush=True)
    return out


def main() -> None:
    print(f"{USERS} users, {SECONDS:g} s of stepping each run, session cap {CAP}, SQLite store", flush=True)
    one = run(1)
    two = run(2)
    print(f"errors={one['errors'] + two['errors']} rps_1={one['rps']:.0f} rps_2={two['rps']:.0f} "
          f"p99_ms_1={one['p99_ms']:.1f} p99_ms_2={two['p99_ms']:.1f} "
          f"peak_mb={max(one['peak_mb'], two['peak_mb']):.0f}")


if __name__ == "__main__":
    main()
