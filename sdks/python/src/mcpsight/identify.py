"""Runs the user's identify callback safely: bounded by a timeout, its result validated, its
failures turned into one warning each. Never raises.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .constants import NAME_LENGTH
from .log import SdkLogger
from .lru import ExpiringLru
from .options import ResolvedOptions
from .request_view import RequestView, authenticated_user, fingerprint
from .sanitize import clip
from .tasks import CallFailed, call_user, describe
from .types import UserIdentity


@dataclass(frozen=True)
class IdentifyOutcome:
    """``kind`` is "identified" (with ``identity``), "anonymous" or "failed" (with ``problem``)."""

    kind: str
    identity: UserIdentity | None = None
    problem: str = ""


ANONYMOUS = IdentifyOutcome("anonymous")


def to_identity(value: object) -> UserIdentity | None:
    """Checks and copies what identify returned; None when it is not a usable identity.

    Accepts a :class:`UserIdentity` (or any object with ``user_id``, such as MCPcat's) and a dict
    with ``user_id``/``user_name``/``user_data`` (or ``userId``/``userName``/``userData``).
    """
    if isinstance(value, Mapping):
        user_id = value.get("user_id", value.get("userId"))
        user_name = value.get("user_name", value.get("userName"))
        user_data = value.get("user_data", value.get("userData"))
    else:
        user_id = getattr(value, "user_id", None)
        user_name = getattr(value, "user_name", None)
        user_data = getattr(value, "user_data", None)
    if not isinstance(user_id, str) or not user_id:
        return None
    return UserIdentity(
        user_id=clip(user_id, NAME_LENGTH),
        user_name=clip(user_name, NAME_LENGTH) if isinstance(user_name, str) else None,
        user_data=dict(user_data) if isinstance(user_data, Mapping) else None,
    )


def _shape(value: object) -> str:
    if isinstance(value, Mapping):
        return f"a dict with keys {sorted(str(k) for k in value)}"
    return type(value).__name__


class Identifier:
    """Calls identify with a timeout, an optional cache and one warning per distinct problem."""

    def __init__(
        self, options: ResolvedOptions, log: SdkLogger, cache: ExpiringLru[UserIdentity | None] | None
    ) -> None:
        self._options = options
        self._log = log
        self._cache = cache if options.identify_cache is not None else None

    @property
    def enabled(self) -> bool:
        return self._options.identify is not None

    async def run(self, view: RequestView) -> IdentifyOutcome:
        """The identity behind ``view``. Must run in the request's context (see tasks.spawn)."""
        key = self._cache_key(view) if self._cache is not None else None
        if key is not None and self._cache is not None:
            now = time.monotonic()
            if self._cache.has(key, now):
                hit = self._cache.get(key, now)
                return IdentifyOutcome("identified", hit) if hit is not None else ANONYMOUS
        outcome = await self._call(view)
        if outcome.kind == "failed":
            self._log.warn_once(
                f"identify:{outcome.problem.split(' ')[0]}",
                f"identify {outcome.problem}; the request was tracked without (new) identity.",
            )
        elif key is not None and self._cache is not None:
            self._cache.set(key, outcome.identity, time.monotonic())
        return outcome

    def _cache_key(self, view: RequestView) -> str | None:
        cache = self._options.identify_cache
        custom = cache.key if cache is not None else None
        if custom is None:
            return view.credential_fingerprint()
        try:
            value = custom(view.request, view.context)
        except Exception as error:
            self._log.warn_once(
                "identify_cache.key", f"identify_cache.key raised ({describe(error)}); not caching."
            )
            return None
        return fingerprint(value) if isinstance(value, str) and value else None

    async def _call(self, view: RequestView) -> IdentifyOutcome:
        identify = self._options.identify
        if identify is None:
            return ANONYMOUS
        try:
            with _auth_context_of(view):
                value = await call_user(
                    identify,
                    view.request,
                    view.context,
                    timeout=self._options.identify_timeout,
                    in_thread=True,
                )
        except CallFailed as failure:
            return IdentifyOutcome("failed", problem=failure.problem)
        if value is None:
            return ANONYMOUS
        identity = to_identity(value)
        if identity is None:
            return IdentifyOutcome(
                "failed",
                problem=(
                    "returned an invalid identity (expected UserIdentity(user_id=str, user_name=None, "
                    f"user_data=None) or a dict with user_id, got {_shape(value)})"
                ),
            )
        return IdentifyOutcome("identified", identity)


class _auth_context_of:
    """Sets the MCP SDK's auth context variable to the request's own authenticated user while
    identify runs, so ``get_access_token()`` inside identify returns this request's token even on
    a stateful session whose task started with an earlier request's context."""

    def __init__(self, view: RequestView) -> None:
        self._user = authenticated_user(view.http)
        self._token: Any = None
        self._var: Any = None

    def __enter__(self) -> None:
        if self._user is None:
            return
        import sys

        module = sys.modules.get("mcp.server.auth.middleware.auth_context")
        var = getattr(module, "auth_context_var", None)
        if var is not None:
            try:
                if var.get() is not self._user:
                    self._token, self._var = var.set(self._user), var
            except Exception:
                self._var = None

    def __exit__(self, *exc: object) -> None:
        if self._var is not None:
            try:
                self._var.reset(self._token)
            except Exception:
                pass
