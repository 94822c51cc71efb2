"""Privacy for a whole event: the structural pass (sanitize.py), then the user's
``redact_sensitive_information`` on every recorded string, the structural pass again, and the
protocol's size limit. If the user's function fails the event is dropped, never sent unredacted.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .constants import (
    ERROR_MESSAGE_LENGTH,
    ERROR_STACK_LENGTH,
    EVENT_BYTES,
    NAME_LENGTH,
    USER_INTENT_LENGTH,
)
from .sanitize import Redaction, RedactionError, sanitize, sanitize_string, truncate

Event = dict[str, Any]

CONTENT_FIELDS = ("parameters", "response", "properties", "identifyActorData")
# Content replaced, in this order, while an event is over the size limit.
_SHRINK_ORDER = ("response", "parameters", "properties", "identifyActorData")
_OMITTED_TEXT = f"[omitted: the event was over {EVENT_BYTES} bytes]"
_OMITTED_OBJECT = {"omitted": f"over the {EVENT_BYTES}-byte event limit"}


def sanitize_event(event: Event, redact: Redaction | None = None) -> Event:
    """The privacy pass on a whole event (a new dict; the input is not modified): the structural
    pass, and with ``redact`` the user's function on every recorded string, then the structural
    pass again, in one walk of each field.

    Example:
        >>> sanitize_event({"parameters": {"token": "abc"}})["parameters"]
        {'token': '[REDACTED]'}
    """
    out = dict(event)
    for field in CONTENT_FIELDS:
        if field in out and out[field] is not None:
            out[field] = sanitize(out[field], redact=redact)
    intent = out.get("userIntent")
    if isinstance(intent, str):
        intent = sanitize_string(intent, USER_INTENT_LENGTH)
        out["userIntent"] = intent if redact is None else sanitize_string(redact(intent), USER_INTENT_LENGTH)
    error = out.get("error")
    if isinstance(error, dict):
        message = sanitize_string(str(error.get("message", "")), ERROR_MESSAGE_LENGTH)
        clean: dict[str, Any] = {
            "message": message if redact is None else sanitize_string(redact(message), ERROR_MESSAGE_LENGTH)
        }
        if isinstance(error.get("type"), str):
            clean["type"] = truncate(error["type"], NAME_LENGTH)
        if isinstance(error.get("stack"), str):
            stack = truncate(error["stack"], ERROR_STACK_LENGTH)
            clean["stack"] = stack if redact is None else truncate(redact(stack), ERROR_STACK_LENGTH)
        out["error"] = clean
    return out


def redact_event(event: Event, fn: Callable[[str], str]) -> Event:
    """The structural pass, ``fn`` on every recorded string, then the structural pass again.

    Raises :class:`RedactionError` when ``fn`` raises or returns something other than a string.
    """

    def checked(text: str) -> str:
        try:
            result = fn(text)
        except Exception as error:
            raise RedactionError(f"raised {type(error).__name__}: {error}") from error
        if not isinstance(result, str):
            raise RedactionError(f"returned {type(result).__name__} instead of a string")
        return result

    return sanitize_event(event, checked)


# Sanitized events are plain, acyclic JSON values: no circular check needed.
_ENCODER = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), allow_nan=False, check_circular=False, default=str
)
_ASCII_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False, check_circular=False, default=str)


def to_json(event: Event) -> bytes:
    """Compact UTF-8 JSON as JavaScript's ``JSON.stringify`` writes it (non-ASCII unescaped).

    A lone surrogate (possible in Python strings, never in JavaScript's output) falls back to
    ``\\uXXXX`` escapes, which is still valid JSON.
    """
    try:
        return _ENCODER.encode(event).encode("utf-8")
    except UnicodeEncodeError:
        return _ASCII_ENCODER.encode(event).encode()


def fit_event_size(event: Event) -> tuple[Event, bytes]:
    """The event and its JSON, with the bulkiest content replaced while it is over the byte limit."""
    data = to_json(event)
    if len(data) <= EVENT_BYTES:
        return event, data
    out = dict(event)
    for field in _SHRINK_ORDER:
        if field not in out:
            continue
        out[field] = dict(_OMITTED_OBJECT) if field in ("properties", "identifyActorData") else _OMITTED_TEXT
        data = to_json(out)
        if len(data) <= EVENT_BYTES:
            return out, data
    error = out.get("error")
    if isinstance(error, dict) and isinstance(error.get("stack"), str):
        out["error"] = {**error, "stack": truncate(error["stack"], 4096)}
        data = to_json(out)
    return out, data
