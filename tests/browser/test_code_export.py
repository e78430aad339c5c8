"""Tools -> Code (NumPy) / Code (PyTorch): the script view shows the server's script for the
session on screen, with a step count, a Copy button and a Download link; the script shown,
run as it is, prints the session's own next steps."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

pytestmark = pytest.mark.browser


def open_code(app, framework: str) -> None:
    app.by("tools").locator("summary").click()
    app.click(f"code-{framework}")
    app.wait_for("document.getElementById('code-view')?.dataset.state === 'ready'")


def test_code_numpy_shows_the_script_and_it_reproduces_the_session(app, tmp_path):
    app.open()
    for _ in range(3):
        app.click("step")  # mid-epoch, with the optimizer's state under way
    sid = app.page.evaluate("document.body.dataset.session")
    open_code(app, "numpy")
    assert app.by("code-view").is_visible()
    assert app.text("code-view").startswith("Code (NumPy)")
    assert app.page.locator("#code-title").inner_text() == "Code (NumPy)"
    app.by("code-steps").fill("20")
    app.by("code-steps").press("Enter")
    app.wait_for("document.getElementById('code-text').textContent.includes('STEPS = 20')")
    app.wait_for("document.getElementById('code-view').dataset.state === 'ready'")
    text = app.by("code-text").text_content()
    served = app.page.evaluate(
        "id => fetch(`/api/sessions/${id}/code?framework=numpy&steps=20`).then(r => r.text())", sid)
    assert text == served
    assert text.startswith('"""An MLP Playground session as a standalone NumPy script.')
    assert app.by("code-download").get_attribute("download") == "mlp_xor_numpy.py"
    assert app.by("code-download").get_attribute("href").startswith("blob:")
    with app.page.expect_download() as download:
        app.by("code-download").click()
    assert download.value.suggested_filename == "mlp_xor_numpy.py"
    assert open(download.value.path()).read() == text
    app.page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    app.by("code-copy").click()
    app.wait_for("document.getElementById('code-status').textContent === 'Copied.'")
    assert app.page.evaluate("navigator.clipboard.readText()") == text

    path = tmp_path / "mlp_xor_numpy.py"
    path.write_text(text)
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    got = json.loads(done.stdout)
    want = app.page.evaluate("""async id => {
        const losses = [];
        for (let i = 0; i < 20; i++) {
          const r = await fetch(`/api/sessions/${id}/backward`, {method: 'POST',
            headers: {'Content-Type': 'application/json'}, body: JSON.stringify({include: []})});
          losses.push((await r.json()).loss);
        }
        return losses;
      }""", sid)
    np.testing.assert_allclose(got["loss"], want, rtol=1e-10, atol=1e-10)


def test_code_pytorch_opens_its_own_script(app):
    app.open()
    open_code(app, "pytorch")
    assert app.page.locator("#code-title").inner_text() == "Code (PyTorch)"
    assert "import torch" in app.by("code-text").text_content()
    assert app.by("code-download").get_attribute("download") == "mlp_xor_pytorch.py"
    app.click("code-close")
    assert not app.by("code-view").is_visible()
