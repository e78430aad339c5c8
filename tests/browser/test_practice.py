"""Practice mode on the seed's worked example: the page hides a stage's numbers, asks for them,
marks each answer against the trace's own number (within 1 % or 1e-4), hints with the stage's
equation filled in, and keeps a score."""
from __future__ import annotations

import pytest

from practice_tools import link, practice_at, value_of

pytestmark = pytest.mark.browser


def practice_worked_example(app, url: str | None = None) -> None:
    app.open(url)
    app.click("preset-worked-example")
    if not app.by("practice-toggle").is_checked():
        app.click("practice-toggle")
    app.click("step")


def inputs(app) -> list[str]:
    return app.page.locator('[data-testid="practice-input"]').evaluate_all("els => els.map(e => e.dataset.name)")


def answer(app, name: str, text: str) -> None:
    app.page.locator(f'[data-testid="practice-input"][data-name="{name}"]').fill(text)


def verdict(app, name: str) -> str | None:
    return app.page.locator(f'[data-testid="practice-input"][data-name="{name}"]').get_attribute("data-verdict")


def test_backward_1_marks_the_right_delta_right_and_the_wrong_one_wrong_with_the_hint(app):
    practice_worked_example(app)
    # A Step in practice mode waits at its first stage, with the answers hidden and the way on locked.
    assert app.page.locator("#trace-body").get_attribute("data-stage") == "forward-0"
    assert inputs(app) == ["z[0][0][0]", "z[0][0][1]", "a[0][0][0]", "a[0][0][1]"]
    assert app.quantity("z[0]") == ["?"] and app.quantity("X") == ["1", "2"]
    assert app.by("stage-next").is_disabled()
    assert app.text("loss-value") == "?"
    app.click("practice-reveal")
    assert app.quantity("z[0]") == ["0.5", "1.1"]
    assert not app.by("stage-next").is_disabled()

    app.stage("backward-1")
    assert inputs(app) == ["delta[1][0][0]", "dW[1][0][0]", "dW[1][0][1]", "db[1][0]"]
    assert app.quantity("delta[1]") == ["?"]
    answer(app, "delta[1][0][0]", "-0.09")
    app.click("practice-check")
    assert verdict(app, "delta[1][0][0]") == "right"
    assert app.text("practice-step-score").startswith("1 right · 0 wrong")
    assert not app.by("stage-next").is_disabled()  # checked: the learner may go on

    answer(app, "delta[1][0][0]", "0.09")
    app.click("practice-check")
    assert verdict(app, "delta[1][0][0]") == "wrong"
    hint = app.page.locator('[data-testid="practice-hint"][data-for="delta[1][0][0]"]').inner_text()
    assert "(yhat - y) / m = (0.91 - 1) / 1" in hint, hint
    # the score counts both attempts, this step's and the session's
    assert app.text("practice-step-score").startswith("1 right · 1 wrong")
    assert app.text("practice-session-score").startswith("1 right · 1 wrong")
    app.page.locator('[data-testid="practice-hint"]').first.scroll_into_view_if_needed()
    app.shot("practice/practice-backward-1.png")

    # within 1 % is right; the rest of the stage
    answer(app, "delta[1][0][0]", "-0.0905")
    answer(app, "dW[1][0][0]", "-0.045")
    answer(app, "dW[1][0][1]", "-0.099")
    answer(app, "db[1][0]", "-0.09")
    app.click("practice-check")
    assert [verdict(app, n) for n in inputs(app)] == ["right"] * 4
    assert app.quantity("delta[1]") == ["-0.09"]  # all right: the answers show
    assert app.text("practice-step-score").startswith("5 right · 1 wrong")


def test_every_stage_is_practised_and_a_link_opens_practice_mode(app):
    practice_worked_example(app)
    assert "practice=1" in app.page.evaluate("location.hash")
    asked = {}
    for _ in range(7):  # forward 0, forward 1, loss, backward 1, backward 0, update
        stage = app.page.locator("#trace-body").get_attribute("data-stage")
        asked[stage] = inputs(app)
        if stage == "update":
            break
        app.click("practice-reveal")
        app.click("stage-next")
    assert asked["loss"] == ["loss"]
    assert asked["backward-0"][:2] == ["delta[0][0][0]", "delta[0][0][1]"]
    assert asked["update"] == ["W[0][0][0]", "W[0][0][1]", "W[0][1][0]", "W[0][1][1]", "b[0][0]", "b[0][1]",
                               "W[1][0][0]", "W[1][0][1]", "b[1][0]"]
    # the update: W <- W - 0.1 dW, typed to 4 digits
    for name, text in zip(asked["update"], ["0.1045", "0.209", "0.3054", "0.4108", "0.0045", "0.0054",
                                            "0.5045", "0.6099", "0.009"]):
        answer(app, name, text)
    answer(app, "W[1][0][1]", "0.6")  # W before the update: wrong
    app.click("practice-check")
    assert verdict(app, "W[1][0][1]") == "wrong" and verdict(app, "W[1][0][0]") == "right"
    hint = app.page.locator('[data-testid="practice-hint"][data-for="W[1][0][1]"]').inner_text()
    assert "0.6 − 0.1 · (-0.099)" in hint, hint

    # a shared link with &practice=1 opens the step-through in practice mode
    link = app.page.evaluate("location.href")
    app.page.goto("about:blank")
    app.open(link.split("&progress")[0] + "&practice=1")
    assert app.by("practice-toggle").is_checked()
    app.click("step")
    assert inputs(app)[0] == "z[0][0][0]"


