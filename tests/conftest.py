"""Keep the whole test run away from the user's own files.

Servers that name no store keep their sessions in ``$XDG_DATA_HOME/mlp-playground/``
(``~/.local/share`` by default). Pointing ``XDG_DATA_HOME`` at a temporary folder for
the run, before any server or subprocess starts, keeps tests from reading or writing
a real user's saved sessions.
"""
from __future__ import annotations

import os
import shutil
import tempfile

_TMP = tempfile.mkdtemp(prefix="mlp-playground-tests-")


def pytest_configure(config) -> None:
    os.environ["XDG_DATA_HOME"] = _TMP


def pytest_unconfigure(config) -> None:
    shutil.rmtree(_TMP, ignore_errors=True)
