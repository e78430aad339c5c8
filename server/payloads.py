"""Engine objects -> answer payloads (dicts holding NumPy arrays).

Each function reads a trainer and returns the dict a route sends through
:func:`server.serialize.respond`; nothing here touches HTTP. Arrays are
passed as they are (no copies); callers hold the session lock until the
payload is encoded.

Shapes follow ``docs/math.md``: samples are rows, ``W[l]`` is ``(out, in)``,
``z[l]``, ``a[l]`` and ``delta[l]`` are ``(m, layers[l+1])``.
"""
from __future__ import annotations

import math
from typing import Any, Iterable

import numpy as np

from mlp_engine import DATASETS, MLP, EpochRecord, GradCheckResult, StepResult, Trainer, cost
from mlp_engine.chain import backward_terms, explain_weight, sample_graph
from mlp_engine.model import BN_EPS
from mlp_engine.features import transform
from mlp_engine.losses import output_choices
from mlp_engine import metrics
from mlp_engine.metrics import history_keys

from .bounds import budget
from .errors import ServerError
from .schemas.requests import count_numbers
from .serialize import Verbatim
from .sessions import LAST_STEP_MAX_ELEMENTS, Session

Array = np.ndarray

PREDICT_CHUNK_BYTES = 64 * 1024 * 1024
"""Predictions run in chunks of rows whose activations fit in this, whatever the number of rows."""


