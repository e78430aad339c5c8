"""Issue 8 in the browser: everything TensorFlow Playground users have. Feature toggles change
the input layer; an edited weight shows in the next trace; drawn points appear in the dataset;
a CSV upload trains; a classroom link hides the named controls; undo restores the previous
params exactly; the downloads (JSON, PNG, HTML report) work; schedules, early stopping, the
metrics chart and the output view's toggles do what they say."""
from __future__ import annotations

import json
import re
from urllib.parse import unquote

import pytest

pytestmark = pytest.mark.browser

# A small table: y is 1 when x1 + x2 > 1 (classification), z a noisy sum (regression).
CSV_ROWS = [(i % 7 / 3, (i * 3) % 5 / 2, (i * 5) % 11 / 5) for i in range(60)]
CSV_TEXT = "x1,x2,x3,y,z\n" + "".join(
    f"{a:.4f},{b:.4f},{c:.4f},{int(a + b > 1.5)},{a + 2 * b - c + (i % 3) * 0.1:.4f}\n" for i, (a, b, c) in enumerate(CSV_ROWS))


def session_id(app) -> str:
    return app.page.evaluate("document.body.dataset.session")


def api(app, path: str, method: str = "GET", body: object = None):
    """A request from the page's origin (so the server's origin check lets it through)."""
    return app.page.evaluate(
        """([path, method, body]) => fetch(path, {method, headers: {'Content-Type': 'application/json'},
            body: body === null ? undefined : JSON.stringify(body)}).then(r => r.json())""",
        [path, method, body])


def params(app) -> list:
    return api(app, f"/api/sessions/{session_id(app)}?include=params&max_elements=1000000")["params"]


def plot_pixel(app, chart: str, x: float, y: float) -> tuple[float, float]:
    """Where a data point (x, y) of a Plotly chart is on the screen."""
    return tuple(app.page.evaluate(
        """([id, x, y]) => { const el = document.getElementById(id); const f = el._fullLayout;
            const r = el.getBoundingClientRect();
            return [r.left + f._size.l + f.xaxis.l2p(x), r.top + f._size.t + f.yaxis.l2p(y)]; }""", [chart, x, y]))


def diagram_point(app, kind: str, ids: list[int]) -> tuple[float, float]:
    """A screen point where the network diagram's pointer takes a link ([l, i, j]) or a neuron
    ([k, i]), from the diagram's own test hook."""
    p = app.page.evaluate("([kind, ids]) => document.getElementById('network').diagramPoint(kind, ids)", [kind, ids])
    assert p, (kind, ids, "not drawn, or no point of it is free")
    return p["x"], p["y"]


def click_diagram(app, kind: str, ids: list[int]) -> None:
    """Click a link or a neuron of the network diagram: hover it first (its tooltip names it),
    then click there."""
    x, y = diagram_point(app, kind, ids)
    app.page.mouse.move(x, y)
    app.page.locator(".diagram-tip").wait_for(state="visible")
    app.page.mouse.click(x, y)


def near(rows, at, tol: float = 0.03) -> list:
    """The rows (x1, x2, ...) within `tol` of a point: a click lands within a pixel of its target."""
    return [r for r in rows if abs(r[0] - at[0]) <= tol and abs(r[1] - at[1]) <= tol]


def hash_config(app) -> dict:
    """The URL hash as {dotted key: decoded value}."""
    text = app.page.evaluate("location.hash").lstrip("#")
    out = {}
    for pair in text.split("&"):
        key, _, value = pair.partition("=")
        value = unquote(value)
        try:
            out[key] = json.loads(value)
        except ValueError:
            out[key] = value
    return out


def test_feature_toggles_change_the_input_layer(app):
    app.open()
    assert app.by("features").is_visible()
    assert app.by("feature-x1").is_checked() and app.by("feature-x2").is_checked()
    app.by("feature-x1^2").check()
    app.idle()
    app.by("feature-x1*x2").check()
    app.idle()
    assert app.page.locator("#network").get_attribute("data-layers") == "4-8-8-1"
    assert hash_config(app)["dataset.features"] == ["x1", "x2", "x1^2", "x1*x2"]
    app.by("feature-x1").uncheck()
    app.idle()
    app.by("feature-x2").uncheck()
    app.idle()
    app.by("feature-x1^2").uncheck()
    app.idle()
    assert app.page.locator("#network").get_attribute("data-layers") == "1-8-8-1"
    assert app.by("feature-x1*x2").is_disabled(), "the last feature cannot be unticked"
    # XOR is the sign of x1*x2: that one feature is enough; the boundary stays in (x1, x2).
    for _ in range(3):
        app.click("epoch")
    grid = next(t for t in app.chart("output-chart") if t["type"] == "heatmap")
    assert len(grid["z"]) == 50 and len(grid["x"]) == 50
    assert app.page.locator("#output-title").inner_text() == "Decision boundary"
    assert api(app, f"/api/sessions/{session_id(app)}")["config"]["model"]["layers"][0] == 1
    app.shot("tf-features.png")


