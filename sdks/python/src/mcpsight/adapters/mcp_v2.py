"""The MCP 2.x line (``mcp`` 2.x: ``Server`` and ``MCPServer``; ``fastmcp`` 3.x and later): a
server middleware, the SDK's own seam that wraps every inbound request, ``initialize`` included.
Requests and results are already in wire form there (dicts).

A session is found by its connection. On the handshake protocol that is the MCP SDK's
``Connection``, one per transport connection. From protocol 2026-07-28 on (the default of mcp's and
fastmcp's ``Client``) mcp builds a ``Connection`` per request; what its requests share is, over a
stream transport (stdio, fastmcp's in-memory client), the connection's notification channel
(``Connection.outbound``), and over ``mcp.Client``'s in-process dispatcher that dispatcher's
``TransportContext``. Over HTTP there is neither (one no-channel placeholder serves every request),
so such requests stay stateless, as the transport says.
"""

from __future__ import annotations

import dataclasses
import sys
import weakref
from collections.abc import Mapping
from typing import Any

from ..request_view import RequestView
from ..tracker import WIRE, Tracker


class McpsightMiddleware:
    """``(ctx, call_next)`` middleware that records each request through the tracker."""

    def __init__(self, tracker: Tracker) -> None:
        self.tracker = tracker
        self._in_process = _IdentityKeys()

    async def __call__(self, ctx: Any, call_next: Any) -> Any:
        if getattr(ctx, "request_id", None) is None:
            return await call_next(ctx)  # notifications are not recorded
        try:
            view = _view(ctx, self._in_process)
        except Exception:
            return await call_next(ctx)

        async def forward(params: Mapping[str, Any] | None) -> Any:
            return await call_next(ctx if params is None else dataclasses.replace(ctx, params=params))

        return await self.tracker.observe(view, forward, WIRE)


def _view(ctx: Any, in_process: _IdentityKeys) -> RequestView:
    method: str = ctx.method
    params = ctx.params if isinstance(ctx.params, Mapping) else None
    http = getattr(ctx, "request", None)
    if http is not None and not hasattr(http, "headers"):
        http = None
    session = getattr(ctx, "session", None)
    connection = getattr(session, "_connection", None)
    transport_session_id = getattr(connection, "session_id", None)
    return RequestView(
        method,
        params,
        context=ctx,
        make_request=lambda: _request_object(method, params),
        http=http,
        connection=_connection_key(session, connection, in_process),
        transport_session_id=transport_session_id if isinstance(transport_session_id, str) else None,
        stateless_transport=None
        if http is None and connection is None
        else http is not None and not transport_session_id,
    )


def _connection_key(session: Any, connection: Any, in_process: _IdentityKeys) -> Any:
    """What every request of one transport connection shares (see the module's docstring)."""
    if connection is None:
        return None
    if getattr(connection, "has_standalone_channel", False) is True:
        outbound = getattr(connection, "outbound", None)
        if outbound is not None:
            return outbound
    # The session's request channel, unwrapped from the 2026 era's no-server-requests wrapper.
    dispatch = getattr(session, "_request_outbound", None)
    dispatch = getattr(dispatch, "_inner", dispatch)
    transport = getattr(dispatch, "transport", None)
    if getattr(transport, "kind", None) == "direct":
        return in_process.key_for(transport)
    return connection


class _ConnectionKey:
    """Stands in for a connection's object as the key of its session."""

    __slots__ = ("__weakref__",)


class _IdentityKeys:
    """One key per live object, by identity, for objects that compare by value (a frozen
    dataclass such as ``TransportContext``), so they cannot be weak dictionary keys themselves."""

    def __init__(self) -> None:
        self._keys: dict[int, tuple[weakref.ref[Any], _ConnectionKey]] = {}

    def key_for(self, value: Any) -> _ConnectionKey:
        ident = id(value)
        entry = self._keys.get(ident)
        if entry is not None and entry[0]() is value:
            return entry[1]
        keys = self._keys

        def forget(ref: weakref.ref[Any]) -> None:
            if keys.get(ident, (None,))[0] is ref:
                del keys[ident]

        key = _ConnectionKey()
        keys[ident] = (weakref.ref(value, forget), key)
        return key


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
