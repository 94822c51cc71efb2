"""Public types of the SDK. Structural on purpose: nothing here imports the MCP SDK."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeAlias


@dataclass
class UserIdentity:
    """Who is behind a session, as returned by the ``identify`` option.

    A dict with the keys ``user_id``, ``user_name`` and ``user_data`` (or the camelCase
    ``userId``, ``userName``, ``userData``) is accepted too.

    Example:
        >>> UserIdentity(user_id="u_42", user_name="Ada", user_data={"plan": "team"})
        UserIdentity(user_id='u_42', user_name='Ada', user_data={'plan': 'team'})
    """

    user_id: str
    user_name: str | None = None
    user_data: dict[str, Any] | None = None


class Logger(Protocol):
    """Where the SDK writes diagnostics instead of stderr; a :class:`logging.Logger` fits."""

    def warning(self, msg: str, /) -> object: ...


IdentifyFunction: TypeAlias = Callable[[Any, Any], Any]
"""``identify(request, context)``, sync or async: returns a :class:`UserIdentity`, a dict or None."""

RedactFunction: TypeAlias = Callable[[str], Any]
"""``redact_sensitive_information(text)``, sync or async: returns the text to record."""

EventTagsFunction: TypeAlias = Callable[[Any, Any], Any]
"""``event_tags(request, context)``, sync or async: returns a dict of strings, or None."""

EventPropertiesFunction: TypeAlias = Callable[[Any, Any], Any]
"""``event_properties(request, context)``, sync or async: returns a JSON dict, or None."""


@dataclass
class IdentifyCacheOptions:
    """Memoise ``identify`` per credential for ``ttl`` seconds.

    The cache key is a SHA-256 fingerprint of the request's bearer token, ``Authorization``,
    ``X-API-Key`` or ``Api-Key`` header, or of what ``key(request, context)`` returns (for
    credentials elsewhere, such as an API key argument). Requests without a key are not cached;
    failures are never cached.
    """

    ttl: float
    key: Callable[[Any, Any], str | None] | None = None


@dataclass
class CustomEventData:
    """What :func:`mcpsight.publish_custom_event` records (a dict with these keys works too)."""

    resource_name: str | None = None
    parameters: Any = None
    response: Any = None
    message: str | None = None
    """Recorded as the event's intent."""
    duration: float | None = None
    """In milliseconds."""
    is_error: bool | None = None
    error: Any = None
    tags: dict[str, str] | None = None
    properties: dict[str, Any] | None = field(default=None)
