"""The protocol's shared vectors (packages/protocol): the scrubbing cases, the event scenarios
every SDK must reproduce, the session id derivation, and the JSON Schema of an event."""

from __future__ import annotations

from typing import Any

import anyio
import mcp.types as mcp_types
import pytest

import mcpsight
from mcpsight._version import SDK_LANGUAGE
from mcpsight.redact import fit_event_size, redact_event, sanitize_event
from mcpsight.sanitize import RedactionError, sanitize
from mcpsight.session import derive_session_id
from support import vectors
from support.mcp_line import LINE, build, input_schema, lowlevel_of, memory_client
from support.sink import running_sink

SCRUB = vectors.read("vectors/scrub.json")
EVENTS = vectors.read("vectors/sdk-events.json")
SCHEMA = vectors.schema_validator()

REDACTIONS: dict[str, Any] = {
    "upper": lambda text: "".join(c.upper() if "a" <= c <= "z" else c for c in text),
    "double": lambda text: text + text,
    "fail": lambda text: (_ for _ in ()).throw(RuntimeError("redaction failed")),
}


def test_every_redaction_the_scrub_file_names_is_implemented_here() -> None:
    assert sorted(SCRUB["redactions"]) == sorted(REDACTIONS)


@pytest.mark.parametrize("case", SCRUB["values"], ids=[case["name"] for case in SCRUB["values"]])
def test_scrub_values(case: dict[str, Any]) -> None:
    value = vectors.expand(case["input"])
    output = sanitize(value) if "maxString" not in case else sanitize(value, case["maxString"])
    expected = vectors.expand(case["expected"])
    assert vectors.same_json(output, expected), (output, expected)


def _with_defaults(fields: dict[str, Any]) -> dict[str, Any]:
    expanded: dict[str, Any] = vectors.expand({**SCRUB["eventDefaults"], **fields})
    return expanded


@pytest.mark.parametrize("case", SCRUB["events"], ids=[case["name"] for case in SCRUB["events"]])
def test_scrub_events(case: dict[str, Any]) -> None:
    event = _with_defaults(case["event"])
    output: dict[str, Any] | None
    if case.get("redact") is None:
        output = fit_event_size(sanitize_event(event))[0]
    else:
        try:
            output = fit_event_size(redact_event(event, REDACTIONS[case["redact"]]))[0]
        except RedactionError:
            output = None
    if case["expected"] is None:
        assert output is None
        return
    expected = _with_defaults(case["expected"])
    assert output == expected
    for field in ("parameters", "response", "properties", "identifyActorData"):
        assert vectors.same_json(output.get(field), expected.get(field)), field


@pytest.mark.parametrize("vector", EVENTS["sessionIds"], ids=lambda v: v["sessionId"])
def test_session_ids_derive_from_the_transport_session_id(vector: dict[str, Any]) -> None:
    assert (
        derive_session_id(vector["projectId"], vector["transportSessionId"], vector["generation"])
        == (vector["sessionId"])
    )


# --- sdk-events.json ----------------------------------------------------------------------------


def reference_server(kind: str) -> Any:
    """The file's reference server on the library's high-level server (or the fastmcp package's)."""
    import mcp.types as types

    text_content = types.TextContent(type="text", text="nope")
    if kind == "fastmcp":
        from fastmcp import FastMCP
        from fastmcp.exceptions import ToolError

        server: Any = FastMCP(EVENTS["server"]["name"], version=EVENTS["server"]["version"])
    elif LINE == 2:
        from mcp.server.mcpserver import MCPServer
        from mcp.server.mcpserver.exceptions import ToolError

        server = MCPServer(EVENTS["server"]["name"], version=EVENTS["server"]["version"])
    else:
        from mcp.server.fastmcp import FastMCP
        from mcp.server.fastmcp.exceptions import ToolError

        server = FastMCP(EVENTS["server"]["name"])
        server._mcp_server.version = EVENTS["server"]["version"]  # FastMCP 1.x takes no version

    def add(a: int, b: int) -> str:
        return str(a + b)

    def echo(text: str) -> str:
        return text

    def fail_result() -> mcp_types.CallToolResult:  # a module-level name: FastMCP resolves it
        return types.CallToolResult(content=[text_content], isError=True)

    def fail_throw() -> str:
        # ToolError: the exception these servers pass on to the client (others are masked as
        # "Error executing tool …" on mcp 2.x, for the client's safety).
        raise ToolError("boom")

    for function in (add, echo, fail_result, fail_throw):
        server.tool(name=function.__name__)(function)

    def note() -> str:
        return "hello note"

    def greet(name: str) -> str:
        return f"Hello, {name}!"

    server.resource("note://1", name="note", mime_type="text/plain")(note)
    server.prompt(name="greet")(greet)
    return server


