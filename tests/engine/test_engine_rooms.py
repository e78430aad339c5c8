"""One way down: the engine imports neither the lessons nor the web side."""
from __future__ import annotations

import subprocess
import sys


def test_importing_the_engine_loads_no_lesson_and_no_server_module() -> None:
    code = ("import sys, mlp_engine, mlp_engine.trainer, mlp_engine.factory, mlp_engine.state_check; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('mlp_lessons', 'server', 'fastapi', 'starlette', 'pydantic')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "[]", out.stdout
