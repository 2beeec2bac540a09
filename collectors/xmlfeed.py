"""RSS 0.9x/1.0/2.0, RDF and Atom through feedparser, from bytes we decoded ourselves.

feedparser without chardet garbles undeclared GBK (it falls back to windows-1252), so the
bytes are decoded by `collectors.encoding` and handed over as UTF-8 with a matching declaration.
A document cut off or broken half-way still yields the entries before the damage; that is
reported as a warning, not a failure, so the feed's posts are not lost.
"""

from __future__ import annotations

import io
import re
import xml.sax
from datetime import UTC, datetime, tzinfo
from typing import Any

import feedparser

from collectors.dates import parse_datetime
from collectors.encoding import decode
from collectors.errors import ParseError
from collectors.fastxml import parse_fast
from collectors.items import make_item, resolve
from collectors.types import RawItem

feedparser.RESOLVE_RELATIVE_URIS = True
feedparser.SANITIZE_HTML = True
_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_ENCODING_ATTR = re.compile(r"""encoding\s*=\s*["'][^"']*["']""")
_CHAR_REF = re.compile(rb"&#([xX][0-9a-fA-F]{1,8}|[0-9]{1,10});")


def _surrogate_refs_replaced(body: bytes) -> bytes:
    """`&#xD800;` is half a UTF-16 pair, which no string can store (feedparser crashes): make it U+FFFD."""
    def fix(match: re.Match[bytes]) -> bytes:
        digits = match[1]
        code = int(digits[1:], 16) if digits[:1] in b"xX" else int(digits)
        return b"&#xFFFD;" if 0xD800 <= code <= 0xDFFF else match[0]
    return _CHAR_REF.sub(fix, body)


def _as_utf8(body: bytes, content_type: str | None) -> bytes:
    text = decode(body, content_type).text
    match = _DECL.match(text)
    if match:
        decl = _ENCODING_ATTR.sub('encoding="utf-8"', match.group(0))
        text = decl + text[match.end():]
    return text.encode("utf-8")


def parse_xml_feed(
    body: bytes, *, feed: str, base_url: str, content_type: str | None, fetched_at: datetime, tz: tzinfo,
    fast_path: bool = True,
) -> tuple[list[RawItem], str | None]:
    """Items and a warning (None when the document was sound); ParseError when it is no feed at all.

    `fast_path=False` forces feedparser (the tests check the two paths agree)."""
    document = _surrogate_refs_replaced(_as_utf8(body, content_type))
    fast = parse_fast(document) if fast_path else None
    if fast is not None:
        base = base_url or fast.link or ""
        return [make_item(
            feed=feed, guid=e.guid, url=resolve(base, e.link), title=e.title, text=e.text, author=e.author,
            published_at=parse_datetime(e.published, tz=tz, now=fetched_at), fetched_at=fetched_at,
        ) for e in fast.entries], None
    headers = {"content-type": "application/xml; charset=utf-8"}
    if base_url:
        headers["content-location"] = base_url
    # A BytesIO, never bytes or str: feedparser would treat those as a file name or URL to open.
    try:
        parsed = feedparser.parse(io.BytesIO(document), response_headers=headers,
                                  resolve_relative_uris=True, sanitize_html=True)
    except (ValueError, RecursionError) as exc:  # UnicodeError is a ValueError: hostile bytes, not a feed
        raise ParseError(f"{feed}: not a readable feed ({type(exc).__name__}: {exc})") from exc
    version = parsed.get("version", "")
    reason = parsed.get("bozo_exception")
    if not parsed.entries:
        if parsed.get("bozo") and not version:
            raise ParseError(f"{feed}: not a readable feed ({type(reason).__name__}: {reason})")
        if not version:
            raise ParseError(f"{feed}: the document is not RSS, Atom or JSON Feed")
        return [], None
    base = base_url or parsed.feed.get("link") or ""
    entries = list(parsed.entries)
    warning = None
    if isinstance(reason, xml.sax.SAXException):
        dropped = ""
        if _last_entry_unclosed(document):  # a cut-off download: its last post has a torn link or text
            entries.pop()
            dropped = ", the incomplete last one dropped"
        warning = f"parse: damaged document ({reason}); {len(entries)} items salvaged{dropped}"
    items = [_entry_to_item(entry, feed=feed, base=base, fetched_at=fetched_at, tz=tz) for entry in entries]
    return items, warning


def _last_entry_unclosed(document: bytes) -> bool:
    opened = max(document.rfind(b"<item"), document.rfind(b"<entry"))
    closed = max(document.rfind(b"</item>"), document.rfind(b"</entry>"))
    return opened > closed


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
    return make_item(
        feed=feed, guid=entry.get("id"), url=resolve(base, entry.get("link")), title=entry.get("title", "") or "",
        text=_entry_text(entry), author=entry.get("author"), published_at=_entry_published(entry, tz, fetched_at),
        fetched_at=fetched_at,
    )
