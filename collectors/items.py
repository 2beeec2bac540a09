"""Building a RawItem from whatever a parser found: one place for ids, links and date fallbacks."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urljoin

from collectors.ids import item_id
from collectors.types import RawItem

_SURROGATE = re.compile("[\ud800-\udfff]")


def _clean(value: str) -> str:
    """Lone surrogates (from JSON `\\ud800` escapes) cannot be stored as UTF-8: they become U+FFFD."""
    return _SURROGATE.sub("\ufffd", value)


def resolve(base: str, link: str | None) -> str | None:
    """An absolute http(s) URL for a link, relative ones resolved against the document; others dropped."""
    if not link or not link.strip():
        return None
    link = link.strip()
    absolute = link.lower().startswith(("http://", "https://"))
    url = link if absolute or not base else urljoin(base, link)
    return url if url.lower().startswith(("http://", "https://")) else None


def make_item(
    *, feed: str, guid: str | None, url: str | None, title: str, text: str, author: str | None,
    published_at: datetime | None, fetched_at: datetime, metrics: dict[str, int] | None = None,
) -> RawItem:
    guid = _clean(guid.strip()) if guid and guid.strip() else None
    url = _clean(url) if url else url
    title, text, author = _clean(title), _clean(text), _clean(author) if author else author
    return RawItem(
        feed=feed, item_id=item_id(feed, guid=guid, url=url, title=title, text=text), url=url,
        title=title.strip(), text=text, author=(author or "").strip() or None, published_at=published_at,
        fetched_at=fetched_at, guid=guid, metrics=metrics or {},
    )
