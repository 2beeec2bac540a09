"""Feeding the response clock from the store: the brand's official posts and public counts around an incident."""

from __future__ import annotations

from datetime import datetime, timedelta

from alerts.response_clock import MAX_COMPARE_MINUTES, OfficialPost, ResponseClock, response_clock
from alerts.types import Incident
from listener.store import Store
from listener.store.codec import from_ts


def official_posts(store: Store, brand: str, *, since: datetime, until: datetime,
                   limit: int = 20) -> list[OfficialPost]:
    """The brand's own posts (feeds marked `official = true`) published in [since, until], oldest first."""
    rows = store.conn.execute(
        "SELECT m.mention_id, m.published_at, m.url, m.title, m.text FROM mention_brands b"
        " JOIN mentions m ON m.mention_id = b.mention_id"
        " WHERE b.brand = ? AND b.official = 1 AND b.published_ts >= ? AND b.published_ts <= ?"
        " ORDER BY b.published_ts, m.mention_id LIMIT ?",
        (brand, int(since.timestamp()), int(until.timestamp()), limit)).fetchall()
    return [OfficialPost(mention_id=r[0], published_at=from_ts(r[1]), url=r[2], title=r[3] or "", text=r[4] or "")
            for r in rows]


def incident_response(store: Store, incident: Incident, *, bucket_seconds: int, now: datetime) -> ResponseClock:
    """The response clock of one incident, from its first negative bucket (`window_start`)."""
    wave_at = incident.window_start
    until = incident.resolved_at if incident.status == "resolved" else None
    end = min(until, now) if until else now
    posts = official_posts(store, incident.brand, since=wave_at, until=end)
    span = timedelta(minutes=MAX_COMPARE_MINUTES)
    horizon = min(now, (posts[0].published_at if posts else end) + span + timedelta(seconds=bucket_seconds))
    buckets = store.bucket_counts(incident.brand, since=wave_at - span, until=horizon, bucket_seconds=bucket_seconds)
    return response_clock(wave_at=wave_at, now=now, official_posts=posts, buckets=buckets,
                          bucket_seconds=bucket_seconds, until=until)
