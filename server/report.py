"""A self-contained HTML report of a session, made with the ``plotly`` Python package.

One page: the title, the config as pretty JSON, the final metrics, and the
figures: loss per epoch (train and test), each layer's gradient norm (log
axis), the metrics per epoch, the learning rate, and the output view (the
decision boundary for 2-D inputs, the fitted curve for 1-D, predicted against
true otherwise). Plotly.js is inlined once, in the first figure, so the file
opens offline; nothing is loaded from a CDN.
"""
from __future__ import annotations

import html
import json
import math
from typing import Any

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

from . import payloads
from .bounds import budget
from .sessions import Session

Array = np.ndarray


def _clean(values: list[Any]) -> list[Any]:
    """Non-finite numbers as gaps (Plotly draws ``None`` as a break)."""
    return [v if v is not None and math.isfinite(v) else None for v in values]


def _figure(title: str, xaxis: str, yaxis: str, log: bool = False) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(title=title, xaxis_title=xaxis, yaxis_title=yaxis, template="plotly_white",
                      height=380, margin={"l": 60, "r": 20, "t": 50, "b": 50})
    if log:
        fig.update_yaxes(type="log")
    return fig


def figures(session: Session) -> list[go.Figure]:
    """The report's figures, in page order."""
    t = session.trainer
    h = t.history
    epochs = list(range(1, len(h.train_loss) + 1))
    loss = _figure("Loss per epoch", "epoch", "loss", log=True)
    loss.add_scatter(x=epochs, y=_clean(h.train_loss), name="train", mode="lines")
    if any(v is not None for v in h.test_loss):
        loss.add_scatter(x=epochs, y=_clean(h.test_loss), name="test", mode="lines")
    norms = _figure("Gradient norm ||dW[l]|| per layer (mean over the epoch's steps)", "epoch", "norm", log=True)
    for l in range(t.model.n_layers):
        norms.add_scatter(x=epochs, y=_clean([g[l] for g in h.grad_norms]), name=f"layer {l}", mode="lines")
    metric = _figure("Metrics per epoch", "epoch", "accuracy" if t.task == "classification" else "RMSE / R^2")
    for key, values in h.metrics.items():
        if any(v is not None for v in values):
            metric.add_scatter(x=epochs, y=_clean(values), name=key, mode="lines")
    rate = _figure("Learning rate", "epoch", "learning rate", log=True)
    rate.add_scatter(x=epochs, y=_clean(h.learning_rate), name="learning rate", mode="lines")
    return [loss, norms, metric, rate, output_view(session)]


def output_view(session: Session) -> go.Figure:
    """Decision boundary (2-D), fitted curve (1-D), or predicted against true."""
    data = payloads.data_points(session, 2000)
    train, test = data["train"], data["test"]
    d = len(data["feature_names"])
    if d == 2:
        b = payloads.boundary(session, 80)
        fig = _figure("Output over the input plane", "x1", "x2")
        fig.add_heatmap(x=b["x"], y=b["y"], z=np.where(np.isfinite(b["z"]), b["z"], np.nan),
                        colorscale="RdBu", opacity=0.6, showscale=True, name="output")
        for split, marker in ((train, "circle"), (test, "x")):
            if len(split["X"]):
                X, y = np.asarray(split["X"]), np.asarray(split["y"])
                color = y.argmax(axis=1) if y.shape[1] > 1 else y[:, 0]
                fig.add_scatter(x=X[:, 0], y=X[:, 1], mode="markers", name="train" if split is train else "test",
                                marker={"symbol": marker, "color": color, "colorscale": "RdBu",
                                        "line": {"width": 1, "color": "black"}})
        return fig
    if d == 1:
        b = payloads.boundary(session, 200)
        fig = _figure("Fitted curve", "x1", "y")
        for split in (train, test):
            if len(split["X"]):
                fig.add_scatter(x=np.asarray(split["X"])[:, 0], y=np.asarray(split["y"])[:, 0], mode="markers",
                                name="train" if split is train else "test")
        fig.add_scatter(x=b["x"], y=_clean(np.asarray(b["y"])[:, 0].tolist()), mode="lines", name="network")
        return fig
    out = payloads.outputs(session, "test" if session.trainer.X_test.shape[0] else "train", 2000, "original")
    y_true, y_pred = np.asarray(out["y_true"], dtype=float), np.asarray(out["y_pred"], dtype=float)
    if session.trainer.task == "classification":
        fig = _figure("Confusion matrix (rows: true class)", "predicted", "true")
        fig.add_heatmap(z=out["confusion"], colorscale="Blues", text=out["confusion"], texttemplate="%{text}")
        return fig
    fig = _figure(f"Predicted against true ({out['split']} set)", "true", "predicted")
    fig.add_scatter(x=y_true[:, 0], y=y_pred[:, 0], mode="markers", name="samples", marker={"size": 4})
    lo, hi = float(np.nanmin(y_true)), float(np.nanmax(y_true))
    fig.add_scatter(x=[lo, hi], y=[lo, hi], mode="lines", name="y = x")
    return fig


