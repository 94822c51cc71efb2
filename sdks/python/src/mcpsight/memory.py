"""What mcpsight remembers per project across server instances: stateless HTTP servers are often
created per request, so per-instance state would forget everything between requests.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from .constants import SESSION_IDLE_TIMEOUT
from .lru import ExpiringLru
from .session import SessionStore
from .stateless_client import StatelessClients
from .types import UserIdentity

_MAX_REMEMBERED = 10_000


def identity_changed(previous: UserIdentity | None, current: UserIdentity) -> bool:
    """True when ``current`` differs from ``previous`` in id, name or data."""
    if previous is None:
        return True
    if previous.user_id != current.user_id or previous.user_name != current.user_name:
        return True
    if previous.user_data is current.user_data:
        return False
    try:
        return _comparable(previous.user_data) != _comparable(current.user_data)
    except Exception:
        return True  # data that cannot be serialized counts as changed


def _comparable(data: Any) -> str:
    return json.dumps(data, sort_keys=True, default=str)


class ProjectMemory:
    """Sessions, tools' context injection, identify cache, stateless identities and clients."""

    def __init__(self, project_id: str) -> None:
        self.sessions = SessionStore(project_id)
        self.injected_tools: dict[str, bool] = {}
        """Per tool name: did tools/list get the context argument (so tools/call strips it)?"""
        self._identify_cache: ExpiringLru[UserIdentity | None] | None = None
        self._stateless: ExpiringLru[UserIdentity] = ExpiringLru(SESSION_IDLE_TIMEOUT, _MAX_REMEMBERED)
        self.stateless_clients = StatelessClients(project_id)
        """The clients stateless initializes announced, for the requests that follow."""
        self._lock = threading.Lock()

    def identify_cache(self, ttl: float | None) -> ExpiringLru[UserIdentity | None] | None:
        """The project's identify cache, created by the first tracker that asks (its TTL wins)."""
        if ttl is None:
            return None
        with self._lock:
            if self._identify_cache is None:
                self._identify_cache = ExpiringLru(ttl, _MAX_REMEMBERED)
            return self._identify_cache

    def note_stateless_identity(self, identity: UserIdentity, now: float) -> bool:
        """Whether a stateless request's identity deserves an identify event: the user is new,
        changed, or returns after the session idle timeout."""
        with self._lock:
            known = self._stateless.get(identity.user_id, now)
            self._stateless.set(identity.user_id, identity, now)
        return known is None or identity_changed(known, identity)


_memories: dict[str, ProjectMemory] = {}
_memories_lock = threading.Lock()


def project_memory(project_id: str) -> ProjectMemory:
    """The process-wide memory of a project."""
    with _memories_lock:
        memory = _memories.get(project_id)
        if memory is None:
            memory = _memories[project_id] = ProjectMemory(project_id)
        return memory
