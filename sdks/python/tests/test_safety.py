"""mcpsight runs inside someone else's server: results unchanged, nothing raised into it, no signal
handlers, daemon threads only, and untrackable objects returned untouched with one log line."""

from __future__ import annotations

import signal
import threading
import uuid
from typing import Any

import pytest

import mcpsight
from support.collector import Collector
from support.logs import ListLogger
from support.mcp_line import build, is_error, lowlevel_of, memory_client, text_of

pytestmark = pytest.mark.anyio


async def results_of(server: Any) -> list[Any]:
    async with memory_client(server, f"safety-{uuid.uuid4().hex[:6]}") as session:
        found = await session.call_tool("search", {"query": "q"})
        failed = await session.call_tool("fail", {"message": "boom"})
        resource = await session.read_resource("notes://readme")
        return [text_of(found), is_error(failed), text_of(failed), resource.contents[0].text]


async def test_tool_results_are_the_same_tracked_or_not(collector: Collector, kind: str) -> None:
    untracked = await results_of(build(kind, "plain"))
    tracked = await results_of(
        build(
            kind,
            "tracked",
            lambda s: mcpsight.track(s, collector.project_id, {"api_base_url": collector.url}),
        )
    )
    assert tracked == untracked


async def test_failing_callbacks_never_reach_the_tool_call(collector: Collector) -> None:
    log = ListLogger()

    def boom(*args: Any) -> Any:
        raise RuntimeError("callback bug")

    options = mcpsight.Options(
        api_base_url=collector.url,
        identify=boom,
        event_tags=boom,
        event_properties=boom,
        redact_sensitive_information=boom,
        logger=log,
    )
    server = build("high", "callbacks", lambda s: mcpsight.track(s, collector.project_id, options))
    assert (await results_of(server))[0].startswith("found q")
    assert await mcpsight.aflush(10)
    # One warning per distinct problem; the events were dropped rather than sent unredacted.
    assert len(log.matching("identify raised (RuntimeError: callback bug)")) == 1
    assert len(log.matching("event_tags raised")) == 1
    assert len(log.matching("event_properties raised")) == 1
    assert len(log.matching("redact_sensitive_information raised RuntimeError")) == 1


def test_track_returns_anything_else_untouched_with_one_error_line() -> None:
    log = ListLogger()
    for value in (None, object(), "server", 42):
        assert mcpsight.track(value, "proj_x", mcpsight.Options(logger=log)) is value
    assert len(log.errors) == 4 and all("not an MCP server mcpsight knows" in line for line in log.errors)
    server = build("high", "bad-project")
    assert mcpsight.track(server, "", mcpsight.Options(logger=log)) is server
    assert "project_id must be a non-empty string" in log.errors[-1]


async def test_a_second_track_is_harmless(collector: Collector) -> None:
    server = build("high", "twice")
    options = {"api_base_url": collector.url}
    assert mcpsight.track(server, collector.project_id, options) is server
    low = lowlevel_of(server)
    hooked = dict(vars(low))
    assert mcpsight.track(server, collector.project_id, options) is server
    assert dict(vars(low)).keys() == hooked.keys()
    assert (await results_of(server))[0].startswith("found q")


async def test_no_signal_handlers_and_only_daemon_threads(collector: Collector) -> None:
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    server = build(
        "high", "signals", lambda s: mcpsight.track(s, collector.project_id, {"api_base_url": collector.url})
    )
    await results_of(server)
    assert await mcpsight.aflush(10)
    assert {sig: signal.getsignal(sig) for sig in before} == before
    ours = [t for t in threading.enumerate() if t.name.startswith("mcpsight-")]
    assert ours and all(t.daemon for t in ours)


def test_mcpcat_code_runs_with_the_import_changed(collector: Collector) -> None:
    import mcpsight as mcpcat

    options = mcpcat.MCPCatOptions(
        api_base_url=collector.url,
        debug_mode=True,
        enable_report_missing=False,
        exporters={"otlp": {"type": "otlp"}},
        disable_diagnostics=True,
        identify=lambda request, context: mcpcat.UserIdentity(user_id="u_1", user_name="Ada", user_data=None),
    )
    server = build("high", "mcpcat")
    assert mcpcat.track(server, collector.project_id, options) is server


def test_api_base_url_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from mcpsight.options import resolve_options

    monkeypatch.delenv("MCPSIGHT_URL", raising=False)
    monkeypatch.delenv("MCPCAT_API_URL", raising=False)
    assert resolve_options(None).api_base_url == "http://127.0.0.1:4747"
    monkeypatch.setenv("MCPCAT_API_URL", "http://mcpcat.example/")
    assert resolve_options(None).api_base_url == "http://mcpcat.example"
    monkeypatch.setenv("MCPSIGHT_URL", "http://collector.example:4747/")
    assert resolve_options({}).api_base_url == "http://collector.example:4747"
    assert resolve_options({"api_base_url": "http://explicit"}).api_base_url == "http://explicit"


def test_options_fall_back_to_defaults_and_name_unknown_keys() -> None:
    from mcpsight.options import option_values, resolve_options

    resolved = resolve_options(
        {"identify_timeout": -1, "max_queue_size": "many", "flush_interval": 0, "debug_mode": True}
    )
    assert (resolved.identify_timeout, resolved.max_queue_size, resolved.flush_interval) == (
        5.0,
        100_000,
        1.0,
    )
    assert resolved.debug is True and resolved.max_queue_bytes == 32 * 1024 * 1024
    assert option_values({"identfy": 1})[1] == ["identfy"]
    assert resolve_options({"identify_cache": 60}).identify_cache is not None
    assert resolve_options({"identify_cache": mcpsight.IdentifyCacheOptions(ttl=0)}).identify_cache is None
