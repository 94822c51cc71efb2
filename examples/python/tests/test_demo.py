"""`npm run demo` drives the Python examples too, so a new user sees Python users in the dashboard:
a short run with this interpreter, then the collector reopened on the demo's data directory."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from support.collector import ADMIN_TOKEN, REPOSITORY, Collector
from support.mcp_line import LINE


@pytest.mark.skipif(LINE != 2, reason="the demo runs once per test run, in the newest mcp environment")
def test_the_demo_records_python_users_and_sessions() -> None:
    data_dir = tempfile.mkdtemp(prefix="mcpsight-demo-python-")
    try:
        run = subprocess.run(
            ["npm", "run", "demo", "--", "--duration", "3s", "--port", "0", "--data-dir", data_dir, "--exit"],
            cwd=REPOSITORY,
            env={**os.environ, "MCPSIGHT_ADMIN_TOKEN": ADMIN_TOKEN, "MCPSIGHT_DEMO_PYTHON": sys.executable},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, run.stdout + run.stderr
        assert f"Python examples with {sys.executable}" in run.stdout
        assert "sessions failed" not in run.stdout
        collector = Collector(data_dir)
        try:
            project = collector.project_named("Demo")
            sessions = collector.get("/sessions?limit=200", project)["items"]
            python_sessions = []
            for session in sessions:
                events = collector.get(f"/sessions/{session['sessionId']}", project)["events"]
                if any(event["sdkLanguage"] == "python" for event in events):
                    python_sessions.append(session)
            users = {s["userId"] for s in python_sessions}
            assert {"u_grace", "u_margaret", None} <= users  # basic, api_key (stateless), anonymous
            assert any(s["stateless"] and s["userId"] == "u_margaret" for s in python_sessions)
            assert all(s["errors"] >= 0 for s in python_sessions)
        finally:
            collector.close()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    assert Path(data_dir).exists() is False
