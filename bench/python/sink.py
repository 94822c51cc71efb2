"""A counting HTTP sink, run as its own process so its parsing never competes with the measured
process for the GIL: mcpsight's /v1/batch bodies are gunzipped, parsed and counted (deduplicated by
event id); anything else (the peers' own endpoints) is answered 200 and counted as requests.

    python sink.py  → prints "listening <port>", then serves until stdin closes. GET /count answers
    {"events": distinct mcpsight events, "requests": other POSTs}.
"""

from __future__ import annotations

import gzip
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ids: set[str] = set()
others = 0
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        global others
        raw = self.rfile.read(int(self.headers.get("content-length", "0")))
        if self.path.endswith("/v1/batch"):
            events = json.loads(gzip.decompress(raw))["events"]
            with lock:
                before = len(ids)
                ids.update(event["id"] for event in events)
                added = len(ids) - before
            self._answer({"accepted": added, "duplicates": len(events) - added, "rejected": []})
        else:
            with lock:
                others += 1
            self._answer({})

    def do_GET(self) -> None:
        with lock:
            self._answer({"events": len(ids), "requests": others})

    def log_message(self, *args: Any) -> None:
        pass


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdout.write(f"listening {server.server_address[1]}\n")
    sys.stdout.flush()
    sys.stdin.read()  # until the benchmark closes it
    server.shutdown()


if __name__ == "__main__":
    main()
