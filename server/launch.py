"""Start the playground as a child process and learn its URL (for tests and benchmarks).

Runs ``python -m server --port 0 --no-browser`` and reads the one line the
CLI prints on standard output once it accepts connections.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def start(env: dict[str, str] | None = None, timeout: float = 60.0) -> tuple[subprocess.Popen, str]:
    """The running process and the URL it printed (``http://127.0.0.1:PORT/``)."""
    proc = subprocess.Popen([sys.executable, "-m", "server", "--port", "0", "--no-browser"],
                            cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})
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
    """Terminate the process (it was started by :func:`start`) and wait for it."""
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def running(env: dict[str, str] | None = None) -> Iterator[str]:
    """``with running() as url:`` a server for the duration of the block."""
    proc, url = start(env)
    try:
        yield url
    finally:
        stop(proc)
