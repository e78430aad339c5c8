"""The red-team pass's sections 1, 3 and 4 against a real server, measured.

Starts the playground as a real uvicorn process (a fresh SQLite store) and,
while a client polls ``GET /api/health`` the whole time:

* section 1: ten sessions on 98 inline rows (``[1, 1]``, Adam, batch 1,
  clipping, L2, invscaling, early stopping with a huge patience) each get
  ``POST .../epochs {"count": 1000}`` at once (now refused over the compute
  budget, or run off the loop), then ``{"count": 50}`` each;
* section 3: a session on moons with 100,000 rows, ``[2, 1024, 960, 1]`` and
  batch 65,536 (refused over the session budget); the same with batch 32,
  then ``backward`` on 65,536 indices and ``predict`` on 20,000 rows; then
  ``DELETE``;
* section 4: ``gradcheck {}`` on moons 100,000, ``[2, 70, 66, 1]``, batch
  8,192 (sampled to the budget), and ``epochs {"count": 1000}`` on it;
* the second pass (``--second-pass`` runs only it; ``--quick`` leaves out the 16 MiB body and
  the remedies' epochs, for a server that would take minutes on them; ``--against DIR`` runs
  the first server from another checkout, e.g. the commit before the fixes): a body of unterminated
  escaped quotes (24 KB, 40 KB, 16 MiB); on the wide model ``[2, 1024, 960, 1]`` (XOR; moons
  60,000 for ``/outputs``) ``/boundary?resolution=200`` (once, then three at once),
  ``/outputs?split=train``, ``/neurons?resolution=100``, ``/code?steps=1000`` and ``/report``;
  live ``play`` with ``resolution`` 200 and ``neurons`` 100, then ``neurons`` 100 at resolution
  5, over a socket that offers permessage-deflate as browsers do; 20 epochs of every remedy at
  batch 1 (moons 20,000, nine layers of one unit); ``play`` at ``fps`` 1e-9;
* section 1's variant, on a second server with a store of its own: an import of
  a million epochs of history (14 MB: ``[2, 1]``, short numbers), three steps on
  it, then a restart and the first read and step after it.

It prints each request's status and the server's CPU seconds it used (requests
are sent one section at a time; the ten of section 1 are counted together and
divided), then the last line
``worst_health_ms=... peak_rss_mb=... max_request_cpu_s=...``: the slowest
health answer, the server's peak resident memory (``VmHWM``) and the most CPU
seconds one request used.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import re
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from websockets.sync.client import connect as ws_connect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

import launch  # noqa: E402

TINY = {"dataset": {"name": "inline", "X": [[i / 98] for i in range(98)], "y": [[float(i % 2)] for i in range(98)],
                    "test_fraction": 0.2},
        "model": {"layers": [1, 1]},
        "optimizer": {"name": "adam", "batch_size": 1, "clip_norm": 1.0, "l2": 1e-4,
                      "schedule": {"name": "invscaling"}, "early_stopping": {"patience": 1_000_000}}}
BIG = {"dataset": {"name": "moons", "n_samples": 100_000}, "model": {"layers": [2, 1024, 960, 1]}}
CHECK = {"dataset": {"name": "moons", "n_samples": 100_000}, "model": {"layers": [2, 70, 66, 1]},
         "optimizer": {"batch_size": 8192}}


WIDE = {"dataset": {"name": "xor"}, "model": {"layers": [2, 1024, 960, 1]}, "optimizer": {"name": "adam"}}
WIDE_MOONS = {**WIDE, "dataset": {"name": "moons", "n_samples": 60_000}}
REMEDIES = {"dataset": {"name": "moons", "n_samples": 20_000},
            "model": {"layers": [2, 1, 1, 1, 1, 1, 1, 1, 1], "batch_norm": True, "dropout": 0.1, "residual": True},
            "optimizer": {"name": "adam", "batch_size": 1}}
FRAME = {"action": "play", "fps": 240, "grid_every": 1, "max_elements": 1_000_000}


def live_answer(url: str, sid: str, play: dict) -> "Answer":
    """Play with ``play`` on a socket offering permessage-deflate; the first answer after
    ``playing`` (a frame) or the error, then close. Its status is the answer's type."""
    with ws_connect(url.replace("http://", "ws://") + f"api/sessions/{sid}/live", max_size=2**30,
                    open_timeout=120, close_timeout=120) as ws:
        ws.recv(timeout=600)  # hello
        ws.send(json.dumps(play))
        kind, size = "", 0
        while kind not in ("frame", "error"):
            text = ws.recv(timeout=900)  # every message starts with its type: no need to parse 50 MB
            kind, size = re.match(r'\{"type":"(\w+)"', text).group(1), len(text)
        deflate = ws.response.headers.get("Sec-WebSocket-Extensions") or "none"
    return Answer(f"{kind} {size / 1e6:.1f} MB, deflate {deflate.split(';')[0]}")


