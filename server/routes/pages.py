"""The page: ``/`` serves ``static/index.html`` (a placeholder until the page
exists) and ``/vendor/plotly.min.js`` serves Plotly.js from the installed
``plotly`` package, so nothing is loaded from a CDN."""
from __future__ import annotations

import importlib.util
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

router = APIRouter(tags=["page"], include_in_schema=False)

PLACEHOLDER = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>MLP Playground</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40em; margin: 3em auto">
<h1>MLP Playground</h1>
<p>The server is running; the page itself is not installed yet (no <code>static/index.html</code>).</p>
<p>The REST API is at <a href="/docs">/docs</a> (OpenAPI: <a href="/openapi.json">/openapi.json</a>).</p>
</body></html>
"""


def plotly_js() -> Path | None:
    """``plotly/package_data/plotly.min.js`` of the installed package (found without importing it)."""
    spec = importlib.util.find_spec("plotly")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "package_data" / "plotly.min.js"
    return path if path.is_file() else None


@router.get("/")
async def index(request: Request) -> Response:
    page = Path(request.app.state.settings.static_dir) / "index.html"
    if page.is_file():
        return FileResponse(page, media_type="text/html")
    return HTMLResponse(PLACEHOLDER)


router.add_api_route("/", index, methods=["HEAD"], include_in_schema=False)


@router.get("/vendor/plotly.min.js")
async def plotly() -> Response:
    path = plotly_js()
    if path is None:
        raise HTTPException(404, "plotly.min.js: the plotly package is not installed")
    return FileResponse(path, media_type="text/javascript",
                        headers={"cache-control": "public, max-age=86400"})
