"""Delivery: batches, gzip, headers, retries with the same ids, the collector's answers (D1), the
bounded queue, flush and shutdown. Against a real HTTP server answering as scripted (support/sink)
and, for an unknown project, the real collector."""

from __future__ import annotations

import gzip
import socket
import threading
from collections.abc import Callable
from typing import Any

import pytest

import mcpsight
from mcpsight import UserIdentity
from mcpsight._version import SDK_VERSION
from mcpsight.delivery import Delivery
from mcpsight.pending import Pending
from support.collector import Collector, wait_for
from support.delivery import event, make_delivery
from support.logs import ListLogger
from support.mcp_line import build, memory_client
from support.sink import Received, Sink, running_sink


def test_batches_are_gzipped_json_per_project_with_the_protocol_headers() -> None:
    log = ListLogger()
    with running_sink() as sink:
        delivery = make_delivery(sink.url, log)
        for project in ("proj_a", "proj_b", "proj_a"):
            delivery.submit(event(project, parameters={"q": project}))
        assert delivery.flush(10)
        delivery.shutdown(1)
    per_project: dict[str, int] = {}
    for batch in sink.received:
        project = batch.headers["x-mcpsight-project"]
        per_project[project] = per_project.get(project, 0) + len(batch.ids)
    assert per_project == {"proj_a": 2, "proj_b": 1}
    for batch in sink.received:
        assert batch.headers["content-encoding"] == "gzip"
        assert batch.headers["content-type"] == "application/json"
        assert batch.headers["x-mcpsight-protocol"] == "1"
        assert batch.headers["x-mcpsight-sdk"] == f"python/{SDK_VERSION}"
        assert {e["projectId"] for e in batch.body["events"]} == {batch.headers["x-mcpsight-project"]}
        assert "droppedEvents" not in batch.body
    assert log.warnings == []


def test_a_retry_resends_the_same_ids_after_503_and_retry_after() -> None:
    log = ListLogger()
    with running_sink() as sink:
        answers = iter([(503, {"retry-after": "0"}, {"error": {"code": "unavailable"}})])
        sink.answer = lambda received: next(
            answers, (200, {}, {"accepted": len(received.ids), "rejected": []})
        )
        # A long interval: the events leave on flush(); a slow machine may still split them.
        delivery = make_delivery(sink.url, log, flush_interval=60)
        for number in range(5):
            delivery.submit(event(parameters={"n": number}))
        assert delivery.flush(10)
        stats = delivery.stats()
        delivery.shutdown(1)
    refused, *later = sink.received
    assert [batch.ids for batch in later].count(refused.ids) == 1  # resent once, same ids
    later_ids = [event_id for batch in later for event_id in batch.ids]
    assert len(later_ids) == len(set(later_ids)) == 5
    assert stats.sent == 5 and stats.retried_batches == 1 and stats.dropped == 0
    assert len(log.matching(f"could not deliver {len(refused.ids)} event")) == 1


def test_an_unknown_project_is_dropped_with_one_warning_naming_the_fix() -> None:
    log = ListLogger()
    with running_sink() as sink:
        sink.answer = lambda received: (
            404,
            {},
            {"error": {"code": "project_not_found", "message": "no project"}},
        )
        delivery = make_delivery(sink.url, log)
        for _ in range(2):
            delivery.submit(event("proj_missing"))
            assert delivery.flush(10)
        stats = delivery.stats()
        delivery.shutdown(1)
    assert len(sink.received) == 2  # no retry
    assert stats.dropped == 2 and stats.failed_batches == 2
    [warning] = log.warnings
    assert "proj_missing" in warning and "mcpsight project create" in warning


@pytest.mark.parametrize("status", [400, 413, 415, 422])
def test_a_refused_batch_is_dropped_not_retried(status: int) -> None:
    log = ListLogger()
    with running_sink() as sink:
        sink.answer = lambda received: (status, {}, {"error": {"code": "invalid_batch", "message": "bad"}})
        delivery = make_delivery(sink.url, log)
        delivery.submit(event())
        assert delivery.flush(10)
        delivery.shutdown(1)
    assert len(sink.received) == 1
    assert len(log.matching(f"HTTP {status}")) == 1


