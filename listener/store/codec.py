"""Moving the stage types in and out of rows: UTC ISO timestamps, JSON for lists and dicts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from alerts.types import Incident
from analyzers import BrandMatch, Mention, Signal


def ts(when: datetime | None) -> str | None:
    """Fixed-width UTC ISO text, so string order is time order."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if when else None


def from_ts(text: str | None) -> datetime | None:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) if text else None


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def mention_row(m: Mention) -> dict[str, Any]:
    return {
        "mention_id": m.mention_id, "feed": m.feed, "url": m.url, "title": m.title, "text": m.text,
        "clean_text": m.clean_text, "author": m.author, "published_at": ts(m.published_at),
        "published_ts": int(m.published_at.timestamp()), "fetched_at": ts(m.fetched_at),
        "sentiment": m.sentiment, "label": m.label, "keywords": dumps(list(m.keywords)),
        "signals": dumps([{"category": s.category, "terms": list(s.terms), "weight": s.weight} for s in m.signals]),
        "urls": dumps(list(m.urls)), "handles": dumps(list(m.handles)), "topics": dumps(list(m.topics)),
        "emoticons": dumps(list(m.emoticons)), "metrics": dumps(m.metrics), "reach": m.reach,
        "simhash": m.simhash, "official": int(m.official), "had_published_at": int(m.had_published_at),
    }


MENTION_COLUMNS = ("mention_id", "feed", "url", "title", "text", "clean_text", "author", "published_at", "published_ts",
                   "fetched_at", "sentiment", "label", "keywords", "signals", "urls", "handles", "topics", "emoticons",
                   "metrics", "reach", "simhash", "official", "had_published_at")  # mention_row's keys, in order


def mention_from_row(row: dict[str, Any], brands: list[tuple[str, str]]) -> Mention:
    return Mention(
        mention_id=row["mention_id"], feed=row["feed"], url=row["url"], title=row["title"] or "",
        text=row["text"] or "", clean_text=row["clean_text"] or "", author=row["author"],
        published_at=from_ts(row["published_at"]), fetched_at=from_ts(row["fetched_at"]),
        brands=tuple(BrandMatch(brand=b, spans=tuple(tuple(s) for s in json.loads(spans or "[]")))
                     for b, spans in brands),
        sentiment=row["sentiment"], label=row["label"], keywords=tuple(json.loads(row["keywords"] or "[]")),
        signals=tuple(Signal(category=s["category"], terms=tuple(s["terms"]), weight=s["weight"])
                      for s in json.loads(row["signals"] or "[]")),
        urls=tuple(json.loads(row["urls"] or "[]")), handles=tuple(json.loads(row["handles"] or "[]")),
        topics=tuple(json.loads(row["topics"] or "[]")), emoticons=tuple(json.loads(row["emoticons"] or "[]")),
        metrics=json.loads(row["metrics"] or "{}"), simhash=row["simhash"] or 0, official=bool(row["official"]),
        had_published_at=bool(row["had_published_at"]),
    )


INCIDENT_TIMES = ("opened_at", "updated_at", "window_start", "window_end", "resolved_at", "acknowledged_at")


def incident_row(i: Incident) -> dict[str, Any]:
    row = dict(i.__dict__)
    for key in INCIDENT_TIMES:
        row[key] = ts(row[key])
    return row


def incident_from_row(row: dict[str, Any]) -> Incident:
    data = dict(row)
    for key in INCIDENT_TIMES:
        data[key] = from_ts(data[key])
    return Incident(**data)
