"""The delivery: a bounded in-memory queue and a few daemon threads that turn recorded requests into
events, batch them per project and POST them, gzipped, to the collector, with retries.

Nothing here runs on the server's event loop or raises into it: ``submit`` appends to a deque and
at most wakes a thread. Memory is bounded by events (``max_queue_size``) and bytes of event JSON
(``max_queue_bytes``), batches waiting to be retried included; when full the oldest events are
dropped, counted, and reported to the collector in the next batch's ``droppedEvents``.
"""

from __future__ import annotations

import gzip
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from ..constants import BATCH_EVENTS
from ..log import SdkLogger
from .backoff import backoff_delay
from .post import PostOutcome, Target
from .prepare import Item, prepare

BATCH_BYTES = 1024 * 1024
"""Most bytes of event JSON in one batch, before gzip."""
_PREPARE_CHUNK = 256
_IDLE_WAKE = 1.0
"""An idle thread still looks for work this often (a safety net; wake-ups come from _enqueue)."""


@dataclass
class Batch:
    """Events of one project, serialized once, compressed once, re-sent as they are on retry."""

    project_id: str
    events: list[bytes]
    dropped_events: int
    json_bytes: int
    body: bytes | None = None
    attempts: int = 0


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


@dataclass
class Stats:
    """What the delivery did since the process started."""

    queued: int = 0
    in_flight: int = 0
    sent: int = 0
    dropped: int = 0
    """Events dropped: queue full, a failing pipeline stage, a rejected batch, or shutdown."""
    rejected: int = 0
    """Events the collector refused one by one (a subset of ``dropped``)."""
    failed_batches: int = 0
    retried_batches: int = 0
    rejections_by_code: dict[str, int] = field(default_factory=dict)


