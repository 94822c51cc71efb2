"""One POST of a gzipped batch to ``/v1/batch``, with the standard library's http.client (a
keep-alive connection per delivery thread). Decides from the response what happens to the batch.
"""

from __future__ import annotations

import http.client
import json
import threading
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from .._version import SDK_LANGUAGE, SDK_VERSION
from ..constants import BATCH_PATH, PROJECT_HEADER, PROTOCOL_HEADER, PROTOCOL_VERSION, SDK_HEADER
from .backoff import parse_retry_after


@dataclass
class Rejection:
    index: int
    code: str
    reason: str


@dataclass
class PostOutcome:
    """``kind``: "sent" (2xx; ``rejected`` lists per-event rejections), "retry" (network error, 408,
    429, 5xx), "not_found" (404: unknown project) or "rejected" (any other 4xx: the whole batch)."""

    kind: str
    status: int = 0
    reason: str = ""
    retry_after: float | None = None
    rejected: list[Rejection] = field(default_factory=list)


class Target:
    """Where batches go, and a connection per thread that sends them."""

    def __init__(self, endpoint: str, timeout: float) -> None:
        url = urllib.parse.urlsplit(endpoint.rstrip("/") + BATCH_PATH)
        self.scheme = url.scheme or "http"
        self.host = url.hostname or "127.0.0.1"
        self.port = url.port
        self.path = url.path + (f"?{url.query}" if url.query else "")
        self.timeout = timeout
        self.url = urllib.parse.urlunsplit(url)
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is None:
            cls = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
            connection = cls(self.host, self.port, timeout=self.timeout)
            self._local.connection = connection
        return connection

    def close(self) -> None:
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None:
            try:
                connection.close()
            except Exception:
                pass

    def post(self, project_id: str, body: bytes) -> PostOutcome:
        """Never raises: every failure becomes an outcome."""
        headers = {
            "Content-Type": "application/json",
            "Content-Encoding": "gzip",
            PROTOCOL_HEADER: PROTOCOL_VERSION,
            SDK_HEADER: f"{SDK_LANGUAGE}/{SDK_VERSION}",
            PROJECT_HEADER: project_id,
        }
        try:
            status, retry_after, text = self._send(headers, body)
        except (TimeoutError, OSError, http.client.HTTPException) as error:
            self.close()
            return PostOutcome("retry", reason=f"{type(error).__name__}: {error}")
        except Exception as error:
            self.close()
            return PostOutcome("retry", reason=f"{type(error).__name__}: {error}")
        return outcome_of(status, retry_after, text)

    def _send(self, headers: dict[str, str], body: bytes) -> tuple[int, str | None, str]:
        for attempt in (1, 2):
            connection = self._connection()
            try:
                connection.request("POST", self.path, body=body, headers=headers)
                response = connection.getresponse()
                text = response.read(1 << 20).decode("utf-8", "replace")
                if response.will_close:
                    self.close()
                return response.status, response.getheader("Retry-After"), text
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # A keep-alive connection the server closed while idle: retry once on a new one.
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def outcome_of(status: int, retry_after: str | None, text: str) -> PostOutcome:
    """What the collector's answer means for the batch (docs/PROTOCOL.md, "Answers")."""
    if 200 <= status < 300:
        return PostOutcome("sent", status, rejected=_rejections(text))
    if status in (408, 429) or status >= 500:
        return PostOutcome("retry", status, f"HTTP {status}", parse_retry_after(retry_after))
    if status == 404:
        return PostOutcome("not_found", status, _error_message(text))
    return PostOutcome("rejected", status, _error_message(text))


def _rejections(text: str) -> list[Rejection]:
    try:
        parsed: Any = json.loads(text) if text else {}
    except ValueError:
        return []
    rejected = parsed.get("rejected") if isinstance(parsed, dict) else None
    out: list[Rejection] = []
    for entry in rejected if isinstance(rejected, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("index"), int):
            field = entry.get("field")
            reason = str(entry.get("reason", ""))
            out.append(
                Rejection(
                    entry["index"],
                    str(entry.get("code", "invalid_event")),
                    f"{field}: {reason}" if isinstance(field, str) and field else reason,
                )
            )
    return out


def _error_message(text: str) -> str:
    try:
        parsed: Any = json.loads(text)
        error = parsed.get("error") if isinstance(parsed, dict) else None
        if isinstance(error, dict):
            return f"{error.get('code', '')}: {error.get('message', '')}".strip(": ")
    except ValueError:
        pass
    return text[:300]