def test_per_event_rejections_are_counted_once_per_index_and_logged_once_per_code() -> None:
    log = ListLogger()
    problems = {
        "bad": [("invalid_event", "timestamp", "not a date"), ("invalid_event", "eventType", "too long")],
        "old": [("too_old", "timestamp", "older than retention")],
    }

    def answer(received: Received) -> Any:
        rejected = [
            {"index": index, "code": code, "field": field, "reason": reason}
            for index, sent in enumerate(received.body["events"])
            for code, field, reason in problems.get(sent["parameters"]["kind"], [])
        ]
        return (
            200,
            {},
            {"accepted": len(received.ids) - len({r["index"] for r in rejected}), "rejected": rejected},
        )

    with running_sink() as sink:
        sink.answer = answer
        delivery = make_delivery(sink.url, log)
        for kind in ("bad", "ok", "old", "ok"):
            delivery.submit(event(parameters={"kind": kind}))
        assert delivery.flush(10)
        stats = delivery.stats()
        delivery.shutdown(1)
    assert stats.sent == 2 and stats.rejected == 2 and stats.dropped == 2
    assert stats.rejections_by_code == {"invalid_event": 2, "too_old": 1}
    assert len(log.matching("invalid_event: timestamp: not a date")) == 1
    assert len(log.matching("too_old")) == 1


@pytest.mark.parametrize(("bound", "value"), [("max_queue_size", 10), ("max_queue_bytes", 4000)])
def test_a_full_queue_drops_the_oldest_and_reports_them_in_the_next_batch(bound: str, value: int) -> None:
    log = ListLogger()
    with running_sink() as sink:
        delivery = make_delivery(sink.url, log, flush_interval=60, **{bound: value})
        submitted = [event(parameters={"n": number, "padding": "word " * 60}) for number in range(100)]
        for item in submitted:
            delivery.submit(item)
        # Nothing is sent before flush (the interval is a minute): wait until all are prepared.
        wait_for(lambda: delivery.stats().queued <= 10 or None, "the queue to settle")
        assert delivery.flush(10)
        stats = delivery.stats()
        delivery.shutdown(1)
    delivered = sink.events()
    reported = sum(batch.body.get("droppedEvents", 0) for batch in sink.received)
    assert 0 < len(delivered) <= 10 and stats.dropped == reported == 100 - len(delivered)
    # The newest events are the ones kept, in order within each batch. The very newest may be the
    # one dropped instead: when it arrives while every held event is being prepared, there is
    # nothing older to drop. An event prepared after the flush took a batch goes in a batch of its
    # own, and two batches sent at once may reach the sink in either order.
    for batch in sink.received:
        numbers = [e["parameters"]["n"] for e in batch.body["events"]]
        assert numbers == sorted(numbers)
    kept = sorted(e["parameters"]["n"] for e in delivered)
    assert kept == list(range(kept[0], kept[0] + len(kept)))
    assert kept[-1] in (len(submitted) - 1, len(submitted) - 2)


def test_flush_gives_up_at_its_deadline_and_shutdown_drops_the_rest() -> None:
    log = ListLogger()
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{unused.getsockname()[1]}"  # nothing listens there
        delivery = make_delivery(url, log)
        delivery.submit(event())
        assert delivery.flush(0.3) is False
        delivery.shutdown(0.1)
        delivery.submit(event())  # after shutdown: dropped, never raises
    # Shutdown returns at its deadline; a retry already in flight then (the thread may not have run
    # yet on a loaded machine) ends on its own, and is dropped, not retried or sent.
    wait_for(lambda: delivery.stats().in_flight == 0 or None, "the last attempt to end")
    stats = delivery.stats()
    assert stats.sent == 0 and stats.dropped == 2
    assert len(log.matching("could not deliver 1 events")) == 1


