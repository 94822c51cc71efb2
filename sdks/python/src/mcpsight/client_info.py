"""Who the client is: learned at ``initialize`` on stateful sessions; otherwise read from the request
itself (``initialize`` params, the ``io.modelcontextprotocol/clientInfo`` ``_meta`` key,
``X-MCP-Client-Name``/``-Version`` headers), then what the client announced earlier with the same
credential, and the User-Agent last: a generic HTTP library's User-Agent only when nothing else is
known.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from .event import NameVersion
from .request_view import RequestView

CLIENT_INFO_META_KEY = "io.modelcontextprotocol/clientInfo"

# User-Agent products of HTTP libraries and tools, not of MCP clients (compared lower-case).
GENERIC_USER_AGENTS = frozenset(
    {
        "python-httpx",
        "httpx",
        "python-httpx2",
        "httpx2",
        "python-requests",
        "python-urllib",
        "aiohttp",
        "node",
        "node-fetch",
        "undici",
        "axios",
        "got",
        "go-http-client",
        "curl",
        "wget",
        "okhttp",
        "java",
        "java-http-client",
        "apache-httpclient",
        "reqwest",
        "dart",
        "ruby",
        "mozilla",
    }
)


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


def is_generic(client: NameVersion) -> bool:
    return client.name.lower() in GENERIC_USER_AGENTS


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


def resolve_client_info(view: RequestView, remembered: NameVersion | None = None) -> NameVersion | None:
    """The client of a request without a known session client (stateless, or before initialize).

    Example:
        >>> resolve_client_info(RequestView("tools/call", {}))  # nothing known
    """
    announced = announced_client(view)
    if announced:
        return announced
    agent = from_user_agent(view.header("user-agent"))
    if agent is not None and not is_generic(agent):
        return agent
    return remembered or agent


def correlation_hint(view: RequestView) -> str | None:
    """A hint that groups one anonymous stateless client's requests into a session: a hash of
    stable signals (the ``_meta`` clientInfo, the protocol version header, the client address,
    the User-Agent). None when there is nothing to hash."""
    meta = view.meta
    info = from_info(meta.get(CLIENT_INFO_META_KEY)) if meta else None
    parts = [
        f"{info.name}/{info.version or ''}" if info else "",
        view.header("mcp-protocol-version") or "",
        view.client_address() or "",
        view.header("user-agent") or "",
    ]
    if not any(parts):
        return None
    digest = hashlib.sha256("\n".join(["mcpsight:correlation:v1", *parts]).encode("utf-8", "surrogatepass"))
    return f"cor_{digest.hexdigest()[:32]}"
