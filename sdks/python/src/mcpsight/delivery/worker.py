"""The delivery: a bounded in-memory queue and a few daemon threads that turn recorded requests into
events, batch them per project and POST them, gzipped, to the collector, with retries.

The request path only appends to a deque (one atomic step, no lock); it wakes a thread only when
one sleeps with nothing scheduled, or when a chunk of items has piled up. Otherwise the threads
prepare what arrived when they wake for the next flush tick, so a busy server pays for neither a
lock nor a thread switch per request.

A flush waits for what was accepted before it, not for as many events to settle: events settle in
another order than they arrive in (one parked while its identify runs, other projects' batches,
parallel sends). Items get a position as they are taken from the inbox, in order; the queue keeps
it and a batch remembers its first, so the lowest position not settled yet is read from the few
places that hold events, when a flush looks, at no cost per event. Items not in the inbox yet (one
parked for its identity, one reserved while event callbacks or identify run) hold a place in a
small set, which a flush waits to see emptied of those it began with.

Memory is bounded by events (``max_queue_size``) and bytes (``max_queue_bytes``): queued events
count by their JSON, batches in flight or waiting out a backoff by what they hold (their JSON, then
their gzipped body). While delivery backs off, full batches are still formed and gzipped, and wait
oldest first, so an outage keeps many times more events within the byte bound. When a bound is
reached the oldest are dropped (a waiting batch first, then queued events), counted, and reported
to the collector in the next batch's ``droppedEvents``.
"""

from __future__ import annotations

import bisect
import itertools
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..constants import BATCH_EVENTS
from ..log import SdkLogger
from .backoff import backoff_delay
from .batch import Batch, verdict
from .post import PostOutcome, Target
from .prepare import Item, prepare
from .queue import EventQueue

BATCH_BYTES = 1024 * 1024
"""Most bytes of event JSON in one batch, before gzip."""
PREPARE_CHUNK = 256
"""Items prepared per turn; this many waiting wake a thread before the next tick."""
_IDLE_WAKE = 1.0
"""A thread with nothing scheduled still looks for work this often (a safety net)."""
_FLUSH_POLL = 0.05


@dataclass
class Stats:
    """What the delivery did since the process started."""

    queued: int = 0
    """Events waiting to be batched."""
    in_flight: int = 0
    """Events in batches being sent or waiting to be retried."""
    queued_bytes: int = 0
    """What the events held count toward ``max_queue_bytes``: JSON, or gzip for waiting batches."""
    sent: int = 0
    dropped: int = 0
    """Events dropped: queue full, a failing pipeline stage, a rejected batch, or shutdown."""
    rejected: int = 0
    """Events the collector refused one by one (a subset of ``dropped``)."""
    failed_batches: int = 0
    retried_batches: int = 0
    rejections_by_code: dict[str, int] = field(default_factory=dict)


