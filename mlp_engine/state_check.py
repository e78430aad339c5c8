"""The one check of a saved state, made before any of it is used.

:func:`check_state` takes a state as :meth:`Trainer.state_dict` writes it
(JSON-safe, see :mod:`.state`) and the trainer its config builds, and holds
every field against that trainer's model and data: types, dtypes, shapes,
ranges, the cursor inside the epoch's order, the history one entry per
epoch, batch norm's ``gamma``, ``beta`` and running estimates and the dropout
generator (exactly when the model has them), and every undo snapshot whole, as strictly as the live state. It
answers with the state decoded and converted (arrays in the model's dtype,
plain ints and floats), which the trainer then applies without a conversion
that could fail, so a state that passes can never make a later step, epoch,
undo or export fail, and one that fails changes nothing.

Every refusal is a :class:`StateError` whose ``field`` is a dotted path such
as ``state.optimizer.m`` or ``state.undo.snapshots[3].accumulators.norms``.
"""
from __future__ import annotations

import math
from typing import Any, Protocol

import numpy as np

from . import metrics
from .model import MLP
from .optimizers import Optimizer
from .records import DISTRIBUTION_KINDS, MAX_DISTRIBUTION_EPOCHS, PERCENTILES


class CheckedTrainer(Protocol):
    """What the check reads of the :class:`~.trainer.Trainer` it holds a state against
    (named here, not imported: the trainer imports this module to check what it loads)."""

    model: MLP
    optimizer: Optimizer
    n_train: int
    task: str
    dropout_rng: np.random.Generator | None

Array = np.ndarray

STATE_VERSION = 1
MAX_COUNT = 2**53
"""Counters (epochs, steps, updates, samples) stay exact integers in JSON below this."""

_NONFINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
_PCG64 = np.random.PCG64


class StateError(ValueError):
    """A saved state that does not fit; ``field`` is the dotted path of the culprit."""

    def __init__(self, field: str, why: str) -> None:
        super().__init__(f"{field}: {why}")
        self.field = field


# -- scalars -----------------------------------------------------------------
def _int(raw: Any, field: str, lo: int = 0, hi: int = MAX_COUNT) -> int:
    """A whole number in ``[lo, hi)``, plain or written ``{"__int__": "..."}``."""
    if isinstance(raw, dict) and set(raw) == {"__int__"} and isinstance(raw["__int__"], str) \
            and raw["__int__"].isdigit() and len(raw["__int__"]) <= 40:
        raw = int(raw["__int__"])
    if isinstance(raw, bool) or not isinstance(raw, int) or not lo <= raw < hi:
        raise StateError(field, f"must be a whole number in [{lo}, {hi}), got {_show(raw)}")
    return raw


def _float(raw: Any, field: str, *, finite: bool = False, lo: float | None = None,
           hi: float | None = None, open_lo: bool = False) -> float:
    """A number (``"NaN"``, ``"Infinity"``, ``"-Infinity"`` unless ``finite``)."""
    value = _NONFINITE.get(raw) if isinstance(raw, str) else raw
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (finite and not math.isfinite(value)):
        raise StateError(field, f"must be a {'finite ' if finite else ''}number, got {_show(raw)}")
    value = float(value)
    bounds = ([] if lo is None else [f"{'>' if open_lo else '>='} {lo}"]) + ([] if hi is None else [f"< {hi}"])
    if (lo is not None and not (value > lo if open_lo else value >= lo)) or (hi is not None and not value < hi):
        raise StateError(field, f"must be {' and '.join(bounds)}, got {_show(raw)}")
    return value


def _float_or_none(raw: Any, field: str) -> float | None:
    return None if raw is None else _float(raw, field)


