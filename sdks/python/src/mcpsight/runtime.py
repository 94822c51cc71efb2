"""Process-wide state: one delivery per collector URL (however many servers are tracked), flushed
at interpreter exit with a deadline. No signal handlers: call :func:`shutdown` from your own.
"""

from __future__ import annotations

import atexit
import os
import threading
import time

import anyio.to_thread

from .callback_threads import CALLBACK_THREADS
from .delivery import Delivery, Stats
from .event import reset_event_ids
from .log import SdkLogger
from .options import ResolvedOptions
from .otel import end_all_sessions

AT_EXIT_TIMEOUT = 5.0
"""Longest time the interpreter's exit waits for events still being delivered, in seconds."""

_deliveries: dict[str, Delivery] = {}
_lock = threading.Lock()
_exit_hook_installed = False


def delivery_for(options: ResolvedOptions, log: SdkLogger) -> Delivery:
    """The delivery for the options' collector; the first tracker's queue settings win."""
    global _exit_hook_installed
    with _lock:
        delivery = _deliveries.get(options.api_base_url)
        if delivery is None:
            delivery = Delivery(
                options.api_base_url,
                log=SdkLogger(
                    debug=options.debug, logger=options.logger, scope=f"delivery:{options.api_base_url}"
                ),
                max_queue_size=options.max_queue_size,
                max_queue_bytes=options.max_queue_bytes,
                flush_interval=options.flush_interval,
            )
            _deliveries[options.api_base_url] = delivery
        if not _exit_hook_installed:
            _exit_hook_installed = True
            atexit.register(_at_exit)
        return delivery


def _at_exit() -> None:
    if any(delivery.has_pending() for delivery in list(_deliveries.values())):
        shutdown(AT_EXIT_TIMEOUT)


def _after_fork_in_child() -> None:
    global _lock
    _lock = threading.Lock()
    reset_event_ids()
    CALLBACK_THREADS.after_fork_in_child()
    for delivery in _deliveries.values():
        delivery.after_fork_in_child()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def flush(timeout: float = 10.0) -> bool:
    """Sends every event recorded so far; returns when they are delivered (True) or after
    ``timeout`` seconds (False). Never raises.

    From async code prefer ``await mcpsight.aflush()``: this call blocks the calling thread, so on
    an event loop it cannot wait for events whose identify is still running on that loop.

    Example:
        >>> import mcpsight
        >>> mcpsight.flush(timeout=2.0)
        True
    """
    deadline = time.monotonic() + timeout
    try:
        done = True
        for delivery in list(_deliveries.values()):
            done = delivery.flush(max(0.0, deadline - time.monotonic())) and done
        return done
    except Exception:
        return False


def shutdown(timeout: float = 5.0) -> None:
    """Flushes with a deadline (default 5 s), then stops the delivery threads; events recorded
    afterwards are dropped. Never raises. The interpreter's exit does this too (atexit).

    Example:
        >>> import mcpsight, signal, sys
        >>> signal.signal(signal.SIGTERM, lambda *_: (mcpsight.shutdown(), sys.exit(0)))  # doctest: +SKIP
    """
    deadline = time.monotonic() + timeout
    end_all_sessions()
    with _lock:
        deliveries = list(_deliveries.values())
        _deliveries.clear()
    for delivery in deliveries:
        try:
            delivery.shutdown(max(0.0, deadline - time.monotonic()))
        except Exception:
            pass


async def aflush(timeout: float = 10.0) -> bool:
    """:func:`flush` for async code: waits without blocking the event loop."""
    return await anyio.to_thread.run_sync(flush, timeout, abandon_on_cancel=True)


async def ashutdown(timeout: float = 5.0) -> None:
    """:func:`shutdown` for async code: waits without blocking the event loop."""
    await anyio.to_thread.run_sync(shutdown, timeout, abandon_on_cancel=True)


def stats() -> dict[str, Stats]:
    """What each collector's delivery did so far (sent, dropped, rejected, queued…), by URL."""
    return {url: delivery.stats() for url, delivery in list(_deliveries.items())}
