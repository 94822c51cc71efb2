"""The MCP 2.x line (``mcp`` 2.x: ``Server`` and ``MCPServer``; ``fastmcp`` 3.x and later): a
server middleware, the SDK's own seam that wraps every inbound request, ``initialize`` included.
Requests and results are already in wire form there (dicts).
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Mapping
from typing import Any

from ..request_view import RequestView
from ..tracker import WIRE, Tracker


class McpsightMiddleware:
    """``(ctx, call_next)`` middleware that records each request through the tracker."""

    def __init__(self, tracker: Tracker) -> None:
        self.tracker = tracker

    async def __call__(self, ctx: Any, call_next: Any) -> Any:
        if getattr(ctx, "request_id", None) is None:
            return await call_next(ctx)  # notifications are not recorded
        try:
            view = _view(ctx)
        except Exception:
            return await call_next(ctx)

        async def forward(params: Mapping[str, Any] | None) -> Any:
            return await call_next(ctx if params is None else dataclasses.replace(ctx, params=params))

        return await self.tracker.observe(view, forward, WIRE)


def _view(ctx: Any) -> RequestView:
    method: str = ctx.method
    params = ctx.params if isinstance(ctx.params, Mapping) else None
    http = getattr(ctx, "request", None)
    if http is not None and not hasattr(http, "headers"):
        http = None
    connection = getattr(getattr(ctx, "session", None), "_connection", None)
    transport_session_id = getattr(connection, "session_id", None)
    return RequestView(
        method,
        params,
        context=ctx,
        make_request=lambda: _request_object(method, params),
        http=http,
        connection=connection,
        transport_session_id=transport_session_id if isinstance(transport_session_id, str) else None,
        stateless_transport=None
        if http is None and connection is None
        else http is not None and not transport_session_id,
    )


def _request_object(method: str, params: Mapping[str, Any] | None) -> Any:
    """The typed request (``mcp_types.CallToolRequest``, …) identify and the callbacks receive."""
    types = sys.modules.get("mcp_types")
    adapter = getattr(types, "client_request_adapter", None)
    if adapter is not None:
        try:
            return adapter.validate_python({"method": method, "params": dict(params) if params else {}})
        except Exception:
            pass
    return _PlainRequest(method, params)


class _PlainRequest:
    """A request the MCP types do not describe: ``method`` and ``params`` with attribute access."""

    def __init__(self, method: str, params: Mapping[str, Any] | None) -> None:
        self.method = method
        self.params = _Params(params or {})


class _Params:
    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = values
        self.name = values.get("name")
        self.arguments = values.get("arguments")
        self.uri = values.get("uri")
        self.meta = values.get("_meta")

    def __getattr__(self, name: str) -> Any:
        return self._values.get(name)


def install(tracker: Tracker, low: Any) -> None:
    low.middleware.append(McpsightMiddleware(tracker))


def is_installed(low: Any) -> bool:
    return any(isinstance(entry, McpsightMiddleware) for entry in getattr(low, "middleware", []))
