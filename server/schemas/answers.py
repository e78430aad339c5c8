"""Answers: what the REST endpoints send, as pydantic models for ``/docs``.

Routes send bytes made by :mod:`server.serialize` (fast, NaN as ``null``), so
these are not re-validated on the way out. A large array may come back as an
:class:`ArraySummary` instead of nested lists (see ``max_elements``).
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from mlp_engine.model import BN_EPS

from ..settings import Limits
from .requests import Task


class CsvResult(BaseModel):
    X: list[list[float]]
    y: list[list[float]]
    feature_names: list[str]
    target_name: str
    task: Task
    n_samples: int
    n_features: int
    class_names: list[str] | None


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


class ActivationFormula(BaseModel):
    f: str = Field(description="a = f(z)")
    df: str = Field(description="f'(z), the factor backprop multiplies delta by")


class LossFormula(BaseModel):
    value: str = Field(description="the per-sample loss")
    delta: dict[str, str] = Field(description="the output delta dL/dz per output activation it pairs with")


class Formulas(BaseModel):
    activations: dict[str, ActivationFormula] = Field(description="every hidden and output activation")
    losses: dict[str, LossFormula]


class Preset(BaseModel):
    label: str
    description: str
    config: dict[str, Any] = Field(description="a SessionConfig, as POST /api/sessions takes it")


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
    limits: Limits = Field(description="the bounds this server enforces (MLP_PLAYGROUND_MAX_* and the like)")
    defaults: dict[str, Any] = Field(description="the complete resolved SessionConfig of a default session")
    formulas: Formulas = Field(description="the engine's formulas, as display strings")
    presets: dict[str, Preset] = Field(description="configurations the page offers by name")


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


class Structure(BaseModel):
    """What each hidden layer does, as the engine decided it (the page restates none of it)."""

    hidden_activations: list[str] = Field(description="the activation of each hidden layer")
    skip: list[bool] = Field(description="per hidden layer: whether it adds its input a[l-1] (model.residual)")
    dropout: float = Field(description="dropout's p (0: none)")
    bn_eps: float | None = Field(description="batch norm's eps in sqrt(var + eps); null without batch norm")


class SessionState(Structure):
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
    output_choices: list[str] = Field(description="the output activations that suit the task and its outputs")


class ForwardLayer(BaseModel):
    z: Array
    a: Array
    z_hat: Array | None = Field(None, description=f"batch norm (hidden layers): (z - mean) / sqrt(var + {BN_EPS:g})")
    u: Array | None = Field(None, description="batch norm (hidden layers): gamma z_hat + beta, the activation's input")
    mask: Array | None = Field(None, description="dropout (hidden layers): 0 or 1 per unit and sample")
    fa: Array | None = Field(None, description="with dropout or a skip (hidden layers): act(u), before the mask and the skip")
    mean: Array | None = Field(None, description="batch norm (hidden layers): the mean z_hat used (n,)")
    var: Array | None = Field(None, description="batch norm (hidden layers): the biased variance z_hat used (n,)")


class BackwardLayer(BaseModel):
    delta: Array
    act_prime: Array | None = Field(
        description="act'(z[l]) (m, n_l), the factor backprop multiplied by; null for the output layer")
    dW: Array
    db: Array
    dgamma: Array | None = Field(None, description="batch norm (hidden layers)")
    dbeta: Array | None = Field(None, description="batch norm (hidden layers)")
    grad_norm: float | None
    da: Array | None = Field(None, description="delta[l] @ W[l] (m, n_{l-1}): the gradient at the layer's input "
                             "activation a[l-1] (X for l = 0) through W[l]")
    da_skip: Array | None = Field(None, description="a hidden layer with a skip: the gradient its skip hands to "
                                  "a[l-1], dObjective/da[l]")
    du: Array | None = Field(None, description="batch norm (hidden layers): the gradient at u[l], the activation's input")


class EpochSummary(BaseModel):
    epoch: int
    train_loss: float | None
    test_loss: float | None
    grad_norms: list[float | None]


class BackwardTrace(Structure):
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
    activation: str | list[str]
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
