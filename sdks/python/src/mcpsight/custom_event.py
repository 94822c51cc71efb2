"""``publish_custom_event``: events of your own, in a tracked session."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from typing import Any

from .constants import EVENT_CUSTOM
from .event import error_data_of, new_event
from .log import SdkLogger
from .options import resolve_options
from .pipeline import Pipeline
from .runtime import delivery_for
from .session import SessionState, derive_session_id
from .tags import validate_tags
from .track import tracker_for_project, tracker_of
from .tracked_call import ReadyEvent
from .types import CustomEventData

_CAMEL = {"resourceName": "resource_name", "isError": "is_error"}


def _fields(data: CustomEventData | Mapping[str, Any] | None) -> dict[str, Any]:
    if data is None:
        return {}
    if dataclasses.is_dataclass(data) and not isinstance(data, type):
        return {f.name: getattr(data, f.name) for f in dataclasses.fields(data)}
    if isinstance(data, Mapping):
        return {_CAMEL.get(str(key), str(key)): value for key, value in data.items()}
    return {}


def publish_custom_event(
    server_or_session_id: Any, project_id: str, data: CustomEventData | Mapping[str, Any] | None = None
) -> None:
    """Records an event of your own (``mcpsight:custom``) in a session: pass the tracked server (its
    latest session) or an MCP session id (the transport's ``Mcp-Session-Id``). The event goes
    through the same redaction as tracked requests. Never raises.

    Example:
        >>> data = {"resource_name": "feedback", "parameters": {"rating": 5}}
        >>> publish_custom_event(server, "proj_…", data)  # doctest: +SKIP
    """
    log = SdkLogger(scope=project_id if isinstance(project_id, str) else None)
    try:
        by_id = isinstance(server_or_session_id, str)
        tracker = tracker_for_project(project_id) if by_id else tracker_of(server_or_session_id)
        if tracker is None and not by_id:
            inner = getattr(server_or_session_id, "_lowlevel_server", None) or getattr(
                server_or_session_id, "_mcp_server", None
            )
            tracker = tracker_of(inner) if inner is not None else None
        if tracker is None and not by_id:
            log.warn_once(
                "publish_custom_event:untracked",
                "publish_custom_event: the server is not tracked; call track() first. Event not sent.",
            )
            return
        session: SessionState | None
        session_id: str | None
        if by_id:
            session = tracker.memory.sessions.peek(server_or_session_id) if tracker is not None else None
            session_id = (
                session.id if session is not None else derive_session_id(project_id, server_or_session_id)
            )
        else:
            session = tracker.last_session if tracker is not None else None
            session_id = session.id if session is not None else None
        fields = _fields(data)
        event = new_event(
            project_id,
            session_id,
            session.client_info if session is not None else None,
            tracker.server_info() if tracker is not None else None,
            EVENT_CUSTOM,
            time.time(),
        )
        if isinstance(fields.get("resource_name"), str):
            event["resourceName"] = fields["resource_name"]
        for source, target in (("parameters", "parameters"), ("response", "response")):
            if fields.get(source) is not None:
                event[target] = fields[source]
        if isinstance(fields.get("message"), str):
            event["userIntent"] = fields["message"]
        duration = fields.get("duration")
        if isinstance(duration, int | float) and not isinstance(duration, bool) and duration >= 0:
            event["duration"] = duration
        if fields.get("is_error") is not None or fields.get("error") is not None:
            event["isError"] = bool(
                fields.get("is_error", True) if fields.get("is_error") is not None else True
            )
        if fields.get("error") is not None:
            event["error"] = error_data_of(fields["error"])
        tags, problems = validate_tags(fields.get("tags"))
        if problems:
            log.warn_once(
                "publish_custom_event:tags", f"publish_custom_event tags: {'; '.join(problems)}; dropped."
            )
        if tags:
            event["tags"] = tags
        if isinstance(fields.get("properties"), Mapping):
            event["properties"] = dict(fields["properties"])
        identity: Any = None
        if session is not None:
            pending = session.pending
            identity = pending if pending is not None and not pending.done else session.identity
        pipeline = tracker.pipeline if tracker is not None else _default_pipeline()
        redact = tracker.options.redact if tracker is not None else None
        pipeline.submit_ready(
            ReadyEvent(event, identity, redact, tracker.log if tracker is not None else log)
        )
    except Exception as error:
        log.warn_once(
            "publish_custom_event:failed", f"publish_custom_event failed ({error}); event not sent."
        )


_fallback: Pipeline | None = None


def _default_pipeline() -> Pipeline:
    """For custom events of a project no server was tracked for in this process."""
    global _fallback
    if _fallback is None:
        options = resolve_options(None)
        log = SdkLogger()
        _fallback = Pipeline(options, log, delivery_for(options, log))
    return _fallback
