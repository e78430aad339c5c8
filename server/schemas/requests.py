"""Request bodies: the REST contract's inputs as pydantic models.

Allowed names come from the engine's registries (so ``/docs`` lists exactly
what the engine accepts), every size is bounded by the app's limits
(:class:`~server.bounds.fields.AtMost`, checked against ``Settings.limits``),
and the bounds the engine checks too come from the engine's constants.
Requests forbid unknown fields, so a typo gets a 422 naming it instead of
being silently ignored.
"""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from mlp_engine import ACTIVATIONS, DATASETS, INITIALIZERS, LOSSES, OPTIMIZERS, OUTPUT_ACTIVATIONS
from mlp_engine.features import FEATURES
from mlp_engine.model import DROPOUT_BELOW
from mlp_engine.schedules import MAX_GAMMA, MAX_POWER_T, MIN_STEP_SIZE, SCHEDULES, Schedule

from ..bounds.fields import AtMost, current_limits

ActivationName = Literal[tuple(ACTIVATIONS)]  # type: ignore[valid-type]
OutputActivationName = Literal[tuple(OUTPUT_ACTIVATIONS)]  # type: ignore[valid-type]
LossName = Literal[tuple(LOSSES)]  # type: ignore[valid-type]
InitName = Literal[tuple(INITIALIZERS)]  # type: ignore[valid-type]
OptimizerName = Literal[tuple(OPTIMIZERS)]  # type: ignore[valid-type]
DatasetName = Literal[tuple(DATASETS)]  # type: ignore[valid-type]
Task = Literal["regression", "classification"]
FeatureName = Literal[tuple(FEATURES)]  # type: ignore[valid-type]
ScheduleName = Literal[tuple(SCHEDULES)]  # type: ignore[valid-type]

Finite = Annotated[float, Field(allow_inf_nan=False)]
Seed = Annotated[int, Field(ge=0, le=2**32 - 1, description="seeds NumPy and scikit-learn's split")]
Row = Annotated[list[Finite], Field(min_length=1), AtMost("max_width")]
Rows = Annotated[list[Row], Field(min_length=1), AtMost("max_samples")]
Width = Annotated[int, Field(ge=1), AtMost("max_width")]
Index = Annotated[int, Field(ge=0, le=2**62)]
Indices = Annotated[list[Index], Field(min_length=1, description="rows of the training set"),
                    AtMost("max_batch_size")]
MaxElements = Annotated[int, Field(
    ge=0, description="any single array with more elements is sent as an ArraySummary"), AtMost("max_elements")]
DEFAULT_MAX_ELEMENTS = 4096

TracePart = Literal["forward", "backward", "params", "X", "y"]
StatePart = Literal["params", "history", "config"]
IncludePart = Literal["forward", "backward", "params", "X", "y", "history", "config"]


class Request(BaseModel):
    """Base of every request body: unknown fields are errors."""

    model_config = ConfigDict(extra="forbid")


def count_numbers(rows: list[list[float]] | None) -> int:
    """The numbers in a list of rows (or in a list of numbers)."""
    return sum(len(r) if isinstance(r, list) else 1 for r in rows) if rows else 0


# --------------------------------------------------------------------------
# SessionConfig
# --------------------------------------------------------------------------
class DatasetConfig(Request):
    name: DatasetName = Field("xor", description="a dataset of GET /api/datasets, or 'inline'")
    n_samples: Annotated[int, Field(ge=1), AtMost("max_samples")] | None = Field(
        None, description="default: the dataset's usual size (all of a real one)")
    noise: float | None = Field(None, ge=0, le=10, allow_inf_nan=False, description="toy data only")
    test_fraction: float | None = Field(None, ge=0, lt=1, allow_inf_nan=False,
                                        description="default 0.2, 0 for inline")
    seed: Seed | None = Field(None, description="default: the session seed")
    X: Rows | None = Field(None, description="inline only: (m, d_in), used exactly as given")
    y: Rows | None = Field(None, description="inline only: (m, d_out), or a list of m numbers")
    task: Task | None = Field(None, description="inline only; default regression")
    standardize: bool | None = Field(
        None, description="inline only: fit a StandardScaler on the training part (default false)")
    features: Annotated[list[FeatureName], Field(min_length=1, max_length=len(FEATURES))] | None = Field(
        None, description="1-D/2-D data only: input features, in the order of /api/options features; "
                          "default the raw inputs ([x1, x2] or [x1]); the input size follows")

    @field_validator("y", mode="before")
    @classmethod
    def _column(cls, y: Any) -> Any:
        # A flat list of targets is one output column.
        if isinstance(y, list) and y and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in y):
            return [[v] for v in y]
        return y

    @field_validator("y")
    @classmethod
    def _inline_size(cls, y: list[list[float]] | None, info: ValidationInfo) -> list[list[float]] | None:
        limit = current_limits().max_inline_values
        if count_numbers(info.data.get("X")) + count_numbers(y) > limit:
            raise ValueError(f"inline X and y hold more than {limit} numbers")
        return y


