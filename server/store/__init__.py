"""Durable session stores: the interface (:mod:`.base`), SQLite (:mod:`.sqlite`) and Redis (:mod:`.redis`)."""
from .base import Backend, Lease, open_backend

__all__ = ["Backend", "Lease", "open_backend"]
