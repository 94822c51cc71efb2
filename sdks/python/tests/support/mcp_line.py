"""What differs between the mcp 1.x and 2.x lines (and fastmcp 2.x / 4.x on top of them), in one
place, so each test reads the same on both: building the reference servers, serving them over
memory streams or Streamable HTTP, and connecting real ``ClientSession``s to them.
"""

from __future__ import annotations

import importlib.util
import socket
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import anyio
import mcp.types as types
from mcp.client.session import ClientSession
from mcp.shared.memory import create_client_server_memory_streams

LINE = 2 if importlib.util.find_spec("mcp.server.mcpserver") else 1
KINDS = ("high", "lowlevel", "fastmcp")
"""high: FastMCP (mcp 1.x) or MCPServer (mcp 2.x); lowlevel: mcp's Server; fastmcp: the fastmcp package."""

NOTE = "Release checklist: tag, build, publish, announce."


def implementation(name: str, version: str) -> Any:
    return types.Implementation(name=name, version=version)


# --- the reference server: tools search/fail (+ late), a resource, a prompt ---------------------------


async def _search(query: str, user: str | None = None) -> str:
    """``user``: the caller's id, for servers that identify users from the arguments."""
    return f"found {query}: {NOTE}"


def _tool_error() -> type[Exception]:
    """The exception whose message a server passes on to the client (others may be masked)."""
    try:
        if LINE == 2:
            from mcp.server.mcpserver.exceptions import ToolError
        else:
            from mcp.server.fastmcp.exceptions import ToolError
        return ToolError
    except ImportError:
        return ValueError


async def _fail(message: str) -> str:
    raise _tool_error()(message)


async def _late(x: int) -> str:
    return str(x * 2)


def readme() -> str:
    return NOTE


def greet(who: str) -> str:
    return f"Say hello to {who}."


def _schema(**properties: str) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {name: {"type": kind} for name, kind in properties.items()},
        "required": list(properties),
    }


TOOLS: dict[str, tuple[dict[str, Any], Callable[..., Any]]] = {
    "search": (
        {**_schema(query="string"), "properties": {"query": {"type": "string"}, "user": {"type": "string"}}},
        _search,
    ),
    "fail": (_schema(message="string"), _fail),
    "late": (_schema(x="integer"), _late),
}


def build(kind: str, name: str, track: Callable[[Any], Any] | None = None, *, verifier: Any = None) -> Any:
    """A server with ``search`` registered before ``track(server)`` and ``fail`` and ``late`` after
    it (for the low-level server, its handlers are set after ``track()`` on the 1.x line).
    ``verifier`` (a TokenVerifier; high-level servers only) puts the MCP SDK's bearer
    authentication in front of its HTTP endpoint.
    """
    if kind == "high":
        return _build_high(name, track, verifier)
    if kind == "fastmcp":
        return _build_fastmcp(name, track)
    return _build_lowlevel(name, track)


def _build_high(name: str, track: Callable[[Any], Any] | None, verifier: Any) -> Any:
    auth: dict[str, Any] = {}
    if verifier is not None:
        from mcp.server.auth.settings import AuthSettings

        auth = {
            "token_verifier": verifier,
            "auth": AuthSettings(
                issuer_url="http://127.0.0.1:9/",
                resource_server_url="http://127.0.0.1:9/mcp",
                validate_token_resource=False,
            ),
        }
    if LINE == 2:
        from mcp.server.mcpserver import MCPServer

        server: Any = MCPServer(name, version="1.0.0", **auth)
    else:
        from mcp.server.fastmcp import FastMCP

        server = FastMCP(name, **auth)
    server.tool(name="search")(_search)
    if track:
        track(server)
    server.tool(name="fail")(_fail)
    server.tool(name="late")(_late)
    server.resource("notes://readme", name="readme")(readme)
    server.prompt(name="greet")(greet)
    return server