def _floats(raw: Any, field: str, n: int, *, none: bool = False) -> list[Any]:
    """A list of ``n`` numbers (``None`` allowed where ``none``)."""
    if not isinstance(raw, list) or len(raw) != n:
        raise StateError(field, f"must be a list of {n} numbers, got {_show(raw)}")
    if set(map(type, raw)) <= (_FLOAT_OR_NONE if none else _FLOAT):
        # Floats as a parser makes them are what _float would give back: a copy is the check
        # (a history has millions; naming each entry's field up front costs more than the rest).
        return list(raw)
    read = _float_or_none if none else _float
    return [read(x, f"{field}[{i}]") for i, x in enumerate(raw)]


_FLOAT, _FLOAT_OR_NONE = frozenset({float}), frozenset({float, type(None)})


def _dict(raw: Any, field: str, required: set[str], optional: set[str] = frozenset()) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise StateError(field, f"must be an object, got {_show(raw)}")
    missing = sorted(required - set(raw))
    if missing:
        raise StateError(f"{field}.{missing[0]}", "missing")
    unknown = sorted(set(raw) - required - optional)
    if unknown:
        raise StateError(f"{field}.{unknown[0]}", "unknown field")
    return raw


def _show(raw: Any) -> str:
    text = repr(raw)
    return text if len(text) <= 60 else text[:57] + "..."


# -- arrays ------------------------------------------------------------------
def _array(raw: Any, field: str, kind: str, shape: tuple[int, ...], dtype: np.dtype | None = None) -> Array:
    """An encoded array of dtype kind ``kind`` (``"f"`` or ``"i"``) and exactly ``shape``,
    converted to ``dtype`` (default: kept)."""
    _dict(raw, field, {"__array__", "shape", "data"})
    try:
        if not isinstance(raw["__array__"], str):  # np.dtype(None) would be float64
            raise TypeError
        got = np.dtype(raw["__array__"])
    except (TypeError, ValueError, KeyError):
        raise StateError(f"{field}.__array__", f"not a dtype: {_show(raw['__array__'])}") from None
    if got.kind not in ("f" if kind == "f" else "iu"):
        want = "a float" if kind == "f" else "an integer"
        raise StateError(f"{field}.__array__", f"must be {want} dtype, got {_show(raw['__array__'])}")
    if raw["shape"] != list(shape):
        raise StateError(f"{field}.shape", f"expected {list(shape)}, got {_show(raw['shape'])}")
    data = raw["data"]
    n = math.prod(shape)
    if not isinstance(data, list) or len(data) != n:
        raise StateError(f"{field}.data", f"expected {n} numbers for shape {list(shape)}")
    if kind == "f":
        values = [_NONFINITE.get(x, x) if isinstance(x, str) else x for x in data]
        ok = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in values)
    else:
        # Whole numbers, also as floats (3.0): some JSON writers know no integers.
        values = data
        ok = all(isinstance(x, (int, float)) and not isinstance(x, bool) and -MAX_COUNT < x < MAX_COUNT
                 and float(x).is_integer() for x in values)
    if not ok:
        raise StateError(f"{field}.data", f"must hold {'numbers' if kind == 'f' else 'whole numbers'} only")
    try:
        return np.array(values, dtype=dtype or got).reshape(shape)
    except (OverflowError, ValueError):  # e.g. an integer beyond the largest float
        raise StateError(f"{field}.data", f"does not fit dtype {dtype or got}") from None


def _permutation(raw: Any, field: str, n: int) -> Array:
    order = _array(raw, field, "i", (n,), np.dtype(np.int64))
    if not np.array_equal(np.sort(order), np.arange(n)):
        raise StateError(field, f"must be a permutation of the {n} training rows")
    return order


# -- the parts ---------------------------------------------------------------
_OPTIMIZER_FIELDS = {
    "sgd": set(),
    "momentum": {"momentum", "nesterov", "velocity"},
    "adam": {"beta1", "beta2", "epsilon", "m", "v"},
}