async def _send(session: Any, step: dict[str, Any]) -> Any:
    params = step.get("params") or {}
    request = step["request"]
    if request == "tools/list":
        return await session.list_tools()
    if request == "tools/call":
        return await session.call_tool(params["name"], params.get("arguments") or {})
    if request == "resources/list":
        return await session.list_resources()
    if request == "resources/read":
        return await session.read_resource(params["uri"])
    if request == "prompts/list":
        return await session.list_prompts()
    if request == "prompts/get":
        return await session.get_prompt(params["name"], params.get("arguments"))
    raise AssertionError(f"the runner does not know the request {request}")


def _wire(result: Any) -> Any:
    return result.model_dump(by_alias=True, mode="json", exclude_none=True)


def _normalise(event: dict[str, Any]) -> dict[str, Any]:
    out = dict(event)
    if out.get("parameters") == {}:
        del out["parameters"]
    response = out.get("response")
    if (
        out["eventType"] == "mcp:tools/list"
        and isinstance(response, dict)
        and isinstance(response.get("tools"), list)
    ):
        out["response"] = {
            **response,
            "tools": [t for t in response["tools"] if t.get("name") != "get_more_tools"],
        }
    return out


def _check_tool_list(result: Any, expected: dict[str, Any]) -> None:
    tools = result.tools
    assert [tool.name for tool in tools] == expected["names"]
    for tool in tools:
        wire = _wire(tool)
        if tool.name == "get_more_tools":
            assert {k: wire[k] for k in ("name", "description", "inputSchema")} == EVENTS["constants"][
                "getMoreToolsTool"
            ]
            continue
        schema = input_schema(tool)
        injected = tool.name in expected["withContext"]
        assert schema.get("properties", {}).get("context") == (
            EVENTS["constants"]["contextProperty"] if injected else None
        )
        assert ("context" in schema.get("required", [])) is injected


def test_the_reference_server_has_the_tools_the_file_describes() -> None:
    async def names() -> list[str]:
        async with memory_client(reference_server("high"), "probe") as session:
            return [tool.name for tool in (await session.list_tools()).tools]

    assert anyio.run(names) == [tool["name"] for tool in EVENTS["server"]["tools"]]
    assert list(EVENTS["identifyRules"]) == ["toolUser"]


@pytest.mark.parametrize("kind", ["high"])  # the file's reference is the library's high-level server
@pytest.mark.parametrize("scenario", EVENTS["scenarios"], ids=[s["name"] for s in EVENTS["scenarios"]])
def test_sdk_event_scenarios(scenario: dict[str, Any], kind: str) -> None:
    with running_sink() as sink:
        anyio.run(_run_scenario, scenario, kind, sink)


async def _run_scenario(scenario: dict[str, Any], kind: str, sink: Any) -> None:
    identify_calls = 0

    def tool_user(request: Any, context: Any) -> Any:
        nonlocal identify_calls
        identify_calls += 1
        return {
            "user_id": f"user-{request.params.name}",
            "user_name": "Ada Lovelace",
            "user_data": {"plan": "pro"},
        }

    server = reference_server(kind)
    options: dict[str, Any] = {"api_base_url": sink.url}
    if scenario.get("identify") == "toolUser":
        options["identify"] = tool_user
    mcpsight.track(server, EVENTS["projectId"], options)
    state = vectors.MatchState()
    seen = len(sink.events())
    steps = scenario["steps"]
    assert steps[0]["request"] == "initialize"
    client = EVENTS["client"]
    async with memory_client(server, client["name"], client["version"]) as session:
        for index, step in enumerate(steps):
            label = f"step {index} ({step['request']})"
            result = None if step["request"] == "initialize" else await _send(session, step)
            if "result" in step:
                assert (
                    vectors.mismatches(step["result"], _wire(result), "result", state, SDK_LANGUAGE) == []
                ), label
            if "toolList" in step:
                _check_tool_list(result, step["toolList"])
            assert await mcpsight.aflush(10), f"{label}: flush timed out ({mcpsight.stats()})"
            emitted = sink.events()[seen:]
            seen += len(emitted)
            for event in emitted:
                assert vectors.schema_problems(SCHEMA, event) == [], (
                    f"{label}: invalid {event['eventType']} event"
                )
            by_type = {event["eventType"]: _normalise(event) for event in emitted}
            assert sorted(by_type) == sorted(e["eventType"] for e in step["events"]), label
            assert len(by_type) == len(emitted), f"{label}: one event per type"
            for expected in step["events"]:
                full = {**EVENTS["eventDefaults"], **expected}
                actual = by_type[expected["eventType"]]
                assert vectors.mismatches(full, actual, expected["eventType"], state, SDK_LANGUAGE) == [], (
                    label
                )
    if "identifyCalls" in scenario:
        assert identify_calls == scenario["identifyCalls"]


