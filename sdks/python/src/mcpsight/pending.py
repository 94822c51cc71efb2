"""A value that is not known yet (an identity while identify runs), readable from any thread.

Unlike an asyncio future it belongs to no event loop: identify resolves it on the server's loop,
and the delivery worker thread reads it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Pending(Generic[T]):
    """Resolved once; callbacks added before or after run exactly once, never raising.

    Example:
        >>> p: Pending[int] = Pending()
        >>> p.add_done_callback(lambda value: None)
        >>> p.resolve(1); p.value
        1
    """

    __slots__ = ("_callbacks", "_done", "_lock", "value")

    def __init__(self) -> None:
        self._done = False
        self.value: T | None = None
        self._callbacks: list[Callable[[T | None], Any]] = []
        self._lock = threading.Lock()

    @property
    def done(self) -> bool:
        return self._done

    def resolve(self, value: T | None) -> None:
        with self._lock:
            if self._done:
                return
            self.value = value
            self._done = True
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            _call(callback, value)

    def add_done_callback(self, callback: Callable[[T | None], Any]) -> None:
        with self._lock:
            if not self._done:
                self._callbacks.append(callback)
                return
        _call(callback, self.value)


def _call(callback: Callable[[Any], Any], value: Any) -> None:
    try:
        callback(value)
    except Exception:
        pass  # callbacks are the SDK's own and catch their failures; this is the last guard
