"""Every learner, every screen: the page at a phone's 390 x 844, a tablet's 768 x 1024 and a
1280 x 800 desktop never scrolls sideways and keeps its main views readable; Step works by tap,
a tap selects a weight and draws a point, a swipe over a chart scrolls the page; the keyboard
reaches every control in reading order with a visible focus ring; the charts have current text
alternatives and the live numbers a polite region that Play does not flood; the dark theme
follows the system and the toggle; axe-core finds no serious or critical violation on the
playground, the lessons and the help, in both themes. Screenshots go to artifacts/screenshots/."""
from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from test_tf_features import api, diagram_point, plot_pixel, session_id

pytestmark = pytest.mark.browser

SIZES = {"phone": (390, 844), "tablet": (768, 1024), "desktop": (1280, 800)}
# The views a learner reads; below 1000 px each is at least 340 px wide or spans the screen.
MAIN_VIEWS = ["network", "trace", "loss-chart", "grad-norm-chart", "output-chart", "w-heatmap"]
MIN_VIEW = 340
NARROW = 1000
BLOCKING = {"serious", "critical"}


def widths(app) -> dict[str, float]:
    """The on-screen width of each main view shown now (the step-through folds away while nobody steps)."""
    return app.page.evaluate(
        """ids => Object.fromEntries(ids.map(id => document.querySelector(`[data-testid="${id}"]`))
            .filter(el => el.checkVisibility()).map(el => [el.dataset.testid, el.getBoundingClientRect().width]))""",
        MAIN_VIEWS)


def no_sideways_scroll(app, width: int) -> None:
    """The page is no wider than the screen (on a phone Chromium would otherwise zoom out)."""
    scroll, inner = app.page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    assert inner == width, f"the layout viewport grew to {inner} px: something is wider than the screen"
    assert scroll <= inner, f"the page is {scroll} px wide on a {inner} px screen"


def wait_step(app, n: int) -> None:
    app.wait_for("n => document.querySelector('[data-testid=step-count]').textContent === String(n)", n)
    app.idle()


@pytest.mark.parametrize("size", list(SIZES))
def test_every_size_fits_and_step_works_by_tap(screen, size):
    width, height = SIZES[size]
    touch = width < NARROW
    app = screen(width, height, touch=touch).open()
    no_sideways_scroll(app, width)
    settings = app.by("settings-toggle")
    if touch:
        # The settings fold away under one button: the diagram is on the first screen.
        assert settings.get_attribute("aria-expanded") == "false" and not app.by("dataset").is_visible()
        assert app.by("network").bounding_box()["y"] < height - 200, "the diagram is on the first screen"
    else:
        assert not settings.is_visible() and app.by("dataset").is_visible()
    step = app.by("step")
    assert step.is_visible() and step.bounding_box()["y"] + step.bounding_box()["height"] <= height, "Step is on screen"
    if touch:
        step.tap()
    else:
        step.click()
    wait_step(app, 1)
    app.click("epoch")
    assert app.text("epoch-count") == "1"
    no_sideways_scroll(app, width)
    views = widths(app)
    assert {"network", "loss-chart", "output-chart"} <= set(views), f"main views hidden: {views}"
    for name, w in views.items():
        if width < NARROW:
            assert w >= MIN_VIEW or w >= width - 40, f"{name} is {w:.0f} px wide at {width} px"
        else:
            assert w >= 280, f"{name} is {w:.0f} px wide at {width} px"
    # Step, Epoch and Play stay within reach while the page scrolls down to the charts.
    app.by("loss-chart").scroll_into_view_if_needed()
    for testid in ("step", "epoch", "play"):
        box = app.by(testid).bounding_box()
        if touch:
            assert 0 <= box["y"] and box["y"] + box["height"] <= height, f"{testid} left the screen"
            assert box["height"] >= 44, f"{testid} is a small target for a finger"
    app.page.evaluate("window.scrollTo(0, 0)")
    app.shot(f"screens-{size}.png")
    if size == "phone":
        for _ in range(5):
            app.click("epoch")
        app.page.evaluate("window.scrollTo(0, document.querySelector('.network-panel').getBoundingClientRect().top + scrollY - 8)")
        app.shot("screens-phone-network.png")
        app.page.evaluate("window.scrollTo(0, 0)")
        settings.tap()
        assert settings.get_attribute("aria-expanded") == "true" and app.by("dataset").is_visible()
        no_sideways_scroll(app, width)
        settings.tap()
        assert not app.by("dataset").is_visible()


