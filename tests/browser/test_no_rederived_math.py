"""Every panel shows the engine's math as the server sends it, never a copy of its own:
``act'(z)`` is the trace's ``backward[l].act_prime``, ``delta · W`` its ``backward[l].da``, each
hidden layer's activation and skip and batch norm's ``eps`` are the trace's and the session's,
every formula is the text of ``GET /api/options`` -> ``formulas``, and the presets, the output
choices and the limits are the server's too. Checked on the worked example, against the real
answers, against answers rewritten on the way (so a page that computed the numbers or kept its
own copy would show something else) in every panel (diagram, step-through, practice hints, chain
rule, lessons, controls), and without the fields ("—")."""
from __future__ import annotations

import json
import math
import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Route

from practice_tools import hints, link, practice_at, value_of

pytestmark = pytest.mark.browser

MISSING = "—"


def fmt(x: float) -> str:
    """The page's number format for the plain values used here (6 significant digits, no trailing zeros)."""
    return f"{x:.6g}"


def rewrite(app, pattern: str, change: Callable[[dict], None]) -> None:
    """Let the real server answer requests matching ``pattern``, then ``change`` the JSON on its way to the page."""
    def handle(route: Route) -> None:
        response = route.fetch()
        if "json" not in response.headers.get("content-type", ""):  # e.g. a DELETE's 204
            route.fulfill(response=response)
            return
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


# ---------------------------------------------------------------- every panel, answers rewritten
WORKED = {"dataset.name": "inline", "dataset.X": [[1, 2]], "dataset.y": [[1]], "model.layers": [2, 2, 1],
          "model.weights": [[[0.1, 0.2], [0.3, 0.4]], [[0.5, 0.6]]], "model.biases": [[0, 0], [0]],
          "optimizer.name": "sgd", "optimizer.learning_rate": 0.1, "optimizer.batch_size": 1, "seed": 0}


def on_sessions(app, change: Callable[[dict], None]) -> None:
    """Rewrite every SessionState and BackwardTrace the page gets (the keys both carry)."""
    def both(body: dict) -> None:
        if isinstance(body, dict) and "hidden_activations" in body:
            change(body)
    rewrite(app, re.compile(r".*/api/sessions(/[^/]+(/backward)?)?(\?.*)?$"), both)


def test_the_step_through_and_practice_show_the_servers_delta_w(app):
    def backward(body: dict) -> None:
        body["backward"][1]["da"] = [[0.111111, 0.222222]]
    rewrite(app, "**/api/sessions/*/backward", backward)
    app.open()
    app.click("preset-worked-example")
    app.click("step")
    app.stage("backward-0")
    assert app.quantity("delta[1] · W[1]") == ["0.111111", "0.222222"]

    app.click("practice-toggle")  # the stage on screen (backward-0) now asks for its numbers
    got = hints(app)
    assert "= 0.111111" in got["delta[0][0][0]"] and "= 0.222222" in got["delta[0][0][1]"], got


def test_the_diagram_trace_and_controls_show_the_servers_activations_and_skips(app):
    def structure(body: dict) -> None:
        body["hidden_activations"] = ["tanh"]
        body["skip"] = [True]
    on_sessions(app, structure)
    app.open()
    app.click("preset-worked-example")
    diagram = app.page.evaluate("(() => { const d = document.getElementById('network').diagram;"
                                " return {skips: d.skips.map(s => s.text), neurons: d.neurons.map(n => n.text)}; })()")
    assert diagram["skips"] == ["skip: a[0] = tanh(…) + a[-1]"], diagram
    assert any("a[0] · tanh" in text for text in diagram["neurons"]), diagram
    assert app.by("layer-activation-0").input_value() == "tanh"
    app.click("step")
    forward = equation(app, "forward-0")
    assert "a[0] = tanh(z[0])" in forward and "+ a[-1]" in forward and "(skip)" in forward, forward


