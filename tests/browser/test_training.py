"""Training in the browser: XOR epochs lower the loss and fill the charts, Play and Space,
the gradient check, and what the page says when the server refuses or training diverges."""
from __future__ import annotations

import httpx
import pytest

import launch

pytestmark = pytest.mark.browser

N_EPOCHS = 12


def loss_of(app) -> float:
    return float(app.text("loss-value"))


def test_page_loads_with_controls_from_the_server(app):
    app.open()
    options = app.page.evaluate("fetch('/api/options').then(r => r.json())")
    names = app.by("dataset").locator("option").evaluate_all("os => os.map(o => o.value)")
    assert names == [d["name"] for d in options["datasets"]]
    acts = app.by("activation").locator("option").evaluate_all("os => os.map(o => o.value)")
    assert acts == options["activations"]
    # Only pairs that work: for XOR (one sigmoid output) the loss list follows the output.
    assert app.by("output-activation").input_value() == "sigmoid"
    losses = app.by("loss").locator("option").evaluate_all("os => os.map(o => o.value)")
    assert losses == options["valid_pairs"]["sigmoid"]
    outputs = app.by("output-activation").locator("option").evaluate_all("os => os.map(o => o.value)")
    assert "softmax" not in outputs  # one output unit: softmax would be constant 1
    assert app.text("epoch-count") == "0"
    assert app.page.locator("#network").get_attribute("data-layers") == "2-8-8-1"
    assert app.page.evaluate("document.getElementById('network').diagram.links.length") > 0, "the diagram is drawn"
    app.page.get_by_role("button", name="Help").click()
    assert app.page.locator("dialog#help").is_visible()
    assert "→" in app.page.locator("dialog#help").inner_text()
    app.page.keyboard.press("Escape")
    assert not app.page.locator("dialog#help").is_visible()


def test_xor_epochs_lower_the_loss_and_fill_the_charts(app):
    app.open()
    assert app.by("dataset").input_value() == "xor"
    app.click("epoch")
    first = loss_of(app)
    for _ in range(N_EPOCHS - 1):
        app.click("epoch")
    assert app.text("epoch-count") == str(N_EPOCHS)
    assert loss_of(app) < first

    loss = app.chart("loss-chart")
    train = next(t for t in loss if t["name"] == "train")
    test = next(t for t in loss if t["name"] == "test")
    assert len(train["x"]) == len(train["y"]) == N_EPOCHS
    assert len(test["y"]) == N_EPOCHS
    assert train["y"][-1] == pytest.approx(loss_of(app), rel=1e-5)

    norms = app.chart("grad-norm-chart")
    assert [t["name"] for t in norms] == ["layer 0", "layer 1", "layer 2"]
    assert all(len(t["y"]) == N_EPOCHS and all(v > 0 for v in t["y"]) for t in norms)

    boundary = app.chart("output-chart")
    grid = next(t for t in boundary if t["type"] == "heatmap")
    assert len(grid["z"]) == 50 and len(grid["z"][0]) == 50
    assert all(0 <= p <= 1 for row in grid["z"] for p in row)
    assert any(t["type"] == "contour" for t in boundary)
    assert any(t["name"] and t["name"].startswith("test") for t in boundary), "test points drawn"
    assert app.page.locator("#output-chart .heatmaplayer image, #output-chart .hm image").count() >= 1
    app.page.locator("#output-chart").scroll_into_view_if_needed()
    app.page.evaluate("window.scrollTo(0, 0)")
    app.shot("xor-trained.png")


def test_space_plays_and_pauses(app, server_url):
    sockets: list[str] = []
    app.page.on("websocket", lambda ws: sockets.append(ws.url.rsplit("/", 2)[-2]))
    app.open()
    app.page.locator("body").press(" ")
    assert app.by("play").get_attribute("aria-pressed") == "true"
    app.wait_for("Number(document.querySelector('[data-testid=epoch-count]').textContent) >= 3")
    app.page.locator("body").press(" ")
    app.idle()
    assert app.by("play").get_attribute("aria-pressed") == "false"
    stopped = app.text("epoch-count")
    # What proves that nothing more will come: the server plays nothing, and its session stands
    # at the epoch the page shows (a frame still in flight would carry a later one).
    launch.wait_until(lambda: httpx.get(f"{server_url}api/live").json()["playing"] == 0, "the server stopped playing")
    state = httpx.get(f"{server_url}api/sessions/{sockets[-1]}", params={"include": []}).json()
    assert state["epoch"] == int(stopped)
    app.idle()
    assert app.text("epoch-count") == stopped
    n = int(stopped)
    assert len(next(t for t in app.chart("loss-chart") if t["name"] == "train")["y"]) == n


