"""The chain rule with batch norm in the browser, reached as a learner reaches it: the remedies
lesson ends with a link to its batch-norm session's chain rule; a Step there, and the panel
shows the delta through gamma, z_hat and the batch's mean and variance, with dgamma and dbeta."""
from __future__ import annotations

import pytest

from test_lessons import start_lesson

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
