"""The seed's numerical example, stepped through in the browser: every number of the seed
must be on screen (x = [1, 2], y = [1], W[0] = [[0.1, 0.2], [0.3, 0.4]], W[1] = [[0.5, 0.6]])."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def load_worked_example(app) -> None:
    app.open()
    app.click("preset-worked-example")
    assert app.by("dataset").input_value() == "inline"
    assert app.page.locator("#network").get_attribute("data-layers") == "2-2-1"


def test_step_shows_every_number_of_the_seed(app):
    load_worked_example(app)
    app.click("step")  # animates forward, loss, backward, update; idle() waits for the end

    assert app.text("loss-value") == "0.00405"
    assert app.text("epoch-count") == "1"
    assert app.page.locator("#trace-body").get_attribute("data-stage") == "update"

    app.stage("forward-0")
    assert app.quantity("X") == ["1", "2"]
    assert app.quantity("W[0]") == ["0.1", "0.2", "0.3", "0.4"]
    assert app.quantity("z[0]") == ["0.5", "1.1"]
    assert app.quantity("a[0]") == ["0.5", "1.1"]

    app.stage("forward-1")
    assert app.quantity("W[1]") == ["0.5", "0.6"]
    assert app.quantity("ŷ = a[1]") == ["0.91"]

    app.stage("loss")
    assert app.quantity("L") == ["0.00405"]
    assert app.quantity("y") == ["1"]

    app.stage("backward-1")
    assert app.quantity("delta[1]") == ["-0.09"]
    assert app.quantity("dW[1]") == ["-0.045", "-0.099"]
    assert app.quantity("db[1]") == ["-0.09"]

    app.stage("backward-0")
    assert app.quantity("delta[1] · W[1]") == ["-0.045", "-0.054"]  # the seed's dL/dh
    assert app.quantity("relu′(z[0])") == ["1", "1"]
    assert app.quantity("delta[0]") == ["-0.045", "-0.054"]
    assert app.quantity("dW[0]") == ["-0.045", "-0.09", "-0.054", "-0.108"]
    assert app.quantity("db[0]") == ["-0.045", "-0.054"]
    # The diagram carries the same numbers: deltas on the neurons, dW[0] on the links.
    labels = app.page.evaluate("document.getElementById('network').diagram.labels")
    for text in ("δ -0.045", "δ -0.054", "δ -0.09", "-0.108"):
        assert text in labels, (text, labels)
    app.shot("worked-example-step.png")

    app.stage("update")  # W <- W - 0.1 dW
    assert app.quantity("W[1] after") == ["0.5045", "0.6099"]
    assert app.quantity("W[0] after") == ["0.1045", "0.209", "0.3054", "0.4108"]


def test_arrow_keys_walk_the_stages_and_step_at_the_end(app):
    load_worked_example(app)
    stage = lambda: app.page.locator("#trace-body").get_attribute("data-stage")  # noqa: E731

    app.page.keyboard.press("ArrowRight")  # no trace yet: takes a Step, shows its first stage
    app.idle()
    assert stage() == "forward-0"
    assert app.text("epoch-count") == "1"
    assert app.quantity("z[0]") == ["0.5", "1.1"]

    for expected in ("forward-1", "loss", "backward-1", "backward-0", "update"):
        app.page.keyboard.press("ArrowRight")
        assert stage() == expected
    app.page.keyboard.press("ArrowLeft")
    assert stage() == "backward-0"
    app.page.keyboard.press("ArrowRight")

    app.page.keyboard.press("ArrowRight")  # at the end: the next Step, from the updated weights
    app.idle()
    assert stage() == "forward-0"
    assert app.text("epoch-count") == "2"
    assert app.quantity("W[0]") == ["0.1045", "0.209", "0.3054", "0.4108"]
    assert app.text("loss-value") != "0.00405"
