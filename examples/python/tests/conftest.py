"""The Python examples' tests reuse the SDK's test support (a real collector, query helpers)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(EXAMPLES.parents[1] / "sdks" / "python" / "tests"))

from support.collector import Collector  # noqa: E402


@pytest.fixture(scope="module")
def collector() -> Iterator[Collector]:
    started = Collector()
    yield started
    started.close()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
