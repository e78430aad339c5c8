"""``GET /api/sessions/{id}/report``: a self-contained HTML report (:mod:`server.report`)."""
from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from ..deps import SessionDep
from ..report import check_report, report_html

router = APIRouter(prefix="/api/sessions/{session_id}", tags=["reports"])


@router.get("/report", response_class=HTMLResponse)
async def report(session: SessionDep) -> HTMLResponse:
    """Title, config, final metrics and the figures (loss, gradient norms, metrics, learning
    rate, output view), Plotly.js inlined once; sent as a download. Priced first (a 422 naming
    ``report`` over the request budget)."""
    def work() -> str:
        check_report(session)
        return report_html(session)

    page = await session.run(work)
    return HTMLResponse(page, headers={
        "content-disposition": f'attachment; filename="mlp-playground-report-{session.id}.html"'})
