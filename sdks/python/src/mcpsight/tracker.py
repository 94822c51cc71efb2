"""Tracking of one server. Every request passes through :meth:`Tracker.observe` (or, for the MCP
1.x handshake, :meth:`begin` and :meth:`finish`): it resolves the session, strips the agent's
intent, starts identify beside the handler, calls the real handler and records the outcome. This is
the one place a request starts and ends, so its OpenTelemetry span (the ``otel`` option) starts
and ends here too. Nothing here may raise into the host: internal failures fall back to the plain handler.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from .client_info import announced_client
from .constants import CONTEXT_PARAMETER, EVENT_IDENTIFY, REPORT_MISSING_TOOL
from .detect import DetectedServer
from .event import NameVersion, new_event
from .identify import Identifier, IdentifyOutcome
from .intent import (
    DEFAULT_CONTEXT_DESCRIPTION,
    inject_context,
    report_missing_result,
    strip_context,
    with_report_missing_tool,
)
from .log import SdkLogger
from .memory import identity_changed, project_memory
from .options import ResolvedOptions
from .otel import OtelInstrument
from .pending import Pending
from .pipeline import Pipeline
from .request_view import RequestView
from .sanitize import clip
from .session import SessionState
from .tasks import spawn
from .tracked_call import ReadyEvent, TrackedCall, wire_form
from .types import UserIdentity

UNTRACKED_METHODS = frozenset({"ping"})
"""Keep-alives are not worth an event."""


class Codec(Protocol):
    """How a server line's results convert to and from the wire form (dicts)."""

    def to_wire(self, result: Any) -> Any: ...

    def from_wire(self, wire: dict[str, Any], method: str, original: Any) -> Any: ...


class WireCodec:
    """Results that are wire dicts already (MCP 2.x middleware)."""

    def to_wire(self, result: Any) -> Any:
        return wire_form(result)

    def from_wire(self, wire: dict[str, Any], method: str, original: Any) -> Any:
        return wire


WIRE = WireCodec()