def test_flush_waits_for_an_event_parked_for_its_identity_though_later_ones_settle_first() -> None:
    # Flush waits for the events accepted before it, not for as many to settle: an event parked
    # while its identify runs is overtaken by one accepted after the flush, which is delivered at
    # once; the flush still waits for the parked one, and for the identify event, whose place was
    # reserved when identify started.
    with running_sink() as sink:
        delivery = make_delivery(sink.url, ListLogger())
        identity: Pending[UserIdentity] = Pending()
        slot = delivery.reserve()
        parked = event(parameters={"n": "parked"})
        parked.identity = identity
        delivery.submit(parked)
        seen_at_return: list[list[str]] = []

        def flush() -> None:
            assert delivery.flush(30)
            seen_at_return.append([e["parameters"]["n"] for e in sink.events()])

        flusher = threading.Thread(target=flush)
        flusher.start()
        wait_for(flush_started(delivery), "the flush to count what it waits for")
        delivery.submit(event(parameters={"n": "later"}))
        wait_for(lambda: delivery.stats().sent == 1 or None, "the later event to be sent")
        # The identify event is delivered too before the parked event learns its identity: two
        # events have settled since the flush began, as many as it waits for.
        delivery.submit(event(parameters={"n": "identify"}), slot)
        wait_for(lambda: delivery.stats().sent == 2 or None, "the identify event to be sent")
        identity.resolve(UserIdentity(user_id="u_parked"))
        flusher.join()
        delivery.shutdown(1)
    assert seen_at_return == [["later", "identify", "parked"]]


def test_flush_waits_for_a_batch_in_flight_though_a_later_one_settles_first() -> None:
    # Two batches in flight at once: the one sent after the flush began is answered first.
    with running_sink() as sink:
        answer = sink.answer
        hold = threading.Event()

        def slow_first(received: Received) -> Any:
            if any(e["parameters"]["n"] == "first" for e in received.body["events"]):
                hold.wait(30)
            return answer(received)

        sink.answer = slow_first
        delivery = make_delivery(sink.url, ListLogger())
        delivery.submit(event(parameters={"n": "first"}))
        wait_for(lambda: sink.attempts == 1 or None, "the first batch to be posted")
        sent_at_return: list[int] = []

        def flush() -> None:
            assert delivery.flush(30)
            sent_at_return.append(delivery.stats().sent)

        flusher = threading.Thread(target=flush)
        flusher.start()
        wait_for(flush_started(delivery), "the flush to count what it waits for")
        delivery.submit(event(parameters={"n": "later"}))
        wait_for(lambda: delivery.stats().sent == 1 or None, "the later batch to be answered")
        hold.set()
        flusher.join()
        delivery.shutdown(1)
    assert sent_at_return == [2]


def flush_started(delivery: Delivery) -> Callable[[], bool]:
    def check() -> bool:
        with delivery._cond:
            return bool(delivery._flushes)

    return check


