"""A small bounded mapping with expiry, for what the SDK remembers per credential or per client."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, TypeVar

V = TypeVar("V")


class ExpiringLru(Generic[V]):
    """At most ``max_entries`` values, each for ``ttl`` seconds; the least recently set goes first.

    Example:
        >>> cache: ExpiringLru[int] = ExpiringLru(ttl=60, max_entries=2)
        >>> cache.set("a", 1, now=0.0); cache.get("a", now=30.0)
        1
    """

    def __init__(self, ttl: float, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, now: float) -> V | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] <= now:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)  # most recently used last
            return entry[1]

    def has(self, key: str, now: float) -> bool:
        with self._lock:
            entry = self._entries.get(key)
            return entry is not None and entry[0] > now

    def set(self, key: str, value: V, now: float) -> None:
        with self._lock:
            self._entries.pop(key, None)
            while len(self._entries) >= self.max_entries:
                self._entries.popitem(last=False)
            self._entries[key] = (now + self.ttl, value)

    def __len__(self) -> int:
        return len(self._entries)
