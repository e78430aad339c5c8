"""``POST /api/datasets/csv``: a CSV table checked and turned into inline ``X`` and ``y``
(:func:`mlp_engine.csv_data.parse_csv`); errors are 422s naming ``csv`` or ``target``, and a
table larger than a session takes inline (``MAX_INLINE_VALUES``) is refused here."""
from __future__ import annotations

from fastapi import APIRouter, Request

from mlp_engine.csv_data import parse_csv

from ..bounds.fields import current_limits
from ..schemas.answers import CsvResult
from ..schemas.requests import CsvRequest
from ..serialize import JSONBytes, respond

router = APIRouter(prefix="/api/datasets", tags=["datasets"])


@router.post("/csv", response_model=CsvResult)
def upload_csv(request: Request, body: CsvRequest) -> JSONBytes:
    """The table's numeric columns as ``X`` and the target as ``y``, ready to post as
    ``{"name": "inline", "X", "y", "task", "standardize": true}``."""
    bounds = request.app.state.settings.csv_limits()
    table = parse_csv(body.csv, body.target, body.task, body.has_header, **bounds)
    values = table["n_samples"] * (table["n_features"] + len(table["y"][0]))
    limit = current_limits().max_inline_values
    if values > limit:  # refused here rather than by the session it would be posted to
        raise ValueError(f"csv: the table holds {values} values (X and y); a session takes at most {limit} "
                         "inline (MLP_PLAYGROUND_MAX_INLINE_VALUES): use fewer rows or columns")
    return respond(table, finite=None)