def predict(model: MLP, X: Array) -> Array:
    """``model.predict(X)`` ``(m, d_out)``, in chunks of rows (:data:`PREDICT_CHUNK_BYTES` of
    activations each), so that its memory does not grow with ``m``."""
    chunk = max(1, PREDICT_CHUNK_BYTES // max(cost.activation_bytes(model.layers, 1, backward=False), 1))
    if X.shape[0] <= chunk:
        return model.predict(X)
    return np.concatenate([model.predict(X[lo:lo + chunk]) for lo in range(0, X.shape[0], chunk)])


def params(model: MLP) -> list[dict[str, Array]]:
    """``[{"W": (out, in), "b": (out,)}, ...]`` per weight layer; with batch norm the
    hidden layers add ``"gamma"`` and ``"beta"`` ``(out,)``."""
    out: list[dict[str, Array]] = [{"W": W, "b": b} for W, b in zip(model.W, model.b)]
    for layer, gamma, beta in zip(out, model.gamma, model.beta):
        layer["gamma"], layer["beta"] = gamma, beta
    return out


def dataset_item(session: Session) -> dict[str, Any]:
    """The ``GET /api/datasets`` item, with this session's actual sizes."""
    data = session.data
    return {**DATASETS[data.name].as_dict(), "task": data.task, "n_features": data.n_features,
            "n_outputs": data.n_outputs, "n_samples": data.n_samples}


def epoch_record(rec: EpochRecord) -> dict[str, Any]:
    return {"epoch": rec.epoch, "train_loss": rec.train_loss, "test_loss": rec.test_loss,
            "grad_norms": rec.grad_norms, "learning_rate": rec.learning_rate, **rec.metrics}


def stopping(t: Trainer) -> dict[str, Any]:
    """``stopped`` and ``stopped_epoch`` (early stopping)."""
    return {"stopped": t.stopped, "stopped_epoch": t.stopped_epoch}


CONFIG_ARRAYS = {("dataset", "X"): False, ("dataset", "y"): False, ("model", "weights"): True,
                 ("model", "biases"): True}
"""The config's arrays that may be large, and whether the value is a list of them (one per layer)."""


def config(cfg: dict[str, Any], max_elements: int | None) -> Any:
    """``cfg`` to send: each array of :data:`CONFIG_ARRAYS` with more than ``max_elements``
    numbers becomes an ndarray, which the answer summarises like every other large array
    (inline ``X`` ``(m, d_in)`` and ``y`` ``(m, d_out)``, ``weights[l]`` ``(out, in)``,
    ``biases[l]`` ``(out,)``); the rest is sent as it is. ``None``: the whole config."""
    def big(value: Any) -> bool:
        return max_elements is not None and isinstance(value, list) and count_numbers(value) > max_elements

    out: dict[str, Any] = {}
    for (part, key), per_layer in CONFIG_ARRAYS.items():
        value = cfg.get(part, {}).get(key)
        if not (any(big(v) for v in value) if per_layer and isinstance(value, list) else big(value)):
            continue
        section = out.setdefault(part, {k: Verbatim(v) for k, v in cfg[part].items()})
        section[key] = ([np.asarray(v, dtype=np.float64) if big(v) else Verbatim(v) for v in value] if per_layer
                        else np.asarray(value, dtype=np.float64))
    return {**{k: Verbatim(v) for k, v in cfg.items()}, **out} if out else Verbatim(cfg)


def state(session: Session, include: Iterable[str], max_elements: int | None = None) -> dict[str, Any]:
    """``SessionState``; ``include`` picks ``params``, ``history`` and/or ``config`` (its
    arrays whole: else those over ``max_elements`` are summarised, see :func:`config`)."""
    t = session.trainer
    out: dict[str, Any] = {
        "id": session.id, "config": config(session.config, None if "config" in include else max_elements),
        "epoch": t.epoch, "step": t.step_count,
        "task": session.data.task, "n_train": t.n_train, "n_test": int(t.X_test.shape[0]),
        "steps_per_epoch": t.steps_per_epoch, "position": t.position, "n_params": t.model.n_params,
        "dataset": dataset_item(session), "class_names": session.data.class_names,
        "learning_rate": t.learning_rate, **stopping(t), "undo_available": t.undo_available,
        "undo_depth": t.undo_depth, **structure(t.model),
        "output_choices": output_choices(session.data.task, t.model.layers[-1]),
    }
    if "params" in include:
        out["params"] = params(t.model)
    if "history" in include:
        h = t.history
        out["history"] = history(h.train_loss, h.test_loss, h.grad_norms, h.learning_rate, h.metrics)
    return out


def history(train_loss: list[float], test_loss: list[float | None], grad_norms: list[list[float]],
            learning_rate: list[float] | None = None, metrics: dict[str, list[float | None]] | None = None
            ) -> dict[str, Any]:
    """Per-epoch lists as arrays, so that a long history is one NumPy call to check
    and encode (a list holding ``None``, e.g. no test set, stays a list)."""
    def floats(values: list) -> Any:
        return values if not values or None in values else np.array(values, dtype=np.float64)

    out = {"train_loss": floats(train_loss), "test_loss": floats(test_loss), "grad_norms": floats(grad_norms)}
    if learning_rate is not None:
        out["learning_rate"] = floats(learning_rate)
    for key, values in (metrics or {}).items():
        out[key] = floats(values)
    return out


def structure(model: MLP) -> dict[str, Any]:
    """What each hidden layer does, as the engine decided it: ``hidden_activations`` (one
    name per hidden layer), ``skip`` (per hidden layer, whether it adds its input ``a[l-1]``),
    ``dropout`` (``p``) and ``bn_eps`` (batch norm's ``eps``; ``None`` without batch norm)."""
    return {"hidden_activations": [act.name for act in model.activations], "skip": list(model.skip),
            "dropout": model.dropout, "bn_eps": BN_EPS if model.batch_norm else None}


def trace(trainer: Trainer, result: StepResult, include: Iterable[str], W: list[Array]) -> dict[str, Any]:
    """``BackwardTrace``: the batch, the forward cache and the gradients (made with
    the parameters before the update, ``W``) and the parameters after it."""
    model = trainer.model
    rec = result.epoch_finished
    out: dict[str, Any] = {
        "step": result.step, "indices": result.indices, "loss": result.loss,
        "applied": result.applied, "epoch": trainer.epoch, "epoch_finished": rec is not None,
        "epoch_record": epoch_record(rec) if rec is not None else None, "position": trainer.position,
        "learning_rate": result.learning_rate, "layers": model.layers,
        "activation": model.activation_spec, "output_activation": model.output_activation.name,
        "loss_name": model.loss_fn.name, **structure(model),
    }
    if "X" in include:
        out["X"] = result.X
    if "y" in include:
        out["y"] = result.y
    if "forward" in include:
        c = result.cache
        out["forward"] = [{"z": z, "a": a} for z, a in zip(c.z, c.a)]
        for l, layer in enumerate(out["forward"][:-1]):  # the hidden layers' extra stages
            if c.z_hat is not None:
                layer["z_hat"], layer["u"] = c.z_hat[l], c.u[l]
                layer["mean"], layer["var"] = c.mean[l], c.var[l]
            if c.mask is not None:
                layer["mask"] = c.mask[l]
            if c.fa is not None and (c.mask is not None or model.skip[l]):  # a is more than act(u)
                layer["fa"] = c.fa[l]
    if "backward" in include:
        g = result.grads
        out["backward"] = [{"delta": d, "act_prime": p, "dW": dW, "db": db, "grad_norm": n}
                           for d, p, dW, db, n in zip(g.delta, g.act_prime, g.dW, g.db, g.grad_norm)]
        for layer, dgamma, dbeta in zip(out["backward"], g.dgamma, g.dbeta):
            layer["dgamma"], layer["dbeta"] = dgamma, dbeta
        for layer, terms in zip(out["backward"], backward_terms(model, result, W)):
            layer.update(terms)
    if "params" in include:
        out["params"] = params(model)
    return out


def epochs(trainer: Trainer, records: list[EpochRecord], include: Iterable[str]) -> dict[str, Any]:
    """``EpochsResult``: one entry per epoch just trained."""
    keys = history_keys(trainer.task)
    out: dict[str, Any] = {"epoch": trainer.epoch, "step": trainer.step_count, **stopping(trainer), **history(
        [r.train_loss for r in records], [r.test_loss for r in records], [r.grad_norms for r in records],
        [r.learning_rate for r in records], {k: [r.metrics.get(k) for r in records] for k in keys})}
    if "params" in include:
        out["params"] = params(trainer.model)
    return out


def gradcheck(result: GradCheckResult, indices: Array) -> dict[str, Any]:
    return {"max_rel_error": result.max_rel_error, "passed": result.passed,
            "layers": [{"W_rel_error": c.W_rel_error, "b_rel_error": c.b_rel_error,
                        **({} if c.gamma_rel_error is None else
                           {"gamma_rel_error": c.gamma_rel_error, "beta_rel_error": c.beta_rel_error})}
                       for c in result.layers],
            "tolerance": result.tolerance, "eps": result.eps, "indices": indices}


def training_rows(trainer: Trainer, indices: list[int] | None) -> Array:
    """Rows of the training set: ``indices`` (checked) or the first ``batch_size``."""
    if indices is None:
        return np.arange(min(trainer.n_train, trainer.batch_size))
    idx = np.asarray(indices, dtype=np.int64)
    if idx.max() >= trainer.n_train:
        raise ValueError(f"indices: every index must be in [0, {trainer.n_train}) (the training rows)")
    return idx


def matrix(rows: list[list[float]], field: str) -> Array:
    """``rows`` as an ``(m, d)`` float array; ragged rows are refused naming ``field``."""
    if len({len(r) for r in rows}) > 1:
        raise ValueError(f"{field}: every row must have the same length")
    return np.array(rows, dtype=np.float64)


def _sample(n: int, max_points: int, seed: int) -> Array:
    """At most ``max_points`` of ``range(n)``, seeded and in order."""
    if n <= max_points:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, max_points, replace=False))