def test_every_event_of_the_reference_flow_is_valid_against_the_schema() -> None:
    """The events of test_events' flow for each kind of server, identified, with tags and properties."""

    async def flow(kind: str, url: str) -> None:
        options = mcpsight.Options(
            api_base_url=url,
            identify=lambda request, context: {
                "user_id": "u_1",
                "user_name": "Ada",
                "user_data": {"plan": "x"},
            },
            event_tags=lambda request, context: {"env": "test"},
            event_properties=lambda request, context: {"feature": ["a", "b"]},
        )
        server = build(kind, f"schema-{kind}", lambda s: mcpsight.track(s, "proj_schema", options))
        async with memory_client(server, "schema-client") as session:
            await session.list_tools()
            await session.call_tool("search", {"query": "x", "context": "why"})
            await session.call_tool("fail", {"message": "boom"})
            await session.call_tool("get_more_tools", {"context": "pdf"})
            await session.read_resource("notes://readme")
            await session.list_prompts()
            await session.get_prompt("greet", {"who": "Ada"})
        mcpsight.publish_custom_event(
            server, "proj_schema", {"resource_name": "custom", "parameters": {"a": 1}}
        )
        assert await mcpsight.aflush(10)

    with running_sink() as sink:
        for kind in ("high", "lowlevel", "fastmcp"):
            anyio.run(flow, kind, sink.url)
        events = sink.events()
    assert len(events) >= 3 * 10
    assert {e["eventType"] for e in events} >= {
        "mcp:initialize",
        "mcp:tools/call",
        "mcpsight:identify",
        "mcpsight:custom",
    }
    for event in events:
        assert vectors.schema_problems(SCHEMA, event) == [], event
    assert all(lowlevel_of is not None for _ in events)


# --- correlation.json ------------------------------------------------------------------------------

CORRELATION = vectors.read("vectors/correlation.json")


class _Peer:
    """The parts of a Starlette request a stateless view reads: headers and the peer's address."""

    def __init__(self, headers: dict[str, str], address: str | None) -> None:
        self.headers = headers
        self.client = type("Client", (), {"host": address})() if address is not None else None
        self.scope: dict[str, Any] = {}


@pytest.mark.parametrize("run", CORRELATION["runs"], ids=[run["name"] for run in CORRELATION["runs"]])
def test_stateless_correlation_and_clients(run: dict[str, Any]) -> None:
    from mcpsight.correlation import signals_of
    from mcpsight.request_view import RequestView
    from mcpsight.stateless_client import StatelessClients

    clients = StatelessClients(run["projectId"])
    for index, request in enumerate(run["requests"]):
        params = dict(request.get("params") or {})
        if "meta" in request:
            params["_meta"] = request["meta"]
        view = RequestView(
            request["method"],
            params or None,
            http=_Peer(request.get("headers", {}), request.get("peerAddress")),
            stateless_transport=True,
        )
        result = request.get("result")
        expected = request["expected"]
        signals = signals_of(request["method"], view, result)
        assert {
            "clientName": signals.client_name,
            "clientVersion": signals.client_version,
            "protocolVersion": signals.protocol_version,
            "address": signals.address,
            "userAgent": signals.user_agent,
        } == expected["signals"], index
        if request["method"] == "initialize" and not request.get("failed"):
            clients.announce(view, result, float(index))
        client, correlation_id = clients.resolve(request["method"], view, result, float(index))
        assert correlation_id == expected["correlationId"], index
        shown = None if client is None else {"name": client.name, "version": client.version}
        if shown is not None and shown["version"] is None:
            del shown["version"]
        assert shown == expected["client"], index


# --- responses.json ----------------------------------------------------------------------------------

RESPONSES = vectors.read("vectors/responses.json")


@pytest.mark.parametrize("case", RESPONSES["cases"], ids=[case["name"] for case in RESPONSES["cases"]])
def test_what_the_sdk_does_with_each_answer(case: dict[str, Any]) -> None:
    import json

    from mcpsight.delivery.batch import verdict
    from mcpsight.delivery.post import outcome_of

    response = case["response"]
    events = case["request"]["body"]["events"]
    decided = verdict(len(events), outcome_of(response["status"], None, json.dumps(response["body"])))
    assert list(decided.delivered) == case["sdk"]["delivered"]
    assert list(decided.dropped) == case["sdk"]["dropped"]
    assert decided.retry is case["sdk"]["retry"]


@pytest.mark.parametrize(
    ("status", "retry_after", "retry", "wait"),
    [
        (413, None, False, None),
        (415, None, False, None),
        (408, None, True, None),
        (429, "2", True, 2.0),
        (503, "5", True, 5.0),
        (500, None, True, None),
    ],
)
def test_answers_the_collector_does_not_give_here(
    status: int, retry_after: str | None, retry: bool, wait: float | None
) -> None:
    """The vectors' note: 413/415 drop, 408/429/5xx retry, honouring Retry-After."""
    from mcpsight.delivery.batch import verdict
    from mcpsight.delivery.post import outcome_of

    outcome = outcome_of(status, retry_after, '{"error": {"code": "x", "message": "y"}}')
    decided = verdict(3, outcome)
    assert decided.retry is retry
    assert decided.dropped == (() if retry else (0, 1, 2))
    assert outcome.retry_after == wait
