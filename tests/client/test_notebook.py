"""docs/notebook.ipynb run headless by a real IPython kernel (nbclient), its outputs read;
then its show() output, saved as HTML by nbconvert, opened in Chromium while the notebook's
own server still runs in the kernel: the playground, opened on that session, following it."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

import httpx
import nbformat
import pytest
from nbconvert import HTMLExporter

from launch import wait_until
from notebook_kernel import cell_with, executed, text_of

pytestmark = [pytest.mark.subprocess, pytest.mark.slow]  # a kernel is a child process


@pytest.fixture(scope="module")
def notebook(tmp_path_factory: pytest.TempPathFactory) -> Iterator[nbformat.NotebookNode]:
    with executed(tmp_path_factory.mktemp("notebook")) as nb:
        yield nb


def number(pattern: str, text: str) -> float:
    found = re.search(pattern, text)
    assert found, f"{pattern!r} not in {text!r}"
    return float(found.group(1))


def test_every_cell_ran_without_error(notebook: nbformat.NotebookNode) -> None:
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.execution_count is not None
            assert not [o for o in cell.outputs if o.output_type == "error"], cell.source


def test_the_worked_example_outputs(notebook: nbformat.NotebookNode) -> None:
    step = text_of(cell_with(notebook, "trace = worked.step()"))
    assert "z[0]     = [[0.5 1.1]]" in step and "yhat     = [[0.91]]" in step
    assert "delta[1] = [[-0.09]]  delta[0] = [[-0.045 -0.054]]" in step
    assert "dW[1]    = [[-0.045 -0.099]]" in step
    assert abs(number(r"loss     = (\S+)", step) - 0.00405) < 1e-12
    hand = text_of(cell_with(notebook, "hand = {"))
    assert number(r"hand derivation: (\S+)", hand) < 1e-12


def test_show_outputs_the_page_on_that_session(notebook: nbformat.NotebookNode) -> None:
    out = cell_with(notebook, "worked.show(").outputs
    html = out[0]["data"]["text/html"]
    src = re.search(r'<iframe[^>]*\bsrc="([^"]+)"', html).group(1)
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/#session=[0-9a-f]+", src)


def test_xor_trains_and_plot_is_a_plotly_figure(notebook: nbformat.NotebookNode) -> None:
    xor = text_of(cell_with(notebook, "history = xor.epochs(100)"))
    assert "grad_norm shape: (100, 3)" in xor
    assert number(r"train accuracy (\S+),", xor) > 0.9 and number(r"test accuracy (\S+)", xor) > 0.9
    figure = cell_with(notebook, "xor.plot()").outputs[0]["data"]["application/vnd.plotly.v1+json"]
    assert [t["name"] for t in figure["data"]] == ["train", "test", "layer 0", "layer 1", "layer 2"]
    assert len(figure["data"][0]["y"]) == 100


def test_vanishing_gradient_numbers(notebook: nbformat.NotebookNode) -> None:
    text = text_of(cell_with(notebook, 'client.lesson("vanishing-gradients")'))
    sigmoid = number(r"sigmoid .* first/last = (\S+)", text)
    relu = number(r"relu .* first/last = (\S+)", text)
    assert sigmoid < 1e-2 and relu > 0.1  # the first layer's gradient all but vanishes with sigmoid only
    assert number(r"sigmoid's is (\d+) times smaller", text) > 100


def test_code_executed_and_compared(notebook: nbformat.NotebookNode) -> None:
    text = text_of(cell_with(notebook, "xor.code("))
    assert number(r"largest difference (\S+)", text) < 1e-10


@pytest.mark.browser
# nbconvert's HTML has no renderer for the plot() cell's Plotly JSON (it says so); this test is about show().
@pytest.mark.filterwarnings("ignore:Your element with mimetype")
def test_show_saved_as_html_opens_the_session_in_chromium(notebook: nbformat.NotebookNode, browser,
                                                          tmp_path: Path) -> None:
    html, _ = HTMLExporter().from_notebook_node(notebook)
    saved = tmp_path / "notebook.html"
    saved.write_text(html)
    src = re.search(r'<iframe[^>]*\bsrc="([^"]+)"', html).group(1)
    base, session_id = src.split("#session=")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(saved.as_uri())
        frame_element = page.wait_for_selector(f'iframe[src="{src}"]')
        frame_element.scroll_into_view_if_needed()
        frame = frame_element.content_frame()
        shown = "() => [document.body.dataset.session, document.body.dataset.busy, " \
                "document.querySelector('#step-count')?.textContent.trim()]"
        # The page's CSP allows no eval: arrow functions, polled (wait_for_function would eval).
        wait_until(lambda: frame.evaluate(shown)[:2] == [session_id, "0"], "the page opened on the session")
        state = httpx.get(f"{base}api/sessions/{session_id}").json()
        assert state["step"] == 1  # the notebook's one step(), shown on the page
        assert frame.evaluate(shown)[2] == "1"
        # A step from outside the page (as the notebook's next step() would be): the page follows.
        httpx.post(f"{base}api/sessions/{session_id}/backward", json={})
        wait_until(lambda: frame.evaluate(shown)[2] == "2", "the page followed the step taken elsewhere")
        # A Step on the page is the session's: Python sees it on its next call.
        frame.get_by_role("button", name="Step", exact=True).click()
        wait_until(lambda: frame.evaluate(shown)[1:] == ["0", "3"], "the page's own Step taken")
        assert httpx.get(f"{base}api/sessions/{session_id}").json()["step"] == 3
        shots = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots" / "client"
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / "notebook-show.png"), full_page=False)
    finally:
        page.close()
