"""What both exported scripts share: the facts read from a session, and the script parts
that do not depend on the framework (the minibatch order, the schedule, the header;
the data is :mod:`.data`'s).

:func:`snapshot` reads everything a script needs from a session's trainer through its
public names (``state_dict()``, the model, the schedule); the caller holds the session's
lock. The ``*_section`` functions turn a :class:`Snapshot` into Python source text that
imports nothing from the playground: NumPy, scikit-learn and the standard library only.
"""
from __future__ import annotations

import hashlib
import json
import math
import pprint
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mlp_engine import DATASETS, Params, Trainer
from mlp_engine.datasets import data_folder
from mlp_engine.state import decode

Array = np.ndarray

FRAMEWORKS = ("numpy", "pytorch")
MAX_STEPS = 1000

# The config fields a script knows how to reproduce. A field outside these (an option the
# engine gains later) is refused by name rather than silently left out of the script.
KNOWN_FIELDS = {
    "dataset": {"name", "n_samples", "noise", "test_fraction", "seed", "X", "y", "task", "standardize",
                "features"},
    "model": {"layers", "activation", "output_activation", "loss", "init", "dtype", "weights", "biases",
              "residual", "dropout", "batch_norm"},
    "optimizer": {"name", "learning_rate", "batch_size", "momentum", "nesterov", "l2", "l1", "shuffle",
                  "clip_norm", "schedule", "early_stopping"},
}
KNOWN_TOP = {"dataset", "model", "optimizer", "seed"}


@dataclass
class Snapshot:
    """A session's state at the moment of export, as plain Python values and arrays.

    ``activation`` is the config's (one name, or one per hidden layer), ``activations`` one
    name per hidden layer; ``skip[l]`` says hidden layer ``l`` adds ``a[l-1]`` (the model's
    residual rule: ``l >= 1`` and as wide as the layer below); ``dropout`` is ``p`` (0: none)
    and ``dropout_rng`` the mask generator's PCG64 state;
    ``W[l]`` ``(out, in)`` and ``b[l]`` ``(out,)`` in the model's dtype; with ``batch_norm``
    every hidden layer's ``gamma``, ``beta`` and running ``mean``, ``var`` ``(n,)`` (empty
    lists without); ``opt`` is the optimizer's ``state_dict()`` with its flat vectors split
    per layer (``velocity``, ``m``, ``v`` as ``{"W": [...], "b": [...]}``, plus ``"gamma"``
    and ``"beta"`` with batch norm); ``order`` the current epoch's order (``None``
    before the next epoch is drawn) and ``cursor`` how much of it is consumed; ``rng`` the
    batch-order generator's PCG64 state."""

    config: dict[str, Any]
    spec: dict[str, Any]
    features: list[str] | None
    raw_width: int
    layers: list[int]
    activation: str | list[str]
    activations: list[str]
    skip: list[bool]
    output_activation: str
    loss: str
    l2: float
    l1: float
    dropout: float
    dropout_rng: dict[str, Any] | None
    batch_norm: bool
    dtype: str
    W: list[Array]
    b: list[Array]
    gamma: list[Array]
    beta: list[Array]
    running_mean: list[Array]
    running_var: list[Array]
    opt: dict[str, Any]
    learning_rate: float
    base_learning_rate: float
    schedule: dict[str, Any]
    batch_size: int
    shuffle: bool
    rng: dict[str, Any]
    order: Array | None
    cursor: int
    epoch: int
    step: int
    n_train: int
    data_sha256: str
    data_folder: str
    steps: int

    @property
    def dataset(self) -> str:
        return str(self.spec["name"])

    @property
    def kind(self) -> str:
        return DATASETS[self.dataset].kind


def data_digest(X: Array, y: Array) -> str:
    """SHA-256 of the training arrays' bytes (C order, the model's dtype): the script
    checks the data it rebuilds against this, so a different loader or library version
    cannot go unnoticed."""
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(X).tobytes())
    h.update(np.ascontiguousarray(y).tobytes())
    return h.hexdigest()


def check_config(config: dict[str, Any]) -> None:
    """Refuse a config with a field no script reproduces (``ValueError`` naming it)."""
    for key in config:
        if key not in KNOWN_TOP:
            raise ValueError(f"{key}: the code export does not reproduce this option yet")
    for part, known in KNOWN_FIELDS.items():
        for key in config.get(part) or {}:
            if key not in known:
                raise ValueError(f"{part}.{key}: the code export does not reproduce this option yet")


