"""A count the request path increases without taking a lock, numbering what it counts."""

from __future__ import annotations

import itertools


class Tally:
    """Counts :meth:`add` calls from any thread and numbers them in the order they happened:
    ``next()`` on an ``itertools.count`` is one atomic step, where ``n += 1`` is not. :meth:`read`
    advances the same count, so it subtracts its own reads; callers serialise :meth:`read` (the
    delivery holds its lock).

    Example:
        >>> tally = Tally()
        >>> tally.add(), tally.add(), tally.read()
        (0, 1, (2, 2))
    """

    __slots__ = ("_count", "_reads")

    def __init__(self) -> None:
        self._count = itertools.count()
        self._reads = 0

    def add(self) -> int:
        """Counts one; returns its number."""
        return next(self._count)

    def read(self) -> tuple[int, int]:
        """A number above every one :meth:`add` returned so far, and how many it returned."""
        bound = next(self._count)
        value = bound - self._reads
        self._reads += 1
        return bound, value
