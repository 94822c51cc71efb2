"""A reference server tracked by mcpsight, served over stdio, for the tests' child processes.

Environment: MCPSIGHT_URL, MCPSIGHT_PROJECT_ID, TEST_KIND (high, lowlevel, fastmcp),
TEST_DEBUG=1 for mcpsight's debug lines (on stderr). It never calls mcpsight.shutdown(): the
events must leave at interpreter exit.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import anyio

import mcpsight
from support.mcp_line import build, lowlevel_of


def identify(request: Any, context: Any) -> Any:
    user = (request.params.arguments or {}).get("user") if request.method == "tools/call" else None
    return {"user_id": user} if isinstance(user, str) else None


def track(server: Any) -> Any:
    return mcpsight.track(
        server,
        os.environ["MCPSIGHT_PROJECT_ID"],
        mcpsight.Options(identify=identify, debug=os.environ.get("TEST_DEBUG") == "1"),
    )


async def main() -> None:
    kind = os.environ.get("TEST_KIND", "high")
    server = build(kind, f"stdio-{kind}", track)
    low = lowlevel_of(server)
    from mcp.server.stdio import stdio_server

    if kind == "fastmcp":
        async with server._lifespan_manager(), stdio_server() as (read, write):
            await low.run(read, write, low.create_initialization_options())
    else:
        async with stdio_server() as (read, write):
            await low.run(read, write, low.create_initialization_options())


if __name__ == "__main__":
    anyio.run(main)
