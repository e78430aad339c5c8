"""The remedies on the page: an activation per hidden layer in the network editor, batch
norm, residual connections, dropout and L1 in the controls and the URL; the diagram draws
the skips and greys the neurons a Step dropped; the step-through shows the batch-norm and
dropout stages with the trace's numbers; the gradient check keeps the Step's masks."""
from __future__ import annotations

from urllib.parse import unquote

import pytest

pytestmark = pytest.mark.browser


def hash_parts(app) -> list[str]:
    return unquote(app.page.url.split("#", 1)[1]).split("&")


def skip_arcs(app) -> list[dict]:
    """The residual arcs the diagram drew (what it describes as drawn, `el.diagram`)."""
    return app.page.evaluate("document.getElementById('network').diagram.skips")


def greyed(app) -> int:
    return app.page.evaluate("""() => document.getElementById('network').diagram.neurons
        .filter(n => n.dropped).length""")


def full(app, name: str) -> list[str]:
    """Every number of a quantity, from its "show all" table (the preview is cut down)."""
    box = app.page.locator(f'#trace-body .qty[data-name="{name}"]').first
    return [c.strip() for c in box.locator(".full table.mat td").all_text_contents()]


def set_up(app) -> None:
    app.open()
    app.select("dataset", "moons")
    app.select("layer-activation-1", "tanh")
    app.by("batch-norm").check()
    app.idle()
    app.by("residual").check()
    app.idle()
    app.enter("dropout", "0.4")
    app.enter("l1", "0.001")


def test_the_controls_reach_the_url_and_the_diagram(app):
    set_up(app)
    parts = hash_parts(app)
    for part in ('model.activation=["relu","tanh"]', "model.batch_norm=true", "model.residual=true",
                 "model.dropout=0.4", "optimizer.l1=0.001"):
        assert part in parts, (part, parts)
    # 2-8-8-1: hidden layer 1 is as wide as hidden layer 0, so one skip is drawn.
    assert len(skip_arcs(app)) == 1
    notes = app.page.evaluate("document.getElementById('network').diagram.labels")
    assert "+ a[0]" in notes and "tanh" in " ".join(notes)

    # A shared link restores every control.
    url = app.page.url
    app.page.goto("about:blank")
    app.open(url)
    assert app.by("layer-activation-0").input_value() == "relu"
    assert app.by("layer-activation-1").input_value() == "tanh"
    assert app.by("batch-norm").is_checked() and app.by("residual").is_checked()
    assert float(app.by("dropout").input_value()) == 0.4
    assert float(app.by("l1").input_value()) == 0.001

    # One name for every layer again: the plain string, and no list in the link.
    app.select("layer-activation-1", "relu")
    assert "model.activation=relu" in hash_parts(app)
    app.by("residual").uncheck()
    app.idle()
    assert skip_arcs(app) == []
    assert not any(p.startswith("model.residual") for p in hash_parts(app))


def test_adding_a_layer_extends_the_activation_list(app):
    app.open()
    app.select("layer-activation-1", "sigmoid")
    app.click("layer-add")
    assert 'model.activation=["relu","sigmoid","sigmoid"]' in hash_parts(app)
    assert app.by("layer-activation-2").input_value() == "sigmoid"


def test_the_step_through_shows_batch_norm_and_dropout(app):
    set_up(app)
    app.click("step")
    app.stage("forward-0")
    body = app.page.locator("#trace-body").inner_text()
    assert "z_hat[0] = (z[0] − mean) / √(var + 1e-5)" in body
    assert "u[0] = γ[0] ⊙ z_hat[0] + β[0]" in body
    assert "relu(u[0]) ⊙ mask[0] / (1 − p)   with p = 0.4" in body
    m = int(app.page.evaluate("document.getElementById('ctl-batch').value"))
    mask = full(app, "mask[0]")
    assert len(mask) == m * 8 and set(mask) <= {"0", "1"}
    assert len(full(app, "z_hat[0]")) == m * 8 and full(app, "γ[0]") == ["1"] * 8
    # The diagram greys the neurons this Step dropped for the sample it shows (row 0 of each mask).
    app.stage("forward-1")
    row0 = mask[:8].count("0") + full(app, "mask[1]")[:8].count("0")
    assert row0 > 0 and greyed(app) == row0
    assert "grey neurons: dropped by dropout in this Step" in app.page.locator("#network-caption").inner_text()
    assert "a[1] = tanh(u[1]) ⊙ mask[1] / (1 − p)   with p = 0.4  + a[0]   (skip)" in \
        app.page.locator("#trace-body").inner_text()

    app.stage("backward-0")
    body = app.page.locator("#trace-body").inner_text()
    assert "dγ[0] = Σ du ⊙ z_hat[0]" in body and "(0: the batch mean cancels b)" in body
    assert len(full(app, "dγ[0]")) == 8 and len(full(app, "dβ[0]")) == 8
    assert len(full(app, "relu′(u[0])")) == m * 8

    app.click("gradcheck")
    verdict = app.page.locator("#gradcheck-result .verdict").inner_text()
    assert verdict.startswith("✓ passed"), verdict
    assert "γ relative error" in app.page.locator("#gradcheck-result").inner_text()


def test_the_picker_edits_a_batch_norm_scale(app):
    app.open()
    app.by("batch-norm").check()
    app.idle()
    app.page.locator("#param-pick > summary").click()
    options = app.page.locator("#wpick-param option").evaluate_all("os => os.map(o => o.value)")
    assert {"gamma:0", "beta:0", "gamma:1", "beta:1"} <= set(options) and "gamma:2" not in options  # hidden layers only
    app.page.locator("#wpick-param").select_option("gamma:1")
    assert not app.page.locator("#wpick-j-label").is_visible()
    app.page.locator("#wpick-i").fill("3")
    app.by("wpick-edit").click()
    editor = app.by("param-editor")
    assert editor.is_visible() and "gamma[1][3]" in editor.inner_text()
    app.by("param-value").fill("0.5")
    app.by("param-value").press("Enter")
    app.idle()
    sid = app.page.evaluate("document.body.dataset.session")
    params = app.page.evaluate("id => fetch(`/api/sessions/${id}?include=params`).then(r => r.json())", sid)["params"]
    assert params[1]["gamma"][3] == 0.5 and params[1]["gamma"][2] == 1.0
