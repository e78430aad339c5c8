"""``/api/health``, ``/api/datasets`` and ``/api/options``: what the server offers."""
from __future__ import annotations

import functools
from typing import Any

from fastapi import APIRouter, Request

from mlp_engine import (
    ACTIVATIONS,
    INITIALIZERS,
    LOSSES,
    OPTIMIZERS,
    OUTPUT_ACTIVATIONS,
    VALID_PAIRS,
    list_datasets,
    make_trainer,
)

from mlp_engine.features import FEATURE_SETS
from mlp_engine.schedules import SCHEDULES
from mlp_lessons import PRESETS

from .. import __version__
from ..schemas.answers import DatasetItem, Health, Options
from ..serialize import JSONBytes
from ..sessions import complete_config
from ..bounds.fields import current_limits

router = APIRouter(prefix="/api", tags=["meta"])

@router.get("/health", response_model=Health)
async def health(request: Request) -> JSONBytes:
    """Liveness: ``{"status": "ok", "version", "cancelled", "stopped"}``; ``503`` with ``"store failing"`` and
    what failed while the session store is failing (no I/O here: the store remembers its last failure)."""
    state = request.app.state
    failure = state.store.health()
    body = {"status": "store failing" if failure else "ok", "version": __version__,
            "store": failure, "cancelled": getattr(state, "cancelled", 0),
            "stopped": getattr(state, "stopped", 0)}
    return JSONBytes(body, status_code=503 if failure else 200)


router.add_api_route("/health", health, methods=["HEAD"], include_in_schema=False)  # monitors probe with HEAD


@router.get("/datasets", response_model=list[DatasetItem])
async def datasets() -> JSONBytes:
    """Every dataset a session can train on (``inline`` means your own ``X`` and ``y``)."""
    return JSONBytes(list_datasets())


@functools.cache
def _defaults() -> dict[str, Any]:
    # Built once from a real default trainer, so it is exactly what POST /api/sessions {} resolves to.
    return complete_config(make_trainer({}))


@functools.cache
def _formulas() -> dict[str, Any]:
    # The engine's own display strings, so the page never writes a formula of its own.
    acts = {**ACTIVATIONS, **OUTPUT_ACTIVATIONS}
    return {"activations": {name: {"f": act.formula, "df": act.derivative} for name, act in acts.items()},
            "losses": {name: {"value": loss.formula, "delta": dict(loss.delta_formula)}
                       for name, loss in LOSSES.items()}}


@router.get("/options", response_model=Options)
def options() -> JSONBytes:
    """The valid choices (from the engine's registries) with their formulas, the limits,
    the default config and the presets (the worked example among them)."""
    return JSONBytes({
        "features": {str(d): names for d, names in FEATURE_SETS.items()}, "schedules": list(SCHEDULES),
        "activations": list(ACTIVATIONS), "output_activations": list(OUTPUT_ACTIVATIONS),
        "losses": list(LOSSES), "valid_pairs": {k: list(v) for k, v in VALID_PAIRS.items()},
        "inits": list(INITIALIZERS), "optimizers": list(OPTIMIZERS), "datasets": list_datasets(),
        "limits": current_limits().as_dict(), "defaults": _defaults(), "formulas": _formulas(),
        "presets": PRESETS,
    })
