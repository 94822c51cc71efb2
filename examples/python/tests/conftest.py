"""The Python examples' tests reuse the SDK's test support (a real collector, query helpers)."""

from __future__ import annotations

import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(EXAMPLES.parents[1] / "sdks" / "python" / "tests"))

from support.fixtures import anyio_backend, collector  # noqa: E402, F401 (fixtures)
