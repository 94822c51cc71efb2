"""Fixtures shared by the SDK's tests and the Python examples' tests (imported by their conftests)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .collector import Collector


@pytest.fixture(scope="module")
def collector() -> Iterator[Collector]:
    """A real collector of this repository for the module's tests, with a fresh database."""
    started = Collector()
    yield started
    started.close()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
