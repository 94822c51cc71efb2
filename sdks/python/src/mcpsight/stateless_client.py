"""Who the client of a stateless request is. On 2025-era requests only ``initialize`` names the
client; the requests after it carry a User-Agent that is often just an HTTP library
(``python-httpx2/2.16.2``), so the collector would see two clients and make two sessions. The name
announced at initialize is remembered per credential and client signals (or per correlation id for
anonymous clients) and used for the client's later requests."""

from __future__ import annotations

from typing import Any

from .client_info import announced_client, from_user_agent
from .correlation import Signals, correlation_id_of, signals_digest, signals_of
from .event import NameVersion
from .lru import ExpiringLru
from .request_view import RequestView

MAX_REMEMBERED_CLIENTS = 10_000
CLIENT_MEMORY_TTL = 24 * 3600.0


class StatelessClients:
    """The clients a project's stateless initializes announced, for the requests that follow."""

    def __init__(
        self, project_id: str, max_entries: int = MAX_REMEMBERED_CLIENTS, ttl: float = CLIENT_MEMORY_TTL
    ):
        self.project_id = project_id
        self._names: ExpiringLru[NameVersion] = ExpiringLru(ttl, max_entries)

    def announce(self, view: RequestView, result: Any, now: float) -> None:
        """Remembers the client a successful stateless ``initialize`` announced."""
        info = announced_client(view) if view.method == "initialize" else None
        if info is None:
            return
        key = self._key(view, signals_of("initialize", view, result))
        if key is not None:
            self._names.set(key, info, now)

    def resolve(
        self, method: str, view: RequestView, result: Any, now: float
    ) -> tuple[NameVersion | None, str | None]:
        """The client of a stateless request — what it names, else the name remembered from its
        initialize, else the User-Agent — and its correlation id."""
        signals = signals_of(method, view, result)
        correlation_id = correlation_id_of(self.project_id, signals)
        client = announced_client(view)
        if client is None:
            key = self._key(view, signals, correlation_id)
            client = self._names.get(key, now) if key is not None else None
        if client is None:
            client = from_user_agent(view.header("user-agent"))
        return client, correlation_id

    def _key(self, view: RequestView, signals: Signals, correlation_id: str | None = None) -> str | None:
        """A credential's clients are told apart by their signals too, so two clients sharing an API
        key keep their own names; anonymous clients are known by their correlation id only."""
        credential = view.credential_fingerprint()
        if credential is None:
            return (
                correlation_id if correlation_id is not None else correlation_id_of(self.project_id, signals)
            )
        return f"{credential}:{signals_digest(self.project_id, signals) or ''}"
