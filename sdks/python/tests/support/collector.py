"""The repository's real collector, started for the tests (``packages/server/dist/cli.js start``)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

REPOSITORY = Path(__file__).resolve().parents[4]
CLI = REPOSITORY / "packages" / "server" / "dist" / "cli.js"
ADMIN_TOKEN = "msk_python_sdk_tests_0123456789"
T = TypeVar("T")


class Collector:
    """A collector on a free port over a temporary data directory, with its default project."""

    def __init__(self, data_dir: str | None = None) -> None:
        """A fresh data directory, or ``data_dir`` (kept when closed: the caller owns it)."""
        if not CLI.exists():
            raise RuntimeError(
                f"the collector is not built ({CLI}); run npm install (or npm run build) first"
            )
        self.owns_data = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="mcpsight-python-tests-")
        env = {**os.environ, "MCPSIGHT_ADMIN_TOKEN": ADMIN_TOKEN, "MCPSIGHT_ADMIN_PASSWORD": "python-tests"}
        env.pop("MCPSIGHT_DATABASE_URL", None)
        self.process = subprocess.Popen(
            ["node", str(CLI), "start", "--port", "0", "--data-dir", self.data_dir, "--log-level", "warn"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            text=True,
        )
        self.output: list[str] = []
        self.url, self.project_id = self._wait_until_listening()
        threading.Thread(target=self._drain, daemon=True).start()

    def _wait_until_listening(self) -> tuple[str, str]:
        assert self.process.stdout is not None
        url = project = None
        deadline = time.monotonic() + 60
        fresh = self.owns_data
        while time.monotonic() < deadline and (url is None or (fresh and project is None)):
            line = self.process.stdout.readline()
            if not line:
                break
            self.output.append(line)
            url = url or _match(r"listening on (http://\S+)", line)
            project = project or _match(r"\((proj_[a-z0-9]+)\)", line)
        if url is None or (fresh and project is None):
            self.close()
            raise RuntimeError("the collector did not start:\n" + "".join(self.output))
        return url, project or ""

    def project_named(self, name: str) -> str:
        """The id of a project by its name (for a data directory a collector used before)."""
        projects = self.get_raw("/api/v1/projects")["items"]
        return next(project["id"] for project in projects if project["name"] == name)

    def _drain(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)

    def get(self, path: str, project_id: str | None = None) -> Any:
        """GET under /api/v1/projects/:projectId with the admin token, once the collector has
        derived every event it acknowledged (the query API reads derived tables only)."""
        self.derived()
        project = urllib.parse.quote(project_id or self.project_id, safe="")
        return self.get_raw(f"/api/v1/projects/{project}{path}")

    def derived(self, timeout: float = 20.0) -> None:
        """Polls GET /healthz until ``derivation.pending`` is 0."""
        deadline = time.monotonic() + timeout
        while True:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=10) as response:
                health = json.load(response)
            if (health.get("derivation") or {}).get("pending") == 0:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"derivation still pending after {timeout} s: {health}")
            time.sleep(0.01)

    def get_raw(self, path: str) -> Any:
        request = urllib.request.Request(
            f"{self.url}{path}", headers={"authorization": f"Bearer {ADMIN_TOKEN}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)

    def session_of(self, client: str, tool_calls: int, timeout: float = 30.0) -> dict[str, Any]:
        """The session row of a client name once it has ``tool_calls`` tool calls."""
        return wait_for(
            lambda: next(
                (
                    s
                    for s in self.get(f"/sessions?client={urllib.parse.quote(client)}")["items"]
                    if s["toolCalls"] >= tool_calls
                ),
                None,
            ),
            f"the session of {client}",
            timeout,
        )

    def events(self, client: str) -> list[dict[str, Any]]:
        """Every event of the sessions of a client name, oldest first."""
        sessions = self.get(f"/sessions?client={urllib.parse.quote(client)}&limit=200")["items"]
        events: list[dict[str, Any]] = []
        for session in sessions:
            events.extend(self.get(f"/sessions/{urllib.parse.quote(session['sessionId'])}")["events"])
        return sorted(events, key=lambda event: event["timestamp"])

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.owns_data:
            shutil.rmtree(self.data_dir, ignore_errors=True)


def _match(pattern: str, text: str) -> str | None:
    found = re.search(pattern, text)
    return found.group(1) if found else None


def wait_for(check: Callable[[], T | bool | None], what: str, timeout: float = 15.0) -> T:
    """Polls ``check`` until it returns something other than None/False, or fails naming ``what``."""
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            value = check()
            if value is not None and value is not False:
                return value  # type: ignore[return-value]
        except Exception as error:
            last = error
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}" + (f" (last error: {last!r})" if last else ""))