def test_a_tap_selects_a_weight_draws_a_point_and_a_swipe_scrolls(screen):
    app = screen(*SIZES["phone"], touch=True).open()
    app.click("preset-worked-example")
    app.by("network").scroll_into_view_if_needed()
    app.page.touchscreen.tap(*diagram_point(app, "link", [0, 1, 0]))
    editor = app.by("param-editor")
    editor.wait_for(state="visible")
    assert "W[0][1][0]" in editor.inner_text()
    app.page.locator("#param-cancel").tap()
    assert not editor.is_visible()
    # Back to XOR: draw a point with a finger.
    app.page.goto(app.url)
    app.idle()
    before = api(app, f"/api/sessions/{session_id(app)}")
    n_before = before["n_train"] + before["n_test"]
    app.by("draw-mode").tap()
    app.by("output-chart").scroll_into_view_if_needed()
    app.page.touchscreen.tap(*plot_pixel(app, "output-chart", 0.5, -0.5))
    app.wait_for("n => document.body.dataset.session !== n", session_id(app))
    app.idle()
    state = api(app, f"/api/sessions/{session_id(app)}")
    assert state["n_train"] + state["n_test"] == n_before + 1
    # A swipe that starts on a chart scrolls the page: the chart does not hold the finger.
    app.by("epoch").tap()
    app.wait_for("document.querySelector('[data-testid=epoch-count]').textContent === '1'")
    app.idle()
    cdp = app.page.context.new_cdp_session(app.page)
    for chart in ("network", "loss-chart", "grad-norm-chart", "output-chart"):
        box = app.by(chart).bounding_box()
        app.page.evaluate("y => window.scrollTo(0, y)", app.page.evaluate("scrollY") + box["y"] - 300)
        top = app.page.evaluate("scrollY")
        box = app.by(chart).bounding_box()
        swipe(cdp, box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.75, 150)
        app.wait_for("top => scrollY > top + 50", top)


def swipe(cdp, x: float, y: float, up: float) -> None:
    """A finger put down at (x, y) and moved `up` pixels towards the top, as the touch events a phone sends."""
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for k in range(1, 11):
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y - up * k / 10}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def test_keyboard_alone_steps_selects_a_weight_and_opens_a_lesson(app):
    app.open()
    page = app.page
    # Tab order is reading order: the first stops are Lessons, then Step.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.dataset.testid") == "lessons-open"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.dataset.testid") == "step"
    ring = page.evaluate("(() => { const s = getComputedStyle(document.activeElement); return [s.outlineStyle, parseFloat(s.outlineWidth)]; })()")
    assert ring[0] != "none" and ring[1] >= 2, f"no visible focus ring on Step: {ring}"
    page.keyboard.press("Enter")
    wait_step(app, 1)

    # Every control is reached by Tab, in the order of the page, each with a focus ring.
    order = page.evaluate("""() => [...document.querySelectorAll('button, select, input, textarea, summary, a[href], [tabindex]')]
        .filter(el => !el.disabled && el.tabIndex >= 0 && el.checkVisibility({visibilityProperty: true}))
        .map(el => el.id || el.dataset.testid || el.textContent.trim().slice(0, 20))""")
    where = """() => { const el = document.activeElement; const s = getComputedStyle(el);
        return el === document.body ? null : [el.id || el.dataset.testid || el.textContent.trim().slice(0, 20), s.outlineStyle]; }"""
    app.by("lessons-open").focus()
    seen = [order[0]]
    for _ in range(len(order) + 5):
        page.keyboard.press("Tab")
        here = page.evaluate(where)
        if here is None:  # past the last control
            break
        seen.append(here[0])
        assert here[1] != "none", f"{here[0]} has no focus ring"
    assert seen == order, f"Tab visits every control, in reading order: {seen} != {order}"

    # Select a weight without a mouse: the network panel's picker, then the editor.
    page.locator("[data-testid=param-pick] summary").focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "wpick-param"
    page.keyboard.press("ArrowDown")  # W[0] -> b[0]
    page.keyboard.press("ArrowUp")    # back to W[0]
    page.keyboard.press("Tab")
    page.keyboard.type("1")           # row i = 1
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")      # submit with j = 0
    editor = app.by("param-editor")
    assert editor.is_visible() and "W[0][1][0]" in editor.inner_text()
    assert page.evaluate("document.activeElement.id") == "param-value"
    page.keyboard.press("Control+A")
    page.keyboard.type("0.625")
    page.keyboard.press("Enter")
    app.idle()
    sid = session_id(app)
    weights = api(app, f"/api/sessions/{sid}?include=params&max_elements=1000000")["params"][0]["W"]
    assert weights[1][0] == 0.625
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Pick a weight", "the focus comes back"

    # Open a lesson: Shift+Tab back to the top, Lessons, then its first lesson.
    for _ in range(len(order)):
        if page.evaluate("document.activeElement.dataset.testid") == "lessons-open":
            break
        page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.dataset.testid") == "lessons-open"
    page.keyboard.press("Enter")
    app.wait_for("document.querySelectorAll('#lesson-list button').length > 0")
    app.idle()
    assert page.evaluate("document.activeElement.dataset.testid") == "lesson-worked-example", "the focus moves into the list"
    page.keyboard.press("Enter")
    app.wait_for("document.getElementById('lesson-result').dataset.lesson === 'worked-example'", timeout=120)
    app.shot("screens-keyboard-lesson.png")