def test_reset_returns_to_epoch_zero_with_the_same_weights(app):
    app.open()
    hover_before = app.page.evaluate("document.getElementById('network').diagram.links.map(l => l.text)")
    app.click("epoch")
    app.click("step")
    assert app.text("epoch-count") == "1"
    app.click("reset")
    assert app.text("epoch-count") == "0"
    assert app.text("loss-value") == "–"
    hover_after = app.page.evaluate("document.getElementById('network').diagram.links.map(l => l.text)")
    assert hover_after == hover_before


def test_gradient_check_passes_per_layer(app):
    app.open()
    app.click("gradcheck")
    result = app.by("gradcheck-result")
    assert "passed" in result.inner_text()
    rows = result.locator("tbody tr")
    assert rows.count() == 3
    for text in rows.all_inner_texts():
        w_err, b_err = (float(v.rstrip(" ✓")) for v in text.split("\t")[1:3])
        assert w_err < 1e-5 and b_err < 1e-5


def test_server_refusal_is_shown_with_its_detail(app, page_log):
    page_log.expect_error("status of 422")
    app.open()
    app.enter("batch-size", "0")
    banner = app.by("error-banner")
    assert banner.is_visible()
    assert "422" in banner.inner_text() and "batch_size" in banner.inner_text()
    # The old run is still on screen and still works.
    app.click("epoch")
    assert app.text("epoch-count") == "1"


def test_divergence_is_said_as_nan(app):
    app.open()
    app.select("dataset", "sine")
    app.enter("learning-rate", "1000000")
    for _ in range(6):  # the loss overflows to inf (sent as null) at epoch 4 with this seed
        app.click("epoch")
        if "NaN" in app.text("loss-value"):
            break
    assert app.text("loss-value") == "NaN (diverged)"
    assert "NaN (diverged)" in app.text("error-banner")
    notes = app.page.evaluate("[...document.querySelectorAll('#loss-chart .annotation-text')].map(e => e.textContent)")
    assert any("NaN (diverged)" in n for n in notes), notes


@pytest.mark.parametrize("dataset, title", [
    ("sine", "Fitted curve"),
    ("plane", "Predicted vs true"),
    ("digits", "Confusion matrix"),
])
def test_output_view_suits_the_data(app, dataset, title):
    app.open()
    app.select("dataset", dataset)
    app.click("epoch")
    assert app.page.locator("#output-title").inner_text() == title
    traces = app.chart("output-chart")
    state = app.page.evaluate("fetch('/api/datasets').then(r => r.json())")
    info = next(d for d in state if d["name"] == dataset)
    if dataset == "sine":
        curve = next(t for t in traces if t["name"] == "network")
        assert curve["mode"] == "lines" and len(curve["x"]) == 50
        assert any(t["name"] == "train" for t in traces)
    elif dataset == "plane":
        points = next(t for t in traces if t["mode"] == "markers")
        assert len(points["x"]) == len(points["y"]) == round(info["n_samples"] * 0.2)
    else:
        cm = next(t for t in traces if t["type"] == "heatmap")["z"]
        assert len(cm) == len(cm[0]) == 10
        assert sum(map(sum, cm)) == app.page.evaluate(
            "Number(document.getElementById('dataset-description').textContent.match(/(\\d+) test/)[1])")
        assert app.page.locator("#first-layer-panel").is_visible()
        images = app.chart("first-layer-chart")
        assert len(images) == 8 and all(len(t["z"]) == 8 and len(t["z"][0]) == 8 for t in images)
