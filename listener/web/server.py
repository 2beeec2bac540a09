"""Serving the dashboard: `listener serve` in the foreground, or a background thread inside the daemon.

uvicorn runs in its own thread with its own event loop, so it never takes over the daemon's signal
handlers (uvicorn installs them only in the main thread) and a slow page never delays collection.
"""

from __future__ import annotations

import ipaddress
import logging
import signal
import sys
import threading
import time

import uvicorn

from listener.config import Config, WebSettings
from listener.web.app import create_app
from listener.web.security import auth_enabled

log = logging.getLogger("listener.web")


def exposure_warning(web: WebSettings) -> str | None:
    """A warning when the dashboard listens beyond this machine with no auth configured."""
    try:
        loopback = web.host == "localhost" or ipaddress.ip_address(web.host).is_loopback
    except ValueError:
        loopback = False
    if loopback or auth_enabled(web):
        return None
    return (f"web: listening on {web.host}:{web.port} without web.token or web.user/web.password:"
            " anyone who can reach it can read mentions and resolve incidents")


def _server(config: Config, web: WebSettings) -> uvicorn.Server:
    warning = exposure_warning(web)
    if warning:
        log.warning(warning)
    app = create_app(config)
    return uvicorn.Server(uvicorn.Config(app, host=web.host, port=web.port, log_config=None, access_log=False,
                                         lifespan="on", server_header=False))


def serve(config: Config, *, host: str | None = None, port: int | None = None) -> None:
    """Foreground until SIGINT/SIGTERM, then a clean stop (exit status 0, like the daemon)."""
    web = config.web or WebSettings()
    web = WebSettings(host=host or web.host, port=port or web.port, base_url=web.base_url, token=web.token,
                      user=web.user, password=web.password)
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    server = BackgroundServer(config, web)
    try:
        server.start()
        print(f"看板 dashboard: http://{web.host}:{web.port}/  (API: /api/openapi.json)", file=sys.stderr, flush=True)
        while not stop.wait(0.5):
            if not server.thread.is_alive():
                raise OSError("web: the server stopped")
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class BackgroundServer:
    """The dashboard on a thread, for the daemon; `stop()` ends it within a few seconds."""

    def __init__(self, config: Config, web: WebSettings | None = None):
        self.web = web or config.web or WebSettings()
        self.server = _server(config, self.web)
        self.thread = threading.Thread(target=self.server.run, name="listener-web", daemon=True)

    def start(self, timeout: float = 10.0) -> None:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started and self.thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        if not self.server.started:
            raise OSError(f"web: could not listen on {self.web.host}:{self.web.port}")
        log.info("dashboard on http://%s:%d/", self.web.host, self.web.port)

    def stop(self, timeout: float = 5.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)
