"""Turns what a request left behind into the bytes of one event: build, identity, privacy, size.

Runs on a delivery thread. A user redaction function that is a coroutine function runs on that
thread's own event loop, never the server's.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Callable
from typing import Any, Protocol

from ..log import SdkLogger
from ..pending import Pending
from ..redact import Event, fit_event_size, redact_event, sanitize_event
from ..sanitize import RedactionError


class Item(Protocol):
    """Something the delivery turns into an event: a tracked call or a ready event."""

    @property
    def redact(self) -> Any: ...

    @property
    def log(self) -> SdkLogger: ...

    def pending_identity(self) -> Pending[Any] | None: ...

    def build(self) -> Event: ...


_loops = threading.local()
# An async redaction that never settles must not hold its thread (and flush) forever.
_ASYNC_REDACTION_TIMEOUT = 5.0


def _sync_redaction(fn: Callable[[str], Any]) -> Callable[[str], Any]:
    def call(text: str) -> Any:
        result = fn(text)
        if inspect.isawaitable(result):
            loop: asyncio.AbstractEventLoop | None = getattr(_loops, "loop", None)
            if loop is None or loop.is_closed():
                loop = _loops.loop = asyncio.new_event_loop()
            return loop.run_until_complete(asyncio.wait_for(_awaited(result), _ASYNC_REDACTION_TIMEOUT))
        return result

    return call


async def _awaited(awaitable: Any) -> Any:
    return await awaitable


def prepare(item: Item) -> tuple[str, bytes] | None:
    """The event's project and JSON, or None when it must be dropped (the reason is logged)."""
    log = item.log
    try:
        event = item.build()
    except Exception as error:
        log.warn_once(
            "pipeline:build", f"could not record an event ({type(error).__name__}: {error}); dropped."
        )
        return None
    redact = item.redact
    try:
        safe = redact_event(event, _sync_redaction(redact)) if redact is not None else sanitize_event(event)
    except RedactionError as error:
        log.warn_once(
            "pipeline:redaction",
            f"redact_sensitive_information {error}; the event was dropped, not sent unredacted.",
        )
        return None
    except Exception as error:
        log.warn_once(
            "pipeline:sanitize", f"could not redact an event ({type(error).__name__}: {error}); dropped."
        )
        return None
    try:
        _fitted, data = fit_event_size(safe)
    except Exception as error:
        log.warn_once(
            "pipeline:json", f"could not serialize an event ({type(error).__name__}: {error}); dropped."
        )
        return None
    return str(event.get("projectId", "")), data
