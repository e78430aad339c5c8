"""``POST /api/datasets/csv``: a CSV table checked and turned into inline ``X`` and ``y``
(:func:`mlp_engine.csv_data.parse_csv`); errors are 422s naming ``csv`` or ``target``."""
from __future__ import annotations

from fastapi import APIRouter, Request

from mlp_engine.csv_data import parse_csv

from ..schemas.answers import CsvResult
from ..schemas.requests import CsvRequest
from ..serialize import JSONBytes, respond

router = APIRouter(prefix="/api/datasets", tags=["datasets"])


@router.post("/csv", response_model=CsvResult)
def upload_csv(request: Request, body: CsvRequest) -> JSONBytes:
    """The table's numeric columns as ``X`` and the target as ``y``, ready to post as
    ``{"name": "inline", "X", "y", "task", "standardize": true}``."""
    bounds = request.app.state.settings.csv_limits()
    return respond(parse_csv(body.csv, body.target, body.task, body.has_header, **bounds), finite=None)
