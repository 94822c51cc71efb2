"""Every kind of server over stdio (a child process), and Streamable HTTP, stateful and stateless."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel
import pytest
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

import mcpsight
from support.collector import Collector, wait_for
from support.mcp_line import LINE, build, http_app, implementation, modern_client, serve, text_of

pytestmark = pytest.mark.anyio
SERVER = Path(__file__).parent / "servers" / "stdio_server.py"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def child_env(collector: Collector, kind: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "MCPSIGHT_URL": collector.url,
        "MCPSIGHT_PROJECT_ID": collector.project_id,
        "TEST_KIND": kind,
        **extra,
    }


async def test_stdio_child_process_sends_its_events_at_exit(collector: Collector, kind: str) -> None:
    client = unique(f"stdio-{kind}")
    params = StdioServerParameters(command=sys.executable, args=[str(SERVER)], env=child_env(collector, kind))
    async with (
        stdio_client(params) as (read, write),
        ClientSession(read, write, client_info=implementation(client, "1.2.3")) as session,
    ):
        await session.initialize()
        await session.list_tools()
        result = await session.call_tool(
            "search", {"query": "rota", "user": f"u_{client}", "context": "on call"}
        )
        assert text_of(result).startswith("found rota")
    # The child exits when its stdin closes; mcpsight sends the events from an atexit hook.
    row = wait_for(
        lambda: next(iter(collector.get(f"/sessions?client={client}")["items"]), None),
        "the child's session",
        30,
    )
    assert row["userId"] == f"u_{client}" and row["clientVersion"] == "1.2.3" and row["stateless"] is False
    events = collector.events(client)
    assert [e["eventType"] for e in events if e["eventType"].startswith("mcp:")] == [
        "mcp:initialize",
        "mcp:tools/list",
        "mcp:tools/call",
    ]
    assert next(e for e in events if e["eventType"] == "mcp:tools/call")["userIntent"] == "on call"


@pytest.mark.skipif(LINE != 2, reason="the 2026-07-28 protocol is the mcp 2.x line's")
@pytest.mark.parametrize("over", ["memory", "stdio"])
async def test_a_2026_connection_over_stdio_or_in_memory_is_one_session(
    collector: Collector, kind: str, over: str
) -> None:
    # mcp 2.x serves each 2026-07-28 request with a Connection of its own; the session still lasts
    # as long as the transport connection, so identify runs once (on the first tool call).
    client = unique(f"modern-{over}-{kind}")
    identified: list[str] = []

    def identify(request: Any, context: Any) -> Any:
        identified.append(request.method)
        return {"user_id": f"u_{client}"}

    if over == "memory":
        target: Any = build(
            kind,
            f"modern-{kind}",
            lambda s: mcpsight.track(
                s, collector.project_id, mcpsight.Options(api_base_url=collector.url, identify=identify)
            ),
        )
    else:
        target = StdioServerParameters(
            command=sys.executable, args=[str(SERVER)], env=child_env(collector, kind)
        )
    async with modern_client(target, client) as session:
        for query in ("a", "b", "c"):
            result = await session.call_tool("search", {"query": query, "user": f"u_{client}"})
            assert text_of(result).startswith(f"found {query}")
    assert await mcpsight.aflush(10)
    if over == "memory":
        assert identified == ["tools/call"]
    row = collector.session_of(client, 3)
    assert row["stateless"] is False and row["userId"] == f"u_{client}"
    sessions = collector.get(f"/sessions?client={client}")["items"]
    assert [session["sessionId"] for session in sessions] == [row["sessionId"]]
    assert [event["eventType"] for event in collector.events(client)].count("mcpsight:identify") == 1


@pytest.mark.skipif(LINE != 2, reason="the 2026-07-28 protocol is the mcp 2.x line's")
async def test_2026_requests_over_http_stay_stateless(collector: Collector) -> None:
    client = unique("modern-http")
    server = build(
        "high",
        "modern-http",
        lambda s: mcpsight.track(s, collector.project_id, {"api_base_url": collector.url}),
    )
    async with serve(http_app(server, "high", stateless=False)) as url, modern_client(url, client) as session:
        await session.call_tool("search", {"query": "a"})
        await session.call_tool("search", {"query": "b"})
    assert await mcpsight.aflush(10)
    events = wait_for(
        lambda: (
            [
                e
                for s in collector.get("/sessions?stateless=true&limit=200")["items"]
                for e in collector.get(f"/sessions/{s['sessionId']}")["events"]
                if e["clientName"] == client and e["eventType"] == "mcp:tools/call"
            ]
            or None
        ),
        "the stateless tool calls",
    )
    assert len(events) == 2


def test_stdout_carries_only_json_rpc_even_with_debug_lines(collector: Collector) -> None:
    """The SDK writes nothing to stdout (the stdio transport) and its diagnostics go to stderr."""
    version = "2025-06-18" if LINE == 1 else "2025-11-25"
    messages = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": version,
                "capabilities": {},
                "clientInfo": {"name": "raw", "version": "1"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        {
            "jsonrpc": "2.0",
            "id": 3,
            "method": "tools/call",
            "params": {"name": "search", "arguments": {"query": "x"}},
        },
    ]
    process = subprocess.Popen(
        [sys.executable, str(SERVER)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(collector, "high", TEST_DEBUG="1"),
    )
    assert process.stdin is not None and process.stdout is not None
    lines: list[str] = []
    for message in messages:
        process.stdin.write(json.dumps(message) + "\n")
        process.stdin.flush()
        if "id" in message:  # wait for its response before sending on
            while True:
                line = process.stdout.readline()
                assert line, "the server closed stdout"
                lines.append(line)
                if json.loads(line).get("id") == message["id"]:
                    break
    stdout, stderr = process.communicate(timeout=60)
    lines += [line for line in stdout.splitlines() if line.strip()]
    assert all(json.loads(line)["jsonrpc"] == "2.0" for line in lines), lines
    assert "found x" in lines[-1]
    output = stderr
    assert "[mcpsight] debug: tracking" in output
    assert "[mcpsight]" not in "".join(lines)


def _session_id_recorder(seen: list[str]) -> Any:
    async def record(response: Any) -> None:
        session_id = response.headers.get("mcp-session-id")
        if session_id:
            seen.append(session_id)

    return record


async def _http_session(url: str, client: str, seen: list[str]) -> Any:
    from mcp.client.streamable_http import streamable_http_client

    if LINE == 2:
        import httpx2 as httpx
    else:
        import httpx
    async with (
        httpx.AsyncClient(event_hooks={"response": [_session_id_recorder(seen)]}, timeout=30) as http,
        streamable_http_client(url, http_client=http) as streams,
        ClientSession(streams[0], streams[1], client_info=implementation(client, "4.0")) as session,
    ):
        await session.initialize()
        await session.list_tools()
        await session.call_tool("search", {"query": "a", "context": "first"})
        await session.call_tool("fail", {"message": "nope", "context": "second"})


async def test_stateful_http_session_id_derives_from_mcp_session_id(collector: Collector, kind: str) -> None:
    import hashlib

    client = unique(f"http-{kind}")
    seen: list[str] = []
    server = build(
        kind,
        "http-stateful",
        lambda s: mcpsight.track(s, collector.project_id, {"api_base_url": collector.url}),
    )
    async with serve(http_app(server, kind, stateless=False)) as url:
        await _http_session(url, client, seen)
    assert await mcpsight.aflush(10)
    [row] = wait_for(
        lambda: (
            [s for s in collector.get(f"/sessions?client={client}")["items"] if s["toolCalls"] == 2] or None
        ),
        "the HTTP session",
    )
    assert row["stateless"] is False and row["errors"] == 1
    transport_id = seen[0]
    digest = hashlib.sha256(collector.project_id.encode() + b"\0" + transport_id.encode()).hexdigest()
    # Every process serving this MCP session reports the same session id.
    assert row["sessionId"] == f"ses_{digest[:32]}"
    types = [e["eventType"] for e in collector.get(f"/sessions/{row['sessionId']}")["events"]]
    assert types[:2] == ["mcp:initialize", "mcp:tools/list"] and types.count("mcp:tools/call") == 2


async def test_stateless_http_requests_are_marked_stateless(collector: Collector, kind: str) -> None:
    client = unique(f"stateless-{kind}")
    server = build(
        kind,
        "http-stateless",
        lambda s: mcpsight.track(s, collector.project_id, {"api_base_url": collector.url}),
    )
    async with serve(http_app(server, kind, stateless=True)) as url:
        await _http_session(url, client, [])
    assert await mcpsight.aflush(10)
    events = wait_for(
        lambda: (
            [
                e
                for s in collector.get("/sessions?stateless=true&limit=200")["items"]
                for e in collector.get(f"/sessions/{s['sessionId']}")["events"]
                if e["clientName"] == client
            ]
            or None
        ),
        "the stateless events",
    )
    assert {e["eventType"] for e in events} >= {"mcp:initialize", "mcp:tools/call"}
    assert all(
        re.fullmatch(r"sl_.+", s["sessionId"]) for s in collector.get("/sessions?stateless=true")["items"]
    )


async def test_publish_custom_event_lands_in_the_session(collector: Collector) -> None:
    client = unique("custom")
    server = build(
        "high", "custom", lambda s: mcpsight.track(s, collector.project_id, {"api_base_url": collector.url})
    )
    from support.mcp_line import memory_client

    async with memory_client(server, client) as session:
        await session.call_tool("search", {"query": "x"})
        mcpsight.publish_custom_event(
            server,
            collector.project_id,
            {"resource_name": "feedback", "parameters": {"rating": 5, "token": "s3cret"}},
        )
        await anyio.lowlevel.checkpoint()
    assert await mcpsight.aflush(10)
    events = wait_for(
        lambda: [e for e in collector.events(client) if e["eventType"] == "mcpsight:custom"] or None,
        "the custom event",
    )
    assert events[0]["resourceName"] == "feedback"
    assert events[0]["parameters"] == {"rating": 5, "token": "[REDACTED]"}