def test_events_submitted_from_many_threads_at_once_are_each_counted_and_delivered() -> None:
    # The request path takes no lock: each thread only appends and counts.
    with running_sink() as sink:
        delivery = make_delivery(sink.url, ListLogger(), max_queue_size=10_000)
        items = [[event(parameters={"t": t, "n": n}) for n in range(500)] for t in range(4)]
        threads = [
            threading.Thread(target=lambda chunk=chunk: [delivery.submit(i) for i in chunk])
            for chunk in items
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert delivery.flush(30)
        stats = delivery.stats()
        delivery.shutdown(1)
    assert stats.sent == 2000 and stats.dropped == 0
    assert sorted(e["id"] for e in sink.events()) == sorted(i.event["id"] for chunk in items for i in chunk)


def test_a_delivery_asleep_with_nothing_to_do_wakes_for_a_new_event_and_sends_it_on_its_tick() -> None:
    with running_sink() as sink:
        delivery = make_delivery(sink.url, ListLogger(), flush_interval=0.05)
        for number in range(3):
            delivery.submit(event(parameters={"n": number}))
            # No flush: the tick after the event arrived sends it.
            wait_for(lambda n=number: len(sink.events()) == n + 1 or None, f"event {number} to be sent")
        delivery.shutdown(1)
    assert [e["parameters"]["n"] for e in sink.events()] == [0, 1, 2]


def test_the_real_collector_refuses_an_unknown_project_and_the_server_is_untouched(
    collector: Collector,
) -> None:
    import anyio

    log = ListLogger()

    async def run() -> str:
        server = build(
            "high",
            "unknown-project",
            lambda s: mcpsight.track(
                s, "proj_doesnotexist", mcpsight.Options(api_base_url=collector.url, logger=log)
            ),
        )
        async with memory_client(server, "unknown-project-client") as session:
            result = await session.call_tool("search", {"query": "x"})
            return str(result.content[0].text)

    assert anyio.run(run).startswith("found x")
    mcpsight.flush(10)
    wait_for(lambda: log.matching("does not know project 'proj_doesnotexist'") or None, "the 404 warning")
    assert len(log.matching("proj_doesnotexist")) == 1


def test_a_base_url_with_a_path_is_one_warning_about_the_url_not_the_project(collector: Collector) -> None:
    import anyio

    log = ListLogger()

    async def run() -> None:
        server = build(
            "high",
            "base-url-path",
            lambda s: mcpsight.track(
                s, collector.project_id, mcpsight.Options(api_base_url=collector.url + "/sub", logger=log)
            ),
        )
        async with memory_client(server, "base-url-path-client") as session:
            for _ in range(2):
                await session.call_tool("search", {"query": "x"})

    anyio.run(run)
    mcpsight.flush(10)
    expected = f"{collector.url}/sub answered HTTP 404 to POST /v1/batch"
    wait_for(lambda: log.matching(expected) or None, "the 404 warning")
    assert len(log.matching("HTTP 404")) == 1
    assert "without a path" in log.matching(expected)[0]
    assert not log.matching("does not know project")


@pytest.mark.parametrize(
    ("options", "env", "source"),
    [
        ({"api_base_url": "not a url"}, None, "api_base_url"),
        ({"api_base_url": "ftp://127.0.0.1:4747"}, None, "api_base_url"),
        ({}, "127.0.0.1:4747", "MCPSIGHT_URL"),
    ],
)
def test_a_collector_url_that_is_no_url_leaves_the_server_untracked(
    options: dict[str, Any], env: str | None, source: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mcpsight.track import tracker_of

    monkeypatch.delenv("MCPCAT_API_URL", raising=False)
    if env is None:
        monkeypatch.delenv("MCPSIGHT_URL", raising=False)
    else:
        monkeypatch.setenv("MCPSIGHT_URL", env)
    log = ListLogger()
    server = build("high", "bad-url", lambda s: mcpsight.track(s, "proj_bad_url", {**options, "logger": log}))
    assert log.matching(f"track(): {source} must be the collector's http(s) URL")
    assert tracker_of(server) is None


def test_spaces_around_a_collector_url_from_the_environment_are_trimmed(
    collector: Collector, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mcpsight.options import resolve_options

    monkeypatch.setenv("MCPSIGHT_URL", f"  {collector.url}/  ")
    resolved = resolve_options({})
    assert (resolved.api_base_url, resolved.api_base_url_from) == (collector.url, "MCPSIGHT_URL")


def test_event_json_is_compact_utf8_like_javascript() -> None:
    with running_sink() as sink:
        delivery = make_delivery(sink.url, ListLogger())
        delivery.submit(event(userIntent="héllo 🎉 </script>\u2028"))
        assert delivery.flush(10)
        delivery.shutdown(1)
    [batch] = sink.received
    assert batch.body["events"][0]["userIntent"] == "héllo 🎉 </script>\u2028"


def test_gzip_is_valid_for_large_batches() -> None:
    data = gzip.compress(b"x" * 10, compresslevel=1, mtime=0)
    assert gzip.decompress(data) == b"x" * 10
    assert isinstance(Received({}, {"events": []}).ids, list)
    assert Sink("http://x").events() == []