def _optimizer(raw: Any, field: str, trainer: CheckedTrainer) -> dict[str, Any]:
    name = trainer.optimizer.name
    extra = _OPTIMIZER_FIELDS[name]
    s = _dict(raw, field, {"name", "learning_rate", "clip_norm", "t"} | extra)
    if s["name"] != name:
        raise StateError(f"{field}.name", f"the config's optimizer is {name!r}, got {_show(s['name'])}")
    n, dtype = trainer.model.n_params, trainer.model.params.flat.dtype

    def vector(key: str) -> Array | None:
        return None if s[key] is None else _array(s[key], f"{field}.{key}", "f", (n,), dtype)

    out: dict[str, Any] = {
        # >= 0, not > 0: a step schedule's rate may underflow to 0 after many drops.
        "name": name, "learning_rate": _float(s["learning_rate"], f"{field}.learning_rate", finite=True, lo=0.0),
        "clip_norm": None if s["clip_norm"] is None else _float(
            s["clip_norm"], f"{field}.clip_norm", finite=True, lo=0.0, open_lo=True),
        "t": _int(s["t"], f"{field}.t")}
    if name == "momentum":
        if not isinstance(s["nesterov"], bool):
            raise StateError(f"{field}.nesterov", f"must be true or false, got {_show(s['nesterov'])}")
        out.update(momentum=_float(s["momentum"], f"{field}.momentum", finite=True, lo=0.0, hi=1.0),
                   nesterov=s["nesterov"], velocity=vector("velocity"))
    elif name == "adam":
        out.update(beta1=_float(s["beta1"], f"{field}.beta1", finite=True, lo=0.0, hi=1.0),
                   beta2=_float(s["beta2"], f"{field}.beta2", finite=True, lo=0.0, hi=1.0),
                   epsilon=_float(s["epsilon"], f"{field}.epsilon", finite=True, lo=0.0, open_lo=True),
                   m=vector("m"), v=vector("v"))
        if (out["m"] is None) != (out["v"] is None):
            raise StateError(f"{field}.{'m' if out['m'] is None else 'v'}", "m and v are both vectors or both null")
    return out


def _rng(raw: Any, field: str) -> dict[str, Any]:
    s = _dict(raw, field, {"bit_generator", "state", "has_uint32", "uinteger"})
    if s["bit_generator"] != "PCG64":
        raise StateError(f"{field}.bit_generator", f"must be 'PCG64', got {_show(s['bit_generator'])}")
    inner = _dict(s["state"], f"{field}.state", {"state", "inc"})
    out = {"bit_generator": "PCG64",
           "state": {k: _int(inner[k], f"{field}.state.{k}", 0, 2**128) for k in ("state", "inc")},
           "has_uint32": _int(s["has_uint32"], f"{field}.has_uint32", 0, 2),
           "uinteger": _int(s["uinteger"], f"{field}.uinteger", 0, 2**32)}
    try:  # NumPy's own check of a PCG64 state
        _PCG64().state = out
    except (TypeError, ValueError, OverflowError) as exc:
        raise StateError(field, f"not a PCG64 state ({exc})") from None
    return out


def _cursor(raw: Any, field: str, has_order: bool, n_train: int) -> int:
    """With an epoch order, ``0 <= cursor < n_train`` (the step that reaches the end
    finishes the epoch and drops the order); without one, ``cursor == 0``."""
    return _int(raw, field, 0, n_train if has_order else 1)


def _accumulators(raw: Any, field: str, trainer: CheckedTrainer) -> dict[str, Any]:
    s = _dict(raw, field, {"loss", "samples", "norms", "steps"}, {"correct", "sse"})
    samples = _int(s["samples"], f"{field}.samples")
    d_out = trainer.model.layers[-1]
    return {"loss": _float(s["loss"], f"{field}.loss"), "samples": samples,
            "norms": _floats(s["norms"], f"{field}.norms", trainer.model.n_layers),
            "steps": _int(s["steps"], f"{field}.steps"),
            "correct": _int(s.get("correct", 0), f"{field}.correct", 0, samples + 1),
            "sse": (np.zeros(d_out) if s.get("sse") is None
                    else _array(s["sse"], f"{field}.sse", "f", (d_out,), np.dtype(np.float64)))}


