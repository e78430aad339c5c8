"""What the server answers, as NumPy: a session's parameters, one step's trace, an epoch
history, a live frame and a gradient check.

Shapes follow the playground's convention (samples are rows): with ``layers = [d_in, h_1,
..., d_out]`` and weight layers ``l = 0 .. L-1``, ``W[l]`` is ``(layers[l+1], layers[l])``,
``b[l]`` is ``(layers[l+1],)``, a batch ``X`` is ``(m, d_in)`` and ``z[l]``, ``a[l]``,
``delta[l]`` are ``(m, layers[l+1])``. Every array is float64; a non-finite number is NaN.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .arrays import array, optional_per_layer, per_layer

HISTORY_KEYS = ("train_loss", "test_loss", "grad_norms", "epoch")


def _numbers(value: Any) -> bool:
    """A per-epoch metric: a list of numbers (``null`` for non-finite ones)."""
    return isinstance(value, list) and all(v is None or isinstance(v, (int, float)) for v in value)


@dataclass(frozen=True)
class Params:
    """``W[l]`` ``(layers[l+1], layers[l])`` and ``b[l]`` ``(layers[l+1],)`` per weight layer;
    with batch norm, ``gamma[l]`` and ``beta[l]`` ``(layers[l+1],)`` per hidden layer (``None``
    for the output layer), else ``gamma`` and ``beta`` are ``None``."""

    W: list[np.ndarray]
    b: list[np.ndarray]
    gamma: list[np.ndarray | None] | None = None
    beta: list[np.ndarray | None] | None = None

    @classmethod
    def from_json(cls, layers: list[dict[str, Any]]) -> "Params":
        return cls(per_layer(layers, "W"), per_layer(layers, "b"),
                   optional_per_layer(layers, "gamma"), optional_per_layer(layers, "beta"))

    def __repr__(self) -> str:
        shapes = ", ".join(f"W[{l}] {getattr(w, 'shape', '?')}" for l, w in enumerate(self.W))
        return f"Params({shapes})"


@dataclass(frozen=True)
class Trace:
    """One forward and backward pass over one minibatch, then the update (``POST .../backward``).

    ``X`` ``(m, d_in)`` and ``y`` ``(m, d_out)`` are the minibatch (rows ``indices`` of the
    training set); per weight layer ``l``: ``z[l]``, ``a[l]``, ``delta[l]`` ``(m, layers[l+1])``,
    ``dW[l]`` like ``W[l]``, ``db[l]`` like ``b[l]``; ``grad_norm`` ``(L,)`` is ``||dW[l]||_F``.
    ``loss`` and the passes use the parameters before the update; ``params`` are those after
    it. ``act_prime[l]`` is ``act'(z[l])`` for hidden layers (``None`` for the output layer).
    With the remedies on: ``mask`` (dropout), ``z_hat``, ``u``, ``dgamma``, ``dbeta`` (batch
    norm), per hidden layer; each is ``None`` when its remedy is off."""

    step: int
    epoch: int
    indices: np.ndarray
    X: np.ndarray | None
    y: np.ndarray | None
    loss: float
    finite: bool
    applied: bool
    z: list[np.ndarray]
    a: list[np.ndarray]
    delta: list[np.ndarray]
    dW: list[np.ndarray]
    db: list[np.ndarray]
    grad_norm: np.ndarray
    act_prime: list[np.ndarray | None]
    params: Params | None
    mask: list[np.ndarray | None] | None = None
    z_hat: list[np.ndarray | None] | None = None
    u: list[np.ndarray | None] | None = None
    dgamma: list[np.ndarray | None] | None = None
    dbeta: list[np.ndarray | None] | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, t: dict[str, Any]) -> "Trace":
        fwd, bwd = t.get("forward") or [], t.get("backward") or []
        loss = t.get("loss")
        return cls(
            step=t["step"], epoch=t["epoch"], indices=np.asarray(t["indices"], dtype=np.int64),
            X=array(t.get("X")), y=array(t.get("y")),
            loss=float("nan") if loss is None else float(loss), finite=t["finite"], applied=t["applied"],
            z=per_layer(fwd, "z"), a=per_layer(fwd, "a"),
            delta=per_layer(bwd, "delta"), dW=per_layer(bwd, "dW"), db=per_layer(bwd, "db"),
            grad_norm=array([layer.get("grad_norm") for layer in bwd]),
            act_prime=per_layer(bwd, "act_prime"),
            params=Params.from_json(t["params"]) if t.get("params") else None,
            mask=optional_per_layer(fwd, "mask"), z_hat=optional_per_layer(fwd, "z_hat"),
            u=optional_per_layer(fwd, "u"), dgamma=optional_per_layer(bwd, "dgamma"),
            dbeta=optional_per_layer(bwd, "dbeta"), raw=t)

    def __repr__(self) -> str:
        return (f"Trace(step={self.step}, epoch={self.epoch}, m={len(self.indices)}, "
                f"loss={self.loss:.6g}, grad_norm={np.array2string(self.grad_norm, precision=4)})")


@dataclass(frozen=True)
class History:
    """Per-epoch records: ``train_loss`` and ``test_loss`` ``(epochs,)`` (NaN where there is
    no test split), ``grad_norm`` ``(epochs, L)`` (the mean ``||dW[l]||_F`` over the epoch's
    steps), and ``metrics``: the learning rate and the accuracy, RMSE or R^2 the task has,
    each ``(epochs,)`` (also readable as attributes: ``history.train_accuracy``)."""

    train_loss: np.ndarray
    test_loss: np.ndarray
    grad_norm: np.ndarray
    metrics: dict[str, np.ndarray]
    finite: bool = True

    @classmethod
    def from_json(cls, h: dict[str, Any], layers: int) -> "History":
        norms = array(h.get("grad_norms") or [])
        metrics = {k: array(v) for k, v in h.items() if k not in HISTORY_KEYS and _numbers(v)}
        return cls(array(h.get("train_loss") or []), array(h.get("test_loss") or []),
                   norms.reshape(len(norms), layers), metrics, h.get("finite", True))

    @property
    def epochs(self) -> int:
        return len(self.train_loss)

    @classmethod
    def joined(cls, parts: list["History"]) -> "History":
        """One history of consecutive parts (the requests one long training took)."""
        keys = [k for k in parts[0].metrics if all(k in p.metrics for p in parts)]
        return cls(np.concatenate([p.train_loss for p in parts]), np.concatenate([p.test_loss for p in parts]),
                   np.vstack([p.grad_norm for p in parts]),
                   {k: np.concatenate([p.metrics[k] for p in parts]) for k in keys},
                   all(p.finite for p in parts))

    def __getattr__(self, name: str) -> np.ndarray:
        metrics = self.__dict__.get("metrics", {})
        if name in metrics:
            return metrics[name]
        raise AttributeError(f"History has no {name!r}; metrics here: {sorted(metrics)}")

    def __repr__(self) -> str:
        last = f", last train_loss={self.train_loss[-1]:.6g}" if self.epochs else ""
        return f"History(epochs={self.epochs}, layers={self.grad_norm.shape[1]}{last}, metrics={sorted(self.metrics)})"


@dataclass(frozen=True)
class Frame:
    """One live frame (``play()``): where training stands (``epoch``, ``step``), the last
    finished epoch's ``train_loss``, ``test_loss`` and ``grad_norm`` ``(L,)`` (NaN before the
    first), every epoch finished since the previous frame (``new_epochs``, a
    :class:`History`), the parameters now, and ``boundary`` when the frame carried one."""

    seq: int
    epoch: int
    step: int
    train_loss: float
    test_loss: float
    grad_norm: np.ndarray
    new_epochs: History
    params: Params
    finite: bool
    boundary: dict[str, Any] | None = field(default=None, repr=False)

    @classmethod
    def from_json(cls, f: dict[str, Any]) -> "Frame":
        layers = len(f["params"])
        nan = float("nan")
        grad = f.get("grad_norms")
        return cls(seq=f["seq"], epoch=f["epoch"], step=f["step"],
                   train_loss=nan if f.get("train_loss") is None else float(f["train_loss"]),
                   test_loss=nan if f.get("test_loss") is None else float(f["test_loss"]),
                   grad_norm=array(grad) if grad is not None else np.full(layers, nan),
                   new_epochs=History.from_json(f.get("new_epochs") or {}, layers),
                   params=Params.from_json(f["params"]), finite=f["finite"], boundary=f.get("boundary"))


@dataclass(frozen=True)
class Gradcheck:
    """Central differences against backprop, per layer: ``W_rel_error`` and ``b_rel_error``
    ``(L,)`` are ``||a - n|| / (||a|| + ||n||)``; ``passed`` when ``max_rel_error`` is under
    ``tolerance``."""

    max_rel_error: float
    passed: bool
    tolerance: float
    eps: float
    W_rel_error: np.ndarray
    b_rel_error: np.ndarray
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, g: dict[str, Any]) -> "Gradcheck":
        worst = g.get("max_rel_error")
        return cls(float("nan") if worst is None else float(worst), g["passed"], g["tolerance"], g["eps"],
                   array([layer["W_rel_error"] for layer in g["layers"]]),
                   array([layer["b_rel_error"] for layer in g["layers"]]), g)
