"""Render the sample posts as the documents real sources serve: RSSHub-style RSS, Zhihu Atom, a JSON Feed."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import format_datetime
from html import escape

from listener.demo.samples import SHANGHAI, SamplePost

BASE = "https://demo.listener.invalid"


def _link(post: SamplePost) -> str:
    return f"{BASE}/{post.channel}/{post.key}"


def _html_body(text: str) -> str:
    """Posts carry HTML bodies, as RSSHub's do; the post text itself is escaped, as a real site would."""
    return "<p>" + escape(text).replace("\n", "<br>") + "</p>"


def rss(posts: list[SamplePost], *, title: str, link: str) -> bytes:
    items = []
    for post in posts:
        items.append(
            "<item>"
            f"<title>{escape(post.title or post.text[:40])}</title>"
            f"<description><![CDATA[{_html_body(post.text)}]]></description>"
            f"<pubDate>{format_datetime(post.published_at.astimezone(UTC), usegmt=True)}</pubDate>"
            f"<guid isPermaLink=\"false\">{escape(post.key)}</guid>"
            f"<link>{_link(post)}</link>"
            f"<author>{escape(post.author)}</author>"
            "</item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>{escape(link)}</link><description>{escape(title)}</description>"
        + "".join(items) + "</channel></rss>"
    ).encode("utf-8")


def atom(posts: list[SamplePost], *, title: str, link: str) -> bytes:
    entries = []
    for post in posts:
        # Zhihu-style local times with an explicit +08:00 offset.
        stamp = post.published_at.astimezone(SHANGHAI).isoformat()
        entries.append(
            "<entry>"
            f"<title>{escape(post.title or post.text[:40])}</title>"
            f"<id>tag:demo.listener.invalid,2026:{escape(post.key)}</id>"
            f'<link href="{_link(post)}"/>'
            f"<published>{stamp}</published><updated>{stamp}</updated>"
            f"<author><name>{escape(post.author)}</name></author>"
            f'<content type="html">{escape(_html_body(post.text))}</content>'
            "</entry>"
        )
    updated = max((p.published_at for p in posts), default=datetime.now(UTC)).astimezone(SHANGHAI).isoformat()
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{escape(title)}</title><id>{escape(link)}</id><link href=\"{escape(link)}\"/>"
        f"<updated>{updated}</updated>" + "".join(entries) + "</feed>"
    ).encode("utf-8")


def json_feed(posts: list[SamplePost], *, title: str, link: str) -> bytes:
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": title,
        "home_page_url": link,
        "items": [
            {
                "id": post.key,
                "url": _link(post),
                "title": post.title or "",
                "content_html": _html_body(post.text),
                "date_published": post.published_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "authors": [{"name": post.author}],
                "_weibo": post.metrics,
            }
            for post in posts
        ],
    }
    return json.dumps(document, ensure_ascii=False).encode("utf-8")