def _early_stopping(raw: Any, field: str) -> dict[str, Any] | None:
    if raw is None:
        return None
    s = _dict(raw, field, {"best", "bad_epochs", "stopped_epoch"})
    return {"best": _float(s["best"], f"{field}.best"), "bad_epochs": _int(s["bad_epochs"], f"{field}.bad_epochs"),
            "stopped_epoch": None if s["stopped_epoch"] is None
            else _int(s["stopped_epoch"], f"{field}.stopped_epoch")}


def _history(raw: Any, field: str, epochs: int, trainer: CheckedTrainer) -> dict[str, Any]:
    keys = metrics.history_keys(trainer.task)
    s = _dict(raw, field, {"train_loss", "test_loss", "grad_norms"}, {"learning_rate", *keys})
    L = trainer.model.n_layers
    if not isinstance(s["grad_norms"], list) or len(s["grad_norms"]) != epochs:
        raise StateError(f"{field}.grad_norms", f"needs one entry per epoch ({epochs})")
    # States saved before the learning rate and the metrics were recorded load with gaps.
    return {"train_loss": _floats(s["train_loss"], f"{field}.train_loss", epochs),
            "test_loss": _floats(s["test_loss"], f"{field}.test_loss", epochs, none=True),
            # Tuples, as History keeps them (the collector stops tracing them).
            "grad_norms": [tuple(_floats(g, f"{field}.grad_norms[{i}]", L)) for i, g in enumerate(s["grad_norms"])],
            "learning_rate": _floats(s.get("learning_rate", [math.nan] * epochs), f"{field}.learning_rate", epochs),
            "metrics": {k: _floats(s.get(k, [None] * epochs), f"{field}.{k}", epochs, none=True) for k in keys}}


def _distributions(raw: Any, field: str, epochs: int, trainer: CheckedTrainer) -> dict[str, Any]:
    """The quantile record: the fixed percentiles, recorded epochs rising within
    ``[1, epochs]`` (at most :data:`MAX_DISTRIBUTION_EPOCHS`, multiples of the stride
    but the newest), and per layer and kind
    one list of quantiles per recorded epoch. States saved before it existed load empty."""
    L = trainer.model.n_layers
    if raw is None:
        return {"epochs": [], "layers": [{k: [] for k in DISTRIBUTION_KINDS} for _ in range(L)], "stride": 1}
    s = _dict(raw, field, {"percentiles", "epochs", "layers", "stride"})
    stride = _int(s["stride"], f"{field}.stride", 1)
    if stride & (stride - 1):
        raise StateError(f"{field}.stride", f"must be a power of 2, got {stride}")
    if _floats(s["percentiles"], f"{field}.percentiles", len(PERCENTILES)) != list(PERCENTILES):
        raise StateError(f"{field}.percentiles", f"must be {list(PERCENTILES)}")
    if not isinstance(s["epochs"], list) or len(s["epochs"]) > MAX_DISTRIBUTION_EPOCHS:
        raise StateError(f"{field}.epochs", f"must be a list of at most {MAX_DISTRIBUTION_EPOCHS} epochs")
    recorded: list[int] = []
    for i, e in enumerate(s["epochs"]):
        e = _int(e, f"{field}.epochs[{i}]", recorded[-1] + 1 if recorded else 1, epochs + 1)
        recorded.append(e)
    if not isinstance(s["layers"], list) or len(s["layers"]) != L:
        raise StateError(f"{field}.layers", f"needs one entry per weight layer ({L})")
    n, q = len(recorded), len(PERCENTILES)
    layers = []
    for l, raw_layer in enumerate(s["layers"]):
        layer = _dict(raw_layer, f"{field}.layers[{l}]", set(DISTRIBUTION_KINDS))
        checked = {}
        for k in DISTRIBUTION_KINDS:
            where = f"{field}.layers[{l}].{k}"
            if not isinstance(layer[k], list) or len(layer[k]) != n:
                raise StateError(where, f"needs one entry per recorded epoch ({n})")
            checked[k] = [_floats(row, f"{where}[{i}]", q) for i, row in enumerate(layer[k])]
        layers.append(checked)
    if any(e % stride for e in recorded[:-1]):
        raise StateError(f"{field}.epochs", f"every epoch but the newest must be a multiple of the stride ({stride})")
    return {"epochs": recorded, "layers": layers, "stride": stride}


