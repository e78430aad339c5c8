"""Where one gradient comes from: the chain rule of one weight, with a step's numbers.

:func:`explain_weight` takes a step's trace (:class:`~.records.StepResult`,
made with the parameters *before* its update) and those parameters (``W``, and
batch norm's ``gamma``), and lays out ``dW[l][i, j]`` as the sum over the
minibatch of ``delta[l][s, i] * a[l-1][s, j]`` (plus ``l2 * W[l][i, j]`` and
``l1 * sign(W[l][i, j])``, the penalties' terms), and how each ``delta[l][s, i]``
was made, stage by stage, with every remedy in force:

* ``g = dObjective/da[l][s, i]`` arrives along ``W``, ``sum_k delta[l+1][s, k] W[l+1][k, i]``,
  plus, where hidden layer ``l+1`` adds its input (a residual skip), ``along_skip``, the
  gradient of ``a[l+1][s, i]`` itself, handed on unchanged;
* dropout multiplies it by the mask's factor, ``0`` (a dropped neuron: no gradient goes on
  through it) or ``1 / (1 - p)``;
* the activation by ``act'(u)`` (``u = z`` without batch norm): ``du``;
* batch norm, with ``dz_hat = gamma du``: ``delta = inv_std dz_hat`` (the direct term)
  ``- inv_std mean_s dz_hat`` (the batch mean's term) ``- inv_std z_hat mean_s(dz_hat z_hat)``
  (the batch variance's term); ``dgamma = sum_s du z_hat`` and ``dbeta = sum_s du`` beside it.

Or, for the output layer, the loss's own output delta. :func:`sample_graph` is one
sample's computational graph: a node per ``x``, ``z``, batch norm's ``u``, ``f(u)`` before
dropout, ``a`` and the loss, with its value and gradient, an edge per local derivative
(the skip an edge of its own). The page shows these numbers as they are; it computes none.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .model import MLP, l1_gradient
from .remedies import Dropout
from .records import StepResult

Array = np.ndarray

MAX_TERMS = 1000
"""Terms listed per sum; the rest of a bigger batch is given as one folded sum."""

MAX_GRAPH_NEURONS = 40
"""Networks up to this many neurons (inputs included) get a computational graph."""


def _check(model: MLP, l: int, i: int, j: int, gamma: list[Array] | None) -> None:
    if model.batch_norm and gamma is None:
        raise ValueError("gamma: batch norm's chain rule needs the gamma the step's pass used")
    L = model.n_layers
    for name, value, hi in (("layer", l, L), ("out", i, model.layers[min(max(l, 0), L - 1) + 1]),
                            ("in", j, model.layers[min(max(l, 0), L - 1)])):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < hi:
            raise ValueError(f"{name}: must be in [0, {hi}) for W[{l}] of layers {model.layers}, got {value!r}")


def _along(model: MLP, result: StepResult, W: list[Array], l: int) -> tuple[Array, Array | None]:
    """The two ways ``dObjective/da[l]`` ``(m, layers[l+1])`` of hidden layer ``l`` arrives
    (``l = -1``: the inputs): along ``W[l+1]`` (``delta[l+1] @ W[l+1]``) and, where hidden layer
    ``l+1`` adds ``a[l]`` to its output, along the skip (``dObjective/da[l+1]``; else ``None``)."""
    along_w = result.grads.delta[l + 1] @ W[l + 1]
    skips = l + 1 < model.n_layers - 1 and model.skip[l + 1]
    return along_w, (_grad_a(model, result, W, l + 1) if skips else None)


def _grad_a(model: MLP, result: StepResult, W: list[Array], l: int) -> Array:
    """``dObjective/da[l]`` ``(m, layers[l+1])`` of hidden layer ``l``: both ways summed."""
    along_w, along_skip = _along(model, result, W, l)
    return along_w if along_skip is None else along_w + along_skip


def _mask_factor(model: MLP, result: StepResult, l: int) -> Array | None:
    """Dropout's factor ``mask / (1 - p)`` ``(m, n)`` of hidden layer ``l`` (``None``: no masks)."""
    masks = result.cache.mask
    return None if masks is None else masks[l] / (1.0 - model.dropout)


