"""A session's config, one plain dict the shape of the REST API's ``SessionConfig``:
:func:`resolve_config` fills every default, :func:`trainer_parts` loads the data and
builds the model, the optimizer and the rest of what a
:class:`~.trainer.Trainer` is made of (:func:`~.factory.make_trainer` makes one of them).
"""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np

from .datasets import Dataset, load_dataset
from .features import DEFAULT_FEATURES
from .losses import VALID_PAIRS
from .model import MLP
from .optimizers import make_optimizer
from .schedules import EarlyStopping, Schedule

DEFAULT_HIDDEN = [8, 8]


def default_output(task: str, n_outputs: int) -> tuple[str, str]:
    """The usual output activation and loss for a task."""
    if task == "regression":
        return "linear", "mse"
    if n_outputs == 1:
        return "sigmoid", "binary_cross_entropy"
    return "softmax", "cross_entropy"


def resolve_config(config: dict[str, Any] | None) -> dict[str, Any]:
    """Fill every default of a (possibly partial) config so that it is complete
    and reproduces the same run when given again. Does not load data."""
    cfg = copy.deepcopy(config or {})
    seed = cfg.get("seed")
    cfg["seed"] = 0 if seed is None else seed
    ds = {k: v for k, v in (cfg.get("dataset") or {}).items() if v is not None}
    ds.setdefault("name", "xor")
    ds.setdefault("seed", cfg["seed"])
    if ds["name"] == "inline":
        ds.setdefault("task", "regression")
        ds.setdefault("standardize", False)
    cfg["dataset"] = ds
    cfg["model"] = {k: v for k, v in (cfg.get("model") or {}).items() if v is not None}
    opt = {k: v for k, v in (cfg.get("optimizer") or {}).items() if v is not None}
    opt.setdefault("name", "sgd")
    opt.setdefault("learning_rate", 0.01 if opt["name"] == "adam" else 0.1)
    opt.setdefault("batch_size", 16)
    opt.setdefault("momentum", 0.9)
    opt.setdefault("nesterov", False)
    opt.setdefault("l2", 0.0)
    opt.setdefault("shuffle", True)
    opt.setdefault("clip_norm", None)
    # Popped and put back so that the key order (and a saved state's bytes) never depends on the input's.
    opt["schedule"] = Schedule.from_config(opt.pop("schedule", None)).as_config()
    es = EarlyStopping.from_config(opt.pop("early_stopping", None))
    opt["early_stopping"] = None if es is None else es.as_config()
    cfg["optimizer"] = opt
    return cfg


def make_rngs(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    """Independent generators for initialisation and batch order from one seed."""
    init_ss, order_ss = np.random.SeedSequence(seed).spawn(2)
    return np.random.default_rng(init_ss), np.random.default_rng(order_ss)


def make_dropout_rng(seed: int) -> np.random.Generator:
    """The generator of the dropout masks: the seed's third child (``SeedSequence(seed).spawn(3)[2]``),
    independent of the other two, so turning dropout on changes neither the weights nor the order."""
    return np.random.default_rng(np.random.SeedSequence(seed).spawn(3)[2])


def trainer_parts(config: dict[str, Any] | None = None, data: Dataset | None = None, *,
                  data_dir: str | Path | None = None, download: bool = True) -> dict[str, Any]:
    """What a :class:`~.trainer.Trainer` is built from, as its keyword arguments (all but the
    undo bounds), from a ``SessionConfig``-shaped dict.

    ``{"dataset": {...}, "model": {...}, "optimizer": {...}, "seed": int}``;
    every field is optional. Missing ``model.layers`` become
    ``[n_features, 8, 8, n_outputs]``; missing output activation and loss
    follow the task. ``model.activation`` may be a list (one name per hidden
    layer); ``model.dropout``, ``model.batch_norm``, ``model.residual`` and
    ``optimizer.l1`` are off unless given. ``data`` may be passed to skip loading it again.
    ``dataset.features`` (1-D and 2-D data only; default the raw inputs)
    turns the inputs into those features, so the default input size follows.
    The ``config`` part is the complete, resolved config; ``data_dir`` and
    ``download`` go to :func:`~.datasets.load_dataset` (real data's folder).
    """
    cfg = resolve_config(config)
    ds_cfg, m_cfg, o_cfg = cfg["dataset"], cfg["model"], cfg["optimizer"]
    if data is None:
        data = load_dataset(**{k: v for k, v in ds_cfg.items() if k != "features"},
                            data_dir=data_dir, download=download)
    d_raw = data.raw_train.shape[1]
    if d_raw in DEFAULT_FEATURES:
        ds_cfg["features"] = list(ds_cfg.get("features") or DEFAULT_FEATURES[d_raw])
        data = data.with_features(ds_cfg["features"])
    elif "features" in ds_cfg:
        raise ValueError(f"dataset.features: feature transforms apply to datasets with 1 or 2 inputs; "
                         f"{ds_cfg['name']} has {d_raw}")
    if "layers" not in m_cfg:
        if m_cfg.get("weights") is not None:
            W = m_cfg["weights"]
            m_cfg["layers"] = [len(W[0][0]) if W and W[0] else data.n_features] + [len(w) for w in W]
        else:
            m_cfg["layers"] = [data.n_features, *DEFAULT_HIDDEN, data.n_outputs]
    out, loss = m_cfg.get("output_activation"), m_cfg.get("loss")
    if out is None:
        # Follow the loss when one is given (cross_entropy implies softmax), else the task.
        out = next((o for o, ls in VALID_PAIRS.items() if loss in ls), None) if loss else None
        out = out or default_output(data.task, data.n_outputs)[0]
    m_cfg["output_activation"] = out
    m_cfg["loss"] = loss or VALID_PAIRS.get(out, ("mse",))[0]
    m_cfg.setdefault("activation", "relu")
    m_cfg.setdefault("init", "he")
    m_cfg.setdefault("dtype", "float64")
    init_rng, order_rng = make_rngs(cfg["seed"])
    model = MLP(m_cfg["layers"], m_cfg["activation"], m_cfg["output_activation"], m_cfg["loss"],
                m_cfg["init"], init_rng, m_cfg.get("weights"), m_cfg.get("biases"),
                l2=o_cfg["l2"], dtype=m_cfg["dtype"], l1=o_cfg.get("l1", 0.0),
                dropout=m_cfg.get("dropout", 0.0), batch_norm=m_cfg.get("batch_norm", False),
                residual=m_cfg.get("residual", False))
    optimizer = make_optimizer(o_cfg["name"], o_cfg["learning_rate"], momentum=o_cfg["momentum"],
                               nesterov=o_cfg["nesterov"], clip_norm=o_cfg["clip_norm"])
    return {"model": model, "optimizer": optimizer, "data": data, "batch_size": o_cfg["batch_size"],
            "shuffle": o_cfg["shuffle"], "rng": order_rng, "config": cfg,
            "schedule": Schedule.from_config(o_cfg["schedule"]),
            "early_stopping": EarlyStopping.from_config(o_cfg["early_stopping"]),
            "dropout_rng": make_dropout_rng(cfg["seed"]) if model.dropout else None}


__all__ = ["resolve_config", "trainer_parts", "make_rngs", "make_dropout_rng", "default_output",
           "DEFAULT_HIDDEN"]
