"""What the page plots: the data points, the decision boundary or fitted curve,
and predictions against targets with the task's metrics."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from .. import payloads
from ..deps import SessionDep
from ..schemas.answers import Boundary, ChainRule, DataPoints, Distributions, Neurons, Outputs
from ..serialize import JSONBytes, respond
from ..bounds.fields import AtMost

router = APIRouter(prefix="/api/sessions/{session_id}", tags=["plots"])

MaxPoints = Annotated[int, Query(ge=1, description="rows per split, a seeded sample"), AtMost("max_points")]


@router.get("/data", response_model=DataPoints)
def data(session: SessionDep, max_points: MaxPoints = 2000) -> JSONBytes:
    """The training and test points as the network sees them (after scaling)."""
    with session.lock:
        return respond(payloads.data_points(session, max_points), finite=None)


@router.get("/boundary", response_model=Boundary)
async def boundary(session: SessionDep,
                   resolution: Annotated[int, Query(ge=5), AtMost("max_boundary_resolution")] = 50) -> JSONBytes:
    """The output over a grid (2 inputs) or a line (1 input) covering the data with 10% padding.
    Priced before it runs (a 422 naming ``resolution`` over the request budget)."""
    def work() -> JSONBytes:
        payloads.check_boundary(session, resolution)
        return respond(payloads.boundary(session, resolution))

    return await session.run(work)


@router.get("/outputs", response_model=Outputs)
async def outputs(session: SessionDep, split: Literal["train", "test"] = "test", max_points: MaxPoints = 2000,
                  units: Literal["original", "scaled"] = "original") -> JSONBytes:
    """Predictions against targets on a split: confusion and accuracy, or RMSE and R^2. The
    split is predicted in chunks of rows, priced first (a 422 naming ``split``)."""
    def work() -> JSONBytes:
        payloads.check_outputs(session, split)
        return respond(payloads.outputs(session, split, max_points, units))

    return await session.run(work)


@router.get("/neurons", response_model=Neurons)
async def neurons(session: SessionDep,
                  resolution: Annotated[int, Query(ge=2, le=100)] = 24) -> JSONBytes:
    """Every hidden and output neuron's activation over the plane of the two raw inputs
    (the grid of ``/boundary``); a session whose inputs are not 2-D is refused. Priced first:
    its pass over the grid and its answer, a grid per neuron (a 422 naming ``resolution``)."""
    def work() -> JSONBytes:
        payloads.check_neurons(session, resolution)
        return respond(payloads.neurons(session, resolution))

    return await session.run(work)


@router.get("/distributions", response_model=Distributions)
def distributions(session: SessionDep) -> JSONBytes:
    """Per weight layer and recorded epoch, the percentiles of ``W`` (after the epoch),
    ``dW`` (its last step) and ``a`` (its last minibatch)."""
    with session.lock:
        return respond(payloads.distributions(session.trainer))


Index = Annotated[int, Query(ge=0, le=1_000_000)]


@router.get("/chain", response_model=ChainRule)
def chain(session: SessionDep, layer: Index, out: Index, into: Annotated[int, Query(alias="in", ge=0, le=1_000_000)],
          sample: Index = 0) -> JSONBytes:
    """Where ``dW[layer][out][in]`` of the last Step came from: every term of its sum over the
    minibatch and how each ``delta`` was made; for networks of at most 40 neurons also one
    sample's computational graph. ``409`` before a Step (or after the session moved on)."""
    with session.lock:
        return respond(payloads.chain(session, layer, out, into, sample))