class Answer:
    """A non-HTTP answer, printed like a status code."""

    def __init__(self, status: str) -> None:
        self.status_code = status


def second_pass(url: str, measured, quick: bool) -> None:
    """The second red-team pass's attacks (items 1-4 and 6), each measured like the others."""
    with httpx.Client(base_url=url, timeout=900) as c:
        sizes = [12_000, 20_000] + ([8 * 1024 * 1024 - 1] if not quick else [])
        for n in sizes:
            body = b'"' + b'\\"' * n
            measured(f"2/1: POST {len(body) / 1e3:,.0f} KB of unterminated escaped quotes",
                     lambda: c.post("/api/sessions", content=body, headers={"content-type": "application/json"}))
        wide = c.post("/api/sessions", json=WIDE).json()["id"]
        moons = c.post("/api/sessions", json=WIDE_MOONS).json()["id"]
        views = [("boundary?resolution=200", wide), ("outputs?split=train", moons),
                 ("neurons?resolution=100", wide), ("code?steps=1000", wide), ("report", wide)]
        for view, sid in views:
            r = measured(f"2/2: GET /{view} (wide)", lambda: c.get(f"/api/sessions/{sid}/{view}"))
            print(f"   {len(r.content) / 1e6:.1f} MB", flush=True)
            if view.startswith("boundary"):
                measured("2/2: three of those at once", lambda: list(ThreadPoolExecutor(3).map(
                    lambda _: httpx.get(f"{url}api/sessions/{wide}/{view}", timeout=900), range(3))))
        for play in ({**FRAME, "resolution": 200, "neurons": 100}, {**FRAME, "resolution": 5, "neurons": 100}):
            measured(f"2/3: live play resolution {play['resolution']} neurons {play['neurons']} (wide)",
                     lambda: live_answer(url, wide, play))
        measured("2/3: live play neurons 40 resolution 32 (wide, within the budget)",
                 lambda: live_answer(url, wide, {**FRAME, "resolution": 32, "neurons": 40}))
        if not quick:
            sid = c.post("/api/sessions", json=REMEDIES).json()["id"]
            measured("2/4: 20 epochs, every remedy, batch 1", lambda: c.post(
                f"/api/sessions/{sid}/epochs", json={"count": 20, "include": []}))
        measured("2/6: live play at fps 1e-9", lambda: live_answer(
            url, c.post("/api/sessions", json={}).json()["id"], {"action": "play", "fps": 1e-9, "grid_every": 0}))


