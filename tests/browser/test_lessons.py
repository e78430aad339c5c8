"""Every lesson started from the page, as a learner would: the Lessons panel lists the ten,
one click runs a lesson on the server and shows what to look at, what it measured and its
charts; any of its sessions opens in the playground. Each lesson's panel is saved to
``artifacts/screenshots/lessons/<name>.png``; ``make screenshots`` copies them into
``docs/lessons/`` for the README."""
from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Playground

pytestmark = pytest.mark.browser

ORDER = ["worked-example", "vanishing-gradients", "exploding-gradients", "activations",
         "initialisation", "california-housing", "digits", "loss-landscape", "derivations",
         "vanishing-gradients-cured"]
LESSON_SECONDS = 240  # a full California or MNIST run takes ~20 s alone; CI may share the cores
MAX_PNG_BYTES = 250_000

# What each lesson must put on screen: its sessions' labels, and the charts it draws with the
# number of traces in each (None: a chart built of many small images, drawn).
EXPECT: dict[str, dict] = {
    "worked-example": {"sessions": ["worked example"], "charts": {}},
    "vanishing-gradients": {"sessions": ["sigmoid, 6 hidden layers", "relu, 6 hidden layers"],
                            "charts": {"lesson-chart-a": 2, "lesson-chart-b": 2}},
    "exploding-gradients": {"sessions": ["no clipping", "clipped at norm 1"],
                            "charts": {"lesson-chart-a": 2, "lesson-chart-b": 2}},
    "activations": {"sessions": ["relu", "leaky_relu", "sigmoid", "tanh", "linear"],
                    "charts": {"lesson-chart-a": 5}},
    "initialisation": {"sessions": ["zeros", "normal", "xavier", "he"],
                       "charts": {"lesson-chart-a": 4, "lesson-chart-b": 4}},
    "california-housing": {"sessions": ["this engine, [8, 20, 10, 1] sigmoid"], "charts": {"lesson-chart-a": 2}},
    "digits": {"sessions": ["digits", "mnist_subset"],
               "charts": {"lesson-confusion-digits": 1, "lesson-features-digits": 16,
                          "lesson-confusion-mnist_subset": 1, "lesson-features-mnist_subset": 16}},
    "loss-landscape": {"sessions": ["shallow", "deep"],
                       "charts": {"lesson-chart-a": 2, "lesson-chart-b": 2, "lesson-chart-c": 2}},
    "derivations": {"sessions": ["3-layer network"], "charts": {"lesson-chart-a": 2}},
    "vanishing-gradients-cured": {"sessions": ["sigmoid, 6 hidden layers, plain", "sigmoid, 6 hidden layers, batch norm",
                                               "sigmoid, 6 hidden layers, residual", "no dropout", "dropout"],
                                  "charts": {"lesson-chart-a": 3, "lesson-chart-b": 4}},
}


def start_lesson(app: Playground, name: str, quick: bool = False) -> None:
    """Open the panel (once), tick quick if asked, click the lesson and wait until it is drawn."""
    if app.by("lessons").is_hidden():
        app.click("lessons-open")
    app.by("lesson-quick").set_checked(quick)
    app.by(f"lesson-{name}").click()
    app.wait_for("name => document.querySelector('[data-testid=lesson-result]').dataset.lesson === name",
                 name, timeout=LESSON_SECONDS)
    app.idle()


def table_rows(app: Playground) -> list[list[str]]:
    return app.page.evaluate(
        """() => [...document.querySelectorAll('[data-testid=lesson-result] table.lesson-table tbody tr')]
              .map(tr => [...tr.cells].map(td => td.innerText.trim()))""")


def open_buttons(app: Playground) -> list[str]:
    return [t.strip() for t in app.page.locator('[data-testid=lesson-result] .lesson-open button').all_inner_texts()]


def test_the_panel_lists_the_ten_lessons_in_order(app):
    app.open()
    assert app.by("lessons").is_hidden()
    app.click("lessons-open")
    names = app.page.locator("#lesson-list button").evaluate_all("bs => bs.map(b => b.dataset.lesson)")
    assert names == ORDER
    app.click("lessons-close")
    assert app.by("lessons").is_hidden()


@pytest.mark.slow
@pytest.mark.parametrize("name", ORDER)
def test_each_lesson_starts_from_the_page(app, name):
    app.open()
    start_lesson(app, name)
    result = app.by("lesson-result")
    assert "What to look at." in result.inner_text()
    assert open_buttons(app) == EXPECT[name]["sessions"]
    for chart, traces in EXPECT[name]["charts"].items():
        drawn = app.chart(chart)
        assert len(drawn) == traces, (chart, drawn)
    CHECKS[name](app)
    app.page.mouse.move(0, 0)  # no hover highlight in the picture
    path = app.shot(f"lessons/{name}.png", element=app.by("lesson-result"))
    assert 0 < path.stat().st_size < MAX_PNG_BYTES, path.stat().st_size


# ---------------------------------------------------------------- what each lesson shows
def check_worked_example(app: Playground) -> None:
    rows = {r[0]: r[1:] for r in table_rows(app)}
    assert rows["z[0]"][:2] == ["[0.5, 1.1]", "[0.5, 1.1]"]
    assert rows["L"][:2] == ["0.00405", "0.00405"]
    assert rows["dW[0]"][1].split("\n") == ["[-0.045, -0.09]", "[-0.054, -0.108]"]  # a row per line
    assert "every number matches the seed" in app.text("lesson-result")