def test_edited_weight_shows_in_the_next_trace(app):
    app.open()
    app.click("preset-worked-example")
    click_diagram(app, "link", [0, 1, 0])
    editor = app.by("param-editor")
    assert editor.is_visible()
    assert "W[0][1][0]" in editor.inner_text()
    assert app.by("param-value").input_value() == "0.3"
    app.by("param-value").fill("0.75")
    app.shot("tf-edit-weight.png")
    app.by("param-value").press("Enter")
    app.idle()
    assert not editor.is_visible()
    assert params(app)[0]["W"] == [[0.1, 0.2], [0.75, 0.4]]
    # A bias: neuron 0 of the hidden layer (node layer 1) owns b[0][0].
    click_diagram(app, "neuron", [1, 0])
    assert "b[0][0]" in editor.inner_text()
    app.by("param-value").fill("-0.25")
    app.by("param-value").press("Enter")
    app.idle()
    assert params(app)[0]["b"] == [-0.25, 0]
    app.click("step")
    app.stage("forward-0")
    assert app.quantity("W[0]") == ["0.1", "0.2", "0.75", "0.4"]
    assert app.quantity("b[0]") == ["-0.25", "0"]
    # z[0] = x W[0]^T + b with x = [1, 2]: [0.1 + 0.4 - 0.25, 0.75 + 0.8]
    assert app.quantity("z[0]") == ["0.25", "1.55"]


def test_drawn_points_appear_in_the_dataset(app):
    app.open()
    sid = session_id(app)
    before = api(app, f"/api/sessions/{sid}")
    n_before = before["n_train"] + before["n_test"]
    app.click("draw-mode")
    assert app.by("draw-bar").is_visible()
    app.by("output-chart").scroll_into_view_if_needed()
    app.by("draw-class").select_option("1")
    app.page.mouse.click(*plot_pixel(app, "output-chart", 0.5, -0.5))
    app.idle()
    app.page.keyboard.down("Shift")
    app.page.mouse.click(*plot_pixel(app, "output-chart", -0.6, 0.7))
    app.page.keyboard.up("Shift")
    app.idle()
    state = api(app, f"/api/sessions/{session_id(app)}")
    ds = state["config"]["dataset"]
    assert ds["name"] == "inline" and state["task"] == "classification"
    assert len(ds["X"]) == n_before + 2 == state["n_train"] + state["n_test"]
    rows = [(*x, y[0]) for x, y in zip(ds["X"], ds["y"])]
    assert [r[2] for r in near(rows, (0.5, -0.5))] == [1]
    assert [r[2] for r in near(rows, (-0.6, 0.7))] == [0]
    # The weights were kept: the same boundary, now with the new points on it.
    assert state["config"]["model"]["layers"] == [2, 8, 8, 1]
    drawn = api(app, f"/api/sessions/{session_id(app)}/data?max_points=5000")
    seen = [x for split in ("train", "test") for x in drawn[split]["X"]]
    assert len(near(seen, (0.5, -0.5))) == 1 and len(near(seen, (-0.6, 0.7))) == 1
    # Alt-click removes the nearest point.
    app.page.keyboard.down("Alt")
    app.page.mouse.click(*plot_pixel(app, "output-chart", 0.51, -0.49))
    app.page.keyboard.up("Alt")
    app.idle()
    ds = api(app, f"/api/sessions/{session_id(app)}")["config"]["dataset"]
    assert len(ds["X"]) == n_before + 1 and near(ds["X"], (0.5, -0.5)) == []
    app.click("epoch")
    assert app.text("epoch-count") == "1"
    app.shot("tf-draw.png")


