"""Start the playground as a child process and learn its URL: the harness of the tests
that need a real server, and of the benchmarks (``from tests import launch``).

Runs ``python -m server --port 0 --no-browser`` and reads the one line the
CLI prints on standard output once it accepts connections. Unless the
environment names a store (``MLP_PLAYGROUND_STORE``), each server gets a
fresh SQLite store in a temporary folder, removed when it stops: tests and
benchmarks never touch the user's sessions, nor each other's.
"""
from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

PROJECT_ROOT = Path(__file__).resolve().parent.parent
_TEMP_STORES: dict[int, str] = {}  # pid -> the temporary folder start() made for its store


def start(env: dict[str, str] | None = None, timeout: float = 60.0, args: list[str] | None = None,
          command: list[str] | None = None, cwd: Path | None = None,
          gate: str | Path | None = None) -> tuple[subprocess.Popen, str]:
    """The running process and the URL it printed (``http://127.0.0.1:PORT/``);
    ``args`` are more command-line options (``["--workers", "2"]``); ``command`` replaces
    ``python -m server`` (an installed ``mlp-playground``), ``cwd`` the checkout. With
    ``gate`` (a FIFO), the test-only server of ``tests/gated_server.py``, whose epochs and
    gradient-check requests wait at the gate (:func:`open_gate`)."""
    env = {**os.environ, **(env or {})}
    if gate is not None:
        command = [sys.executable, str(Path(__file__).with_name("gated_server.py")), str(gate)]
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    tmp = None
    if not env.get("MLP_PLAYGROUND_STORE"):
        tmp = tempfile.mkdtemp(prefix="mlp-playground-")
        env["MLP_PLAYGROUND_STORE"] = os.path.join(tmp, "sessions.sqlite3")
    command = command or [sys.executable, "-m", "server"]
    proc = subprocess.Popen([*command, "--port", "0", "--no-browser", *(args or [])],
                            cwd=cwd or PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    if tmp is not None:
        _TEMP_STORES[proc.pid] = tmp
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    if not line or not line[0].startswith("http://"):
        proc.kill()
        proc.wait()
        raise RuntimeError(f"the server printed no URL ({line!r}); stderr: {proc.stderr.read()}")
    return proc, line[0].strip()


def stop(proc: subprocess.Popen) -> None:
    """Terminate the process (it was started by :func:`start`), wait for it and remove
    the temporary store :func:`start` made for it."""
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    tmp = _TEMP_STORES.pop(proc.pid, None)
    if tmp is not None:
        shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def running(env: dict[str, str] | None = None, gate: str | Path | None = None) -> Iterator[str]:
    """``with running() as url:`` a server for the duration of the block (``gate``: see :func:`start`)."""
    proc, url = start(env, gate=gate)
    try:
        yield url
    finally:
        stop(proc)


def wait_until(predicate: Callable[[], object], what: str, limit: float = 120.0) -> None:
    """Poll until ``predicate()`` holds; fail naming ``what`` if it never does within
    ``limit`` seconds (a hang, not a speed: the verdict is the event, never the time)."""
    deadline = time.monotonic() + limit
    while not predicate():
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.02)


def open_gate(fifo: str | Path, limit: float = 120.0) -> int:
    """The write end of the test-only gate ``fifo`` (``start(gate=fifo)``),
    opened as soon as a request holds it to read (the request is at the gate, in its engine
    thread); opening without a reader fails with ENXIO, so this polls for that event.
    Closing the returned descriptor lets the request go on."""
    deadline = time.monotonic() + limit
    while True:
        try:
            return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as exc:
            if exc.errno != errno.ENXIO or time.monotonic() > deadline:
                raise
            time.sleep(0.01)