def cpu_seconds(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    import os
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def history_document(url: str, epochs: int = 1_000_000) -> bytes:
    """An export of a ``[2, 1]`` session whose history holds ``epochs`` epochs of short numbers."""
    import orjson

    with httpx.Client(base_url=url, timeout=600) as c:
        sid = c.post("/api/sessions", json={"model": {"layers": [2, 1]}}).json()["id"]
        doc = c.get(f"/api/sessions/{sid}/export").json()
        c.delete(f"/api/sessions/{sid}")
    state = doc["state"]
    state["history"] = {"train_loss": [0.5] * epochs, "test_loss": [0.5] * epochs, "grad_norms": [[0.5]] * epochs}
    state["epoch"] = epochs
    return orjson.dumps(doc)


def poll(target, worst, done) -> None:
    """Ask ``target``'s ``/api/health`` every 20 ms until ``done``; the slowest answer in ``worst``."""
    with httpx.Client(timeout=120) as c:
        while not done.is_set():
            t0 = time.perf_counter()
            try:
                c.get(target.value.decode() + "api/health")
            except httpx.TransportError:  # the history section's server restarting
                time.sleep(0.02)
                continue
            with worst.get_lock():
                worst.value = max(worst.value, time.perf_counter() - t0)
            time.sleep(0.02)


def load_average() -> str:
    return " ".join(open("/proc/loadavg").read().split()[:3])


def main() -> None:
    only_second = "--second-pass" in sys.argv
    quick = "--quick" in sys.argv
    against = sys.argv[sys.argv.index("--against") + 1] if "--against" in sys.argv else None
    print(f"load average before: {load_average()}", flush=True)
    proc, url = launch.start(cwd=Path(against) if against else None)
    pid = proc.pid
    # The poller is a process of its own: this one's work (building a 16 MiB body, reading a
    # 50 MB frame) must not delay its requests, or it would measure the bench, not the server.
    worst = multiprocessing.Value("d", 0.0)
    done = multiprocessing.Event()
    target = multiprocessing.Array("c", 256)  # the server the poller asks (the history section has its own)
    target.value = url.encode()

    most_cpu = 0.0
    rss = 0.0

    def measured(label: str, send, share: int = 1) -> httpx.Response | list:
        nonlocal most_cpu
        before = cpu_seconds(pid)
        t0 = time.perf_counter()
        worst_before = worst.value
        worst.value = 0.0
        r = send()
        used = (cpu_seconds(pid) - before) / share
        label += f"  [health {worst.value * 1000:.0f} ms]"
        worst.value = max(worst.value, worst_before)
        most_cpu = max(most_cpu, used)
        codes = [x.status_code for x in r] if isinstance(r, list) else r.status_code
        print(f"{label:86s} {str(codes):>24s}  cpu {used:7.2f} s  wall {time.perf_counter() - t0:7.2f} s",
              flush=True)
        return r

    poller = multiprocessing.Process(target=poll, args=(target, worst, done), daemon=True)
    poller.start()
    try:
        if only_second:
            second_pass(url, measured, quick)
            rss = peak_rss_mb(pid)
        else:
            with httpx.Client(base_url=url, timeout=900) as c:
                ids = [c.post("/api/sessions", json=TINY).json()["id"] for _ in range(10)]

                def all_ten(count: int):
                    def send():
                        with ThreadPoolExecutor(10) as pool:
                            return list(pool.map(lambda sid: httpx.post(
                                f"{url}api/sessions/{sid}/epochs", json={"count": count, "include": []},
                                timeout=900), ids))
                    return send

                measured("1: ten x epochs 1000, batch 1 (per request)", all_ten(1000), share=10)
                measured("1: ten x epochs 50, batch 1 (per request)", all_ten(50), share=10)

                measured("3: create moons 100k [2,1024,960,1] batch 65536",
                         lambda: c.post("/api/sessions", json={**BIG, "optimizer": {"batch_size": 65_536}}))
                r = measured("3: create moons 100k [2,1024,960,1] batch 32",
                             lambda: c.post("/api/sessions", json={**BIG, "optimizer": {"batch_size": 32}}))
                if r.status_code == 201:
                    big = r.json()["id"]
                    measured("3: backward on 65536 indices", lambda: c.post(
                        f"/api/sessions/{big}/backward", json={"indices": list(range(65_536)), "include": []}))
                    X = [[0.1, 0.2]] * 20_000
                    measured("3: predict 20000 rows", lambda: c.post(f"/api/sessions/{big}/predict", json={"X": X}))
                    measured("3: delete", lambda: c.delete(f"/api/sessions/{big}"))

                r = measured("4: create moons 100k [2,70,66,1] batch 8192", lambda: c.post("/api/sessions", json=CHECK))
                if r.status_code == 201:
                    sid = r.json()["id"]
                    g = measured("4: gradcheck {}", lambda: c.post(f"/api/sessions/{sid}/gradcheck", json={}))
                    print("   sampled:", g.json().get("sampled"))
                    measured("4: epochs 1000", lambda: c.post(f"/api/sessions/{sid}/epochs",
                                                               json={"count": 1000, "include": []}))
            second_pass(url, measured, quick)
            rss = peak_rss_mb(pid)
            launch.stop(proc)

            folder = tempfile.mkdtemp(prefix="mlp-abuse-")
            store = {"MLP_PLAYGROUND_STORE": os.path.join(folder, "sessions.sqlite3")}
            try:
                proc, url = launch.start(store)
                pid, target.value = proc.pid, url.encode()
                body = history_document(url)
                with httpx.Client(base_url=url, timeout=900) as c:
                    r = measured(f"1: import {len(body) / 1e6:.0f} MB, 1,000,000 epochs of history", lambda: c.post(
                        "/api/sessions/import", content=body, headers={"content-type": "application/json"}))
                    sid = r.json()["id"]
                    for n in range(3):
                        time.sleep(1.1)  # past the save interval: each step is saved before its answer
                        measured(f"1: a step after it ({n + 1})", lambda: c.post(
                            f"/api/sessions/{sid}/backward", json={"include": []}))
                rss = max(rss, peak_rss_mb(pid))
                launch.stop(proc)
                proc, url = launch.start(store)
                pid, target.value = proc.pid, url.encode()
                with httpx.Client(base_url=url, timeout=900) as c:
                    measured("1: restart, the first read", lambda: c.get(f"/api/sessions/{sid}",
                                                                         params={"include": []}))
                    time.sleep(1.1)
                    measured("1: and a step", lambda: c.post(f"/api/sessions/{sid}/backward", json={"include": []}))
                rss = max(rss, peak_rss_mb(pid))
                launch.stop(proc)
            finally:
                shutil.rmtree(folder, ignore_errors=True)
    finally:
        done.set()
        poller.join(120)
        if proc.poll() is None:
            rss = max(rss, peak_rss_mb(pid))
            launch.stop(proc)
    print(f"load average after: {load_average()}")
    print(f"worst_health_ms={worst.value * 1000:.1f} peak_rss_mb={rss:.0f} max_request_cpu_s={most_cpu:.2f}")


if __name__ == "__main__":
    main()
