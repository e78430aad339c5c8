"""Shared by every test: the run keeps away from the user's files, and the API
tests get an in-process client on a memory store.

Servers that name no store keep their sessions in ``$XDG_DATA_HOME/mlp-playground/``
(``~/.local/share`` by default). Pointing ``XDG_DATA_HOME`` at a temporary folder for
the run, before any server or subprocess starts, keeps tests from reading or writing
a real user's saved sessions.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from server.main import create_app
from server.settings import Settings

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright

_TMP = tempfile.mkdtemp(prefix="mlp-playground-tests-")


def pytest_configure(config) -> None:
    os.environ["XDG_DATA_HOME"] = _TMP


def pytest_unconfigure(config) -> None:
    shutil.rmtree(_TMP, ignore_errors=True)


@pytest.fixture
def client() -> Iterator[TestClient]:
    """The app in-process, on a memory store (``Settings()`` reads no environment)."""
    with TestClient(create_app(Settings())) as c:
        yield c


@pytest.fixture
def new_session(client: TestClient) -> Callable[..., dict[str, Any]]:
    """``new_session(config)`` -> the 201 ``SessionState``."""

    def make(config: dict[str, Any] | None = None) -> dict[str, Any]:
        r = client.post("/api/sessions", json=config or {})
        assert r.status_code == 201, r.text
        return r.json()

    return make


CHROMIUM = os.environ.get("MLP_PLAYGROUND_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    """Playwright's sync API, once per run (a second one in the same process is refused);
    the browser tests and the installed-package tests share it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, headless (``make chromium`` installs it)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: run `make chromium` (Debian's package) or set MLP_PLAYGROUND_CHROMIUM")
    b = playwright_instance.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield b
    b.close()


def _find_shared_datasets() -> None:
    """Real data lives in ``../shared/datasets`` beside the project. A clone made elsewhere
    (``git clone . $(mktemp -d)``) has no such neighbour: use the one beside the repository
    it was cloned from, so the suite reads the same files. An explicit
    ``MLP_PLAYGROUND_DATA`` always wins."""
    from mlp_engine.datasets import DATA_ENV, DEFAULT_FOLDERS, data_folder

    if os.environ.get(DATA_ENV) or data_folder().is_dir():
        return
    root = Path(__file__).resolve().parent.parent
    origin = subprocess.run(["git", "config", "--get", "remote.origin.url"], cwd=root,
                            capture_output=True, text=True).stdout.strip()
    candidate = Path(origin).parent / "shared" / "datasets" if origin and "://" not in origin else None
    if candidate is not None and candidate.is_dir():
        os.environ[DATA_ENV] = str(candidate)  # for the servers the tests start
        DEFAULT_FOLDERS.append(candidate)  # for the engine in this process (it reads no environment)


_find_shared_datasets()
