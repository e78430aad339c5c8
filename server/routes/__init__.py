"""One ``APIRouter`` per resource; :func:`server.main.create_app` includes them all."""
from __future__ import annotations

from . import meta, pages, plots, sessions, training

ROUTERS = [meta.router, sessions.router, training.router, plots.router, pages.router]
