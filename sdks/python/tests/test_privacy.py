"""Nothing secret leaves the process: secret-looking keys, bearer strings and API key headers are
scrubbed before sending, the user's redaction runs on every string, and a failing one drops."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

import mcpsight
from support.collector import Collector, wait_for
from support.logs import ListLogger
from support.mcp_line import LINE, build, http_app, http_client, memory_client, serve

pytestmark = pytest.mark.anyio


async def test_secrets_never_reach_the_collector(collector: Collector) -> None:
    client = f"privacy-{uuid.uuid4().hex[:6]}"

    def identify(request: Any, context: Any) -> Any:
        return {"user_id": "u_priv", "user_data": {"api_key": "sk-live-123", "plan": "team"}}

    server = build(
        "high",
        "privacy",
        lambda s: mcpsight.track(
            s,
            collector.project_id,
            mcpsight.Options(
                api_base_url=collector.url,
                identify=identify,
                event_properties=lambda request, context: {"authorization": "Bearer abcdefgh12345", "ok": 1},
            ),
        ),
    )
    async with (
        serve(http_app(server, "high", stateless=False)) as url,
        http_client(
            url, client, headers={"authorization": "Bearer tok_SUPERSECRET_1", "x-api-key": "key_SECRET_2"}
        ) as s,
    ):
        await s.call_tool("search", {"query": "release", "user": "Bearer tok_SUPERSECRET_3"})
        await s.call_tool("late", {"x": 2, "context": "with Basic dXNlcjpwYXNzd29yZA== inside"})
    assert await mcpsight.aflush(10)
    events = wait_for(lambda: (found := collector.events(client)) and len(found) >= 5 and found, "the events")
    text = json.dumps(events) + json.dumps(collector.get("/users?search=u_priv"))
    for secret in ("SUPERSECRET", "SECRET_2", "sk-live-123", "abcdefgh12345"):
        assert secret not in text
    call = next(e for e in events if e["resourceName"] == "search")
    assert call["parameters"]["arguments"] == {"query": "release", "user": "[REDACTED]"}
    assert call["properties"] == {"authorization": "[REDACTED]", "ok": 1}


async def test_the_users_redaction_runs_on_every_string_and_a_failure_drops_the_event(
    collector: Collector,
) -> None:
    client = f"redact-{uuid.uuid4().hex[:6]}"
    log = ListLogger()

    async def redact(text: str) -> str:  # async works too: it runs on the delivery thread's own loop
        if "explode" in text:
            raise ValueError("cannot redact")
        return text.replace("Ada", "[name]")

    server = build(
        "high",
        "redaction",
        lambda s: mcpsight.track(
            s,
            collector.project_id,
            mcpsight.Options(api_base_url=collector.url, redact_sensitive_information=redact, logger=log),
        ),
    )
    async with memory_client(server, client) as session:
        await session.call_tool("search", {"query": "Ada's notes", "context": "Ada asks"})
        await session.call_tool("search", {"query": "explode"})
    assert await mcpsight.aflush(10)
    events = wait_for(lambda: (found := collector.events(client)) and len(found) >= 3 and found, "the events")
    calls = [e for e in events if e["eventType"] == "mcp:tools/call"]
    assert len(calls) == 1  # the event whose redaction failed was dropped, not sent unredacted
    assert calls[0]["parameters"]["arguments"]["query"] == "[name]'s notes"
    assert calls[0]["userIntent"] == "[name] asks"
    assert "Ada" not in json.dumps(calls[0]["response"])
    assert len(log.matching("redact_sensitive_information raised ValueError: cannot redact")) == 1
    assert LINE in (1, 2)