def _du(model: MLP, result: StepResult, W: list[Array], l: int) -> Array:
    """``dObjective/du[l]`` ``(m, n)`` of hidden layer ``l``: ``g`` through dropout's mask (the
    engine's own :meth:`Dropout.backward`, so the numbers are the pass's to the bit) times ``act'(u)``."""
    du = _grad_a(model, result, W, l)
    if result.cache.mask is not None:
        du = Dropout.backward(du, result.cache.mask[l], model.dropout)
    return du * result.grads.act_prime[l]


def backward_terms(model: MLP, result: StepResult, W: list[Array]) -> list[dict[str, Array]]:
    """What each weight layer ``l`` hands down in ``result``'s backward pass, for display.

    ``W[l]`` ``(out, in)`` are the parameters the pass used. Per layer: ``da``
    ``(m, layers[l])``, ``delta[l] @ W[l]``, the gradient of the objective with respect to the
    layer's input ``a[l-1]`` (``X`` for ``l = 0``) along ``W[l]``; for a hidden layer that adds
    its input along a skip, ``da_skip`` ``(m, layers[l])``, what reaches ``a[l-1]`` along the
    skip (``dObjective/da[l]``); with batch norm, ``du`` ``(m, layers[l+1])``, the gradient at
    the activation's input ``u[l]``."""
    out: list[dict[str, Array]] = [{"da": result.grads.delta[l] @ W[l]} for l in range(model.n_layers)]
    for l in range(model.n_layers - 1):
        if model.skip[l]:
            out[l]["da_skip"] = _grad_a(model, result, W, l)
        if model.batch_norm:
            out[l]["du"] = _du(model, result, W, l)
    return out


def _f(x: Any) -> float:
    return float(x)


def _hidden_delta(model: MLP, result: StepResult, W: list[Array], gamma: list[Array] | None,
                  l: int, i: int, shown: int) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """How ``delta[l][s, i]`` of hidden layer ``l`` was made, per listed sample, and (batch
    norm) the unit's ``dgamma``, ``dbeta`` and batch terms; see the module's docstring."""
    cache, g = result.cache, result.grads
    along_w, along_skip = _along(model, result, W, l)
    factor = _mask_factor(model, result, l)
    prime = g.act_prime[l][:, i]
    du = _du(model, result, W, l)[:, i]
    Wn, dn = W[l + 1][:, i], g.delta[l + 1]
    bn: dict[str, Any] | None = None
    if model.batch_norm:
        zh, inv = cache.z_hat[l][:, i], float(cache.inv_std[l][i])
        gam = float(gamma[l][i])
        dzh = gam * du
        batch = cache.batch_stats  # with the running estimates the mean and variance are constants
        mean_dzh = float(dzh.mean()) if batch else 0.0
        mean_dzh_zh = float((dzh * zh).mean()) if batch else 0.0
        bn = {"gamma": gam, "inv_std": inv, "mean": _f(cache.mean[l][i]), "var": _f(cache.var[l][i]),
              "batch_stats": bool(batch), "mean_dz_hat": mean_dzh, "mean_dz_hat_z_hat": mean_dzh_zh,
              "dgamma": _f(g.dgamma[l][i]), "dbeta": _f(g.dbeta[l][i])}
    out = []
    for s in range(shown):
        prods = dn[s] * Wn
        d: dict[str, Any] = {
            "sample": s, "kind": "hidden", "value": _f(g.delta[l][s, i]),
            "terms": [{"k": k, "delta": _f(dn[s, k]), "W": _f(Wn[k]), "product": _f(prods[k])}
                      for k in range(Wn.shape[0])],
            "sum": _f(prods.sum()), "along_W": _f(along_w[s, i]),
            "along_skip": None if along_skip is None else _f(along_skip[s, i]),
            "grad_a": _f(along_w[s, i] + (0.0 if along_skip is None else along_skip[s, i])),
            "mask": None if factor is None else _f(cache.mask[l][s, i]),
            "mask_factor": None if factor is None else _f(factor[s, i]),
            "dropped": factor is not None and cache.mask[l][s, i] == 0,
            "act_prime": _f(prime[s]), "du": _f(du[s]),
        }
        if bn is not None:
            zh_s, dzh_s = _f(cache.z_hat[l][s, i]), bn["gamma"] * d["du"]
            d["batch_norm"] = {
                "z_hat": zh_s, "dz_hat": dzh_s,
                "direct": bn["inv_std"] * dzh_s,
                "mean_term": -bn["inv_std"] * bn["mean_dz_hat"],
                "var_term": -bn["inv_std"] * zh_s * bn["mean_dz_hat_z_hat"],
            }
        out.append(d)
    return out, bn