class ModelConfig(Request):
    layers: Annotated[list[Width], Field(min_length=2), AtMost("max_layers", 1)] | None = Field(
        None, description="[d_in, h_1, ..., d_out]; default [d_in, 8, 8, d_out]")
    activation: ActivationName | Annotated[list[ActivationName], Field(min_length=1)] | None = Field(
        None, description="hidden layers: one name, or a list of one per hidden layer; default relu")
    output_activation: OutputActivationName | None = Field(None, description="default follows the task")
    loss: LossName | None = Field(None, description="must pair with output_activation (see valid_pairs)")
    init: InitName | None = Field(None, description="default he")
    weights: Annotated[list[Rows], Field(min_length=1), AtMost("max_layers")] | None = Field(
        None, description="W[l] of shape (layers[l+1], layers[l]): exact initial weights")
    biases: Annotated[list[Row], Field(min_length=1), AtMost("max_layers")] | None = Field(
        None, description="b[l] of shape (layers[l+1],); default zeros")
    dtype: Literal["float64", "float32"] | None = None
    dropout: float | None = Field(None, ge=0, lt=DROPOUT_BELOW, allow_inf_nan=False,
                                  description="inverted dropout p on every hidden layer's output, in training "
                                              "steps only; default 0")
    batch_norm: bool | None = Field(None, description="normalise each hidden pre-activation over the minibatch "
                                                      "(BatchNorm1d), learned gamma and beta; default false")
    residual: bool | None = Field(None, description="a hidden layer as wide as the one below adds its output "
                                                    "a[l-1]; default false")

    @field_validator("activation")
    @classmethod
    def _one_per_hidden_layer(cls, activation: str | list[str] | None, info: ValidationInfo
                              ) -> str | list[str] | None:
        layers = info.data.get("layers")
        if isinstance(activation, list) and layers is not None and len(activation) != len(layers) - 2:
            raise ValueError(f"a list needs one name per hidden layer ({len(layers) - 2} for layers {layers}), "
                             f"got {len(activation)}")
        return activation

    @field_validator("weights")
    @classmethod
    def _n_weights(cls, weights: list[list[list[float]]] | None) -> list[list[list[float]]] | None:
        limit = current_limits().max_params
        if weights is not None and sum(count_numbers(w) for w in weights) > limit:
            raise ValueError(f"more than {limit} numbers")
        return weights


class ScheduleConfig(Request):
    name: ScheduleName = Field("constant", description="constant, step (decay) or invscaling")
    step_size: int | None = Field(None, ge=MIN_STEP_SIZE, le=1_000_000,
                                  description=f"step: epochs between drops ({Schedule.step_size})")
    gamma: float | None = Field(None, gt=0, le=MAX_GAMMA, allow_inf_nan=False,
                                description=f"step: factor per drop ({Schedule.gamma})")
    power_t: float | None = Field(None, ge=0, le=MAX_POWER_T, allow_inf_nan=False,
                                  description=f"invscaling: lr0 / t ** power_t, t the update count ({Schedule.power_t})")


class EarlyStoppingConfig(Request):
    patience: int = Field(ge=1, le=1_000_000, description="epochs without improvement before stopping")
    min_delta: float = Field(0.0, ge=0, allow_inf_nan=False, description="the least decrease that counts")


