"""One request in flight, then the raw facts of its outcome. The request path only records those
facts (a handful of attribute writes); the event is built from them on the delivery thread.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .client_info import announced_client, from_user_agent, session_client
from .event import (
    Event,
    NameVersion,
    error_data_of_result,
    event_type_for,
    new_event,
    parameters_of,
    resource_name_of,
    with_identity,
)
from .log import SdkLogger
from .pending import Pending
from .request_view import RequestView
from .session import SessionState

if TYPE_CHECKING:
    from .otel import OtelSpan
    from .tracker import Tracker


def wire_form(value: Any) -> Any:
    """A result as it goes on the wire: pydantic models (MCP 1.x results) dumped as the MCP SDK
    sends them; dicts (MCP 2.x) as they are."""
    if value is None or isinstance(value, dict):
        return value
    root = getattr(value, "root", None)
    target = root if root is not None and hasattr(root, "model_dump") else value
    dump = getattr(target, "model_dump", None)
    if callable(dump):
        return dump(by_alias=True, mode="json", exclude_none=True)
    return value


class TrackedCall:
    """A tracked request: what :meth:`Tracker.begin` learned, and its outcome once settled."""

    __slots__ = (
        "duration",
        "error",
        "forwarded_params",
        "identity",
        "intent",
        "method",
        "properties",
        "report_missing",
        "result",
        "span",
        "started",
        "started_at",
        "state",
        "tags",
        "tracker",
        "view",
    )

    def __init__(self, tracker: Tracker, view: RequestView, state: SessionState | None) -> None:
        self.tracker = tracker
        self.view = view
        self.method = view.method
        self.state = state
        self.started_at = time.time()
        self.started = time.perf_counter()
        self.forwarded_params: Mapping[str, Any] | None = view.params
        self.intent: str | None = None
        self.report_missing = False
        self.identity: Any = None
        """The identity in effect when the request arrived: a UserIdentity, or a Pending one."""
        self.result: Any = None
        self.error: dict[str, Any] | None = None
        self.duration = 0.0
        self.tags: dict[str, str] | None = None
        self.properties: dict[str, Any] | None = None
        self.span: OtelSpan | None = None
        """The request's OpenTelemetry span, with the ``otel`` option."""

    def settle(self, result: Any, error: dict[str, Any] | None) -> TrackedCall:
        """Records the outcome; the duration excludes everything that happens after."""
        self.duration = round((time.perf_counter() - self.started) * 1000, 3)
        self.result = result
        self.error = error
        return self

    def pending_identity(self) -> Pending[Any] | None:
        identity = self.identity
        return identity if isinstance(identity, Pending) and not identity.done else None

    def resolved_identity(self) -> Any:
        identity = self.identity
        return identity.value if isinstance(identity, Pending) else identity

    @property
    def redact(self) -> Any:
        return self.tracker.options.redact

    @property
    def log(self) -> SdkLogger:
        return self.tracker.log

    def build(self) -> Event:
        state = self.state
        result = wire_form(self.result)
        correlation_id: str | None = None
        client: NameVersion | None
        if state is not None:
            view = self.view
            client = (
                state.client_info
                or session_client(view.context)
                or announced_client(view)
                or from_user_agent(view.header("user-agent"))
            )
        else:
            client, correlation_id = self.tracker.stateless_client(self.method, self.view, result)
        event = new_event(
            self.tracker.project_id,
            state.id if state is not None else None,
            client,
            self.tracker.server_info(),
            event_type_for(self.method),
            self.started_at,
        )
        if correlation_id is not None:
            event["correlationId"] = correlation_id
        event["duration"] = self.duration
        params = self.forwarded_params
        name = resource_name_of(params)
        if name is not None:
            event["resourceName"] = name
        parameters = parameters_of(params)
        if parameters is not None:
            event["parameters"] = parameters
        if self.intent is not None:
            event["userIntent"] = self.intent
        if self.error is not None:
            event["isError"] = True
            event["error"] = self.error
        else:
            if result is not None:
                event["response"] = result
            if isinstance(result, Mapping) and result.get("isError") is True:
                event["isError"] = True
                event["error"] = error_data_of_result(result)
        with_identity(event, self.resolved_identity())
        if self.tags:
            event["tags"] = self.tags
        if self.properties is not None:
            event["properties"] = self.properties
        span = self.span
        if span is not None and span.trace_id is not None:
            event["traceId"] = span.trace_id
            event["spanId"] = span.span_id
        return event


class ReadyEvent:
    """An event built already (identify and custom events), waiting only for its session's identity."""

    __slots__ = ("event", "identity", "log", "redact")

    def __init__(self, event: Event, identity: Any, redact: Any, log: SdkLogger) -> None:
        self.event = event
        self.identity = identity
        self.redact = redact
        self.log = log

    def pending_identity(self) -> Pending[Any] | None:
        identity = self.identity
        return identity if isinstance(identity, Pending) and not identity.done else None

    def build(self) -> Event:
        identity = self.identity.value if isinstance(self.identity, Pending) else self.identity
        return with_identity(self.event, identity)
