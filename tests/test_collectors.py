"""Collectors against real third-party documents (../shared/data/feeds) and a real local HTTP server."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from collectors import FeedSource, ParseError, collect_feed, parse_document
from collectors.dates import parse_datetime
from collectors.fetcher import make_client
from collectors.ids import canonical_url
from tests.conftest import FEEDS

NOW = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)


def parse_shared(name: str):
    return parse_document((FEEDS / name).read_bytes(), feed=name, fetched_at=NOW)


def test_weibo_rsshub_feed() -> None:
    items = parse_shared("stringxd-weibo-rss.xml")
    assert len(items) == 20
    assert items[0].title.startswith("博士训练最残酷的地方")
    assert items[0].published_at == datetime(2026, 8, 2, 9, 49, 35, tzinfo=UTC)
    assert len({i.item_id for i in items}) == 20


def test_zhihu_daily_feed() -> None:
    items = parse_shared("zhihu-daily.rss.xml")
    assert len(items) == 4
    assert items[0].title == "关于辽、金、西夏有哪些有趣的冷知识？"
    assert items[0].published_at == datetime(2026, 8, 22, 18, 20, 18, tzinfo=UTC)


def test_bilibili_naive_dates_are_china_time() -> None:
    items = parse_shared("lytmkai-bilibili-naive-dates.xml")
    assert len(items) == 19
    assert [i.published_at for i in items[:3]] == [
        datetime(2026, 1, 7, 4, 28, 36, tzinfo=UTC),
        datetime(2025, 12, 31, 1, 12, 31, tzinfo=UTC),
        datetime(2025, 12, 29, 9, 30, 52, tzinfo=UTC),
    ]


def test_json_feed_11() -> None:
    items = parse_shared("rsparser-3960-fboes.jsonfeed11.json")
    assert len(items) == 20
    assert items[0].title == "Lecker, lecker"
    assert items[0].url and items[0].url.startswith("http")


def test_big5_feed_decodes_from_its_declaration() -> None:
    items = parse_shared("chardet-big5-ebao.us.xml")
    assert len(items) == 15
    assert items[0].title == "新年快樂"


@pytest.mark.parametrize("name", ["rssparser-html-document-moved.rss"])
def test_a_page_that_is_not_a_feed_is_a_parse_error(name: str) -> None:
    with pytest.raises(ParseError, match=r"^parse: "):
        parse_shared(name)


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-11-22 10:00", datetime(2026, 11, 22, 2, 0, tzinfo=UTC)),
    ("2026年11月22日 10:30", datetime(2026, 11, 22, 2, 30, tzinfo=UTC)),
    ("3小时前", datetime(2026, 11, 22, 1, 0, tzinfo=UTC)),
    ("昨天 08:00", datetime(2026, 11, 21, 0, 0, tzinfo=UTC)),
    ("刚刚", NOW),
    ("Sun, 22 Nov 2026 10:00:00 +0800", datetime(2026, 11, 22, 2, 0, tzinfo=UTC)),
    ("2026-11-22T10:00:00Z", datetime(2026, 11, 22, 10, 0, tzinfo=UTC)),
    ("not a date", None),
])
def test_chinese_and_rfc_dates(text: str, expected: datetime | None) -> None:
    assert parse_datetime(text, now=NOW) == expected


def test_canonical_url_drops_tracking_and_fragment() -> None:
    assert canonical_url("HTTPS://Weibo.com/123/Abc?utm_source=x&spm=1.2&b=2&a=1#comments") == \
        "https://weibo.com/123/Abc?a=1&b=2"


RSS = """<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>
<item><title>栖云牛奶</title><guid>1</guid><link>https://x.example/1</link><description>好喝</description></item>
</channel></rss>""".encode()


def test_failures_are_recorded_on_that_feed_with_backoff(feeds) -> None:
    server, routes = feeds
    routes.serve("/ok", RSS)

    async def scenario():
        async with make_client() as client:
            ok = FeedSource(name="ok", url=f"{server.url}/ok")
            missing = FeedSource(name="missing", url=f"{server.url}/nowhere", interval_seconds=60)
            first = await collect_feed(client, ok, now=NOW)
            bad = await collect_feed(client, missing, now=NOW)
            worse = await collect_feed(client, missing, bad.state, now=NOW)
            return first, bad, worse

    first, bad, worse = asyncio.run(scenario())
    assert len(first.items) == 1 and first.error is None and first.state.last_success_at == NOW
    assert bad.items == [] and "HTTP 404" in (bad.error or "") and bad.error.startswith("fetch: ")
    assert worse.state.consecutive_failures == 2
    assert worse.state.next_attempt_at is not None and worse.state.next_attempt_at > bad.state.next_attempt_at


def test_etag_gives_304_and_no_items(tmp_path) -> None:
    from http.server import BaseHTTPRequestHandler

    from listener.demo.servers import LocalServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.headers.get("If-None-Match") == '"v1"':
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("ETag", '"v1"')
            self.send_header("Content-Length", str(len(RSS)))
            self.end_headers()
            self.wfile.write(RSS)

        def log_message(self, *args) -> None:
            pass

    async def scenario(url: str):
        async with make_client() as client:
            source = FeedSource(name="e", url=url)
            first = await collect_feed(client, source, now=NOW)
            second = await collect_feed(client, source, first.state, now=NOW)
            return first, second

    with LocalServer(Handler) as server:
        first, second = asyncio.run(scenario(server.url + "/feed"))
    assert first.state.etag == '"v1"' and len(first.items) == 1
    assert second.not_modified and second.items == [] and second.error is None
    assert second.state.etag == '"v1"'


def test_oversized_body_is_refused(feeds) -> None:
    server, routes = feeds
    routes.serve("/huge", b"<rss>" + b" " * 5000 + b"</rss>")

    async def scenario():
        async with make_client() as client:
            return await collect_feed(client, FeedSource(name="h", url=f"{server.url}/huge", max_bytes=1024), now=NOW)

    result = asyncio.run(scenario())
    assert result.error is not None and "cap" in result.error
