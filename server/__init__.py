"""MLP Playground's web server: the REST API over :mod:`mlp_engine`, and the page.

``create_app`` in :mod:`server.main` assembles it; ``mlp-playground`` (or
``python -m server``) runs it with uvicorn.
"""
from __future__ import annotations

from importlib import metadata

try:
    __version__ = metadata.version("mlp-playground")
except metadata.PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0"