class OptimizerConfig(Request):
    name: OptimizerName | None = Field(None, description="default sgd")
    learning_rate: Annotated[float, Field(gt=0, allow_inf_nan=False), AtMost("max_learning_rate")] | None = Field(
        None,
        description="any finite value > 0; divergence is reported as finite: false")
    batch_size: Annotated[int, Field(ge=1), AtMost("max_batch_size")] | None = Field(None, description="default 16")
    momentum: float | None = Field(None, ge=0, lt=1, allow_inf_nan=False)
    nesterov: bool | None = None
    l2: float | None = Field(None, ge=0, le=1e3, allow_inf_nan=False, description="penalty (l2/2) sum ||W||^2")
    l1: float | None = Field(None, ge=0, le=1e3, allow_inf_nan=False, description="penalty l1 sum |W|; default 0")
    shuffle: bool | None = None
    clip_norm: float | None = Field(None, gt=0, le=1e9, allow_inf_nan=False,
                                    description="rescale the gradient when its global norm exceeds this")
    schedule: ScheduleConfig | None = Field(None, description="learning-rate schedule; default constant")
    early_stopping: EarlyStoppingConfig | None = Field(
        None, description="stop when the test loss stops improving (needs a test split); default off")


class SessionConfig(Request):
    """Everything optional; the defaults train an 8-8 ReLU network on XOR."""

    dataset: DatasetConfig | None = None
    model: ModelConfig | None = None
    optimizer: OptimizerConfig | None = None
    seed: Seed | None = Field(None, description="default 0")


# --------------------------------------------------------------------------
# Requests on a session
# --------------------------------------------------------------------------
class BackwardRequest(Request):
    indices: Indices | None = Field(None, description="default: the next minibatch of the epoch's order")
    apply: bool = Field(True, description="false: a preview; parameters stay as they are")
    include: list[TracePart] | None = Field(None, description="parts to send; default all")
    max_elements: MaxElements = DEFAULT_MAX_ELEMENTS


class ForkRequest(Request):
    overrides: SessionConfig = Field(
        default_factory=SessionConfig,
        description="a partial SessionConfig applied to the original's (model and optimizer fields; "
                    "the data and seed are the original's)")


class EpochsRequest(Request):
    count: Annotated[int, Field(ge=1), AtMost("max_epochs_per_request")] = 1
    include: list[Literal["params"]] | None = Field(None, description="[] leaves params out; default all")
    max_elements: MaxElements = DEFAULT_MAX_ELEMENTS


class ParamEdit(Request):
    layer: Annotated[int, Field(ge=0, description="weight layer l (for gamma and beta: hidden layer l)"),
                     AtMost("max_layers")]
    name: Literal["W", "b", "gamma", "beta"] = Field(description="gamma and beta exist with model.batch_norm only")
    index: Annotated[list[Annotated[int, Field(ge=0, le=2**31)]], Field(min_length=1, max_length=2)] = Field(
        description="[i, j] of W[l] (out, in), or [i] of b[l], gamma[l], beta[l]")
    value: Finite


class UndoRequest(Request):
    count: int = Field(1, ge=1, le=10_000, description="changes to take back")


class CsvRequest(Request):
    csv: str = Field(description="the file's text (',' separated; ';' or tab when unambiguous)")
    target: str | int | None = Field(None, description="column name or index; default the last column")
    task: Task | None = Field(None, description="default: classification for <= 10 distinct integers")
    has_header: bool | None = Field(None, description="default: detected")


class GradcheckRequest(Request):
    eps: float = Field(1e-5, gt=0, lt=1, allow_inf_nan=False)
    indices: Indices | None = Field(None, description="default: the first batch_size training rows")
    masks: list[Rows] | None = Field(
        None, description="dropout only: a trace's forward[l].mask per hidden layer, (m, n_l) of 0 and 1, kept "
                          "fixed; default none dropped")


class PredictRequest(Request):
    X: Rows = Field(description="(m, d_in), in the units the network sees")

    @field_validator("X")
    @classmethod
    def _size(cls, X: list[list[float]]) -> list[list[float]]:
        limit = current_limits().max_inline_values
        if count_numbers(X) > limit:
            raise ValueError(f"more than {limit} numbers")
        return X
