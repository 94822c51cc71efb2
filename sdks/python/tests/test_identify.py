"""identify, as the TypeScript SDK runs it: once per stateful session on its first tool call, on
every stateless request, beside the tool (never delaying or changing its result), and safely."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import anyio
import pytest

import mcpsight
from mcpsight import runtime
from support.collector import Collector, wait_for
from support.logs import ListLogger
from support.mcp_line import LINE, build, http_app, http_client, memory_client, serve, text_of

pytestmark = pytest.mark.anyio


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def tracker(collector: Collector, **options: Any) -> Any:
    return lambda server: mcpsight.track(
        server, collector.project_id, mcpsight.Options(api_base_url=collector.url, **options)
    )


async def test_stateful_identify_runs_once_on_the_first_tool_call(collector: Collector, kind: str) -> None:
    client = unique(f"once-{kind}")
    seen: list[tuple[str, str | None, Any, bool]] = []

    async def identify(request: Any, context: Any) -> Any:
        seen.append(
            (request.method, request.params.name, request.params.arguments, context.session is not None)
        )
        return mcpsight.UserIdentity(
            user_id=f"u_{client}", user_name="Ada Lovelace", user_data={"plan": "team"}
        )

    server = build(kind, "identify-once", tracker(collector, identify=identify))
    async with memory_client(server, client) as session:
        await session.list_tools()
        for query in ("a", "b", "c"):
            await session.call_tool("search", {"query": query, "context": "looking"})
    assert await mcpsight.aflush(10)

    # The first tool call's request, as received (the intent still in it), and the request context.
    assert seen == [("tools/call", "search", {"query": "a", "context": "looking"}, True)]
    row = collector.session_of(client, 3)
    assert row["userId"] == f"u_{client}" and row["userName"] == "Ada Lovelace"
    events = collector.events(client)
    # initialize and tools/list came before identify, and belong to the user too.
    assert {event["userId"] for event in events} == {f"u_{client}"}
    assert [event["eventType"] for event in events].count("mcpsight:identify") == 1
    [user] = collector.get(f"/users?search=u_{client}")["items"]
    assert user["userData"] == {"plan": "team"}


async def test_a_sync_identify_works_too_and_dicts_are_identities(collector: Collector) -> None:
    client = unique("sync")
    threads: list[str] = []

    def identify(request: Any, context: Any) -> Any:
        threads.append(threading.current_thread().name)
        return {"user_id": f"u_{client}", "user_name": "Grace"}

    server = build("high", "identify-sync", tracker(collector, identify=identify))
    async with memory_client(server, client) as session:
        await session.call_tool("search", {"query": "x"})
    assert await mcpsight.aflush(10)
    assert collector.session_of(client, 1)["userName"] == "Grace"
    # A sync identify runs in a worker thread, so a slow one cannot hold up the event loop.
    assert threads and threads[0] != threading.main_thread().name


async def test_identify_never_delays_the_tool_result(collector: Collector, kind: str) -> None:
    client = unique(f"slow-{kind}")
    release = anyio.Event()
    finished: list[str] = []

    async def identify(request: Any, context: Any) -> Any:
        await release.wait()  # holds until the test has the tool's result in hand
        finished.append("identify")
        return {"user_id": f"u_{client}"}

    server = build(kind, "identify-slow", tracker(collector, identify=identify))
    async with memory_client(server, client) as session:
        result = await session.call_tool("search", {"query": "release", "context": "x"})
        assert text_of(result).startswith("found release")
        assert finished == []  # the result arrived while identify was still running
        release.set()
        await session.call_tool("search", {"query": "again"})
    assert await mcpsight.aflush(10)
    assert finished == ["identify"]
    assert collector.session_of(client, 2)["userId"] == f"u_{client}"


@pytest.mark.parametrize(
    ("behaviour", "warning"),
    [
        ("raises", "identify raised (RuntimeError: user directory unavailable)"),
        ("times out", "identify timed out after 0.2 s"),
        ("bad shape", "identify returned an invalid identity"),
        ("anonymous", None),
    ],
)
async def test_identify_failures_leave_the_session_anonymous_with_one_warning(
    collector: Collector, behaviour: str, warning: str | None
) -> None:
    log = ListLogger()

    async def identify(request: Any, context: Any) -> Any:
        if behaviour == "raises":
            raise RuntimeError("user directory unavailable")
        if behaviour == "times out":
            await anyio.sleep(30)
        if behaviour == "bad shape":
            return {"name": "no user id"}
        return None

    clients = [unique(f"fails-{behaviour.replace(' ', '-')}") for _ in range(2)]
    for client in clients:  # two sessions: the same problem is reported once
        server = build(
            "high", "identify-fails", tracker(collector, identify=identify, identify_timeout=0.2, logger=log)
        )
        async with memory_client(server, client) as session:
            result = await session.call_tool("search", {"query": "ok", "context": "x"})
            assert text_of(result).startswith("found ok")
    assert await mcpsight.aflush(10)
    for client in clients:
        row = collector.session_of(client, 1)
        assert row["userId"] is None and row["errors"] == 0
    if warning is None:
        assert log.warnings == []
    else:
        assert len(log.matching(warning)) == 1, log.warnings


async def test_a_changed_credential_re_identifies_and_a_failure_keeps_the_identity(
    collector: Collector,
) -> None:
    client = unique("rotate")
    calls: list[str | None] = []

    async def identify(request: Any, context: Any) -> Any:
        key = context.request.headers.get("x-api-key")
        calls.append(key)
        if key == "key_broken":
            raise RuntimeError("directory down")
        return {"user_id": f"u_{key}_{client}"}

    server = build("high", "identify-rotate", tracker(collector, identify=identify))
    async with (
        serve(http_app(server, "high", stateless=False)) as url,
        http_client(url, client, headers={"x-api-key": "key_ada"}) as session,
    ):
        await session.call_tool("search", {"query": "1"})
        await session.call_tool("search", {"query": "2"})
        # The client's next requests carry another credential: identify runs again.
        http = session_http_client(session)
        http.headers["x-api-key"] = "key_grace"
        await session.call_tool("search", {"query": "3"})
        http.headers["x-api-key"] = "key_broken"
        await session.call_tool("search", {"query": "4"})
    assert await mcpsight.aflush(10)
    assert calls == ["key_ada", "key_grace", "key_broken"]
    events = wait_for(
        lambda: (
            (found := collector.events(client))
            and sum(e["eventType"] == "mcp:tools/call" for e in found) == 4
            and found
        ),
        "the four calls",
    )
    users = [e["userId"] for e in events if e["eventType"] == "mcp:tools/call"]
    assert users == [
        f"u_key_ada_{client}",
        f"u_key_ada_{client}",
        f"u_key_grace_{client}",
        f"u_key_grace_{client}",
    ]
    assert [e["eventType"] for e in events].count("mcpsight:identify") == 2
    assert "key_ada" not in str(events).replace(f"u_key_ada_{client}", "")  # the key itself is never sent


def session_http_client(session: Any) -> Any:
    """The httpx client under a ClientSession made by support.http_client."""
    return session._mcpsight_test_http


async def test_stateless_identify_runs_on_every_request_and_the_cache_memoises_it(
    collector: Collector, kind: str
) -> None:
    uncached: list[str] = []
    cached: list[str] = []

    def identify_into(calls: list[str]) -> Any:
        async def identify(request: Any, context: Any) -> Any:
            key = context.request.headers.get("x-api-key")
            calls.append(request.method)
            return {"user_id": f"u_{key}"} if key else None

        return identify

    plain_client, cache_client = unique(f"nocache-{kind}"), unique(f"cache-{kind}")
    for client, calls, cache in ((plain_client, uncached, None), (cache_client, cached, 60)):
        server = build(
            kind,
            "identify-stateless",
            tracker(collector, identify=identify_into(calls), identify_cache=cache),
        )
        async with (
            serve(http_app(server, kind, stateless=True)) as url,
            http_client(url, client, headers={"x-api-key": f"key_{client}"}) as session,
        ):
            await session.list_tools()
            await session.call_tool("search", {"query": "1", "context": "x"})
            await session.call_tool("search", {"query": "2", "context": "x"})
    assert await mcpsight.aflush(10)
    assert uncached.count("tools/call") == 2 and "tools/list" in uncached and "initialize" in uncached
    assert len(cached) == 1  # memoised per credential (a hash of the API key)
    for client in (plain_client, cache_client):
        rows = wait_for(
            lambda client=client: (
                [
                    s
                    for s in collector.get("/sessions?stateless=true&limit=200")["items"]
                    if s["userId"] == f"u_key_{client}" and s["toolCalls"] == 2
                ]
                or None
            ),
            f"the stateless session of {client}",
        )
        assert all(row["stateless"] for row in rows)
        # Stateless requests name their client from what it announced at initialize (same key).
        assert {row["clientName"] for row in rows} == {client}


async def test_get_access_token_inside_identify_on_an_authenticated_server(collector: Collector) -> None:
    from mcp.server.auth.middleware.auth_context import get_access_token
    from mcp.server.auth.provider import AccessToken

    class Verifier:
        async def verify_token(self, token: str) -> Any:
            if not token.startswith("tok_"):
                return None
            return AccessToken(token=token, client_id="notes-web", scopes=["notes"], subject=f"u_{token[4:]}")

    def identify(request: Any, context: Any) -> Any:
        token = get_access_token()
        return {"user_id": token.subject, "user_data": {"scopes": token.scopes}} if token else None

    for stateless in (False, True):
        client = unique(f"oauth-{'stateless' if stateless else 'stateful'}")
        server = build("high", "identify-oauth", tracker(collector, identify=identify), verifier=Verifier())
        headers = {"authorization": f"Bearer tok_{client}"}
        async with (
            serve(http_app(server, "high", stateless=stateless)) as url,
            http_client(url, client, headers=headers) as session,
        ):
            await session.call_tool("search", {"query": "1"})
            await session.call_tool("search", {"query": "2"})
        assert await mcpsight.aflush(10)
        rows = wait_for(
            lambda client=client: (
                [
                    s
                    for s in collector.get("/sessions?limit=200")["items"]
                    if s["userId"] == f"u_{client}" and s["toolCalls"] >= 1
                ]
                or None
            ),
            f"the authenticated sessions of {client}",
        )
        assert all(row["stateless"] is stateless for row in rows)
        [user] = collector.get(f"/users?search=u_{client}")["items"]
        assert user["userData"] == {"scopes": ["notes"]}
        assert f"tok_{client}" not in str(collector.events(client))


@pytest.mark.skipif(LINE != 1, reason="the 1.x HTTP session keeps the context of the request that opened it")
async def test_get_access_token_in_identify_sees_the_current_request_on_a_1x_session(
    collector: Collector,
) -> None:
    """On the 1.x line a stateful session's tasks inherit the context of the request that opened
    it; identify still sees the token of the request it runs for."""
    from mcp.server.auth.middleware.auth_context import get_access_token
    from mcp.server.auth.provider import AccessToken

    class Verifier:
        async def verify_token(self, token: str) -> Any:
            return AccessToken(token=token, client_id="same-client", scopes=[], subject="u_same")

    tokens: list[str | None] = []

    def identify(request: Any, context: Any) -> Any:
        token = get_access_token()
        tokens.append(token.token if token else None)
        return {"user_id": token.token if token else "nobody"}

    client = unique("refreshed")
    server = build("high", "identify-refresh", tracker(collector, identify=identify), verifier=Verifier())
    async with (
        serve(http_app(server, "high", stateless=False)) as url,
        http_client(url, client, headers={"authorization": "Bearer tok_first"}) as session,
    ):
        session_http_client(session).headers["authorization"] = "Bearer tok_refreshed"
        await session.call_tool("search", {"query": "1"})
    assert tokens == ["tok_refreshed"]


async def test_flush_waits_for_a_call_parked_behind_its_identify(collector: Collector, kind: str) -> None:
    # The tool call's event waits for its session's identity; another session's events, recorded
    # after the flush began, are delivered meanwhile. The flush still waits for the parked event and
    # for the identify event, whose place was reserved when identify started.
    client, other = unique(f"parked-{kind}"), unique(f"other-{kind}")
    release = anyio.Event()

    async def identify(request: Any, context: Any) -> Any:
        await release.wait()
        return {"user_id": f"u_{client}"}

    server = build(kind, "identify-parked", tracker(collector, identify=identify))
    at_return: list[tuple[bool, list[str]]] = []

    async def flush() -> None:
        done = await mcpsight.aflush(30)
        at_return.append((done, [event["eventType"] for event in collector.events(client)]))

    async with memory_client(server, client) as session, anyio.create_task_group() as tasks:
        await session.call_tool("search", {"query": "parked"})
        tasks.start_soon(flush)
        await anyio.to_thread.run_sync(
            lambda: wait_for(
                lambda: any(delivery._flushes for delivery in list(runtime._deliveries.values())),
                "the flush to count what it waits for",
            )
        )
        # More events than the flush waits for settle meanwhile: it counts its own.
        async with memory_client(server, other) as second:
            for _ in range(4):
                await second.list_tools()
        await anyio.to_thread.run_sync(
            lambda: wait_for(lambda: len(collector.events(other)) == 5, "the other session's events")
        )
        release.set()
    [(done, types)] = at_return
    assert done
    assert "mcp:tools/call" in types and "mcpsight:identify" in types


async def test_a_hung_sync_identify_holds_no_more_than_mcpsights_few_daemon_threads(
    collector: Collector,
) -> None:
    from mcpsight.callback_threads import SIZE

    release = threading.Event()
    entered: list[str] = []

    def identify(request: Any, context: Any) -> Any:
        entered.append(threading.current_thread().name)
        release.wait(30)
        return {"user_id": "u_too_late"}

    clients = [unique("hung") for _ in range(SIZE + 4)]
    server = build("high", "identify-hung", tracker(collector, identify=identify, identify_timeout=0.2))
    try:
        for client in clients:
            async with memory_client(server, client) as session:
                result = await session.call_tool("search", {"query": "ok"})
                assert text_of(result).startswith("found ok")
        assert await mcpsight.aflush(10)
        # Every identify timed out, running or still waiting for a thread; only SIZE ever started,
        # each on a daemon thread of mcpsight's own, which it still holds.
        assert len(entered) == SIZE
        threads = {thread.name: thread for thread in threading.enumerate()}
        assert all(name.startswith("mcpsight-callback-") and threads[name].daemon for name in entered)
        for client in (clients[0], clients[-1]):  # one identify started, the other never did
            assert collector.session_of(client, 1)["userId"] is None
    finally:
        release.set()


async def test_a_blocked_sync_identify_leaves_the_loops_worker_threads_to_sync_tools(
    collector: Collector,
) -> None:
    client = unique("tool-threads")
    entered, release = threading.Event(), threading.Event()
    returned: list[str] = []

    def identify(request: Any, context: Any) -> Any:
        entered.set()
        release.wait(30)
        returned.append("identify")
        return {"user_id": f"u_{client}"}

    def echo(text: str) -> str:  # sync: mcp 2.x runs it on a worker thread of the event loop
        return text

    server = build("high", "identify-threads", tracker(collector, identify=identify, identify_timeout=60))
    server.tool(name="echo")(echo)
    limiter = anyio.to_thread.current_default_thread_limiter()
    tokens = limiter.total_tokens
    limiter.total_tokens = 1  # one worker thread for the server: identify must not be the one using it
    try:
        async with memory_client(server, client) as session:
            assert text_of(await session.call_tool("echo", {"text": "one"})) == "one"
            with anyio.fail_after(10):  # without threads of its own, the second call waits for identify
                await anyio.to_thread.run_sync(entered.wait, limiter=anyio.CapacityLimiter(1))
                assert text_of(await session.call_tool("echo", {"text": "two"})) == "two"
            assert returned == []  # the tool answered while identify was blocked
            release.set()
    finally:
        release.set()
        limiter.total_tokens = tokens
    assert await mcpsight.aflush(10)
    assert returned == ["identify"]
    assert collector.session_of(client, 2)["userId"] == f"u_{client}"


async def test_a_blocked_sync_event_properties_holds_up_no_request_and_is_cut_at_the_timeout(
    collector: Collector,
) -> None:
    client = unique("properties-threads")
    entered, release = threading.Event(), threading.Event()

    def event_properties(request: Any, context: Any) -> Any:
        entered.set()
        release.wait(30)  # blocks until the test ends: cut off by identify_timeout
        return {"late": True}

    server = build(
        "high",
        "properties-threads",
        tracker(collector, event_properties=event_properties, identify_timeout=0.5),
    )
    try:
        async with memory_client(server, client) as session:
            await session.call_tool("search", {"query": "one"})
            with anyio.fail_after(10):  # inline on the event loop, the next call would wait for it
                await anyio.to_thread.run_sync(entered.wait)
                assert text_of(await session.call_tool("search", {"query": "two"})).startswith("found two")
            assert not release.is_set()
        assert await mcpsight.aflush(10)
    finally:
        release.set()
    # Both calls are recorded, without the properties that came too late.
    collector.session_of(client, 2)
    calls = [e for e in collector.events(client) if e["eventType"] == "mcp:tools/call"]
    assert len(calls) == 2
    assert all(not (e.get("properties") or {}).get("late") for e in calls)
