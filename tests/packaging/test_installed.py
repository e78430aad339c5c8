"""The project as a user installs it: ``pip install`` (not editable) of the sdist into a fresh
venv, ``mlp-playground`` started from another folder, and the page in Chromium. The page
draws, Play trains, and its first load stays within the wire budget (Chromium: the
``browser`` fixture of ``tests/conftest.py``).

The venv sees the dependencies already installed for the suite (a ``.pth`` naming this
environment's site-packages), so pip installs only the project: nothing is fetched but the
build backend (setuptools, from the package registry, as ``pip install`` always does).
"""
from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

import launch

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[2]
INSTALL_SECONDS = 900  # pip builds a wheel from the sdist in an isolated environment
START_SECONDS = 120
TRAIN_MS = 120_000
FIRST_LOAD_BUDGET = 1_600_000  # bytes on the wire, headers included


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=INSTALL_SECONDS)
    assert done.returncode == 0, f"{' '.join(map(str, args))} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding the project installed from its sdist; its ``bin`` folder."""
    tmp = tmp_path_factory.mktemp("installed")
    elsewhere = tmp / "elsewhere"
    elsewhere.mkdir()
    sdist_dir = tmp / "sdist"
    out = _run([sys.executable, "-c", "import setuptools.build_meta as b, sys; print(b.build_sdist(sys.argv[1]))",
                str(sdist_dir)], cwd=ROOT)
    sdist = sdist_dir / out.strip().splitlines()[-1]
    _run([sys.executable, "-m", "venv", str(tmp / "venv")], cwd=elsewhere)
    bin_dir = tmp / "venv" / "bin"
    python = bin_dir / "python"
    site = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=elsewhere)
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    # Appended after the venv's own site-packages: the installed project comes first.
    (Path(site.strip()) / "suite-dependencies.pth").write_text("\n".join(sorted(ours)) + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PIP_REQUIRE_VIRTUALENV")}
    # --ignore-installed: the suite's editable copy is visible through the .pth; never touch it.
    _run([str(python), "-m", "pip", "install", "--no-deps", "--ignore-installed", str(sdist)], cwd=elsewhere, env=env)
    where = _run([str(python), "-c", "import server, server.assets as a; print(server.__file__); "
                  "print(a.installed_page_dir())"], cwd=elsewhere, env=env).split()
    assert all(Path(p).is_relative_to(tmp / "venv") for p in where), f"not the installed copy: {where}"
    assert (Path(where[1]) / "index.html").is_file() and (Path(where[1]) / "js" / "main.js").is_file()
    return bin_dir


@pytest.fixture(scope="module")
def installed_url(venv: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``mlp-playground --port 0 --no-browser`` of that venv, run from an unrelated folder
    (empty variables are unset for the server: no PYTHONPATH, the page's default folder)."""
    env = {"PYTHONPATH": "", "MLP_PLAYGROUND_STATIC_DIR": "", "MLP_PLAYGROUND_STORE": "memory"}
    proc, url = launch.start(env, timeout=START_SECONDS, command=[str(venv / "mlp-playground")],
                             cwd=tmp_path_factory.mktemp("run-from-here"))
    yield url
    launch.stop(proc)


def _fresh_page(browser: Browser, errors: list[str]) -> Page:
    """A new context (an empty cache: a first load), recording console errors."""
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    page.set_default_timeout(60_000)
    return page


def _drawn(page: Page) -> None:
    """Wait until the page's actions are done and its network diagram and output chart are drawn."""
    page.locator("body[data-busy='0']").wait_for(state="attached")
    # the diagram is a canvas that lists what it drew (el.diagram); the output chart is Plotly's
    page.wait_for_function("() => (document.querySelector('[data-testid=network]')?.diagram?.links || []).length > 0")
    page.locator("#output-chart .main-svg").first.wait_for()


def test_the_installed_page_draws_and_play_trains(browser: Browser, installed_url: str):
    errors: list[str] = []
    page = _fresh_page(browser, errors)
    try:
        page.goto(installed_url)
        _drawn(page)
        epoch = page.get_by_test_id("epoch-count")
        expect(epoch).to_have_text("0")
        page.get_by_test_id("play").click()
        expect(page.get_by_test_id("play")).to_have_attribute("aria-pressed", "true")
        expect(epoch).not_to_have_text("0", timeout=TRAIN_MS)  # the epoch counter moved: it trains
        page.get_by_test_id("play").click()
        expect(page.get_by_test_id("play")).to_have_attribute("aria-pressed", "false")
        assert int(epoch.inner_text()) >= 1
    finally:
        page.context.close()
    assert errors == [], f"console errors: {errors}"


def test_the_first_load_fits_the_wire_budget(browser: Browser, installed_url: str):
    """Every response's bytes as received (compressed body and headers), from Chromium's
    own accounting, summed over the first load of the page with an empty cache."""
    errors: list[str] = []
    page = _fresh_page(browser, errors)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    started: dict[str, str] = {}
    received: dict[str, int] = {}
    encodings: dict[str, str] = {}
    ended: set[str] = set()
    cdp.on("Network.requestWillBeSent", lambda e: started.__setitem__(e["requestId"], e["request"]["url"]))
    cdp.on("Network.responseReceived", lambda e: encodings.__setitem__(
        e["requestId"], {k.lower(): v for k, v in e["response"]["headers"].items()}.get("content-encoding", "")))
    cdp.on("Network.loadingFinished", lambda e: (received.__setitem__(e["requestId"], int(e["encodedDataLength"])),
                                                 ended.add(e["requestId"])))
    cdp.on("Network.loadingFailed", lambda e: ended.add(e["requestId"]))
    try:
        page.goto(installed_url)
        _drawn(page)
        # Every request the load started has finished (Chromium has counted its bytes).
        page.wait_for_load_state("load")
        while not set(started) <= ended:
            page.wait_for_event("requestfinished", timeout=30_000)
    finally:
        cdp.detach()
        page.context.close()
    total = sum(received.values())
    biggest = sorted(((n, started[i]) for i, n in received.items()), reverse=True)[:5]
    plotly = [i for i, u in started.items() if "/vendor/plotly.min.js" in u]
    assert plotly and all(encodings.get(i) in ("br", "gzip") for i in plotly), "Plotly.js arrived uncompressed"
    print(f"first load: {total} bytes; the largest: {biggest}")
    assert total <= FIRST_LOAD_BUDGET, f"the first load moved {total} bytes; the largest: {biggest}"
    assert errors == [], f"console errors: {errors}"
