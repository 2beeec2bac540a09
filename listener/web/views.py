"""What each page shows, as plain data: the HTML pages and the JSON API render the same dictionaries."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from alerts.channels.redact import redact_url
from alerts.evidence import excerpt, fold_reposts, safe_url, signal_weights, top_keywords
from alerts.playbook import Playbook, choose_playbook
from alerts.render import signal_labels
from alerts.types import Incident
from analyzers import Mention
from collectors.dates import parse_datetime
from listener.config import Config
from listener.responses import incident_response
from listener.store import Store
from listener.store.codec import ts
from listener.web.queries import LABELS, MentionFilter, daily_trend, mention_page, official_mentions

TIMELINE_MAX_BUCKETS = 288
EVIDENCE_POSTS = 10
EVIDENCE_WINDOW = 2000  # negative posts read to pick the evidence from (the alert reads the same number)
SHORT_SEARCH_DAYS = 7


class BadFilter(ValueError):
    """A query parameter the user can fix; shown on the page, answered 400 by the API."""


def mention_json(m: Mention) -> dict[str, Any]:
    return {"id": m.mention_id, "brands": [b.brand for b in m.brands], "feed": m.feed, "url": safe_url(m.url),
            "title": m.title, "text": m.text, "author": m.author, "published_at": ts(m.published_at),
            "sentiment": round(m.sentiment, 4), "label": m.label, "reach": m.reach, "keywords": list(m.keywords),
            "signals": [s.category for s in m.signals], "official": m.official}


def incident_json(i: Incident) -> dict[str, Any]:
    return {"incident_id": i.incident_id, "brand": i.brand, "status": i.status, "severity": i.severity,
            "opened_at": ts(i.opened_at), "updated_at": ts(i.updated_at), "window_start": ts(i.window_start),
            "window_end": ts(i.window_end), "negative": i.negative, "baseline": round(i.baseline, 2),
            "volume": i.volume, "negative_share": i.negative_share, "acknowledged_at": ts(i.acknowledged_at),
            "resolved_at": ts(i.resolved_at)}


def _when(value: str | None, name: str, config: Config, *, end_of_day: bool = False) -> datetime | None:
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        day = date.fromisoformat(value)
        start = datetime.combine(day, time(0), tzinfo=config.timezone)
        return start + timedelta(days=1) if end_of_day else start
    except ValueError:
        pass
    when = parse_datetime(value, tz=config.timezone)
    if when is None:
        raise BadFilter(f"{name}: {value!r} 不是日期或时间 (expected 2026-11-20 or 2026-11-20T08:00)")
    return when


def mention_filter(config: Config, *, brand: str | None, label: str | None, feed: str | None, since: str | None,
                   until: str | None, q: str | None, cursor: str | None,
                   now: datetime | None = None) -> MentionFilter:
    """Validate explorer parameters into a filter; every problem is one readable line."""
    brand, label, feed = (v.strip() if v and v.strip() else None for v in (brand, label, feed))
    if brand and brand not in {b.name for b in config.brands}:
        raise BadFilter(f"brand: {brand!r} 不是已配置的品牌 (not a configured brand)")
    if label and label not in LABELS:
        raise BadFilter(f"label: {label!r} 应为 negative、neutral 或 positive")
    if q and len(q) > 200:
        raise BadFilter("q: 搜索词过长 (at most 200 characters)")
    if cursor and not all(part.isdigit() for part in cursor.split(":", 1)):
        raise BadFilter(f"cursor: {cursor!r} 不是有效的翻页位置")
    q = (q or "").strip() or None
    start = _when(since, "since", config)
    if q and len(q) < 3 and start is None and now is not None:
        # 1-2 characters are below the trigram index: a scan, so bounded to recent days unless dates are given.
        start = now - timedelta(days=SHORT_SEARCH_DAYS)
    return MentionFilter(brand=brand, label=label, feed=feed, since=start,
                         until=_when(until, "until", config, end_of_day=True), q=q, cursor=cursor or None)


def overview(store: Store, config: Config, now: datetime) -> dict[str, Any]:
    today = now.astimezone(config.timezone).date()
    brands = []
    for spec in config.brands:
        days = daily_trend(store, spec.name, end_day=today, days=8, tz=config.timezone)
        week, current = days[:7], days[-1]
        recent = days[1:]
        brands.append({
            "brand": spec.name, "today": current, "yesterday": days[-2],
            "week_average": {k: round(sum(d[k] for d in week) / 7, 1) for k in ("volume", *LABELS)},
            "trend": recent,
            "negative_share": round(current["negative"] / current["volume"], 4) if current["volume"] else 0.0,
        })
    active = [i for i in store.incidents() if i.is_active]
    failing = [r for r in store.feed_rows() if (r["consecutive_failures"] or 0) > 0]
    return {"day": today.isoformat(), "brands": brands, "incidents": active, "failing_feeds": failing,
            "digests": store.digests()[:5]}


def timeline(store: Store, config: Config, incident: Incident, now: datetime) -> tuple[list[Any], datetime]:
    bucket = config.detector.bucket_seconds
    end = incident.window_end + timedelta(seconds=6 * bucket) if not incident.is_active else now
    end = min(end, now)
    start = incident.window_start - timedelta(seconds=24 * bucket)
    if (end - start).total_seconds() / bucket > TIMELINE_MAX_BUCKETS:
        start = end - timedelta(seconds=TIMELINE_MAX_BUCKETS * bucket)
    return store.bucket_counts(incident.brand, since=start, until=end, bucket_seconds=bucket), start


def incident_detail(store: Store, config: Config, incident: Incident, playbooks: dict[str, Playbook],
                    now: datetime) -> dict[str, Any]:
    until = min(now, incident.window_end + timedelta(seconds=config.detector.bucket_seconds))
    # Driven by the (brand, label, published_ts) index: the incident page stays fast on a large store.
    window = mention_page(store, MentionFilter(brand=incident.brand, label="negative", since=incident.window_start,
                                               until=until + timedelta(seconds=1)),
                          page_size=EVIDENCE_WINDOW, count=False).mentions
    weights = signal_weights(window)
    playbook = choose_playbook(playbooks, weights)
    responses = official_mentions(store, incident.brand, since=incident.window_start)
    clock = incident_response(store, incident, bucket_seconds=config.detector.bucket_seconds, now=now)
    labels = signal_labels()
    return {
        "incident": incident,
        "posts": fold_reposts(window)[:EVIDENCE_POSTS],
        "keywords": top_keywords(window, 12),
        "signals": [c for c, _ in weights.most_common()],
        "signal_names": [labels.get(c, c) for c, _ in weights.most_common()],
        "playbook": playbook,
        "responses": responses[:5],
        "clock": clock,
    }


def incident_detail_json(detail: dict[str, Any]) -> dict[str, Any]:
    return {**incident_json(detail["incident"]),
            "posts": [{**mention_json(p.mention), "excerpt": excerpt(p.mention.text, 200),
                       "reposts_folded": p.reposts_folded} for p in detail["posts"]],
            "keywords": detail["keywords"], "signals": detail["signals"],
            "playbook": detail["playbook"].as_payload(),
            "responses": [mention_json(m) for m in detail["responses"]],
            "response_clock": {**detail["clock"].as_dict(), "summary": detail["clock"].summary()}}


def feeds(store: Store, config: Config) -> list[dict[str, Any]]:
    rows = {r["feed"]: r for r in store.feed_rows()}
    out = []
    for source in config.feeds:
        row = rows.get(source.name, {})
        failures = row.get("consecutive_failures") or 0
        out.append({"feed": source.name, "url": redact_url(source.url), "interval": source.interval_seconds,
                    "official": source.official, "brand": source.brand,
                    "status": "never" if not row else ("failing" if failures else "ok"),
                    "consecutive_failures": failures, "last_error": row.get("last_error"),
                    "last_error_at": row.get("last_error_at"), "last_success_at": row.get("last_success_at"),
                    "next_attempt_at": row.get("next_attempt_at"), "items_seen": row.get("items_seen") or 0,
                    "new_mentions": row.get("new_mentions") or 0})
    return out
