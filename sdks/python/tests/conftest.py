from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from support.collector import Collector
from support.mcp_line import KINDS


@pytest.fixture(scope="module")
def collector() -> Iterator[Collector]:
    """A real collector of this repository for the module's tests, with a fresh database."""
    started = Collector()
    yield started
    started.close()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    """Each kind of server of the installed mcp line: high-level, low-level, fastmcp package."""
    return str(request.param)


@pytest.fixture(autouse=True)
def _delivered() -> Iterator[None]:
    """Each test's events reach the collector before the next test (or the collector's end)."""
    import mcpsight

    yield
    mcpsight.flush(10)