def explain_weight(model: MLP, result: StepResult, W: list[Array], l: int, i: int, j: int,
                   gamma: list[Array] | None = None) -> dict[str, Any]:
    """The chain rule of ``dW[l][i, j]`` with ``result``'s numbers.

    ``W[l]`` ``(out, in)`` (and with batch norm ``gamma[l]`` ``(out,)``) are the parameters
    the step's pass used. Answers ``dW``, the ``terms`` (per sample ``s``: ``delta``, ``a``,
    ``product``; at most :data:`MAX_TERMS`, then ``folded`` ``{count, sum}``), their ``sum``,
    ``l2_term`` (``None`` without L2), ``l1``, ``sign`` (``sign(W[l][i, j])``, 0 at 0),
    ``l1_term`` (``l1 * sign``, the engine's L1 gradient; ``None`` without L1), ``remedies``
    (which are in force at this layer: ``skip_in`` (a skip reaches ``a[l]`` from above),
    ``dropout`` (``p``), ``batch_norm``), ``batch_norm`` (a hidden layer with batch norm:
    ``gamma``, ``inv_std``, the batch ``mean``/``var``, ``mean_dz_hat``, ``mean_dz_hat_z_hat``,
    ``dgamma``, ``dbeta``; else ``None``) and ``deltas``: per listed sample how
    ``delta[l][s, i]`` was made (``kind`` ``"hidden"``: the ``terms`` ``k`` along ``W`` with their
    ``sum`` (= ``along_W``), ``along_skip`` (``None`` without a skip), ``grad_a``, ``mask``
    and ``mask_factor`` (``None`` without dropout), ``dropped``, ``act_prime``, ``du`` and with
    batch norm ``batch_norm`` ``{z_hat, dz_hat, direct, mean_term, var_term}``, the three terms
    that add up to ``value``; or ``"output"`` with ``yhat``, ``y``, ``m`` and the loss's ``formula``)."""
    _check(model, l, i, j, gamma)
    g, cache = result.grads, result.cache
    L, m = model.n_layers, result.X.shape[0]
    delta = g.delta[l][:, i]
    a_prev = cache.a_prev(l)[:, j]
    products = delta * a_prev
    shown = min(m, MAX_TERMS)
    hidden = l < L - 1
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
        "remedies": {"skip_in": bool(hidden and l + 1 < L - 1 and model.skip[l + 1]),
                     "skip_out": bool(hidden and model.skip[l]),
                     "dropout": model.dropout if hidden and cache.mask is not None else 0.0,
                     "batch_norm": bool(hidden and model.batch_norm)},
        "batch_norm": None,
    }
    deltas: list[dict[str, Any]] = []
    if not hidden:
        loss, act = model.loss_fn, model.output_activation.name
        for s in range(shown):
            deltas.append({"sample": s, "kind": "output", "value": float(delta[s]),
                           "yhat": float(cache.a[l][s, i]), "y": float(result.y[s, i]), "m": m,
                           "formula": loss.delta_formula.get(act, "")})
    else:
        deltas, out["batch_norm"] = _hidden_delta(model, result, W, gamma, l, i, shown)
    out["deltas"] = deltas
    return out


