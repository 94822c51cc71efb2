"""Who the client is: learned at ``initialize`` on stateful sessions; otherwise what the request
itself names (``initialize`` params, the ``io.modelcontextprotocol/clientInfo`` ``_meta`` key,
``X-MCP-Client-Name``/``-Version`` headers); stateless requests then use what their client announced
at initialize (stateless_client.py), and the User-Agent last.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .event import NameVersion
from .request_view import RequestView

CLIENT_INFO_META_KEY = "io.modelcontextprotocol/clientInfo"


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def from_info(info: object) -> NameVersion | None:
    """Name and version of an ``Implementation`` (a model or a dict)."""
    if info is None:
        return None
    if isinstance(info, Mapping):
        name, version = info.get("name"), info.get("version")
    else:
        name, version = getattr(info, "name", None), getattr(info, "version", None)
    text = _text(name)
    return NameVersion(text, _text(version)) if text else None


def from_user_agent(user_agent: str | None) -> NameVersion | None:
    """``Claude-User/1.2 (x)`` → name ``Claude-User``, version ``1.2``."""
    first = user_agent.strip().split()[0] if user_agent and user_agent.strip() else None
    if not first:
        return None
    name, slash, version = first.partition("/")
    if slash and name:
        return NameVersion(name, version or None)
    return NameVersion(first)


def announced_client(view: RequestView) -> NameVersion | None:
    """What the request itself says about its client: ``initialize`` params, the ``_meta``
    clientInfo key (2026-07-28 requests), then the ``X-MCP-Client-Name``/``-Version`` headers."""
    if view.method == "initialize" and view.params:
        info = from_info(view.params.get("clientInfo"))
        if info:
            return info
    meta = view.meta
    info = from_info(meta.get(CLIENT_INFO_META_KEY)) if meta else None
    if info:
        return info
    name = _text(view.header("x-mcp-client-name"))
    return NameVersion(name, _text(view.header("x-mcp-client-version"))) if name else None


def session_client(context: Any) -> NameVersion | None:
    """The client of a stateful session, from the MCP SDK's session (``client_params``)."""
    params = getattr(getattr(context, "session", None), "client_params", None)
    if params is None:
        return None
    return from_info(getattr(params, "client_info", None) or getattr(params, "clientInfo", None))
