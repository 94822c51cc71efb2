"""Stable signals of a stateless request, and the correlation id built from them, so that one
client's run against a stateless server (no session id) groups into one session. The recipe is the
protocol's (docs/PROTOCOL.md, "Stateless sessions"), checked by packages/protocol/vectors/correlation.json.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .client_info import CLIENT_INFO_META_KEY
from .request_view import RequestView

PROTOCOL_VERSION_META_KEY = "io.modelcontextprotocol/protocolVersion"
FIRST_HEADER_REVISION = "2025-06-18"
"""Clients of earlier revisions may leave out MCP-Protocol-Version: their versions count as none."""
_DIGEST_PREFIX = "mcpsight:correlation:1"
CORRELATION_ID_PREFIX = "cor_"


@dataclass(frozen=True)
class Signals:
    """What identifies one client's run across stateless requests; "" where a signal is absent."""

    client_name: str
    client_version: str
    protocol_version: str
    address: str
    user_agent: str


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _protocol_version(method: str, view: RequestView, result: Any) -> str:
    meta = view.meta
    version = _text(view.header("mcp-protocol-version")) or _text(
        meta.get(PROTOCOL_VERSION_META_KEY) if meta else None
    )
    # initialize carries no header; the version it negotiates is the one later requests send.
    if not version and method == "initialize" and isinstance(result, Mapping):
        version = _text(result.get("protocolVersion"))
    return "" if version < FIRST_HEADER_REVISION else version


def signals_of(method: str, view: RequestView, result: Any = None) -> Signals:
    """The signals of one request; ``result`` is its result (read for initialize only)."""
    meta = view.meta
    info = meta.get(CLIENT_INFO_META_KEY) if meta else None
    name = _text(info.get("name")) if isinstance(info, Mapping) else ""
    return Signals(
        client_name=name,
        client_version=_text(info.get("version")) if name and isinstance(info, Mapping) else "",
        protocol_version=_protocol_version(method, view, result),
        address=view.address() or "",
        user_agent=_text(view.header("user-agent")),
    )


def signals_digest(project_id: str, signals: Signals) -> str | None:
    """First 32 hex digits of SHA-256 over the signals within a project; None when all are absent."""
    if not (signals.client_name or signals.protocol_version or signals.address or signals.user_agent):
        return None
    joined = "\0".join(
        [
            _DIGEST_PREFIX,
            project_id,
            signals.client_name,
            signals.client_version,
            signals.protocol_version,
            signals.address,
            signals.user_agent,
        ]
    )
    return hashlib.sha256(joined.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def correlation_id_of(project_id: str, signals: Signals) -> str | None:
    """``cor_`` + the signals' digest, only when the client's address is known: without it the
    other signals tell kinds of clients apart, not clients."""
    if not signals.address:
        return None
    digest = signals_digest(project_id, signals)
    return None if digest is None else f"{CORRELATION_ID_PREFIX}{digest}"
