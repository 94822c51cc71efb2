"""OpenTelemetry out: with the ``otel`` option every tracked request is also a SERVER span and a
``mcp.server.operation.duration`` measurement, and sessions a ``mcp.server.session.duration`` one,
named and attributed as the OpenTelemetry MCP semantic conventions say (docs/OPENTELEMETRY.md),
exactly as the TypeScript SDK does.

``opentelemetry-api`` is imported only when the option is on (the ``mcpsight[otel]`` extra):
without it the SDK keeps no dependency. Spans use the host's own providers, so they join its
traces; a client's ``traceparent`` in ``params._meta`` is continued. ``mcp`` 2.x records its own
SERVER span for every request (its ``OpenTelemetryMiddleware``, on by default): there mcpsight
starts no second one but adds its attributes to that span. Nothing here raises into the host.
"""

from __future__ import annotations

import inspect
import json
import re
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ._version import SDK_VERSION
from .constants import SESSION_IDLE_TIMEOUT
from .event import with_identity
from .log import SdkLogger
from .options import OtelOptions, ResolvedOptions
from .redact import redact_event, sanitize_event

if TYPE_CHECKING:
    from .tracked_call import TrackedCall

DURATION_BUCKETS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300]
"""The conventions' advised buckets (seconds) for both duration histograms."""
INTENT_ATTRIBUTE = "mcpsight.intent"
"""mcpsight's own attribute, outside the conventions: the agent's intent."""
MCP_SDK_SCOPE = "mcp-python-sdk"
"""The instrumentation scope of the spans ``mcp`` 2.x records itself."""
MAX_OPEN_SESSIONS = 10_000
_TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})\Z")
_METRIC_KEYS = (
    "mcp.method.name",
    "error.type",
    "gen_ai.tool.name",
    "gen_ai.prompt.name",
    "gen_ai.operation.name",
    "rpc.response.status_code",
    "mcp.protocol.version",
    "network.transport",
    "network.protocol.name",
)
_SESSION_KEYS = ("mcp.protocol.version", "network.transport", "network.protocol.name")

Attributes = dict[str, Any]


_instruments: weakref.WeakSet[OtelInstrument] = weakref.WeakSet()


def end_all_sessions() -> None:
    """Records the duration of every open session (at :func:`mcpsight.shutdown`). Never raises."""
    for instrument in list(_instruments):
        instrument.end_sessions()


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _ns(seconds: float) -> int:
    return int(seconds * 1e9)


def _error_code(thrown: object) -> str | None:
    """A JSON-RPC error's code: of an ``McpError``/``MCPError`` or of an error answer's mapping."""
    code = thrown.get("code") if isinstance(thrown, Mapping) else None
    if code is None and isinstance(thrown, BaseException):
        code = getattr(getattr(thrown, "error", None), "code", None)
    return str(code) if isinstance(code, int) and not isinstance(code, bool) else None


class OtelSpan:
    """One request's span, between the tracker's begin and the call's settle."""

    __slots__ = ("attributes", "context", "instrument", "own", "span", "span_id", "trace_id")

    def __init__(
        self, instrument: OtelInstrument, span: Any, own: bool, context: Any, attributes: Attributes
    ):
        self.instrument = instrument
        self.span = span
        self.own = own
        """False when the span is the one ``mcp`` 2.x records: mcpsight only adds attributes to it."""
        self.context = context
        self.attributes = attributes
        span_context = span.get_span_context()
        exported = span_context.is_valid and span_context.trace_flags.sampled
        self.trace_id = f"{span_context.trace_id:032x}" if exported else None
        self.span_id = f"{span_context.span_id:016x}" if exported else None

    @contextmanager
    def active(self) -> Iterator[None]:
        """The handler runs with the span active, so the tool's own spans are its children."""
        token = None
        if self.own:
            try:
                token = self.instrument.context_api.attach(self.context)
            except Exception:
                token = None
        try:
            yield
        finally:
            if token is not None:
                try:
                    self.instrument.context_api.detach(token)
                except Exception:
                    pass

    def end(self, call: TrackedCall, thrown: object = None) -> None:
        self.instrument.end(self, call, thrown)


class _Session:
    __slots__ = ("attributes", "last", "start")

    def __init__(self, now: float) -> None:
        self.start = now
        self.last = now
        self.attributes: Attributes = {}


