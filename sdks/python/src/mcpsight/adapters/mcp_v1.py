"""The MCP 1.x line (``mcp`` 1.x: ``Server`` and ``FastMCP``; ``fastmcp`` 2.x).

Requests: the low-level ``Server`` keeps handlers in ``request_handlers``, a dict by request type;
it is replaced by a dict that wraps every handler stored in it, so handlers registered before and
after ``track()`` are tracked alike. The request context (``server.request_context``) is read
inside the wrapper.

``initialize`` never reaches those handlers: the session ``run()`` creates answers it. So ``run``
is wrapped too: it watches the connection's message streams for the ``initialize`` request and its
response, and marks every request of the connection with the connection (a context variable that
the handlers' tasks inherit), which also tells stateless HTTP requests (``run(stateless=True)``)
from a session's. The 1.x HTTP transport names a session only in its response to ``initialize``,
so that event waits for the session's next message to learn the session id.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Mapping
from typing import Any

from ..request_view import RequestView
from ..tracked_call import TrackedCall, wire_form
from ..tracker import UNTRACKED_METHODS, WIRE, Tracker

_CONNECTION: contextvars.ContextVar[RunConnection | None] = contextvars.ContextVar(
    "mcpsight_connection", default=None
)
_MARK = "__mcpsight_tracked__"


def _types() -> Any:
    import mcp.types  # the 1.x line's types: only reached when tracking a 1.x server

    return mcp.types


class V1Codec:
    """1.x results are pydantic models (``ServerResult``); the tracker works on their wire form."""

    def to_wire(self, result: Any) -> Any:
        return wire_form(result)

    def from_wire(self, wire: dict[str, Any], method: str, original: Any) -> Any:
        types = _types()
        model_type = {"tools/list": types.ListToolsResult, "tools/call": types.CallToolResult}.get(method)
        if model_type is None:
            return original
        model = model_type.model_validate(wire)
        wrapper = type(original) if original is not None and hasattr(original, "root") else types.ServerResult
        return wrapper(model)


CODEC = V1Codec()


class TrackedHandlers(dict[Any, Any]):
    """``request_handlers`` that wraps each handler as it is stored."""

    def __init__(self, wrap: Callable[[Any, Any], Any], existing: Mapping[Any, Any]) -> None:
        super().__init__()
        self._wrap = wrap
        for key, handler in existing.items():
            self[key] = handler

    def __setitem__(self, key: Any, handler: Any) -> None:
        if not getattr(handler, _MARK, False):
            handler = self._wrap(key, handler)
        super().__setitem__(key, handler)

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, handler in dict(*args, **kwargs).items():
            self[key] = handler

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]


def _method_of(request_type: Any) -> str | None:
    fields = getattr(request_type, "model_fields", None)
    field = fields.get("method") if isinstance(fields, Mapping) else None
    default = getattr(field, "default", None)
    return default if isinstance(default, str) else None


def _params_of(request: Any) -> dict[str, Any] | None:
    params = getattr(request, "params", None)
    if params is None:
        return None
    if isinstance(params, Mapping):
        return dict(params)
    dump = getattr(params, "model_dump", None)
    # exclude_unset: the params as the client sent them (a parsed request's set fields).
    return dump(by_alias=True, mode="json", exclude_unset=True) if callable(dump) else None


def _with_params(request: Any, params: Mapping[str, Any]) -> Any:
    """The request with its tool arguments replaced (the intent taken out)."""
    old = request.params
    return request.model_copy(
        update={"params": old.model_copy(update={"arguments": params.get("arguments")})}
    )


def _header(http: Any, name: str) -> str | None:
    try:
        value = http.headers.get(name)
    except Exception:
        return None
    return value if isinstance(value, str) and value else None


def _view(low: Any, method: str, request: Any) -> RequestView:
    try:
        context = low.request_context
    except Exception:
        context = None
    http = getattr(context, "request", None)
    if http is not None and not hasattr(http, "headers"):
        http = None
    connection = _CONNECTION.get()
    transport_session_id = _header(http, "mcp-session-id") if http is not None else None
    if connection is not None and transport_session_id is not None:
        connection.bind(transport_session_id)
    return RequestView(
        method,
        _params_of(request),
        context=context,
        make_request=lambda: request,
        http=http,
        connection=connection if connection is not None else getattr(context, "session", None),
        transport_session_id=transport_session_id
        or (connection.transport_session_id if connection is not None else None),
        stateless_transport=connection.stateless if connection is not None else None,
    )


def _handler_wrapper(tracker: Tracker, low: Any) -> Callable[[Any, Any], Any]:
    def wrap(request_type: Any, handler: Any) -> Any:
        method = _method_of(request_type)
        if method is None or method in UNTRACKED_METHODS or not callable(handler):
            return handler

        async def tracked(request: Any, *args: Any, **kwargs: Any) -> Any:
            if request is None:  # the server calling its own handler (the 1.x tool cache refresh)
                return await handler(request, *args, **kwargs)
            try:
                view = _view(low, method, request)
            except Exception:
                return await handler(request, *args, **kwargs)

            async def forward(params: Mapping[str, Any] | None) -> Any:
                return await handler(
                    request if params is None else _with_params(request, params), *args, **kwargs
                )

            return await tracker.observe(view, forward, CODEC)

        setattr(tracked, _MARK, True)
        return tracked

    return wrap


class _InitializeContext:
    """What identify receives as ``context`` for ``initialize`` (no request context exists yet)."""

    def __init__(self, request_id: Any, meta: Any, request: Any) -> None:
        self.request_id = request_id
        self.meta = meta
        self.request = request
        self.session = None
        self.lifespan_context = None


class RunConnection:
    """One ``run()`` of a 1.x server: a stdio or in-memory connection, a stateful HTTP session,
    or (``stateless=True``) one stateless HTTP request."""

    __slots__ = (
        "__weakref__",
        "awaiting",
        "held",
        "observing",
        "seen_initialize",
        "stateless",
        "tracker",
        "transport_session_id",
    )

    def __init__(self, tracker: Tracker, stateless: bool) -> None:
        self.tracker = tracker
        self.stateless = stateless
        self.transport_session_id: str | None = None
        self.seen_initialize = False
        self.awaiting: tuple[Any, TrackedCall] | None = None
        """The initialize request waiting for its response: its JSON-RPC id and tracked call."""
        self.held: TrackedCall | None = None
        """A finished initialize waiting for the HTTP session id."""
        self.observing = True

    def bind(self, transport_session_id: str) -> None:
        if self.transport_session_id is not None:
            return
        self.transport_session_id = transport_session_id
        state = self.tracker.memory.sessions.connection_state(self)
        if state is not None:
            self.tracker.memory.sessions.bind_transport_id(state, transport_session_id, state.last_seen)
        self.release()

    def release(self) -> None:
        held, self.held = self.held, None
        if held is not None:
            self.tracker.submit(held)

    def observe_inbound(self, item: Any) -> None:
        try:
            metadata = getattr(item, "metadata", None)
            http = getattr(metadata, "request_context", None)
            if http is not None and self.transport_session_id is None and hasattr(http, "headers"):
                transport_session_id = _header(http, "mcp-session-id")
                if transport_session_id is not None:
                    self.bind(transport_session_id)
            root = getattr(getattr(item, "message", None), "root", None)
            if (
                not self.seen_initialize
                and getattr(root, "method", None) == "initialize"
                and hasattr(root, "id")
            ):
                self.seen_initialize = True
                self._begin_initialize(root, http if hasattr(http, "headers") else None)
            elif self.awaiting is None and self.held is None and (http is None or self.transport_session_id):
                self.observing = False  # nothing left to learn from this connection's messages
        except Exception as error:
            self.tracker.log.warn_once("track:initialize", f"could not track initialize ({error}).")

    def _begin_initialize(self, root: Any, http: Any) -> None:
        params = root.params if isinstance(root.params, Mapping) else None
        meta = params.get("_meta") if params else None

        def make_request() -> Any:
            return _types().ClientRequest.model_validate({"method": "initialize", "params": params}).root

        view = RequestView(
            "initialize",
            params,
            context=_InitializeContext(root.id, meta, http),
            make_request=make_request,
            http=http,
            connection=self,
            transport_session_id=self.transport_session_id,
            stateless_transport=self.stateless,
        )
        call = self.tracker.begin(view)
        if call is not None:
            self.awaiting = (root.id, call)

    def observe_outbound(self, item: Any) -> None:
        awaiting = self.awaiting
        if awaiting is None:
            return
        try:
            root = getattr(getattr(item, "message", None), "root", None)
            if getattr(root, "id", None) != awaiting[0] or not (
                hasattr(root, "result") or hasattr(root, "error")
            ):
                return
            self.awaiting = None
            call = awaiting[1]
            error = getattr(root, "error", None)
            if error is not None:
                self.tracker.fail(
                    call,
                    {"message": getattr(error, "message", str(error)), "code": getattr(error, "code", None)},
                    submit=False,
                )
            else:
                self.tracker.finish(call, getattr(root, "result", None), WIRE, submit=False)
            # An HTTP session's id is known from its next request on; until then the event waits.
            if call.view.is_http and not self.stateless and self.transport_session_id is None:
                self.held = call
            else:
                self.tracker.submit(call)
        except Exception as error:
            self.tracker.log.warn_once("track:initialize", f"could not record initialize ({error}).")


class _StreamProxy:
    """A memory stream of the connection, passed through; subclasses watch what goes by."""

    def __init__(self, inner: Any, connection: RunConnection) -> None:
        self._inner = inner
        self._connection = connection

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def __aenter__(self) -> Any:
        await self._inner.__aenter__()
        return self

    async def __aexit__(self, *exc: Any) -> Any:
        return await self._inner.__aexit__(*exc)


class _ReadObserver(_StreamProxy):
    """The connection's inbound stream, watched for ``initialize`` and the HTTP session id."""

    def __aiter__(self) -> _ReadObserver:
        return self

    async def __anext__(self) -> Any:
        item = await self._inner.__anext__()
        if self._connection.observing:
            self._connection.observe_inbound(item)
        return item

    async def receive(self) -> Any:
        item = await self._inner.receive()
        if self._connection.observing:
            self._connection.observe_inbound(item)
        return item