def test_csv_upload_trains_and_bad_files_say_why(app, page_log):
    app.open()
    app.page.locator("#csv-block summary").click()
    app.by("csv-file").set_input_files(files=[{"name": "table.csv", "mimeType": "text/csv", "buffer": CSV_TEXT.encode()}])
    app.idle()
    # The last column (z, continuous) is the default target: regression on four inputs.
    assert "60 rows" in app.text("csv-info")
    assert app.by("csv-target").input_value() == "4"
    assert app.page.locator("#network").get_attribute("data-layers") == "4-8-8-1"
    app.by("csv-target").select_option(label="y")
    app.idle()
    state = api(app, f"/api/sessions/{session_id(app)}")
    assert state["task"] == "classification" and state["config"]["model"]["layers"][0] == 4
    assert state["n_train"] + state["n_test"] == 60
    for _ in range(3):
        app.click("epoch")
    assert app.text("epoch-count") == "3"
    train = next(t for t in app.chart("loss-chart") if t["name"] == "train")["y"]
    assert len(train) == 3 and train[-1] < train[0]
    # A bad file: the banner carries the server's detail, naming the row and column.
    page_log.expect_error("status of 422")
    lines = CSV_TEXT.splitlines()
    lines[3] = "abc," + lines[3].split(",", 1)[1]
    bad = "\n".join(lines) + "\n"
    app.by("csv-file").set_input_files(files=[{"name": "bad.csv", "mimeType": "text/csv", "buffer": bad.encode()}])
    app.idle()
    text = app.text("error-banner")
    assert "422" in text and "csv" in text and re.search(r"row", text, re.I), text
    assert app.text("epoch-count") == "3", "the old run stays on screen"


def test_a_change_in_the_controls_keeps_an_uploaded_table_bigger_than_max_elements(app):
    """The answers summarise the table's X and y (over max_elements): the page never posts
    a summary back, the next session trains on the same rows."""
    rows = 1200  # X (1200, 4): 4800 numbers, over the default max_elements of 4096
    text = "x1,x2,x3,x4,y\n" + "".join(f"{i % 7 / 3:.4f},{i % 5 / 2:.4f},{i % 11 / 5:.4f},{i % 3:.1f},"
                                        f"{int(i % 7 + i % 5 > 6)}\n" for i in range(rows))
    app.open()
    app.page.locator("#csv-block summary").click()
    app.by("csv-file").set_input_files(files=[{"name": "big.csv", "mimeType": "text/csv", "buffer": text.encode()}])
    app.idle()
    first = session_id(app)
    sent = api(app, f"/api/sessions/{first}")["config"]["dataset"]
    assert sent["X"]["summary"] is True and sent["X"]["shape"] == [rows, 4], "the answer summarises the table"
    table = api(app, f"/api/sessions/{first}?include=config")["config"]["dataset"]
    app.enter("learning-rate", "0.05")
    app.idle()
    assert session_id(app) != first and app.text("error-banner") == ""
    state = api(app, f"/api/sessions/{session_id(app)}?include=config")
    assert state["config"]["optimizer"]["learning_rate"] == 0.05
    assert state["config"]["dataset"]["X"] == table["X"] and state["config"]["dataset"]["y"] == table["y"]
    app.by("neurons-plus-0").click()  # the layers too: a new network on the same rows
    app.idle()
    state = api(app, f"/api/sessions/{session_id(app)}?include=config")
    assert state["config"]["model"]["layers"][1] == 9 and state["config"]["dataset"]["X"] == table["X"]
    app.click("epoch")
    assert app.text("epoch-count") == "1"
    # Comparing: B is a fork (its answer summarises the table too), and a change makes B anew from it.
    app.click("compare")
    app.enter("learning-rate", "0.2")
    assert "422" not in app.text("error-banner") and app.by("compare-panel").is_visible()
    assert app.page.locator('[data-testid="compare-table"] tbody tr').count() == 2


def test_classroom_link_hides_the_named_controls(app, server_url):
    app.open(f"{server_url}#hide=dataset,optimizer,learning-rate,lessons-open,csv")
    for name in ("dataset", "optimizer", "learning-rate", "lessons-open", "csv"):
        assert not app.by(name).is_visible(), name
    for name in ("batch-size", "activation", "epoch", "step", "seed"):
        assert app.by(name).is_visible(), name
    app.click("epoch")
    assert hash_config(app)["hide"] == "dataset,optimizer,learning-rate,lessons-open,csv"
    app.shot("tf-classroom.png")
    # Every name the help dialog documents hides something on the page.
    names = app.page.locator("#hide-names code").all_inner_texts()
    missing = app.page.evaluate("ns => ns.filter(n => !document.querySelector(`[data-testid=\"${n}\"]`))", names)
    assert missing == [] and len(names) > 30
    # The whole settings column: the views take the width.
    app.open(f"{server_url}#hide=sidebar,trace,gradcheck-result")
    assert not app.by("sidebar").is_visible() and not app.by("trace").is_visible()
    assert app.by("network").bounding_box()["x"] < 40


