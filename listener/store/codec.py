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


_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode  # json.dumps builds one per call


def dumps(value: Any) -> str:
    return _ENCODE(value)


def _list(values: tuple | list) -> str:
    return _ENCODE(list(values)) if values else "[]"


def mention_row(m: Mention) -> dict[str, Any]:
    return dict(zip(MENTION_COLUMNS, mention_values(m), strict=True))


def mention_values(m: Mention) -> tuple[Any, ...]:
    """The `mentions` row of a Mention, in MENTION_COLUMNS order."""
    return (
        m.mention_id, m.feed, m.url, m.title, m.text, m.clean_text, m.author, ts(m.published_at),
        int(m.published_at.timestamp()), ts(m.fetched_at), m.sentiment, m.label, _list(m.keywords),
        _ENCODE([{"category": s.category, "terms": list(s.terms), "weight": s.weight} for s in m.signals])
        if m.signals else "[]",
        _list(m.urls), _list(m.handles), _list(m.topics), _list(m.emoticons), _ENCODE(m.metrics), m.reach,
        m.simhash, int(m.official), int(m.had_published_at),
    )


# What a stored mention is, as the store writes it: the `mentions` row and its `mention_brands` rows
# (mention_id, brand, spans, published_ts, label, official). Built in the analysis workers and sent back
# instead of the Mention: a tuple of strings and numbers pickles and unpickles several times faster.
StoredMention = tuple[tuple[Any, ...], tuple[tuple[Any, ...], ...]]


def stored_mention(m: Mention) -> StoredMention:
    row = mention_values(m)
    published_ts, official = row[8], int(m.official)
    links = tuple((m.mention_id, match.brand, _ENCODE([list(s) for s in match.spans]) if match.spans else "[]",
                   published_ts, m.label, official) for match in m.brands)
    return row, links


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
