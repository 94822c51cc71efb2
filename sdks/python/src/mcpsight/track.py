"""``track()``: finds what kind of MCP server it was given, and routes its requests through a tracker."""

from __future__ import annotations

import threading
import weakref
from typing import Any, TypeVar

from . import adapters
from .constants import PROJECT_ID_LENGTH
from .detect import detect_server
from .log import SdkLogger
from .options import DEFAULT_API_BASE_URL, is_http_url, option_values, resolve_options
from .pipeline import Pipeline
from .runtime import delivery_for
from .tracker import Tracker

ServerT = TypeVar("ServerT")

_trackers: weakref.WeakKeyDictionary[object, Tracker] = weakref.WeakKeyDictionary()
_latest_by_project: dict[str, Tracker] = {}
_lock = threading.Lock()


def tracker_of(server: object) -> Tracker | None:
    try:
        return _trackers.get(server)
    except TypeError:
        return None


def tracker_for_project(project_id: str) -> Tracker | None:
    """The latest tracker of a project, for custom events addressed by session id."""
    return _latest_by_project.get(project_id)


def track(server: ServerT, project_id: str | None, options: Any = None) -> ServerT:
    """Starts recording a server's requests, users and sessions, and sending them to the collector.

    Works with ``FastMCP`` and the low-level ``Server`` of ``mcp`` 1.x, ``MCPServer`` and ``Server``
    of ``mcp`` 2.x, and the ``FastMCP`` of the ``fastmcp`` package; tools registered before or after
    this call are tracked. Returns the same server. Never raises: anything else is logged and
    returned untouched, and a second call on a server is harmless.

    Example:
        >>> from mcp.server.fastmcp import FastMCP  # doctest: +SKIP
        >>> import mcpsight  # doctest: +SKIP
        >>> server = FastMCP("notes")  # doctest: +SKIP
        >>> mcpsight.track(server, "proj_…", mcpsight.Options(  # doctest: +SKIP
        ...     identify=lambda request, context: {"user_id": request.params.arguments["user_id"]},
        ... ))
    """
    log: SdkLogger | None = None
    try:
        values, unknown = option_values(options)
        log = SdkLogger(
            debug=values.get("debug") is True or values.get("debug_mode") is True,
            logger=values.get("logger"),
            scope=project_id if isinstance(project_id, str) else None,
        )
        if not isinstance(project_id, str) or not 0 < len(project_id) <= PROJECT_ID_LENGTH:
            log.error(
                f"track(): project_id must be a non-empty string of at most {PROJECT_ID_LENGTH} characters "
                f"(got {project_id!r}); the server is not tracked."
            )
            return server
        for key in unknown:
            log.warn(f"track(): unknown option {key!r} ignored (see mcpsight.Options for the names).")
        detected = detect_server(server)
        if isinstance(detected, str):
            log.error(f"track(): {detected}. The server is returned untracked.")
            return server
        with _lock:
            existing = tracker_of(detected.low)
            if existing is not None or adapters.is_installed(detected):
                log.debug(f"track(): this server is already tracked for project {project_id}; ignoring.")
                return server
            resolved = resolve_options(options)
            if not is_http_url(resolved.api_base_url):
                log.error(
                    f"track(): {resolved.api_base_url_from} must be the collector's http(s) URL, such as "
                    f"{DEFAULT_API_BASE_URL}, got {resolved.api_base_url!r}; the server is not tracked."
                )
                return server
            delivery = delivery_for(resolved, log)
            tracker = Tracker(project_id, detected, resolved, log, Pipeline(resolved, log, delivery))
            adapters.install(tracker, detected)
            for target in (detected.low, detected.high):
                if target is not None:
                    try:
                        _trackers[target] = tracker
                    except TypeError:
                        pass
            _latest_by_project[project_id] = tracker
        log.debug(
            f"tracking {detected.kind} for project {project_id} → {resolved.api_base_url} "
            f"(context={resolved.enable_tool_call_context} report_missing={resolved.enable_report_missing})"
        )
    except Exception as error:
        (log or SdkLogger()).error(f"track(): setup failed ({error}); the server runs untracked.")
    return server
