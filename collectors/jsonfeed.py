"""JSON Feed 1.0 and 1.1 (https://jsonfeed.org), read by hand: feedparser has no JSON support."""

from __future__ import annotations

import json
from datetime import datetime, tzinfo
from typing import Any

from collectors.dates import parse_datetime
from collectors.encoding import decode
from collectors.errors import ParseError
from collectors.items import make_item, resolve
from collectors.types import RawItem

METRIC_NAMES = {"followers": "followers", "author_followers": "followers", "reposts": "reposts",
                "comments": "comments", "likes": "likes", "attitudes": "likes"}


def load_json(body: bytes, content_type: str | None, feed: str) -> Any:
    try:
        return json.loads(decode(body, content_type).text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"{feed}: invalid JSON ({exc})") from exc
    except RecursionError as exc:
        raise ParseError(f"{feed}: JSON nested too deeply") from exc


def is_json_feed(document: Any) -> bool:
    return isinstance(document, dict) and "jsonfeed.org" in str(document.get("version", ""))


def parse_json_feed(document: Any, *, feed: str, base_url: str, fetched_at: datetime, tz: tzinfo) -> list[RawItem]:
    if not is_json_feed(document):
        raise ParseError(f"{feed}: JSON document is not a JSON Feed (no jsonfeed.org version)")
    entries = document.get("items")
    if not isinstance(entries, list):
        raise ParseError(f"{feed}: JSON Feed has no items list")
    base = base_url or str(document.get("home_page_url") or document.get("feed_url") or "")
    feed_authors = _authors(document)
    items = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        title = str(entry.get("title") or "")
        text = str(entry.get("content_html") or entry.get("content_text") or entry.get("summary") or "")
        guid = str(entry["id"]) if entry.get("id") not in (None, "") else None
        published = parse_datetime(str(entry.get("date_published") or entry.get("date_modified") or ""),
                                   tz=tz, now=fetched_at)
        items.append(make_item(
            feed=feed, guid=guid, url=resolve(base, str(entry.get("url") or entry.get("external_url") or "")),
            title=title, text=text, author=next(iter(_authors(entry) or feed_authors), None),
            published_at=published, fetched_at=fetched_at, metrics=_extension_metrics(entry),
        ))
    return items


def _authors(obj: dict[str, Any]) -> list[str]:
    """1.1 `authors` list, else the 1.0 `author` object."""
    authors = obj.get("authors") or ([obj["author"]] if isinstance(obj.get("author"), dict) else [])
    authors = authors if isinstance(authors, list) else []  # `"authors": 1` is a broken feed, not a crash
    return [str(a["name"]) for a in authors if isinstance(a, dict) and a.get("name")]


def _extension_metrics(entry: dict[str, Any]) -> dict[str, int]:
    """Reach figures from JSON Feed extension objects (keys starting with "_", e.g. `_weibo`)."""
    metrics: dict[str, int] = {}
    for key, value in entry.items():
        if not key.startswith("_") or not isinstance(value, dict):
            continue
        for name, figure in value.items():
            if name in METRIC_NAMES and isinstance(figure, int) and not isinstance(figure, bool) and figure >= 0:
                metrics[METRIC_NAMES[name]] = figure
    return metrics
