"""``Session.plot()``: the page's loss and gradient-norm charts as one Plotly figure, in the
page's palette. The colours are read from the page's theme file (``static/js/theme.js``, the
one place they are written), as the server serves it, so the two pictures cannot drift."""
from __future__ import annotations

import re
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .records import History


def _block(text: str, start: str) -> str:
    """The bracketed block (``{...}`` or ``[...]``) that follows ``start`` in ``text``."""
    at = text.index(start) + len(start)
    opening = text[at:].lstrip()[0]
    closing = {"{": "}", "[": "]"}[opening]
    begin = text.index(opening, at)
    depth = 0
    for i in range(begin, len(text)):
        depth += {opening: 1, closing: -1}.get(text[i], 0)
        if depth == 0:
            return text[begin:i + 1]
    raise ValueError(f"theme.js: {start!r} is not closed")


def _strings(block: str, names: dict[str, str]) -> list[str]:
    """The quoted strings and ``OKABE_ITO.name`` references of a JS array, in order."""
    items = re.findall(r"'([^']*)'|OKABE_ITO\.(\w+)", block)
    return [quoted or names[ref] for quoted, ref in items]


def page_palette(theme_js: str) -> dict[str, Any]:
    """The light theme's ``train`` and ``test`` colours, its ``series`` (one colour per layer),
    and the ``dashes`` and ``symbols`` taken in order with them, from the text of theme.js."""
    names = dict(re.findall(r"(\w+): '(#[0-9A-Fa-f]{6})'", _block(theme_js, "const OKABE_ITO =")))
    light = _block(theme_js, "light:")
    colors = _block(light, "colors:")

    def color(key: str) -> str:
        return _strings(re.search(rf"\b{key}: ([^,]+),", colors).group(1), names)[0]

    return {"train": color("train"), "test": color("test"),
            "series": _strings(_block(light, "series:"), names),
            "dashes": _strings(_block(theme_js, "export const DASHES ="), names),
            "symbols": _strings(_block(theme_js, "export const SYMBOLS ="), names)}


def _listed(values: np.ndarray) -> list[float | None]:
    """NaN (a diverged epoch) as a gap, as the page draws it."""
    return [None if not np.isfinite(v) else float(v) for v in values]


def history_figure(history: History, palette: dict[str, Any]) -> go.Figure:
    """Loss per epoch (train solid with circles, test dashed with squares) beside each layer's
    mean ``||dW[l]||`` per epoch on a log axis, one colour, dash and marker per layer."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("loss", "gradient norm per layer"))
    epochs = np.arange(1, history.epochs + 1)
    mode = "lines" if history.epochs > 60 else "lines+markers"
    fig.add_scatter(x=epochs, y=_listed(history.train_loss), name="train", mode=mode, row=1, col=1,
                    line={"color": palette["train"], "width": 3}, marker={"size": 6, "symbol": "circle"})
    if np.isfinite(history.test_loss).any():
        fig.add_scatter(x=epochs, y=_listed(history.test_loss), name="test", mode=mode, row=1, col=1,
                        line={"color": palette["test"], "width": 3, "dash": "dash"},
                        marker={"size": 7, "symbol": "square"})
    series, dashes, symbols = palette["series"], palette["dashes"], palette["symbols"]
    for l in range(history.grad_norm.shape[1]):
        fig.add_scatter(x=epochs, y=_listed(history.grad_norm[:, l]), name=f"layer {l}", mode=mode, row=1, col=2,
                        line={"color": series[l % len(series)], "width": 2.5, "dash": dashes[l % len(dashes)]},
                        marker={"size": 6, "symbol": symbols[l % len(symbols)]})
    fig.update_xaxes(title_text="epoch")
    fig.update_yaxes(title_text="loss", rangemode="tozero", row=1, col=1)
    fig.update_yaxes(title_text="‖dW[l]‖ (log)", type="log", exponentformat="power", row=1, col=2)
    fig.update_layout(template="plotly_white", height=380, legend={"orientation": "h", "y": -0.2})
    return fig
