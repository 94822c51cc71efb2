"""The host of the Python outage benchmark (outage.py), in its own process so its memory is the
SDK's and the server's alone: a FastMCP server tracked by mcpsight with its defaults and an
identify, called in memory by a real ClientSession at a steady rate. The tool called names the
phase (before, during and after the outage), so the collector's per-tool counts say which phase's
events arrived.

Driven by JSON lines on stdin: {"phase": "outage" | "after"} switches the tool, {"stop": {...}} ends
the calls, flushes and prints the report. Writes JSON lines to stdout (it is not an MCP stdio server).
"""

from __future__ import annotations

import gc
import json
import os
import sys
import time
from typing import Any

import anyio
from mcp.server.fastmcp import FastMCP
from mcp.shared.memory import create_connected_server_and_client_session

import mcpsight

TOOL_OF = {"before": "search_before", "outage": "search_during_outage", "after": "search_after"}
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss() -> int:
    """Resident memory of this process, in bytes (Linux)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * _PAGE
    except OSError:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def send(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


class Drops:
    """The SDK's logger: counts the drops it reports to the collector (its debug lines)."""

    reported = 0

    def warning(self, message: str) -> None:
        pass

    def error(self, message: str) -> None:
        pass

    def debug(self, message: str) -> None:
        if message.startswith("reporting ") and "dropped events" in message:
            Drops.reported += int(message.split()[1])


async def identify(request: Any, context: Any) -> Any:
    return mcpsight.UserIdentity(user_id="user_outage", user_name="Outage Bench")


def build_server(url: str, project_id: str) -> FastMCP:
    server = FastMCP("outage-bench", log_level="WARNING")
    for tool in TOOL_OF.values():

        def search(query: str, limit: int) -> str:
            return f'Found {limit} documents matching "{query}".'

        server.tool(name=tool, description="Searches documents")(search)
    mcpsight.track(
        server,
        project_id,
        mcpsight.Options(api_base_url=url, identify=identify, debug=True, logger=Drops()),
    )
    return server


async def main() -> None:
    url, project_id = os.environ["OUTAGE_COLLECTOR_URL"], os.environ["OUTAGE_PROJECT_ID"]
    rate = float(os.environ.get("OUTAGE_RATE", "1000"))
    server = build_server(url, project_id)
    state: dict[str, Any] = {"phase": "before", "window": "warm-up", "stopped": False}
    calls = dict.fromkeys(TOOL_OF, 0)
    memory = {"baseline": 0, "peak_up": 0, "peak_down": 0, "live_at_recovery": 0}
    held = {"peak_up": 0, "peak_down": 0}
    behind = 0

    def delivery_bytes() -> int:
        return sum(stats.queued_bytes for stats in mcpsight.stats().values())

    async def sample() -> None:
        await anyio.sleep(1)  # warm-up
        if state["window"] == "warm-up":
            state["window"] = "up"
        while not state["stopped"]:
            key = "peak_up" if state["window"] == "up" else "peak_down"
            memory[key] = max(memory[key], rss())
            held[key] = max(held[key], delivery_bytes())
            await anyio.sleep(0.05)

    async with (
        create_connected_server_and_client_session(server._mcp_server) as session,
        anyio.create_task_group() as tasks,
    ):

        async def call() -> None:
            nonlocal behind
            started = time.perf_counter()
            made = 0
            while not state["stopped"]:
                due = int((time.perf_counter() - started) * rate)
                behind = max(behind, due - made)
                while made < due and not state["stopped"]:
                    phase = state["phase"]
                    await session.call_tool(
                        TOOL_OF[phase],
                        {
                            "query": f"quarterly revenue {made}",
                            "limit": made % 20 + 1,
                            "context": "Find last quarter's revenue figures for the report",
                        },
                    )
                    calls[phase] += 1
                    made += 1
                await anyio.sleep(0.005)

        tasks.start_soon(call)
        tasks.start_soon(sample)
        send({"ready": True})
        stdin = anyio.wrap_file(sys.stdin)
        async for line in stdin:
            command = json.loads(line)
            if "phase" in command:
                if command["phase"] == "outage":
                    gc.collect()
                    memory["baseline"] = rss()
                    state["window"] = "down"
                elif command["phase"] == "after":
                    gc.collect()
                    memory["live_at_recovery"] = rss()
                state["phase"] = command["phase"]
                send({"phase_started": command["phase"]})
                continue
            state["stopped"] = True
            flush_started = time.perf_counter()
            flushed = await mcpsight.aflush(command["stop"]["flush_timeout"])
            stats = {url: vars(s) for url, s in mcpsight.stats().items()}
            send(
                {
                    "report": {
                        "calls": calls,
                        "memory": memory,
                        "held": held,
                        "reported_drops": Drops.reported,
                        "flushed": flushed,
                        "flush_seconds": time.perf_counter() - flush_started,
                        "behind_schedule": behind,
                        "stats": stats,
                    }
                }
            )
            break
        tasks.cancel_scope.cancel()


if __name__ == "__main__":
    anyio.run(main)
