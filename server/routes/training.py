"""Training moves on a session: one backward pass, whole epochs, a gradient
check and predictions. Each holds the session's lock for the whole request
(see :meth:`server.sessions.Session.run` for where the work runs); ``cost``
estimates the work in multiply-adds."""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request

from mlp_engine import gradient_check

from .. import views
from ..deps import SessionDep
from ..schemas import (
    BackwardRequest,
    BackwardTrace,
    EpochsRequest,
    EpochsResult,
    GradcheckRequest,
    GradcheckResult,
    PredictRequest,
    PredictResult,
)
from ..serialize import JSONBytes, respond
from ..sessions import LastStep
from ..limits import current_limits

router = APIRouter(prefix="/api/sessions/{session_id}", tags=["training"])

ALL_TRACE = ("forward", "backward", "params", "X", "y")


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
        W = [w.copy() for w in t.model.W]  # the chain-rule view needs the weights this pass used
        result = t.step(body.indices, body.apply)
        session.last_step = LastStep.keep(t, result, W)
        return respond(views.trace(t, result, include), max_elements=body.max_elements,
                       finite=result.finite and t.finite)

    rows = len(body.indices) if body.indices else session.trainer.batch_size
    return await session.run(work, cost=rows * session.trainer.model.n_params)


@router.post("/epochs", response_model=EpochsResult)
async def epochs(session: SessionDep, request: Request, body: EpochsRequest | None = None) -> JSONBytes:
    """``count`` whole epochs (the first finishes the current one); stops after a
    non-finite epoch."""
    body = body or EpochsRequest()
    include = ("params",) if body.include is None else body.include
    gate = request.app.state.settings.test_epochs_gate

    def work() -> JSONBytes:
        if gate:  # test-only: wait, like long training, until the test closes its end of the FIFO
            Path(gate).read_bytes()
        t = session.trainer
        records = t.run_epochs(body.count)
        return respond(views.epochs(t, records, include), max_elements=body.max_elements,
                       finite=all(r.finite for r in records) and t.finite)

    t = session.trainer
    return await session.run(work, cost=body.count * t.n_train * t.model.n_params)


@router.post("/gradcheck", response_model=GradcheckResult)
def gradcheck(session: SessionDep, body: GradcheckRequest | None = None) -> JSONBytes:
    """Central differences against backprop on a batch, per layer."""
    body = body or GradcheckRequest()
    with session.lock:
        t = session.trainer
        limit = current_limits().max_gradcheck_params
        if t.model.n_params > limit:
            raise ValueError(f"model.layers: the gradient check is limited to {limit} "
                             f"parameters (it costs two forward passes per parameter); "
                             f"this model has {t.model.n_params}")
        idx = views.training_rows(t, body.indices)
        result = gradient_check(t.model, t.X[idx], t.y[idx], body.eps, masks=body.masks)
        return respond(views.gradcheck(result, idx))


@router.post("/predict", response_model=PredictResult)
async def predict(session: SessionDep, body: PredictRequest) -> JSONBytes:
    """The network's output ``(m, d_out)`` for ``X`` ``(m, d_in)``."""
    X = views.matrix(body.X, "X")
    return await session.run(lambda: respond({"y": session.trainer.model.predict(X)}),
                             cost=X.shape[0] * session.trainer.model.n_params)
