"""``GET /api/sessions/{id}/code``: the session as a standalone PyTorch or NumPy script
(:mod:`server.codegen`) that takes its next ``steps`` steps exactly as the session would."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from ..codegen import MAX_STEPS, generate
from ..deps import SessionDep

router = APIRouter(prefix="/api/sessions/{session_id}", tags=["code"])


@router.get("/code", response_class=Response, responses={200: {"content": {"text/x-python": {}}}})
def code(session: SessionDep,
         framework: Annotated[Literal["numpy", "pytorch"], Query(description="the script's framework")] = "numpy",
         steps: Annotated[int, Query(ge=1, le=MAX_STEPS, description="how many of the next steps it takes")] = 1,
         ) -> Response:
    """A Python script reproducing the session's next ``steps`` steps to 1e-10 (float64); it
    prints one JSON line ``{loss, dW, db, params}``. Sent as a download."""
    with session.lock:
        filename, source = generate(session.trainer, session.config, framework, steps, session.builder.data_dir)
    return Response(source, media_type="text/x-python",
                    headers={"content-disposition": f'attachment; filename="{filename}"'})
