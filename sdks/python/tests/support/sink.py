"""A real HTTP server standing in for the collector when a test needs answers the collector would
not give on demand (503, Retry-After, per-event rejections, 413, an outage): it records each batch
and answers from a script."""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def ids(self) -> list[str]:
        return [event["id"] for event in self.body["events"]]


Answer = tuple[int, dict[str, str], dict[str, Any]]


@dataclass
class Sink:
    url: str
    received: list[Received] = field(default_factory=list)
    down: bool = False
    """Drops every connection without an answer, as a collector that is down."""
    attempts: int = 0
    """Batches posted, answered or not."""
    answer: Callable[[Received], Answer] = lambda received: (200, {}, {"accepted": len(received.ids)})
    lock: threading.Lock = field(default_factory=threading.Lock)

    def events(self) -> list[dict[str, Any]]:
        with self.lock:
            return [event for batch in self.received for event in batch.body["events"]]


@contextmanager
def running_sink() -> Iterator[Sink]:
    sink: Sink

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("content-length", "0")))
            with sink.lock:
                sink.attempts += 1
            if sink.down:
                self.close_connection = True
                return
            if self.headers.get("content-encoding") == "gzip":
                raw = gzip.decompress(raw)
            received = Received({k.lower(): v for k, v in self.headers.items()}, json.loads(raw))
            with sink.lock:
                sink.received.append(received)
            status, headers, body = sink.answer(received)
            data = json.dumps(body).encode()
            self.send_response(status)
            for name, value in {"content-type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    sink = Sink(f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        server.shutdown()
        server.server_close()