def data_points(session: Session, max_points: int) -> dict[str, Any]:
    """The dataset after scaling but before any feature transform (the raw
    coordinates ``x1, x2`` to plot), sampled for plotting."""
    t, data, seed = session.trainer, session.data, session.config["seed"]

    def split(X: Array, y: Array) -> dict[str, Array]:
        keep = _sample(X.shape[0], max_points, seed)
        part = {"X": X[keep], "y": y[keep]}
        if data.task == "classification":  # the page colours points by class: the engine's rule, not its own
            part["classes"] = metrics.predict_classes(y[keep])
        return part

    raw = data.features is not None
    return {"task": data.task, "class_names": data.class_names,
            "feature_names": [f"x{k + 1}" for k in range(data.raw_train.shape[1])] if raw else data.feature_names,
            "image_shape": list(data.image_shape) if data.image_shape else None,
            "train": split(data.raw_train if raw else t.X, t.y),
            "test": split(data.raw_test if raw else t.X_test, t.y_test)}


def _padded_range(column: Array) -> Array:
    """``[lo, hi]`` of the data with 10% padding on both sides (never empty)."""
    lo, hi = float(column.min()), float(column.max())
    pad = 0.1 * (hi - lo) or 0.5
    return np.array([lo - pad, hi + pad])


