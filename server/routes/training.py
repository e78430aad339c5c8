"""Training moves on a session: one backward pass, whole epochs, a gradient
check and predictions. Each holds the session's lock for the whole request
and runs in a worker thread (:meth:`server.sessions.Session.run`); each is
priced before it starts and refused over its budget (:mod:`server.bounds.budget`),
and whole epochs and a gradient check stop at their next slice (a batch, a
parameter) when the client goes away."""
from __future__ import annotations

import numpy as np
from fastapi import APIRouter, Request

from mlp_engine import GradCheckStopped, cost, gradient_check

from .. import payloads
from ..bounds import budget
from ..cancel import stopped, watching
from ..deps import SessionDep
from ..schemas.answers import BackwardTrace, EpochsResult, GradcheckResult, PredictResult
from ..schemas.requests import BackwardRequest, EpochsRequest, GradcheckRequest, PredictRequest
from ..serialize import JSONBytes, respond
from ..sessions import LastStep
from ..bounds.fields import current_limits

router = APIRouter(prefix="/api/sessions/{session_id}", tags=["training"])

ALL_TRACE = ("forward", "backward", "params", "X", "y")
TRACE_COPIES = 2
"""A trace hands back its forward and backward arrays, and the response encodes them: twice the pass's buffers."""


def check_backward(trainer, rows: int, field: str) -> None:
    """Price one traced backward pass on ``rows`` rows: memory and compute."""
    layers = trainer.model.layers
    budget.check_request_bytes(TRACE_COPIES * cost.activation_bytes(layers, rows), field,
                               f"a traced backward pass on {rows} rows of {layers}")
    budget.check_seconds(cost.train_step(layers, rows, cost.Remedies.of(trainer.model)), field,
                         f"a backward pass on {rows} rows")


@router.post("/backward", response_model=BackwardTrace)
async def backward(session: SessionDep, body: BackwardRequest | None = None) -> JSONBytes:
    """One forward and backward pass over one minibatch, then the update.

    ``loss``, ``forward`` and ``backward`` use the parameters before the
    update; ``params`` are those after it (unchanged when ``apply`` is false).
    """
    body = body or BackwardRequest()
    include = ALL_TRACE if body.include is None else body.include

    def work() -> JSONBytes:
        t = session.trainer
        if body.indices:
            check_backward(t, len(body.indices), "indices")
        else:
            check_backward(t, min(t.batch_size, t.n_train), "optimizer.batch_size")
        # The chain-rule view needs the weights (and batch norm's gamma) this pass used.
        W, gamma = [w.copy() for w in t.model.W], [g.copy() for g in t.model.gamma]
        result = t.step(body.indices, body.apply)
        session.last_step = LastStep.keep(t, result, W, gamma)
        return respond(payloads.trace(t, result, include, W), max_elements=body.max_elements,
                       finite=result.finite and t.finite)

    return await session.run(work)


@router.post("/epochs", response_model=EpochsResult)
async def epochs(session: SessionDep, request: Request, body: EpochsRequest | None = None) -> JSONBytes:
    """``count`` whole epochs (the first finishes the current one); stops after a
    non-finite epoch. Refused up front when they would take more than the request budget."""
    body = body or EpochsRequest()
    include = ("params",) if body.include is None else body.include

    async with watching(request) as stop:
        def work() -> JSONBytes:
            t = session.trainer
            budget.check_epochs(t, body.count)
            records = t.run_epochs(body.count, keep_going=lambda: not stop.is_set())
            return respond(payloads.epochs(t, records, include), max_elements=body.max_elements,
                           finite=all(r.finite for r in records) and t.finite)

        return await session.run(work)


GRADCHECK_SEED = 0
"""Seed of the parameters and rows a sampled gradient check picks (the same each time)."""