def test_batch_norms_eps_is_the_servers_in_the_trace_and_the_hints(app):
    def eps(body: dict) -> None:
        body["bn_eps"] = 0.25
    rewrite(app, "**/api/sessions/*/backward", eps)
    app.open(link(app, {"dataset.name": "xor", "dataset.n_samples": 20, "model.layers": [2, 2, 1],
                        "model.batch_norm": True, "optimizer.batch_size": 2, "seed": 0}, practice=True))
    app.click("step")
    assert "√(var + 0.25)" in app.page.locator("#trace-body .eq").first.inner_text()
    assert "+ 0.25)" in hints(app)["z_hat[0][0][0]"]


def test_practice_with_l1_hints_every_term_and_adds_up_to_the_answer(app):
    app.open(link(app, {**WORKED, "optimizer.l1": 0.01, "optimizer.l2": 0.001}, practice=True))
    with app.page.expect_response(lambda r: r.url.endswith("/backward") and r.request.method == "POST") as answer:
        app.click("step")
    trace = answer.value.json()
    practice_at(app, "backward-0")
    got = hints(app)
    for j, k in ((0, 0), (0, 1), (1, 0), (1, 1)):
        hint = got[f"dW[0][{j}][{k}]"]
        assert "λ · W[0]" in hint and "λ₁ · sign(W[0])" in hint and " 0.01 · sign(" in hint, hint
        assert math.isclose(value_of(hint), trace["backward"][0]["dW"][j][k], rel_tol=1e-4, abs_tol=1e-6), hint

    # The L1 coefficient is the session's as the server resolved it: rewritten, the hint follows.
    on_sessions(app, lambda body: body["config"]["optimizer"].update(l1=0.5) if "config" in body else None)
    app.open(link(app, {**WORKED, "optimizer.l1": 0.01}, practice=True))
    app.click("step")
    practice_at(app, "backward-0")
    assert " 0.5 · sign(0.1)" in hints(app)["dW[0][0][0]"]


def test_the_chain_rule_panel_shows_the_servers_numbers(app):
    def chain(body: dict) -> None:
        body["dW"] = 0.8765  # 4 digits: as many as the panel writes
    rewrite(app, "**/api/sessions/*/chain**", chain)
    app.open()
    app.click("preset-worked-example")
    app.click("step")
    app.select("chain-layer", "0")
    app.wait_for("() => document.querySelector('[data-testid=chain-dw]')?.textContent.includes('0.8765')")
    assert app.text("chain-dw").startswith("dW[0][0][0] = 0.8765 = ")


def test_the_lesson_shows_the_errors_and_the_update_the_server_sent(app):
    def lesson(body: dict) -> None:
        body["measured"]["errors"] = {k: 0.000123 for k in body["measured"]["errors"]}
        body["measured"]["W0_after"] = [[9.5, 9.25], [9.125, 9.0625]]
    rewrite(app, "**/api/lessons/worked-example", lesson)
    app.open()
    app.click("lessons-open")
    app.by("lesson-worked-example").click()
    app.wait_for("() => document.querySelector('[data-testid=lesson-result]').dataset.lesson === 'worked-example'")
    app.idle()
    rows = app.page.evaluate("() => [...document.querySelectorAll('[data-testid=lesson-result] table tbody tr')]"
                             ".map(tr => tr.cells[3].innerText.trim())")
    assert rows and set(rows) == {"0.00012"}, rows
    assert "[[9.5, 9.25], [9.125, 9.0625]]" in app.text("lesson-result")


def test_the_controls_take_the_presets_output_choices_and_limits_from_the_server(app):
    def options(body: dict) -> None:
        body["presets"]["worked-example"]["config"]["model"]["weights"][1] = [[0.7, 0.6]]
        body["limits"]["max_width"] = 2
    rewrite(app, "**/api/options", options)
    on_sessions(app, lambda body: body.update(output_choices=["linear", "sigmoid"]) if "output_choices" in body else None)
    app.open()
    app.click("preset-worked-example")
    assert app.by("neurons-plus-0").is_disabled(), "the hidden layer is at the server's width limit"
    assert not app.by("neurons-minus-0").is_disabled()
    offered = app.page.locator("#ctl-output option").evaluate_all("els => els.map(e => e.value)")
    assert offered == ["linear", "sigmoid"]
    app.click("step")
    app.stage("forward-1")
    assert app.quantity("W[1]") == ["0.7", "0.6"]
