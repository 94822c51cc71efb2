"""A normalised, read-only view of one request and its transport, whichever MCP SDK line and
transport produced it: the adapters (adapters/) build one per request, and everything else reads
only this. Nothing here imports the MCP SDK.
"""

from __future__ import annotations

import hashlib
import re
import sys
from collections.abc import Callable, Mapping
from typing import Any

_AUTH_CONTEXT_MODULE = "mcp.server.auth.middleware.auth_context"
_IPV4_MAPPED = re.compile(r"::ffff:\d{1,3}(\.\d{1,3}){3}\Z", re.ASCII)


def fingerprint(secret: str) -> str:
    """Hex SHA-256 of a secret, namespaced so it cannot be matched against plain hashes elsewhere."""
    return hashlib.sha256(b"mcpsight:credential:" + secret.encode("utf-8", "surrogatepass")).hexdigest()


def authenticated_user(http: Any) -> Any:
    """The ``AuthenticatedUser`` the MCP SDK's bearer middleware put on a Starlette request, if any."""
    scope = getattr(http, "scope", None)
    user = scope.get("user") if isinstance(scope, Mapping) else None
    return user if getattr(user, "access_token", None) is not None else None


def context_user() -> Any:
    """The user in the MCP SDK's auth context variable (what ``get_access_token()`` reads)."""
    module = sys.modules.get(_AUTH_CONTEXT_MODULE)
    var = getattr(module, "auth_context_var", None) if module is not None else None
    try:
        return var.get() if var is not None else None
    except Exception:
        return None


class RequestView:
    """What mcpsight reads from one request.

    ``params`` is the request's params in wire form (a dict, ``_meta`` included); ``context`` is
    what user callbacks receive as their second argument (the MCP SDK's request context);
    ``request`` builds, on first use, what they receive as their first (the MCP request object).
    """

    __slots__ = (
        "_credential",
        "_headers",
        "_make_request",
        "_request",
        "connection",
        "context",
        "http",
        "method",
        "params",
        "stateless_transport",
        "transport_session_id",
    )

    def __init__(
        self,
        method: str,
        params: Mapping[str, Any] | None,
        *,
        context: Any = None,
        make_request: Callable[[], Any] | None = None,
        http: Any = None,
        connection: object | None = None,
        transport_session_id: str | None = None,
        stateless_transport: bool | None = None,
    ) -> None:
        self.method = method
        self.params = params
        self.context = context
        self._make_request = make_request
        self._request: Any = None
        self.http = http
        self.connection = connection
        self.transport_session_id = transport_session_id or None
        self.stateless_transport = stateless_transport
        self._headers: Any = None
        self._credential: tuple[str | None] | None = None

    @property
    def request(self) -> Any:
        """The MCP request object passed to identify and the event callbacks."""
        if self._request is None and self._make_request is not None:
            try:
                self._request = self._make_request()
            except Exception:
                self._request = None
        return self._request

    @property
    def is_http(self) -> bool:
        return self.http is not None

    def header(self, name: str) -> str | None:
        """One HTTP request header by lower-case name (None off HTTP)."""
        if self.http is None:
            return None
        if self._headers is None:
            self._headers = getattr(self.http, "headers", None) or {}
        try:
            value = self._headers.get(name)
        except Exception:
            return None
        return value if isinstance(value, str) else None

    @property
    def meta(self) -> Mapping[str, Any] | None:
        meta = self.params.get("_meta") if self.params else None
        return meta if isinstance(meta, Mapping) else None

    def address(self) -> str | None:
        """The client's IP address: the first ``X-Forwarded-For`` entry without surrounding spaces
        and tabs (set by a proxy in front), else the connection's peer address. IPv4-mapped IPv6
        addresses (``::ffff:10.0.0.7``) are written as IPv4, letters in lower case."""
        forwarded = self.header("x-forwarded-for")
        address = forwarded.split(",")[0].strip(" \t") if forwarded is not None else ""
        if not address:
            host = getattr(getattr(self.http, "client", None), "host", None)
            address = host if isinstance(host, str) else ""
        if not address:
            return None
        lower = address.lower()
        return lower[7:] if _IPV4_MAPPED.match(lower) else lower

    def auth_user(self) -> Any:
        """The request's authenticated user: from the HTTP request itself (exact per request, also
        on a stateful session), else from the auth context variable."""
        return authenticated_user(self.http) or context_user()

    def credential(self) -> str | None:
        """The raw credential: bearer token, ``Authorization``, ``X-API-Key`` or ``Api-Key`` header."""
        if self._credential is None:
            token = getattr(getattr(self.auth_user(), "access_token", None), "token", None)
            if not (isinstance(token, str) and token):
                token = self.header("authorization") or self.header("x-api-key") or self.header("api-key")
            self._credential = (token,)
        return self._credential[0]

    def credential_fingerprint(self) -> str | None:
        """SHA-256 of the credential, so the secret itself is never stored or compared in the clear."""
        credential = self.credential()
        return None if credential is None else fingerprint(credential)
