"""``GET /api/sessions/{id}/code``: the session as a standalone PyTorch or NumPy script
(:mod:`server.codegen`) that takes its next ``steps`` steps exactly as the session would."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from mlp_engine import Trainer

from ..bounds import budget
from ..codegen import MAX_STEPS, generate
from ..deps import SessionDep

router = APIRouter(prefix="/api/sessions/{session_id}", tags=["code"])


def check_code(trainer: Trainer) -> None:
    """Price the script before writing it: it writes out, as Python text, the parameters (and
    the initial ones a config holds), the optimizer's moments, inline data and the minibatch
    order. ``steps`` costs nothing here (the script takes them when it runs), so a refusal names
    what does cost: the session's size."""
    t = trainer
    moments = sum(getattr(t.optimizer, name, None) is not None for name in ("velocity", "m", "v"))
    numbers = t.model.n_params * (2 + moments) + t.n_train
    if t.data.name == "inline":
        numbers += t.X.size + t.y.size + t.X_test.size + t.y_test.size
    budget.check_answer(numbers, "code", "this session's script (its parameters, optimizer state and data)",
                        text=True)


@router.get("/code", response_class=Response, responses={200: {"content": {"text/x-python": {}}}})
async def code(session: SessionDep,
               framework: Annotated[Literal["numpy", "pytorch"], Query(description="the script's framework")] = "numpy",
               steps: Annotated[int, Query(ge=1, le=MAX_STEPS, description="how many of the next steps it takes")] = 1,
               ) -> Response:
    """A Python script reproducing the session's next ``steps`` steps to 1e-10 (float64); it
    prints one JSON line ``{loss, dW, db, params}``. Sent as a download. Priced first (a 422
    naming ``code`` when writing it is over the request budget)."""
    def work() -> tuple[str, str]:
        check_code(session.trainer)
        return generate(session.trainer, session.config, framework, steps, session.builder.data_dir)

    filename, source = await session.run(work)
    return Response(source, media_type="text/x-python",
                    headers={"content-disposition": f'attachment; filename="{filename}"'})
