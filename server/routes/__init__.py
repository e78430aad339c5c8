"""One ``APIRouter`` per resource; :func:`server.main.create_app` includes them all."""
from __future__ import annotations

from . import csv_upload, editing, meta, pages, plots, reports, sessions, training

# Routes are matched in order: the hot training moves right after the cheap meta routes.
ROUTERS = [meta.router, training.router, sessions.router, editing.router, csv_upload.router, plots.router, reports.router, pages.router]
