"""The network diagram on its canvas: one link per weight and one disc per neuron drawn (a wide
layer folded to its first eight neurons, "⋮ n more" and the last), negative links dashed as well
as orange, painted pixels, and a click on a link choosing that weight for the chain-rule panel."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

DIAGRAM = "document.getElementById('network').diagram"


def drawn(app) -> dict:
    return app.page.evaluate(f"""() => {{ const d = {DIAGRAM};
        return {{links: d.links.map(l => l.ids), neurons: d.neurons.map(n => n.ids), labels: d.labels,
                 signs: d.links.map(l => [l.value, l.dashed])}}; }}""")


def painted(app) -> int:
    """How many pixels of the diagram's canvas are not the paper's white."""
    return app.page.evaluate("""() => { const c = document.querySelector('#network canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let p = 0; p < d.length; p += 4) if (d[p] < 240 || d[p + 1] < 240 || d[p + 2] < 240) n += 1;
        return n; }""")


def test_xor_draws_every_link_and_neuron_and_dashes_the_negative_links(app):
    app.open()
    assert app.page.locator("#network").get_attribute("data-layers") == "2-8-8-1"
    d = drawn(app)
    assert len(d["links"]) == 2 * 8 + 8 * 8 + 8 * 1
    assert len(d["neurons"]) == 2 + 8 + 8 + 1
    assert sorted(map(tuple, d["links"])) == sorted({(0, i, j) for i in range(8) for j in range(2)}
                                                    | {(1, i, j) for i in range(8) for j in range(8)}
                                                    | {(2, 0, j) for j in range(8)})
    assert all(dashed == (value < 0) for value, dashed in d["signs"])
    assert any(dashed for _, dashed in d["signs"]) and not all(dashed for _, dashed in d["signs"])
    assert painted(app) > 2000
    assert "a[1] (8)<br>relu" in d["labels"]


def test_a_wide_layer_is_folded(app, server_url):
    app.open(f"{server_url}#model.layers=[2,30,1]")
    assert app.page.locator("#network").get_attribute("data-layers") == "2-30-1"
    d = drawn(app)
    hidden = [i for k, i in d["neurons"] if k == 1]
    assert hidden == list(range(8)) + [29]
    assert len(d["neurons"]) == 2 + 9 + 1
    assert len(d["links"]) == 2 * 9 + 9 * 1
    assert "⋮ 21 more" in d["labels"]


def test_a_click_on_a_link_chooses_that_weight_for_the_chain_rule(app):
    app.open()
    app.click("step")
    draws = app.page.evaluate("Number(document.querySelector('[data-testid=chain-rule]').dataset.draws || 0)")
    p = app.page.evaluate("document.getElementById('network').diagramPoint('link', [1, 5, 3])")
    assert p, "the link W[1][5][3] has a point of its own"
    app.page.mouse.move(p["x"], p["y"])
    tip = app.page.locator(".diagram-tip")
    tip.wait_for(state="visible")
    assert "[1][5][3] = " in tip.inner_text()  # W, or W (updated) at the Step's last stage
    app.page.mouse.click(p["x"], p["y"])
    app.wait_for("n => Number(document.querySelector('[data-testid=chain-rule]').dataset.draws || 0) > n", draws)
    app.idle()
    assert [app.by(s).input_value() for s in ("chain-layer", "chain-out", "chain-in")] == ["1", "5", "3"]
    assert "W[1][5][3]" in app.by("param-editor").inner_text()
