"""The HTTP examples: api_key (stateless, key header, identify_cache) and mcp_auth (stateful,
bearer tokens checked by the MCP SDK's TokenVerifier, identify with get_access_token())."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator

import anyio
import anyio.lowlevel
import anyio.to_thread
import pytest
from support.collector import Collector, wait_for
from support.mcp_line import is_error, text_of

from launch import HttpExample, connect_http, start_http_example

pytestmark = pytest.mark.anyio


@pytest.fixture
def api_key(collector: Collector) -> Iterator[HttpExample]:
    example = start_http_example("api_key", collector)
    yield example
    example.stop()


@pytest.fixture
def mcp_auth(collector: Collector) -> Iterator[HttpExample]:
    example = start_http_example("mcp_auth", collector)
    yield example
    example.stop()


async def test_api_key_identifies_every_request_and_records_stateless_sessions(
    collector: Collector, api_key: HttpExample
) -> None:
    for user, key in (("u_linus", "key_linus_e4a6f0"), ("u_barbara", "key_barbara_3a7e92")):
        async with connect_http(api_key.url, f"api-key-{user}", headers={"x-api-key": key}) as session:
            for query in ("release", "rota", "onboarding"):
                result = await session.call_tool("search_notes", {"query": query, "context": "testing"})
                assert "#" in text_of(result)
    async with connect_http(api_key.url, "api-key-none") as session:
        await session.call_tool("search_notes", {"query": "style", "context": "testing"})
    api_key.stop()  # the example's events are sent as it exits (or within a second while it runs)

    users = wait_for(
        lambda: (
            (page := collector.get("/users"))
            and len(page["items"]) == 2
            and all(u["toolCalls"] == 3 for u in page["items"])
            and page
        ),
        "both users with their three calls",
        30,
    )
    linus = next(u for u in users["items"] if u["userId"] == "u_linus")
    assert linus["userName"] == "Linus Torvalds"
    assert linus["userData"] == {"organisation": "Kernel Folks", "plan": "team"}
    sessions = collector.get("/sessions?stateless=true")["items"]
    of_linus = [s for s in sessions if s["userId"] == "u_linus"]
    assert of_linus and all(s["stateless"] and s["clientName"] == "api-key-u_linus" for s in of_linus)
    assert any(s["userId"] is None and s["clientName"] == "api-key-none" for s in sessions)
    assert "key_linus" not in json.dumps(collector.get("/sessions"))
    assert "warn" not in api_key.stderr()


async def test_mcp_auth_refuses_requests_without_a_valid_bearer_token(mcp_auth: HttpExample) -> None:
    request = urllib.request.Request(
        mcp_auth.url,
        data=json.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping"}).encode(),
        headers={"content-type": "application/json", "accept": "application/json, text/event-stream"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        await anyio.to_thread.run_sync(lambda: urllib.request.urlopen(request, timeout=10))
    assert refused.value.code == 401
    assert "Bearer" in refused.value.headers.get("www-authenticate", "")
    with pytest.raises(Exception):  # noqa: B017, PT011 (the client raises its library's own error)
        async with connect_http(mcp_auth.url, "no-token", headers={"authorization": "Bearer tok_forged"}):
            pass


async def test_mcp_auth_identifies_the_session_from_the_verified_token_once(
    collector: Collector, mcp_auth: HttpExample
) -> None:
    async with connect_http(
        mcp_auth.url, "claude-code-py", "2.1.0", headers={"authorization": "Bearer tok_margaret_64c2ab"}
    ) as session:
        created = await session.call_tool(
            "create_note", {"title": "Launch", "body": "T-minus 10", "context": "plan"}
        )
        assert text_of(created) == "Created note #5."
        failed = await session.call_tool("delete_note", {"id": 99, "context": "tidying up"})
        assert is_error(failed)
    await anyio.lowlevel.checkpoint()
    row = wait_for(
        lambda: next(
            (s for s in collector.get("/sessions?client=claude-code-py")["items"] if s["toolCalls"] == 2),
            None,
        ),
        "the authenticated session",
        30,
    )
    assert (row["userId"], row["userName"], row["clientVersion"]) == (
        "u_margaret",
        "Margaret Hamilton",
        "2.1.0",
    )
    assert (row["serverName"], row["stateless"], row["errors"]) == ("notes-mcp-auth", False, 1)
    events = collector.get(f"/sessions/{row['sessionId']}")["events"]
    assert [e["eventType"] for e in events].count("mcpsight:identify") == 1
    [user] = collector.get("/users?search=u_margaret")["items"]
    assert user["userData"] == {
        "organisation": "Apollo Guidance",
        "scopes": ["notes:read", "notes:write"],
        "client": "notes-web",
    }
    assert "tok_margaret" not in json.dumps(events)
