"""Fixtures for the real-browser tests: the real server as a subprocess, Debian's Chromium
driven by Playwright, and a page that records console errors and every request it makes.

The server prints exactly one line, its URL, once it accepts connections; we read it.
Chromium is Debian's (``make chromium`` installs it); Playwright never downloads one here.
The ``browser`` fixture itself is in ``tests/conftest.py``: one per run, shared with
``tests/packaging`` (Playwright's sync API runs once per process).
"""
from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Locator, Page, Request, Route

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
STARTUP_SECONDS = 60


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """Start ``python -m server --port 0 --no-browser`` and yield the URL it prints
    (or use the running server ``MLP_PLAYGROUND_TEST_URL`` names)."""
    if os.environ.get("MLP_PLAYGROUND_TEST_URL"):
        yield os.environ["MLP_PLAYGROUND_TEST_URL"]
        return
    proc = subprocess.Popen(
        [sys.executable, "-m", "server", "--port", "0", "--no-browser"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(proc.stdout.readline()), daemon=True).start()
    try:
        url = lines.get(timeout=STARTUP_SECONDS).strip()
    except queue.Empty:
        proc.kill()
        pytest.fail(f"the server printed no URL within {STARTUP_SECONDS}s: {proc.stderr.read()[-2000:]}")
    if not url.startswith("http://"):
        proc.kill()
        pytest.fail(f"the server did not start (first line {url!r}): {proc.stderr.read()[-2000:]}")
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


class PageLog:
    """What a page did that a test must check: console errors, uncaught exceptions, foreign requests."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.foreign: list[str] = []
        self.expected: list[str] = []

    def expect_error(self, text: str) -> None:
        """A test that provokes a 4xx on purpose: Chromium logs the failed load; that one is fine."""
        self.expected.append(text)

    def console(self, msg: ConsoleMessage) -> None:
        if msg.type == "error" and not any(text in msg.text for text in self.expected):
            self.errors.append(f"console: {msg.text}")

    def request(self, req: Request) -> None:
        self.requests.append(req.url)
        if not is_local(req.url):
            self.foreign.append(req.url)


def is_local(url: str) -> bool:
    """data: and blob: URLs never leave the machine; http(s) must go to the loopback."""
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    return parts.scheme in ("http", "https", "ws") and parts.hostname in LOCAL_HOSTS


def _block_foreign(route: Route) -> None:
    # Anything leaving localhost is refused outright (and recorded by the request listener).
    if is_local(route.request.url):
        route.continue_()
    else:
        route.abort()


def open_page(browser: Browser, log: PageLog, viewport: tuple[int, int] = (1280, 800), **options: object) -> Page:
    """A page of its own context; ``options`` are Playwright's context options (touch, colour scheme)."""
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, device_scale_factor=1, **options)
    context.route("**/*", _block_foreign)
    page = context.new_page()
    page.on("console", log.console)
    page.on("pageerror", lambda exc: log.errors.append(f"uncaught: {exc}"))
    page.on("request", log.request)
    page.set_default_timeout(60_000)  # a bound on a hang, generous for a loaded machine
    return page


@pytest.fixture
def page_log() -> PageLog:
    return PageLog()


@pytest.fixture
def page(browser: Browser, page_log: PageLog) -> Iterator[Page]:
    """A 1280x800 page; after the test, no console error and no request off localhost."""
    p = open_page(browser, page_log)
    yield p
    p.context.close()
    assert page_log.foreign == [], f"requests left localhost: {page_log.foreign}"
    assert page_log.errors == [], f"console errors: {page_log.errors}"


