"""The HTML report: self-contained, with the config, final metrics and every figure."""
from __future__ import annotations

import html
import re

import pytest


@pytest.mark.parametrize("dataset, view", [
    ({"name": "xor", "features": ["x1", "x2", "x1*x2"]}, "Output over the input plane"),
    ({"name": "sine"}, "Fitted curve"),
    ({"name": "diabetes"}, "Predicted against true"),
    ({"name": "digits", "n_samples": 200}, "Confusion matrix"),
])
def test_report_is_self_contained_with_its_figures(client, new_session, post, dataset, view) -> None:
    s = new_session({"dataset": dataset})
    post(f"/api/sessions/{s['id']}/epochs", {"count": 3})
    r = client.get(f"/api/sessions/{s['id']}/report")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert r.headers["content-disposition"] == f'attachment; filename="mlp-playground-report-{s["id"]}.html"'
    page = r.text
    assert "<script src=" not in page and "<link" not in page  # nothing loaded from elsewhere
    assert page.count("Plotly.newPlot") == 5 and len(page) > 1_000_000  # plotly.js inlined
    assert len(re.findall(r"plotly\.js v\d", page)) == 1  # inlined once
    for title in ("Loss per epoch", "Gradient norm", "Metrics per epoch", "Learning rate", view):
        assert title in page
    assert '"name": "' + dataset["name"] + '"' in html.unescape(page) and "train_loss" in page


def test_report_of_a_diverged_run_still_renders(client, new_session, post) -> None:
    s = new_session({"dataset": {"name": "plane"}, "optimizer": {"learning_rate": 1e6}})
    res = post(f"/api/sessions/{s['id']}/epochs", {"count": 3})
    assert res["finite"] is False
    assert client.get(f"/api/sessions/{s['id']}/report").status_code == 200


def test_report_of_an_unknown_session_is_404(client) -> None:
    assert client.get("/api/sessions/nope/report").status_code == 404
