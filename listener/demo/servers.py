"""Two local servers for the demo (and the tests): a feed server and a webhook receiver that checks signatures."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from alerts.channels.webhook import verify


class _Quiet(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class LocalServer:
    """A ThreadingHTTPServer on 127.0.0.1 and a free port, run in a daemon thread."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> LocalServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def feed_server(routes: dict[str, Callable[[], tuple[bytes, str]]]) -> LocalServer:
    """Serve `path -> (body, content type)`, rendered at request time."""
    class Handler(_Quiet):
        def do_GET(self) -> None:
            render = routes.get(self.path.split("?", 1)[0])
            if render is None:
                self.send_error(404)
                return
            body, content_type = render()
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return LocalServer(Handler)


class WebhookReceiver(LocalServer):
    """Records every delivery; verifies the HMAC signature and dedupes on X-Listener-Delivery, as receivers should."""

    def __init__(self, secret: str | None = None, fail_first: int = 0):
        self.secret = secret
        self.received: list[dict[str, Any]] = []
        self.duplicates = 0
        self.rejected = 0
        self.failures_left = fail_first
        self._seen: set[str] = set()
        self._lock = threading.Lock()
        receiver = self

        class Handler(_Quiet):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = receiver.accept(dict(self.headers), body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        super().__init__(Handler)

    def accept(self, headers: dict[str, str], body: bytes) -> int:
        with self._lock:
            if self.failures_left > 0:
                self.failures_left -= 1
                return 503
            if self.secret is not None:
                signature = headers.get("X-Listener-Signature", "")
                if not verify(self.secret, headers.get("X-Listener-Timestamp", ""), body, signature):
                    self.rejected += 1
                    return 401
            delivery = headers.get("X-Listener-Delivery", "")
            if delivery in self._seen:
                self.duplicates += 1
                return 200
            self._seen.add(delivery)
            self.received.append({"headers": headers, "payload": json.loads(body.decode("utf-8")),
                                  "received_at": datetime.now(UTC)})
            return 200