def _split(flat: Array | None, layers: list[int], batch_norm: bool) -> dict[str, list[Array]] | None:
    """A flat optimizer vector (the parameters' layout: every ``W``, then every ``b``, then with
    batch norm every ``gamma`` and every ``beta``) per layer."""
    if flat is None:
        return None
    p = Params(layers, flat, batch_norm)
    return {"W": p.W, "b": p.b, **({"gamma": p.gamma, "beta": p.beta} if batch_norm else {})}


def _dropout_state(trainer: Trainer) -> dict[str, Any] | None:
    """The dropout generator's PCG64 state (``None`` without dropout): the script draws the
    same masks from a copy of it."""
    rng = trainer.dropout_rng
    if rng is None:
        return None
    if type(rng.bit_generator).__name__ != "PCG64":
        raise ValueError("model.dropout: the code export copies a PCG64 dropout generator only")
    return rng.bit_generator.state


def snapshot(trainer: Trainer, config: dict[str, Any], steps: int, data_dir: str | Path | None = None) -> Snapshot:
    """Everything a script needs, copied out of ``trainer`` (hold the session's lock)."""
    check_config(config)
    state = decode(trainer.state_dict())
    model = trainer.model
    opt = dict(state["optimizer"])
    for key in ("velocity", "m", "v"):
        if key in opt:
            opt[key] = _split(opt[key], model.layers, model.batch_norm)
    data = trainer.data
    params, running = state["params"], state.get("running") or {"mean": [], "var": []}
    return Snapshot(
        config=config, spec=dict(data.spec), features=None if data.features is None else list(data.features),
        raw_width=int(data.raw_train.shape[1]), layers=list(model.layers), activation=model.activation_spec,
        activations=[act.name for act in model.activations], skip=[bool(k) for k in model.skip],
        output_activation=model.output_activation.name, loss=model.loss_fn.name, l2=model.l2, l1=model.l1,
        dropout=model.dropout, dropout_rng=_dropout_state(trainer), batch_norm=model.batch_norm,
        dtype=model.dtype, W=[np.array(w) for w in params["W"]], b=[np.array(v) for v in params["b"]],
        gamma=[np.array(g) for g in params.get("gamma", [])], beta=[np.array(g) for g in params.get("beta", [])],
        running_mean=[np.array(r) for r in running["mean"]], running_var=[np.array(r) for r in running["var"]],
        opt=opt,
        learning_rate=float(trainer.optimizer.learning_rate), base_learning_rate=trainer.base_learning_rate,
        schedule=trainer.schedule.as_config(), batch_size=trainer.batch_size, shuffle=trainer.shuffle,
        rng=state["rng"], order=state["order"], cursor=int(state["cursor"]), epoch=int(state["epoch"]),
        step=int(state["step"]), n_train=trainer.n_train, data_sha256=data_digest(trainer.X, trainer.y),
        data_folder=str(data_folder(data_dir)), steps=steps)


# --------------------------------------------------------------------------
# Literals: every float as its shortest round-trip repr, so the script holds the same bits.
# --------------------------------------------------------------------------
def _num(x: float) -> str:
    if math.isfinite(x):
        return repr(float(x))
    return "float('nan')" if math.isnan(x) else ("float('inf')" if x > 0 else "-float('inf')")


WIDTH = 110


