"""Where one gradient comes from: the chain rule of one weight, with a step's numbers.

:func:`explain_weight` takes a step's trace (:class:`~.records.StepResult`,
made with the parameters *before* its update) and those parameters ``W``,
and lays out ``dW[l][i, j]`` as the sum over the minibatch of
``delta[l][s, i] * a[l-1][s, j]`` (plus ``l2 * W[l][i, j]`` and
``l1 * sign(W[l][i, j])``, the penalties' terms), and each of
those ``delta[l][s, i]`` as ``(sum_k delta[l+1][s, k] * W[l+1][k, i]) *
act'(z[l][s, i])``, or, for the output layer, the loss's own output delta.
:func:`sample_graph` is one sample's computational graph: a node per ``x``,
``z``, ``a`` and the loss with its value and gradient, an edge per local
derivative. The page shows these numbers as they are; it computes none.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .model import MLP, l1_gradient
from .records import StepResult

Array = np.ndarray

MAX_TERMS = 1000
"""Terms listed per sum; the rest of a bigger batch is given as one folded sum."""

MAX_GRAPH_NEURONS = 40
"""Networks up to this many neurons (inputs included) get a computational graph."""


def _check(model: MLP, l: int, i: int, j: int) -> None:
    # The layout below is the plain chain rule with the penalties' terms; batch norm, skips and
    # dropout add stages to the deltas it does not show.
    extras = [name for name, on in (("model.batch_norm", model.batch_norm), ("model.residual", model.residual),
                                    ("model.dropout", model.dropout)) if on]
    if extras:
        raise ValueError(f"{extras[0]}: the chain-rule view shows the plain network's terms only; "
                         f"turn off {', '.join(extras)} to see them")
    L = model.n_layers
    for name, value, hi in (("layer", l, L), ("out", i, model.layers[min(max(l, 0), L - 1) + 1]),
                            ("in", j, model.layers[min(max(l, 0), L - 1)])):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < hi:
            raise ValueError(f"{name}: must be in [0, {hi}) for W[{l}] of layers {model.layers}, got {value!r}")


def _grad_a(result: StepResult, W: list[Array], l: int) -> Array:
    """``dL/da[l]`` ``(m, layers[l+1])`` for a hidden layer: ``delta[l+1] @ W[l+1]``
    (``l = -1``: the inputs)."""
    return result.grads.delta[l + 1] @ W[l + 1]


def backward_terms(model: MLP, result: StepResult, W: list[Array]) -> list[dict[str, Array]]:
    """What each weight layer ``l`` hands down in ``result``'s backward pass, for display.

    ``W[l]`` ``(out, in)`` are the parameters the pass used. Per layer:
    ``da`` ``(m, layers[l])``, ``delta[l] @ W[l]``: the gradient of the objective
    with respect to the layer's input activation ``a[l-1]`` (``X`` for ``l = 0``)
    through ``W[l]``; for a hidden layer that adds its input along a skip,
    ``da_skip`` ``(m, layers[l])``: the gradient that reaches ``a[l-1]`` along the
    skip, which is ``dObjective/da[l]``. So ``dObjective/da[l]`` is
    ``da[l+1] + da_skip[l+1]`` (no ``da_skip``: ``da[l+1]`` alone). With batch norm a
    hidden layer also has ``du`` ``(m, layers[l+1])``, the gradient at ``u[l]``
    (the activation's input): ``dObjective/da[l]``, times dropout's ``mask / (1 - p)``,
    times ``act'(u[l])``, in the engine's order."""
    g, cache = result.grads, result.cache
    L = model.n_layers
    out: list[dict[str, Array]] = [{"da": g.delta[l] @ W[l]} for l in range(L)]
    grad_a: Array | None = None  # dObjective/da[l], walked down from the output
    for l in range(L - 2, -1, -1):
        above = out[l + 1]
        grad_a = above["da"] if "da_skip" not in above else above["da"] + above["da_skip"]
        if model.skip[l]:
            out[l]["da_skip"] = grad_a
        if model.batch_norm:
            du = grad_a
            if cache.mask is not None:
                du = du * cache.mask[l] / (1.0 - model.dropout)
            out[l]["du"] = du * g.act_prime[l]
    return out


def explain_weight(model: MLP, result: StepResult, W: list[Array], l: int, i: int, j: int) -> dict[str, Any]:
    """The chain rule of ``dW[l][i, j]`` with ``result``'s numbers.

    ``W[l]`` ``(out, in)`` are the parameters the step's pass used. Answers
    ``dW``, the ``terms`` (per sample ``s``: ``delta``, ``a``, ``product``; at
    most :data:`MAX_TERMS`, then ``folded`` ``{count, sum}``), their ``sum``,
    ``l2_term`` (``None`` without L2), ``l1``, ``sign`` (``sign(W[l][i, j])``, 0 at 0),
    ``l1_term`` (``l1 * sign``, the engine's L1 gradient; ``None`` without L1) and
    ``deltas``: per listed sample how ``delta[l][s, i]`` was made (``kind`` ``"hidden"`` with ``terms`` ``k``,
    ``delta``, ``W``, ``product``, their ``sum`` and ``act_prime``; or
    ``"output"`` with ``yhat``, ``y``, ``m`` and the loss's ``formula``)."""
    _check(model, l, i, j)
    g, cache = result.grads, result.cache
    L, m = model.n_layers, result.X.shape[0]
    delta = g.delta[l][:, i]
    a_prev = cache.a_prev(l)[:, j]
    products = delta * a_prev
    shown = min(m, MAX_TERMS)
    out: dict[str, Any] = {
        "layer": l, "out": i, "in": j, "m": m, "dW": float(g.dW[l][i, j]),
        "terms": [{"sample": s, "delta": float(delta[s]), "a": float(a_prev[s]), "product": float(products[s])}
                  for s in range(shown)],
        "folded": None if shown == m else {"count": m - shown, "sum": float(products[shown:].sum())},
        "sum": float(products.sum()),
        "l2": model.l2, "W": float(W[l][i, j]),
        "l2_term": float(model.l2 * W[l][i, j]) if model.l2 else None,
        "l1": model.l1, "sign": float(np.sign(W[l][i, j])),
        "l1_term": float(l1_gradient(model.l1, W[l][i, j])) if model.l1 else None,
    }
    deltas: list[dict[str, Any]] = []
    if l == L - 1:
        loss, act = model.loss_fn, model.output_activation.name
        for s in range(shown):
            deltas.append({"sample": s, "kind": "output", "value": float(delta[s]),
                           "yhat": float(cache.a[l][s, i]), "y": float(result.y[s, i]), "m": m,
                           "formula": loss.delta_formula.get(act, "")})
    else:
        Wn = W[l + 1][:, i]
        dn = g.delta[l + 1]
        prime = g.act_prime[l]
        for s in range(shown):
            prods = dn[s] * Wn
            deltas.append({"sample": s, "kind": "hidden", "value": float(delta[s]),
                           "terms": [{"k": k, "delta": float(dn[s, k]), "W": float(Wn[k]), "product": float(prods[k])}
                                     for k in range(Wn.shape[0])],
                           "sum": float(prods.sum()), "act_prime": float(prime[s, i])})
    out["deltas"] = deltas
    return out


def sample_graph(model: MLP, result: StepResult, W: list[Array], sample: int = 0) -> dict[str, Any] | None:
    """One sample's computational graph (``None`` above :data:`MAX_GRAPH_NEURONS` neurons).

    ``nodes``: ``{"id", "kind" ("x", "z", "a", "loss"), "layer", "index", "value", "grad"}``
    (an output ``z`` also has ``yhat``, its activation),
    ``grad`` being the derivative of the batch objective; ``edges``: ``{"from", "to", "local",
    "weight"}`` with ``local`` the derivative of ``to`` by ``from`` (``W[l][i, j]`` on a link,
    ``act'(z)`` from ``z`` to ``a``, the output delta from the output's ``z`` to the loss)
    and ``weight`` ``[l, i, j]`` on the links."""
    if sum(model.layers) > MAX_GRAPH_NEURONS:
        return None
    m = result.X.shape[0]
    if isinstance(sample, bool) or not isinstance(sample, int) or not 0 <= sample < m:
        raise ValueError(f"sample: must be in [0, {m}) (the rows of the step's minibatch), got {sample!r}")
    g, cache, s, L = result.grads, result.cache, sample, model.n_layers
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    gx = _grad_a(result, W, -1)
    for j in range(model.layers[0]):
        nodes.append({"id": f"x{j}", "kind": "x", "layer": -1, "index": j,
                      "value": float(result.X[s, j]), "grad": float(gx[s, j])})
    prev = [f"x{j}" for j in range(model.layers[0])]
    for l in range(L):
        out_layer = l == L - 1
        ga = None if out_layer else _grad_a(result, W, l)
        here = []
        for i in range(model.layers[l + 1]):
            zid, aid = f"z{l}_{i}", f"a{l}_{i}"
            nodes.append({"id": zid, "kind": "z", "layer": l, "index": i, "value": float(cache.z[l][s, i]),
                          "grad": float(g.delta[l][s, i])})
            for j, src in enumerate(prev):
                edges.append({"from": src, "to": zid, "local": float(W[l][i, j]), "weight": [l, i, j]})
            if out_layer:  # the loss's own delta: the output activation and the loss in one derivative
                nodes[-1]["yhat"] = float(cache.a[l][s, i])
                edges.append({"from": zid, "to": "loss", "local": float(g.delta[l][s, i]), "weight": None})
                continue
            nodes.append({"id": aid, "kind": "a", "layer": l, "index": i, "value": float(cache.a[l][s, i]),
                          "grad": float(ga[s, i])})
            edges.append({"from": zid, "to": aid, "local": float(g.act_prime[l][s, i]), "weight": None})
            here.append(aid)
        prev = here
    nodes.append({"id": "loss", "kind": "loss", "layer": L, "index": 0, "value": float(g.loss), "grad": 1.0})
    return {"sample": s, "nodes": nodes, "edges": edges}


__all__ = ["backward_terms", "explain_weight", "sample_graph", "MAX_TERMS", "MAX_GRAPH_NEURONS"]
