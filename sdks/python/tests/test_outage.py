"""A collector outage: while delivery backs off, full batches are formed, gzipped and held oldest
first, counted toward max_queue_bytes at their gzipped size; past the bound the oldest are dropped
and reported; on recovery the held batches go out in order with their ids. Against a real HTTP
server that answers 503 or drops every connection. The delivery's clock is a manual one, so a
backoff ends when the test says so: no test depends on how fast time passes."""

from __future__ import annotations

import os
from typing import Any

from mcpsight.delivery import Delivery
from mcpsight.redact import to_json
from mcpsight.tracked_call import ReadyEvent
from support.collector import wait_for
from support.delivery import ManualClock, event, make_delivery
from support.logs import ListLogger
from support.sink import Received, running_sink


def random_words() -> str:
    return " ".join(os.urandom(4).hex() for _ in range(150))


def json_bytes(items: list[ReadyEvent]) -> int:
    return sum(len(to_json(item.event)) for item in items)


def submit_all(delivery: Delivery, items: list[ReadyEvent], batch_events: int) -> int:
    """Submits ``items`` in chunks, each time until no full batch is left to form; returns the
    most bytes held meanwhile."""
    peak = 0
    for start in range(0, len(items), 50):
        for item in items[start : start + 50]:
            delivery.submit(item)
            peak = max(peak, delivery.stats().queued_bytes)
        delivery.flush(0)  # a nudge: the threads look at what arrived (flush(0) waits for nothing)
        wait_for(lambda: delivery.stats().queued < batch_events or None, "the delivery to take the events in")
        peak = max(peak, delivery.stats().queued_bytes)
    return peak


def test_while_backing_off_full_batches_are_gzipped_and_held_then_sent_oldest_first() -> None:
    clock = ManualClock()
    with running_sink() as sink:
        first: list[bool] = []

        def answer(received: Received) -> Any:
            if not first:
                first.append(True)
                return 503, {"retry-after": "30"}, {"error": {"code": "overloaded"}}
            return 200, {}, {"accepted": len(received.ids), "rejected": []}

        sink.answer = answer
        log = ListLogger()
        delivery = make_delivery(sink.url, log, batch_events=100, concurrency=1, clock=clock)
        items = [event(parameters={"n": n, "text": "the quarterly figures " * 10}) for n in range(501)]
        delivery.submit(items[0])
        wait_for(lambda: delivery.stats().queued_bytes or None, "the first event to be prepared")
        clock.advance(1)  # its flush tick is due
        delivery.flush(0)
        wait_for(lambda: log.matching("(HTTP 503); retrying in 30.0 s") or None, "the 503")
        # The collector asked for 30 s; the clock stands still: nothing may be sent meanwhile.
        submit_all(delivery, items[1:], 100)
        wait_for(lambda: delivery.stats().queued == 0 or None, "the last batch to be held")
        stats = delivery.stats()
        assert stats.in_flight == 501 and stats.dropped == 0
        assert stats.queued_bytes < json_bytes(items) / 3  # held gzipped
        assert sink.attempts == 1

        clock.advance(30)
        assert delivery.flush(30)
        stats = delivery.stats()
        delivery.shutdown(1)
    refused, *delivered = sink.received
    assert refused.ids == [items[0].event["id"]]
    assert [len(batch.ids) for batch in delivered] == [1, 100, 100, 100, 100, 100]
    assert [i for batch in delivered for i in batch.ids] == [item.event["id"] for item in items]
    assert stats.sent == 501 and stats.dropped == 0 and stats.retried_batches == 1
    assert stats.queued_bytes == 0 and stats.in_flight == 0


def test_held_batches_count_at_their_gzipped_size_so_an_outage_keeps_more_than_their_json() -> None:
    clock = ManualClock()
    with running_sink() as sink:
        sink.down = True
        budget = 300_000
        delivery = make_delivery(
            sink.url,
            ListLogger(),
            max_queue_size=10_000,
            max_queue_bytes=budget,
            batch_events=100,
            concurrency=1,
            clock=clock,
        )
        items = [event(parameters={"n": n, "text": "x" * 1000}) for n in range(2000)]
        assert json_bytes(items) > 5 * budget
        peak = submit_all(delivery, items, 100)
        wait_for(lambda: delivery.stats().queued == 0 or None, "the last batch to be held")
        stats = delivery.stats()
        assert peak <= budget
        assert stats.dropped == 0 and stats.in_flight == 2000 and stats.sent == 0
        assert sink.received == [] and sink.attempts >= 1

        sink.down = False
        clock.advance(60)
        assert delivery.flush(30)
        stats = delivery.stats()
        delivery.shutdown(1)
    assert sorted(e["id"] for e in sink.events()) == sorted(item.event["id"] for item in items)
    assert stats.sent == 2000 and stats.dropped == 0 and stats.queued_bytes == 0


def test_past_the_byte_bound_the_oldest_are_dropped_and_reported_and_the_newest_kept() -> None:
    clock = ManualClock()
    log = ListLogger()
    with running_sink() as sink:
        sink.down = True
        # Random words: gzip shrinks them little, so the bound is reached.
        items = [event(parameters={"n": n, "text": random_words()}) for n in range(60)]
        size = len(to_json(items[0].event))
        budget = 10 * size + size // 2
        delivery = make_delivery(
            sink.url, log, max_queue_bytes=budget, batch_events=4, concurrency=1, clock=clock
        )
        peak = submit_all(delivery, items, 4)
        stats = delivery.stats()
        assert peak <= budget
        assert stats.dropped >= 30

        sink.down = False
        clock.advance(60)
        assert delivery.flush(30)
        delivery.shutdown(1)
    delivered = [e["id"] for e in sink.events()]
    reported = sum(batch.body.get("droppedEvents", 0) for batch in sink.received)
    assert 0 < len(delivered) < 30
    # The oldest went first: what arrived is the newest events, in order.
    assert delivered == [item.event["id"] for item in items[-len(delivered) :]]
    assert len(delivered) + reported == len(items)


def test_an_outage_then_recovery_delivers_every_event_once() -> None:
    clock = ManualClock()
    with running_sink() as sink:
        sink.down = True
        delivery = make_delivery(sink.url, ListLogger(), max_queue_size=10_000, batch_events=100, clock=clock)
        items = [event(parameters={"n": n}) for n in range(1000)]
        submit_all(delivery, items, 100)
        # Failed again and again: each retry, once the backoff is over, meets the outage.
        for _ in range(3):
            attempts = sink.attempts
            clock.advance(10)
            delivery.flush(0)
            wait_for(lambda a=attempts: sink.attempts > a or None, "a retry")
        assert delivery.stats().retried_batches >= 2 and sink.received == []

        sink.down = False
        clock.advance(10)
        assert delivery.flush(30)
        stats = delivery.stats()
        delivery.shutdown(1)
    ids = [e["id"] for e in sink.events()]
    assert len(ids) == len(set(ids)) and set(ids) == {item.event["id"] for item in items}
    assert stats.sent == 1000 and stats.dropped == 0 and stats.in_flight == 0
