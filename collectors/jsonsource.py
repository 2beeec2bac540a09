"""`kind = "json"`: an API response read with field paths.

A path is dot-separated keys and list indexes (`data.cards`, `mblog.user.followers_count`,
`pics.0.url`); `items` is taken from the document root (empty: the root is the list), every
other path from one item. `url` may be a template: `https://weibo.com/{user.id}/{bid}`.
Times may be Unix seconds or milliseconds or any date `collectors.dates` reads; counts may be
numbers or Chinese abbreviations such as "1.2万" and "10万+".
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from typing import Any

from collectors.dates import parse_datetime
from collectors.errors import ParseError
from collectors.items import make_item, resolve
from collectors.types import RawItem

METRIC_FIELDS = {"followers": "followers", "reposts": "reposts", "comments": "comments", "likes": "likes"}
JSON_FIELDS = ("items", "id", "title", "text", "url", "time", "author", *METRIC_FIELDS)
_TEMPLATE = re.compile(r"\{([^{}]+)\}")
_COUNT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(万|亿|[kK]|[wW])?\+?\s*$")
_SCALE = {None: 1, "万": 10_000, "w": 10_000, "W": 10_000, "亿": 100_000_000, "k": 1_000, "K": 1_000}


def check_json_mapping(mapping: dict[str, str]) -> None:
    for key in mapping:
        if key not in JSON_FIELDS:
            raise ValueError(f"fields.{key}: unknown field (have {', '.join(JSON_FIELDS)})")
    if "text" not in mapping and "title" not in mapping:
        raise ValueError("fields.text: kind = \"json\" needs fields.text or fields.title (where the words are)")


def lookup(obj: Any, path: str) -> Any:
    """Follow a dotted path through dicts and lists; None where it leads nowhere."""
    for part in (p for p in path.split(".") if p):
        if isinstance(obj, dict):
            obj = obj.get(part)
        elif isinstance(obj, list) and part.lstrip("-").isdigit() and -len(obj) <= int(part) < len(obj):
            obj = obj[int(part)]
        else:
            return None
    return obj


def _string(obj: Any, path: str | None) -> str | None:
    if not path:
        return None
    if "{" in path:
        values = [lookup(obj, m) for m in _TEMPLATE.findall(path)]
        if any(v in (None, "") for v in values):
            return None
        return _TEMPLATE.sub(lambda m: str(lookup(obj, m[1])), path)
    value = lookup(obj, path)
    if value is None or isinstance(value, dict | list):
        return None
    return str(value)


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return int(value) if value >= 0 else None
    match = _COUNT.match(str(value))
    return int(float(match[1]) * _SCALE[match[2]]) if match else None


def _time(value: Any, tz: tzinfo, now: datetime) -> datetime | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 1e11 else value
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    return parse_datetime(str(value), tz=tz, now=now)


def parse_json_api(
    document: Any, mapping: dict[str, str], *, feed: str, base_url: str, fetched_at: datetime, tz: tzinfo,
) -> list[RawItem]:
    try:
        check_json_mapping(mapping)
    except ValueError as exc:
        raise ParseError(f"{feed}: {exc}") from None
    entries = lookup(document, mapping.get("items", ""))
    if not isinstance(entries, list):
        raise ParseError(f"{feed}: fields.items {mapping.get('items', '')!r} is not a list in this response")
    items = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        title, text = _string(entry, mapping.get("title")) or "", _string(entry, mapping.get("text")) or ""
        if not title.strip() and not text.strip():
            continue  # an ad card, a divider, a deleted post: nothing to read
        metrics = {name: n for key, name in METRIC_FIELDS.items()
                   if key in mapping and (n := _count(lookup(entry, mapping[key]))) is not None}
        items.append(make_item(
            feed=feed, guid=_string(entry, mapping.get("id")),
            url=resolve(base_url, _string(entry, mapping.get("url"))),
            title=title, text=text,
            author=_string(entry, mapping.get("author")),
            published_at=_time(lookup(entry, mapping["time"]), tz, fetched_at) if mapping.get("time") else None,
            fetched_at=fetched_at, metrics=metrics,
        ))
    return items
