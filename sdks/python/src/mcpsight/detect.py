"""Recognises MCP servers by shape, in one place; the MCP SDK is never imported here.

- MCP 2.x low-level ``Server``: handlers in ``_request_handlers`` by method name, and a
  ``middleware`` list wrapping every inbound request (``initialize`` included).
- MCP 1.x low-level ``Server``: handlers in ``request_handlers`` by request type; ``initialize`` is
  answered by its session, which ``run()`` creates.
- High-level servers wrap one: ``MCPServer`` (mcp 2.x) as ``_lowlevel_server``; ``FastMCP``
  (mcp 1.x) and the standalone ``fastmcp`` package (2.x on mcp 1.x, 3.x and later on mcp 2.x) as
  ``_mcp_server``.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DetectedServer:
    """A tracked server: its low-level ``Server`` (what mcpsight hooks), and the high-level one."""

    kind: str
    """Human-readable, for log lines: "FastMCP (mcp 1.x)", "Server (mcp 2.x)", …"""
    line: int
    """The MCP SDK major line the low-level server belongs to: 1 or 2."""
    low: Any
    high: Any | None

    def name_version(self) -> tuple[Any, Any]:
        return getattr(self.low, "name", None), getattr(self.low, "version", None)

    async def tool_schema(self, name: str) -> Mapping[str, Any] | None:
        """A tool's input schema from the server's registry, or None when it has no such tool.

        The low-level server's own lookup first (MCPServer; fastmcp 3.x and later, which know only
        the tools registered here or listed), then the high-level registry, awaited where it is
        async (fastmcp), then what a 1.x low-level server kept from its last tools/list.
        """
        try:
            getter = getattr(self.low, "get_tool_input_schema", None)
            if callable(getter):
                schema = getter(name)
                if isinstance(schema, Mapping):
                    return schema
            if self.high is not None:
                manager = getattr(self.high, "_tool_manager", None)
                for get_tool in (getattr(self.high, "get_tool", None), getattr(manager, "get_tool", None)):
                    if callable(get_tool):
                        tool = get_tool(name)
                        if inspect.isawaitable(tool):
                            tool = await tool
                        parameters = getattr(tool, "parameters", None)
                        return parameters if isinstance(parameters, Mapping) else None
            cached = getattr(self.low, "_tool_cache", {}).get(name)
            schema = getattr(cached, "inputSchema", None)
            return schema if isinstance(schema, Mapping) else None
        except Exception:
            return None


def _line(low: object) -> int | None:
    if (
        isinstance(getattr(low, "_request_handlers", None), dict)
        and isinstance(getattr(low, "middleware", None), list)
        and callable(getattr(low, "add_request_handler", None))
    ):
        return 2
    if isinstance(getattr(low, "request_handlers", None), dict) and callable(getattr(low, "run", None)):
        return 1
    return None


def detect_server(value: object) -> DetectedServer | str:
    """What kind of MCP server ``value`` is, or a sentence saying why it is not one.

    Example:
        >>> detect_server(object())  # doctest: +ELLIPSIS
        'the object (object) is not an MCP server...'
    """
    for attribute in ("_lowlevel_server", "_mcp_server"):
        low = getattr(value, attribute, None)
        line = _line(low) if low is not None else None
        if line is not None:
            return DetectedServer(f"{type(value).__name__} (mcp {line}.x)", line, low, value)
    line = _line(value)
    if line is not None:
        return DetectedServer(f"{type(value).__name__} (mcp {line}.x)", line, value, None)
    return (
        f"the object ({type(value).__name__}) is not an MCP server mcpsight knows: expected FastMCP or the "
        "low-level Server of the mcp package (1.x or 2.x), MCPServer (mcp 2.x), or a FastMCP server of the "
        "fastmcp package"
    )