def gradcheck_plan(trainer, idx: np.ndarray) -> tuple[np.ndarray | None, np.ndarray, dict | None]:
    """Which parameters and rows to check: all of them when that fits the request budget; else
    as many of the rows as fit (a seeded sample); and when not even one row fits with every
    parameter, a sample of the parameters on one row. ``(checked, or None for every
    parameter; the positions in ``idx`` of the rows; what was sampled, or None)``."""
    n, layers = trainer.model.n_params, trainer.model.layers
    limit = current_limits().max_gradcheck_params
    if n > limit:
        raise ValueError(f"model.layers: the gradient check is limited to {limit} "
                         f"parameters (it costs two forward passes per parameter); "
                         f"this model has {n}")
    room = budget.BUDGET.get().request_seconds
    remedies = cost.Remedies.of(trainer.model)

    def price(rows: int, p: int) -> float:
        return budget.seconds(cost.gradient_check(layers, rows, p, remedies))

    rng = np.random.default_rng(GRADCHECK_SEED)
    per_row = price(1, n) - price(0, n)
    fit = int((room - price(0, n)) // per_row) if per_row > 0 else len(idx)
    checked = None
    if fit < 1:  # sample the parameters: as many as one row allows
        per_param = price(1, 1) - price(1, 0)
        p = int((room - price(1, 0)) // per_param)
        if p < 1:
            budget.check_seconds(cost.gradient_check(layers, 1, 1, remedies), "indices", "a gradient check")
        checked = np.sort(rng.choice(n, size=min(p, n), replace=False))
        fit = 1
    pos = np.arange(len(idx)) if fit >= len(idx) else np.sort(rng.choice(len(idx), size=fit, replace=False))
    sampled = None
    if checked is not None or len(pos) < len(idx):
        sampled = {"params": n if checked is None else int(len(checked)), "of_params": n,
                   "rows": int(len(pos)), "of_rows": int(len(idx))}
    return checked, pos, sampled


def batch_masks(masks: list[list[list[float]]], rows: int) -> list[np.ndarray]:
    """The dropout masks as arrays, one row per checked row: ``(rows, n_l)`` each. Their
    widths and values are the engine's to check; their rows are checked here, before the
    sample of rows is taken from them."""
    out = []
    for l, mask in enumerate(masks):
        arr = payloads.matrix(mask, f"masks[{l}]")
        if arr.shape[0] != rows:
            n = arr.shape[0]
            raise ValueError(f"masks[{l}]: {n} row{'' if n == 1 else 's'}; it needs one per checked row ({rows})")
        out.append(arr)
    return out


@router.post("/gradcheck", response_model=GradcheckResult)
async def gradcheck(session: SessionDep, request: Request, body: GradcheckRequest | None = None) -> JSONBytes:
    """Central differences against backprop on a batch, per layer; on a sample of the
    parameters and rows (``sampled`` says which) when checking all would be over the budget.
    Stops at the next parameter when the client goes away (the session is never changed)."""
    body = body or GradcheckRequest()

    async with watching(request) as stop:
        def work() -> JSONBytes:
            t = session.trainer
            idx = payloads.training_rows(t, body.indices)
            checked, pos, sampled = gradcheck_plan(t, idx)
            masks = None if body.masks is None else [m[pos] for m in batch_masks(body.masks, len(idx))]
            try:
                result = gradient_check(t.model, t.X[idx[pos]], t.y[idx[pos]], body.eps, checked=checked,
                                        masks=masks, keep_going=lambda: not stop.is_set())
            except GradCheckStopped:
                return stopped(request.app.state, "the gradient check")
            return respond({**payloads.gradcheck(result, idx[pos]), "sampled": sampled})

        return await session.run(work)


@router.post("/predict", response_model=PredictResult)
async def predict(session: SessionDep, body: PredictRequest) -> JSONBytes:
    """The network's output ``(m, d_out)`` for ``X`` ``(m, d_in)``, computed in chunks of rows
    so its memory stays bounded whatever ``m``."""
    X = payloads.matrix(body.X, "X")

    def work() -> JSONBytes:
        model = session.trainer.model
        budget.check_forward(model, X.shape[0], "X", "predicting")
        return respond({"y": payloads.predict(model, X)})

    return await session.run(work)
