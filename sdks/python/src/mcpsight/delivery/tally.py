"""A count the request path increases without taking a lock."""

from __future__ import annotations

import itertools


class Tally:
    """Counts :meth:`add` calls from any thread: ``next()`` on an ``itertools.count`` is one atomic
    step, where ``n += 1`` is not. :meth:`read` advances the same count, so it subtracts its own
    reads; callers serialise :meth:`read` (the delivery holds its lock).

    Example:
        >>> tally = Tally()
        >>> tally.add(); tally.add(); tally.read()
        2
    """

    __slots__ = ("_count", "_reads")

    def __init__(self) -> None:
        self._count = itertools.count()
        self._reads = 0

    def add(self) -> None:
        next(self._count)

    def read(self) -> int:
        value = next(self._count) - self._reads
        self._reads += 1
        return value
