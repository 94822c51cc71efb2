"""Where an example sends its analytics, read from the environment so the same code runs against
a local collector, a test's temporary one or a deployed one."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from urllib.parse import urlsplit

DEFAULT_COLLECTOR_URL = "http://127.0.0.1:4747"


@dataclass(frozen=True)
class CollectorConfig:
    api_base_url: str
    project_id: str


def collector_config() -> CollectorConfig:
    """``MCPSIGHT_URL`` (default http://127.0.0.1:4747) and ``MCPSIGHT_PROJECT_ID`` (required).
    Exits with an explanation when the project id is missing, so a first run says what to do."""
    project_id = os.environ.get("MCPSIGHT_PROJECT_ID", "").strip()
    if not project_id:
        sys.stderr.write(
            "MCPSIGHT_PROJECT_ID is not set.\n"
            "Start the collector (npm start) and copy the project id it prints on first start, or create\n"
            "one with: npx mcpsight project create my-server\n"
            "Then run the example with it, e.g.:\n"
            "  MCPSIGHT_PROJECT_ID=proj_… python examples/python/basic/server.py\n"
        )
        raise SystemExit(2)
    url = os.environ.get("MCPSIGHT_URL", "").strip() or DEFAULT_COLLECTOR_URL
    if urlsplit(url).scheme not in ("http", "https"):
        sys.stderr.write(f"MCPSIGHT_URL must be a URL such as {DEFAULT_COLLECTOR_URL}; got {url!r}.\n")
        raise SystemExit(2)
    return CollectorConfig(url, project_id)


def port_from_env(fallback: int) -> int:
    """``PORT`` for the HTTP examples (0 = any free port)."""
    raw = os.environ.get("PORT", "").strip()
    if not raw:
        return fallback
    if not raw.isdigit() or int(raw) > 65_535:
        sys.stderr.write(f"PORT must be an integer between 0 and 65535; got {raw!r}.\n")
        raise SystemExit(2)
    return int(raw)