class _WriteObserver(_StreamProxy):
    """The connection's outbound stream, watched for the response to ``initialize``."""

    async def send(self, item: Any) -> None:
        if self._connection.awaiting is not None:
            self._connection.observe_outbound(item)
        await self._inner.send(item)


def _wrap_run(tracker: Tracker, low: Any) -> None:
    original = low.run

    async def run(read_stream: Any, write_stream: Any, *args: Any, **kwargs: Any) -> Any:
        stateless = kwargs.get("stateless", args[2] if len(args) > 2 else False)
        connection = RunConnection(tracker, bool(stateless))
        token = _CONNECTION.set(connection)
        try:
            return await original(
                _ReadObserver(read_stream, connection),
                _WriteObserver(write_stream, connection),
                *args,
                **kwargs,
            )
        finally:
            _CONNECTION.reset(token)
            connection.release()

    setattr(run, _MARK, True)
    low.run = run


def install(tracker: Tracker, low: Any) -> None:
    low.request_handlers = TrackedHandlers(_handler_wrapper(tracker, low), low.request_handlers)
    if not getattr(low.run, _MARK, False):
        _wrap_run(tracker, low)


def is_installed(low: Any) -> bool:
    return isinstance(getattr(low, "request_handlers", None), TrackedHandlers)