def _raw_points(session: Session) -> tuple[Array, Array]:
    """The training and test points in raw coordinates: before any feature transform."""
    t, data = session.trainer, session.data
    return (data.raw_train, data.raw_test) if data.features is not None else (t.X, t.X_test)


def plane_inputs(session: Session) -> int:
    """How many raw inputs the session's points have (the plane of ``/data`` and ``/boundary``)."""
    return _raw_points(session)[0].shape[1]


def check_boundary(session: Session, resolution: int, field: str = "resolution") -> None:
    """Price :func:`boundary` at ``resolution`` before it runs (a 422 naming ``field``)."""
    rows = resolution ** plane_inputs(session) if plane_inputs(session) in (1, 2) else 0
    budget.check_forward(session.trainer.model, rows, field, f"a boundary at resolution {resolution}")


def check_neurons(session: Session, resolution: int, field: str = "resolution") -> None:
    """Price :func:`neurons` at ``resolution``: its forward pass over the grid, and its answer,
    one ``(R, R)`` grid per neuron."""
    layers = session.trainer.model.layers
    what = f"every neuron's picture at resolution {resolution}"
    budget.check_forward(session.trainer.model, resolution * resolution, field, what)
    budget.check_answer(resolution * resolution * sum(layers[1:]), field, what)


def check_outputs(session: Session, split: str, field: str = "split") -> None:
    """Price :func:`outputs` on ``split``: a prediction of every row of it."""
    t = session.trainer
    rows = t.n_train if split == "train" else int(t.X_test.shape[0])
    budget.check_forward(t.model, rows, field, f"predicting the {split} split")


def _plane_axes(session: Session, resolution: int) -> list[Array]:
    """Per raw input, ``resolution`` points covering all the data with 10% padding."""
    X_tr, X_te = _raw_points(session)
    X_all = np.concatenate([X_tr, X_te]) if X_te.shape[0] else X_tr
    return [np.linspace(*_padded_range(X_all[:, k]), resolution) for k in range(X_all.shape[1])]


def boundary(session: Session, resolution: int) -> dict[str, Any]:
    """The network's output over the plane (2 inputs) or the line (1 input).

    Grid: ``z[i][j]`` is the output at ``(x[j], y[i])``: P(class 1) for a
    sigmoid output, the argmax class for softmax, the (first) value otherwise.
    For classification, ``classes[i][j]`` is the class predicted there
    (``metrics.predict_classes``: what "discretize" draws).
    """
    t, features = session.trainer, session.data.features
    d_in = plane_inputs(session)
    if d_in not in (1, 2):
        raise ValueError(f"resolution: a boundary needs 1 or 2 input features; this session's "
                         f"network has {d_in} (model.layers[0])")

    def output(grid: Array) -> Array:  # grid points are raw coordinates; the network sees features
        return predict(t.model, grid if features is None else transform(grid, features))

    axes = _plane_axes(session, resolution)
    if d_in == 1:
        return {"kind": "curve", "x": axes[0], "y": output(axes[0][:, None])}
    xx, yy = np.meshgrid(axes[0], axes[1])  # xx[i, j] = x[j], yy[i, j] = y[i]
    out = output(np.column_stack([xx.ravel(), yy.ravel()]))
    classes = metrics.predict_classes(out).reshape(resolution, resolution)
    z = classes.astype(np.float64) if t.model.output_activation.name == "softmax" else out[:, 0].reshape(resolution, resolution)
    grid = {"kind": "grid", "x": axes[0], "y": axes[1], "z": z}
    if session.data.task == "classification":
        grid["classes"] = classes
    return grid