def _snapshot(raw: Any, field: str, trainer: CheckedTrainer, orders: list[Array], current: Array | None,
              epochs: int) -> dict[str, Any]:
    s = _dict(raw, field, {"params", "optimizer", "rng", "epoch", "step", "order", "cursor", "accumulators",
                           "history_length", "early_stopping"} | _remedy_fields(trainer))
    ref = s["order"]
    if ref is None:
        order = None
    else:
        ref = _int(ref, f"{field}.order", -1, len(orders))
        order = current if ref == -1 else orders[ref]
        if order is None:
            raise StateError(f"{field}.order", "refers to the current order (-1), but the state has none")
    length = _int(s["history_length"], f"{field}.history_length", 0, epochs + 1)
    epoch = _int(s["epoch"], f"{field}.epoch")
    if epoch != length:
        raise StateError(f"{field}.epoch", f"must equal history_length ({length}): one history entry per epoch")
    return {"params": _array(s["params"], f"{field}.params", "f", (trainer.model.n_params,),
                             trainer.model.params.flat.dtype),
            "optimizer": _optimizer(s["optimizer"], f"{field}.optimizer", trainer),
            "rng": _rng(s["rng"], f"{field}.rng"), "epoch": epoch, "step": _int(s["step"], f"{field}.step"),
            "order": order, "cursor": _cursor(s["cursor"], f"{field}.cursor", order is not None, trainer.n_train),
            "accumulators": _accumulators(s["accumulators"], f"{field}.accumulators", trainer),
            "history_length": length, "early_stopping": _early_stopping(s["early_stopping"], f"{field}.early_stopping"),
            **_remedies(s, field, trainer)}


def _remedy_fields(trainer: CheckedTrainer) -> set[str]:
    """The fields a state has exactly when the model has batch norm (``running``) or
    dropout (``dropout_rng``): required then, refused otherwise."""
    return ({"running"} if trainer.model.batch_norm else set()) | (
        {"dropout_rng"} if trainer.dropout_rng is not None else set())


def _remedies(s: dict[str, Any], field: str, trainer: CheckedTrainer) -> dict[str, Any]:
    """Batch norm's running estimates (finite; variances >= 0) and the dropout generator's state."""
    out: dict[str, Any] = {}
    model = trainer.model
    if model.batch_norm:
        r = _dict(s["running"], f"{field}.running", {"mean", "var"})
        hidden = model.layers[1:-1]
        running: dict[str, list[Array]] = {}
        for key in ("mean", "var"):
            if not isinstance(r[key], list) or len(r[key]) != len(hidden):
                raise StateError(f"{field}.running.{key}", f"expected {len(hidden)} arrays, one per hidden layer")
            running[key] = []
            for l, (raw, n) in enumerate(zip(r[key], hidden)):
                arr = _array(raw, f"{field}.running.{key}[{l}]", "f", (n,), model.params.flat.dtype)
                if not np.isfinite(arr).all() or (key == "var" and not (arr >= 0).all()):
                    raise StateError(f"{field}.running.{key}[{l}]",
                                     "must be finite" + (" and >= 0" if key == "var" else ""))
                running[key].append(arr)
        out["running"] = running
    if trainer.dropout_rng is not None:
        out["dropout_rng"] = _rng(s["dropout_rng"], f"{field}.dropout_rng")
    return out


