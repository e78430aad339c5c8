"""The page: ``/`` is ``index.html``, ``/static/...`` its other files, and
``/vendor/plotly.min.js`` Plotly.js from the installed ``plotly`` package (never a CDN).

:class:`server.assets.Assets` (``app.state.assets``) finds, compresses and validates
them; these routes only translate. A path that names no servable file is 404. The
routes are plain functions, so reading and compressing run in the thread pool.
"""
from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from ..assets import IMMUTABLE, INDEX, PLOTLY_PATH, REVALIDATE, Asset, Assets, plotly_js

__all__ = ["router", "plotly_js"]

router = APIRouter(tags=["page"], include_in_schema=False)
METHODS = ["GET", "HEAD"]


def _send(request: Request, asset: Asset | None, what: str, cache_control: str | None = None) -> Response:
    if asset is None:
        raise HTTPException(404, what)
    status, body, headers = asset.answer(request.headers.get("accept-encoding", ""),
                                         request.headers.get("if-none-match", ""), cache_control)
    return Response(body, status_code=status, headers=headers)


def _assets(request: Request) -> Assets:
    return request.app.state.assets


@router.api_route("/", methods=METHODS)
def index(request: Request) -> Response:
    return _send(request, _assets(request).page_file(INDEX), f"{INDEX}: not found")


@router.api_route("/static/{path:path}", methods=METHODS)
def static(request: Request, path: str) -> Response:
    return _send(request, _assets(request).page_file(path), f"/static/{path}: no such file")


@router.api_route(PLOTLY_PATH, methods=METHODS)
def plotly(request: Request, v: str = "") -> Response:
    assets = _assets(request)
    asset = assets.plotly()
    # A year only at the URL the page uses, which changes with the file; any other is revalidated.
    cache = IMMUTABLE if asset is not None and v == assets.plotly_version() else REVALIDATE
    return _send(request, asset, "plotly.min.js: the plotly package is not installed", cache)
