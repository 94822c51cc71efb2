"""A batch: one project's events, serialized once and compressed once, re-sent as it is on retry;
and what an answer from the collector means for its events."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from .post import PostOutcome

_GZIP = 31  # zlib's wbits for a gzip container


@dataclass(eq=False)
class Batch:
    project_id: str
    events: list[bytes] | None
    """The events' JSON; released once the batch is compressed."""
    count: int
    dropped_events: int
    """Queue-full drops this batch reports to the collector (handed back if the batch is lost)."""
    sequence: int
    """Order taken from the queue: batches wait, and are dropped, oldest first."""
    size: int
    """What the batch counts toward ``max_queue_bytes``: its events' JSON, then its gzipped body."""
    first: int
    """The position of its first event: no event of a batch taken later has a lower one."""
    body: bytes | None = None
    attempts: int = 0
    released: bool = False
    """Sent, dropped or given up on: no longer held."""

    def compressed(self) -> bytes:
        """The gzipped body, made once: ``{"events":[…],"droppedEvents":n}``. Not under the lock."""
        if self.body is None:
            compressor = zlib.compressobj(1, zlib.DEFLATED, _GZIP)
            extra = f',"droppedEvents":{self.dropped_events}' if self.dropped_events else ""
            parts = (b'{"events":[', b",".join(self.events or ()), f"]{extra}}}".encode())
            self.body = b"".join([compressor.compress(part) for part in parts] + [compressor.flush()])
            self.events = None
        return self.body


@dataclass(frozen=True)
class Verdict:
    """What happens to a batch's events after an answer: delivered and dropped indexes, or a retry."""

    delivered: tuple[int, ...]
    dropped: tuple[int, ...]
    retry: bool


def verdict(count: int, outcome: PostOutcome) -> Verdict:
    """2xx: delivered, but for the indexes ``rejected`` lists (dropped for good: a retry would fail
    the same way); 408/429/5xx/network: retried; any other answer: the whole batch dropped."""
    if outcome.kind == "retry":
        return Verdict((), (), True)
    if outcome.kind != "sent":
        return Verdict((), tuple(range(count)), False)
    refused = {r.index for r in outcome.rejected if 0 <= r.index < count}
    return Verdict(tuple(i for i in range(count) if i not in refused), tuple(sorted(refused)), False)
