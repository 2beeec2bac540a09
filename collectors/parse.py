"""Turn a fetched document (bytes) into RawItems, by the source's kind.

kind "feed": RSS/Atom/RDF (feedparser) or JSON Feed, auto-detected; "html": a page read with CSS
selectors; "json": an API response read with field paths. Decoding is always ours, from the
bytes and their declarations (`collectors.encoding`), never a guessed `.text`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from collectors.dates import SHANGHAI
from collectors.errors import ParseError
from collectors.jsonfeed import is_json_feed, load_json, parse_json_feed
from collectors.types import FeedSource, RawItem
from collectors.xmlfeed import parse_xml_feed


@dataclass(frozen=True)
class Parsed:
    items: list[RawItem]
    warning: str | None = None  # the document was damaged but these items were salvaged


def _looks_like_json(body: bytes, content_type: str | None) -> bool:
    head = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return head in (b"{", b"[") or bool(content_type and "json" in content_type.lower())


def parse_feed(
    body: bytes, *, feed: str, base_url: str = "", content_type: str | None = None,
    fetched_at: datetime | None = None, tz: tzinfo = SHANGHAI,
) -> Parsed:
    """An RSS/Atom/RDF or JSON Feed document; ParseError when it is not a feed at all."""
    fetched_at = fetched_at or datetime.now(UTC)
    if _looks_like_json(body, content_type):
        document = load_json(body, content_type, feed)
        return Parsed(parse_json_feed(document, feed=feed, base_url=base_url, fetched_at=fetched_at, tz=tz))
    items, warning = parse_xml_feed(body, feed=feed, base_url=base_url, content_type=content_type,
                                    fetched_at=fetched_at, tz=tz)
    return Parsed(items, warning)


def parse_document(
    body: bytes, *, feed: str, base_url: str = "", content_type: str | None = None,
    fetched_at: datetime | None = None, tz: tzinfo = SHANGHAI,
) -> list[RawItem]:
    """Parse one feed document; raise ParseError when it is not a feed at all."""
    return parse_feed(body, feed=feed, base_url=base_url, content_type=content_type, fetched_at=fetched_at,
                      tz=tz).items


def parse_source(
    source: FeedSource, body: bytes, *, base_url: str = "", content_type: str | None = None,
    fetched_at: datetime | None = None, tz: tzinfo = SHANGHAI,
) -> Parsed:
    """Parse a fetched document the way its source is configured."""
    fetched_at = fetched_at or datetime.now(UTC)
    if source.kind == "html":
        from collectors.htmlsource import parse_html

        return Parsed(parse_html(body, source.mapping, feed=source.name, base_url=base_url,
                                 content_type=content_type, fetched_at=fetched_at, tz=tz))
    if source.kind == "json":
        from collectors.jsonsource import parse_json_api

        document = load_json(body, content_type, source.name)
        if is_json_feed(document) and "items" not in source.mapping:
            return Parsed(parse_json_feed(document, feed=source.name, base_url=base_url,
                                          fetched_at=fetched_at, tz=tz))
        return Parsed(parse_json_api(document, source.mapping, feed=source.name, base_url=base_url,
                                     fetched_at=fetched_at, tz=tz))
    if source.kind != "feed":
        raise ParseError(f"{source.name}: unknown source kind {source.kind!r}")
    return parse_feed(body, feed=source.name, base_url=base_url, content_type=content_type,
                      fetched_at=fetched_at, tz=tz)