def test_undo_restores_the_previous_params_exactly(app):
    app.open()
    assert app.by("undo").is_disabled()
    start = params(app)
    hover = "document.getElementById('network').diagram.links.map(l => l.text)"
    drawn = app.page.evaluate(hover)
    app.click("step")
    after_step = params(app)
    app.click("epoch")
    assert params(app) != after_step
    assert app.by("undo").is_enabled()
    app.click("undo")
    assert params(app) == after_step
    assert app.text("step-count") == "1" and app.text("epoch-count") == "0"
    app.click("undo")
    assert params(app) == start
    assert app.text("step-count") == "0"
    assert app.page.evaluate(hover) == drawn, "the diagram shows the restored weights"


def test_downloads_json_and_chart_png(app):
    app.open()
    app.click("epoch")
    app.page.locator("#tools summary").click()
    with app.page.expect_download() as dl:
        app.by("download-json").click()
    doc = json.loads(open(dl.value.path()).read())
    assert doc["format"] == "mlp-playground-session"
    assert doc["state"]["config"]["dataset"]["name"] == "xor" and doc["state"]["epoch"] == 1
    app.page.locator("#tools summary").click()
    with app.page.expect_download() as dl:
        app.by("download-loss-png").click()
    assert dl.value.suggested_filename.endswith(".png")
    assert open(dl.value.path(), "rb").read(8) == b"\x89PNG\r\n\x1a\n"



def test_report_downloads_and_opens_with_its_figures(app, page_log):
    app.open()
    app.click("epoch")
    app.page.locator("#tools summary").click()
    with app.page.expect_download() as dl:
        app.by("download-report").click()
    assert dl.value.suggested_filename == f"mlp-playground-report-{session_id(app)}.html"
    html = open(dl.value.path(), encoding="utf-8").read()
    assert "<script src=" not in html, "Plotly.js is inlined, not fetched"
    # Open the report as a file would be opened: self-contained (no request leaves), its figures drawn.
    report = app.page.context.new_page()
    report.on("request", page_log.request)
    report.set_content(html, wait_until="load")
    report.wait_for_selector(".plotly-graph-div .main-svg")
    assert report.locator(".plotly-graph-div").count() >= 3
    assert "xor" in report.inner_text("body")
    report.close()


def test_schedule_early_stopping_and_metrics(app):
    app.open()
    app.page.locator("#schedule-block summary").click()
    app.select("schedule", "step")
    app.enter("schedule-step-size", "1")
    app.enter("schedule-gamma", "0.5")
    for _ in range(3):
        app.click("epoch")
    rates = next(t for t in app.chart("lr-chart"))["y"]
    # The rate each epoch trained with: halved after every epoch (the server's history, drawn as it is).
    assert rates == pytest.approx([0.1, 0.05, 0.025])
    assert rates == api(app, f"/api/sessions/{session_id(app)}?include=history")["history"]["learning_rate"]
    metrics = {t["name"]: t["y"] for t in app.chart("metrics-chart")}
    assert set(metrics) == {"train accuracy", "test accuracy"}
    assert len(metrics["train accuracy"]) == 3 and all(0 <= v <= 100 for v in metrics["test accuracy"])
    assert "%" in app.page.locator("#metrics-last").inner_text()
    # Early stopping: after epoch 1 an improvement of 10 in the test loss never comes: patience 2 stops at epoch 3.
    app.by("early-stopping").check()
    app.idle()
    app.enter("patience", "2")
    app.enter("min-delta", "10")
    assert hash_config(app)["optimizer.early_stopping.patience"] == 2
    for _ in range(4):
        app.click("epoch")
    assert app.by("stopped").is_visible()
    assert app.text("epoch-count") == "3" and app.text("stopped") == "epoch 3"
    app.click("reset")
    assert not app.by("stopped").is_visible()
    # Regression shows RMSE and R².
    app.select("dataset", "sine")
    app.click("epoch")
    names = {t["name"] for t in app.chart("metrics-chart")}
    assert {"train RMSE", "test RMSE", "train R²", "test R²"} <= names
    app.page.locator("#metrics-chart").scroll_into_view_if_needed()
    app.shot("tf-metrics.png")


def test_output_view_toggles(app):
    app.open()
    assert any(t["name"] and t["name"].startswith("test") for t in app.chart("output-chart"))
    app.by("show-test").uncheck()
    app.idle()
    assert not any(t["name"] and t["name"].startswith("test") for t in app.chart("output-chart"))
    app.by("discretize").check()
    app.idle()
    grid = next(t for t in app.chart("output-chart") if t["type"] == "heatmap")["z"]
    assert {v for row in grid for v in row} <= {0, 1}
    seed = hash_config(app)["dataset.seed"]
    app.click("regenerate")
    assert hash_config(app)["dataset.seed"] != seed
    assert app.by("discretize").is_checked(), "the toggles stay as they were"
