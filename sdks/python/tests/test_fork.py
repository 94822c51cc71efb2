"""Pre-fork servers (gunicorn --preload): ``track()`` runs in the parent, requests in forked workers."""

from __future__ import annotations

import os
import uuid
from typing import Any

import anyio
import pytest

import mcpsight
from support.collector import Collector, wait_for
from support.mcp_line import build, memory_client

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")


def _serve_in_child(server: Any, client: str) -> None:
    """In a forked child: one connection with three tool calls, flushed; never returns."""
    status = 1
    try:

        async def calls() -> bool:
            async with memory_client(server, client) as session:
                for query in ("a", "b", "c"):
                    await session.call_tool("search", {"query": query})
            return await mcpsight.aflush(10)

        status = 0 if anyio.run(calls) else 2
    finally:
        os._exit(status)


def test_forked_workers_each_deliver_their_own_events(collector: Collector) -> None:
    server = build(
        "high", "forked", lambda s: mcpsight.track(s, collector.project_id, {"api_base_url": collector.url})
    )
    clients = [f"worker-{number}-{uuid.uuid4().hex[:6]}" for number in range(2)]
    children = []
    for client in clients:
        pid = os.fork()
        if pid == 0:
            _serve_in_child(server, client)
        children.append(pid)
    assert [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in children] == [0, 0]
    # Each worker's events have ids of their own: none is dropped as a duplicate of a sibling's.
    for client in clients:
        wait_for(
            lambda client=client: (
                [e["eventType"] for e in collector.events(client)].count("mcp:tools/call") == 3
            ),
            f"the tool calls of {client}",
        )
