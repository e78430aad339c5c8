"""Makes this folder's helper modules importable (the scalar oracle, the test kit)."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
