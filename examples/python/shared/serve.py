"""Serving an example: over stdio (stdout carries JSON-RPC only, so diagnostics go to stderr), or
over Streamable HTTP on 127.0.0.1 with uvicorn.

A stdio server exits when its client closes stdin, and mcpsight sends what was recorded at
interpreter exit. uvicorn, though, ends a SIGTERM'd process by raising the signal again after its
graceful shutdown, which skips interpreter-exit hooks: the HTTP examples therefore flush in the
app's lifespan shutdown (``flush_on_shutdown``), which uvicorn runs before that.
"""

from __future__ import annotations

import socket
import sys
from typing import Any

import anyio

HOST = "127.0.0.1"


def serve_stdio(server: Any) -> None:
    """Serves until the client closes stdin; the process then exits and mcpsight flushes."""
    server.run("stdio")


def http_app(server: Any, *, stateless: bool) -> Any:
    """The server's Streamable HTTP app at /mcp, with or without sessions."""
    settings = getattr(server, "settings", None)
    if settings is not None and hasattr(settings, "stateless_http"):  # FastMCP (mcp 1.x)
        settings.stateless_http = stateless
        return server.streamable_http_app()
    return server.streamable_http_app(stateless_http=stateless)  # MCPServer (mcp 2.x)


def flush_on_shutdown(app: Any) -> Any:
    """The ASGI ``app``, sending mcpsight's last events when the server shuts down."""
    import mcpsight

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await app(scope, receive, send)
            return

        async def on_send(message: Any) -> None:
            if message["type"] == "lifespan.shutdown.complete":
                await mcpsight.ashutdown(timeout=5)
            await send(message)

        await app(scope, receive, on_send)

    return wrapped


def serve_http(app: Any, port: int, label: str) -> None:
    """Listens on 127.0.0.1:``port`` (0 = any free port) and prints the endpoint to stderr."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, port))
    server = uvicorn.Server(uvicorn.Config(flush_on_shutdown(app), log_level="warning"))

    async def announce() -> None:
        while not server.started:  # noqa: ASYNC110 (uvicorn offers no event for it)
            await anyio.sleep(0.01)
        sys.stderr.write(f"{label} listening on http://{HOST}:{sock.getsockname()[1]}/mcp\n")
        sys.stderr.flush()

    async def main() -> None:
        async with anyio.create_task_group() as group:
            group.start_soon(announce)
            await server.serve(sockets=[sock])
            group.cancel_scope.cancel()

    anyio.run(main)