def final_metrics(session: Session) -> dict[str, Any]:
    t = session.trainer
    h = t.history
    last = {"epoch": t.epoch, "step": t.step_count, "finite": t.finite, "learning_rate": t.learning_rate}
    if h.train_loss:
        last.update(train_loss=h.train_loss[-1], test_loss=h.test_loss[-1],
                    **{k: v[-1] for k, v in h.metrics.items()})
    if t.stopped:
        last["stopped_epoch"] = t.stopped_epoch
    return last


def _table(values: dict[str, Any]) -> str:
    def cell(v: Any) -> str:
        return f"{v:.6g}" if isinstance(v, float) else html.escape(str(v))
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{cell(v)}</td></tr>" for k, v in values.items())
    return f"<table>{rows}</table>"


def check_report(session: Session) -> None:
    """Price the report before making it: its output view (a forward pass over a grid, a curve
    or a split) and its figures, every epoch's numbers written as Plotly's text."""
    t = session.trainer
    d = payloads.plane_inputs(session)
    rows = {2: 80 * 80, 1: 200}.get(d, int(t.X_test.shape[0]) or t.n_train)
    budget.check_forward(t.model, rows, "report", "the report's output view")
    h = t.history
    per_epoch = 3 + t.model.n_layers + len(h.metrics)  # losses, gradient norms, metrics, learning rate
    budget.check_answer(2 * len(h.train_loss) * per_epoch, "report", "the report's figures", text=True)


def report_html(session: Session) -> str:
    """The whole report page."""
    config = dict(session.config)
    ds = dict(config.get("dataset", {}))
    for key in ("X", "y"):  # inline data can be large; its size is what matters here
        if key in ds:
            ds[key] = f"<{len(ds[key])} rows>"
    config["dataset"] = ds
    model = dict(config.get("model", {}))
    for key in ("weights", "biases"):  # a fork's initial parameters: as large as the model
        if isinstance(model.get(key), list):
            model[key] = f"<{len(model[key])} layers, {sum(int(np.size(v)) for v in model[key])} numbers>"
    config["model"] = model
    parts = []
    for k, fig in enumerate(figures(session)):
        parts.append(pio.to_html(fig, full_html=False, include_plotlyjs=(k == 0), config={"responsive": True}))
    title = f"MLP Playground report: {session.config['dataset']['name']}, session {session.id}"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body {{ font-family: system-ui, sans-serif; max-width: 1000px; margin: 2em auto; padding: 0 1em }}
table {{ border-collapse: collapse }} th, td {{ border: 1px solid #ccc; padding: 2px 8px; text-align: left }}
pre {{ background: #f6f6f6; padding: 1em; overflow: auto }}</style></head>
<body><h1>{html.escape(title)}</h1>
<h2>Final metrics</h2>{_table(final_metrics(session))}
<h2>Config</h2><pre id="config">{html.escape(json.dumps(config, indent=2))}</pre>
<h2>Figures</h2>{"".join(f'<div class="figure">{p}</div>' for p in parts)}
</body></html>
"""
