"""The chain rule with batch norm in the browser, reached as a learner reaches it: the remedies
lesson ends with a link to its batch-norm session's chain rule; a Step there, and the panel
shows the delta through gamma, z_hat and the batch's mean and variance, with dgamma and dbeta."""
from __future__ import annotations

import pytest

from test_lessons import start_lesson
from test_remedies import set_up

pytestmark = pytest.mark.browser

CHAIN = """([sid, l, i, j]) => fetch(`/api/sessions/${sid}/chain?layer=${l}&out=${i}&in=${j}`).then(r => r.json())"""


def test_the_remedies_lesson_links_to_batch_norms_chain_rule(app):
    app.open()
    start_lesson(app, "vanishing-gradients-cured", quick=True)
    line = app.by("lesson-follow-up")
    assert "Open the chain rule on the batch-norm session" in line.inner_text()
    link = app.by("lesson-follow-up-link")
    sid = link.get_attribute("data-session")
    app.click("lesson-follow-up-link")
    assert app.by("lessons").is_hidden()
    config = app.page.evaluate("sid => fetch(`/api/sessions/${sid}`).then(r => r.json())", sid)["config"]
    assert config["model"]["batch_norm"] is True
    app.wait_for("() => document.querySelector('#chain-rule')?.getBoundingClientRect().top < window.innerHeight")
    app.click("step")
    app.wait_for("() => document.querySelector('[data-testid=chain-bn]') !== null")
    bn = app.text("chain-bn")
    assert "Batch norm of unit 0: gamma[0][0] = " in bn
    assert "dgamma[0][0] = sum_s du * z_hat" in bn and "dbeta[0][0] = sum_s du" in bn
    # The numbers are the server's: the panel writes the same dgamma and the three terms of a delta.
    c = app.page.evaluate(CHAIN, [sid, 0, 0, 0])
    assert c["remedies"]["batch_norm"] and c["batch_norm"]["dgamma"] is not None
    how = app.page.locator("#chain-body").inner_text()
    assert "the batch mean's term" in how and "the batch variance's term" in how
    first = app.by("chain-deltas").locator("li").first
    for term in ("direct", "mean", "var"):
        assert first.locator(f"[data-term={term}]").count() == 1
    assert "dz_hat = gamma * du" in first.inner_text()
    app.page.get_by_test_id("chain-rule").scroll_into_view_if_needed()
    app.shot("chain-rule-batch-norm.png")


def test_the_graph_and_the_chain_rule_with_every_remedy(app):
    set_up(app)  # moons, 2-8-8-1, batch norm, residual, dropout 0.4, L1
    app.click("step")
    app.select("chain-layer", "0")
    app.select("chain-out", "3")
    app.wait_for("() => document.querySelector('[data-testid=chain-dw]')?.textContent.startsWith('dW[0][3][0]')")
    body = app.page.locator("#chain-body")
    # Layer 1 adds a[0]: a[0]'s gradient arrives along W[1] and along the skip, two named terms.
    assert "(along the skip)" in body.inner_text()
    first = app.by("chain-deltas").locator("li").first
    for term in ("along-W", "along-skip", "mask", "direct", "mean", "var"):
        assert first.locator(f"[data-term={term}]").count() == 1, term
    # Dropout: every listed sample's factor is 0 (dropped, no gradient goes on) or 1/(1 - 0.4).
    masks = body.locator("[data-term=mask]").evaluate_all("els => els.map(e => e.textContent)")
    assert masks and all(t == "mask 1/(1-p) = 1.667" or t.startswith("mask 0 (dropped") for t in masks)
    graph = app.by("chain-graph")
    kinds = set(graph.locator("g.node").evaluate_all("els => els.map(e => e.dataset.node.replace(/[0-9_]+$/, ''))"))
    assert kinds == {"x", "z", "u", "f", "a", "loss"}
    assert graph.locator("path[data-edge=skip]").count() == 8  # a[0] -> a[1], one per unit
    assert graph.locator("path[data-edge=skip]").first.get_attribute("stroke-dasharray") == "6 4"
    assert "dashed: the skip" in graph.inner_text() and "the mask's factor" in graph.inner_text()
    app.page.get_by_test_id("chain-rule").scroll_into_view_if_needed()
    app.shot("chain-rule-remedies.png")
    app.shot("chain-graph-remedies.png", graph)