def sample_graph(model: MLP, result: StepResult, W: list[Array], sample: int = 0,
                 gamma: list[Array] | None = None) -> dict[str, Any] | None:
    """One sample's computational graph (``None`` above :data:`MAX_GRAPH_NEURONS` neurons).

    ``nodes``: ``{"id", "kind", "layer", "index", "value", "grad"}``, ``kind`` one of ``"x"``,
    ``"z"``, ``"u"`` (batch norm's ``gamma z_hat + beta``), ``"f"`` (``act(u)`` before dropout),
    ``"a"`` and ``"loss"``; ``grad`` is the derivative of the batch objective (an output ``z``
    also has ``yhat``, a dropout ``f`` its ``mask``). ``edges``: ``{"from", "to", "kind", "local",
    "weight"}`` with ``local`` the derivative of ``to`` by ``from``: ``W[l][i, j]`` on a link,
    ``gamma inv_std (1 - 1/m - z_hat^2/m)`` from ``z`` to ``u`` (the sample's own row; the batch's
    other rows add the rest), ``act'(u)`` to ``f`` (or to ``a`` without dropout), the mask's factor
    ``0`` or ``1/(1-p)`` from ``f`` to ``a``, ``1`` along a skip, the output delta from the output's
    ``z`` to the loss; ``weight`` ``[l, i, j]`` on the links."""
    if sum(model.layers) > MAX_GRAPH_NEURONS:
        return None
    m = result.X.shape[0]
    if isinstance(sample, bool) or not isinstance(sample, int) or not 0 <= sample < m:
        raise ValueError(f"sample: must be in [0, {m}) (the rows of the step's minibatch), got {sample!r}")
    g, cache, s, L = result.grads, result.cache, sample, model.n_layers
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []

    def node(id_: str, kind: str, l: int, i: int, value: float, grad: float, **extra: Any) -> str:
        nodes.append({"id": id_, "kind": kind, "layer": l, "index": i, "value": float(value), "grad": float(grad),
                      **extra})
        return id_

    def edge(src: str, dst: str, kind: str, local: float, weight: list[int] | None = None) -> None:
        edges.append({"from": src, "to": dst, "kind": kind, "local": float(local), "weight": weight})

    gx = _grad_a(model, result, W, -1)
    prev = [node(f"x{j}", "x", -1, j, result.X[s, j], gx[s, j]) for j in range(model.layers[0])]
    for l in range(L):
        out_layer = l == L - 1
        here = []
        if not out_layer:
            ga = _grad_a(model, result, W, l)
            factor = _mask_factor(model, result, l)
            du = _du(model, result, W, l)
        for i in range(model.layers[l + 1]):
            zid = node(f"z{l}_{i}", "z", l, i, cache.z[l][s, i], g.delta[l][s, i])
            for j, src in enumerate(prev):
                edge(src, zid, "W", W[l][i, j], [l, i, j])
            if out_layer:  # the loss's own delta: the output activation and the loss in one derivative
                nodes[-1]["yhat"] = float(cache.a[l][s, i])
                edge(zid, "loss", "loss", g.delta[l][s, i])
                continue
            src = zid
            if model.batch_norm:
                zh, inv = cache.z_hat[l][s, i], cache.inv_std[l][i]
                own = 1.0 - 1.0 / m - zh * zh / m if cache.batch_stats else 1.0
                src = node(f"u{l}_{i}", "u", l, i, cache.u[l][s, i], du[s, i], z_hat=float(zh))
                edge(zid, src, "batch_norm", gamma[l][i] * inv * own)
            if factor is not None:
                fid = node(f"f{l}_{i}", "f", l, i, cache.fa[l][s, i], ga[s, i] * factor[s, i],
                           mask=float(cache.mask[l][s, i]))
                edge(src, fid, "act", g.act_prime[l][s, i])
                src = fid
            aid = node(f"a{l}_{i}", "a", l, i, cache.a[l][s, i], ga[s, i])
            edge(src, aid, "dropout" if factor is not None else "act",
                 factor[s, i] if factor is not None else g.act_prime[l][s, i])
            if model.skip[l]:
                edge(prev[i], aid, "skip", 1.0)
            here.append(aid)
        prev = here
    node("loss", "loss", L, 0, g.loss, 1.0)
    return {"sample": s, "nodes": nodes, "edges": edges}


__all__ = ["explain_weight", "sample_graph", "MAX_TERMS", "MAX_GRAPH_NEURONS"]