class OtelInstrument:
    """The ``otel`` option of one tracked server."""

    def __init__(self, setting: OtelOptions, options: ResolvedOptions, log: SdkLogger) -> None:
        from opentelemetry import context, metrics, propagate, trace

        self.trace = trace
        self.context_api = context
        self.propagate = propagate
        self.options = options
        self.log = log
        self.capture_content = setting.capture_content
        tracer_provider = setting.tracer_provider or trace.get_tracer_provider()
        self.adopt = setting.tracer_provider is None
        """Spans of mcp 2.x's own go to the global provider: adopted only when ours go there too."""
        meter_provider = setting.meter_provider or metrics.get_meter_provider()
        self.tracer = tracer_provider.get_tracer("mcpsight", SDK_VERSION)
        meter = meter_provider.get_meter("mcpsight", SDK_VERSION)
        self.operation_duration = self._histogram(
            meter,
            "mcp.server.operation.duration",
            "MCP request duration as observed on the server from the time it was received until "
            "the result is sent.",
        )
        self.session_duration = self._histogram(
            meter,
            "mcp.server.session.duration",
            "The duration of the MCP session as observed on the MCP server.",
        )
        self._sessions: OrderedDict[str, _Session] = OrderedDict()
        self._lock = threading.Lock()
        _instruments.add(self)

    @staticmethod
    def _histogram(meter: Any, name: str, description: str) -> Any:
        try:
            return meter.create_histogram(
                name, unit="s", description=description, explicit_bucket_boundaries_advisory=DURATION_BUCKETS
            )
        except TypeError:  # an API older than 1.23 takes no advice
            return meter.create_histogram(name, unit="s", description=description)

    @classmethod
    def create(cls, options: ResolvedOptions, log: SdkLogger) -> OtelInstrument | None:
        """The instrument for ``options.otel``, or None when it is off or the API is missing."""
        setting = options.otel
        if setting is None:
            return None
        try:
            return cls(setting, options, log)
        except ImportError:
            log.warn_once(
                "otel:missing",
                "otel is on but opentelemetry-api is not installed (pip install 'mcpsight[otel]'); "
                "no spans are recorded.",
            )
        except Exception as error:
            log.warn_once("otel:setup", f"could not set up OpenTelemetry ({error}); no spans are recorded.")
        return None

    # --- start ---------------------------------------------------------------------------------

    def start(self, call: TrackedCall) -> OtelSpan | None:
        """Starts the request's SERVER span (or adopts the one ``mcp`` 2.x started); None on failure."""
        try:
            trace = self.trace
            attributes = self._request_attributes(call)
            target = _str(attributes.get("gen_ai.tool.name")) or _str(attributes.get("gen_ai.prompt.name"))
            name = f"{call.method} {target}" if target else call.method
            self._touch_session(call, attributes)
            current = trace.get_current_span()
            scope = getattr(current, "instrumentation_scope", None)
            if (
                self.adopt
                and current.is_recording()
                and getattr(scope, "name", None) == MCP_SDK_SCOPE
                and getattr(current, "name", None) == name
            ):
                # mcp 2.x's own span of this very request: one span per request, with our attributes.
                current.set_attributes(attributes)
                return OtelSpan(self, current, False, None, attributes)
            active = self.context_api.get_current()
            remote = self._remote_parent(call)
            links = []
            active_span = trace.get_current_span(active).get_span_context()
            if remote is not None and active_span.is_valid:
                # The client's context from _meta is the parent; the transport's (an HTTP span) a link.
                links.append(trace.Link(active_span))
            parent = remote if remote is not None else active
            span = self.tracer.start_span(
                name,
                context=parent,
                kind=trace.SpanKind.SERVER,
                attributes=attributes,
                links=links,
                start_time=_ns(call.started_at),
            )
            return OtelSpan(self, span, True, trace.set_span_in_context(span, parent), attributes)
        except Exception as error:
            self.log.warn_once("otel:start", f"could not start a span ({error}).")
            return None

    def _request_attributes(self, call: TrackedCall) -> Attributes:
        view = call.view
        params = view.params or {}
        attributes: Attributes = {"mcp.method.name": call.method}
        request_id = getattr(view.context, "request_id", None)
        if isinstance(request_id, str | int) and not isinstance(request_id, bool):
            attributes["jsonrpc.request.id"] = str(request_id)
        session_id = view.transport_session_id or (call.state.id if call.state is not None else None)
        if session_id:
            attributes["mcp.session.id"] = session_id
        protocol = view.header("mcp-protocol-version")
        if protocol is None and call.state is not None:
            with self._lock:
                known = self._sessions.get(call.state.id)
            protocol = known.attributes.get("mcp.protocol.version") if known is not None else None
        if protocol is None and call.method == "initialize":
            protocol = params.get("protocolVersion")
        if isinstance(protocol, str) and protocol:
            attributes["mcp.protocol.version"] = protocol
        name = _str(params.get("name"))
        if call.method == "tools/call":
            attributes["gen_ai.operation.name"] = "execute_tool"
            if name:
                attributes["gen_ai.tool.name"] = name
        elif call.method == "prompts/get" and name:
            attributes["gen_ai.prompt.name"] = name
        uri = _str(params.get("uri"))
        if uri and call.method.startswith("resources/"):
            attributes["mcp.resource.uri"] = uri
        if view.is_http:
            attributes["network.transport"] = "tcp"
            attributes["network.protocol.name"] = "http"
            forwarded = view.header("x-forwarded-for")
            address = forwarded.split(",")[0].strip() if forwarded else ""
            if address:
                attributes["client.address"] = address
        return attributes

    def _remote_parent(self, call: TrackedCall) -> Any:
        """The client's span context from ``params._meta`` (``traceparent``/``tracestate``), if sent."""
        meta = call.view.meta
        if meta is None or not isinstance(meta.get("traceparent"), str):
            return None
        trace = self.trace
        carrier = {key: value for key, value in meta.items() if isinstance(value, str)}
        extracted = self.propagate.extract(carrier)
        if not trace.get_current_span(extracted).get_span_context().is_valid:
            # No W3C propagator configured (OTEL_PROPAGATORS without tracecontext): parse it here.
            match = _TRACEPARENT.match(carrier["traceparent"].strip())
            if match is None:
                return None
            span_context = trace.SpanContext(
                int(match[1], 16),
                int(match[2], 16),
                is_remote=True,
                trace_flags=trace.TraceFlags(int(match[3], 16)),
            )
            extracted = trace.set_span_in_context(trace.NonRecordingSpan(span_context))
        return extracted if trace.get_current_span(extracted).get_span_context().is_valid else None

    # --- end -----------------------------------------------------------------------------------

    def end(self, handle: OtelSpan, call: TrackedCall, thrown: object) -> None:
        """Sets the outcome, records the operation metric and ends the span once the request's
        identity is known (with its real end time)."""
        try:
            outcome: Attributes = {}
            result = _wire_result(call)
            if call.error is not None:
                code = _error_code(thrown)
                outcome["error.type"] = code or _str(call.error.get("type")) or "_OTHER"
                if code:
                    outcome["rpc.response.status_code"] = code
            elif result is not None and result.get("isError") is True:
                outcome["error.type"] = "tool_error"
            if call.method == "initialize" and result is not None:
                version = _str(result.get("protocolVersion"))
                if version:
                    outcome["mcp.protocol.version"] = version
                    self._note_protocol(call, version)
            if handle.own:  # mcp 2.x sets the outcome on its own span itself
                handle.span.set_attributes(outcome)
            merged = {**handle.attributes, **outcome}
            self.operation_duration.record(
                call.duration / 1000, {key: merged[key] for key in _METRIC_KEYS if key in merged}
            )
            pending = call.pending_identity()
            if pending is None or not handle.own:
                # mcp 2.x ends its span as the handler returns: only what is known now goes on it.
                self._finish(handle, call)
            else:
                pending.add_done_callback(lambda _identity: self._finish(handle, call))
        except Exception as error:
            self.log.warn_once("otel:end", f"could not end a span ({error}).")
            if handle.own:
                handle.span.end(end_time=_ns(call.started_at + call.duration / 1000))

    def _finish(self, handle: OtelSpan, call: TrackedCall) -> None:
        span = handle.span
        try:
            identity = call.pending_identity()
            user = with_identity({}, call.resolved_identity() if identity is None else None)
            user_id = _str(user.get("identifyActorGivenId"))
            if user_id:
                span.set_attribute("enduser.id", user_id)
            self._set_text(handle, call)
        except Exception as error:
            self.log.warn_once("otel:end", f"could not complete a span ({error}).")
        finally:
            if handle.own:
                span.end(end_time=_ns(call.started_at + call.duration / 1000))

    def _set_text(self, handle: OtelSpan, call: TrackedCall) -> None:
        """Intent, error message and (opt-in) content, after the same privacy pass as events."""
        status = self.trace.StatusCode.ERROR
        result = _wire_result(call)
        tool_error = call.error is None and result is not None and result.get("isError") is True
        content = call.method == "tools/call" and self.capture_content
        if call.intent is None and call.error is None and not content:
            if tool_error and handle.own:
                handle.span.set_status(status)
            return
        draft: dict[str, Any] = {}
        if call.intent is not None:
            draft["userIntent"] = call.intent
        if call.error is not None:
            draft["error"] = call.error
        if content:
            arguments = (call.forwarded_params or {}).get("arguments")
            draft["parameters"] = arguments if arguments is not None else {}
            draft["response"] = result
        try:
            redact = self.options.redact
            safe = redact_event(draft, _synchronous(redact)) if redact is not None else sanitize_event(draft)
        except Exception:
            # The host's redaction failed (or is async): nothing may leave unredacted, so no text.
            if (call.error is not None or tool_error) and handle.own:
                handle.span.set_status(status)
            return
        span = handle.span
        if isinstance(safe.get("userIntent"), str):
            span.set_attribute(INTENT_ATTRIBUTE, safe["userIntent"])
        if content:
            span.set_attribute("gen_ai.tool.call.arguments", json.dumps(safe.get("parameters"), default=str))
            if call.error is None and not tool_error and safe.get("response") is not None:
                span.set_attribute("gen_ai.tool.call.result", json.dumps(safe["response"], default=str))
        if handle.own:
            error = safe.get("error")
            if isinstance(error, Mapping):
                span.set_status(status, str(error.get("message", "")))
            elif tool_error:
                span.set_status(status)

    # --- sessions ------------------------------------------------------------------------------

    def _touch_session(self, call: TrackedCall, attributes: Attributes) -> None:
        now = call.started_at
        ended: list[_Session] = []
        with self._lock:
            sessions = self._sessions
            while sessions:
                oldest_id, oldest = next(iter(sessions.items()))
                if now - oldest.last <= SESSION_IDLE_TIMEOUT and len(sessions) < MAX_OPEN_SESSIONS:
                    break
                del sessions[oldest_id]
                ended.append(oldest)
            state = call.state
            if state is not None:
                session = sessions.pop(state.id, None) or _Session(now)
                session.last = now
                for key in _SESSION_KEYS:
                    if key in attributes:
                        session.attributes[key] = attributes[key]
                sessions[state.id] = session
        for session in ended:
            self._record_session(session)

    def _note_protocol(self, call: TrackedCall, version: str) -> None:
        if call.state is None:
            return
        with self._lock:
            session = self._sessions.get(call.state.id)
            if session is not None:
                session.attributes["mcp.protocol.version"] = version

    def end_sessions(self) -> None:
        """Ends every open session (at shutdown): each one's first to last request."""
        try:
            with self._lock:
                ended = list(self._sessions.values())
                self._sessions.clear()
            for session in ended:
                self._record_session(session)
        except Exception as error:
            self.log.warn_once("otel:sessions", f"could not record session durations ({error}).")

    def _record_session(self, session: _Session) -> None:
        self.session_duration.record(max(0.0, session.last - session.start), dict(session.attributes))


def _wire_result(call: TrackedCall) -> Mapping[str, Any] | None:
    """The call's result as a wire dict (MCP 1.x handlers return pydantic models)."""
    from .tracked_call import wire_form

    result = wire_form(call.result)
    return result if isinstance(result, Mapping) else None


def _synchronous(fn: Callable[[str], Any]) -> Callable[[str], Any]:
    """The host's redaction, on spans only when it answers at once: an async one cannot run on the
    request path, so its coroutine is closed and the span carries no text."""

    def call(text: str) -> Any:
        result = fn(text)
        if inspect.iscoroutine(result):
            result.close()
        return result

    return call
