"""Configuration: the architecture editor redraws the diagram, every control lands in the
URL hash, and opening that URL reproduces the run (same config, same epoch, same loss)."""
from __future__ import annotations

from urllib.parse import unquote

import pytest

pytestmark = pytest.mark.browser


def layers_drawn(app) -> str:
    return app.page.locator("#network").get_attribute("data-layers")


def neurons_drawn(app) -> int:
    return app.page.evaluate("document.getElementById('network').diagram.neurons.length")


def test_architecture_editor_redraws_the_diagram(app):
    app.open()
    assert layers_drawn(app) == "2-8-8-1"
    assert neurons_drawn(app) == 2 + 8 + 8 + 1

    app.click("layer-add")
    assert layers_drawn(app) == "2-8-8-8-1"
    assert neurons_drawn(app) == 2 + 8 + 8 + 8 + 1
    assert [t["name"] for t in app.chart("grad-norm-chart")] == [], "a new run has no epochs yet"

    app.click("neurons-plus-0")
    app.click("neurons-minus-2")
    assert layers_drawn(app) == "2-9-8-7-1"
    assert neurons_drawn(app) == 2 + 9 + 8 + 7 + 1

    app.click("layer-remove")
    app.click("layer-remove")
    assert layers_drawn(app) == "2-9-1"
    assert "model.layers=[2,9,1]" in unquote(app.page.url)

    # A wide layer is drawn capped, with the rest summarised.
    for _ in range(3):
        app.click("neurons-plus-0")
    assert layers_drawn(app) == "2-12-1"
    assert neurons_drawn(app) == 2 + 9 + 1
    notes = app.page.evaluate("document.getElementById('network').diagram.labels")
    assert "⋮ 3 more" in notes


def test_url_round_trips_the_configuration_and_the_run(app):
    app.open()
    app.select("dataset", "moons")
    app.select("activation", "tanh")
    app.enter("learning-rate", "0.05")
    app.enter("seed", "7")
    app.click("neurons-plus-1")
    for _ in range(3):
        app.click("epoch")
    app.click("step")

    url = app.page.url
    hash_ = unquote(url.split("#", 1)[1])
    for part in ("dataset.name=moons", "model.activation=tanh", "optimizer.learning_rate=0.05",
                 "seed=7", "model.layers=[2,8,9,1]", "progress.stage=7"):
        assert part in hash_.split("&"), (part, hash_)
    shown = {
        "epoch": app.text("epoch-count"),
        "loss": app.text("loss-value"),
        "trace": app.page.locator("#trace-body").inner_text(),
    }

    # A fresh page load of the shared link (not just a hash change).
    app.page.goto("about:blank")
    app.open(url)
    assert app.by("dataset").input_value() == "moons"
    assert app.by("activation").input_value() == "tanh"
    assert float(app.by("learning-rate").input_value()) == 0.05
    assert app.by("seed").input_value() == "7"
    assert layers_drawn(app) == "2-8-9-1"
    assert app.text("epoch-count") == shown["epoch"]
    assert app.text("loss-value") == shown["loss"]  # the same run, replayed bit for bit
    assert app.page.locator("#trace-body").inner_text() == shown["trace"]
    assert unquote(app.page.url.split("#", 1)[1]) == hash_


def test_editing_the_hash_loads_that_configuration(app):
    app.open()
    url = app.page.url.replace("model.activation=relu", "model.activation=sigmoid")
    assert url != app.page.url
    app.page.evaluate("u => { window.location.hash = u.split('#')[1]; }", url)
    app.wait_for("document.querySelector('[data-testid=activation]').value === 'sigmoid'")
    app.idle()
    assert app.text("epoch-count") == "0"
