"""What the page plots: the data points, the decision boundary or fitted curve,
and predictions against targets with the task's metrics."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from .. import views
from ..deps import SessionDep
from ..schemas import Boundary, DataPoints, Outputs
from ..serialize import JSONBytes, respond
from ..limits import AtMost

router = APIRouter(prefix="/api/sessions/{session_id}", tags=["plots"])

MaxPoints = Annotated[int, Query(ge=1, description="rows per split, a seeded sample"), AtMost("max_points")]


@router.get("/data", response_model=DataPoints)
def data(session: SessionDep, max_points: MaxPoints = 2000) -> JSONBytes:
    """The training and test points as the network sees them (after scaling)."""
    with session.lock:
        return respond(views.data_points(session, max_points), finite=None)


@router.get("/boundary", response_model=Boundary)
def boundary(session: SessionDep,
             resolution: Annotated[int, Query(ge=5), AtMost("max_boundary_resolution")] = 50) -> JSONBytes:
    """The output over a grid (2 inputs) or a line (1 input) covering the data with 10% padding."""
    with session.lock:
        return respond(views.boundary(session, resolution))


@router.get("/outputs", response_model=Outputs)
def outputs(session: SessionDep, split: Literal["train", "test"] = "test", max_points: MaxPoints = 2000,
            units: Literal["original", "scaled"] = "original") -> JSONBytes:
    """Predictions against targets on a split: confusion and accuracy, or RMSE and R^2."""
    with session.lock:
        return respond(views.outputs(session, split, max_points, units))