def flat(name: str, value) -> dict[str, float]:
    """A trace quantity by its practice names: ``z[0][i][j]`` per sample and neuron, ``dγ[0][j]`` of a vector."""
    if isinstance(value[0], list):
        return {f"{name}[{i}][{j}]": x for i, row in enumerate(value) for j, x in enumerate(row)}
    return {f"{name}[{j}]": x for j, x in enumerate(value)}


def check_stage(app, truth: dict[str, float], wrong: str) -> str:
    """Type the server's numbers (6 digits) for the stage on screen but a wrong one for ``wrong``; Check.
    Every other answer is marked right; the hint of the wrong one is returned."""
    assert set(inputs(app)) == set(truth), (inputs(app), sorted(truth))
    for name, value in truth.items():
        answer(app, name, "12345" if name == wrong else f"{value:.6g}")
    app.click("practice-check")
    assert {n: verdict(app, n) for n in inputs(app)} == {n: "wrong" if n == wrong else "right" for n in truth}
    return app.page.locator(f'[data-testid="practice-hint"][data-for="{wrong}"]').inner_text()


def test_practice_marks_a_batch_norm_stage_and_a_dropout_stage_and_the_hints_add_up(app):
    app.open(link(app, {"dataset.name": "xor", "dataset.n_samples": 20, "model.layers": [2, 3, 3, 1],
                        "model.batch_norm": True, "model.dropout": 0.5, "optimizer.name": "sgd",
                        "optimizer.batch_size": 2, "seed": 1}, practice=True))
    with app.page.expect_response(lambda r: r.url.endswith("/backward") and r.request.method == "POST") as answered:
        app.click("step")
    trace = answered.value.json()
    fwd, bwd = trace["forward"][0], trace["backward"][0]
    masks = {x for row in fwd["mask"] for x in row}
    assert masks == {0.0, 1.0}, "this seed's Step drops some neurons and keeps others"

    # Forward 0: batch norm's z_hat and u, and the activation before dropout, fa, are asked for beside z and a.
    truth = {**flat("z[0]", fwd["z"]), **flat("z_hat[0]", fwd["z_hat"]), **flat("u[0]", fwd["u"]),
             **flat("fa[0]", fwd["fa"]), **flat("a[0]", fwd["a"])}
    hint = check_stage(app, truth, "z_hat[0][1][2]")
    assert f"{trace['bn_eps']:g}" in hint.replace("0.00001", "1e-05") and "mean[0]" in hint and "var[0]" in hint, hint
    assert abs(value_of(hint) - fwd["z_hat"][1][2]) < 1e-4, hint
    answer(app, "z_hat[0][1][2]", f"{fwd['z_hat'][1][2]:.6g}")
    # Dropout's stage: a = fa ⊙ mask / (1 - p). A dropped neuron's a is 0, a kept one's fa / (1 - p).
    for keep in (0, 1):
        i, j = next((i, j) for i, row in enumerate(fwd["mask"]) for j, x in enumerate(row)
                    if x == keep and (keep == 0 or fwd["fa"][i][j] > 0))
        hint = check_stage(app, truth, f"a[0][{i}][{j}]")
        assert f"a[0] = fa[0] ⊙ mask[0] / (1 − p)" in hint and f"· {keep} / (1 − 0.5)" in hint, hint
        assert abs(value_of(hint) - fwd["a"][i][j]) < 1e-4 and (fwd["a"][i][j] == 0) == (keep == 0), hint

    # Backward 0: dγ and dβ are asked for beside delta, dW and db; delta's hint goes through du and batch norm.
    practice_at(app, "backward-0")
    truth = {**flat("delta[0]", bwd["delta"]), **flat("dW[0]", bwd["dW"]), **flat("db[0]", bwd["db"]),
             **flat("dγ[0]", bwd["dgamma"]), **flat("dβ[0]", bwd["dbeta"])}
    kept = next(j for j in range(3) if fwd["mask"][0][j] == 1 and bwd["du"][0][j] != 0)
    hint = check_stage(app, truth, f"delta[0][0][{kept}]")
    assert "du[0]" in hint and "mask[0] / (1 − p)" in hint and "dβ / m" in hint, hint
    assert abs(value_of(hint) - bwd["delta"][0][kept]) < 1e-4 * max(1, abs(bwd["delta"][0][kept])), hint
    app.page.locator('[data-testid="practice-hint"]').first.scroll_into_view_if_needed()
    app.shot("practice/practice-batch-norm.png")
