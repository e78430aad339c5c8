"""See inside in the browser: a picture in every neuron, the chain rule of one weight with the
worked example's numbers and its graph, the distributions chart, the layout for watching Play,
and the views' redraw counters."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

DRAWS = "id => Number(document.querySelector(`[data-testid='${id}']`)?.dataset.draws || 0)"


def test_the_chain_rule_panel_shows_the_worked_examples_numbers(app):
    app.open()
    app.click("preset-worked-example")
    app.click("step")
    panel = app.by("chain-rule")
    assert panel.is_visible()
    app.select("chain-layer", "0")
    app.select("chain-out", "1")
    app.select("chain-in", "0")
    app.wait_for("() => document.querySelector('[data-testid=chain-dw]')?.textContent.startsWith('dW[0][1][0]')")
    assert app.text("chain-dw") == "dW[0][1][0] = -0.054 = -0.054 * 1"
    deltas = app.by("chain-deltas").inner_text()
    assert "delta[0][0][1] = (-0.09 * 0.6) * 1 = -0.054" in deltas
    # The graph of the sample: a node per x, z, a and the loss, the chosen weight's path in colour.
    graph = app.by("chain-graph")
    nodes = graph.locator("g.node")
    assert nodes.count() == 8
    hot = sorted(graph.locator("g.node.hot").evaluate_all("els => els.map(e => e.dataset.node)"))
    assert hot == ["a0_1", "loss", "x0", "z0_1", "z1_0"]
    # The output layer's weight: its delta from the loss.
    app.select("chain-layer", "1")
    app.select("chain-in", "1")
    app.wait_for("() => document.querySelector('[data-testid=chain-dw]')?.textContent.startsWith('dW[1][0][1]')")
    assert app.text("chain-dw") == "dW[1][0][1] = -0.099 = -0.09 * 1.1"
    assert "delta[1][0][0] = (yhat - y) / m = (0.91 - 1) / 1 = -0.09" in app.by("chain-deltas").inner_text()
    app.select("chain-layer", "0")
    app.select("chain-out", "1")
    app.select("chain-in", "0")
    app.page.get_by_test_id("chain-rule").scroll_into_view_if_needed()
    app.shot("chain-rule.png")


def test_xor_shows_one_picture_per_neuron_and_the_distributions_draw(app):
    app.open()
    layers = [int(n) for n in app.page.locator("#network").get_attribute("data-layers").split("-")]
    pictures = app.page.locator("[data-testid=neuron-picture]")
    assert pictures.count() == sum(layers[1:])
    want = sorted(f"{l},{n}" for l, width in enumerate(layers[1:]) for n in range(width))
    assert sorted(pictures.evaluate_all("els => els.map(e => e.dataset.neuron)")) == want
    # Each picture is painted (not one flat colour).
    flat = pictures.evaluate_all("""els => els.map(c => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        const seen = new Set();
        for (let p = 0; p < d.length; p += 16) seen.add(`${d[p]},${d[p + 1]},${d[p + 2]}`);
        return seen.size; })""")
    assert all(n > 3 for n in flat), flat
    # Focusing one shows it larger with its scale.
    pictures.first.focus()
    big = app.page.locator(".neuron-big")
    assert big.is_visible() and "a[0] neuron 0" in big.inner_text()
    pictures.first.blur()
    before = app.page.evaluate(DRAWS, "neuron-pictures")
    app.click("epoch")
    app.click("epoch")
    app.wait_for(f"() => ({DRAWS})('neuron-pictures') > {before}")
    chart = app.chart("distributions-chart")
    assert chart and chart[0]["x"] == [1, 2]
    median = next(t for t in chart if t["name"] == "median")
    assert len(median["y"]) == 2
    app.select("dist-kind", "dW")
    assert app.chart("distributions-chart")[0]["x"] == [1, 2]


def test_while_play_runs_the_output_and_the_diagram_are_on_screen_and_the_views_count_redraws(app):
    app.open()
    app.click("play")
    views = ["network", "output-chart", "loss-chart", "neuron-pictures"]
    start = {v: app.page.evaluate(DRAWS, v) for v in views}
    app.wait_for("([views, start, draws]) => views.every(v => Number(document.querySelector(`[data-testid='${v}']`)"
                 "?.dataset.draws || 0) >= start[v] + 3)", [views, start, None])
    for testid in ("network", "output-chart"):
        box = app.by(testid).bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= 800, (testid, box)
    # the step-through makes room while nobody steps: its header alone stays (Practice, the stage buttons)
    assert not app.page.locator("#trace-body").is_visible() and app.by("practice-toggle").is_visible()
    app.wait_for("() => Number(document.getElementById('epoch-count').textContent) >= 40")
    app.shot("neuron-pictures.png")
    app.by("play").click()
    app.idle()
    # After Pause the distributions cover every epoch so far.
    epochs = int(app.text("epoch-count"))
    app.wait_for("n => (document.querySelector('[data-testid=distributions-chart]').data || [])[0]?.x.length === n", epochs)
    app.select("dist-kind", "dW")
    app.page.get_by_test_id("distributions-chart").scroll_into_view_if_needed()
    app.shot("distributions.png")


def test_data_that_is_not_2d_shows_a_histogram_in_every_neuron(app):
    app.open()
    app.select("dataset", "sine")
    app.wait_for("() => document.getElementById('network').dataset.layers?.startsWith('1-')")
    app.idle()
    layers = [int(n) for n in app.page.locator("#network").get_attribute("data-layers").split("-")]
    pictures = app.page.locator("[data-testid=neuron-picture]")
    assert pictures.count() == sum(layers[1:])
    painted = pictures.evaluate_all("""els => els.map(c => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let blue = 0;
        for (let p = 0; p < d.length; p += 4) if (d[p + 2] > 150 && d[p] < 80) blue += 1;
        return blue; })""")
    assert all(n > 0 for n in painted), painted  # every neuron has histogram bars
    pictures.first.focus()
    assert "over the minibatch" in app.page.locator(".neuron-big").inner_text()


def test_the_chain_rule_panel_adds_the_l1_term_with_the_sign_the_server_gives(app):
    import json
    import urllib.request

    app.open()
    app.click("preset-worked-example")
    app.enter("l1", "0.5")
    app.click("step")
    app.select("chain-layer", "0")
    app.select("chain-out", "1")
    app.select("chain-in", "0")
    app.wait_for("() => document.querySelector('[data-testid=chain-dw]')?.textContent.includes(' + 0.5 * ')")
    sid = app.page.evaluate("document.body.dataset.session")
    with urllib.request.urlopen(f"{app.url.split('#')[0].rstrip('/')}/api/sessions/{sid}/chain?layer=0&out=1&in=0",
                                timeout=60) as r:
        c = json.load(r)
    assert c["l1"] == 0.5 and c["l1_term"] == 0.5 * c["sign"]
    sign = {1.0: "1", -1.0: "-1", 0.0: "0"}[c["sign"]]
    text = app.text("chain-dw")
    assert text.startswith("dW[0][1][0] = ") and text.endswith(f" + 0.5 * {sign}"), text
    assert "+ l1 * sign(W[0][1][0])" in app.by("chain-rule").inner_text()
