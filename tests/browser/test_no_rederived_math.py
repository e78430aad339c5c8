"""The step-through shows the engine's math as the server sends it, never a copy of its own:
``act'(z)`` is the trace's ``backward[l].act_prime`` and every formula is the text of
``GET /api/options`` -> ``formulas``. Checked on the seed's worked example, against the real
answers, against answers rewritten on the way (so a page that computed the numbers or kept
its own formula table would show something else), and without the fields ("—")."""
from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from playwright.sync_api import Route

pytestmark = pytest.mark.browser

MISSING = "—"


def fmt(x: float) -> str:
    """The page's number format for the plain values used here (6 significant digits, no trailing zeros)."""
    return f"{x:.6g}"


def rewrite(app, pattern: str, change: Callable[[dict], None]) -> None:
    """Let the real server answer requests matching ``pattern``, then ``change`` the JSON on its way to the page."""
    def handle(route: Route) -> None:
        response = route.fetch()
        body = response.json()
        change(body)
        # The body is rewritten (and sent uncompressed): the original length and encoding no longer apply.
        headers = {k: v for k, v in response.headers.items() if k.lower() not in ("content-length", "content-encoding")}
        route.fulfill(status=response.status, headers=headers, body=json.dumps(body))
    app.page.route(pattern, handle)


def step_worked_example(app) -> dict:
    """Load the seed's 2-2-1 network, take one Step, and return the BackwardTrace the page got."""
    app.open()
    app.click("preset-worked-example")
    assert app.page.locator("#network").get_attribute("data-layers") == "2-2-1"
    with app.page.expect_response(lambda r: r.url.endswith("/backward") and r.request.method == "POST") as answer:
        app.click("step")
    return answer.value.json()


def equation(app, stage: str) -> str:
    app.stage(stage)
    return app.page.locator("#trace-body .eq").first.inner_text()


def options(app) -> dict:
    return app.page.evaluate("fetch('/api/options').then(r => r.json())")


def test_the_step_through_shows_the_servers_act_prime_and_formulas(app):
    trace = step_worked_example(app)
    act_prime = trace["backward"][0]["act_prime"]
    assert act_prime == [[1.0, 1.0]], "the seed's hidden ReLUs are both on"
    assert trace["backward"][1]["act_prime"] is None, "the output layer's delta comes from the loss"
    formulas = options(app)["formulas"]

    assert formulas["activations"]["relu"]["f"] in equation(app, "forward-0")
    assert formulas["activations"]["linear"]["f"] in equation(app, "forward-1")
    assert formulas["losses"]["mse"]["value"] in equation(app, "loss")
    assert formulas["losses"]["mse"]["delta"]["linear"] in equation(app, "backward-1")
    assert formulas["activations"]["relu"]["df"] in equation(app, "backward-0")
    assert app.quantity("relu′(z[0])") == [fmt(v) for v in act_prime[0]]
    hover = app.page.evaluate("document.getElementById('network').diagram.neurons.map(n => n.text)")
    assert any(f"relu′(z) = {fmt(act_prime[0][0])}" in text for text in hover), hover


def test_the_page_shows_what_the_server_sent_not_what_it_would_compute(app):
    # Values no activation's slope could give at these z, and formula text no page would hold.
    def backward(body: dict) -> None:
        body["backward"][0]["act_prime"] = [[0.25, 0.75]]

    def formulas(body: dict) -> None:
        body["formulas"] = {
            "activations": {name: {"f": f"f-of-{name}", "df": f"df-of-{name}"} for name in body["output_activations"] + body["activations"]},
            "losses": {name: {"value": f"value-of-{name}", "delta": {o: f"delta-of-{name}-{o}" for o in body["output_activations"]}}
                       for name in body["losses"]},
        }
    rewrite(app, "**/api/sessions/*/backward", backward)
    rewrite(app, "**/api/options", formulas)
    step_worked_example(app)

    assert "f-of-relu" in equation(app, "forward-0")
    assert "value-of-mse" in equation(app, "loss")
    assert "delta-of-mse-linear" in equation(app, "backward-1")
    assert "df-of-relu" in equation(app, "backward-0")
    assert app.quantity("relu′(z[0])") == ["0.25", "0.75"]
    assert app.quantity("delta[0]") == ["-0.045", "-0.054"], "the rest of the trace is the server's as sent"


def test_without_the_fields_the_page_says_nothing_rather_than_deriving(app):
    def backward(body: dict) -> None:
        for layer in body["backward"]:
            layer.pop("act_prime", None)
    rewrite(app, "**/api/sessions/*/backward", backward)
    rewrite(app, "**/api/options", lambda body: body.pop("formulas", None))
    step_worked_example(app)

    assert f"relu(z) = {MISSING}" in equation(app, "forward-0")
    assert f"mse: {MISSING}" in equation(app, "loss")
    assert f"= {MISSING}" in equation(app, "backward-1")
    assert f"relu′(z) = {MISSING}" in equation(app, "backward-0")
    assert app.quantity("relu′(z[0])") == [MISSING]
    assert app.quantity("delta[0]") == ["-0.045", "-0.054"]