def literal(value: Any, indent: int = 0) -> str:
    """Python source for nested lists of numbers (an array of any rank) whose ``[`` stands at
    column ``indent``: one row per line, long rows wrapped."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, list):
        if value and isinstance(value[0], list):
            pad = " " * (indent + 1)
            rows = (",\n" + pad).join(literal(v, indent + 1) for v in value)
            return "[" + rows + "]"
        items = [_num(x) if isinstance(x, float) else repr(x) for x in value]
        lines, line = [], ""
        for item in items:  # packed into lines of about WIDTH characters
            if line and indent + 1 + len(line) + len(item) + 2 > WIDTH:
                lines.append(line)
                line = ""
            line = f"{line}, {item}" if line else item
        lines.append(line)
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    if isinstance(value, float):
        return _num(value)
    return repr(value)


def array_literal(a: Array, indent: int = 0) -> str:
    """``np.array([...])`` source for ``a``; the dtype is set where it is used."""
    return f"np.array({literal(a, indent + 9)})"


def per_layer(name: str, arrays: list[Array], comment: str) -> str:
    """``name = [np.array(...), ...]`` with one array per layer."""
    parts = [f"# {comment}", f"{name} = ["]
    for l, a in enumerate(arrays):
        parts.append(f"    # layer {l}: shape {tuple(a.shape)}")
        parts.append(f"    {array_literal(a, 4)},")
    parts.append("]")
    return "\n".join(parts)


def batch_norm_literals(s: Snapshot, names: tuple[str, str, str, str]) -> str:
    """Batch norm's ``gamma``, ``beta`` and running mean and variance of every hidden layer as
    ``per_layer`` lists under ``names`` (the scripts then give them their framework's type)."""
    return "\n".join([
        "# Batch norm's scale and shift of every hidden layer, (n,) each, trained like W and b,",
        "# and its running estimates (kept, not trained).",
        per_layer(names[0], s.gamma, "gamma[l]: the scale after normalising."),
        per_layer(names[1], s.beta, "beta[l]: the shift."),
        per_layer(names[2], s.running_mean, "The running estimate of each hidden unit's mean ..."),
        per_layer(names[3], s.running_var, "... and of its variance (unbiased).")])


# --------------------------------------------------------------------------
# The minibatch order and the learning rate
# --------------------------------------------------------------------------
def order_section(s: Snapshot) -> str:
    """``next_batch()`` -> the rows of the next minibatch, drawn as the session draws them:
    the rest of the current epoch's order, then a fresh permutation per epoch."""
    rng_state = pprint.pformat(s.rng, width=WIDTH - 26).replace("\n", "\n" + " " * 26)
    order = "None" if s.order is None else f"np.array({literal(s.order.tolist(), 17)})"
    draw = "rng.permutation(N_TRAIN)" if s.shuffle else "np.arange(N_TRAIN)"
    return f'''\
# ---- The minibatch order ----
# Each epoch visits the {s.n_train} training rows in an order drawn from the session's own
# generator (PCG64, its state copied here); minibatches of {s.batch_size} rows take that order
# in turn, the last one of an epoch possibly smaller.
N_TRAIN, BATCH_SIZE = {s.n_train}, {s.batch_size}
rng = np.random.Generator(np.random.PCG64())
rng.bit_generator.state = {rng_state}
epoch = {s.epoch}  # epochs completed
order = {order}  # the current epoch's order (None: the next step draws a new one)
cursor = {s.cursor}  # rows of it already used


def next_batch():
    """The training rows of the next minibatch, and whether it ends the epoch."""
    global order, cursor
    if order is None:
        order = {draw}
        cursor = 0
    lo, hi = cursor, min(cursor + BATCH_SIZE, N_TRAIN)
    cursor = hi
    return order[lo:hi], hi >= N_TRAIN'''


def schedule_section(s: Snapshot) -> str:
    """``lr`` now, and ``rate_for_update(t)`` / ``end_epoch()`` that move it as the session does."""
    sch = s.schedule
    head = f"# ---- The learning rate: schedule {sch['name']!r} ----\n"
    if sch["name"] == "step":
        body = f'''\
# lr = lr0 * gamma ** (epoch // step_size): it drops by gamma every step_size epochs,
# set when an epoch ends.
LR0, GAMMA, STEP_SIZE = {_num(s.base_learning_rate)}, {_num(sch['gamma'])}, {sch['step_size']}
lr = {_num(s.learning_rate)}  # the rate of the current epoch


def rate_for_update(t):
    return lr


def end_epoch():
    global lr, epoch, order
    epoch += 1
    order = None
    lr = LR0 * GAMMA ** (epoch // STEP_SIZE)'''
    elif sch["name"] == "invscaling":
        body = f'''\
# lr = lr0 / t ** power_t, t the number of the update about to be made (1 for the first).
LR0, POWER_T = {_num(s.base_learning_rate)}, {_num(sch['power_t'])}


def rate_for_update(t):
    return LR0 / max(t, 1) ** POWER_T


def end_epoch():
    global epoch, order
    epoch += 1
    order = None'''
    else:
        body = f'''\
lr = {_num(s.learning_rate)}  # constant


def rate_for_update(t):
    return lr


def end_epoch():
    global epoch, order
    epoch += 1
    order = None'''
    return head + body


def early_stopping_note(s: Snapshot) -> str:
    es = s.config["optimizer"].get("early_stopping")
    if not es:
        return ""
    return (f"# Early stopping (patience {es['patience']}, min_delta {es['min_delta']}) watches the test loss\n"
            f"# once per epoch and ends whole-epoch training; single steps, as taken here, go on regardless.\n")


EVAL_ROWS = 8
"""With batch norm the script also answers the network in evaluation mode on this many training rows."""


def output_section(s: Snapshot) -> str:
    """The script's one JSON line (``params_now()``, and with batch norm ``bn_now()`` and
    ``predict(X)``, are the framework's)."""
    bn = f'''
# Batch norm: gamma, beta and the running estimates after the last step, and the network in
# evaluation mode (the running estimates in place of the batch's) on the first training rows.
bn = bn_now()
result.update({{key: [np.asarray(x).tolist() for x in bn[key]] for key in ("gamma", "beta")}})
result["running"] = {{"mean": [np.asarray(x).tolist() for x in bn["mean"]],
                     "var": [np.asarray(x).tolist() for x in bn["var"]]}}
X_eval = X_train[:{EVAL_ROWS}]
result["eval"] = {{"X": np.asarray(X_eval).tolist(), "yhat": np.asarray(predict(X_eval)).tolist()}}''' if s.batch_norm else ""
    return f'''\
# ---- One JSON line: the loss of every step, the last step's gradients, the parameters after it ----
result = {{"loss": losses, "dW": [np.asarray(g).tolist() for g in last_dW],
          "db": [np.asarray(g).tolist() for g in last_db],
          "params": [{{"W": np.asarray(w).tolist(), "b": np.asarray(v).tolist()}} for w, v in params_now()]}}{bn}
print(json.dumps(result))'''


def header(s: Snapshot, framework: str, needs: str) -> str:
    cfg = json.dumps(s.config, sort_keys=True)
    if len(cfg) > 600:  # inline data and explicit weights are written out below; keep the header short
        c = json.loads(cfg)
        for part, key in (("dataset", "X"), ("dataset", "y"), ("model", "weights"), ("model", "biases")):
            if key in c.get(part, {}):
                c[part][key] = "..."
        cfg = json.dumps(c, sort_keys=True)
    l1_note = ("\nL1: the objective adds l1 sum_l sum |W[l]|, dW[l] adds l1 sign(W[l]) (sign(0) = 0)."
               if s.l1 else "")
    drop_note = (f"\nDropout: p = {_num(s.dropout)} on every hidden output in training, each step's masks drawn\n"
                 "from a copy of the session's dropout generator.") if s.dropout else ""
    bn_note = ("\nBatch norm: every hidden layer's z is normalised over the minibatch, u = gamma z_hat + beta,\n"
               "before its activation (evaluation mode: the running estimates).") if s.batch_norm else ""
    skip_note = ""
    if any(s.skip):
        skip_note = ("\nResidual: hidden layer l adds a[l-1] to its output where the widths agree\n"
                     f"(hidden layers {[l for l, k in enumerate(s.skip) if k]}), a[l] = f(z[l]) + a[l-1].")
    return f'''\
"""An MLP Playground session as a standalone {framework} script.

Dataset {s.dataset}, layers {s.layers}, hidden activation {s.activation}, output
{s.output_activation} with loss {s.loss}, optimizer {s.opt['name']}, dtype {s.dtype}.
The session stood at epoch {s.epoch}, step {s.step}; this script takes its next {s.steps}
step(s) exactly as the session would and prints one JSON line:
{{"loss": [one per step], "dW": [last step, per layer], "db": [...], "params": [{{"W", "b"}} after the last step]}}.

Conventions (the playground's): samples are rows, X is (m, d_in); W[l] is (out, in) and
b[l] is (out,); z[l] = a[l-1] @ W[l].T + b[l]; the objective is the batch MEAN of the
per-sample loss plus (l2/2) sum_l ||W[l]||^2. Equations are the textbook derivation's (one hidden
layer, Delta = (1/m)(Yhat - Y), dW = Delta^T H, delta_1 = (W_2^T delta_2) * sigma'(z_1)).{l1_note}{bn_note}{skip_note}{drop_note}

Session config:
{textwrap.fill(cfg, WIDTH - 10, initial_indent="    ", subsequent_indent="    ", break_on_hyphens=False)}

Run: python mlp_{s.dataset}_{framework.lower()}.py  (needs {needs})
"""'''