def check_vanishing(app: Playground) -> None:
    rows = {r[0]: r for r in table_rows(app)}
    sigmoid, relu = float(rows["sigmoid"][3]), float(rows["relu"][3])
    assert sigmoid / relu <= 1e-2
    layout = app.page.evaluate("document.getElementById('lesson-chart-a').layout.yaxis.type")
    assert layout == "log"


def check_exploding(app: Playground) -> None:
    rows = {r[0]: r for r in table_rows(app)}
    assert rows["no clipping"][3] == "NaN (diverged)" and rows["no clipping"][4] == "✗ no"
    assert rows["clipped at norm 1"][4] == "✓ yes"
    assert float(rows["no clipping"][1]) > 1e6  # the gradient norm exploded before the NaN
    notes = app.page.evaluate(
        "(document.getElementById('lesson-chart-a').layout.annotations || []).map(a => a.text)")
    assert any(n.startswith("no clipping: NaN (diverged)<br>from step") for n in notes), notes


def check_activations(app: Playground) -> None:
    assert [r[0] for r in table_rows(app)] == EXPECT["activations"]["sessions"]


def check_initialisation(app: Playground) -> None:
    identical = {r[0]: r[3] for r in table_rows(app)}
    assert identical == {"zeros": "✓ yes", "normal": "✗ no", "xavier": "✗ no", "he": "✗ no"}


def check_california(app: Playground) -> None:
    rows = table_rows(app)
    assert len(rows) == 3
    assert [r[2] for r in rows] == ["0.32", "0.33", "0.56"]  # the seed's table beside this run
    assert all(float(r[1]) > 0 for r in rows)
    assert float(rows[2][1]) == pytest.approx(0.556, abs=1e-3)  # LinearRegression is exact


def check_digits(app: Playground) -> None:
    text = app.text("lesson-result")
    assert "8×8 digits: test accuracy" in text and "MNIST (28×28): test accuracy" in text
    confusion = app.chart("lesson-confusion-digits")[0]["z"]
    assert len(confusion) == 10 and sum(map(sum, confusion)) == 360


def check_cured(app: Playground) -> None:
    rows = {r[0]: r for r in table_rows(app)}
    plain = float(rows["plain"][3])
    for remedy in ("batch norm", "residual"):
        assert float(rows[remedy][3]) >= 100 * plain
        assert float(rows[remedy][4].rstrip("×")) >= 100
    assert float(rows["dropout"][3]) < float(rows["no dropout"][3])  # the train-test gap narrows


def check_landscape(app: Playground) -> None:
    drawn = app.chart("lesson-chart-b")
    assert drawn[0]["type"] == "contour" and len(drawn[0]["z"]) == len(drawn[0]["x"])
    assert [r[0] for r in table_rows(app)] == ["shallow", "deep"]


def check_derivations(app: Playground) -> None:
    assert [r[2] for r in table_rows(app)] == ["✓ yes"] * 4


CHECKS = {"worked-example": check_worked_example, "vanishing-gradients": check_vanishing,
          "exploding-gradients": check_exploding, "activations": check_activations,
          "initialisation": check_initialisation, "california-housing": check_california,
          "digits": check_digits, "loss-landscape": check_landscape, "derivations": check_derivations,
          "vanishing-gradients-cured": check_cured}


# ---------------------------------------------------------------- into the playground
def test_worked_example_opens_in_the_playground_and_steps_to_the_seeds_numbers(app):
    app.open()
    start_lesson(app, "worked-example")
    app.click("lesson-open-0")
    assert app.by("lessons").is_hidden()
    assert app.page.locator("#network").get_attribute("data-layers") == "2-2-1"
    assert app.text("epoch-count") == "0"
    app.click("step")
    assert app.text("loss-value") == "0.00405"
    app.stage("forward-0")
    assert app.quantity("z[0]") == ["0.5", "1.1"]
    app.stage("backward-0")
    assert app.quantity("dW[0]") == ["-0.045", "-0.09", "-0.054", "-0.108"]


def test_a_lessons_sessions_stay_open_while_the_learner_moves_between_them(app):
    app.open()
    start_lesson(app, "vanishing-gradients", quick=True)
    assert "quick run" in app.text("lesson-result")
    app.click("lesson-open-0")  # sigmoid, trained for the quick run's 5 epochs
    assert app.text("epoch-count") == "5"
    assert app.by("activation").input_value() == "sigmoid"
    assert len(app.chart("grad-norm-chart")) == 7
    app.click("lessons-open")  # the lesson is still on screen
    app.click("lesson-open-1")
    assert app.by("activation").input_value() == "relu"
    # Opening the other run did not delete the first: it opens again, as it was.
    app.click("lessons-open")
    app.click("lesson-open-0")
    assert app.by("activation").input_value() == "sigmoid" and app.text("epoch-count") == "5"
    # A change in the controls starts a new session of the page's own; the lesson's stay.
    app.enter("learning-rate", "0.05")
    assert app.text("epoch-count") == "0"
    app.click("lessons-open")
    app.click("lesson-open-0")
    assert app.text("epoch-count") == "5"


def test_an_expired_lesson_session_is_said_not_hidden(app):
    """A lesson whose sessions expired (server restarted, store full) says so in the banner."""
    app.open()
    start_lesson(app, "derivations", quick=True)
    sid = app.by("lesson-open-0").get_attribute("data-session")
    app.page.evaluate("id => fetch(`/api/sessions/${id}`, {method: 'DELETE'})", sid)
    app.log.expect_error("404")
    app.click("lesson-open-0")
    assert "no session with id" in app.text("error-banner")
