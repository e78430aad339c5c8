"""Play in the browser streams training over the live socket: the views move with every
frame, Pause stops the epoch counter, and the learning rate changes without a new session."""
from __future__ import annotations

import httpx
import pytest

import launch

pytestmark = pytest.mark.browser

FRAMES = "Number(document.body.dataset.liveFrames || 0)"
EPOCH = "Number(document.querySelector('[data-testid=epoch-count]').textContent)"


LIVE_SECONDS = 120.0
"""How long a test waits for the page to reach a count (a hang, not a speed)."""


def wait_for_epoch(app, at_least: int) -> None:
    """Until the epoch counter reaches ``at_least``."""
    app.wait_for(f"n => {EPOCH} >= n", at_least, timeout=LIVE_SECONDS)


def train_losses(app) -> list[float]:
    return next(t for t in app.chart("loss-chart") if t["name"] == "train")["y"]


def live_sessions(page) -> list[str]:
    """Record the session id of every live socket the page opens."""
    ids: list[str] = []
    page.on("websocket", lambda ws: ids.append(ws.url.rsplit("/", 2)[-2]))
    return ids


def test_play_draws_30_frames_lowers_the_xor_loss_and_pause_stops_the_counter(app, server_url):
    sockets = live_sessions(app.page)
    app.open()
    assert app.by("dataset").input_value() == "xor"
    network_before = app.page.evaluate("JSON.stringify(document.getElementById('network').diagram)")
    app.click("play")
    assert app.by("play").get_attribute("aria-pressed") == "true"
    # Mid-play: the output view shows the frames' coarse boundary grid, the diagram has moved.
    # (Before Play the view holds the 50 x 50 grid of GET .../boundary; frames carry 32 x 32 ones,
    # painted over that figure.)
    live_grid = "document.querySelector('#output-chart [data-testid=live-boundary]')"
    app.wait_for(f"() => {live_grid}?.dataset.resolution === '32' && !{live_grid}.hidden", timeout=LIVE_SECONDS)
    app.wait_for("before => JSON.stringify(document.getElementById('network').diagram) !== before",
                 network_before, timeout=LIVE_SECONDS)
    app.wait_for(f"() => {FRAMES} >= 30", timeout=LIVE_SECONDS)
    # The charts redraw in turn (every frame on a fast machine): each visible view at least once.
    app.wait_for("() => Number(document.body.dataset.liveViews) >= 4", timeout=LIVE_SECONDS)
    assert len(train_losses(app)) > 1
    app.shot("live-play.png")

    app.by("play").click()
    assert app.by("play").get_attribute("aria-pressed") == "false"
    app.idle()
    epoch, frames = app.text("epoch-count"), app.page.evaluate(FRAMES)
    # What proves that nothing more will come: the server plays nothing, and the session stands at
    # the epoch the page shows (a frame still in flight would carry a later one).
    launch.wait_until(lambda: httpx.get(f"{server_url}api/live").json()["playing"] == 0, "the server stopped playing")
    assert httpx.get(f"{server_url}api/sessions/{sockets[0]}", params={"include": []}).json()["epoch"] == int(epoch)
    app.idle()
    assert app.text("epoch-count") == epoch and app.page.evaluate(FRAMES) == frames
    # After Pause the output view is Plotly's full figure again, at the server's boundary grid.
    assert app.page.evaluate(f"{live_grid}.hidden")
    assert any(t["type"] == "heatmap" for t in app.chart("output-chart"))
    losses = train_losses(app)
    assert len(losses) == int(epoch) >= 30
    assert losses[-1] < losses[0]
    assert float(app.text("loss-value")) == pytest.approx(losses[-1], rel=1e-5)
    # The page shows what the server has.
    state = httpx.get(f"{server_url}api/sessions/{sockets[0]}", params={"include": "history"}).json()
    assert state["epoch"] == int(epoch) and state["history"]["train_loss"] == pytest.approx(losses)
    assert httpx.get(f"{server_url}api/live").json()["playing"] == 0


def test_learning_rate_changes_while_playing_and_training_goes_on(app, server_url):
    sockets = live_sessions(app.page)
    app.open()
    app.page.locator("body").press(" ")
    wait_for_epoch(app, 5)
    app.enter("learning-rate", "0.3")
    assert app.by("play").get_attribute("aria-pressed") == "true", "still playing"
    wait_for_epoch(app, 15)
    app.click("play")  # (Space would type into the focused learning-rate field)
    sid = sockets[0]
    state = httpx.get(f"{server_url}api/sessions/{sid}").json()
    assert state["config"]["optimizer"]["learning_rate"] == 0.3
    assert state["epoch"] == int(app.text("epoch-count")) >= 15, "the same session went on training"
    assert app.by("learning-rate").input_value() == "0.3"
    assert len(set(sockets)) == 1


def test_a_refused_learning_rate_is_said_and_play_goes_on(app, page_log):
    app.open()
    app.click("play")
    app.enter("learning-rate", "-1")
    assert "learning_rate" in app.text("error-banner")
    before = int(app.text("epoch-count"))
    wait_for_epoch(app, before + 1)
    app.click("play")
    assert app.by("learning-rate").input_value() == "0.1"