class Playground:
    """The page under test, driven through its data-testid hooks."""

    def __init__(self, page: Page, url: str, log: PageLog) -> None:
        self.page, self.url, self.log = page, url, log

    def open(self, url: str | None = None) -> "Playground":
        self.page.goto(url or self.url)
        self.idle()
        return self

    def wait_for(self, expression: str, arg: object = None, timeout: float = 60.0) -> None:
        """Poll a JS expression (or arrow function of ``arg``) until it is truthy. Unlike
        ``page.wait_for_function`` this works under the page's CSP (no 'unsafe-eval')."""
        deadline = time.monotonic() + timeout
        is_function = expression.lstrip().startswith(("(", "async", "function")) or "=>" in expression.split("\n", 1)[0]
        while not (self.page.evaluate(expression, arg) if is_function else self.page.evaluate(expression)):
            if time.monotonic() > deadline:
                raise TimeoutError(f"still false after {timeout}s: {expression}")
            time.sleep(0.05)

    def idle(self) -> None:
        """Wait until every queued action has finished and no Step animation is running."""
        self.wait_for("document.body.dataset.busy === '0' && document.body.dataset.animating !== '1'")

    def by(self, testid: str):
        return self.page.get_by_test_id(testid)

    def click(self, testid: str) -> None:
        self.by(testid).click()
        self.idle()

    def select(self, testid: str, value: str) -> None:
        self.by(testid).select_option(value)
        self.idle()

    def enter(self, testid: str, text: str) -> None:
        """Type into a field and press Enter (which commits it, as a user would)."""
        self.by(testid).fill(text)
        self.by(testid).press("Enter")
        self.idle()

    def text(self, testid: str) -> str:
        return self.by(testid).inner_text().strip()

    def chart(self, testid: str) -> list[dict]:
        """The traces Plotly drew in a chart (its ``data``), with the arrays we check."""
        return self.page.evaluate(
            """id => (document.querySelector(`[data-testid="${id}"]`).data || []).map(t => ({
                type: t.type || 'scatter', name: t.name || null, x: t.x || null, y: t.y || null,
                z: t.z || null, mode: t.mode || null}))""", testid)

    def stage(self, stage_id: str) -> None:
        """Show one stage of the step-through (forward-0, loss, backward-1, update, ...)."""
        self.page.locator(f'[data-testid="trace"] [data-stage="{stage_id}"]').click()
        self.wait_for("id => document.getElementById('trace-body').dataset.stage === id", stage_id)

    def quantity(self, name: str) -> list[str]:
        """The numbers the step-through shows for one quantity (e.g. "dW[0]"), as text."""
        box = self.page.locator(f'#trace-body .qty[data-name="{name}"]').first
        cells = box.locator(":scope > table.mat td, :scope > .scalar")
        return [c.strip() for c in cells.all_inner_texts()]

    def shot(self, name: str, element: Locator | None = None) -> Path:
        """A screenshot of the viewport (or of ``element``) as ``artifacts/screenshots/<name>``:
        tests write nothing else, nowhere else (``make screenshots`` copies the README's)."""
        path = SCREENSHOTS / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if element is None:
            self.page.screenshot(path=str(path), full_page=False)
        else:
            element.screenshot(path=str(path), animations="disabled")
        return path


@pytest.fixture
def app(page: Page, server_url: str, page_log: PageLog) -> Playground:
    return Playground(page, server_url, page_log)


@pytest.fixture
def screen(browser: Browser, server_url: str, page_log: PageLog) -> Iterator[Callable[..., Playground]]:
    """Playgrounds at a chosen size: ``screen(390, 844, touch=True, dark=True)``. A touch screen is a
    mobile one (the page's viewport meta applies). After the test, the same checks as ``page``."""
    pages: list[Page] = []

    def make(width: int, height: int, *, touch: bool = False, dark: bool = False) -> Playground:
        p = open_page(browser, page_log, viewport=(width, height), has_touch=touch, is_mobile=touch,
                      color_scheme="dark" if dark else "light")
        pages.append(p)
        return Playground(p, server_url, page_log)

    yield make
    for p in pages:
        p.context.close()
    assert page_log.foreign == [], f"requests left localhost: {page_log.foreign}"
    assert page_log.errors == [], f"console errors: {page_log.errors}"
