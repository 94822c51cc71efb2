"""The SDK's diagnostics: stderr or the user's logger, never stdout (it carries stdio transports)."""

from __future__ import annotations

import sys
import threading

from .types import Logger

_PREFIX = "[mcpsight]"
_MAX_SEEN = 1000

# Warnings already given, per scope (the project id): stateless hosts often build and track a new
# server per request, and each must not repeat what the previous one already said.
_seen_by_scope: dict[str, set[str]] = {}
_seen_lock = threading.Lock()


def _stderr_line(level: str, message: str) -> None:
    try:
        stream = sys.stderr
        if stream is not None:
            stream.write(f"{_PREFIX} {level}: {message}\n")
            stream.flush()
    except Exception:
        pass  # stderr closed: nowhere left to report to, and the host must not notice.


class SdkLogger:
    """Debug lines only when asked; warnings always, but once per distinct problem (``warn_once``).

    Example:
        >>> log = SdkLogger(debug=False, scope="proj_1")
        >>> log.warn_once("identify:threw", "identify threw: boom")  # later repeats go to debug
    """

    def __init__(self, *, debug: bool = False, logger: Logger | None = None, scope: str | None = None):
        self.debug_enabled = debug
        self._user = logger
        if scope is None:
            self._seen: set[str] = set()
        else:
            with _seen_lock:
                if len(_seen_by_scope) >= _MAX_SEEN:
                    _seen_by_scope.clear()
                self._seen = _seen_by_scope.setdefault(scope, set())

    def _user_call(self, names: tuple[str, ...], message: str) -> bool:
        user = self._user
        if user is None:
            return False
        for name in names:
            method = getattr(user, name, None)
            if callable(method):
                try:
                    method(message)
                except Exception:
                    pass  # A throwing user logger must not break tracking.
                return True
        return True

    def debug(self, message: str) -> None:
        if self.debug_enabled and not self._user_call(("debug",), message):
            _stderr_line("debug", message)

    def warn(self, message: str) -> None:
        if not self._user_call(("warning", "warn"), message):
            _stderr_line("warn", message)

    def error(self, message: str) -> None:
        if not self._user_call(("error", "warning", "warn"), message):
            _stderr_line("error", message)

    def warn_once(self, key: str, message: str) -> None:
        """Logs ``message`` the first time ``key`` is seen in this scope; repeats go to debug."""
        if key in self._seen:
            self.debug(message)
            return
        if len(self._seen) > _MAX_SEEN:
            self._seen.clear()
        self._seen.add(key)
        self.warn(message)
