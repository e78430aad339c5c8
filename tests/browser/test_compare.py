"""Runs side by side: Compare forks the run on screen into B, the next change in the sidebar makes
B differ, and Epoch, Step and Play then drive both; the charts overlay them, the output views stand
side by side, a table gives their numbers, and Stop comparing keeps the run of the learner's choice."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

EPOCHS = 20


def table(app) -> dict[str, list[str]]:
    return app.page.evaluate("""() => Object.fromEntries([...document.querySelectorAll(
        '[data-testid="compare-table"] tbody tr')].map(r => [r.dataset.run, [...r.cells].map(c => c.textContent.trim())]))""")


def session_of(app, sid: str) -> dict:
    return app.page.evaluate("id => fetch(`/api/sessions/${id}`).then(r => r.json())", sid)


def test_two_learning_rates_on_xor_for_20_epochs_on_one_chart(app):
    app.open()
    assert app.by("dataset").input_value() == "xor"
    app.click("compare")
    assert app.by("compare-panel").is_visible() and app.text("compare") == "Stop comparing"
    app.enter("learning-rate", "0.5")  # B differs in the learning rate
    rows = table(app)
    assert set(rows) == {"A", "B"} and "optimizer.learning_rate = 0.5" in rows["B"][1]
    a_id = app.page.evaluate("document.body.dataset.session")
    a = session_of(app, a_id)
    assert a["config"]["optimizer"]["learning_rate"] == 0.1  # A is as it was

    for _ in range(EPOCHS):
        app.click("epoch")
    assert app.text("epoch-count") == str(EPOCHS)
    rows = table(app)
    assert rows["A"][2] == rows["B"][2] == str(EPOCHS)

    curves = {t["name"]: t for t in app.chart("loss-chart")}
    assert {"A train", "B train", "A test", "B test"} <= set(curves)
    a_train, b_train = curves["A train"]["y"], curves["B train"]["y"]
    assert len(a_train) == len(b_train) == EPOCHS
    assert a_train != b_train  # two learning rates, two curves
    assert float(rows["A"][4]) == pytest.approx(a_train[-1], rel=1e-5)
    assert float(rows["B"][4]) == pytest.approx(b_train[-1], rel=1e-5)
    norms = [t["name"] for t in app.chart("grad-norm-chart")]
    assert "A layer 0" in norms and "B layer 0" in norms
    rates = {t["name"]: t["y"] for t in app.chart("lr-chart")}
    assert rates["A learning rate"] == [0.1] * EPOCHS and rates["B learning rate"] == [0.5] * EPOCHS
    assert app.page.locator("#lr-last").inner_text() == "η now: A 0.1 · B 0.5"
    symbols = dict(app.page.evaluate(
        "() => document.querySelector('[data-testid=loss-chart]').data.map(t => [t.name, t.marker.symbol])"))
    assert symbols["A train"] != symbols["B train"]  # A and B differ by marker, not by colour alone
    assert any(t["type"] == "heatmap" for t in app.chart("output-chart-b")), "B's boundary beside A's"
    assert app.by("output-chart-b").is_visible() and app.by("output-chart").is_visible()
    app.page.set_viewport_size({"width": 1280, "height": 1280})  # the table, both charts and both outputs
    app.page.locator("#compare-panel").evaluate("el => el.scrollIntoView({block: 'start'})")
    app.shot("practice/compare-xor.png")
    app.page.set_viewport_size({"width": 1280, "height": 800})

    # Play drives both, in lockstep
    app.by("play").click()  # playing keeps the page busy: no idle() until it pauses
    assert app.by("play").get_attribute("aria-pressed") == "true"
    app.wait_for("Number(document.querySelector('[data-testid=epoch-count]').textContent) >= 23")
    app.click("play")
    app.idle()
    rows = table(app)
    assert rows["A"][2] == rows["B"][2] and int(rows["A"][2]) >= 23

    # Stop comparing, keeping B: the page goes on with B's run (learning rate 0.5)
    app.click("compare")
    assert app.by("compare-menu").is_visible()
    app.click("compare-keep-b")
    assert not app.by("compare-panel").is_visible() and app.text("compare") == "Compare"
    assert app.by("learning-rate").input_value() == "0.5"
    assert app.text("epoch-count") == rows["B"][2]
    assert [t["name"] for t in app.chart("loss-chart")][:1] == ["train"]
    app.log.expect_error("404")  # A was deleted: asking for it is refused, as it should be
    assert app.page.evaluate("id => fetch(`/api/sessions/${id}`).then(r => r.status)", a_id) == 404