def neurons(session: Session, resolution: int) -> dict[str, Any]:
    """Every neuron's activation over the input plane (2 raw inputs only).

    The plane and its padding are :func:`boundary`'s; ``layers[l]["a"][n]`` is
    the ``(R, R)`` grid of ``act_l(z[l])[:, n]`` with ``[i][j]`` at ``(x[j], y[i])``.
    """
    t, data = session.trainer, session.data
    features = data.features
    d_in = plane_inputs(session)
    if d_in != 2:
        raise ValueError(f"resolution: neuron pictures need 2 input features; dataset {data.name!r} has {d_in}")
    axes = _plane_axes(session, resolution)
    xx, yy = np.meshgrid(axes[0], axes[1])  # xx[i, j] = x[j], yy[i, j] = y[i]
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    with np.errstate(all="ignore"):
        cache = t.model.forward(grid if features is None else transform(grid, features))
    return {"x": axes[0], "y": axes[1],
            "layers": [{"a": list(a.T.reshape(a.shape[1], resolution, resolution))} for a in cache.a]}


class NoStepToExplain(ServerError, LookupError):
    """The chain rule has no Step to show: none the trainer still stands at, or one too big to keep (409)."""

    status = 409


def chain(session: Session, layer: int, out: int, into: int, sample: int) -> dict[str, Any]:
    """``ChainRule``: where ``dW[layer][out][into]`` of the last Step came from, and (small
    networks) the computational graph of one of its samples. :class:`NoStepToExplain` without
    a Step the trainer still stands at."""
    t, last = session.trainer, session.last_step
    if last is None or not last.current(t):
        raise NoStepToExplain("chain: take a Step first (the chain rule shows the numbers of the last Step, "
                          "and the session has changed since, or has taken none)")
    if last.result is None or last.W is None:
        raise NoStepToExplain(f"chain: the last Step's pass holds {last.elements} numbers, more than the "
                          f"{LAST_STEP_MAX_ELEMENTS} a session keeps for the chain rule; take a Step "
                          "with a smaller batch (optimizer.batch_size or indices)")
    out_: dict[str, Any] = explain_weight(t.model, last.result, last.W, layer, out, into, last.gamma)
    out_["graph"] = sample_graph(t.model, last.result, last.W, sample, last.gamma)
    out_["step"] = last.result.step
    return out_


def distributions(trainer: Trainer) -> dict[str, Any]:
    """``Distributions``: the trainer's quantile record (see :class:`mlp_engine.Distributions`)."""
    return trainer.distributions.as_dict()


def _finite_or_none(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


def outputs(session: Session, split: str, max_points: int, units: str) -> dict[str, Any]:
    """Targets against predictions on a whole split, with the task's metrics.

    Regression values are in the dataset's original units when asked (the
    default) and the dataset was standardised; metrics cover the whole split,
    the point lists a seeded sample of it.
    """
    t, data = session.trainer, session.data
    X, y_true = (t.X, t.y) if split == "train" else (t.X_test, t.y_test)
    n = X.shape[0]
    y_pred = predict(t.model, X) if n else y_true.copy()
    out: dict[str, Any] = {"task": data.task, "split": split, "class_names": data.class_names,
                           "confusion": None, "accuracy": None, "rmse": None, "r2": None,
                           "units": units, "n": n}
    if data.task == "classification":
        k = max(y_true.shape[1], 2)
        truth, guess = metrics.predict_classes(y_true), metrics.predict_classes(y_pred)
        out["confusion"] = metrics.confusion_matrix(truth, guess, k)
        out["accuracy"] = metrics.accuracy(y_pred, y_true)
    else:
        if units == "original":
            y_true, y_pred = data.to_original_units(y_true), data.to_original_units(y_pred)
        if n:
            out["rmse"] = _finite_or_none(metrics.rmse(y_pred, y_true))
            out["r2"] = _finite_or_none(metrics.r2(y_pred, y_true))
    keep = _sample(n, max_points, session.config["seed"])
    out["y_true"], out["y_pred"] = y_true[keep], y_pred[keep]
    return out
