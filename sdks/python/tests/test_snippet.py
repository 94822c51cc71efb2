"""The Python snippet the collector shows (first start, dashboard): installed the way it says, its
code tracks a server into the project it names."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

import mcpsight
from support.collector import REPOSITORY, Collector
from support.mcp_line import build, memory_client

pytestmark = pytest.mark.anyio


def python_snippet(collector: Collector) -> dict[str, str]:
    projects = collector.get_raw("/api/v1/projects")["items"]
    project = next(p for p in projects if p["id"] == collector.project_id)
    return next(s for s in project["snippets"] if s["language"] == "python")


def test_installs_this_checkouts_sdk(collector: Collector) -> None:
    install = python_snippet(collector)["install"]
    assert install == "pip install /path/to/mcpsight/sdks/python"
    # The package these tests import is that directory of this checkout.
    checkout_sdk = Path(install.removeprefix("pip install ").replace("/path/to/mcpsight", str(REPOSITORY)))
    assert Path(mcpsight.__file__).resolve().is_relative_to(checkout_sdk.resolve())


async def test_its_code_tracks_a_server_into_the_project(collector: Collector, kind: str) -> None:
    code = python_snippet(collector)["code"]
    assert f'"{collector.project_id}"' in code and f'"{collector.url}"' in code

    def run_snippet(server: Any) -> None:
        exec(compile(code, "<snippet>", "exec"), {"server": server})

    client = f"snippet-{kind}-{uuid.uuid4().hex[:6]}"
    async with memory_client(build(kind, f"notes-{kind}", run_snippet), client) as session:
        await session.call_tool("search", {"query": "release", "context": "trying the snippet"})
    assert await mcpsight.aflush(10)
    session_row = collector.session_of(client, tool_calls=1)
    assert session_row["toolCalls"] == 1
