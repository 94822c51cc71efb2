"""One adapter per MCP SDK line: how requests are intercepted and read. The tracker behind them is
the same (tracker.py)."""

from __future__ import annotations

from ..detect import DetectedServer
from ..tracker import Tracker
from . import mcp_v1, mcp_v2


def install(tracker: Tracker, server: DetectedServer) -> None:
    """Routes every request of ``server``, for tools registered before or after, through ``tracker``."""
    if server.line == 2:
        mcp_v2.install(tracker, server.low)
    else:
        mcp_v1.install(tracker, server.low)


def is_installed(server: DetectedServer) -> bool:
    return mcp_v2.is_installed(server.low) if server.line == 2 else mcp_v1.is_installed(server.low)