def _build_fastmcp(name: str, track: Callable[[Any], Any] | None) -> Any:
    from fastmcp import FastMCP

    server = FastMCP(name, version="1.0.0")
    server.tool(_search, name="search")
    if track:
        track(server)
    server.tool(_fail, name="fail")
    server.tool(_late, name="late")
    server.resource("notes://readme", name="readme")(readme)
    server.prompt(name="greet")(greet)
    return server


async def _call(name: str, arguments: Mapping[str, Any] | None) -> str:
    text: str = await TOOLS[name][1](**dict(arguments or {}))
    return text


def _build_lowlevel(name: str, track: Callable[[Any], Any] | None) -> Any:
    from mcp.server.lowlevel import Server

    if LINE == 1:
        server: Any = Server(name, version="1.0.0")
        if track:
            track(server)

        @server.list_tools()
        async def list_tools() -> list[Any]:
            return [types.Tool(name=tool, inputSchema=schema) for tool, (schema, _fn) in TOOLS.items()]

        @server.call_tool()
        async def call_tool(tool: str, arguments: dict[str, Any]) -> list[Any]:
            return [types.TextContent(type="text", text=await _call(tool, arguments))]

        @server.list_resources()
        async def list_resources() -> list[Any]:
            return [types.Resource(uri="notes://readme", name="readme")]

        @server.read_resource()
        async def read_resource(uri: Any) -> str:
            return NOTE

        @server.list_prompts()
        async def list_prompts() -> list[Any]:
            return [types.Prompt(name="greet")]

        @server.get_prompt()
        async def get_prompt(prompt: str, arguments: dict[str, str] | None) -> Any:
            text = types.TextContent(type="text", text=f"Say hello to {(arguments or {}).get('who')}.")
            return types.GetPromptResult(messages=[types.PromptMessage(role="user", content=text)])

        return server

    async def on_list_tools(ctx: Any, params: Any) -> Any:
        return types.ListToolsResult(
            tools=[types.Tool(name=tool, input_schema=schema) for tool, (schema, _fn) in TOOLS.items()]
        )

    async def on_call_tool(ctx: Any, params: Any) -> Any:
        try:
            text = await _call(params.name, params.arguments)
        except Exception as error:
            return types.CallToolResult(
                content=[types.TextContent(type="text", text=str(error))], is_error=True
            )
        return types.CallToolResult(content=[types.TextContent(type="text", text=text)])

    async def on_list_resources(ctx: Any, params: Any) -> Any:
        return types.ListResourcesResult(resources=[types.Resource(uri="notes://readme", name="readme")])

    async def on_read_resource(ctx: Any, params: Any) -> Any:
        return types.ReadResourceResult(contents=[types.TextResourceContents(uri=params.uri, text=NOTE)])

    server = Server(
        name,
        version="1.0.0",
        on_list_tools=on_list_tools,
        on_call_tool=on_call_tool,
        on_list_resources=on_list_resources,
        on_read_resource=on_read_resource,
    )
    if track:
        track(server)

    async def on_list_prompts(ctx: Any, params: Any) -> Any:
        return types.ListPromptsResult(prompts=[types.Prompt(name="greet")])

    async def on_get_prompt(ctx: Any, params: Any) -> Any:
        text = types.TextContent(type="text", text=f"Say hello to {(params.arguments or {}).get('who')}.")
        return types.GetPromptResult(messages=[types.PromptMessage(role="user", content=text)])

    server.add_request_handler("prompts/list", types.PaginatedRequestParams, on_list_prompts)
    server.add_request_handler("prompts/get", types.GetPromptRequestParams, on_get_prompt)
    return server


def lowlevel_of(server: Any) -> Any:
    return getattr(server, "_lowlevel_server", None) or getattr(server, "_mcp_server", None) or server


# --- results ------------------------------------------------------------------------------------


def text_of(result: Any) -> str:
    content = result.content[0]
    return str(content.text)


def is_error(result: Any) -> bool:
    return bool(getattr(result, "is_error", None) or getattr(result, "isError", None))


def input_schema(tool: Any) -> dict[str, Any]:
    schema = getattr(tool, "input_schema", None) or getattr(tool, "inputSchema", None)
    return dict(schema or {})


