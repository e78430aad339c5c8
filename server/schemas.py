"""Request and response schemas: the REST contract as pydantic models.

Allowed names come from the engine's registries (so ``/docs`` lists exactly
what the engine accepts) and every size is bounded by the app's limits
(:class:`~server.limits.AtMost`, checked against ``Settings.limits``).
Requests forbid unknown fields, so a typo gets a 422 naming it instead of
being silently ignored.

Response models document the answers in ``/docs``; routes send bytes made by
:mod:`server.serialize` (fast, NaN as ``null``), so these are not re-validated
on the way out. A large array may come back as an :class:`ArraySummary`
instead of nested lists (see ``max_elements``).
"""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from mlp_engine import ACTIVATIONS, DATASETS, INITIALIZERS, LOSSES, OPTIMIZERS, OUTPUT_ACTIVATIONS
from mlp_engine.features import FEATURES
from mlp_engine.schedules import SCHEDULES

from .limits import AtMost, current_limits

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
StatePart = Literal["params", "history"]
IncludePart = Literal["forward", "backward", "params", "X", "y", "history"]


class Request(BaseModel):
    """Base of every request body: unknown fields are errors."""

    model_config = ConfigDict(extra="forbid")


def _count(rows: list[list[float]] | None) -> int:
    return sum(len(r) for r in rows) if rows else 0


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
        if _count(info.data.get("X")) + _count(y) > limit:
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
    dropout: float | None = Field(None, ge=0, lt=1, allow_inf_nan=False,
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

    @field_validator("layers")
    @classmethod
    def _n_params(cls, layers: list[int] | None) -> list[int] | None:
        if layers is not None:
            n = sum(i * o + o for i, o in zip(layers[:-1], layers[1:]))
            limit = current_limits().max_params
            if n > limit:
                raise ValueError(f"{layers} has {n} parameters; the limit is {limit}")
        return layers

    @field_validator("weights")
    @classmethod
    def _n_weights(cls, weights: list[list[list[float]]] | None) -> list[list[list[float]]] | None:
        limit = current_limits().max_params
        if weights is not None and sum(_count(w) for w in weights) > limit:
            raise ValueError(f"more than {limit} numbers")
        return weights


class ScheduleConfig(Request):
    name: ScheduleName = Field("constant", description="constant, step (decay) or invscaling")
    step_size: int | None = Field(None, ge=1, le=1_000_000, description="step: epochs between drops (10)")
    gamma: float | None = Field(None, gt=0, le=1, allow_inf_nan=False, description="step: factor per drop (0.5)")
    power_t: float | None = Field(None, ge=0, le=10, allow_inf_nan=False,
                                  description="invscaling: lr0 / t ** power_t, t the update count (0.5)")


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


class CsvResult(BaseModel):
    X: list[list[float]]
    y: list[list[float]]
    feature_names: list[str]
    target_name: str
    task: Task
    n_samples: int
    n_features: int
    class_names: list[str] | None


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
        if _count(X) > limit:
            raise ValueError(f"more than {limit} numbers")
        return X


# --------------------------------------------------------------------------
# Answers (documentation; the bytes come from server.serialize)
# --------------------------------------------------------------------------
class ArraySummary(BaseModel):
    summary: Literal[True]
    shape: list[int]
    min: float | None
    max: float | None
    mean: float | None
    std: float | None
    norm: float | None


Array = list[Any] | ArraySummary


class Health(BaseModel):
    status: Literal["ok", "store failing"]
    version: str
    store: str | None = Field(None, description="the store's last failure while it lasts (503 then)")
    cancelled: int = Field(0, description="requests whose client left before their work was done")
    stopped: int = Field(0, description="of those, the ones whose work was cut short at a slice (a gradient check)")


class DatasetItem(BaseModel):
    name: str
    task: Task
    n_features: int
    n_outputs: int
    n_samples: int
    description: str
    kind: Literal["toy", "real", "inline"]


class LimitsModel(BaseModel):
    max_layers: int
    max_width: int
    max_params: int
    max_batch_size: int
    max_epochs_per_request: int
    max_samples: int
    max_boundary_resolution: int
    max_inline_values: int
    max_learning_rate: float
    max_points: int
    max_elements: int
    max_gradcheck_params: int


class ActivationFormula(BaseModel):
    f: str = Field(description="a = f(z)")
    df: str = Field(description="f'(z), the factor backprop multiplies delta by")


class LossFormula(BaseModel):
    value: str = Field(description="the per-sample loss")
    delta: dict[str, str] = Field(description="the output delta dL/dz per output activation it pairs with")


class Formulas(BaseModel):
    activations: dict[str, ActivationFormula] = Field(description="every hidden and output activation")
    losses: dict[str, LossFormula]


class Options(BaseModel):
    features: dict[str, list[str]] = Field(description="input features on offer per raw input width")
    schedules: list[str]
    activations: list[str]
    output_activations: list[str]
    losses: list[str]
    valid_pairs: dict[str, list[str]]
    inits: list[str]
    optimizers: list[str]
    datasets: list[DatasetItem]
    limits: LimitsModel
    defaults: dict[str, Any] = Field(description="the complete resolved SessionConfig of a default session")
    formulas: Formulas = Field(description="the engine's formulas, as display strings")


class LayerParams(BaseModel):
    W: Array
    b: Array
    gamma: Array | None = Field(None, description="batch norm (hidden layers): scale, initially 1")
    beta: Array | None = Field(None, description="batch norm (hidden layers): shift, initially 0")


class MetricLists(BaseModel):
    """Per-epoch learning rate and metrics; a metric key is absent when not applicable."""

    learning_rate: list[float | None] | None = None
    train_accuracy: list[float | None] | None = None
    test_accuracy: list[float | None] | None = None
    train_rmse: list[float | None] | None = None
    test_rmse: list[float | None] | None = None
    train_r2: list[float | None] | None = None
    test_r2: list[float | None] | None = None


class HistoryModel(MetricLists):
    train_loss: list[float | None]
    test_loss: list[float | None]
    grad_norms: list[list[float | None]]


class SessionState(BaseModel):
    id: str
    config: dict[str, Any] = Field(description="the complete resolved SessionConfig")
    epoch: int
    step: int
    params: list[LayerParams] | None = None
    history: HistoryModel | None = None
    task: Task
    n_train: int
    n_test: int
    steps_per_epoch: int
    position: int = Field(description="samples of the current epoch consumed")
    finite: bool
    n_params: int
    dataset: DatasetItem
    class_names: list[str] | None
    learning_rate: float = Field(description="the rate the next update uses")
    stopped: bool = Field(description="early stopping has ended training")
    stopped_epoch: int | None
    undo_available: int = Field(description="changes POST .../undo can take back")
    undo_depth: int = Field(description="snapshots kept; 0 when the model is too large to snapshot")


class ForwardLayer(BaseModel):
    z: Array
    a: Array
    z_hat: Array | None = Field(None, description="batch norm (hidden layers): (z - mean) / sqrt(var + 1e-5)")
    u: Array | None = Field(None, description="batch norm (hidden layers): gamma z_hat + beta, the activation's input")
    mask: Array | None = Field(None, description="dropout (hidden layers): 0 or 1 per unit and sample")


class BackwardLayer(BaseModel):
    delta: Array
    act_prime: Array | None = Field(
        description="act'(z[l]) (m, n_l), the factor backprop multiplied by; null for the output layer")
    dW: Array
    db: Array
    dgamma: Array | None = Field(None, description="batch norm (hidden layers)")
    dbeta: Array | None = Field(None, description="batch norm (hidden layers)")
    grad_norm: float | None


class EpochSummary(BaseModel):
    epoch: int
    train_loss: float | None
    test_loss: float | None
    grad_norms: list[float | None]


class BackwardTrace(BaseModel):
    step: int
    indices: list[int]
    X: Array | None = None
    y: Array | None = None
    loss: float | None
    finite: bool
    forward: list[ForwardLayer] | None = None
    backward: list[BackwardLayer] | None = None
    params: list[LayerParams] | None = None
    applied: bool
    epoch: int = Field(description="epochs completed after this step")
    epoch_finished: bool
    epoch_record: EpochSummary | None
    position: int
    learning_rate: float
    layers: list[int]
    activation: str
    output_activation: str
    loss_name: str


class EpochsResult(MetricLists):
    epoch: int
    step: int
    train_loss: list[float | None]
    test_loss: list[float | None]
    grad_norms: list[list[float | None]]
    params: list[LayerParams] | None = None
    finite: bool
    stopped: bool = Field(description="early stopping has ended training (now or before)")
    stopped_epoch: int | None


class GradcheckLayer(BaseModel):
    W_rel_error: float | None
    b_rel_error: float | None
    gamma_rel_error: float | None = Field(None, description="batch norm (hidden layers)")
    beta_rel_error: float | None = Field(None, description="batch norm (hidden layers)")


class GradcheckResult(BaseModel):
    max_rel_error: float | None
    passed: bool
    layers: list[GradcheckLayer]
    tolerance: float
    eps: float
    indices: list[int]
    finite: bool
    sampled: dict[str, int] | None = Field(None, description="when checking everything was over the budget: "
                                           "{params, of_params, rows, of_rows} checked")


class PredictResult(BaseModel):
    y: Array
    finite: bool


class DataSplit(BaseModel):
    X: list[list[float]]
    y: list[list[float]]
    classes: list[int] | None = Field(None, description="classification only: each row's class index")


class DataPoints(BaseModel):
    task: Task
    feature_names: list[str]
    class_names: list[str] | None
    image_shape: list[int] | None
    train: DataSplit
    test: DataSplit


class Boundary(BaseModel):
    kind: Literal["grid", "curve"]
    x: list[float]
    y: list[Any] = Field(description="grid: the r row coordinates; curve: (r, d_out) outputs")
    z: list[list[float | None]] | None = Field(
        None, description="grid only: z[i][j] is the output at (x[j], y[i])")
    classes: list[list[int]] | None = Field(
        None, description="grid of a classification session only: the class predicted at (x[j], y[i])")
    finite: bool


class NeuronLayer(BaseModel):
    a: list[list[list[float | None]]] = Field(
        description="one (R, R) grid per neuron: a[n][i][j] is act_l(z[l]) of neuron n at (x[j], y[i])")


class Neurons(BaseModel):
    x: list[float] = Field(description="R column coordinates in the raw input plane (x1)")
    y: list[float] = Field(description="R row coordinates (x2)")
    layers: list[NeuronLayer] = Field(description="one per weight layer")
    finite: bool


class DistributionLayer(BaseModel):
    W: list[list[float | None]] = Field(description="per recorded epoch, the percentiles of W[l] after it")
    dW: list[list[float | None]] = Field(description="per recorded epoch, the percentiles of dW[l] of its last step")
    a: list[list[float | None]] = Field(description="per recorded epoch, the percentiles of a[l] over its last minibatch")


class Distributions(BaseModel):
    percentiles: list[float]
    epochs: list[int] = Field(description="the recorded epochs (at most 2000; older ones thinned evenly)")
    layers: list[DistributionLayer]
    finite: bool


class ChainRule(BaseModel):
    """``dW[layer][out][in] = sum_s delta[layer][s][out] * a[layer-1][s][in] (+ l2 * W + l1 * sign(W))`` with the
    last Step's numbers, and how each ``delta`` was made through the skip, dropout and batch norm
    (see ``mlp_engine.chain``)."""

    model_config = ConfigDict(extra="allow")
    layer: int
    out: int
    m: int = Field(description="samples in the minibatch")
    dW: float | None
    terms: list[dict[str, Any]] = Field(description="per sample: delta, a, product (at most 1000)")
    folded: dict[str, Any] | None = Field(description="the terms past the listed ones: count and sum")
    sum: float | None
    l2: float
    l2_term: float | None
    l1: float
    sign: float = Field(description="sign(W[layer][out][in]): -1, 0 or 1")
    l1_term: float | None = Field(description="l1 * sign(W), the L1 penalty's part of dW; null without L1")
    remedies: dict[str, Any] = Field(
        description="the remedies in force at this layer: skip_in (a skip hands a[layer]'s gradient on from "
                    "above), skip_out, dropout (p, 0 without), batch_norm")
    batch_norm: dict[str, Any] | None = Field(
        description="a hidden layer with batch norm: gamma, inv_std, the batch's mean and var, mean_dz_hat, "
                    "mean_dz_hat_z_hat, dgamma and dbeta of the unit; null otherwise")
    deltas: list[dict[str, Any]] = Field(
        description="per listed sample, how delta[layer][s][out] was made: along_W (the sum of its terms) and "
                    "along_skip, the mask's factor (dropped: no gradient), act_prime, du and with batch norm "
                    "the direct, mean and variance terms")
    graph: dict[str, Any] | None = Field(description="one sample's computational graph (networks of <= 40 neurons)")
    step: int
    finite: bool


class Outputs(BaseModel):
    task: Task
    split: Literal["train", "test"]
    y_true: list[list[float]]
    y_pred: list[list[float | None]]
    class_names: list[str] | None
    confusion: list[list[int]] | None
    accuracy: float | None
    rmse: float | None
    r2: float | None
    units: Literal["original", "scaled"]
    n: int = Field(description="samples the metrics cover (the whole split)")
    finite: bool


# --------------------------------------------------------------------------
# Export / import: the engine's Trainer.state_dict()
# --------------------------------------------------------------------------
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
