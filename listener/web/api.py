"""The JSON API (schema at /api/openapi.json). Same data as the pages; mention text is returned as-is,
JSON-encoded, for clients that escape it themselves."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field

from alerts.statement import check_statement
from listener.store.codec import ts
from listener.web import views
from listener.web.queries import mention_page
from listener.web.security import check_csrf
from listener.web.silencing import BadSilence, active_silences, checked_brand, silence_brand, silence_json

router = APIRouter(tags=["listener"])


class StatementIn(BaseModel):
    text: str


class StatementFinding(BaseModel):
    span: str
    start: int
    end: int
    category: str
    advice: str


class StatementOut(BaseModel):
    score: int
    findings: list[StatementFinding]
    missing: list[dict[str, Any]]
    skeleton: str


class MentionOut(BaseModel):
    id: str
    brands: list[str]
    feed: str
    url: str | None
    title: str
    text: str
    author: str | None
    published_at: str
    sentiment: float
    label: str
    reach: int
    keywords: list[str]
    signals: list[str]
    official: bool


class MentionsOut(BaseModel):
    mentions: list[MentionOut]
    total: int
    total_capped: bool
    next_cursor: str | None


class IncidentOut(BaseModel):
    incident_id: str
    brand: str
    status: Literal["open", "acknowledged", "resolved"]
    severity: str
    opened_at: str
    updated_at: str
    window_start: str
    window_end: str
    negative: int
    baseline: float
    volume: int
    negative_share: float
    acknowledged_at: str | None
    resolved_at: str | None


class SilenceIn(BaseModel):
    brand: str
    duration: str | None = Field(None, description="1h, 4h, 24h or 7d; or leave out and give `until`")
    until: str | None = Field(None, description="end as a local date-time (2026-11-23T18:00), at most 30 days ahead")
    reason: str | None = Field(None, description="why, shown next to the brand (at most 200 characters)")


class SilenceOut(BaseModel):
    brand: str
    until: str
    created_at: str | None
    reason: str | None


class LiftOut(BaseModel):
    brand: str
    lifted: bool


def _ctx(request: Request) -> tuple[Any, Any, Any]:
    state = request.app.state
    return state.stores.get(), state.config, state.clock()


@router.get("/overview", summary="Brands today vs yesterday and the 7-day average, open incidents")
def api_overview(request: Request) -> dict[str, Any]:
    store, config, now = _ctx(request)
    data = views.overview(store, config, now)
    return {**data, "incidents": [views.incident_json(i) for i in data["incidents"]],
            "failing_feeds": [{"feed": r["feed"], "consecutive_failures": r["consecutive_failures"],
                               "last_error": r["last_error"]} for r in data["failing_feeds"]],
            "digests": [{"brand": d["brand"], "day": d["day"]} for d in data["digests"]],
            "silences": [silence_json(s) for s in active_silences(store, now).values()]}


@router.get("/mentions", response_model=MentionsOut, summary="Mentions, newest first; full-text search with q")
def api_mentions(request: Request, brand: str | None = None,
                 label: Literal["negative", "neutral", "positive"] | None = None, feed: str | None = None,
                 since: str | None = Query(None, description="date (2026-11-20) or ISO time, local zone"),
                 until: str | None = Query(None, description="date (inclusive) or ISO time, local zone"),
                 q: str | None = Query(None, description="full-text search in title and text"),
                 cursor: str | None = Query(None, description="next_cursor of the previous page")) -> dict[str, Any]:
    store, config, now = _ctx(request)
    try:
        page = mention_page(store, views.mention_filter(config, brand=brand, label=label, feed=feed, since=since,
                                                        until=until, q=q, cursor=cursor, now=now))
    except views.BadFilter as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
    return {"mentions": [views.mention_json(m) for m in page.mentions], "total": page.total,
            "total_capped": page.total_capped, "next_cursor": page.next_cursor}


@router.get("/incidents", response_model=list[IncidentOut], summary="Incidents, newest first")
def api_incidents(request: Request, brand: str | None = None,
                  status: Literal["open", "acknowledged", "resolved"] | None = None) -> list[dict[str, Any]]:
    store, _, _ = _ctx(request)
    return [views.incident_json(i) for i in store.incidents(brand=brand, status=status)]


def _incident(store: Any, incident_id: str) -> Any:
    incident = store.incident(incident_id)
    if incident is None:
        raise HTTPException(status_code=404, detail=f"no incident {incident_id!r}")
    return incident


@router.get("/incidents/{incident_id}", summary="One incident with evidence posts, keywords and playbook")
def api_incident(request: Request, incident_id: str) -> dict[str, Any]:
    store, config, now = _ctx(request)
    incident = _incident(store, incident_id)
    detail = views.incident_detail(store, config, incident, request.app.state.playbooks, now)
    buckets, _ = views.timeline(store, config, incident, now)
    return {**views.incident_detail_json(detail),
            "timeline": [{"start": ts(b.start), "negative": b.negative, "volume": b.volume} for b in buckets]}


def _change(request: Request, incident_id: str, status: str) -> dict[str, Any]:
    store, _, now = _ctx(request)
    incident = _incident(store, incident_id)
    if incident.status == "resolved":
        raise HTTPException(status_code=409, detail=f"incident {incident_id!r} is already resolved")
    return views.incident_json(store.set_incident_status(incident_id, status, now))


@router.post("/incidents/{incident_id}/ack", response_model=IncidentOut, dependencies=[Depends(check_csrf)],
             summary="Acknowledge: the team is on it (alerts keep coming if it escalates)")
def api_ack(request: Request, incident_id: str) -> dict[str, Any]:
    return _change(request, incident_id, "acknowledged")


@router.post("/incidents/{incident_id}/resolve", response_model=IncidentOut, dependencies=[Depends(check_csrf)],
             summary="Resolve by hand")
def api_resolve(request: Request, incident_id: str) -> dict[str, Any]:
    return _change(request, incident_id, "resolved")


@router.get("/silences", response_model=list[SilenceOut], summary="Brands whose notifications are silenced now")
def api_silences(request: Request) -> list[dict[str, Any]]:
    store, _, now = _ctx(request)
    return [silence_json(s) for s in active_silences(store, now).values()]


@router.post("/silences", response_model=SilenceOut, status_code=201, dependencies=[Depends(check_csrf)],
             summary="Silence a brand until a time: incidents are still tracked, nothing is sent (as `alerts silence`)")
def api_silence(request: Request, body: SilenceIn) -> dict[str, Any]:
    store, config, now = _ctx(request)
    try:
        return silence_json(silence_brand(store, config, now, brand=body.brand, duration=body.duration,
                                          until=body.until, reason=body.reason))
    except BadSilence as exc:
        raise HTTPException(status_code=400, detail=f"silence: {exc}") from None


@router.delete("/silences/{brand:path}", response_model=LiftOut, dependencies=[Depends(check_csrf)],
               summary="Lift a brand's silence (as `alerts unsilence`); lifted is false when it was not silenced")
def api_unsilence(request: Request, brand: str) -> dict[str, Any]:
    store, config, _ = _ctx(request)
    try:
        name = checked_brand(config, brand)
    except BadSilence as exc:
        raise HTTPException(status_code=400, detail=f"silence: {exc}") from None
    return {"brand": name, "lifted": store.unsilence(name)}


@router.get("/feeds", summary="Feed health")
def api_feeds(request: Request) -> list[dict[str, Any]]:
    store, config, _ = _ctx(request)
    return views.feeds(store, config)


@router.get("/digests", summary="The digest archive")
def api_digests(request: Request) -> list[dict[str, Any]]:
    store, _, _ = _ctx(request)
    return [{"brand": d["brand"], "day": d["day"], "created_at": d["created_at"]} for d in store.digests()]


@router.get("/digests/{brand}/{day}", summary="One archived digest as JSON")
def api_digest(request: Request, brand: str, day: str) -> Any:
    import json

    store, _, _ = _ctx(request)
    row = next((d for d in store.digests() if d["brand"] == brand and d["day"] == day), None)
    if row is None:
        raise HTTPException(status_code=404, detail="digest not found")
    return json.loads(row["json"])


@router.post("/statements/check", response_model=StatementOut, dependencies=[Depends(check_csrf)],
             summary="Review a draft crisis statement: defensive findings, missing elements, score, skeleton")
def api_check_statement(body: StatementIn) -> dict[str, Any]:
    if not body.text.strip():
        raise HTTPException(status_code=400, detail="statement: the draft is empty")
    if len(body.text) > 20_000:
        raise HTTPException(status_code=413, detail="statement: longer than 20,000 characters")
    return check_statement(body.text).to_dict()


@router.get("/status", summary="Operational health as `listener status` prints it: jobs, feeds, outbox, database")
def api_status(request: Request) -> Any:
    from fastapi.responses import JSONResponse

    from listener.status import status_report

    store, config, now = _ctx(request)
    report = status_report(config, now, store=store)
    return JSONResponse(report, status_code=200 if report["ok"] else 503)
