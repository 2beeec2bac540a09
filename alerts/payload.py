"""The notification body: the generic-webhook contract (see DESIGN.md), which every channel renders from."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from alerts.evidence import EvidencePost, excerpt, safe_url
from alerts.playbook import Playbook
from alerts.types import Incident


def iso(when: datetime | None) -> str | None:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if when else None


def post_payload(post: EvidencePost) -> dict[str, Any]:
    m = post.mention
    return {
        "title": m.title, "text": excerpt(m.text, 280), "url": safe_url(m.url), "author": m.author,
        "published_at": iso(m.published_at), "reach": m.reach, "reposts_folded": post.reposts_folded,
        "reach_total": post.reach_total or m.reach,
        "sentiment": m.sentiment, "feed": m.feed,
    }


def incident_payload(
    event: str, incident: Incident, *, posts: list[EvidencePost], keywords: list[str], signals: list[str],
    playbook: Playbook, incident_url: str | None, sent_at: datetime, reach_total: int | None = None,
    figures: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """`reach_total` (every voice's summed reach in the window) and `figures` (`baseline_share`,
    `expected_volume` from the detector) are optional `counts` fields beyond the contract's four; receivers
    written against DESIGN.md ignore them."""
    counts: dict[str, Any] = {
        "negative": incident.negative,
        "baseline": round(incident.baseline, 2),
        "volume": incident.volume,
        "negative_share": incident.negative_share,
    }
    if reach_total is not None:
        counts["reach_total"] = reach_total
    for key in ("baseline_share", "expected_volume"):
        if figures and isinstance(figures.get(key), int | float):
            counts[key] = figures[key]
    return {
        "event": event,
        "incident_id": incident.incident_id,
        "brand": incident.brand,
        "severity": incident.severity,
        "status": incident.status,
        "window": {"start": iso(incident.window_start), "end": iso(incident.window_end)},
        "counts": counts,
        "posts": [post_payload(p) for p in posts],
        "keywords": keywords,
        "signals": signals,
        "playbook": playbook.as_payload(),
        "url": incident_url,
        "sent_at": iso(sent_at),
    }


def test_payload(channel: str, sent_at: datetime) -> dict[str, Any]:
    return {"event": "test", "channel": channel, "text": "listener 测试消息：通道配置正确。", "sent_at": iso(sent_at)}