def check_version(state: Any) -> None:
    """Refuse anything that is not a state object of :data:`STATE_VERSION` (before building from its config)."""
    if not isinstance(state, dict):
        raise StateError("state", f"must be an object, got {_show(state)}")
    if state.get("version") != STATE_VERSION or isinstance(state.get("version"), bool):
        raise StateError("state.version", f"expected a state of version {STATE_VERSION}, got "
                                          f"{_show(state.get('version'))}")


def check_state(state: Any, trainer: CheckedTrainer) -> dict[str, Any]:
    """Check ``state`` (JSON-safe, as :meth:`Trainer.state_dict` writes it) whole against
    ``trainer``'s model and data; return it decoded, every value ready to apply.

    Raises :class:`StateError` naming the first field that does not fit."""
    check_version(state)
    s = _dict(state, "state", {"version", "config", "params", "optimizer", "rng", "epoch", "step", "order",
                               "cursor", "accumulators", "history"} | _remedy_fields(trainer),
              {"early_stopping", "undo", "distributions"})
    model = trainer.model
    dtype = model.params.flat.dtype
    p = _dict(s["params"], "state.params", {"W", "b"} | ({"gamma", "beta"} if model.batch_norm else set()))
    params: dict[str, list[Array]] = {}
    for name, shapes in (("W", [w.shape for w in model.W]), ("b", [v.shape for v in model.b]),
                         ("gamma", [v.shape for v in model.gamma]), ("beta", [v.shape for v in model.beta])):
        if name not in p:
            continue
        count = len(shapes)
        if not isinstance(p[name], list) or len(p[name]) != count:
            raise StateError(f"state.params.{name}", f"expected {count} arrays for layers {model.layers}")
        params[name] = []
        for l, (raw, shape) in enumerate(zip(p[name], shapes)):
            field = f"state.params.{name}[{l}]"
            if isinstance(raw, dict) and "shape" in raw and raw["shape"] != list(shape) and name == "W":
                # The shape follows the config's layers, so say which of its fields it contradicts.
                raise StateError(field, f"shape {_show(raw['shape'])} does not fit model.weights[{l}] of "
                                        f"layers {model.layers}, which is {list(shape)}")
            params[name].append(_array(raw, field, "f", shape, dtype))
    epoch = _int(s["epoch"], "state.epoch")
    order = None if s["order"] is None else _permutation(s["order"], "state.order", trainer.n_train)
    cursor = _cursor(s["cursor"], "state.cursor", order is not None, trainer.n_train)
    out = {"params": params, "optimizer": _optimizer(s["optimizer"], "state.optimizer", trainer),
           "rng": _rng(s["rng"], "state.rng"), "epoch": epoch, "step": _int(s["step"], "state.step"),
           "order": order, "cursor": cursor,
           "accumulators": _accumulators(s["accumulators"], "state.accumulators", trainer),
           "history": _history(s["history"], "state.history", epoch, trainer),
           "distributions": _distributions(s.get("distributions"), "state.distributions", epoch, trainer),
           "early_stopping": _early_stopping(s.get("early_stopping"), "state.early_stopping"),
           **_remedies(s, "state", trainer)}
    undo = {"orders": [], "snapshots": []} if s.get("undo") is None else s["undo"]
    undo = _dict(undo, "state.undo", {"orders", "snapshots"})
    for key in ("orders", "snapshots"):
        if not isinstance(undo[key], list):
            raise StateError(f"state.undo.{key}", f"must be a list, got {_show(undo[key])}")
    orders = [_permutation(o, f"state.undo.orders[{k}]", trainer.n_train) for k, o in enumerate(undo["orders"])]
    out["undo"] = [_snapshot(snap, f"state.undo.snapshots[{k}]", trainer, orders, order, epoch)
                   for k, snap in enumerate(undo["snapshots"])]
    return out


__all__ = ["StateError", "check_state", "check_version", "STATE_VERSION"]
