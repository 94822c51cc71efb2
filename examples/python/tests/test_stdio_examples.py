"""The stdio examples (basic, migrating_from_mcpcat, token_auth, error_handling, anonymous), each
run as a child process with a real client, checked through the collector's query API; as
examples/test/*.test.ts does for the TypeScript ones."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import anyio
import anyio.to_thread
import pytest
from support.collector import Collector, wait_for
from support.mcp_line import is_error, text_of

from launch import connect_stdio

pytestmark = pytest.mark.anyio


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


@pytest.mark.parametrize(
    ("example", "server_name"), [("basic", "notes-basic"), ("migrating_from_mcpcat", "notes-mcpcat")]
)
async def test_the_user_id_argument_identifies_the_session(
    collector: Collector, example: str, server_name: str
) -> None:
    client = unique(example)
    async with connect_stdio(example, collector, client, "2.0.0") as stdio:
        tools = {tool.name for tool in (await stdio.session.list_tools()).tools}
        assert {"search_notes", "create_note", "delete_note", "get_more_tools"} <= tools
        found = await stdio.session.call_tool(
            "search_notes",
            {"user_id": "u_ada", "query": "release", "context": "Ada prepares the next release"},
        )
        assert "Release checklist" in text_of(found)
        created = await stdio.session.call_tool(
            "create_note",
            {"user_id": "u_ada", "title": "Retro", "body": "Went well.", "context": "Ada notes the retro"},
        )
        assert text_of(created) == "Created note #5."
    row = collector.session_of(client, 2)
    assert row["userId"] == "u_ada" and row["userName"] == "Ada Lovelace"
    assert (row["clientVersion"], row["serverName"], row["stateless"], row["errors"]) == (
        "2.0.0",
        server_name,
        False,
        0,
    )
    [user] = collector.get("/users?search=u_ada")["items"]
    assert user["userName"] == "Ada Lovelace"
    calls = [
        e
        for e in collector.get(f"/sessions/{row['sessionId']}")["events"]
        if e["eventType"] == "mcp:tools/call"
    ]
    assert [(e["resourceName"], e["userIntent"]) for e in calls] == [
        ("search_notes", "Ada prepares the next release"),
        ("create_note", "Ada notes the retro"),
    ]
    # The intent is taken out of the arguments before the tool (and the recording) sees them.
    assert calls[0]["parameters"] == {
        "name": "search_notes",
        "arguments": {"user_id": "u_ada", "query": "release"},
    }


async def test_token_auth_maps_a_token_to_its_user_and_never_records_it(collector: Collector) -> None:
    for token, expected in (("tok_grace_a90e44", "u_grace"), ("tok_forged_000000", None)):
        client = unique("token")
        async with connect_stdio("token_auth", collector, client) as stdio:
            result = await stdio.session.call_tool(
                "search_notes", {"token": token, "query": "rota", "context": "checking who is on call"}
            )
            assert "On-call rota" in text_of(result)
        row = collector.session_of(client, 1)
        assert row["userId"] == expected and row["stateless"] is False
        events = collector.get(f"/sessions/{row['sessionId']}")["events"]
        assert token not in json.dumps(events)
        call = next(e for e in events if e["eventType"] == "mcp:tools/call")
        assert call["parameters"]["arguments"]["query"] == "rota"
    [grace] = collector.get("/users?search=u_grace")["items"]
    assert (grace["userName"], grace["userData"]) == (
        "Grace Hopper",
        {"role": "editor", "organisation": "Compiler Works", "plan": "team"},
    )


async def _error_session(
    collector: Collector, user_id: str, stderr_before_exit: str | None = None
) -> tuple[dict[str, Any], str, float]:
    client = unique(f"errors-{user_id}")
    first_call = 0.0
    async with connect_stdio("error_handling", collector, client) as stdio:
        for query in ("style", "release"):
            started = time.monotonic()
            result = await stdio.session.call_tool(
                "search_notes", {"user_id": user_id, "query": query, "context": "x"}
            )
            first_call = first_call or time.monotonic() - started
            assert not is_error(result) and "#" in text_of(result)
        if stderr_before_exit is not None:  # e.g. a warning that comes after the calls
            await anyio.to_thread.run_sync(
                lambda: wait_for(lambda: stderr_before_exit in stdio.stderr(), stderr_before_exit)
            )
    return collector.session_of(client, 2), stdio.stderr(), first_call


async def test_error_handling_identifies_users_whose_lookup_works(collector: Collector) -> None:
    row, _stderr, _ = await _error_session(collector, "u_ada")
    assert (row["userId"], row["userName"], row["errors"]) == ("u_ada", "Ada Lovelace", 0)


async def test_error_handling_records_anonymous_when_identify_raises(collector: Collector) -> None:
    row, stderr, _ = await _error_session(collector, "u_alan")
    assert row["userId"] is None and row["errors"] == 0
    assert "user directory unavailable" in stderr


async def test_error_handling_gives_up_after_identify_timeout_without_delaying_calls(
    collector: Collector,
) -> None:
    row, stderr, first_call = await _error_session(collector, "u_slow", "identify timed out after 1 s")
    assert row["userId"] is None
    assert stderr.count("identify timed out after 1 s") == 1
    # Had the call waited for identify, it would have taken the full second.
    assert first_call < 1.0


async def test_anonymous_sessions_keep_errors_intents_and_missing_tool_reports(collector: Collector) -> None:
    client = unique("anon")
    async with connect_stdio("anonymous", collector, client, "0.9.0") as stdio:
        await stdio.session.list_tools()
        search = await stdio.session.call_tool(
            "search_notes", {"query": "guide", "context": "looking for the writing style guide"}
        )
        assert not is_error(search)
        failed = await stdio.session.call_tool(
            "delete_note", {"id": 42, "context": "cleaning up an old note"}
        )
        assert is_error(failed)
        await stdio.session.call_tool("get_more_tools", {"context": "wanted to export all notes as a PDF"})
    row = collector.session_of(client, 3)
    assert (row["userId"], row["errors"], row["serverName"], row["stateless"]) == (
        None,
        1,
        "notes-anonymous",
        False,
    )
    errors = collector.get("/errors")["items"]
    assert any(e["tool"] == "delete_note" and "Note #42 does not exist" in e["message"] for e in errors)
    intents = collector.get("/intents")["items"]
    assert any(
        i["type"] == "intent" and i["intent"] == "looking for the writing style guide" for i in intents
    )
    assert any(
        i["type"] == "missing_tool" and i["intent"] == "wanted to export all notes as a PDF" for i in intents
    )