# --- connections ----------------------------------------------------------------------------------


@asynccontextmanager
async def _lifespan(server: Any) -> AsyncIterator[None]:
    manager = getattr(server, "_lifespan_manager", None)
    if manager is not None and type(server).__module__.startswith("fastmcp"):
        async with manager():
            yield
    else:
        yield


@asynccontextmanager
async def memory_client(server: Any, client: str, version: str = "1.0.0") -> AsyncIterator[ClientSession]:
    """A real ClientSession connected to ``server`` over in-memory streams, initialized."""
    low = lowlevel_of(server)
    async with (
        create_client_server_memory_streams() as ((client_read, client_write), (server_read, server_write)),
        _lifespan(server),
        anyio.create_task_group() as group,
    ):
        group.start_soon(lambda: low.run(server_read, server_write, low.create_initialization_options()))
        async with ClientSession(
            client_read, client_write, client_info=implementation(client, version)
        ) as session:
            await session.initialize()
            yield session
        group.cancel_scope.cancel()


@asynccontextmanager
async def modern_client(target: Any, client: str, version: str = "1.0.0") -> AsyncIterator[Any]:
    """mcp 2.x's ``Client`` (fastmcp's for a fastmcp server) with its default protocol
    negotiation: 2026-07-28 requests, each with its own ``_meta`` envelope and no ``initialize``.
    ``target``: a server (in process), ``StdioServerParameters`` or a URL."""
    if type(target).__module__.startswith("fastmcp"):
        from fastmcp import Client as FastMCPClient

        async with FastMCPClient(target, client_info=implementation(client, version)) as session:
            yield session
    else:
        from mcp import Client

        async with Client(target, client_info=implementation(client, version)) as session:
            yield session


def http_app(server: Any, kind: str, *, stateless: bool) -> Any:
    """The Starlette app serving ``server`` over Streamable HTTP at /mcp."""
    if kind == "fastmcp":
        return server.http_app(path="/mcp", stateless_http=stateless)
    if kind == "high" and LINE == 1:
        server.settings.stateless_http = stateless
        return server.streamable_http_app()
    if LINE == 2:
        return server.streamable_http_app(stateless_http=stateless)
    from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
    from starlette.applications import Starlette
    from starlette.routing import Route

    manager = StreamableHTTPSessionManager(app=server, stateless=stateless)

    class Endpoint:
        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            await manager.handle_request(scope, receive, send)

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        async with manager.run():
            yield

    return Starlette(routes=[Route("/mcp", endpoint=Endpoint())], lifespan=lifespan)


@asynccontextmanager
async def serve(app: Any) -> AsyncIterator[str]:
    """Serves an ASGI app with uvicorn on 127.0.0.1 (a free port); yields the /mcp URL."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    async with anyio.create_task_group() as group:
        group.start_soon(lambda: server.serve(sockets=[sock]))
        while not server.started:  # noqa: ASYNC110 (uvicorn offers no event for it)
            await anyio.sleep(0.01)
        try:
            yield f"http://127.0.0.1:{port}/mcp"
        finally:
            server.should_exit = True
    sock.close()


@asynccontextmanager
async def http_client(
    url: str, client: str, version: str = "1.0.0", headers: Mapping[str, str] | None = None
) -> AsyncIterator[ClientSession]:
    """A real ClientSession over Streamable HTTP, initialized."""
    from mcp.client.streamable_http import streamable_http_client

    if LINE == 2:
        import httpx2 as httpx
    else:
        import httpx
    async with AsyncExitStack() as stack:
        http = await stack.enter_async_context(httpx.AsyncClient(headers=dict(headers or {}), timeout=30))
        streams = await stack.enter_async_context(streamable_http_client(url, http_client=http))
        session = await stack.enter_async_context(
            ClientSession(streams[0], streams[1], client_info=implementation(client, version))
        )
        session._mcpsight_test_http = http  # type: ignore[attr-defined]  # tests change its headers
        await session.initialize()
        yield session
