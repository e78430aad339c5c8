"""The document ``GET .../export`` sends and ``POST /api/sessions/import`` takes back:
the engine's ``Trainer.state_dict()`` in an envelope naming its format."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .requests import SessionConfig


class TrainerState(BaseModel):
    """``mlp_engine.Trainer.state_dict()``. Here only the config meets the server's
    limits; the engine checks the rest whole against the model and data that config
    builds (``mlp_engine.check_state``), naming the field that does not fit.

    Arrays are ``{"__array__": dtype, "shape": [...], "data": [...]}`` (flat data,
    floats exact, non-finite numbers as ``"NaN"``, ``"Infinity"``, ``"-Infinity"``);
    integers beyond 2**53 are ``{"__int__": "..."}``."""

    model_config = ConfigDict(extra="allow")
    version: Any = Field(None, description="1")
    config: SessionConfig
    params: Any = Field(None, description="{W: [array (out, in)], b: [array (out,)]} per weight layer")
    optimizer: Any = Field(None, description="name, learning_rate, clip_norm, t; momentum, nesterov, velocity "
                                             "(momentum); beta1, beta2, epsilon, m, v (adam)")
    rng: Any = Field(None, description="NumPy's PCG64 state of the batch-order generator")
    epoch: Any = Field(None, description="epochs completed")
    step: Any = Field(None, description="updates applied")
    order: Any = Field(None, description="the current epoch's order of the training rows, or null")
    cursor: Any = Field(None, description="rows of that order consumed (0 without an order)")
    accumulators: Any = Field(None, description="the running epoch's loss, samples, norms, steps, correct, sse")
    history: Any = Field(None, description="per-epoch lists: train_loss, test_loss, grad_norms, learning_rate "
                                           "and the task's metrics, one entry per epoch")
    early_stopping: Any = Field(None, description="best, bad_epochs, stopped_epoch; or null")
    distributions: Any = Field(None, description="percentiles, epochs, and per weight layer the quantiles of "
                                                 "W, dW and a per recorded epoch (as GET .../distributions)")
    undo: Any = Field(None, description="{orders: [array], snapshots: [the state before each recent change]}")


EXPORT_FORMAT = "mlp-playground-session"


class ExportDocument(BaseModel):
    """What ``GET .../export`` sends and ``POST /api/sessions/import`` takes back."""

    model_config = ConfigDict(extra="forbid")
    format: Literal["mlp-playground-session"]
    format_version: Literal[1]
    state: TrainerState
