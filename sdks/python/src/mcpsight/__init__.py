"""mcpsight: self-hosted user analytics for MCP servers.

One call, :func:`track`, records every request of an MCP server (tools, resources, prompts) with
its arguments, result, duration and errors, groups requests into sessions, identifies users with
an ``identify`` callback, and sends it all, redacted and batched, to your own mcpsight collector.
A drop-in for MCPcat: ``import mcpsight as mcpcat`` keeps MCPcat code working.

Example:
    >>> from mcp.server.fastmcp import FastMCP  # doctest: +SKIP
    >>> import mcpsight  # doctest: +SKIP
    >>> server = FastMCP("notes")  # doctest: +SKIP
    >>> options = mcpsight.Options(api_base_url="http://127.0.0.1:4747")  # doctest: +SKIP
    >>> mcpsight.track(server, "proj_…", options)  # doctest: +SKIP
"""

from ._version import SDK_VERSION as __version__
from .custom_event import publish_custom_event
from .delivery import Stats
from .options import MCPCatOptions, Options, OtelOptions
from .runtime import aflush, ashutdown, flush, shutdown, stats
from .track import track
from .types import CustomEventData, IdentifyCacheOptions, Logger, UserIdentity

__all__ = [
    "CustomEventData",
    "IdentifyCacheOptions",
    "Logger",
    "MCPCatOptions",
    "Options",
    "OtelOptions",
    "Stats",
    "UserIdentity",
    "__version__",
    "aflush",
    "ashutdown",
    "flush",
    "publish_custom_event",
    "shutdown",
    "stats",
    "track",
]
