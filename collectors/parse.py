"""Turn a fetched document (bytes) into RawItems: RSS 0.9x/1.0/2.0 and Atom via feedparser, JSON Feed by hand.

feedparser reads the document's own encoding declarations; we never decode with a guess.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, tzinfo
from typing import Any
from urllib.parse import urljoin

import feedparser

from collectors.dates import SHANGHAI, parse_datetime
from collectors.errors import ParseError
from collectors.ids import item_id
from collectors.types import RawItem

# feedparser must never reach the network or the file system for a document's sake.
feedparser.RESOLVE_RELATIVE_URIS = True
feedparser.SANITIZE_HTML = True
_SURROGATE = re.compile("[\ud800-\udfff]")
_CHAR_REF = re.compile(rb"&#([xX][0-9a-fA-F]{1,8}|[0-9]{1,10});")


def _surrogate_refs_replaced(body: bytes) -> bytes:
    """`&#xD800;` is half a UTF-16 pair, which no string can store (feedparser crashes): make it U+FFFD."""
    def fix(match: re.Match[bytes]) -> bytes:
        digits = match[1]
        code = int(digits[1:], 16) if digits[:1] in b"xX" else int(digits)
        return b"&#xFFFD;" if 0xD800 <= code <= 0xDFFF else match[0]
    return _CHAR_REF.sub(fix, body)


def _clean(value: str) -> str:
    """Lone surrogates (from JSON `\\ud800` escapes) cannot be stored as UTF-8: they become U+FFFD."""
    return _SURROGATE.sub("\ufffd", value)


def parse_document(
    body: bytes, *, feed: str, base_url: str = "", content_type: str | None = None,
    fetched_at: datetime | None = None, tz: tzinfo = SHANGHAI,
) -> list[RawItem]:
    """Parse one feed document; raise ParseError when it is not a feed at all."""
    fetched_at = fetched_at or datetime.now(UTC)
    if _looks_like_json(body, content_type):
        return _parse_json_feed(body, feed=feed, base_url=base_url, fetched_at=fetched_at, tz=tz)
    return _parse_xml_feed(body, feed=feed, base_url=base_url, content_type=content_type,
                           fetched_at=fetched_at, tz=tz)


def _looks_like_json(body: bytes, content_type: str | None) -> bool:
    head = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return head == b"{" or bool(content_type and "json" in content_type.lower())


def _parse_xml_feed(
    body: bytes, *, feed: str, base_url: str, content_type: str | None, fetched_at: datetime, tz: tzinfo,
) -> list[RawItem]:
    headers = {"content-type": content_type} if content_type else {}
    try:
        parsed = feedparser.parse(_surrogate_refs_replaced(body), response_headers=headers,
                                  resolve_relative_uris=True, sanitize_html=True)
    except (ValueError, RecursionError) as exc:  # UnicodeError is a ValueError: hostile bytes, not a feed
        raise ParseError(f"{feed}: not a readable feed ({type(exc).__name__}: {exc})") from exc
    version = parsed.get("version", "")
    if not parsed.entries:
        if parsed.get("bozo") and not version:
            reason = parsed.get("bozo_exception")
            raise ParseError(f"{feed}: not a readable feed ({type(reason).__name__}: {reason})")
        if not version:
            raise ParseError(f"{feed}: the document is not RSS, Atom or JSON Feed")
        return []
    feed_link = parsed.feed.get("link") or base_url
    items = []
    for entry in parsed.entries:
        items.append(_entry_to_item(entry, feed=feed, base=feed_link or base_url, fetched_at=fetched_at, tz=tz))
    return items


def _entry_text(entry: Any) -> str:
    contents = entry.get("content") or []
    if contents:
        best = max(contents, key=lambda c: len(c.get("value", "")))
        if best.get("value"):
            return best["value"]
    return entry.get("summary", "") or entry.get("description", "") or ""


def _entry_published(entry: Any, tz: tzinfo, fetched_at: datetime) -> datetime | None:
    for key in ("published", "updated", "created", "dc_date"):
        raw = entry.get(key)
        if raw:
            when = parse_datetime(raw, tz=tz, now=fetched_at)
            if when is not None:
                return when
    for key in ("published_parsed", "updated_parsed"):
        struct = entry.get(key)
        if struct:
            return datetime(*struct[:6], tzinfo=UTC)
    return None


def _entry_to_item(entry: Any, *, feed: str, base: str, fetched_at: datetime, tz: tzinfo) -> RawItem:
    link = entry.get("link")
    url = urljoin(base, link) if link else None
    title = entry.get("title", "") or ""
    text = _entry_text(entry)
    guid = entry.get("id") or None
    return RawItem(
        feed=feed,
        item_id=item_id(feed, guid=guid, url=url, title=title, text=text),
        url=url,
        title=title,
        text=text,
        author=entry.get("author") or None,
        published_at=_entry_published(entry, tz, fetched_at),
        fetched_at=fetched_at,
        guid=guid,
        metrics={},
    )


def _parse_json_feed(body: bytes, *, feed: str, base_url: str, fetched_at: datetime, tz: tzinfo) -> list[RawItem]:
    try:
        document = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParseError(f"{feed}: invalid JSON ({exc})") from exc
    except RecursionError as exc:
        raise ParseError(f"{feed}: JSON nested too deeply") from exc
    if not isinstance(document, dict) or "jsonfeed.org" not in str(document.get("version", "")):
        raise ParseError(f"{feed}: JSON document is not a JSON Feed (no jsonfeed.org version)")
    entries = document.get("items")
    if not isinstance(entries, list):
        raise ParseError(f"{feed}: JSON Feed has no items list")
    base = document.get("home_page_url") or base_url
    items = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        link = entry.get("url") or entry.get("external_url")
        url = _clean(urljoin(str(base), str(link))) if link else None
        title = _clean(str(entry.get("title") or ""))
        text = _clean(str(entry.get("content_html") or entry.get("content_text") or entry.get("summary") or ""))
        guid = _clean(str(entry["id"])) if entry.get("id") not in (None, "") else None
        authors = entry.get("authors") or ([entry["author"]] if isinstance(entry.get("author"), dict) else [])
        authors = authors if isinstance(authors, list) else []  # `"authors": 1` is a broken feed, not a crash
        author = next((_clean(str(a.get("name"))) for a in authors if isinstance(a, dict) and a.get("name")), None)
        published = parse_datetime(str(entry.get("date_published") or entry.get("date_modified") or ""),
                                   tz=tz, now=fetched_at)
        metrics = _extension_metrics(entry)
        items.append(RawItem(
            feed=feed, item_id=item_id(feed, guid=guid, url=url, title=title, text=text), url=url,
            title=title, text=text, author=author, published_at=published, fetched_at=fetched_at,
            guid=guid, metrics=metrics,
        ))
    return items


METRIC_NAMES = {"followers": "followers", "author_followers": "followers", "reposts": "reposts",
                "comments": "comments", "likes": "likes", "attitudes": "likes"}


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