class _FlushWait:
    """A flush's account: the places it waits to see leave (items accepted before it, not in the
    inbox yet), then the position every item taken from the inbox before it stays below."""

    __slots__ = ("places", "target")

    def __init__(self, places: list[int]) -> None:
        self.places = places
        self.target: int | None = None


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
        batch_events: int = BATCH_EVENTS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.endpoint = endpoint
        self.log = log
        self.max_queue_size = max(1, max_queue_size)
        self.max_queue_bytes = max(1, max_queue_bytes)
        self.flush_interval = flush_interval
        self.concurrency = max(1, concurrency)
        self.batch_events = max(1, min(batch_events, BATCH_EVENTS))
        self.clock = clock
        self.target = Target(endpoint, request_timeout)
        self._places = itertools.count()  # reservations' numbers, unique for the process's life
        self._init_state()

    def _init_state(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._inbox: deque[Item] = deque()
        # Places of items accepted but not in the inbox: reserved, or parked for their identity.
        self._outside: set[int] = set()
        self._taken = 0  # items taken from the inbox so far: the next one's position
        self._preparing_from = 0  # the position of the first item being prepared
        self._queue = EventQueue()
        # Batches waiting out a backoff, oldest first: failed ones, and full ones formed meanwhile.
        self._waiting: list[Batch] = []
        self._held: deque[Batch] = deque()  # batches taken, not released yet: in the order taken
        self._batch_sequence = 0
        self._held_events = 0  # in batches being compressed, sent, or waiting
        self._held_bytes = 0
        self._in_flight = 0
        self._preparing = False
        self._dropped_since_report = 0
        self._logged_full = False
        self._failures = 0
        self._paused_until = 0.0
        self._tick_due: float | None = None
        self._flushes: list[_FlushWait] = []
        self._stopped = False
        self._threads: list[threading.Thread] = []
        self._idle = False  # a thread sleeps with nothing scheduled: new items must wake it
        self._wake_pending = False
        self._stats = Stats()

    # --- called from the server's threads -------------------------------------------------------

    def reserve(self) -> int:
        """Reserves the place of an item submitted later (after loop-side callbacks, or an
        identify event once identify ends): a flush from now on waits for it. Returns the place to
        :meth:`submit` the item in, or to :meth:`release`."""
        place = next(self._places)
        self._outside.add(place)
        return place

    def release(self, place: int) -> None:
        """Gives up a reserved place that will carry no item (nothing once its item was submitted)."""
        self._outside.discard(place)
        # A flush that began after the discard does not wait for the place: no need to wake it.
        if self._flushes:
            with self._cond:
                self._cond.notify_all()

    def submit(self, item: Item, place: int | None = None) -> None:
        """Accepts an item (in its reserved place, if any); it is prepared once its identity (if
        pending) is known."""
        try:
            pending = item.pending_identity()
            if pending is None:
                self._enqueue(item, place)
                return
            if place is None:
                place = next(self._places)
                self._outside.add(place)
            parked = place
            pending.add_done_callback(lambda _value: self._enqueue_identified(item, parked))
        except Exception as error:
            if place is not None:
                self.release(place)
            self.log.error(f"could not queue an event: {error}")

    def _enqueue_identified(self, item: Item, place: int) -> None:
        """An item parked in ``place`` while its identify ran: its identity is known now."""
        try:
            self._enqueue(item, place)
        except Exception as error:
            self.release(place)
            self.log.error(f"could not queue an event: {error}")

    def _enqueue(self, item: Item, place: int | None = None) -> None:
        # A place leaves the set after its item is in the inbox, or before it is counted as dropped
        # (which wakes a flush): a flush never misses it.
        if self._stopped:
            if place is not None:
                self._outside.discard(place)
            self._settle_dropped(1, locked=False)
            return
        inbox = self._inbox
        if self.backlog() >= self.max_queue_size:
            with self._cond:
                # Again under the lock: a thread may have taken the inbox to prepare meanwhile.
                if self.backlog() >= self.max_queue_size and not self._make_room():
                    # Everything held is in flight or being prepared: the newest event goes.
                    if place is not None:
                        self._outside.discard(place)
                    self._drop_counted(1)
                    return
        inbox.append(item)
        if place is not None:
            self._outside.discard(place)
        if not self._threads:
            self._start_threads()
        # A thread preparing looks at the inbox again when done; a sleeping one wakes for its tick.
        if not self._preparing and (self._idle or len(inbox) >= PREPARE_CHUNK) and not self._wake_pending:
            self._wake_pending = True
            with self._cond:
                self._cond.notify()

    def flush(self, timeout: float = 10.0) -> bool:
        """Waits until everything accepted before the call (reserved places included) is sent or
        dropped, or ``timeout`` seconds pass. Returns whether it all settled."""
        deadline = time.monotonic() + max(0.0, timeout)
        with self._cond:
            wait = _FlushWait([])
            # Listed before the places are read: release() wakes it for any place it reads.
            self._flushes.append(wait)
            wait.places = list(self._outside.copy())
            self._cond.notify_all()
            try:
                while not self._flushed(wait):
                    remaining = deadline - time.monotonic()
                    if remaining <= 0 or self._stopped:
                        return False
                    self._cond.wait(remaining)
                return True
            finally:
                self._flushes.remove(wait)

    def _flushed(self, wait: _FlushWait) -> bool:
        """Under the lock: whether everything accepted before the flush began has settled."""
        if wait.places:
            outside = self._outside
            wait.places = [place for place in wait.places if place in outside]
            if wait.places:
                return False
        if wait.target is None:
            # Items leave their place once in the inbox: those accepted before the flush are now
            # taken from it, or will be, before this position.
            wait.target = self._taken + len(self._inbox)
        return self._unsettled_from() >= wait.target

    def _unsettled_from(self) -> int:
        """Under the lock: the lowest position not settled yet (items still in the inbox will be
        given one from ``_taken`` on). Queued events and batches hold theirs oldest first."""
        low = self._preparing_from if self._preparing else self._taken
        first = self._queue.first_position()
        if first is not None and first < low:
            low = first
        held = self._held
        if held and held[0].first < low:
            low = held[0].first
        return low

    def shutdown(self, timeout: float = 5.0) -> None:
        """Flushes with a deadline, then stops the threads; later events are dropped."""
        self.flush(timeout)
        with self._cond:
            if self._stopped:
                return
            self._stopped = True
            unprepared = len(self._inbox)
            self._inbox.clear()
            self._taken += unprepared
            abandoned = unprepared + self._queue.clear()
            for batch in self._waiting:
                abandoned += batch.count
                self._release(batch)
            self._waiting.clear()
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
            stats.queued = len(self._inbox) + self._queue.events
            stats.in_flight = self._held_events
            stats.queued_bytes = self._queue.bytes + self._held_bytes
            return stats

    def backlog(self) -> int:
        """Events held, read without the lock (a moment's approximation)."""
        return len(self._inbox) + self._queue.events + self._held_events

    def has_pending(self) -> bool:
        with self._cond:
            return bool(self._outside) or self._unsettled_from() < self._taken + len(self._inbox)

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
                while True:
                    if self._stopped:
                        return
                    self._wake_pending = False
                    job = self._next_job()
                    if job is not None:
                        break
                    wait = self._wait_time()
                    # The flag is set before the inbox is looked at again: an item appended after
                    # this look sees it and wakes a thread (see _enqueue), so none is missed.
                    self._idle = wait is None
                    if self._idle and self._inbox and not self._preparing:
                        continue
                    self._cond.wait(_IDLE_WAKE if wait is None else wait)
                    self._idle = False
            try:
                kind, payload = job
                if kind == "prepare":
                    self._prepare(payload)
                elif kind == "park":
                    self._park(payload)
                else:
                    self._send(payload)
            except Exception as error:  # the last guard: a thread must never die
                self.log.error(f"delivery failed: {type(error).__name__}: {error}")

    def _next_job(self) -> tuple[str, Any] | None:
        """Under the lock: items to prepare, a batch to park or to send, or nothing yet."""
        inbox = self._inbox
        if inbox and not self._preparing:
            self._preparing = True
            items = [inbox.popleft() for _ in range(min(len(inbox), PREPARE_CHUNK))]
            self._preparing_from = self._taken
            self._taken += len(items)
            return "prepare", items
        now = self.clock()
        if self._paused_until > now:
            if self._queue.has_full_batch(self.batch_events, BATCH_BYTES):
                return "park", self._take_batch()
            return None
        if self._in_flight >= self.concurrency:
            return None
        if self._waiting:
            batch = self._waiting.pop(0)
            if batch.attempts:
                self._stats.retried_batches += 1
            self._in_flight += 1
            return "send", batch
        if not self._queue.events:
            return None
        partial = bool(self._flushes) or (self._tick_due is not None and now >= self._tick_due)
        if not partial and not self._queue.has_full_batch(self.batch_events, BATCH_BYTES):
            return None
        batch = self._take_batch()
        self._in_flight += 1
        if not self._queue.events:
            self._tick_due = None
        elif partial and not self._flushes:
            self._tick_due = now + self.flush_interval
        return "send", batch

    def _wait_time(self) -> float | None:
        """Seconds until something is due (None: nothing is; new items or sends wake a thread)."""
        now = self.clock()
        if self._paused_until > now:
            wait = self._paused_until - now
        elif self._tick_due is not None and self._in_flight < self.concurrency:
            wait = max(0.001, self._tick_due - now)
        else:
            wait = None
        if self._flushes and (self._queue.events or self._waiting):
            wait = _FLUSH_POLL if wait is None else min(wait, _FLUSH_POLL)
        return wait

    def _take_batch(self) -> Batch:
        project, events, size, first = self._queue.take(self.batch_events, BATCH_BYTES)
        self._held_events += len(events)
        self._held_bytes += size
        dropped, self._dropped_since_report = self._dropped_since_report, 0
        if dropped:
            self._logged_full = False
            self.log.debug(f"reporting {dropped} dropped events to the collector")
        self._batch_sequence += 1
        batch = Batch(project, events, len(events), dropped, self._batch_sequence, size, first)
        self._held.append(batch)
        return batch

    def _prepare(self, items: list[Item]) -> None:
        prepared = [prepare(item) for item in items]
        with self._cond:
            self._preparing = False
            position = self._preparing_from
            failed = 0
            for result in prepared:
                if result is None:
                    failed += 1
                else:
                    project, data = result
                    self._append(project, data, position)
                position += 1
            if failed:
                self._settle_dropped(failed, locked=True)
            self._cond.notify_all()

    def _append(self, project: str, data: bytes, position: int) -> None:
        if self._stopped:
            self._settle_dropped(1, locked=True)
            return
        while (
            self.backlog() >= self.max_queue_size
            or self._queue.bytes + self._held_bytes + len(data) > self.max_queue_bytes
        ):
            if not self._make_room(include_inbox=False):
                self._drop_counted(1)  # the waiting ones are newer: this one is the oldest left
                return
        if not self._queue.events:
            self._tick_due = self.clock() + self.flush_interval
        self._queue.push(project, data, position)

    def _make_room(self, include_inbox: bool = True) -> bool:
        """Under the lock: drops the oldest events: a waiting batch first, then the queue, then
        (``include_inbox``) items not prepared yet."""
        if self._waiting:
            batch = self._waiting.pop(0)
            self._release(batch)
            self._dropped_since_report += batch.dropped_events
            self._stats.failed_batches += 1
            self._drop_counted(batch.count)
            return True
        if self._queue.drop_oldest():
            self._drop_counted(1)
            return True
        if include_inbox and self._inbox:
            try:
                self._inbox.popleft()
            except IndexError:
                return False
            self._taken += 1  # its position, settled at once
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
        self._cond.notify_all()

    def _release(self, batch: Batch) -> None:
        """A held batch leaves the bounds: sent, dropped or given up on."""
        self._held_events -= batch.count
        self._held_bytes -= batch.size
        batch.released = True
        held = self._held
        while held and held[0].released:
            held.popleft()

    def _wait_for_retry(self, batch: Batch) -> None:
        """Under the lock: the batch waits among the others in the order it was taken, now counted
        by its gzipped size."""
        body = batch.body
        if body is not None and batch.size != len(body):
            self._held_bytes += len(body) - batch.size
            batch.size = len(body)
        bisect.insort(self._waiting, batch, key=lambda waiting: waiting.sequence)

    def _park(self, batch: Batch) -> None:
        """While backing off: compresses a full batch (outside the lock) and lets it wait."""
        batch.compressed()
        with self._cond:
            if self._stopped:
                self._release(batch)
                self._settle_dropped(batch.count, locked=True)
                return
            self._wait_for_retry(batch)
            self._cond.notify_all()

    def _send(self, batch: Batch) -> None:
        batch.attempts += 1
        outcome = self.target.post(batch.project_id, batch.compressed())
        with self._cond:
            self._in_flight -= 1
            self._settle(batch, outcome)
            self._cond.notify_all()

    def _settle(self, batch: Batch, outcome: PostOutcome) -> None:
        count = batch.count
        decided = verdict(count, outcome)
        if decided.retry and not self._stopped:
            self._failures += 1
            delay = (
                outcome.retry_after if outcome.retry_after is not None else backoff_delay(self._failures - 1)
            )
            self._paused_until = max(self._paused_until, self.clock() + delay)
            self._wait_for_retry(batch)
            message = (
                f"could not deliver {count} events to {self.target.url} ({outcome.reason}); "
                f"retrying in {delay:.1f} s"
            )
            if self._failures == 1:
                self.log.warn(message)
            else:
                self.log.debug(message)
            return
        self._release(batch)
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
        if outcome.kind == "not_found" and outcome.reason.startswith("not_found:"):
            # No such route: the URL is not a collector's base URL (a path after it, or another server).
            self.log.warn_once(
                "delivery:404:route",
                f"{self.endpoint} answered HTTP 404 to POST /v1/batch: it is no mcpsight collector's "
                f"base URL; {count} events dropped. Set api_base_url (or MCPSIGHT_URL) to the URL the "
                "collector prints when it starts, such as http://127.0.0.1:4747, without a path.",
            )
        elif outcome.kind == "not_found":
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
