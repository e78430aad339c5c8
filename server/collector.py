"""Holding the garbage collector off while a long history is parsed and converted.

Parsing an import of a million epochs makes a million small lists (each epoch's
``grad_norms``) that all stay alive until they are converted to what the history
keeps. Each allocation counts towards the collector's thresholds, so the parse
sets off full passes over everything alive, growing with every pass: most of the
second the interpreter (every other request with it) was held. None of those
objects is part of a cycle, so the passes find nothing: every object made in the
block is either kept or freed by reference counting. Reading a stored state back
(the first read after a restart) parses and converts the same history, and is held
the same way.
"""
from __future__ import annotations

import gc
import threading
from contextlib import contextmanager
from typing import Iterator

_lock = threading.Lock()
_holders = 0
_was_enabled = False


@contextmanager
def held() -> Iterator[None]:
    """The collector off for the block, and back as it was when the last of the blocks that
    overlap (imports in several threads) ends; ``gc.disable`` is process-wide, so a plain
    disable/enable pair in two threads would leave it off, or switch it on under the other."""
    global _holders, _was_enabled
    with _lock:
        if _holders == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _was_enabled:
                gc.enable()
