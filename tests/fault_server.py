"""A real local HTTP server that misbehaves the way real feed hosts do, one fault per path."""

from __future__ import annotations

import gzip
import socket
import struct
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any

from listener.demo.servers import LocalServer


def rss(prefix: str, count: int, *, encoding: str = "utf-8", declare: bool = True, brand: str = "栖云牛奶") -> bytes:
    """An RSS 2.0 document of `count` items whose titles are `prefix-N 栖云牛奶…`."""
    decl = f'<?xml version="1.0" encoding="{encoding}"?>' if declare else ""
    items = "".join(
        f"<item><title>{prefix}-{n} {brand}喝了不舒服</title><guid>{prefix}-{n}</guid>"
        f"<link>/posts/{prefix}/{n}?utm_source=rss#top</link>"
        f"<description><![CDATA[<p>{brand}第{n}条 &amp; 评论</p>]]></description>"
        f"<pubDate>Sun, 22 Nov 2026 0{n % 10}:00:00 +0800</pubDate></item>"
        for n in range(count)
    )
    return f'{decl}<rss version="2.0"><channel><title>{prefix}</title>{items}</channel></rss>'.encode(encoding)


class Reply:
    """What one path answers: a status, headers and a body, or a special action."""

    def __init__(self, body: bytes = b"", status: int = 200, headers: dict[str, str] | None = None, *,
                 delay: float = 0.0, action: str | None = None, chunked: bool = False):
        self.body, self.status, self.headers = body, status, headers or {}
        self.delay, self.action, self.chunked = delay, action, chunked


class FaultServer(LocalServer):
    """`routes[path]` is a Reply or a function of (request number, headers) -> Reply; requests are logged."""

    def __init__(self) -> None:
        self.routes: dict[str, Reply | Callable[[int, dict[str, str]], Reply]] = {}
        self.requests: dict[str, list[tuple[float, dict[str, str]]]] = defaultdict(list)
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                with server._lock:
                    server.requests[path].append((time.monotonic(), dict(self.headers)))
                    number = len(server.requests[path])
                route = server.routes.get(path)
                reply = route(number, dict(self.headers)) if callable(route) else route
                if reply is None:
                    reply = Reply(b"not found", 404)
                server.answer(self, reply)

        super().__init__(Handler)
        # Clients hanging up mid-body (at their size cap, on reset) are expected here, not worth a traceback.
        self.httpd.handle_error = lambda request, client_address: None  # type: ignore[method-assign]

    def answer(self, handler: BaseHTTPRequestHandler, reply: Reply) -> None:
        if reply.delay:
            time.sleep(reply.delay)
        if reply.action == "reset":  # RST instead of an answer: SO_LINGER 0, then close
            handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            handler.connection.close()
            handler.close_connection = True
            return
        handler.send_response(reply.status)
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        if reply.chunked:
            handler.send_header("Transfer-Encoding", "chunked")
            handler.end_headers()
            try:
                for start in range(0, len(reply.body), 65536):
                    chunk = reply.body[start:start + 65536]
                    handler.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                handler.wfile.write(b"0\r\n\r\n")
            except OSError:  # the client hung up at its size cap, as it should
                handler.close_connection = True
            return
        handler.send_header("Content-Length", str(len(reply.body)))
        handler.end_headers()
        try:
            handler.wfile.write(reply.body)
        except OSError:
            handler.close_connection = True


def gzipped(body: bytes, content_type: str = "application/rss+xml; charset=utf-8") -> Reply:
    return Reply(gzip.compress(body), headers={"Content-Type": content_type, "Content-Encoding": "gzip"})