def test_charts_say_what_they_show_and_play_does_not_flood_the_live_region(app):
    app.open()
    assert app.page.locator(".status[aria-live]").count() == 0, "the status numbers are not a live region of their own"
    live = app.by("live-status")
    assert live.get_attribute("aria-live") == "polite"
    for _ in range(3):
        app.click("epoch")
    app.wait_for("document.getElementById('live-status').textContent.startsWith('Epoch 3,')")
    assert app.text("loss-value") in live.text_content()
    for chart in ["network", "loss-chart", "grad-norm-chart", "output-chart", "w-heatmap", "dw-heatmap"]:
        el = app.by(chart)
        assert el.get_attribute("role") == "img" and el.get_attribute("aria-label")
        summary = app.page.locator(f"#{el.get_attribute('aria-describedby')}").text_content()
        assert summary.strip().endswith("."), f"{chart} has no summary: {summary!r}"
    loss = app.page.locator("#loss-chart-summary").text_content()
    assert "over 3 epochs" in loss and f"{app.text('loss-value')[:5]}" in loss
    assert "2-8-8-1 network" in app.page.locator("#network-summary").text_content()

    # While Play runs the region says "playing" once, whatever the epoch.
    app.by("play").click()
    app.wait_for("document.getElementById('live-status').textContent.startsWith('Playing')")
    app.page.evaluate("""() => { window.__liveChanges = 0;
        new MutationObserver(() => { window.__liveChanges += 1; })
          .observe(document.getElementById('live-status'), {childList: true, characterData: true, subtree: true}); }""")
    app.wait_for("Number(document.querySelector('[data-testid=epoch-count]').textContent) >= 8")
    assert app.page.evaluate("window.__liveChanges") == 0, "Play announced its frames"
    app.by("play").click()
    app.idle()
    app.wait_for("document.getElementById('live-status').textContent.startsWith('Epoch ')")
    epoch = app.text("epoch-count")
    assert live.text_content().startswith(f"Epoch {epoch},")
    loss = app.page.locator("#loss-chart-summary").text_content()
    assert f"over {epoch} epochs" in loss


def test_the_dark_theme_follows_the_system_and_the_toggle(screen):
    app = screen(*SIZES["desktop"], dark=True).open()
    assert app.page.evaluate("document.documentElement.dataset.theme") == "dark"
    paper = app.page.evaluate("document.getElementById('loss-chart')._fullLayout.paper_bgcolor")
    app.click("step")
    for _ in range(8):
        app.click("epoch")
    app.shot("screens-dark.png")
    toggle = app.by("theme-toggle")
    assert toggle.get_attribute("aria-pressed") == "true"
    toggle.click()
    app.idle()
    assert app.page.evaluate("document.documentElement.dataset.theme") == "light"
    assert toggle.get_attribute("aria-pressed") == "false"
    light = app.page.evaluate("document.getElementById('loss-chart')._fullLayout.paper_bgcolor")
    assert light != paper, "the charts were drawn again in the light theme"
    body = app.page.evaluate("getComputedStyle(document.body).color")
    # The pick is remembered over the system's preference.
    app.page.reload()
    app.idle()
    assert app.page.evaluate("document.documentElement.dataset.theme") == "light"
    assert app.page.evaluate("getComputedStyle(document.body).color") == body


def blocking(app) -> list[str]:
    """axe-core's serious and critical violations on the page as it stands."""
    results = Axe().run(app.page)
    found = [v for v in results.response["violations"] if v.get("impact") in BLOCKING]
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:5]}" for v in found]


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_axe_finds_nothing_serious_on_the_playground_the_lessons_and_the_help(screen, dark):
    app = screen(*SIZES["desktop"], dark=dark).open()
    app.click("step")
    app.click("epoch")
    assert blocking(app) == [], "the playground"
    app.click("lessons-open")
    app.wait_for("document.querySelectorAll('#lesson-list button').length > 0")
    app.by("lesson-quick").check()
    app.by("lesson-vanishing-gradients").click()
    app.wait_for("document.getElementById('lesson-result').dataset.lesson === 'vanishing-gradients'", timeout=240)
    assert blocking(app) == [], "the lessons"
    app.click("lessons-close")
    app.page.get_by_role("button", name="Help").click()
    assert app.page.locator("dialog#help").is_visible()
    assert blocking(app) == [], "the help"
    app.page.keyboard.press("Escape")
    # And at a phone's size, where the layout is another.
    phone = screen(*SIZES["phone"], touch=True, dark=dark).open()
    assert blocking(phone) == [], "the playground on a phone"