class Tracker:
    def __init__(
        self,
        project_id: str,
        server: DetectedServer,
        options: ResolvedOptions,
        log: SdkLogger,
        pipeline: Pipeline,
    ) -> None:
        self.project_id = project_id
        self.server = server
        self.options = options
        self.log = log
        self.pipeline = pipeline
        self.memory = project_memory(project_id)
        cache = options.identify_cache
        self.identifier = Identifier(options, log, self.memory.identify_cache(cache.ttl if cache else None))
        self.last_session: SessionState | None = None
        """The session of the latest request, for publish_custom_event(server, ...)."""
        self._server_info: tuple[Any, Any, NameVersion | None] = (None, None, None)
        self.otel = OtelInstrument.create(options, log)

    # --- per request ---------------------------------------------------------------------------

    async def observe(
        self,
        view: RequestView,
        forward: Callable[[Mapping[str, Any] | None], Awaitable[Any]],
        codec: Codec,
    ) -> Any:
        """Runs one request: ``forward(params)`` calls the real handler, with params changed when
        the agent's intent was taken out of them (else None: the request as received)."""
        # Awaited only for a tools/call of a tool no tools/list has shown, carrying `context`.
        unlisted = self._unlisted_tool(view)
        call = self.begin(view, await self.server.tool_schema(unlisted) if unlisted is not None else None)
        if call is None:
            return await forward(None)
        if call.report_missing:
            answer = report_missing_result()
            return self.finish(call, codec.from_wire(answer, call.method, None), codec, recorded=answer)
        changed = call.forwarded_params if call.forwarded_params is not view.params else None
        try:
            if call.span is None:
                result = await forward(changed)
            else:
                with call.span.active():
                    result = await forward(changed)
        except Exception as error:
            self.fail(call, error)
            raise
        return self.finish(call, result, codec)

    def begin(self, view: RequestView, tool_schema: Mapping[str, Any] | None = None) -> TrackedCall | None:
        """Starts tracking a request; ``tool_schema``: the called tool's, when no tools/list told
        whether its ``context`` argument is mcpsight's (see :meth:`_unlisted_tool`)."""
        try:
            method = view.method
            if method in UNTRACKED_METHODS:
                return None
            now = time.monotonic()
            state = self.memory.sessions.resolve(view, self.options.stateless, now)
            if state is not None:
                self.last_session = state
            call = TrackedCall(self, view, state)
            if method == "tools/call":
                self._strip_intent(call, view.params or {}, tool_schema)
            if self.identifier.enabled:
                if state is None:
                    call.identity = self._identify_stateless(view)
                elif method == "tools/call" or state.identified:
                    # The first identify waits for a tool call; once identified, any request with a
                    # new credential re-identifies, so no event is attributed to the previous user.
                    self._identify_session(state, view)
            if state is not None:
                pending = state.pending
                call.identity = pending if pending is not None and not pending.done else state.identity
            if self.otel is not None:
                call.span = self.otel.start(call)
            return call
        except Exception as error:
            self.log.warn_once(
                "track:begin", f"could not track a {view.method} request ({error}); it ran untracked."
            )
            return None

    def finish(
        self, call: TrackedCall, result: Any, codec: Codec, *, submit: bool = True, recorded: Any = None
    ) -> Any:
        """Records the outcome (``recorded``, else ``result``); returns what the host should answer
        (tools/list gains the context argument and get_more_tools)."""
        out = result
        try:
            if recorded is None:
                recorded = result
            if call.method == "tools/list":
                recorded = codec.to_wire(result)
                if isinstance(recorded, Mapping):
                    out = codec.from_wire(self._decorate_tool_list(recorded), call.method, result)
            elif call.method == "initialize":
                recorded = codec.to_wire(recorded)
                self._note_client(call, recorded)
            call.settle(recorded, None)
            if call.span is not None:
                call.span.end(call)
            if submit and self.options.enable_tracing:
                self.pipeline.submit(call)
        except Exception as error:
            self.log.warn_once("track:finish", f"could not record a {call.method} result ({error}).")
            return result
        return out

    def fail(
        self, call: TrackedCall, error: BaseException | Mapping[str, Any], *, submit: bool = True
    ) -> None:
        try:
            from .event import error_data_of

            call.settle(None, error_data_of(error))
            if call.span is not None:
                call.span.end(call, error)
            if submit and self.options.enable_tracing:
                self.pipeline.submit(call)
        except Exception as internal:
            self.log.warn_once("track:fail", f"could not record a {call.method} error ({internal}).")

    def submit(self, call: TrackedCall) -> None:
        """Queues a call settled earlier with ``submit=False``."""
        if self.options.enable_tracing:
            self.pipeline.submit(call)

    # --- what events read ----------------------------------------------------------------------

    def server_info(self) -> NameVersion | None:
        """The server's name and version, recomputed only when they change."""
        name, version = self.server.name_version()
        cached_name, cached_version, info = self._server_info
        if name != cached_name or version != cached_version:
            info = (
                NameVersion(name, version if isinstance(version, str) and version else None)
                if (isinstance(name, str) and name)
                else None
            )
            self._server_info = (name, version, info)
        return info

    def stateless_client(
        self, call_method: str, view: RequestView, result: Any
    ) -> tuple[NameVersion | None, str | None]:
        """The client and correlation id of a stateless request (docs/PROTOCOL.md, "Stateless sessions")."""
        return self.memory.stateless_clients.resolve(call_method, view, result, time.monotonic())

    # --- internals -----------------------------------------------------------------------------

    def _strip_intent(
        self, call: TrackedCall, params: Mapping[str, Any], tool_schema: Mapping[str, Any] | None
    ) -> None:
        tool = params.get("name")
        arguments = params.get("arguments")
        if self.options.enable_report_missing and tool == REPORT_MISSING_TOOL:
            call.report_missing = True
            context = arguments.get(CONTEXT_PARAMETER) if isinstance(arguments, Mapping) else None
            call.intent = clip(context, 4096) if isinstance(context, str) else None
        elif (
            self.options.enable_tool_call_context
            and isinstance(arguments, Mapping)
            and CONTEXT_PARAMETER in arguments
            and isinstance(tool, str)
            and self._strips_context(tool, tool_schema)
        ):
            rest, call.intent = strip_context(arguments)
            call.forwarded_params = {**params, "arguments": rest}

    def _unlisted_tool(self, view: RequestView) -> str | None:
        """The called tool, when its input schema must come from the server's registry (a
        ``context`` argument, and no tools/list result has shown the tool yet: after a restart, or on
        a replica that served none): without it a tool's own ``context`` argument would be taken for
        the agent's intent and removed. None for every other request."""
        try:
            if view.method != "tools/call" or not self.options.enable_tool_call_context:
                return None
            params = view.params or {}
            tool, arguments = params.get("name"), params.get("arguments")
            if (
                not isinstance(tool, str)
                or not isinstance(arguments, Mapping)
                or CONTEXT_PARAMETER not in arguments
                or tool in self.memory.injected_tools
            ):
                return None
            return tool
        except Exception:
            return None

    def _strips_context(self, tool: str, schema: Mapping[str, Any] | None) -> bool:
        """Whether ``context`` in a tool's arguments is ours to remove (the tool has none of its own).
        A tool neither listed nor in a registry mcpsight can read (a low-level ``Server``'s before
        its first tools/list) is taken to have none."""
        known = self.memory.injected_tools.get(tool)
        if known is not None:
            return known
        properties = schema.get("properties") if isinstance(schema, Mapping) else None
        return not (isinstance(properties, Mapping) and CONTEXT_PARAMETER in properties)

    def _decorate_tool_list(self, result: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(result)
        if self.options.enable_tool_call_context:
            description = self.options.custom_context_description or DEFAULT_CONTEXT_DESCRIPTION
            out, skipped = inject_context(out, description, self.memory.injected_tools)
            for reason in skipped:
                self.log.debug(f"context argument not added to {reason}")
        if self.options.enable_report_missing:
            out = with_report_missing_tool(out)
        return out

    def _note_client(self, call: TrackedCall, result: Any) -> None:
        """After initialize: the session's client, or (stateless) the client to remember for the
        requests that follow, before the client can send its next request."""
        if call.state is not None:
            call.state.client_info = announced_client(call.view)
        else:
            self.memory.stateless_clients.announce(call.view, result, time.monotonic())

    def _identify_session(self, state: SessionState, view: RequestView) -> None:
        """Stateful: identify once per session on its first tool call, again on a new credential."""
        credential = view.credential_fingerprint()
        if state.identified and state.credential == credential:
            return
        state.identified = True
        state.credential = credential
        previous = state.pending if state.pending is not None and not state.pending.done else None
        previous_identity = state.identity
        pending: Pending[UserIdentity] = Pending()
        state.pending = pending
        started = time.time()

        def settle(outcome: IdentifyOutcome | None, place: int) -> None:
            if outcome is None or outcome.kind == "failed":
                # The requests of this credential keep the session's previous identity.
                if previous is not None:
                    previous.add_done_callback(pending.resolve)
                else:
                    pending.resolve(previous_identity)
                return
            identity = outcome.identity if outcome.kind == "identified" else None
            if state.credential == credential:  # not superseded by a newer credential
                if identity is not None:
                    if identity_changed(state.identity, identity):
                        state.identity = identity
                        self._emit_identify(identity, state, view, started, place)
                else:
                    state.identity = None
            pending.resolve(identity)

        self._run_identify(view, settle)

    def _identify_stateless(self, view: RequestView) -> Pending[UserIdentity]:
        """Stateless: identify every request (through the cache when configured)."""
        pending: Pending[UserIdentity] = Pending()
        started = time.time()

        def settle(outcome: IdentifyOutcome | None, place: int) -> None:
            identity = outcome.identity if outcome is not None and outcome.kind == "identified" else None
            if identity is not None and self.memory.note_stateless_identity(identity, time.monotonic()):
                self._emit_identify(identity, None, view, started, place)
            pending.resolve(identity)

        self._run_identify(view, settle)
        return pending

    def _run_identify(self, view: RequestView, settle: Callable[[IdentifyOutcome | None, int], None]) -> None:
        """Runs identify, then ``settle`` with its outcome and the identify event's place, reserved
        now: a flush from now on waits for it, and it is submitted before the requests that wait
        for this identity. Released if ``settle`` submitted no event in it."""
        place = self.pipeline.reserve()

        def finish(outcome: IdentifyOutcome | None) -> None:
            try:
                settle(outcome, place)
            except Exception as error:
                self.log.warn_once("identify:internal", f"could not apply an identify result ({error}).")
            finally:
                self.pipeline.release(place)

        async def run() -> None:
            outcome: IdentifyOutcome | None = None
            try:
                outcome = await self.identifier.run(view)
            except Exception as error:
                self.log.warn_once("identify:internal", f"could not run identify ({error}).")
            finally:
                finish(outcome)

        if not spawn(run):
            self.log.warn_once(
                "identify:loop",
                "identify needs a running event loop; the request stays anonymous.",
            )
            finish(None)

    def _emit_identify(
        self, identity: UserIdentity, state: SessionState | None, view: RequestView, at: float, place: int
    ) -> None:
        client = state.client_info if state is not None else self.stateless_client(view.method, view, None)[0]
        event = new_event(
            self.project_id,
            state.id if state is not None else None,
            client,
            self.server_info(),
            EVENT_IDENTIFY,
            at,
        )
        self.pipeline.submit_ready(ReadyEvent(event, identity, self.options.redact, self.log), place)
