"""Per-epoch metrics beside the loss: accuracy, or RMSE and R^2.

Training metrics are accumulated from the minibatches the epoch trains on,
exactly as the train loss is (each output was computed anyway by the forward
pass; no extra pass over the training set), so they describe the parameters
as they moved through the epoch. Test metrics come from the output of the
test-set pass that computes the test loss. Everything is in the network's
units (a standardised target stays standardised).

* classification: accuracy, the fraction of rows whose predicted class
  (threshold 0.5 for one sigmoid column, argmax otherwise) is the true one;
* regression: ``rmse = sqrt(mean over rows and outputs of (yhat - y)^2)`` and
  ``r2 = mean over outputs of 1 - SSE_j / SST_j`` (scikit-learn's
  ``r2_score``), ``None`` when a target column is constant.
"""
from __future__ import annotations

import math

import numpy as np

Array = np.ndarray

METRICS: dict[str, tuple[str, ...]] = {"classification": ("accuracy",), "regression": ("rmse", "r2")}
"""The metrics of each task; history keys are ``train_<name>`` and ``test_<name>``."""


def history_keys(task: str) -> list[str]:
    return [f"{split}_{m}" for m in METRICS[task] for split in ("train", "test")]


THRESHOLD = 0.5
"""One sigmoid column predicts class 1 where ``out >= THRESHOLD``."""


def predict_classes(out: Array) -> Array:
    """The predicted class of each row of ``out`` ``(m, k)``: ``(m,)`` int64.

    One column (a sigmoid's P(class 1)): ``1`` where ``out >= 0.5``, else ``0``;
    several columns (softmax, or one-hot targets): the argmax. The same rule
    turns one-hot or 0/1 targets into class indices."""
    if out.shape[1] == 1:
        return (out[:, 0] >= THRESHOLD).astype(np.int64)
    return np.argmax(out, axis=1)


def correct(out: Array, y: Array) -> int:
    """Rows of ``out`` ``(m, k)`` whose predicted class is ``y``'s."""
    return int(np.count_nonzero(predict_classes(out) == predict_classes(y)))


def accuracy(out: Array, y: Array) -> float | None:
    """The fraction of rows of ``out`` ``(m, k)`` whose predicted class is ``y``'s
    (``None`` for no rows)."""
    return correct(out, y) / y.shape[0] if y.shape[0] else None


def confusion_matrix(truth_classes: Array, pred_classes: Array, k: int) -> Array:
    """``C[i, j]``: rows of true class ``i`` predicted as ``j``; ``(k, k)`` int64
    from two ``(m,)`` class-index arrays (as :func:`predict_classes` makes)."""
    return np.bincount(truth_classes * k + pred_classes, minlength=k * k).reshape(k, k)


def rmse(out: Array, y: Array) -> float | None:
    """``sqrt(mean over rows and outputs of (out - y)^2)``, ``None`` for no rows
    (NaN when the outputs are not finite)."""
    return evaluate("regression", out, y)["rmse"]


def r2(out: Array, y: Array) -> float | None:
    """``mean over outputs j of 1 - SSE_j / SST_j``; ``None`` when undefined
    (fewer than two rows, or a constant target column)."""
    return evaluate("regression", out, y)["r2"]


def squared_errors(out: Array, y: Array) -> Array:
    """``sum_i (out_ij - y_ij)^2`` per output ``j``: ``(k,)``."""
    err = out - y
    return np.einsum("ij,ij->j", err, err)


def total_squares(y: Array) -> Array:
    """``SST_j = sum_i (y_ij - mean_j)^2`` per output: ``(k,)``."""
    return ((y - y.mean(axis=0)) ** 2).sum(axis=0) if y.shape[0] else np.zeros(y.shape[1])


def from_sums(task: str, n: int, correct_count: int, sse: Array, sst_per_row: Array | None) -> dict[str, float | None]:
    """The metrics over ``n`` rows from their sums. ``sst_per_row`` is ``SST_j / rows``
    of the reference set (``None`` when a column is constant)."""
    if task == "classification":
        return {"accuracy": correct_count / n if n else None}
    if not n:
        return {"rmse": None, "r2": None}
    with np.errstate(all="ignore"):
        rmse = math.sqrt(float(sse.sum()) / (n * sse.size)) if np.isfinite(sse).all() else math.nan
        r2 = None if sst_per_row is None else float(np.mean(1 - (sse / n) / sst_per_row))
    return {"rmse": rmse, "r2": r2}


def sst_per_row(y: Array) -> Array | None:
    """``SST_j / m`` of a target set, or ``None`` when R^2 is undefined on it."""
    if y.shape[0] < 2:
        return None
    sst = total_squares(y)
    return sst / y.shape[0] if np.all(sst > 0) else None


def evaluate(task: str, out: Array, y: Array) -> dict[str, float | None]:
    """The metrics of whole-set outputs ``out`` against ``y`` (both ``(m, k)``)."""
    n = y.shape[0]
    if task == "classification":
        return from_sums(task, n, correct(out, y) if n else 0, np.zeros(0), None)
    with np.errstate(all="ignore"):
        return from_sums(task, n, 0, squared_errors(out, y) if n else np.zeros(y.shape[1]), sst_per_row(y))