class Delivery:
    """Queue → batches → POSTs for one collector URL. Thread-safe; never raises to its callers."""

    def __init__(
        self,
        endpoint: str,
        *,
        log: SdkLogger,
        max_queue_size: int,
        max_queue_bytes: int,
        flush_interval: float,
        concurrency: int = 2,
        request_timeout: float = 10.0,
    ) -> None:
        self.endpoint = endpoint
        self.log = log
        self.max_queue_size = max(1, max_queue_size)
        self.max_queue_bytes = max(1, max_queue_bytes)
        self.flush_interval = flush_interval
        self.concurrency = max(1, concurrency)
        self.target = Target(endpoint, request_timeout)
        self._init_state()

    def _init_state(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._inbox: deque[Item] = deque()
        # Per project, its queued events' JSON with a sequence number: the oldest head is the oldest event.
        self._queues: dict[str, deque[tuple[int, bytes]]] = {}
        self._sequence = 0
        self._project_bytes: dict[str, int] = {}
        self._queued_events = 0
        self._queued_bytes = 0
        self._retries: deque[Batch] = deque()
        self._held_events = 0  # in batches being sent or awaiting retry
        self._held_bytes = 0
        self._in_flight = 0
        self._preparing = False
        self._dropped_since_report = 0
        self._logged_full = False
        self._failures = 0
        self._paused_until = 0.0
        self._tick_due: float | None = None
        self._flushing = 0
        self._stopped = False
        self._accepted = 0
        self._settled = 0
        self._threads: list[threading.Thread] = []
        self._wake_pending = False
        self._stats = Stats()

    # --- called from the server's threads -------------------------------------------------------

    def reserve(self) -> None:
        """Counts an item that will be submitted later (after loop-side callbacks), for flush."""
        with self._cond:
            self._accepted += 1

    def submit(self, item: Item, reserved: bool = False) -> None:
        """Accepts an item; it is prepared once its identity (if pending) is known."""
        try:
            if not reserved:
                with self._cond:
                    self._accepted += 1
            if self._stopped:
                self._settle_dropped(1, locked=False)
                return
            pending = item.pending_identity()
            if pending is not None:
                pending.add_done_callback(lambda _value: self._enqueue(item))
            else:
                self._enqueue(item)
        except Exception as error:
            self.log.error(f"could not queue an event: {error}")

    def _enqueue(self, item: Item) -> None:
        if self._stopped:
            self._settle_dropped(1, locked=False)
            return
        if len(self._inbox) + self._queued_events + self._held_events >= self.max_queue_size:
            with self._cond:
                if not self._make_room():
                    # Everything held is in flight: the newest event is the one to go.
                    self._drop_counted(1)
                    return
        self._inbox.append(item)
        if not self._threads:
            self._start_threads()
        if not self._wake_pending:
            self._wake_pending = True
            with self._cond:
                self._cond.notify()

    def flush(self, timeout: float = 10.0) -> bool:
        """Waits until everything accepted before the call is sent or dropped, or ``timeout``
        seconds pass. Returns whether it all settled."""
        deadline = time.monotonic() + max(0.0, timeout)
        with self._cond:
            goal = self._accepted
            self._flushing += 1
            self._cond.notify_all()
            try:
                while self._settled < goal and not self._stopped:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._cond.wait(remaining)
                return self._settled >= goal
            finally:
                self._flushing -= 1

    def shutdown(self, timeout: float = 5.0) -> None:
        """Flushes with a deadline, then stops the threads; later events are dropped."""
        self.flush(timeout)
        with self._cond:
            if self._stopped:
                return
            self._stopped = True
            abandoned = len(self._inbox) + self._queued_events + sum(len(b.events) for b in self._retries)
            self._inbox.clear()
            self._queues.clear()
            self._project_bytes.clear()
            self._queued_events = self._queued_bytes = 0
            for batch in self._retries:
                self._held_events -= len(batch.events)
                self._held_bytes -= batch.json_bytes
            self._retries.clear()
            if abandoned:
                self._settle_dropped(abandoned, locked=True)
                self.log.debug(f"shut down with {abandoned} undelivered events")
            self._cond.notify_all()
        self.target.close()

    def stats(self) -> Stats:
        with self._cond:
            stats = Stats(
                **{**self._stats.__dict__, "rejections_by_code": dict(self._stats.rejections_by_code)}
            )
            stats.queued = len(self._inbox) + self._queued_events
            stats.in_flight = self._held_events
            return stats

    def has_pending(self) -> bool:
        return self._settled < self._accepted

    def after_fork_in_child(self) -> None:
        """A forked child starts empty: the parent still holds (and sends) what was queued."""
        self._init_state()

    # --- the threads ---------------------------------------------------------------------------

    def _start_threads(self) -> None:
        with self._cond:
            if self._threads or self._stopped:
                return
            for number in range(self.concurrency):
                thread = threading.Thread(target=self._run, name=f"mcpsight-delivery-{number}", daemon=True)
                self._threads.append(thread)
                try:
                    thread.start()
                except RuntimeError:
                    # At interpreter shutdown no thread can start; flush() then waits in vain,
                    # bounded by its deadline.
                    self._threads.remove(thread)

    def _run(self) -> None:
        while True:
            with self._cond:
                job = self._next_job()
                while job is None:
                    if self._stopped:
                        return
                    # Cleared before looking again: an item appended after this look finds the
                    # flag clear and wakes a thread (see _enqueue), so no wake-up is lost.
                    self._wake_pending = False
                    job = self._next_job()
                    if job is None:
                        self._cond.wait(self._wait_time())
                        job = self._next_job()
            try:
                if isinstance(job, Batch):
                    self._send(job)
                else:
                    self._prepare(job)
            except Exception as error:  # the last guard: a thread must never die
                self.log.error(f"delivery failed: {type(error).__name__}: {error}")

    def _next_job(self) -> Batch | list[Item] | None:
        """Under the lock: a chunk of items to prepare, or a batch to send, or nothing yet."""
        if self._stopped:
            return None
        if self._inbox and not self._preparing:
            self._preparing = True
            return [self._inbox.popleft() for _ in range(min(len(self._inbox), _PREPARE_CHUNK))]
        if self._in_flight >= self.concurrency:
            return None
        now = time.monotonic()
        if self._paused_until > now:
            return None
        if self._retries:
            batch = self._retries.popleft()
            self._stats.retried_batches += 1
            self._in_flight += 1
            return batch
        if not self._queued_events:
            return None
        partial = self._flushing > 0 or (self._tick_due is not None and now >= self._tick_due)
        project = self._oldest_project()
        queue = self._queues[project]
        if not partial and len(queue) < BATCH_EVENTS and self._project_bytes[project] < BATCH_BYTES:
            return None
        batch = self._take_batch(project)
        self._in_flight += 1
        if not self._queued_events:
            self._tick_due = None
        elif partial and self._flushing == 0:
            self._tick_due = now + self.flush_interval
        return batch

    def _wait_time(self) -> float:
        now = time.monotonic()
        waits = []
        if self._paused_until > now:
            waits.append(self._paused_until - now)
        if self._tick_due is not None:
            waits.append(max(0.001, self._tick_due - now))
        if self._flushing and (self._queued_events or self._retries):
            waits.append(0.05)
        return min(waits) if waits else _IDLE_WAKE

    def _oldest_project(self) -> str:
        queues = self._queues
        return (
            min(queues, key=lambda project: queues[project][0][0]) if len(queues) > 1 else next(iter(queues))
        )

    def _take_batch(self, project: str) -> Batch:
        queue = self._queues[project]
        events: list[bytes] = []
        size = 0  # bytes of the events' JSON (what the queue bound counts)
        while queue and len(events) < BATCH_EVENTS:
            data = queue[0][1]
            if events and size + len(events) + len(data) > BATCH_BYTES:
                break
            queue.popleft()
            events.append(data)
            size += len(data)
        self._project_bytes[project] -= size + len(events)
        self._forget_if_empty(project)
        self._queued_events -= len(events)
        self._queued_bytes -= size
        self._held_events += len(events)
        self._held_bytes += size
        dropped, self._dropped_since_report = self._dropped_since_report, 0
        if dropped:
            self._logged_full = False
            self.log.debug(f"reporting {dropped} dropped events to the collector")
        return Batch(project, events, dropped, size)

    def _forget_if_empty(self, project: str) -> None:
        if not self._queues.get(project):
            self._queues.pop(project, None)
            self._project_bytes.pop(project, None)

    def _prepare(self, items: list[Item]) -> None:
        prepared: list[tuple[str, bytes]] = []
        failed = 0
        for item in items:
            result = prepare(item)
            if result is None:
                failed += 1
            else:
                prepared.append(result)
        with self._cond:
            self._preparing = False
            if failed:
                self._settle_dropped(failed, locked=True)
            for project, data in prepared:
                self._append(project, data)
            self._cond.notify_all()

    def _append(self, project: str, data: bytes) -> None:
        if self._stopped:
            self._settle_dropped(1, locked=True)
            return
        while (
            len(self._inbox) + self._queued_events + self._held_events >= self.max_queue_size
            or self._queued_bytes + self._held_bytes + len(data) > self.max_queue_bytes
        ):
            if not self._make_room(include_inbox=False):
                self._drop_counted(1)  # the waiting ones are newer: this one is the oldest left
                return
        if self._queued_events == 0:
            self._tick_due = time.monotonic() + self.flush_interval
        self._sequence += 1
        self._queues.setdefault(project, deque()).append((self._sequence, data))
        self._project_bytes[project] = self._project_bytes.get(project, 0) + len(data) + 1
        self._queued_events += 1
        self._queued_bytes += len(data)

    def _make_room(self, include_inbox: bool = True) -> bool:
        """Under the lock: drops the oldest events: a batch awaiting retry first, then the queue,
        then (``include_inbox``) events not prepared yet."""
        if self._retries:
            batch = self._retries.popleft()
            self._held_events -= len(batch.events)
            self._held_bytes -= batch.json_bytes
            self._dropped_since_report += batch.dropped_events
            self._stats.failed_batches += 1
            self._drop_counted(len(batch.events))
            return True
        if self._queues:
            project = self._oldest_project()
            queue = self._queues[project]
            data = queue.popleft()[1]
            self._project_bytes[project] -= len(data) + 1
            self._forget_if_empty(project)
            self._queued_events -= 1
            self._queued_bytes -= len(data)
            self._drop_counted(1)
            return True
        if include_inbox and self._inbox:
            try:
                self._inbox.popleft()
            except IndexError:
                return False
            self._drop_counted(1)
            return True
        return False

    def _drop_counted(self, count: int) -> None:
        self._settle_dropped(count, locked=True)
        self._dropped_since_report += count
        if not self._logged_full:
            self._logged_full = True
            self.log.debug(
                f"event queue full ({self.max_queue_size} events / {self.max_queue_bytes} bytes); "
                "dropping the oldest events until the collector catches up"
            )

    def _settle_dropped(self, count: int, *, locked: bool) -> None:
        if not locked:
            with self._cond:
                self._settle_dropped(count, locked=True)
            return
        self._stats.dropped += count
        self._settled += count
        self._cond.notify_all()

    def _send(self, batch: Batch) -> None:
        if batch.body is None:
            extra = f',"droppedEvents":{batch.dropped_events}' if batch.dropped_events else ""
            json = b'{"events":[' + b",".join(batch.events) + b"]" + extra.encode() + b"}"
            batch.body = gzip.compress(json, compresslevel=1, mtime=0)
        batch.attempts += 1
        outcome = self.target.post(batch.project_id, batch.body)
        with self._cond:
            self._in_flight -= 1
            self._settle(batch, outcome)
            self._cond.notify_all()

    def _settle(self, batch: Batch, outcome: PostOutcome) -> None:
        count = len(batch.events)
        decided = verdict(count, outcome)
        if decided.retry and not self._stopped:
            self._failures += 1
            delay = (
                outcome.retry_after if outcome.retry_after is not None else backoff_delay(self._failures - 1)
            )
            self._paused_until = max(self._paused_until, time.monotonic() + delay)
            self._retries.append(batch)
            message = (
                f"could not deliver {count} events to {self.target.url} ({outcome.reason}); "
                f"retrying in {delay:.1f} s"
            )
            if self._failures == 1:
                self.log.warn(message)
            else:
                self.log.debug(message)
            return
        self._held_events -= count
        self._held_bytes -= batch.json_bytes
        self._settled += count
        if outcome.kind == "sent":
            if self._failures:
                self.log.debug("collector reachable again")
            self._failures = 0
            self._stats.sent += len(decided.delivered)
            if decided.dropped:
                self._count_rejections(outcome, len(decided.dropped))
            return
        self._stats.dropped += count
        self._stats.failed_batches += 1
        self._dropped_since_report += batch.dropped_events
        self._failures = 0  # the collector answered: it is up, backing off would not help
        if outcome.kind == "not_found":
            self.log.warn_once(
                f"delivery:404:{batch.project_id}",
                f"the collector at {self.endpoint} does not know project {batch.project_id!r} "
                f"({outcome.reason}); "
                f"{count} events dropped. Create the project (mcpsight project create <name>) or check the "
                "project id passed to track().",
            )
        elif outcome.kind == "rejected":
            self.log.warn_once(
                f"delivery:{outcome.status}",
                f"the collector rejected {count} events with HTTP {outcome.status} ({outcome.reason}); "
                "dropped (a retry would fail the same way).",
            )
        else:
            self.log.debug(f"dropping {count} events after shutdown ({outcome.reason})")

    def _count_rejections(self, outcome: PostOutcome, refused: int) -> None:
        self._stats.rejected += refused
        self._stats.dropped += refused
        seen: set[str] = set()
        for rejection in outcome.rejected:
            counts = self._stats.rejections_by_code
            counts[rejection.code] = counts.get(rejection.code, 0) + 1
            if rejection.code not in seen:
                seen.add(rejection.code)
                self.log.warn_once(
                    f"delivery:rejected:{rejection.code}",
                    f"the collector rejected events ({rejection.code}: {rejection.reason}); "
                    "they were dropped.",
                )


def describe_stats(stats: Stats) -> dict[str, Any]:
    return dict(stats.__dict__)
