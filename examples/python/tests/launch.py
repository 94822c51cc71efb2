"""Starts the Python examples as child processes, the way an MCP client or a deployment runs them:
stdio examples through a client transport (one process per session), HTTP examples as long-running
servers on a free port."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from support.collector import Collector
from support.mcp_line import http_client, implementation

EXAMPLES = Path(__file__).resolve().parents[1]


def example_env(collector: Collector, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "MCPSIGHT_URL": collector.url,
        "MCPSIGHT_PROJECT_ID": collector.project_id,
        "PYTHONPATH": str(EXAMPLES),
        **extra,
    }


@dataclass
class StdioSession:
    session: ClientSession
    stderr_path: Path
    captured: str | None = None
    """What the example wrote to stderr, once it has exited."""

    def stderr(self) -> str:
        return self.captured if self.captured is not None else self.stderr_path.read_text("utf-8", "replace")


@asynccontextmanager
async def connect_stdio(
    example: str, collector: Collector, client: str, version: str = "1.0.0"
) -> AsyncIterator[StdioSession]:
    """Starts ``python -m <example>.server`` and connects a real client to it over stdio. Leaving
    the block closes its stdin: the example exits and sends its events."""
    with tempfile.TemporaryDirectory() as directory:
        stderr_path = Path(directory) / "stderr.txt"
        params = StdioServerParameters(
            command=sys.executable,
            args=["-m", f"{example}.server"],
            env=example_env(collector),
            cwd=str(EXAMPLES),
        )
        with stderr_path.open("w") as errlog:
            async with (
                stdio_client(params, errlog=errlog) as (read, write),
                ClientSession(read, write, client_info=implementation(client, version)) as session,
            ):
                await session.initialize()
                stdio = StdioSession(session, stderr_path)
                yield stdio
        stdio.captured = stderr_path.read_text("utf-8", "replace")


@dataclass
class HttpExample:
    url: str
    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)

    def stderr(self) -> str:
        return "".join(self.lines)

    def stop(self) -> None:
        """SIGTERM: uvicorn stops, the interpreter exits and mcpsight sends what was recorded."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_http_example(example: str, collector: Collector, timeout: float = 60) -> HttpExample:
    """Starts an HTTP example on a free port and returns once it listens."""
    process = subprocess.Popen(
        [sys.executable, "-m", f"{example}.server"],
        cwd=str(EXAMPLES),
        env=example_env(collector, PORT="0"),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    started = HttpExample("", process)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        started.lines.append(line)
        found = re.search(r"listening on (http://\S+)", line)
        if found:
            started.url = found.group(1)
            threading.Thread(target=started.lines.extend, args=(process.stderr,), daemon=True).start()
            return started
    process.kill()
    raise RuntimeError(f"{example} did not start:\n{started.stderr()}")


@asynccontextmanager
async def connect_http(
    url: str, client: str, version: str = "1.0.0", headers: Mapping[str, str] | None = None
) -> AsyncIterator[Any]:
    """A real client over Streamable HTTP. Stateless servers meet each request without a session,
    so the client also names itself in ``X-MCP-Client-Name``/``-Version``."""
    named = {**(headers or {}), "x-mcp-client-name": client, "x-mcp-client-version": version}
    async with http_client(url, client, version, headers=named) as session:
        yield session
