"""`kind = "html"`: a listing page read with CSS selectors (beautifulsoup4 + soupsieve).

Selectors are relative to each item; `css@attr` reads an attribute instead of the text, and
`@attr` reads it from the item element itself. Without a `link` selector the item's first
`<a href>` is used; a `<time>` element's `datetime` attribute is preferred to its text.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo
from typing import Any

import soupsieve
from bs4 import BeautifulSoup, Tag

from collectors.dates import parse_datetime
from collectors.encoding import decode
from collectors.errors import ParseError
from collectors.items import make_item, resolve
from collectors.types import RawItem

HTML_FIELDS = ("item", "title", "link", "text", "time", "author", "id")
_ATTR = re.compile(r"^(?P<css>.*?)\s*@(?P<attr>[\w:-]+)$")


def split_selector(spec: str) -> tuple[str, str | None]:
    match = _ATTR.match(spec.strip())
    return (match["css"], match["attr"]) if match else (spec.strip(), None)


def check_html_mapping(mapping: dict[str, str]) -> None:
    """Raise ValueError naming the bad selector, so a typo is a config error, not a silent empty feed."""
    if "item" not in mapping:
        raise ValueError("select.item: kind = \"html\" needs it (the CSS selector of one post)")
    for key, spec in mapping.items():
        if key not in HTML_FIELDS:
            raise ValueError(f"select.{key}: unknown field (have {', '.join(HTML_FIELDS)})")
        css, attr = split_selector(spec)
        if key == "item" and attr:
            raise ValueError("select.item: selects elements; it takes no @attribute")
        if css:
            try:
                soupsieve.compile(css)
            except soupsieve.SelectorSyntaxError as exc:
                raise ValueError(f"select.{key}: {css!r} is not a CSS selector ({str(exc).splitlines()[0]})") from None


def _pick(item: Tag, spec: str | None, *, prefer_attr: str | None = None) -> str | None:
    if not spec:
        return None
    css, attr = split_selector(spec)
    node = item.select_one(css) if css else item
    if node is None:
        return None
    if attr:
        value: Any = node.get(attr)
        return " ".join(value) if isinstance(value, list) else value
    if prefer_attr and node.get(prefer_attr):
        return str(node.get(prefer_attr))
    return node.get_text(" ", strip=True)


def _link(item: Tag, spec: str | None) -> str | None:
    if spec:
        css, attr = split_selector(spec)
        if attr:
            return _pick(item, spec)
        node = item.select_one(css) if css else item
        if node is None:
            return None
        if node.get("href"):
            return str(node["href"])
        node = node.select_one("a[href]")
        return str(node["href"]) if node is not None else None
    node = item if item.name == "a" and item.get("href") else item.select_one("a[href]")
    return str(node["href"]) if node is not None else None


def parse_html(
    body: bytes, mapping: dict[str, str], *, feed: str, base_url: str, content_type: str | None,
    fetched_at: datetime, tz: tzinfo,
) -> list[RawItem]:
    try:
        check_html_mapping(mapping)
    except ValueError as exc:
        raise ParseError(f"{feed}: {exc}") from None
    soup = BeautifulSoup(decode(body, content_type).text, "html.parser")
    base_tag = soup.find("base", href=True)
    base = resolve(base_url, str(base_tag["href"])) if isinstance(base_tag, Tag) else None
    base = base or base_url
    nodes = soup.select(mapping["item"])
    if not nodes:
        raise ParseError(f"{feed}: select.item {mapping['item']!r} matched nothing (has the page changed?)")
    items = []
    for node in nodes:
        title = _pick(node, mapping.get("title")) or ""
        text = _pick(node, mapping.get("text")) if mapping.get("text") else node.get_text(" ", strip=True)
        when = _pick(node, mapping.get("time"), prefer_attr="datetime")
        items.append(make_item(
            feed=feed, guid=_pick(node, mapping.get("id")), url=resolve(base, _link(node, mapping.get("link"))),
            title=title, text=text or "", author=_pick(node, mapping.get("author")),
            published_at=parse_datetime(when, tz=tz, now=fetched_at), fetched_at=fetched_at,
        ))
    return items
