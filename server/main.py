"""Assemble the MLP Playground app: ``create_app(settings)``.

Endpoints (all JSON; floats float64, non-finite numbers as ``null`` with
``"finite": false``; errors ``{"detail": "field: why"}``):

=======  ==========================================  ==============================================
GET      /api/health                                 ``{"status": "ok", "version"}``
GET      /api/datasets                               dataset list
GET      /api/options                                registries, valid pairs, limits, default config
POST     /api/sessions                               ``SessionConfig`` -> 201 ``SessionState``
POST     /api/sessions/import                        export document -> 201 ``SessionState``
GET      /api/sessions/{id}                          ``SessionState`` (``include``, ``max_elements``)
DELETE   /api/sessions/{id}                          204
POST     /api/sessions/{id}/reset                    ``SessionState`` at epoch 0, same initial weights
GET      /api/sessions/{id}/export                   the engine's state, to import later
POST     /api/sessions/{id}/backward                 ``{indices?, apply?, include?, max_elements?}``
                                                     -> ``BackwardTrace``
POST     /api/sessions/{id}/epochs                   ``{count?, include?, max_elements?}`` -> ``EpochsResult``
POST     /api/sessions/{id}/gradcheck                ``{eps?, indices?}`` -> relative errors per layer
POST     /api/sessions/{id}/predict                  ``{X}`` -> ``{y, finite}``
GET      /api/sessions/{id}/data                     ``?max_points=2000``: points as the network sees them
GET      /api/sessions/{id}/boundary                 ``?resolution=50`` (5..200): grid (2-D) or curve (1-D)
GET      /api/sessions/{id}/outputs                  ``?split=test&max_points=2000&units=original``
PATCH    /api/sessions/{id}/params                   ``{layer, name: W|b, index, value}`` -> ``SessionState``
POST     /api/sessions/{id}/undo                     ``{count?}`` -> ``SessionState`` before the last changes
GET      /api/sessions/{id}/report                   self-contained HTML report (plotly), as a download
GET      /api/sessions/{id}/code                     ``?framework=numpy|pytorch&steps=N`` (1..1000): a script, as a download
POST     /api/datasets/csv                           ``{csv, target?, task?, has_header?}`` -> inline ``X``, ``y``
WS       /api/sessions/{id}/live                     live training frames (:mod:`server.live`)
GET      /api/live                                   live connections open and playing
GET      /api/lessons                                the lessons: ``[{name, title, summary}]``
POST     /api/lessons/{name}                         ``{quick?}`` -> 201 ``{sessions: [{id, label}], measured}``
GET      /                                           the page (``index.html`` of the package ``server.static``)
GET      /static/...                                 the page's other files (gzip, ETag: :mod:`server.assets`)
GET      /vendor/plotly.min.js                       Plotly.js from the installed ``plotly`` package (at the page's
                                                     ``?v=``, cached a year)
GET      /docs, /openapi.json                        OpenAPI
=======  ==========================================  ==============================================

Limits and settings come from ``MLP_PLAYGROUND_*`` environment variables:
see :mod:`server.settings`.
"""
from __future__ import annotations

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from threadpoolctl import threadpool_limits

from . import __version__, errors
from .assets import Assets
from .compress import ApiGZip
from .bounds import security
from .bounds.budget import Budget
from .bounds.body import BodyGuard, on_unreadable_body
from .bounds.fields import LimitsScope
from .sessions import ComputeScope
from .live.hub import LiveHub
from .routes import ROUTERS, code, lessons, live
from .sessions import lifespan
from .settings import Settings
from .store import open_store

DESCRIPTION = """Step a NumPy multi-layer perceptron one backward pass or one epoch at a time
and see every `z`, `a`, `delta`, `dW` and `db`. Conventions (samples are rows, `W[l]` is
`(out, in)`, the objective is the batch mean) are those of the repository's `docs/math.md`;
`docs/api.md` describes every endpoint."""


def create_app(settings: Settings | None = None) -> FastAPI:
    """The FastAPI app with its routers, error translation, body guard and the page's files.
    Without ``settings``, they are read from the environment (:meth:`Settings.from_env`), now;
    :class:`server.assets.PageMissing` if ``settings.static_dir`` holds no page."""
    settings = settings or Settings.from_env()
    assets = Assets(settings.static_dir)  # first: without the page there is nothing to serve
    if settings.blas_threads > 0:
        # Process-wide; requests already run in parallel, so one BLAS thread each is fastest.
        threadpool_limits(limits=settings.blas_threads, user_api="blas")
    app = FastAPI(title="MLP Playground", version=__version__, description=DESCRIPTION,
                  lifespan=lifespan)  # saves pending session changes on shutdown
    app.state.settings = settings
    app.state.assets = assets
    app.state.store = open_store(settings)  # memory, SQLite or Redis: MLP_PLAYGROUND_STORE
    app.state.live = LiveHub(settings.max_live_connections, settings.max_live_per_client,
                             settings.live_idle_seconds)  # live training sockets
    errors.install(app)
    app.add_exception_handler(HTTPException, on_unreadable_body)  # a body JSON parses but Python cannot read
    for router in ROUTERS:
        app.include_router(router)
    app.include_router(lessons.router)
    app.include_router(live.router)
    app.include_router(code.router)
    app.add_middleware(ApiGZip)
    app.add_middleware(BodyGuard, max_bytes=settings.max_body_bytes, max_depth=settings.max_json_depth,
                       limits_by_path={"/api/sessions/import": settings.max_import_bytes})
    app.add_middleware(LimitsScope, limits=settings.limits,  # the bounds request schemas check,
                       budget=Budget.from_settings(settings))  # and the budgets work is priced against
    app.add_middleware(ComputeScope, threads=settings.compute_threads)  # engine calls at once
    security.install(app, settings, app.state.store)  # per-client limits, CORS, headers (outermost)
    return app
