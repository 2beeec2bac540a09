"""The ASGI app: FastAPI for routing and the OpenAPI schema, Jinja2 (autoescaped) for pages.

One store connection per worker thread: sync endpoints run in Starlette's thread pool, and a SQLite
connection must not be used by two threads at once.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from importlib.resources import files
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from alerts.playbook import Playbook, load_playbooks
from listener.clock import Clock, utcnow
from listener.config import Config, WebSettings
from listener.store import Store
from listener.store.codec import from_ts
from listener.web.security import CSRF_COOKIE, SECURITY_HEADERS, NeedLogin, authenticate, new_csrf

LABEL_NAMES = {"negative": "负面", "neutral": "中性", "positive": "正面"}
STATUS_NAMES = {"open": "处理中", "acknowledged": "已确认", "resolved": "已解除"}
SEVERITY_NAMES = {"warning": "警告", "critical": "严重"}


class Stores:
    """A Store per thread, opened on first use and closed when the app stops."""

    def __init__(self, path: Any):
        self.path = path
        self._local = threading.local()
        self._all: list[Store] = []
        self._lock = threading.Lock()

    def get(self) -> Store:
        store = getattr(self._local, "store", None)
        if store is None:
            store = self._local.store = Store(self.path)
            with self._lock:
                self._all.append(store)
        return store

    def close(self) -> None:
        with self._lock:
            for store in self._all:
                store.close()
            self._all.clear()


def highlight(text: str | None, query: str | None) -> Markup:
    """Escape `text`, then mark each occurrence of the query (itself escaped)."""
    text = text or ""
    if not query or not query.strip():
        return escape(text)
    q = query.strip()
    return Markup("<mark>{}</mark>").format(q).join(escape(part) for part in text.split(q))


def _local(when: datetime | str | None, config: Config, fmt: str) -> str:
    """A stored moment (datetime or the store's UTC text) in the configured zone; "" when there is none."""
    if isinstance(when, str):
        when = from_ts(when) if when.endswith("Z") and len(when) == 20 else None
    return when.astimezone(config.timezone).strftime(fmt) if isinstance(when, datetime) else ""


def every(seconds: int | None) -> str:
    """A feed's interval as people say it: 30 秒, 5 分钟, 2 小时."""
    if not seconds:
        return "—"
    if seconds % 3600 == 0:
        return f"{seconds // 3600} 小时"
    return f"{seconds // 60} 分钟" if seconds % 60 == 0 else f"{seconds} 秒"


def _templates(config: Config) -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(files("listener.web") / "templates"))
    env = templates.env
    env.trim_blocks = env.lstrip_blocks = True
    env.filters["local"] = lambda when, fmt="%Y-%m-%d %H:%M": _local(when, config, fmt)
    env.filters["every"] = every
    env.filters["highlight"] = highlight
    env.globals.update(LABEL_NAMES=LABEL_NAMES, STATUS_NAMES=STATUS_NAMES, SEVERITY_NAMES=SEVERITY_NAMES,
                       timezone=str(config.timezone))
    return templates


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    app.state.stores.close()


async def require_auth(request: Request) -> None:
    request.state.auth = authenticate(request, request.app.state.web)


def create_app(config: Config, *, clock: Clock = utcnow, playbooks: dict[str, Playbook] | None = None) -> FastAPI:
    """The dashboard for this config; `[web]` may be absent (then the defaults: 127.0.0.1:8080, no auth)."""
    from listener.web import api, auth_pages, pages

    app = FastAPI(title="listener API", version="1", description="中文舆情监测 listener: mentions, incidents, "
                  "feeds and digests. Auth: `Authorization: Bearer <web.token>` or basic auth when configured; "
                  "POSTs from a browser session need the `X-CSRF-Token` header (the `listener_csrf` cookie).",
                  docs_url=None, redoc_url=None, openapi_url="/api/openapi.json", lifespan=_lifespan)
    app.state.config = config
    app.state.web = config.web or WebSettings()
    app.state.stores = Stores(config.store_path)
    app.state.clock = clock
    app.state.playbooks = playbooks if playbooks is not None else load_playbooks()
    app.state.templates = _templates(config)

    @app.middleware("http")
    async def headers_and_csrf_cookie(request: Request, call_next: Callable[[Request], Any]) -> Response:
        cookie = request.cookies.get(CSRF_COOKIE)
        request.state.csrf = cookie or new_csrf()
        request.state.auth = None
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if not cookie:
            response.set_cookie(CSRF_COOKIE, request.state.csrf, httponly=True, samesite="strict", path="/")
        return response

    @app.exception_handler(NeedLogin)
    async def to_login(request: Request, exc: NeedLogin) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(app.url_path_for("login") + "?" + _next_param(target), status_code=303)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, bool]:
        return {"ok": True}

    app.mount("/static", StaticFiles(packages=[("listener.web", "static")]), name="static")
    app.include_router(auth_pages.router)
    app.include_router(pages.router, dependencies=[Depends(require_auth)])
    app.include_router(api.router, prefix="/api", dependencies=[Depends(require_auth)])

    return app


def _next_param(target: str) -> str:
    from urllib.parse import urlencode

    return urlencode({"next": target})
