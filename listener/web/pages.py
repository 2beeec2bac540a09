"""The HTML pages: overview, mentions explorer, incidents, feeds, digest archive."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from alerts.statement import check_statement
from listener.web import views
from listener.web.charts import timeline_chart, trend_chart
from listener.web.queries import COUNT_CAP, feed_names, mention_page
from listener.web.security import CSRF_FIELD, check_csrf, csrf_token
from listener.web.silencing import DURATION_NAMES, BadSilence, active_silences, checked_brand, silence_brand

router = APIRouter(include_in_schema=False)
MAX_DRAFT_CHARS = 20_000  # a statement longer than this is not a statement; the checker stays fast
DIGEST_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"


def _render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    context.update(request=request, csrf=csrf_token(request), csrf_field=CSRF_FIELD, page=name.split(".")[0],
                   config=request.app.state.config, auth=request.state.auth)
    return request.app.state.templates.TemplateResponse(request, name, context, status_code=status_code)


def _ctx(request: Request) -> tuple[Any, Any, Any]:
    state = request.app.state
    return state.stores.get(), state.config, state.clock()


@router.get("/", response_class=HTMLResponse, name="overview")
def overview_page(request: Request) -> HTMLResponse:
    return _overview_view(request)


def _overview_view(request: Request, status_code: int = 200, **extra: Any) -> HTMLResponse:
    store, config, now = _ctx(request)
    data = views.overview(store, config, now)
    charts = {b["brand"]: trend_chart(b["trend"], label=f"{b['brand']} 7 日情感趋势") for b in data["brands"]}
    return _render(request, "overview.html", status_code, data=data, charts=charts, now=now,
                   silences=active_silences(store, now), durations=DURATION_NAMES, **extra)


@router.get("/mentions", response_class=HTMLResponse, name="mentions")
def mentions_page(request: Request, brand: str | None = None, label: str | None = None, feed: str | None = None,
                  since: str | None = None, until: str | None = None, q: str | None = None,
                  cursor: str | None = None) -> HTMLResponse:
    store, config, now = _ctx(request)
    params = {"brand": brand, "label": label, "feed": feed, "since": since, "until": until, "q": q}
    try:
        page = mention_page(store, views.mention_filter(config, cursor=cursor, now=now, **params))
        error = None
    except views.BadFilter as exc:
        page, error = None, str(exc)
    kept = {k: v for k, v in params.items() if v}
    next_url = f"?{urlencode({**kept, 'cursor': page.next_cursor})}" if page and page.next_cursor else None
    return _render(request, "mentions.html", status_code=400 if error else 200, result=page, error=error,
                   params=params, next_url=next_url, first_url=f"?{urlencode(kept)}" if cursor else None,
                   feeds=sorted({f.name for f in config.feeds} | set(feed_names(store))), count_cap=COUNT_CAP)


@router.get("/incidents", response_class=HTMLResponse, name="incidents")
def incidents_page(request: Request, status: str | None = None, brand: str | None = None) -> HTMLResponse:
    store, _, _ = _ctx(request)
    status = status if status in ("open", "acknowledged", "resolved") else None
    return _render(request, "incidents.html", incidents=store.incidents(brand=brand or None, status=status),
                   status=status)


def _incident(store: Any, incident_id: str) -> Any:
    incident = store.incident(incident_id)
    if incident is None:
        raise HTTPException(status_code=404, detail=f"没有这个事件 no incident {incident_id!r}")
    return incident


@router.get("/incidents/{incident_id}", response_class=HTMLResponse, name="incident")
def incident_page(request: Request, incident_id: str) -> HTMLResponse:
    return _incident_view(request, incident_id)


def _incident_view(request: Request, incident_id: str, status_code: int = 200, **extra: Any) -> HTMLResponse:
    store, config, now = _ctx(request)
    incident = _incident(store, incident_id)
    detail = views.incident_detail(store, config, incident, request.app.state.playbooks, now)
    buckets, _ = views.timeline(store, config, incident, now)
    chart = timeline_chart(buckets, window_start=incident.window_start, window_end=incident.window_end,
                           tz=config.timezone)
    return _render(request, "incident.html", status_code, d=detail, chart=chart,
                   silence=active_silences(store, now).get(incident.brand), durations=DURATION_NAMES, **extra)


@router.post("/incidents/{incident_id}/check-statement", response_class=HTMLResponse,
             dependencies=[Depends(check_csrf)], name="check_statement")
async def check_statement_page(request: Request, incident_id: str) -> HTMLResponse:
    """Review a draft statement on the incident page: findings with advice, missing elements, a skeleton."""
    form = await request.form()
    draft = str(form.get("draft") or "")[:MAX_DRAFT_CHARS]
    if not draft.strip():
        return _incident_view(request, incident_id, draft="", statement_error="请先粘贴声明草稿 Paste a draft first.")
    return _incident_view(request, incident_id, draft=draft, report=check_statement(draft))


def _set_status(request: Request, incident_id: str, status: str) -> Response:
    store, _, now = _ctx(request)
    incident = _incident(store, incident_id)
    if incident.status != "resolved" and not (status == "acknowledged" and incident.status == "acknowledged"):
        store.set_incident_status(incident_id, status, now)
    return RedirectResponse(request.app.url_path_for("incident", incident_id=incident_id), status_code=303)


@router.post("/incidents/{incident_id}/ack", dependencies=[Depends(check_csrf)], name="ack")
def ack_incident(request: Request, incident_id: str) -> Response:
    return _set_status(request, incident_id, "acknowledged")


@router.post("/incidents/{incident_id}/resolve", dependencies=[Depends(check_csrf)], name="resolve")
def resolve_incident(request: Request, incident_id: str) -> Response:
    return _set_status(request, incident_id, "resolved")


def _back(target: str) -> str:
    """Where a form came from, if it is a path on this site; anything else (//evil, http://…) goes home."""
    ok = target.startswith("/") and not target.startswith(("//", "/\\")) and "\n" not in target
    return target if ok else "/"


def _refused(request: Request, back: str, message: str) -> HTMLResponse:
    """Show the one-line reason on the page the form was on, answered 400; nothing was written."""
    incident_id = back.split("?")[0].removeprefix("/incidents/")
    if back.startswith("/incidents/") and "/" not in incident_id:
        from urllib.parse import unquote

        return _incident_view(request, unquote(incident_id), 400, silence_error=message)
    return _overview_view(request, 400, silence_error=message)


@router.post("/silences", dependencies=[Depends(check_csrf)], name="silence")
async def silence_submit(request: Request) -> Response:
    """Mute a brand's incident notifications until a time; incidents are still opened and shown."""
    form = await request.form()
    store, config, now = _ctx(request)
    back = _back(str(form.get("next") or "/"))
    try:
        silence_brand(store, config, now, brand=_field(form, "brand"), duration=_field(form, "duration"),
                      until=_field(form, "until"), reason=_field(form, "reason"))
    except BadSilence as exc:
        return _refused(request, back, str(exc))
    return RedirectResponse(back, status_code=303)


@router.post("/silences/{brand:path}/lift", dependencies=[Depends(check_csrf)], name="unsilence")
async def unsilence_submit(request: Request, brand: str) -> Response:
    form = await request.form()
    store, config, _ = _ctx(request)
    back = _back(str(form.get("next") or "/"))
    try:
        store.unsilence(checked_brand(config, brand))
    except BadSilence as exc:
        return _refused(request, back, str(exc))
    return RedirectResponse(back, status_code=303)


def _field(form: Any, name: str) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) else None


@router.get("/feeds", response_class=HTMLResponse, name="feeds")
def feeds_page(request: Request) -> HTMLResponse:
    store, config, _ = _ctx(request)
    return _render(request, "feeds.html", feeds=views.feeds(store, config), jobs=store.job_rows())


@router.get("/digests", response_class=HTMLResponse, name="digests")
def digests_page(request: Request) -> HTMLResponse:
    store, _, _ = _ctx(request)
    return _render(request, "digests.html", digests=store.digests())


@router.get("/digests/{brand}/{day}", name="digest")
def digest_page(request: Request, brand: str, day: str) -> Response:
    """The archived HTML digest as mailed: sandboxed, no scripts, inline styles allowed (email needs them)."""
    store, config, _ = _ctx(request)
    row = next((d for d in store.digests() if d["brand"] == brand and d["day"] == day), None)
    path = Path(row["html_path"]) if row and row["html_path"] else None
    if path is None or not path.is_file() or path.resolve().parent != config.digest.dir.resolve():
        raise HTTPException(status_code=404, detail="没有这份日报 digest not found")
    return FileResponse(path, media_type="text/html; charset=utf-8", headers={"content-security-policy": DIGEST_CSP})
