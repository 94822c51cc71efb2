"""mcpsight's own few daemon threads for the user's sync callbacks (identify), apart from the event
loop's worker-thread pool, which the host's sync tools use too (mcp 2.x runs them there): a slow
identify never delays a tool. A callback that hangs past its timeout keeps its thread, but there
are never more than :data:`SIZE`; being daemon threads, they never hold up the process's exit. A
call still waiting for a thread when its caller gives up is never run.
"""

from __future__ import annotations

import asyncio
import contextvars
import sys
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

import anyio

SIZE = 4
"""Most sync callbacks running at once in the process."""


class _Call:
    __slots__ = ("context", "error", "fn", "notify", "result")

    def __init__(self, fn: Callable[[], Any], notify: Callable[[], object]) -> None:
        self.fn = fn
        self.notify = notify
        self.context = contextvars.copy_context()  # the request's, as on the event loop
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = self.context.run(self.fn)
        except BaseException as error:  # raised again in the caller
            self.error = error
        try:
            self.notify()
        except Exception:
            pass  # the caller's event loop has ended


class CallbackThreads:
    """Up to ``size`` threads, started as calls need them, taking calls in order."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._reset()

    def _reset(self) -> None:
        self._cond = threading.Condition()
        self._waiting: deque[_Call] = deque()
        self._threads = 0
        self._idle = 0
        """Threads waiting for a call and not yet woken for one."""

    async def run(self, fn: Callable[[], Any]) -> Any:
        """``fn()`` on one of the threads, in the current context. When the caller is cancelled
        (its timeout), the call is given up: not run if it had not started."""
        done = anyio.Event()
        call = _Call(fn, _from_thread(done.set))
        self._submit(call)
        try:
            await done.wait()
        except BaseException:
            self._withdraw(call)
            raise
        if call.error is not None:
            raise call.error
        return call.result

    def after_fork_in_child(self) -> None:
        """A forked child has none of its parent's threads, nor its calls."""
        self._reset()

    def _submit(self, call: _Call) -> None:
        with self._cond:
            self._waiting.append(call)
            if self._idle > 0:
                self._idle -= 1
                self._cond.notify()
            elif self._threads < self.size:
                self._threads += 1
                thread = threading.Thread(
                    target=self._work, name=f"mcpsight-callback-{self._threads}", daemon=True
                )
                try:
                    thread.start()
                except RuntimeError:
                    self._threads -= 1  # at interpreter shutdown: the call waits out its timeout

    def _withdraw(self, call: _Call) -> None:
        with self._cond:
            try:
                self._waiting.remove(call)
            except ValueError:
                pass  # already running: it keeps its thread until it returns

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._waiting:
                    self._idle += 1
                    self._cond.wait()
                call = self._waiting.popleft()
            call.run()


def _from_thread(fn: Callable[[], None]) -> Callable[[], object]:
    """``fn``, callable from any thread, run on the current event loop (asyncio, or trio)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    if loop is not None:
        return lambda: loop.call_soon_threadsafe(fn)
    trio: Any = sys.modules.get("trio")
    if trio is None:
        raise RuntimeError("no event loop is running")
    token = trio.lowlevel.current_trio_token()
    return lambda: token.run_sync_soon(fn)


CALLBACK_THREADS = CallbackThreads(SIZE)
