from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from support.fixtures import anyio_backend, collector  # noqa: F401 (fixtures for every test module)
from support.mcp_line import KINDS


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
