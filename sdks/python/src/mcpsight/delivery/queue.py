"""Prepared events waiting to be batched: their compact JSON, per project, oldest first."""

from __future__ import annotations

from collections import deque


class EventQueue:
    """Events per project, each with its position (the order the delivery took it from its inbox
    in), so the oldest is known across projects.

    Not thread-safe: the delivery holds its lock around every call.
    """

    def __init__(self) -> None:
        self._projects: dict[str, deque[tuple[int, bytes]]] = {}
        self._project_bytes: dict[str, int] = {}
        self.events = 0
        self.bytes = 0
        """Bytes of the events' JSON (what ``max_queue_bytes`` counts)."""

    def __len__(self) -> int:
        return self.events

    def push(self, project: str, data: bytes, position: int) -> None:
        """Appends an event; positions increase from one push to the next."""
        queue = self._projects.get(project)
        if queue is None:
            queue = self._projects[project] = deque()
            self._project_bytes[project] = 0
        queue.append((position, data))
        # A batch's JSON counts the comma between events too.
        self._project_bytes[project] += len(data) + 1
        self.events += 1
        self.bytes += len(data)

    def oldest_project(self) -> str:
        projects = self._projects
        if len(projects) == 1:
            return next(iter(projects))
        return min(projects, key=lambda project: projects[project][0][0])

    def first_position(self) -> int | None:
        """The position of the oldest event, None when there is none."""
        if not self.events:
            return None
        return self._projects[self.oldest_project()][0][0]

    def has_full_batch(self, max_events: int, max_bytes: int) -> bool:
        """Whether the oldest project has a batch's worth of events (by count or by bytes)."""
        if not self.events:
            return False
        project = self.oldest_project()
        return len(self._projects[project]) >= max_events or self._project_bytes[project] >= max_bytes

    def take(self, max_events: int, max_bytes: int) -> tuple[str, list[bytes], int, int]:
        """The oldest project's first events, at most ``max_events`` and ``max_bytes`` of JSON
        (one event at least), the bytes of their JSON, and the position of the first (the lowest:
        it is the oldest of all)."""
        project = self.oldest_project()
        queue = self._projects[project]
        first = queue[0][0]
        events: list[bytes] = []
        size = 0
        while queue and len(events) < max_events:
            data = queue[0][1]
            if events and size + len(events) + len(data) > max_bytes:
                break
            queue.popleft()
            events.append(data)
            size += len(data)
        self._forget(project, len(events), size)
        return project, events, size, first

    def drop_oldest(self) -> bool:
        """Drops the oldest event of all; False when there is none."""
        if not self.events:
            return False
        project = self.oldest_project()
        data = self._projects[project].popleft()[1]
        self._forget(project, 1, len(data))
        return True

    def clear(self) -> int:
        """Empties the queue; returns how many events it held."""
        count = self.events
        self._projects.clear()
        self._project_bytes.clear()
        self.events = self.bytes = 0
        return count

    def _forget(self, project: str, count: int, size: int) -> None:
        self._project_bytes[project] -= size + count
        self.events -= count
        self.bytes -= size
        if not self._projects[project]:
            del self._projects[project]
            del self._project_bytes[project]
