"""The events a tracked server sends, for every kind of server, over in-memory streams, as the
collector stored them."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

import mcpsight
from support.collector import Collector, wait_for
from support.mcp_line import build, input_schema, is_error, memory_client, text_of

pytestmark = pytest.mark.anyio


def track_into(collector: Collector, **options: Any) -> Any:
    return lambda server: mcpsight.track(
        server, collector.project_id, mcpsight.Options(api_base_url=collector.url, **options)
    )


async def test_records_every_request_with_intent_errors_and_missing_tools(
    collector: Collector, kind: str
) -> None:
    client = f"events-{kind}-{uuid.uuid4().hex[:6]}"
    server = build(kind, f"notes-{kind}", track_into(collector))
    async with memory_client(server, client, "3.1.0") as session:
        tools = {tool.name: tool for tool in (await session.list_tools()).tools}
        assert {"search", "fail", "late", "get_more_tools"} <= set(tools)
        # The agent's intent argument is added to every tool, registered before or after track().
        for name in ("search", "fail", "late"):
            schema = input_schema(tools[name])
            assert "context" in schema["properties"] and "context" in schema["required"]
        found = await session.call_tool("search", {"query": "release", "context": "Ada prepares the release"})
        assert text_of(found).startswith("found release")
        failed = await session.call_tool(
            "fail", {"message": "Note #9 does not exist.", "context": "tidying up"}
        )
        assert is_error(failed)
        late = await session.call_tool("late", {"x": 21, "context": "doubling"})
        assert text_of(late) == "42"
        missing = await session.call_tool("get_more_tools", {"context": "wanted a PDF export"})
        assert "full tool list" in text_of(missing)
        await session.read_resource("notes://readme")
        await session.get_prompt("greet", {"who": "Ada"})
    assert await mcpsight.aflush(10)

    events = wait_for(lambda: (found := collector.events(client)) and len(found) >= 8 and found, "the events")
    by_type: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        by_type.setdefault(event["eventType"], []).append(event)
    assert len(by_type["mcp:initialize"]) == 1
    assert len(by_type["mcp:tools/list"]) == 1
    calls = {event["resourceName"]: event for event in by_type["mcp:tools/call"]}
    assert set(calls) == {"search", "fail", "late", "get_more_tools"}
    assert calls["search"]["parameters"] == {"name": "search", "arguments": {"query": "release"}}
    assert calls["search"]["userIntent"] == "Ada prepares the release"
    assert calls["search"]["isError"] is False
    assert calls["fail"]["isError"] is True
    assert "Note #9 does not exist." in calls["fail"]["error"]["message"]
    assert calls["late"]["userIntent"] == "doubling"
    assert calls["get_more_tools"]["userIntent"] == "wanted a PDF export"
    assert by_type["mcp:resources/read"][0]["resourceName"] == "notes://readme"
    assert by_type["mcp:prompts/get"][0]["resourceName"] == "greet"
    for event in events:
        assert event["clientName"] == client and event["clientVersion"] == "3.1.0"
        assert event["serverName"] == f"notes-{kind}"
        assert event["sdkLanguage"] == "python" and event["sdkVersion"] == mcpsight.__version__
    assert len({event["userId"] for event in events}) == 1  # one anonymous session
    [session_row] = collector.get(f"/sessions?client={client}")["items"]
    assert session_row["stateless"] is False and session_row["toolCalls"] == 4 and session_row["errors"] == 1


@pytest.mark.parametrize("kind", ["high", "fastmcp"])
async def test_a_tools_own_context_argument_reaches_it_before_any_tools_list(
    collector: Collector, kind: str
) -> None:
    # A restarted server or another replica: the first request is a tool call, so only the server's
    # registry tells that this tool's context argument is its own (fastmcp 2.x's is async).
    client = f"own-context-{kind}-{uuid.uuid4().hex[:6]}"
    tool = f"summarize_{uuid.uuid4().hex[:6]}"

    async def summarize(text: str, context: str) -> str:
        return f"{text} for {context}"

    server = build(kind, "own-context", track_into(collector))
    if kind == "fastmcp":
        server.tool(summarize, name=tool)
    else:
        server.tool(name=tool)(summarize)
    async with memory_client(server, client) as session:
        own = await session.call_tool(tool, {"text": "notes", "context": "the release"})
        assert text_of(own) == "notes for the release"
        found = await session.call_tool("late", {"x": 2, "context": "doubling"})
        assert text_of(found) == "4"
    assert await mcpsight.aflush(10)

    events = wait_for(
        lambda: (
            (found := [e for e in collector.events(client) if e["eventType"] == "mcp:tools/call"])
            and len(found) == 2
            and found
        ),
        "the tool calls",
    )
    calls = {event["resourceName"]: event for event in events}
    assert calls[tool]["parameters"]["arguments"] == {"text": "notes", "context": "the release"}
    assert calls[tool].get("userIntent") is None
    assert calls["late"]["userIntent"] == "doubling"
