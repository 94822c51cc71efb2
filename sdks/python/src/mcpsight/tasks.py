"""Work the SDK does beside a request, on the server's own event loop: identify, the event
callbacks. Started as detached tasks in the request's context (so context variables such as the
MCP SDK's ``get_access_token()`` see that request), never awaited by the request itself.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import sys
from collections.abc import Callable, Coroutine
from typing import Any

import anyio

from .callback_threads import CALLBACK_THREADS

_running: set[asyncio.Task[Any]] = set()  # strong references: the loop keeps only weak ones


def spawn(make: Callable[[], Coroutine[Any, Any, None]]) -> bool:
    """Starts ``make()`` as a task on the running event loop (asyncio, or trio), in a copy of the
    current context. Returns False when no event loop is running here."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    if loop is not None:
        task = loop.create_task(make())
        _running.add(task)
        task.add_done_callback(_running.discard)
        return True
    trio = sys.modules.get("trio")
    if trio is not None:
        try:
            trio.lowlevel.current_trio_token()
        except RuntimeError:
            return False
        trio.lowlevel.spawn_system_task(make, context=contextvars.copy_context())
        return True
    return False


class CallFailed(Exception):
    """A user callback raised, or ran past its timeout; ``problem`` says which, in words."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def _is_async(fn: Callable[..., Any]) -> bool:
    while isinstance(fn, functools.partial):
        fn = fn.func
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(getattr(fn, "__call__", None))  # noqa: B004


def describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


async def call_user(fn: Callable[..., Any], *args: Any, timeout: float, in_thread: bool) -> Any:
    """Calls a user callback, sync or async, bounded by ``timeout`` seconds.

    An async callback runs on the server's event loop; a sync one runs on one of mcpsight's own
    threads when ``in_thread`` (so a slow one never holds up the loop, nor the loop's worker
    threads the host's sync tools run on), else directly. Raises :class:`CallFailed` on a raise or
    a timeout, which includes the time spent waiting for a free thread.
    """
    try:
        with anyio.fail_after(timeout):
            if _is_async(fn):
                return await fn(*args)
            if in_thread:
                result = await CALLBACK_THREADS.run(functools.partial(fn, *args))
            else:
                result = fn(*args)
            if inspect.isawaitable(result):
                result = await result
            return result
    except TimeoutError:
        raise CallFailed(f"timed out after {timeout:g} s") from None
    except CallFailed:
        raise
    except Exception as error:
        raise CallFailed(f"raised ({describe(error)})") from error
