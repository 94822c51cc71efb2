"""Sessions of a project. Streamable HTTP sessions are derived from the transport's session id
(``Mcp-Session-Id``) and the project id, so every process serving the same MCP session reports the
same id; stdio and in-memory connections get one random id per connection. Idle sessions end after
30 minutes; the next request starts a new one.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from .constants import SESSION_IDLE_TIMEOUT
from .event import NameVersion
from .request_view import RequestView

MAX_HTTP_SESSIONS = 10_000


def derive_session_id(project_id: str, transport_session_id: str, generation: int = 0) -> str:
    """Deterministic session id for a transport session id within a project."""
    digest = hashlib.sha256(
        project_id.encode() + b"\0" + transport_session_id.encode("utf-8", "surrogatepass")
    )
    if generation > 0:
        digest.update(b"\0" + str(generation).encode())
    return f"ses_{digest.hexdigest()[:32]}"


def random_session_id() -> str:
    return f"ses_{uuid.uuid4().hex}"


@dataclass(eq=False)
class SessionState:
    """What mcpsight remembers about one stateful session."""

    id: str
    last_seen: float
    identity: Any = None
    """The :class:`~mcpsight.UserIdentity` attached to the session's events, once known."""
    identified: bool = False
    """identify has run (or is running); it runs again only when the credential changes."""
    credential: str | None = None
    """Fingerprint of the credential identify ran with."""
    pending: Any = None
    """The identify in flight (a :class:`~mcpsight.pending.Pending`), resolving to the session's identity."""
    client_info: NameVersion | None = None
    transport_session_id: str | None = None
    generation: int = 0


@dataclass
class _Transport:
    state: SessionState
    generation: int = 0


@dataclass
class SessionStore:
    """The sessions of one project, shared by every server tracked with its id in this process."""

    project_id: str
    idle: float = SESSION_IDLE_TIMEOUT
    max_sessions: int = MAX_HTTP_SESSIONS
    _by_transport: OrderedDict[str, _Transport] = field(default_factory=OrderedDict)
    _by_connection: weakref.WeakKeyDictionary[object, SessionState] = field(
        default_factory=weakref.WeakKeyDictionary
    )
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def resolve(self, view: RequestView, force_stateless: bool | None, now: float) -> SessionState | None:
        """The session of a request, or None when it is stateless.

        Stateless: ``stateless=True``, or an HTTP request the transport serves without a session
        (unless ``stateless=False``). Otherwise the session is found by the transport's session id,
        or by the connection (stdio, in-memory, or an HTTP session before its id is known).
        """
        if force_stateless is True:
            return None
        transport_id = view.transport_session_id
        if (
            force_stateless is None
            and transport_id is None
            and (view.stateless_transport is True or (view.stateless_transport is None and view.is_http))
        ):
            return None
        with self._lock:
            connection = view.connection
            state = self.connection_state(connection) if connection is not None else None
            if state is not None and now - state.last_seen > self.idle:
                state = None
            if state is not None:
                if transport_id is not None and state.transport_session_id is None:
                    self._bind(state, transport_id, now)
            elif transport_id is not None:
                state = self._by_transport_id(transport_id, now)
                self._remember_connection(connection, state)
            else:
                state = SessionState(random_session_id(), now)
                self._remember_connection(connection if connection is not None else self, state)
            state.last_seen = now
            if state.transport_session_id is not None:
                self._by_transport.move_to_end(state.transport_session_id)
            return state

    def peek(self, transport_session_id: str) -> SessionState | None:
        """The session of a transport session id, if known (for custom events)."""
        entry = self._by_transport.get(transport_session_id)
        return entry.state if entry is not None else None

    def bind_transport_id(self, state: SessionState, transport_session_id: str, now: float) -> None:
        """Gives a session found by its connection the id derived from its transport session id,
        learned after its first request (the MCP 1.x HTTP transport names the session in the
        response to ``initialize``, so only later requests carry it)."""
        with self._lock:
            if state.transport_session_id is None:
                self._bind(state, transport_session_id, now)

    def connection_state(self, connection: object) -> SessionState | None:
        try:
            return self._by_connection.get(connection)
        except TypeError:
            return None

    def _remember_connection(self, connection: object | None, state: SessionState) -> None:
        if connection is None:
            return
        try:
            self._by_connection[connection] = state
        except TypeError:
            pass  # not weak-referenceable: sessions are then found by transport id only

    def _bind(self, state: SessionState, transport_id: str, now: float) -> None:
        known = self._by_transport.get(transport_id)
        generation = known.generation if known is not None else 0
        state.transport_session_id = transport_id
        state.id = derive_session_id(self.project_id, transport_id, generation)
        self._evict(now)
        self._by_transport[transport_id] = _Transport(state, generation)

    def _by_transport_id(self, transport_id: str, now: float) -> SessionState:
        entry = self._by_transport.get(transport_id)
        if entry is None:
            self._evict(now)
            entry = _Transport(SessionState(derive_session_id(self.project_id, transport_id), now))
            entry.state.transport_session_id = transport_id
            self._by_transport[transport_id] = entry
        elif now - entry.state.last_seen > self.idle:
            entry.generation += 1
            entry.state = SessionState(
                derive_session_id(self.project_id, transport_id, entry.generation), now
            )
            entry.state.transport_session_id = transport_id
            entry.state.generation = entry.generation
        return entry.state

    def _evict(self, now: float) -> None:
        """Drops idle sessions from the front, and the least recently active while at the cap."""
        while self._by_transport:
            key, entry = next(iter(self._by_transport.items()))
            if len(self._by_transport) < self.max_sessions and now - entry.state.last_seen <= self.idle:
                return
            del self._by_transport[key]

    def __len__(self) -> int:
        return len(self._by_transport)
