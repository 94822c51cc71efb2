"""Builds protocol events (camelCase dicts, the wire form) from what a handler received and returned."""

from __future__ import annotations

import itertools
import re
import time
import traceback
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ._version import SDK_LANGUAGE, SDK_VERSION
from .constants import EVENT_TYPE_LENGTH, NAME_LENGTH
from .sanitize import truncate

Event = dict[str, Any]


@dataclass(frozen=True)
class NameVersion:
    """A client's or server's name and version."""

    name: str
    version: str | None = None


_event_types: dict[str, str] = {}
_EVENT_TYPE_CHARS = re.compile(r"[^A-Za-z0-9_./-]")


def event_type_for(method: str) -> str:
    """``mcp:<method>``, with characters the protocol does not allow replaced."""
    cached = _event_types.get(method)
    if cached is None:
        cached = f"mcp:{_EVENT_TYPE_CHARS.sub('_', method)}"[:EVENT_TYPE_LENGTH]
        if len(_event_types) < 1000:  # methods are a small fixed set
            _event_types[method] = cached
    return cached


# Event ids: one random UUID per process plus a counter: as unique as a UUID per event, at the
# cost of a string format. Fixed when the event is built, so a retried batch resends the same ids.
_ID_PREFIX: str
_id_counter: Iterator[int]


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while number:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
    return out or "0"


def new_event_id() -> str:
    return f"{_ID_PREFIX}-{_base36(next(_id_counter))}"


def reset_event_ids() -> None:
    """A new prefix and counter: at import, and in a forked child, which would otherwise send the
    ids its parent and its sibling workers send (the collector would drop its events as duplicates)."""
    global _ID_PREFIX, _id_counter
    _ID_PREFIX = uuid.uuid4().hex
    _id_counter = itertools.count(1)


reset_event_ids()


_second_cache: tuple[int, str] = (-1, "")


def iso_timestamp(seconds: float) -> str:
    """UTC ``YYYY-MM-DDTHH:MM:SS.mmmZ`` for a Unix time; the per-second prefix is reused."""
    global _second_cache
    millis = int(seconds * 1000)
    whole, ms = divmod(millis, 1000)
    cached_second, prefix = _second_cache
    if cached_second != whole:
        prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))
        _second_cache = (whole, prefix)
    return f"{prefix}.{ms:03d}Z"


def resource_name_of(params: Mapping[str, Any] | None) -> str | None:
    """Tool name, resource URI or prompt name of a request's params."""
    if not params:
        return None
    name = params.get("name")
    if name is None:
        name = params.get("uri")
    return truncate(name, NAME_LENGTH) if isinstance(name, str) else None


def parameters_of(params: Mapping[str, Any] | None) -> Any:
    """Request params as recorded: without ``_meta`` (transport plumbing, not arguments)."""
    if params is None:
        return None
    if "_meta" not in params:
        return params
    return {key: value for key, value in params.items() if key != "_meta"}


def error_data_of(error: object) -> dict[str, Any]:
    """Error data for something raised: class name as type, message and traceback."""
    if isinstance(error, BaseException):
        message = str(error) or type(error).__name__
        data: dict[str, Any] = {"message": message, "type": type(error).__name__}
        try:
            stack = "".join(traceback.format_exception(type(error), error, error.__traceback__))
            if stack:
                data["stack"] = stack
        except Exception:
            pass
        return data
    if isinstance(error, Mapping) and isinstance(error.get("message"), str):
        out: dict[str, Any] = {"message": error["message"]}
        code = error.get("code", error.get("type"))
        if isinstance(code, str | int) and not isinstance(code, bool):
            out["type"] = str(code)
        if isinstance(error.get("stack"), str):
            out["stack"] = error["stack"]
        return out
    return {"message": error if isinstance(error, str) else str(error)}


def error_data_of_result(result: Mapping[str, Any]) -> dict[str, Any]:
    """Error data for a result with ``isError: true``: its text content is the message."""
    content = result.get("content")
    texts = [
        item["text"]
        for item in (content if isinstance(content, list) else [])
        if isinstance(item, Mapping) and isinstance(item.get("text"), str)
    ]
    return {"message": "\n".join(texts) or "Tool returned isError: true", "type": "ToolResultError"}


def new_event(
    project_id: str,
    session_id: str | None,
    client: NameVersion | None,
    server: NameVersion | None,
    event_type: str,
    started_at: float,
) -> Event:
    """A new event with id, timestamp, session, client/server and SDK fields filled in."""
    event: Event = {
        "id": new_event_id(),
        "projectId": project_id,
        "eventType": event_type,
        "timestamp": iso_timestamp(started_at),
        "sdkLanguage": SDK_LANGUAGE,
        "sdkVersion": SDK_VERSION,
    }
    if session_id is not None:
        event["sessionId"] = session_id
    else:
        event["stateless"] = True
    if client is not None:
        event["clientName"] = truncate(client.name, NAME_LENGTH)
        if client.version:
            event["clientVersion"] = truncate(client.version, NAME_LENGTH)
    if server is not None:
        event["serverName"] = truncate(server.name, NAME_LENGTH)
        if server.version:
            event["serverVersion"] = truncate(server.version, NAME_LENGTH)
    return event


def with_identity(event: Event, identity: Any) -> Event:
    """Copies an identity (:class:`~mcpsight.UserIdentity`) onto an event."""
    if identity is None:
        return event
    event["identifyActorGivenId"] = identity.user_id
    if identity.user_name is not None:
        event["identifyActorName"] = identity.user_name
    if identity.user_data is not None:
        event["identifyActorData"] = identity.user_data
    return event
